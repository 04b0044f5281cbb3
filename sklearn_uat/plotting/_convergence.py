"""Error against hidden units on log-log axes, with the theoretical rates."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support


class ConvergenceDisplay:
    """Error versus number of hidden units, one line per method.

    Each method's measured error is drawn with markers; its theoretical
    rate, where one is known, is a dashed line of that slope through the
    method's last point (the largest network: the rates are asymptotic).

    Parameters
    ----------
    units : dict of str to array-like
        Per method, the hidden units of each network.
    errors : dict of str to array-like
        Per method, the error at each size.
    theory : dict of str to float or None, default=None
        Per method, the theoretical log-log slope.
    error_name : str, default="max abs error"
        Label of the y axis.
    title : str, default=None
        Title of the axes.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The measured errors.
    theory_lines_ : dict of str to matplotlib Line2D
        The theoretical rates.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_uat.plotting import ConvergenceDisplay
    >>> display = ConvergenceDisplay(
    ...     {"knots": [8, 16, 32]}, {"knots": [1e-2, 2.5e-3, 6e-4]}, {"knots": -2.0}
    ... ).plot()
    >>> sorted(display.lines_), sorted(display.theory_lines_)
    (['knots'], ['knots'])
    """

    def __init__(
        self, units, errors, theory=None, *, error_name="max abs error", title=None
    ):
        self.units = units
        self.errors = errors
        self.theory = theory
        self.error_name = error_name
        self.title = title

    @classmethod
    def from_result(cls, result, *, ax=None, metric="max_error"):
        """Plot a :class:`~sklearn_uat.compare.ConvergenceResult`.

        Parameters
        ----------
        result : ConvergenceResult
            From :func:`sklearn_uat.compare.convergence`.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.
        metric : {"max_error", "rmse"}, default="max_error"
            Which error to draw.
        """
        if metric not in ("max_error", "rmse"):
            raise ValueError(f"metric must be 'max_error' or 'rmse'; got {metric!r}.")
        if not all(hasattr(result, a) for a in ("units", "theory", metric)):
            raise TypeError(
                "from_result needs the ConvergenceResult of "
                "sklearn_uat.compare.convergence; got "
                f"{type(result).__name__}."
            )
        errors = getattr(result, metric)
        name = "max abs error" if metric == "max_error" else "RMSE"
        return cls(
            result.units,
            errors,
            result.theory,
            error_name=f"test {name}",
            title=f"Convergence on {result.function}",
        ).plot(ax=ax)

    @classmethod
    def from_function(cls, function="multiscale", *, ax=None, **kwargs):
        """Run :func:`sklearn_uat.compare.convergence` and plot it."""
        from ..compare import convergence

        return cls.from_result(convergence(function, **kwargs), ax=ax)

    def plot(self, ax=None):
        """Draw the lines.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.

        Returns
        -------
        display : ConvergenceDisplay
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
        theory = self.theory or {}
        self.lines_, self.theory_lines_ = {}, {}
        for name, units in self.units.items():
            units = np.asarray(units, dtype=float)
            err = np.asarray(self.errors[name], dtype=float)
            (line,) = ax.loglog(units, err, "o-", label=name)
            self.lines_[name] = line
            slope = theory.get(name)
            if slope is not None and len(units) > 1:
                guide = err[-1] * (units / units[-1]) ** slope
                (tline,) = ax.loglog(
                    units,
                    guide,
                    "--",
                    color=line.get_color(),
                    alpha=0.6,
                    label=f"{name}: theory n^{slope:g}",
                )
                self.theory_lines_[name] = tline
        ax.set_xlabel("hidden units")
        ax.set_ylabel(self.error_name)
        if self.title:
            ax.set_title(self.title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
