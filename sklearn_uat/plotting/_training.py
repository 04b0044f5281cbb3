"""How a trained network learns: loss curves and snapshots of the fit."""

import numpy as np
from sklearn.base import clone
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from .. import TrainedMLPRegressor
from ._approximation import _resolve_target


def _check_trained(estimator):
    """The final step of ``estimator``, if it is a network trained by epochs."""
    model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if not isinstance(model, (TrainedMLPRegressor, MLPRegressor)):
        raise ValueError(
            "TrainingDisplay needs a network trained by gradient descent that "
            "records loss_curve_ (TrainedMLPRegressor or scikit-learn's "
            f"MLPRegressor); got {type(model).__name__}."
        )
    return model


def _train_torch_model(model, X, y, epochs, X_eval):
    """Fit ``model`` (a TrainedMLPRegressor clone) once, predicting at ``epochs``.

    The model records its network after those epochs in ``snapshots_``.
    """
    if max(epochs) > model.max_epochs:
        raise ValueError(
            f"epochs go up to {max(epochs)} but the model trains for "
            f"max_epochs={model.max_epochs}; raise max_epochs or drop those "
            "epochs."
        )
    model.set_params(snapshot_epochs=epochs, warm_start=False)
    model.fit(X, y)
    return {
        epoch: network.forward(X_eval) for epoch, network in model.snapshots_.items()
    }


def _train_sklearn_model(model, X, y, epochs, X_eval):
    """Train ``model`` (an MLPRegressor clone) epoch by epoch with partial_fit."""
    if 0 in epochs:
        raise ValueError(
            f"{type(model).__name__} draws its weights in its first partial_fit "
            "call, so there is no epoch 0 to show; start epochs at 1."
        )
    if model.solver == "lbfgs":
        raise ValueError(
            "MLPRegressor(solver='lbfgs') has no partial_fit; use solver='adam' "
            "or 'sgd' for a TrainingDisplay."
        )
    if model.early_stopping:
        raise ValueError(
            f"{type(model).__name__}(early_stopping=True) cannot be trained "
            "epoch by epoch with partial_fit; set early_stopping=False for a "
            "TrainingDisplay."
        )
    snapshots = {}
    for epoch in range(1, max(epochs) + 1):
        model.partial_fit(X, y)
        if epoch in epochs:
            snapshots[epoch] = np.asarray(model.predict(X_eval), dtype=float)
    return snapshots


def _validation_curve(model):
    scores = getattr(model, "validation_scores_", None)
    if scores is None or len(scores) == 0:
        return None
    return np.asarray(scores, dtype=float)


class TrainingDisplay:
    """Loss curves of a trained network and snapshots of its fit.

    The left panel draws the training loss at each epoch on a log scale
    and, when the model held out validation data (``early_stopping=True``),
    the validation error ``1 - R^2`` beside it (for
    :class:`~sklearn_uat.TrainedMLPRegressor` both are mean squared errors
    relative to the target's variance). The right panel,
    for a model of one input trained by :meth:`from_training`, draws the
    model's function after chosen epochs beside the target: how the fit
    spreads over the domain as training goes on.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss after each epoch.
    validation_scores : array-like of shape (n_epochs,), default=None
        Validation R^2 after each epoch.
    x : ndarray of shape (n_points,), default=None
        Evaluation points of the snapshots (one input).
    snapshots : dict of int to ndarray of shape (n_points,), default=None
        Epoch to the model's predictions at ``x`` after that epoch (0: the
        initial weights).
    y_true : ndarray of shape (n_points,), default=None
        The target function at ``x``.
    X_train, y_train : ndarray, default=None
        Training data, drawn faintly behind the snapshots.
    loss_name : str, default="training loss"
        Label of the loss axis.
    estimator_name : str, default=None
        Title label.

    Attributes
    ----------
    loss_line_ : Line2D
        The training loss.
    validation_line_ : Line2D or None
        The validation error ``1 - R^2``.
    snapshot_lines_ : dict of int to Line2D
        The fit after each snapshot epoch.
    target_line_ : Line2D or None
        The target beside the snapshots.
    ax_ : ndarray of matplotlib Axes
        The loss panel, then the snapshot panel when there are snapshots.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_uat import TrainedMLPRegressor
    >>> from sklearn_uat.datasets import make_function
    >>> from sklearn_uat.plotting import TrainingDisplay
    >>> X, y = make_function("sine", 200, random_state=0)
    >>> model = TrainedMLPRegressor((8,), max_epochs=20, random_state=0)
    >>> display = TrainingDisplay.from_training(
    ...     model, X, y, epochs=[0, 5, 20], target="sine"
    ... )
    >>> sorted(display.snapshot_lines_), len(display.loss_curve)
    ([0, 5, 20], 20)
    """

    def __init__(
        self,
        loss_curve,
        *,
        validation_scores=None,
        x=None,
        snapshots=None,
        y_true=None,
        X_train=None,
        y_train=None,
        loss_name="training loss",
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.x = x
        self.snapshots = snapshots
        self.y_true = y_true
        self.X_train = X_train
        self.y_train = y_train
        self.loss_name = loss_name
        self.estimator_name = estimator_name

    @staticmethod
    def _loss_name(model):
        if isinstance(model, TrainedMLPRegressor):
            return "training loss (MSE of the standardised target)"
        return "training loss (half MSE)"

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Plot the loss curves of a fitted network.

        Parameters
        ----------
        estimator : fitted TrainedMLPRegressor, MLPRegressor or Pipeline
            Its last step records ``loss_curve_`` (and ``validation_scores_``
            with early stopping).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if None.

        Returns
        -------
        display : TrainingDisplay
        """
        model = _check_trained(estimator)
        check_is_fitted(model)
        if getattr(model, "loss_curve_", None) is None:
            raise ValueError(
                f"{type(model).__name__} recorded no loss_curve_ (L-BFGS in "
                "scikit-learn's MLPRegressor does not); train it with a "
                "stochastic solver."
            )
        return cls(
            np.asarray(model.loss_curve_, dtype=float),
            validation_scores=_validation_curve(model),
            loss_name=cls._loss_name(model),
            estimator_name=type(model).__name__,
        ).plot(ax=ax)

    @classmethod
    def from_training(
        cls,
        estimator,
        X,
        y,
        *,
        epochs=(0, 10, 100),
        target=None,
        domain=None,
        n_points=500,
        ax=None,
    ):
        """Train a clone of ``estimator`` on ``(X, y)``, keeping snapshots.

        A :class:`~sklearn_uat.TrainedMLPRegressor` is trained once, for its
        own ``max_epochs`` (its learning-rate schedule unchanged), with
        ``snapshot_epochs=epochs``: it keeps its network after each of those
        epochs in ``snapshots_`` (epoch 0 is the initialisation). scikit-learn's
        :class:`~sklearn.neural_network.MLPRegressor` is trained by
        ``partial_fit``, one epoch per call, up to the last of ``epochs``.

        Parameters
        ----------
        estimator : TrainedMLPRegressor or MLPRegressor
            Unfitted (it is cloned; the original is left untouched).
        X : array-like of shape (n_samples, 1)
            Training inputs (one input).
        y : array-like of shape (n_samples,)
            Targets.
        epochs : sequence of int, default=(0, 10, 100)
            Epochs after which to draw the fit.
        target : str or SeedFunction, default=None
            The function approximated: drawn, and gives the domain.
        domain : array-like of shape (1, 2), default=None
            Overrides the domain (else the target's or the data's range).
        n_points : int, default=500
            Evaluation points of the snapshots.
        ax : array of two matplotlib Axes, default=None
            Loss panel and snapshot panel; a new figure if None.

        Returns
        -------
        display : TrainingDisplay
            With ``estimator_``, the trained clone.
        """
        model = clone(_check_trained(estimator))
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if X.ndim != 2 or X.shape[1] != 1:
            raise ValueError(
                "TrainingDisplay.from_training draws snapshots of a model of one "
                f"input; X has shape {X.shape}."
            )
        epochs = sorted({int(e) for e in epochs})
        if not epochs or epochs[0] < 0:
            raise ValueError(
                f"epochs must be non-negative integers; got {list(epochs)}."
            )
        target = _resolve_target(target)
        if domain is None:
            domain = target.domain if target is not None else None
        if domain is None:
            domain = [[X.min(), X.max()]]
        domain = np.asarray(domain, dtype=float).reshape(-1, 2)
        if domain.shape[0] != 1:
            raise ValueError(
                f"The domain has {domain.shape[0]} inputs; the snapshots need one."
            )
        x = np.linspace(domain[0, 0], domain[0, 1], n_points)
        X_eval = x.reshape(-1, 1)
        if isinstance(model, TrainedMLPRegressor):
            snapshots = _train_torch_model(model, X, y, epochs, X_eval)
        else:
            snapshots = _train_sklearn_model(model, X, y, epochs, X_eval)
        display = cls(
            np.asarray(model.loss_curve_, dtype=float),
            validation_scores=_validation_curve(model),
            x=x,
            snapshots=snapshots,
            y_true=None if target is None else target.func(X_eval),
            X_train=X,
            y_train=y,
            loss_name=cls._loss_name(model),
            estimator_name=type(model).__name__,
        )
        display.estimator_ = model
        return display.plot(ax=ax)

    def plot(self, ax=None):
        """Draw the loss panel and, with snapshots, the snapshot panel.

        Parameters
        ----------
        ax : matplotlib Axes or array of two Axes, default=None
            One Axes without snapshots, two with them.

        Returns
        -------
        display : TrainingDisplay
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        n_panels = 2 if self.snapshots else 1
        if ax is None:
            _, axes = plt.subplots(
                1, n_panels, figsize=(5.2 * n_panels, 4.2), layout="constrained"
            )
            axes = np.atleast_1d(axes)
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
            if len(axes) != n_panels:
                raise ValueError(
                    f"ax must hold {n_panels} Axes for this plot (loss"
                    f"{', snapshots' if n_panels == 2 else ''}); got {len(axes)}."
                )
        loss_ax = axes[0]
        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, loss.size + 1)
        (self.loss_line_,) = loss_ax.semilogy(
            epochs, loss, color="tab:blue", label="training loss"
        )
        loss_ax.set_xlabel("epoch")
        loss_ax.set_ylabel(self.loss_name)
        loss_ax.grid(True, which="both", alpha=0.3)
        self.validation_line_ = None
        if self.validation_scores is not None:
            scores = np.asarray(self.validation_scores, dtype=float)
            error = np.clip(1.0 - scores, 1e-16, None)
            (self.validation_line_,) = loss_ax.semilogy(
                np.arange(1, scores.size + 1),
                error,
                color="tab:red",
                label="validation 1 - R²",
            )
            loss_ax.legend(fontsize="small", loc="best")
        if self.estimator_name:
            loss_ax.set_title(f"{self.estimator_name}: loss")
        self.snapshot_lines_ = {}
        self.target_line_ = None
        if self.snapshots:
            snap_ax = axes[1]
            if self.X_train is not None and self.y_train is not None:
                snap_ax.scatter(
                    np.asarray(self.X_train)[:, 0],
                    self.y_train,
                    s=4,
                    color="0.8",
                    zorder=0,
                    label="training data",
                )
            if self.y_true is not None:
                (self.target_line_,) = snap_ax.plot(
                    self.x, self.y_true, "k--", lw=1.2, label="target"
                )
            cmap = plt.get_cmap("plasma")
            order = sorted(self.snapshots)
            for i, epoch in enumerate(order):
                colour = cmap(0.85 * i / max(len(order) - 1, 1))
                (line,) = snap_ax.plot(
                    self.x,
                    self.snapshots[epoch],
                    color=colour,
                    lw=1.4,
                    label=f"epoch {epoch}",
                )
                self.snapshot_lines_[epoch] = line
            snap_ax.set_xlabel("x")
            snap_ax.set_ylabel("y")
            snap_ax.set_title("the fit as training goes on")
            snap_ax.legend(fontsize="small", loc="best")
        self.ax_ = axes
        self.figure_ = loss_ax.figure
        return self
