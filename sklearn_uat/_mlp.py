"""A multi-layer perceptron trained by gradient descent, through skorch.

:class:`TrainedMLPRegressor` is the way most people meet the universal
approximation theorem: a torch MLP fitted by a stochastic optimiser. It builds
a :class:`skorch.NeuralNetRegressor` inside ``fit`` and keeps it as ``net_``,
and exposes the trained weights as a float64
:class:`~sklearn_uat.FeedForwardNetwork` on raw inputs, like every regressor
of the package.
"""

import copy
import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

from ._base import NetworkRegressorMixin
from ._network import ACTIVATIONS, FeedForwardNetwork
from ._validation import check_memory_budget, minmax_scaling, standard_scaling

WEIGHT_INITS = (
    "default",
    "he_uniform",
    "he_normal",
    "xavier_uniform",
    "xavier_normal",
    "uniform",
)
OPTIMIZERS = ("adam", "sgd", "rmsprop", "lbfgs")

# Largest (batch rows) x (widest layer) for which training runs on one CPU
# thread: intra-op parallelism costs more than it brings on such small
# matrices, and it stalls when other processes share the cores.
_SINGLE_THREAD_ELEMENTS = 1 << 16

# Rows per batch when evaluating the validation loss.
_VALID_BATCH_SIZE = 8192


def _symmetric_input_scaling(X):
    """Offset and scale mapping each column of ``X`` onto [-1, 1]."""
    lower, span = minmax_scaling(X)
    return lower + span / 2, span / 2


class TrainedMLPRegressor(NetworkRegressorMixin, RegressorMixin, BaseEstimator):
    """Multi-layer perceptron regressor trained by gradient descent in torch.

    A dense network ``hidden_layer_sizes`` wide, trained with skorch on
    float32 tensors fed in pre-shuffled slices. Inputs are scaled to
    [-1, 1] and, with ``scale_target``, targets standardised inside the
    model; both maps are folded into the trained weights, so ``coefs_`` and
    ``intercepts_`` form a network on raw inputs whose float64 forward pass
    is :meth:`predict`.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Width of each hidden layer.

    activation : str or list of str, default="tanh"
        Activation of the hidden layers: one of ``"relu"``, ``"tanh"``,
        ``"sigmoid"``, ``"identity"``, ``"gelu"``, ``"silu"``, ``"sin"``,
        or a list with one name per hidden layer (seed 000's network starts
        with a linear layer: ``["identity", "tanh", "tanh"]``). The output
        layer is linear.

    weight_init : str, default="default"
        How the weights are drawn before training.

        - ``"default"``: :class:`torch.nn.Linear`'s own initialisation.
        - ``"he_uniform"``, ``"he_normal"``: He et al.'s scaling for ReLU,
          zero biases.
        - ``"xavier_uniform"``, ``"xavier_normal"``: Glorot and Bengio's
          scaling (Keras' default), zero biases.
        - ``"uniform"``: uniform on [-0.05, 0.05] with zero biases, Keras'
          ``"uniform"`` initializer of seed 002.

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

    device : {"auto", "cpu", "cuda"}, default="auto"
        Where torch trains: ``"auto"`` takes a CUDA GPU when torch sees one,
        else the CPU. ``"cuda"`` raises a ValueError on a machine without
        one. A model fitted on a GPU unpickles and predicts on a CPU-only
        machine.

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

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The skorch net that trained the model, its ``module_`` (the torch
        network on scaled inputs and targets, in float32) and its
        ``history``. It keeps no reference to the training data.

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
        scaled targets, plus the L2 penalty.

    validation_scores_ : list of float or None
        With ``early_stopping``: the R^2 score of the held-out samples at
        each epoch of the last ``fit``; else None.

    best_validation_score_ : float or None
        With ``early_stopping``: the best of ``validation_scores_``, the
        epoch whose weights were kept; else None.

    n_iter_ : int
        Number of epochs trained so far.

    input_offset_ : ndarray of shape (`n_features_in_`,)
        Centre of the training range of each input.

    input_scale_ : ndarray of shape (`n_features_in_`,)
        Half the training range of each input (0.5 for a constant input):
        the network is trained on ``(X - input_offset_) / input_scale_``.

    target_offset_ : float
        Mean of ``y`` with ``scale_target``, else 0.

    target_scale_ : float
        Standard deviation of ``y`` with ``scale_target`` (``|mean|`` for a
        constant ``y``, 1 when it is all zeros), else 1.

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

    Speed: each epoch permutes the training tensors once and slices them
    into batches (skorch's default loader collates sample by sample). The
    network's weights and biases are one flat tensor, so the optimizer
    updates a single tensor per step, and training steps back-propagate the
    squared error by hand rather than through autograd (equal up to
    rounding, and tested against it); on networks this small, torch's
    per-call overhead is most of the cost. When no callback listens to
    batches, epochs also skip skorch's per-batch notifications. On the CPU,
    when a batch times the widest layer is at most 65,536 values, training
    runs on one torch thread (the setting is restored afterwards): on
    matrices that small, intra-op threads cost more than they bring.

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
        "init_from": [
            StrOptions({"knots"}),
            FeedForwardNetwork,
            HasMethods(["fit"]),
            None,
        ],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
        "warm_start": ["boolean"],
        "callbacks": [list, None],
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
        init_from=None,
        device="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
        callbacks=None,
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
        self.init_from = init_from
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.callbacks = callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; float64 and float32 are both accepted.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self : TrainedMLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y):
        """Train for one epoch on ``X``, ``y``, continuing from the last call.

        The first call builds the network and takes the input and target
        scalings from its data. Early stopping does not apply.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self : TrainedMLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, incremental=True)

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

    def _check_callbacks(self):
        from skorch.callbacks import Callback

        for entry in self.callbacks or []:
            named = isinstance(entry, (tuple, list)) and len(entry) == 2
            callback = entry[1] if named else entry
            is_class = isinstance(callback, type) and issubclass(callback, Callback)
            if not (is_class or isinstance(callback, Callback)):
                raise TypeError(
                    "callbacks must hold skorch callbacks (skorch.callbacks."
                    "Callback instances or classes) or (name, callback) pairs; "
                    f"got {type(callback).__name__}."
                )

    def _check_init_from(self, hidden_activations):
        if not hidden_activations:
            raise ValueError(
                "init_from places a network of one hidden ReLU layer inside "
                "this one, but hidden_layer_sizes is empty; give at least one "
                "hidden layer."
            )
        if any(a != "relu" for a in hidden_activations):
            raise ValueError(
                "init_from places a ReLU network inside this one, which "
                f"needs activation='relu'; got {self.activation!r}."
            )

    def _rows_per_step(self, n_samples):
        """Rows in one training step: a batch, or all of them for L-BFGS."""
        if self.optimizer == "lbfgs":
            return n_samples
        return min(self._batch_size(n_samples), n_samples)

    def _check_memory(self, n_samples, hidden, layer_sizes):
        rows = self._rows_per_step(n_samples)
        n_parameters = sum((a + 1) * b for a, b in zip(layer_sizes, layer_sizes[1:]))
        # In float64 values: the float32 weights, gradient and optimizer state
        # (L-BFGS keeps a history of 100 vectors), the float64 copy of the
        # network, and a batch's activations kept for the backward pass.
        state = 100 if self.optimizer == "lbfgs" else 3
        check_memory_budget(
            n_parameters * (state + 1) + rows * sum(layer_sizes),
            what=f"hidden_layer_sizes={tuple(hidden)} ({n_parameters} parameters) "
            f"with batches of {rows} rows",
            fix="use fewer or narrower hidden layers, or smaller batches",
        )

    def _fit(self, X, y, incremental):
        from . import _mlp_torch

        continuing = (incremental or self.warm_start) and hasattr(self, "net_")
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            y_numeric=True,
            dtype=[np.float64, np.float32],
        )
        y = np.asarray(y, dtype=np.float64)
        hidden = self._hidden_sizes()
        hidden_activations = self._hidden_activations(hidden)
        activations = [*hidden_activations, "identity"]
        layer_sizes = [X.shape[1], *hidden, 1]
        device = _mlp_torch.resolve_device(self.device)
        # Checks that can fail come before any fitted attribute changes.
        self._check_callbacks()
        self._check_memory(X.shape[0], hidden, layer_sizes)
        if self.init_from is not None and not continuing:
            self._check_init_from(hidden_activations)
        rng = check_random_state(self.random_state)
        early_stopping = self.early_stopping and not incremental

        if continuing:
            fitted = self.net_.module_
            if fitted.layer_sizes != layer_sizes or fitted.activations != activations:
                raise ValueError(
                    "warm_start and partial_fit continue the fitted network, "
                    f"with layers {fitted.layer_sizes} and activations "
                    f"{fitted.activations}; the parameters now ask for "
                    f"{layer_sizes} and {activations}. Set warm_start=False "
                    "to train a new network."
                )
        else:
            self.input_offset_, self.input_scale_ = _symmetric_input_scaling(X)
            if self.scale_target:
                self.target_offset_, self.target_scale_ = standard_scaling(y)
            else:
                self.target_offset_, self.target_scale_ = 0.0, 1.0

        U = (np.asarray(X, dtype=np.float64) - self.input_offset_) / self.input_scale_
        z = (y - self.target_offset_) / self.target_scale_

        valid = None
        if early_stopping:
            n_valid = int(round(self.validation_fraction * X.shape[0]))
            if n_valid < 1 or X.shape[0] - n_valid < 1:
                raise ValueError(
                    f"early_stopping holds out validation_fraction="
                    f"{self.validation_fraction} of {X.shape[0]} samples, which "
                    "leaves no validation or no training sample; use more "
                    "samples, another validation_fraction, or "
                    "early_stopping=False."
                )
            order = rng.permutation(X.shape[0])
            valid = (U[order[:n_valid]], z[order[:n_valid]])
            U, z = U[order[n_valid:]], z[order[n_valid:]]

        n_epochs = 1 if incremental else self.max_epochs
        widest = max(layer_sizes)
        batch_size = self._batch_size(U.shape[0])
        rows = self._rows_per_step(U.shape[0])
        n_threads = (
            1 if device == "cpu" and rows * widest <= _SINGLE_THREAD_ELEMENTS else None
        )
        with _mlp_torch.torch_threads(n_threads):
            if not continuing:
                module = self._new_module(X, y, layer_sizes, activations, rng)
                self.net_ = self._new_net(module, device, rng, batch_size)
                self.net_.initialize()
            else:
                self._restart_run(rng, batch_size)
            self._set_run_callbacks(early_stopping, n_epochs, schedule=not incremental)
            X_train = _mlp_torch.to_tensor(U, device)
            y_train = _mlp_torch.to_tensor(z[:, None], device)
            if valid is not None:
                from skorch.dataset import Dataset
                from skorch.helper import predefined_split

                valid_set = Dataset(
                    _mlp_torch.to_tensor(valid[0], device),
                    _mlp_torch.to_tensor(valid[1][:, None], device),
                )
                self.net_.train_split = predefined_split(valid_set)
            else:
                self.net_.train_split = None
            history_start = len(self.net_.history)
            try:
                self.net_.partial_fit(X_train, y_train, epochs=n_epochs)
            finally:
                # net_ keeps no reference to the data, nor to tensors outside
                # its module and optimizer (pickles must load without a GPU).
                self.net_.train_split = None
                for _, callback in self.net_.callbacks_:
                    if hasattr(callback, "lr_scheduler_"):
                        callback.lr_scheduler_ = None
        self._store_network()
        self._store_history(history_start, valid)
        return self

    def _new_module(self, X, y, layer_sizes, activations, rng):
        import torch

        from . import _mlp_torch

        module = _mlp_torch.DenseModule(layer_sizes, activations)
        generator = torch.Generator().manual_seed(int(rng.randint(2**31 - 1)))
        _mlp_torch.initialize_weights(module, self.weight_init, generator)
        constructive = self._constructive_network(X, y, layer_sizes)
        if constructive is not None:
            coefs, intercepts = _mlp_torch.read_weights(module)
            coefs, intercepts = _embed_constructive(
                constructive,
                coefs,
                intercepts,
                self.input_offset_,
                self.input_scale_,
                self.target_offset_,
                self.target_scale_,
            )
            _mlp_torch.load_weights(module, coefs, intercepts)
        return module

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(256, max(16, n_samples // 16))
        return self.batch_size

    def _optimizer(self):
        """The torch optimizer class, its arguments, and the learning rate."""
        import torch

        if self.optimizer == "adam":
            return torch.optim.Adam, {"fused": True}, self.learning_rate
        if self.optimizer == "sgd":
            params = {"momentum": self.momentum, "fused": True}
            return torch.optim.SGD, params, self.learning_rate
        if self.optimizer == "rmsprop":
            return torch.optim.RMSprop, {"alpha": 0.9}, self.learning_rate
        return torch.optim.LBFGS, {"line_search_fn": "strong_wolfe"}, 1.0

    def _new_net(self, module, device, rng, batch_size):
        import torch

        from . import _mlp_torch

        optimizer, optimizer_params, lr = self._optimizer()
        if self.optimizer == "lbfgs":
            batch_size = -1
        return _mlp_torch.PenalizedRegressorNet(
            module,
            alpha=self.alpha,
            criterion=torch.nn.MSELoss,
            optimizer=optimizer,
            lr=lr,
            batch_size=batch_size,
            max_epochs=self.max_epochs,
            train_split=None,
            device=device,
            verbose=int(self.verbose == 1),
            iterator_train=_mlp_torch.TensorBatches,
            iterator_train__shuffle=True,
            iterator_train__random_state=np.random.RandomState(rng.randint(2**31 - 1)),
            iterator_valid=_mlp_torch.TensorBatches,
            iterator_valid__batch_size=_VALID_BATCH_SIZE,
            callbacks=[],
            **{f"optimizer__{k}": v for k, v in optimizer_params.items()},
        )

    def _restart_run(self, rng, batch_size):
        """Prepare the fitted net for another training run.

        The optimizer keeps its state (Adam's moments, say) while it stays
        the one the parameters ask for; a change of ``optimizer`` or
        ``momentum`` starts a new one on the trained weights.
        """
        net = self.net_
        optimizer, optimizer_params, lr = self._optimizer()
        current = net.optimizer_
        if type(current) is not optimizer or any(
            current.defaults.get(k) != v for k, v in optimizer_params.items()
        ):
            for key in [k for k in vars(net) if k.startswith("optimizer__")]:
                delattr(net, key)
            net.optimizer, net.lr = optimizer, lr
            for key, value in optimizer_params.items():
                setattr(net, f"optimizer__{key}", value)
            net.initialize_optimizer()
        net.batch_size = -1 if self.optimizer == "lbfgs" else batch_size
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
        net.iterator_train__random_state = np.random.RandomState(rng.randint(2**31 - 1))
        net.verbose = int(self.verbose == 1)
        net.alpha = self.alpha

    def _set_run_callbacks(self, early_stopping, n_epochs, schedule=True):
        """Give ``net_`` this run's schedule, early stopping and extras."""
        from skorch.callbacks import EarlyStopping, LRScheduler, PrintLog

        from . import _mlp_torch

        callbacks = []
        monitor = "valid_loss" if early_stopping else "train_loss"
        lr_schedule = self.lr_schedule
        if not schedule or self.optimizer == "lbfgs":
            lr_schedule = None
        if lr_schedule == "cosine":
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(
                        policy="CosineAnnealingLR", T_max=n_epochs, last_epoch=-1
                    ),
                )
            )
        elif lr_schedule == "plateau":
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(
                        policy="ReduceLROnPlateau",
                        monitor=monitor,
                        factor=0.5,
                        patience=max(1, self.n_iter_no_change // 2),
                    ),
                )
            )
        if early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        threshold_mode="rel",
                        lower_is_better=True,
                        load_best=True,
                    ),
                )
            )
        if self.verbose == 2:
            callbacks.append(("progress_bar", _mlp_torch.EpochProgressBar(n_epochs)))
        callbacks.extend(copy.deepcopy(list(self.callbacks or [])))
        self.net_.callbacks = callbacks
        # skorch formats its table at every epoch even when silent: drop it.
        self.net_.callbacks__print_log = None if self.verbose != 1 else PrintLog()
        self.net_.initialize_callbacks()

    def _constructive_network(self, X, y, layer_sizes):
        """The closed-form network that ``init_from`` names, on raw inputs."""
        init_from = self.init_from
        if init_from is None:
            return None
        if isinstance(init_from, FeedForwardNetwork):
            return init_from
        if isinstance(init_from, str):
            return _knot_network(X, y, min(layer_sizes[1:-1]))
        if hasattr(init_from, "network_"):
            return init_from.network_
        fitted = clone(init_from).fit(X, y)
        if not hasattr(fitted, "network_"):
            raise TypeError(
                "init_from must be an estimator that stores its network in "
                f"network_ (such as ReluKnotRegressor); {type(init_from).__name__} "
                "has none after fit."
            )
        return fitted.network_

    def _store_network(self):
        from . import _mlp_torch

        coefs, intercepts = _mlp_torch.read_weights(self.net_.module_)
        if not all(np.all(np.isfinite(a)) for a in (*coefs, *intercepts)):
            raise ValueError(
                "Training diverged: the network's weights are no longer finite. "
                "Lower learning_rate, or use optimizer='adam' with "
                "scale_target=True."
            )
        network = FeedForwardNetwork(coefs, intercepts, self.net_.module_.activations)
        self.network_ = network.with_input_scaling(
            self.input_offset_, self.input_scale_
        ).with_output_scaling(self.target_offset_, self.target_scale_)

    def _store_history(self, history_start, valid):
        history = self.net_.history
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        self.n_iter_ = len(history)
        if valid is None:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            return
        z_valid = valid[1]
        variance = float(np.mean((z_valid - z_valid.mean()) ** 2))
        losses = np.array(history[history_start:, "valid_loss"], dtype=np.float64)
        if variance > 0:
            scores = 1.0 - losses / variance
        else:
            scores = np.where(losses == 0, 1.0, 0.0)
        self.validation_scores_ = [float(s) for s in scores]
        self.best_validation_score_ = float(max(self.validation_scores_))

    def __getstate__(self):
        # A net trained on a GPU is pickled from a CPU copy, so that it loads
        # on machines without one.
        state = dict(super().__getstate__())
        net = state.get("net_")
        if net is not None and getattr(net, "initialized_", False):
            from . import _mlp_torch

            state["net_"] = _mlp_torch.cpu_net(net)
        return state


def _knot_network(X, y, width):
    """A ReluKnotRegressor's network with at most ``width`` hidden units."""
    try:
        from ._knots import ReluKnotRegressor
    except ImportError as exc:  # pragma: no cover - present once merged
        raise ImportError(
            "init_from='knots' needs sklearn_uat.ReluKnotRegressor, which this "
            "installation lacks; pass a fitted estimator or a "
            "FeedForwardNetwork instead."
        ) from exc

    n_features = X.shape[1]
    # With linear extrapolation, each direction's first unit faces left and is
    # zero on every training input: dropped, the rest are live units.
    n_knots = max(2, width // n_features + 1)
    while True:
        network = _live_units(ReluKnotRegressor(n_knots=n_knots).fit(X, y).network_, X)
        n_units = network.hidden_layer_sizes[0]
        if n_units <= width:
            return network
        if n_knots == 2:
            raise ValueError(
                f"init_from='knots': the smallest knot network has {n_units} "
                f"units, more than the {width} of the narrowest hidden layer; "
                "widen hidden_layer_sizes."
            )
        n_knots = max(2, n_knots - math.ceil((n_units - width) / n_features))


def _live_units(network, X):
    """``network`` without the hidden units that are zero on every row of ``X``.

    Such a unit changes nothing on the training data, and as a starting point
    for gradient descent it is a dead ReLU that never trains.
    """
    live = (network.hidden_activations(X) > 0).any(axis=0)
    (W, W_out), (b, b_out) = network.coefs, network.intercepts
    return FeedForwardNetwork(
        [W[:, live], W_out[live]], [b[live], b_out], network.activations
    )


def _embed_constructive(
    network, coefs, intercepts, input_offset, input_scale, y_offset, y_scale
):
    """Place a ReLU ``network`` inside ``coefs``/``intercepts``.

    ``network`` maps raw inputs to raw targets; the returned layers map
    scaled inputs to scaled targets and compute the same function (see the
    Notes of :class:`TrainedMLPRegressor`).
    """
    if not isinstance(network, FeedForwardNetwork):
        raise TypeError(
            f"init_from must give a FeedForwardNetwork; got {type(network).__name__}."
        )
    depth = len(network.coefs) - 1
    if depth < 1 or network.activations != ["relu"] * depth + ["identity"]:
        raise ValueError(
            "init_from needs a ReLU network: one hidden ReLU layer or more and "
            "a linear output (activations ['relu', ..., 'identity']); got "
            f"{network.activations}."
        )
    n_features = coefs[0].shape[0]
    if network.n_features_in != n_features or network.n_outputs != 1:
        raise ValueError(
            f"init_from's network maps {network.n_features_in} inputs to "
            f"{network.n_outputs} outputs; this data has {n_features} inputs "
            "and one target."
        )
    # Hidden layers beyond the network's carry its last one: weight 1 (exact
    # on non-negative ReLU values).
    widths = [W.shape[1] for W in coefs[:-1]]
    if depth > len(widths):
        raise ValueError(
            f"init_from's network has {depth} hidden layers but this one has "
            f"{len(widths)}; give hidden_layer_sizes at least {depth} layers."
        )
    sizes = [*network.hidden_layer_sizes]
    sizes += sizes[-1:] * (len(widths) - depth)
    if any(k > width for k, width in zip(sizes, widths)):
        raise ValueError(
            f"init_from's network has hidden layers {tuple(sizes[:depth])} but "
            f"hidden_layer_sizes is {tuple(widths)}; set hidden_layer_sizes to "
            f"at least {max(sizes)} units per layer, or use a smaller "
            "constructive network."
        )
    coefs = [W.copy() for W in coefs]
    intercepts = [b.copy() for b in intercepts]
    W_raw, b_raw = network.coefs[0], network.intercepts[0]
    k = sizes[0]
    coefs[0][:, :k] = W_raw * input_scale[:, None]
    intercepts[0][:k] = b_raw + input_offset @ W_raw
    for layer in range(1, len(coefs) - 1):
        k_in, k = sizes[layer - 1], sizes[layer]
        inner = network.coefs[layer] if layer < depth else np.eye(k)
        coefs[layer][:, :k] = 0.0
        coefs[layer][:k_in, :k] = inner
        intercepts[layer][:k] = network.intercepts[layer] if layer < depth else 0.0
    coefs[-1][:] = 0.0
    coefs[-1][:k] = network.coefs[-1] / y_scale
    intercepts[-1][:] = (network.intercepts[-1] - y_offset) / y_scale
    return coefs, intercepts
