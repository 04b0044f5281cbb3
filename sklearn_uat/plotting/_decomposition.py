"""A one-input network's hidden units, and their sum: the visual proof."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from .._network import FeedForwardNetwork
from ._approximation import _resolve_target, plot_domain


def _split_pipeline(estimator):
    """(input transform or None, final network estimator)."""
    if hasattr(estimator, "steps"):
        return estimator[:-1], estimator[-1]
    return None, estimator


def _output_head(network):
    """Index of the layer after the hidden units, and whether it is final.

    The units are those of the first hidden layer; their weighted sum plus
    the next layer's bias is that layer's pre-activation. A network may end
    with width-one layers after it (BumpNetRegressor's sigmoid output and
    the linear layer that maps it back to the target's range).
    """
    if network is None or len(network.coefs) < 2:
        return None
    if network.coefs[1].shape[1] != 1:
        return None
    if any(W.shape != (1, 1) for W in network.coefs[2:]):
        return None
    return 1


def _components(model, X):
    """Per-unit contributions to the output pre-activation, and the rest.

    Returns ``(components, bias, head)``: ``components.sum(axis=1) + bias``
    is the pre-activation of the layer after the hidden units, and ``head``
    maps it to the prediction (None when that layer is the identity
    output).
    """
    network = getattr(model, "network_", None)
    if _output_head(network) is None:
        raise ValueError(
            "DecompositionDisplay needs a network of one input with one hidden "
            "layer (BumpNetRegressor, ReluKnotRegressor, a one-hidden-layer "
            f"TrainedMLPRegressor); got {type(model).__name__}"
            + (
                f" with hidden layers {network.hidden_layer_sizes}."
                if network is not None
                else "."
            )
        )
    if hasattr(model, "decompose"):
        components = np.array(model.decompose(X), dtype=float)
    else:
        components = network.hidden_activations(X) * network.coefs[1][:, 0]
    bias = float(network.intercepts[1][0])
    head = None
    if len(network.coefs) > 2 or network.activations[1] != "identity":
        tail = FeedForwardNetwork(
            [np.eye(1), *network.coefs[2:]],
            [np.zeros(1), *network.intercepts[2:]],
            network.activations[1:],
        )
        head = tail.forward
    return components, bias, head


def _invert_monotone(head, values, z_range):
    """``head``'s inverse at ``values`` (NaN outside its range), by table."""
    lo, hi = z_range
    pad = max(hi - lo, 1.0)
    z = np.linspace(lo - pad, hi + pad, 4001)
    h = head(z.reshape(-1, 1))
    if np.all(np.diff(h) > 0):
        return np.interp(values, h, z, left=np.nan, right=np.nan)
    if np.all(np.diff(h) < 0):
        return np.interp(values, h[::-1], z[::-1], left=np.nan, right=np.nan)
    return None


class DecompositionDisplay:
    """Each hidden unit's contribution, stacked with their sum.

    For a :class:`~sklearn_uat.BumpNetRegressor` the components are its bumps
    (the first and last continued by the open ends, the output bias folded
    into the first), for a :class:`~sklearn_uat.ReluKnotRegressor` its
    hinges, for a one-hidden-layer :class:`~sklearn_uat.TrainedMLPRegressor`
    its units scaled by their output weights. The top panel draws each
    component; the middle one their sum plus the output bias: the output
    unit's pre-activation, beside the target. When the output unit is not
    linear (``BumpNetRegressor(output_activation="sigmoid")``), the target
    in the middle panel is mapped through the inverse of the output (the
    inverse sigmoid of Nielsen's bump construction), and a bottom panel
    draws the prediction beside the target.

    Parameters
    ----------
    x : ndarray of shape (n_points,)
        Raw input values.
    components : ndarray of shape (n_points, n_components)
        Contribution of each component at ``x``.
    total : ndarray of shape (n_points,)
        Sum of all the components plus the output bias: the pre-activation
        of the output unit.
    bias : float, default=0.0
        The output bias not held in the components (drawn as a dashed line).
    y_pred : ndarray of shape (n_points,), default=None
        The model's prediction; drawn in its own panel when ``y_true_pre``
        is given (the output is then not the pre-activation).
    y_true : ndarray of shape (n_points,), default=None
        The target function.
    y_true_pre : ndarray of shape (n_points,), default=None
        The target in the units of the output pre-activation (the inverse of
        the output unit applied to ``y_true``), for a non-linear output.
    estimator_name : str, default=None
        Title label.

    Attributes
    ----------
    component_lines_ : list of Line2D
        One per drawn component.
    bias_line_ : Line2D or None
        The output bias, when it is not folded into the components.
    total_line_ : Line2D
        The sum of the components plus the output bias.
    target_line_ : Line2D or None
        The target beside the sum (pre-activation units).
    prediction_line_ : Line2D or None
        The prediction, in the bottom panel of a non-linear output.
    output_target_line_ : Line2D or None
        The target beside the prediction, in that bottom panel.
    ax_ : ndarray of matplotlib Axes
        Two panels, or three for a non-linear output.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_uat import ReluKnotRegressor
    >>> from sklearn_uat.datasets import make_function
    >>> from sklearn_uat.plotting import DecompositionDisplay
    >>> X, y = make_function("sine", 200, sampling="grid")
    >>> model = ReluKnotRegressor(n_knots=6).fit(X, y)
    >>> display = DecompositionDisplay.from_estimator(model, "sine")
    >>> len(display.component_lines_), len(display.ax_)
    (6, 2)
    """

    def __init__(
        self,
        x,
        components,
        total,
        *,
        bias=0.0,
        y_pred=None,
        y_true=None,
        y_true_pre=None,
        estimator_name=None,
    ):
        self.x = x
        self.components = components
        self.total = total
        self.bias = bias
        self.y_pred = y_pred
        self.y_true = y_true
        self.y_true_pre = y_true_pre
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
            Its last step has a ``network_`` with one hidden layer (then
            only width-one layers, for a sigmoid output), and optionally a
            ``decompose`` method giving the components.
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
            The sum always includes every component.
        ax : array of two (or, for a non-linear output, three) Axes, default=None

        Returns
        -------
        display : DecompositionDisplay
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
        components, bias, head = _components(model, X_model)
        total = components.sum(axis=1) + bias
        if hasattr(model, "outer_heights_"):
            # A BumpNet's output bias is its left open end's level: folded
            # into the first column, that column is the first bump continued
            # to the left, and the columns alone sum to the pre-activation.
            components[:, 0] += bias
            bias = 0.0
        if max_components is not None and components.shape[1] > max_components:
            keep = np.unique(
                np.linspace(0, components.shape[1] - 1, max_components).round()
            ).astype(int)
            components = components[:, keep]
        y_true = None if target is None else target.func(X)
        y_true_pre = None
        if head is not None and y_true is not None:
            y_true_pre = _invert_monotone(
                head, y_true, (float(total.min()), float(total.max()))
            )
        return cls(
            x,
            components,
            total,
            bias=bias,
            y_pred=np.asarray(estimator.predict(X), dtype=float),
            y_true=y_true,
            y_true_pre=y_true_pre if head is not None else None,
            estimator_name=type(model).__name__,
        )._plot(ax, nonlinear=head is not None)

    def plot(self, ax=None):
        """Draw the components, their sum and, for a non-linear output, the output.

        Parameters
        ----------
        ax : array of two or three matplotlib Axes, default=None

        Returns
        -------
        display : DecompositionDisplay
        """
        nonlinear = self.y_pred is not None and not np.allclose(self.y_pred, self.total)
        return self._plot(ax, nonlinear)

    def _plot(self, ax, nonlinear):
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        n_panels = 3 if nonlinear else 2
        if ax is None:
            height = [6.0, 8.0][n_panels - 2]
            _, axes = plt.subplots(
                n_panels, 1, sharex=True, figsize=(7, height), layout="constrained"
            )
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if len(axes) != n_panels:
                raise ValueError(
                    f"ax must hold {n_panels} Axes for this model (components, "
                    f"sum{', output' if nonlinear else ''}); got {len(axes)}."
                )
        top, middle = axes[0], axes[1]
        components = np.asarray(self.components, dtype=float)
        cmap = plt.get_cmap("viridis")
        n = components.shape[1]
        self.component_lines_ = [
            top.plot(self.x, components[:, j], lw=0.9, color=cmap(j / max(n - 1, 1)))[0]
            for j in range(n)
        ]
        self.bias_line_ = None
        if self.bias:
            self.bias_line_ = top.axhline(
                self.bias, color="grey", ls="--", lw=1, label="output bias"
            )
            top.legend(fontsize="small", loc="best")
        top.set_ylabel("contribution")
        top.set_title(f"{self.estimator_name}: {n} components")
        (self.total_line_,) = middle.plot(
            self.x, self.total, color="tab:purple", lw=1.5, label="sum of components"
        )
        reference = self.y_true_pre if nonlinear else self.y_true
        self.target_line_ = None
        if reference is not None:
            label = "target through the inverse output" if nonlinear else "target"
            (self.target_line_,) = middle.plot(
                self.x, reference, "k--", lw=1, label=label
            )
        middle.set_ylabel("pre-activation" if nonlinear else "output")
        middle.legend(fontsize="small", loc="best")
        self.prediction_line_ = None
        self.output_target_line_ = None
        if nonlinear:
            bottom = axes[2]
            (self.prediction_line_,) = bottom.plot(
                self.x, self.y_pred, color="tab:orange", lw=1.5, label="prediction"
            )
            if self.y_true is not None:
                (self.output_target_line_,) = bottom.plot(
                    self.x, self.y_true, "k--", lw=1, label="target"
                )
            bottom.set_ylabel("output")
            bottom.legend(fontsize="small", loc="best")
        axes[-1].set_xlabel("x")
        self.ax_ = axes
        self.figure_ = top.figure
        return self
