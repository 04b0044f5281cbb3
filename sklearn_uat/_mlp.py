"""A multi-layer perceptron trained by gradient descent, through skorch.

:class:`TrainedMLPRegressor` is the way most people meet the universal
approximation theorem: a torch MLP fitted by a stochastic optimiser. It builds
a :class:`skorch.NeuralNetRegressor` inside ``fit`` and keeps it as ``net_``,
and exposes the trained weights as a float64
:class:`~sklearn_uat.FeedForwardNetwork` on raw inputs, like every regressor
of the package.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

from ._base import NetworkRegressorMixin
from ._mlp_data import symmetric_input_scaling, target_scaling_of, training_sets
from ._mlp_init import check_init_from, starting_weights
from ._network import ACTIVATIONS, FeedForwardNetwork
from ._stream import check_domain
from ._validation import check_sample_weight, warn

WEIGHT_INITS = (
    "default",
    "he_uniform",
    "he_normal",
    "xavier_uniform",
    "xavier_normal",
    "uniform",
)
OPTIMIZERS = ("adam", "sgd", "rmsprop", "lbfgs")


class TrainedMLPRegressor(NetworkRegressorMixin, RegressorMixin, BaseEstimator):
    """Multi-layer perceptron regressor trained by gradient descent in torch.

    A dense network ``hidden_layer_sizes`` wide, trained with skorch on
    float32 tensors fed in pre-shuffled slices, on the mean squared error
    (weighted by ``sample_weight`` when given). Inputs are scaled to
    [-1, 1] and, with ``scale_target``, targets standardised inside the
    model, each column on its own; both maps are folded into the trained
    weights, so ``coefs_`` and ``intercepts_`` form a network on raw inputs
    whose float64 forward pass is :meth:`predict`. ``y`` may have several
    columns (one output unit each).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Width of each hidden layer.

    activation : str or list of str, default="tanh"
        Activation of the hidden layers: one of ``"relu"``, ``"tanh"``,
        ``"sigmoid"``, ``"identity"``, ``"gelu"``, ``"silu"``, ``"sin"``,
        or a list with one name per hidden layer (a Keras-style network
        that starts with a linear layer: ``["identity", "tanh", "tanh"]``).
        The output layer is linear.

    weight_init : str, default="default"
        How the weights are drawn before training.

        - ``"default"``: :class:`torch.nn.Linear`'s own initialisation.
        - ``"he_uniform"``, ``"he_normal"``: He et al.'s scaling for ReLU,
          zero biases.
        - ``"xavier_uniform"``, ``"xavier_normal"``: Glorot and Bengio's
          scaling (Keras' default), zero biases.
        - ``"uniform"``: uniform on [-0.05, 0.05] with zero biases, Keras'
          ``"uniform"`` initializer.

    optimizer : {"adam", "sgd", "rmsprop", "lbfgs"}, default="adam"
        The torch optimiser. ``"sgd"`` uses ``momentum``; ``"rmsprop"``
        uses a squared-gradient average of factor 0.9 (Keras' default);
        ``"lbfgs"`` takes full-batch L-BFGS steps of up to 20 iterations
        each with a strong Wolfe line search, ignoring ``learning_rate``
        and ``batch_size``.

    learning_rate : float, default=1e-2
        Initial step size.

    batch_size : int or "auto", default="auto"
        Samples per gradient step; a batch larger than the training set
        means full-batch training. ``"auto"`` is
        ``min(256, max(16, n_samples // 16))``: batches of 256 on large data,
        and at least 16 steps per epoch on small data.

    max_epochs : int, default=60
        Passes over the training data (L-BFGS steps with ``"lbfgs"``).

    momentum : float, default=0.9
        Momentum of ``"sgd"``.

    alpha : float, default=0.0
        L2 penalty: ``alpha / 2`` times the sum of squared weights (not
        biases) is added to the training loss, the objective whose
        gradient is torch's ``weight_decay=alpha``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when
        its loss has not improved for ``n_iter_no_change`` epochs, and keep
        the weights of the best epoch.

    validation_fraction : float, default=0.1
        Share of the samples held out with ``early_stopping``.

    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping; with
        ``lr_schedule="plateau"``, the learning rate is halved after
        ``max(1, n_iter_no_change // 2)`` such epochs.

    tol : float, default=1e-4
        Relative decrease of the validation loss that counts as an
        improvement for early stopping.

    lr_schedule : {"cosine", "plateau"} or None, default="cosine"
        How the learning rate evolves over a fit: ``"cosine"`` anneals it
        to zero along half a cosine over ``max_epochs``; ``"plateau"``
        halves it when the monitored loss (validation loss with early
        stopping, else training loss) stalls; ``None`` keeps it constant.
        It does not apply to ``"lbfgs"``, whose line search sets its steps,
        nor to ``partial_fit``, whose single epochs all use
        ``learning_rate``.

    scale_target : bool, default=True
        Standardise ``y`` inside the model (no
        :class:`~sklearn.compose.TransformedTargetRegressor` needed); the
        scaling is folded into the output layer.

    domain : array-like of shape (n_features, 2), default=None
        The ``(lo, hi)`` range of each input, mapped onto [-1, 1] instead of
        the training range: it fixes the input scaling of
        :meth:`partial_fit` before any chunk is seen, so that chunks that do
        not each cover the range are scaled alike. A later chunk with rows
        outside the range the scaling came from (``domain``, else the first
        chunk) raises a UserWarning.

    init_from : "knots", estimator, FeedForwardNetwork or None, default=None
        Constructive initialisation: start gradient descent from a
        closed-form ReLU network, such as a fitted
        :class:`~sklearn_uat.ReluKnotRegressor` or a deep network of
        :mod:`sklearn_uat.construct`. ``"knots"`` fits a
        ``ReluKnotRegressor`` to the training data and keeps its units that
        are nonzero on the training inputs, at most
        ``min(hidden_layer_sizes)`` of them (for one input, ``width + 1``
        knots: the unit facing left of the first knot is zero on the
        training range, a dead ReLU, and is left out); an unfitted estimator is cloned
        and fitted to the training data. Requires ``activation="relu"``;
        see Notes for how the units are placed. Training then refines the
        start, and its first Adam steps move every weight by about
        ``learning_rate``, so the default 1e-2 can undo much of an accurate
        start: on ``multiscale`` (2,000 samples, (64, 64) ReLU units), a
        start with test RMSE 9.2e-4 ends at 3.4e-2 after the default 60
        epochs, at 7.1e-3 with ``learning_rate=1e-3`` and at 1.1e-3 with
        1e-4. Lower ``learning_rate`` to keep a fine start. Deep starts
        fare the same: ``construct.square(9)`` (nine hidden layers of 3
        ReLUs, max error 9.5e-7 for ``x^2`` on [0, 1]), trained on 2,000
        samples for the default 60 epochs, ends at a max error of 3.7e-3
        with the default learning rate, 6.0e-4 with 1e-3 and 1.9e-5 with
        1e-4, while the same shape from five random starts ends at 0.67
        every time (every unit dead, a constant output).

    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where torch trains. The default gives the same model on every
        machine; ``"cuda"`` trains on a GPU (a ValueError where torch sees
        none), with results close to but not bit-identical to the CPU's;
        ``"auto"`` takes a GPU when there is one. A model fitted on a GPU
        unpickles and predicts on a CPU-only machine.

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the order of the batches and the validation
        split. An int gives bit-identical predictions from run to run on
        the CPU.

    verbose : int, default=0
        0: silent. 1: skorch's table of losses, one row per epoch. 2: a
        tqdm progress bar over the epochs.

    warm_start : bool, default=False
        Let ``fit`` continue training the fitted network (same
        architecture, same input and target scaling) for ``max_epochs``
        more epochs, the learning rate schedule restarted. The optimizer
        keeps its state while ``optimizer`` and ``momentum`` are unchanged;
        changing either starts the new optimizer from the trained weights.

    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (or ``(name, callback)`` pairs), passed
        through to ``net_`` after the package's own; they are copied, so
        the objects passed stay untouched.

    snapshot_epochs : sequence of int or None, default=None
        Epochs after which to keep a copy of the network in ``snapshots_``
        (0: the initial weights; epochs count over warm starts and
        ``partial_fit`` calls). The recording reads the weights at the end
        of those epochs only and leaves training unchanged.

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The skorch net that trained the model, its ``module_`` (the torch
        network on scaled inputs and targets, in float32), its optimizer and
        its ``history``. It keeps no reference to the training data. Pickles
        (and skops files) hold it as numpy arrays and plain values, so a
        saved model loads without a GPU and continues training the same.

    network_ : FeedForwardNetwork
        The trained network on raw inputs and targets, float64 copies of
        ``net_.module_``'s weights with the input and target scalings folded
        in. :meth:`predict` is its forward pass.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the (n_in, n_out) weight matrix of layer ``i``,
        float64, read from ``network_`` (the layout of
        :class:`~sklearn.neural_network.MLPRegressor`).

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i``.

    activations_ : list of str
        The activation after each layer, ``"identity"`` last.

    n_parameters_ : int
        Number of weights and biases.

    loss_curve_ : list of float
        Training loss at each epoch so far: mean squared error of the
        scaled targets (weighted, over all outputs), plus the L2 penalty.

    validation_scores_ : list of float or None
        With ``early_stopping``: the R^2 score of the held-out samples at
        each epoch of the last ``fit``; else None.

    best_validation_score_ : float or None
        With ``early_stopping``: the best of ``validation_scores_``, the
        epoch whose weights were kept; else None.

    n_iter_ : int
        Number of epochs trained so far.

    input_offset_ : ndarray of shape (`n_features_in_`,)
        Centre of the training range of each input (over the samples of
        nonzero weight).

    input_scale_ : ndarray of shape (`n_features_in_`,)
        Half the training range of each input (0.5 for a constant input):
        the network is trained on ``(X - input_offset_) / input_scale_``.

    target_offset_ : ndarray of shape (n_outputs,)
        Mean of each column of ``y`` (weighted by ``sample_weight``) with
        ``scale_target``, else 0.

    target_scale_ : ndarray of shape (n_outputs,)
        Standard deviation of each column of ``y`` with ``scale_target``
        (``|mean|`` for a constant column, 1 when it is all zeros), else 1.

    snapshots_ : dict of int to FeedForwardNetwork
        The network on raw inputs after each epoch of ``snapshot_epochs``
        reached so far; empty without them.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The same model in numpy.
    skorch.NeuralNetRegressor : The training loop used here.

    Notes
    -----
    The universal approximation theorem promises that a wide enough network
    *can* approximate a continuous function; whether gradient descent finds
    such weights depends on the initialisation, the depth and the
    optimiser [1]_, the knobs exposed here.

    Constructive initialisation places a closed-form ReLU network inside
    this one so that the untrained model computes exactly the same
    function. The ``k_i`` units of its hidden layer ``i`` become the first
    ``k_i`` units of hidden layer ``i`` here (the first layer's input
    weights and biases converted to the scaled inputs, the output weights
    to the scaled target). Hidden layers beyond the network's depth carry
    its last layer's ``k`` values through unchanged: unit ``j < k`` gets
    weight 1 from unit ``j`` of the layer below, 0 from the others and bias
    0, exact since ReLU values are non-negative. The other units keep their
    ``weight_init`` draw but have zero output (or carried-unit) weights, so
    they start silent and grow in training. Every hidden layer must
    therefore be at least as wide as the network's layer it holds.

    Training is tuned for small networks, where torch's per-call overhead
    is most of the cost: pre-sliced batches, one flat weight tensor,
    back-propagation written by hand (tested against autograd), epochs
    that skip skorch's per-batch hooks when no callback listens, and one
    torch thread for small batches on the CPU.

    Sample weights multiply each row's squared error, normalised to mean 1
    over the training rows, so integer weights give the objective of
    repeated rows and zero weights that of dropped rows (the scalings ignore
    rows of zero weight too). The batches of an epoch differ from those of
    the repeated data, so the two trained networks agree within training
    noise rather than exactly.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of
       training deep feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_uat import TrainedMLPRegressor
    >>> from sklearn_uat.datasets import make_function
    >>> X, y = make_function("sine", n_samples=500, random_state=0)
    >>> model = TrainedMLPRegressor(
    ...     hidden_layer_sizes=(32,), max_epochs=100, random_state=0
    ... ).fit(X, y)
    >>> bool(model.score(X, y) > 0.99)
    True
    >>> [W.shape for W in model.coefs_], model.activations_
    ([(1, 32), (32, 1)], ['tanh', 'identity'])
    >>> bool(np.array_equal(model.predict(X), model.network_.forward(X)))
    True

    Several targets, with sample weights:

    >>> weights = np.linspace(0.5, 1.5, 500)
    >>> model.fit(X, np.c_[y, 2 * y], sample_weight=weights).predict(X).shape
    (500, 2)
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
        "weight_init": [StrOptions(set(WEIGHT_INITS))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions({"cosine", "plateau"}), None],
        "scale_target": ["boolean"],
        "domain": ["array-like", None],
        "init_from": [
            StrOptions({"knots"}),
            FeedForwardNetwork,
            HasMethods(["fit"]),
            None,
        ],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
        "warm_start": ["boolean"],
        "callbacks": [list, None],
        "snapshot_epochs": ["array-like", None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64, 64),
        activation="tanh",
        *,
        weight_init="default",
        optimizer="adam",
        learning_rate=1e-2,
        batch_size="auto",
        max_epochs=60,
        momentum=0.9,
        alpha=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        lr_schedule="cosine",
        scale_target=True,
        domain=None,
        init_from=None,
        device="cpu",
        random_state=None,
        verbose=0,
        warm_start=False,
        callbacks=None,
        snapshot_epochs=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.weight_init = weight_init
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.momentum = momentum
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.lr_schedule = lr_schedule
        self.scale_target = scale_target
        self.domain = domain
        self.init_from = init_from
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.snapshot_epochs = snapshot_epochs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; float64 and float32 are both accepted.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the training loss (and in
            the input and target scalings); None weighs all samples equally.

        Returns
        -------
        self : TrainedMLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``X``, ``y``, continuing from the last call.

        The first call builds the network and takes the input scaling from
        ``domain`` (else from its data) and the target scaling from its
        data. Early stopping does not apply. A chunk with inputs outside the
        range that the input scaling came from raises a UserWarning: pass
        ``domain`` when the chunks do not each cover the range.

        Each call is one epoch of stochastic gradient descent on that chunk
        alone, so the order of the chunks is the order of training: chunks
        sorted by an input (or by the target) train the network on one part
        of the range at a time, and each epoch pulls it towards its own part
        and away from what earlier chunks taught. Shuffle the rows across
        chunks (dask-ml's ``Incremental`` shuffles blocks, not rows) or
        prefer :meth:`fit` when the data fit in memory. The closed-form
        estimators' ``partial_fit`` has no such order effect: it is exact.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in this epoch's loss.

        Returns
        -------
        self : TrainedMLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # ------------------------------------------------------------------ fit

    def _hidden_activations(self, hidden):
        if isinstance(self.activation, str):
            return [self.activation] * len(hidden)
        activations = list(self.activation)
        if len(activations) != len(hidden) or any(
            a not in ACTIVATIONS for a in activations
        ):
            raise ValueError(
                "activation must be one of "
                f"{ACTIVATIONS} or a list with one of them per hidden layer "
                f"({len(hidden)} here); got {self.activation!r}."
            )
        return activations

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral):
            sizes = [sizes]
        sizes = list(sizes)
        if not all(isinstance(s, Integral) and s >= 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers, e.g. (64, 64); "
                f"got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _snapshot_epochs(self):
        epochs = self.snapshot_epochs
        if epochs is None:
            return ()
        epochs = sorted({e for e in np.atleast_1d(epochs).tolist()})
        if not all(isinstance(e, Integral) and e >= 0 for e in epochs):
            raise ValueError(
                "snapshot_epochs must hold non-negative integers (0: the initial "
                f"weights); got {self.snapshot_epochs!r}."
            )
        return tuple(int(e) for e in epochs)

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(256, max(16, n_samples // 16))
        return min(self.batch_size, n_samples)

    def _fit(self, X, y, sample_weight, incremental):
        from . import _mlp_torch

        continuing = (incremental or self.warm_start) and hasattr(self, "net_")
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            y_numeric=True,
            multi_output=True,
            dtype=[np.float64, np.float32],
        )
        Y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
            if np.all(sample_weight == sample_weight[0]):
                sample_weight = None  # equal weights weigh nothing
        hidden = self._hidden_sizes()
        hidden_activations = self._hidden_activations(hidden)
        activations = [*hidden_activations, "identity"]
        layer_sizes = [X.shape[1], *hidden, Y.shape[1]]
        device = _mlp_torch.resolve_device(self.device)
        # Checks that can fail come before any fitted attribute changes.
        callbacks = _mlp_torch.checked_callbacks(self.callbacks)
        snapshot_epochs = self._snapshot_epochs()
        rows = X.shape[0] if self.optimizer == "lbfgs" else self._batch_size(X.shape[0])
        _mlp_torch.check_memory(self.optimizer, layer_sizes, rows)
        if self.init_from is not None and not continuing:
            check_init_from(self.activation, hidden_activations)
        rng = check_random_state(self.random_state)
        early_stopping = self.early_stopping and not incremental

        if continuing:
            fitted = self.net_.module_
            if fitted.layer_sizes != layer_sizes or fitted.activations != activations:
                raise ValueError(
                    "warm_start and partial_fit continue the fitted network, "
                    f"with layers {fitted.layer_sizes} and activations "
                    f"{fitted.activations}; the parameters and data now ask for "
                    f"{layer_sizes} and {activations}. Set warm_start=False "
                    "to train a new network."
                )
            input_scaling = self.input_offset_, self.input_scale_
            _warn_outside(X, *input_scaling, bool(self.domain is not None))
            target_scaling = self.target_offset_, self.target_scale_
        else:
            input_scaling = symmetric_input_scaling(X, sample_weight)
            if self.domain is not None:
                lo, hi = check_domain(self.domain, X.shape[1])
                input_scaling = (lo + hi) / 2, (hi - lo) / 2
            target_scaling = target_scaling_of(Y, sample_weight, self.scale_target)

        train, valid = training_sets(
            X,
            Y,
            sample_weight,
            input_scaling,
            target_scaling,
            self.validation_fraction if early_stopping else None,
            rng,
        )
        n_train = train[0].shape[0]

        start = None
        if not continuing:
            coefs, intercepts = starting_weights(
                self.init_from,
                self.weight_init,
                rng.randint(2**31 - 1),
                (X, y, sample_weight),
                layer_sizes,
                input_scaling,
                target_scaling,
            )
            start = (layer_sizes, activations, coefs, intercepts)
        plan = _mlp_torch.TrainingPlan(
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            batch_size=self._batch_size(n_train),
            epochs=1 if incremental else self.max_epochs,
            alpha=self.alpha,
            lr_schedule=self.lr_schedule,
            schedule=not incremental,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            device=device,
            verbose=int(self.verbose),
            callbacks=callbacks,
            snapshot_epochs=snapshot_epochs,
        )
        net, snapshots = _mlp_torch.train(
            self.net_ if continuing else None,
            plan,
            start,
            train,
            valid,
            seed=rng.randint(2**31 - 1),
        )

        def on_raw_data(coefs, intercepts):
            network = FeedForwardNetwork(coefs, intercepts, activations)
            return network.with_input_scaling(*input_scaling).with_output_scaling(
                *target_scaling
            )

        network = on_raw_data(*_mlp_torch.read_weights(net.module_))
        weights = (*network.coefs, *network.intercepts)
        if not all(np.all(np.isfinite(a)) for a in weights):
            raise ValueError(
                "Training diverged: the network's weights are no longer finite. "
                "Lower learning_rate, or use optimizer='adam' with "
                "scale_target=True."
            )
        history = net.history
        n_epochs = len(history) - (len(self.loss_curve_) if continuing else 0)
        scores = None
        if valid is not None:
            scores = _mlp_torch.validation_scores(net, n_epochs, *valid[1:])
        self.net_ = net
        self.network_ = network
        self.input_offset_, self.input_scale_ = input_scaling
        self.target_offset_, self.target_scale_ = target_scaling
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        self.n_iter_ = len(history)
        self.validation_scores_ = scores
        self.best_validation_score_ = None if scores is None else max(scores)
        previous = self.snapshots_ if continuing else {}
        self.snapshots_ = {
            **previous,
            **{epoch: on_raw_data(*w) for epoch, w in sorted(snapshots.items())},
        }
        return self

    def __getstate__(self):
        # The net is pickled as numpy arrays and plain values: the pickle
        # loads without a GPU, and skops can save it.
        state = dict(super().__getstate__())
        net = state.pop("net_", None)
        if net is not None:
            from . import _mlp_torch

            state["_net_state"] = _mlp_torch.net_state(net)
        return state

    def __setstate__(self, state):
        state = dict(state)
        net_state = state.pop("_net_state", None)
        super().__setstate__(state)
        if net_state is not None:
            from . import _mlp_torch

            self.net_ = _mlp_torch.net_from_state(net_state)


def _warn_outside(X, offset, scale, from_domain):
    """Warn when a chunk leaves the range that the input scaling came from."""
    outside = np.abs(X - offset) > scale * (1 + 1e-12)
    if outside.any():
        feature = int(np.flatnonzero(outside.any(axis=0))[0])
        source = "domain" if from_domain else "the first chunk's range"
        warn(
            f"{int(outside.any(axis=1).sum())} row(s) of this chunk lie outside "
            f"the range the input scaling came from ({source}; first at "
            f"feature {feature}): the network sees them beyond [-1, 1], where "
            "it was not trained. Pass domain= with the full range of the "
            "inputs.",
            UserWarning,
        )
