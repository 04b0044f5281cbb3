"""The model beside the function it approximates, and the error."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from ..datasets import SeedFunction, get_function


def _resolve_target(target):
    """A SeedFunction from a name, a SeedFunction, or None."""
    if target is None or isinstance(target, SeedFunction):
        return target
    if isinstance(target, str):
        return get_function(target)
    raise TypeError(
        "target must be a name from sklearn_uat.datasets.list_functions() or a "
        f"SeedFunction; got {type(target).__name__}."
    )


def _n_features(estimator):
    n = getattr(estimator, "n_features_in_", None)
    if n is None:
        raise ValueError(
            f"{type(estimator).__name__} does not record n_features_in_; "
            "fit it on array data first."
        )
    return int(n)


def _grid(domain, n_points):
    """Evenly spaced points over a 1-D or 2-D domain; the 2-D axes too."""
    axes = [np.linspace(lo, hi, n_points) for lo, hi in domain]
    if len(axes) == 1:
        return axes[0].reshape(-1, 1), axes
    mesh = np.meshgrid(*axes, indexing="xy")
    return np.column_stack([m.ravel() for m in mesh]), axes


def plot_domain(estimator, target, domain, X_train):
    """The plotting domain: given, else the target's, else the training data's."""
    if domain is not None:
        domain = np.asarray(domain, dtype=float).reshape(-1, 2)
    elif target is not None:
        domain = target.domain
    elif X_train is not None:
        X_train = np.asarray(X_train, dtype=float)
        domain = np.column_stack([X_train.min(axis=0), X_train.max(axis=0)])
    else:
        raise ValueError(
            "Give a target function, a domain or the training data (X_train) so "
            "that the plot knows where to evaluate the model."
        )
    if domain.shape[0] != _n_features(estimator):
        raise ValueError(
            f"The domain has {domain.shape[0]} inputs but the model takes "
            f"{_n_features(estimator)}."
        )
    return domain


class ApproximationDisplay:
    """A model's approximation of a function, and its error.

    With one input: the target and the model over the domain, the training
    points, and the error in a panel below. With two inputs: true,
    predicted and error as heatmaps side by side.

    Parameters
    ----------
    X : ndarray of shape (n_points, n_features)
        Evaluation points (for two inputs, a row-major ``grid_shape`` grid).
    y_pred : ndarray of shape (n_points,)
        The model's predictions at ``X``.
    y_true : ndarray of shape (n_points,), default=None
        The target function at ``X``.
    X_train, y_train : ndarray, default=None
        Training data, drawn as points (one input only).
    grid_shape : tuple of int, default=None
        Shape of the 2-D grid of ``X``; required for two inputs.
    estimator_name : str, default=None
        Legend and title label.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes
        The panels.
    figure_ : matplotlib Figure
    lines_ : dict of str to Line2D
        One input: ``"target"``, ``"model"``, ``"error"`` (those drawn).
    images_ : dict of str to QuadMesh
        Two inputs: ``"target"``, ``"model"``, ``"error"`` (those drawn).
    training_points_ : PathCollection or None

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from sklearn_uat.datasets import make_function
    >>> from sklearn_uat.plotting import ApproximationDisplay
    >>> X, y = make_function("sine", 200, random_state=0)
    >>> model = KNeighborsRegressor().fit(X, y)
    >>> display = ApproximationDisplay.from_estimator(
    ...     model, "sine", X_train=X, y_train=y
    ... )
    >>> sorted(display.lines_)
    ['error', 'model', 'target']
    """

    def __init__(
        self,
        X,
        y_pred,
        *,
        y_true=None,
        X_train=None,
        y_train=None,
        grid_shape=None,
        estimator_name=None,
    ):
        self.X = X
        self.y_pred = y_pred
        self.y_true = y_true
        self.X_train = X_train
        self.y_train = y_train
        self.grid_shape = grid_shape
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        target=None,
        *,
        X_train=None,
        y_train=None,
        domain=None,
        n_points=None,
        estimator_name=None,
        ax=None,
    ):
        """Evaluate a fitted one- or two-input regressor over a domain and plot.

        Parameters
        ----------
        estimator : fitted regressor or Pipeline
        target : str or SeedFunction, default=None
            The function approximated (a name from
            :func:`sklearn_uat.datasets.list_functions`); gives the domain and
            the true values.
        X_train, y_train : array-like, default=None
            Training data to draw (one input) and to infer the domain from.
        domain : array-like of shape (n_features, 2), default=None
            Overrides the domain.
        n_points : int, default=None
            Points per axis: 1000 for one input, 100 for two.
        estimator_name : str, default=None
            Label; the estimator's class name if None.
        ax : matplotlib Axes or array of Axes, default=None
            One input: one Axes (no error panel) or two. Two inputs: one Axes
            (predictions only) or three.
        """
        check_is_fitted(estimator)
        target = _resolve_target(target)
        domain = plot_domain(estimator, target, domain, X_train)
        d = domain.shape[0]
        if d > 2:
            raise ValueError(
                f"ApproximationDisplay draws models of one or two inputs; this one "
                f"takes {d}."
            )
        n_points = (1000 if d == 1 else 100) if n_points is None else n_points
        X, _ = _grid(domain, n_points)
        y_pred = np.asarray(estimator.predict(X), dtype=float).ravel()
        y_true = None if target is None else target.func(X)
        name = estimator_name or type(estimator).__name__
        if hasattr(estimator, "steps"):
            name = estimator_name or type(estimator[-1]).__name__
        return cls(
            X,
            y_pred,
            y_true=y_true,
            X_train=None if X_train is None else np.asarray(X_train, dtype=float),
            y_train=None if y_train is None else np.asarray(y_train, dtype=float),
            grid_shape=None if d == 1 else (n_points, n_points),
            estimator_name=name,
        ).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            See :meth:`from_estimator`.

        Returns
        -------
        display : ApproximationDisplay
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        X = np.asarray(self.X, dtype=float)
        if X.shape[1] == 1:
            return self._plot_1d(ax)
        if X.shape[1] == 2:
            return self._plot_2d(ax)
        raise ValueError(
            f"ApproximationDisplay draws one or two inputs; X has {X.shape[1]}."
        )

    def _axes(self, ax, n_panels, layout):
        import matplotlib.pyplot as plt

        if ax is None:
            if layout == "rows":
                fig, axes = plt.subplots(
                    n_panels,
                    1,
                    sharex=True,
                    figsize=(7, 5.5),
                    gridspec_kw={"height_ratios": [3, 1][:n_panels]},
                    layout="constrained",
                )
            else:
                fig, axes = plt.subplots(
                    1, n_panels, figsize=(4.2 * n_panels, 3.8), layout="constrained"
                )
            return np.atleast_1d(axes)
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if len(axes) not in (1, n_panels):
            raise ValueError(
                f"ax must be one Axes or {n_panels} Axes for this plot; got "
                f"{len(axes)}."
            )
        return axes

    def _plot_1d(self, ax):
        x = np.asarray(self.X, dtype=float)[:, 0]
        has_error = self.y_true is not None
        axes = self._axes(ax, 2 if has_error else 1, "rows")
        main = axes[0]
        self.lines_ = {}
        if self.y_true is not None:
            (self.lines_["target"],) = main.plot(
                x, self.y_true, color="black", lw=1.5, label="target"
            )
        (self.lines_["model"],) = main.plot(
            x, self.y_pred, color="tab:orange", lw=1.5, label=self.estimator_name
        )
        self.training_points_ = None
        if self.X_train is not None and self.y_train is not None:
            self.training_points_ = main.scatter(
                self.X_train[:, 0],
                self.y_train,
                s=6,
                color="tab:blue",
                alpha=0.4,
                label="training data",
                zorder=0,
            )
        main.set_ylabel("y")
        main.legend(loc="best", fontsize="small")
        if has_error and len(axes) > 1:
            err_ax = axes[1]
            error = np.asarray(self.y_pred) - np.asarray(self.y_true)
            (self.lines_["error"],) = err_ax.plot(x, error, color="tab:red", lw=1)
            err_ax.axhline(0.0, color="grey", lw=0.5)
            err_ax.set_ylabel("model - target")
            err_ax.set_xlabel("x")
        else:
            main.set_xlabel("x")
        self.ax_ = axes
        self.figure_ = main.figure
        return self

    def _plot_2d(self, ax):
        if self.grid_shape is None:
            raise ValueError("grid_shape is required to draw two inputs.")
        X = np.asarray(self.X, dtype=float)
        shape = self.grid_shape
        x1 = X[:, 0].reshape(shape)
        x2 = X[:, 1].reshape(shape)
        panels = []
        if self.y_true is not None:
            panels.append(("target", np.asarray(self.y_true).reshape(shape), "viridis"))
        panels.append(("model", np.asarray(self.y_pred).reshape(shape), "viridis"))
        if self.y_true is not None:
            error = (np.asarray(self.y_pred) - np.asarray(self.y_true)).reshape(shape)
            panels.append(("error", error, "RdBu_r"))
        axes = self._axes(ax, len(panels), "cols")
        if len(axes) == 1:
            panels = [p for p in panels if p[0] == "model"]
        self.images_ = {}
        values = [v for key, v, _ in panels if key != "error"]
        vmin = min(v.min() for v in values)
        vmax = max(v.max() for v in values)
        titles = {"target": "target", "model": self.estimator_name, "error": "error"}
        for panel_ax, (key, value, cmap) in zip(axes, panels):
            if key == "error":
                bound = float(np.max(np.abs(value))) or 1.0
                kwargs = {"vmin": -bound, "vmax": bound}
            else:
                kwargs = {"vmin": vmin, "vmax": vmax}
            mesh = panel_ax.pcolormesh(
                x1, x2, value, cmap=cmap, shading="auto", **kwargs
            )
            panel_ax.figure.colorbar(mesh, ax=panel_ax)
            panel_ax.set_title(titles[key])
            panel_ax.set_xlabel("x1")
            panel_ax.set_ylabel("x2")
            panel_ax.set_aspect("equal")
            self.images_[key] = mesh
        self.training_points_ = None
        self.ax_ = axes
        self.figure_ = axes[0].figure
        return self
