"""A one-input network's hidden units, and their sum: the visual proof."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from ._approximation import _resolve_target, plot_domain


def _split_pipeline(estimator):
    """(input transform or None, final network estimator)."""
    if hasattr(estimator, "steps"):
        return estimator[:-1], estimator[-1]
    return None, estimator


def _components(model, X):
    """Per-unit contributions to the output pre-activation, and its bias."""
    if hasattr(model, "decompose"):
        components = np.asarray(model.decompose(X), dtype=float)
        return components, float(model.intercepts_[-1][0])
    network = getattr(model, "network_", None)
    if network is not None and len(network.coefs) == 2:
        hidden = network.hidden_activations(X)
        return hidden * network.coefs[1][:, 0], float(network.intercepts[1][0])
    raise ValueError(
        f"DecompositionDisplay needs a network of one input with a decompose "
        f"method or one hidden layer (BumpNetRegressor, ReluKnotRegressor, a "
        f"one-hidden-layer TrainedMLPRegressor); got {type(model).__name__}."
    )


class DecompositionDisplay:
    """Each hidden unit's contribution, stacked with their sum.

    For a :class:`~sklearn_uat.BumpNetRegressor` the components are its bumps,
    for a :class:`~sklearn_uat.ReluKnotRegressor` its hinges, for a
    one-hidden-layer :class:`~sklearn_uat.TrainedMLPRegressor` its units. The
    top panel draws each component; the bottom one their sum plus the output
    bias (the output layer's pre-activation), the model's prediction and,
    when given, the target.

    Parameters
    ----------
    x : ndarray of shape (n_points,)
        Raw input values.
    components : ndarray of shape (n_points, n_components)
        Contribution of each component at ``x``.
    total : ndarray of shape (n_points,)
        Sum of the components plus the output bias.
    y_pred : ndarray of shape (n_points,), default=None
        The model's prediction (differs from ``total`` when the output
        activation is not the identity).
    y_true : ndarray of shape (n_points,), default=None
        The target function.
    estimator_name : str, default=None

    Attributes
    ----------
    component_lines_ : list of Line2D
    total_line_ : Line2D
    prediction_line_ : Line2D or None
    target_line_ : Line2D or None
    ax_ : ndarray of two matplotlib Axes
    figure_ : matplotlib Figure
    """

    def __init__(
        self, x, components, total, *, y_pred=None, y_true=None, estimator_name=None
    ):
        self.x = x
        self.components = components
        self.total = total
        self.y_pred = y_pred
        self.y_true = y_true
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        target=None,
        *,
        X_train=None,
        domain=None,
        n_points=1000,
        max_components=None,
        ax=None,
    ):
        """Decompose a fitted one-input network (or a Pipeline ending in one).

        Parameters
        ----------
        estimator : fitted estimator or Pipeline
            Its last step has ``decompose`` or a one-hidden-layer ``network_``.
        target : str or SeedFunction, default=None
            The function approximated; gives the domain.
        X_train : array-like, default=None
            Training inputs, to infer the domain.
        domain : array-like of shape (1, 2), default=None
            Overrides the domain.
        n_points : int, default=1000
            Evaluation points.
        max_components : int, default=None
            Draw at most this many components (evenly chosen); all if None.
        ax : array of two matplotlib Axes, default=None
        """
        check_is_fitted(estimator)
        target = _resolve_target(target)
        domain = plot_domain(estimator, target, domain, X_train)
        if domain.shape[0] != 1:
            raise ValueError(
                "DecompositionDisplay draws networks of one input; this one takes "
                f"{domain.shape[0]}."
            )
        x = np.linspace(domain[0, 0], domain[0, 1], n_points)
        X = x.reshape(-1, 1)
        transform, model = _split_pipeline(estimator)
        X_model = X if transform is None else transform.transform(X)
        components, bias = _components(model, X_model)
        total = components.sum(axis=1) + bias
        if max_components is not None and components.shape[1] > max_components:
            keep = np.unique(
                np.linspace(0, components.shape[1] - 1, max_components).round()
            ).astype(int)
            components = components[:, keep]
        return cls(
            x,
            components,
            total,
            y_pred=np.asarray(estimator.predict(X), dtype=float),
            y_true=None if target is None else target.func(X),
            estimator_name=type(model).__name__,
        ).plot(ax=ax)

    def plot(self, ax=None):
        """Draw components (top) and their sum (bottom).

        Parameters
        ----------
        ax : array of two matplotlib Axes, default=None

        Returns
        -------
        display : DecompositionDisplay
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, axes = plt.subplots(2, 1, sharex=True, figsize=(7, 6))
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if len(axes) != 2:
                raise ValueError(
                    f"ax must hold two Axes (components, sum); got {len(axes)}."
                )
        top, bottom = axes
        components = np.asarray(self.components, dtype=float)
        cmap = plt.get_cmap("viridis")
        n = components.shape[1]
        self.component_lines_ = [
            top.plot(self.x, components[:, j], lw=0.9, color=cmap(j / max(n - 1, 1)))[0]
            for j in range(n)
        ]
        top.set_ylabel("contribution")
        top.set_title(f"{self.estimator_name}: {n} components")
        (self.total_line_,) = bottom.plot(
            self.x, self.total, color="tab:purple", lw=1.5, label="sum of components"
        )
        self.prediction_line_ = None
        if self.y_pred is not None and not np.allclose(self.y_pred, self.total):
            (self.prediction_line_,) = bottom.plot(
                self.x, self.y_pred, color="tab:orange", lw=1.5, label="prediction"
            )
        self.target_line_ = None
        if self.y_true is not None:
            (self.target_line_,) = bottom.plot(
                self.x, self.y_true, "k--", lw=1, label="target"
            )
        bottom.set_xlabel("x")
        bottom.set_ylabel("output")
        bottom.legend(fontsize="small")
        self.ax_ = axes
        self.figure_ = top.figure
        return self
