"""Training of :class:`~sklearn_uat.TrainedMLPRegressor`: the one module that owns it.

Imported only when a model is fitted. :func:`train` takes the scaled data
from the estimator and a :class:`TrainingPlan` of its settings, builds or
reconfigures a skorch net through skorch's public ``set_params``, and runs
the epochs. Everything about a training step lives here: the weighted mean
squared error and its L2 penalty (written once, in
:meth:`RegressionNet.penalize`), the pre-sliced batches, the lean epoch loop
that skips idle per-batch callbacks, the L-BFGS closure (skorch's own
``train_step``), the learning-rate schedule, early stopping, weight
snapshots, and the device and thread handling. :func:`net_state` and
:func:`net_from_state` turn a trained net into plain numpy and Python values
and back, which is how the estimator pickles (and saves with skops).

Speed: each epoch permutes the training tensors once and slices them into
batches (skorch's default loader collates sample by sample). The network's
weights and biases are one flat tensor, so the optimizer updates a single
tensor per step, and training steps back-propagate the squared error by
hand rather than through autograd (equal up to rounding, and tested against
it); on networks this small, torch's per-call overhead is most of the cost.
When no callback listens to batches, epochs also skip skorch's per-batch
notifications. On the CPU, when a batch times the widest layer is at most
65,536 values, training runs on one torch thread (restored afterwards): on
matrices that small, intra-op threads cost more than they bring.
"""

import copy
import functools
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from skorch import NeuralNetRegressor
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    LRScheduler,
    PrintLog,
)
from skorch.helper import predefined_split

from ._torch_modules import TRAINING_DTYPE, DenseModule, load_weights, read_weights
from ._validation import check_memory_budget

# Rows per batch when evaluating the validation loss.
_VALID_BATCH_SIZE = 8192

# Largest (batch rows) x (widest layer) for which training runs on one CPU
# thread: intra-op parallelism costs more than it brings on such small
# matrices, and it stalls when other processes share the cores.
_SINGLE_THREAD_ELEMENTS = 1 << 16

# The torch optimizer of each ``optimizer`` name, with its fixed arguments.
_OPTIMIZERS = {
    "adam": (torch.optim.Adam, {"fused": True}),
    "sgd": (torch.optim.SGD, {"fused": True}),
    "rmsprop": (torch.optim.RMSprop, {"alpha": 0.9}),
    "lbfgs": (torch.optim.LBFGS, {"line_search_fn": "strong_wolfe"}),
}


@dataclass(frozen=True)
class TrainingPlan:
    """The settings of one training run, as the estimator's parameters give them.

    ``batch_size`` is a row count (the estimator resolves ``"auto"``);
    ``epochs`` is the length of this run; ``schedule`` says whether the
    learning-rate schedule applies (not to ``partial_fit``'s single epochs).
    """

    optimizer: str
    learning_rate: float
    momentum: float
    batch_size: int
    epochs: int
    alpha: float
    lr_schedule: str | None
    schedule: bool
    n_iter_no_change: int
    tol: float
    device: str
    verbose: int
    callbacks: tuple
    snapshot_epochs: tuple

    def optimizer_factory(self):
        """The torch optimizer class with its fixed arguments, and the rate."""
        optimizer, params = _OPTIMIZERS[self.optimizer]
        params = dict(params)
        if self.optimizer == "sgd":
            params["momentum"] = self.momentum
        lr = 1.0 if self.optimizer == "lbfgs" else self.learning_rate
        return functools.partial(optimizer, **params), lr

    @property
    def rows_per_step(self):
        """Rows in a training step (-1: all of them, for L-BFGS)."""
        return -1 if self.optimizer == "lbfgs" else self.batch_size


class TrainingData(torch.utils.data.Dataset):
    """Tensors of inputs, targets and optional weights, with their shuffling.

    Parameters
    ----------
    X, y : torch.Tensor
        Inputs (n, d) and targets (n, k).
    sample_weight : torch.Tensor of shape (n,) or None
        Weight of each row, normalised to mean 1; None for equal weights.
    random_state : numpy.random.RandomState or None
        Source of each epoch's order of the rows.
    """

    def __init__(self, X, y, sample_weight=None, random_state=None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.random_state = random_state

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        if self.sample_weight is None:
            return self.X[i], self.y[i]
        return self.X[i], (self.y[i], self.sample_weight[i])


class TensorBatches:
    """Mini-batches sliced from a :class:`TrainingData`'s tensors.

    skorch's default :class:`torch.utils.data.DataLoader` fetches and
    collates one sample at a time; here each epoch permutes the tensors once
    and yields contiguous slices, which costs no Python work per sample.
    A batch is ``(X, y)``, or ``(X, (y, weight))`` with sample weights.
    """

    def __init__(self, dataset, batch_size, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        data = self.dataset
        tensors = [data.X, data.y]
        if data.sample_weight is not None:
            tensors.append(data.sample_weight)
        if self.shuffle:
            order = torch.from_numpy(data.random_state.permutation(len(data)))
            order = order.to(data.X.device)
            tensors = [t[order] for t in tensors]
        slices = zip(*(t.split(self.batch_size) for t in tensors))
        if data.sample_weight is None:
            return iter(slices)
        return ((Xi, (yi, wi)) for Xi, yi, wi in slices)


def _split_target(y_true):
    """``(y, weight)`` of a batch's target part (weight None if unweighted)."""
    if isinstance(y_true, (tuple, list)):
        return y_true[0], y_true[1]
    return y_true, None


class RegressionNet(NeuralNetRegressor):
    """skorch's regressor on a :class:`DenseModule`: weighted MSE, L2 penalty.

    The training loss is the weighted mean squared error plus
    ``alpha / 2 * sum(W ** 2)`` (biases excluded), whose gradient is torch's
    ``weight_decay=alpha``, so every optimizer, L-BFGS's line search
    included, sees the same objective. Training steps take its gradient from
    :meth:`DenseModule.mse_gradient` rather than from autograd.
    """

    def __init__(self, *args, alpha=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.alpha = alpha

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true, weight = _split_target(y_true)
        if weight is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        return (weight[:, None] * (y_pred - y_true).square()).mean()

    def penalize(self, loss, gradient):
        """``loss`` plus the L2 penalty, whose gradient is added to ``gradient``."""
        if self.alpha <= 0:
            return loss
        with torch.no_grad():
            for (W, _), (gW, _) in zip(
                self.module_.layers(), self.module_.layers(gradient)
            ):
                gW.add_(W, alpha=self.alpha)
            return loss + 0.5 * self.alpha * self.module_.squared_weight_norm()

    def _training_loss(self, Xi, yi, out=None):
        """A batch's penalised loss and predictions; ``weights.grad`` is set to
        the loss's gradient (held in ``out`` if given)."""
        y, weight = _split_target(yi)
        loss, y_pred = self.module_.mse_gradient(Xi, y, weight, out=out)
        return self.penalize(loss, self.module_.weights.grad), y_pred

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = batch
        loss, y_pred = self._training_loss(Xi, yi)
        return {"loss": loss, "y_pred": y_pred}

    def batch_hooks_are_idle(self):
        """Whether no callback acts on batches or gradients and no closure is
        needed: then a training epoch can skip skorch's per-batch hooks."""
        if isinstance(self.optimizer_, torch.optim.LBFGS):
            return False
        hooks = ("on_batch_begin", "on_batch_end", "on_grad_computed")
        for _, callback in self.callbacks_:
            # skorch's LRScheduler stepping by epoch returns from its batch
            # hook at once.
            idle = [Callback]
            if isinstance(callback, LRScheduler) and callback.step_every == "epoch":
                idle.append(LRScheduler)
            if any(
                all(getattr(type(callback), h) is not getattr(c, h) for c in idle)
                for h in hooks
            ):
                return False
        return True

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One pass over the batches; training passes take a lean path.

        On the small networks this estimator trains, skorch's per-batch
        callback notifications cost about as much as the forward and
        backward passes. When no callback listens to batches (the default),
        the training pass runs the same optimisation steps without them and
        records the same history entries.
        """
        if not (training and iterator is not None and self.batch_hooks_are_idle()):
            return super().run_single_epoch(
                iterator, training, prefix, step_fn, **fit_params
            )
        self._set_training(True)
        optimizer = self.optimizer_
        history = self.history
        # No callback sees the gradients here: one buffer serves every step.
        gradient = torch.empty_like(self.module_.weights)
        batch_count = 0
        for Xi, yi in iterator:
            history.new_batch()
            loss, _ = self._training_loss(Xi, yi, out=gradient)
            optimizer.step()
            history.record_batch(prefix + "_loss", loss.item())
            history.record_batch(prefix + "_batch_size", len(Xi))
            batch_count += 1
        history.record(prefix + "_batch_count", batch_count)


class WeightSnapshots(Callback):
    """Keeps float64 copies of the module's weights after chosen epochs.

    Epochs count from the start of the net's history; epoch 0, the weights
    before any training, is taken when a run starts on a fresh net.

    Parameters
    ----------
    epochs : sequence of int
        The epochs to keep.
    """

    def __init__(self, epochs=()):
        self.epochs = epochs

    def initialize(self):
        self.weights_ = {}
        return self

    def on_train_begin(self, net, **kwargs):
        if 0 in self.epochs and len(net.history) == 0:
            self.weights_[0] = read_weights(net.module_)

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch in self.epochs:
            self.weights_[epoch] = read_weights(net.module_)


class EpochProgressBar(Callback):
    """A tqdm progress bar over epochs showing the training loss.

    Parameters
    ----------
    total : int, default=None
        Number of epochs of the coming run.
    """

    def __init__(self, total=None):
        self.total = total

    def initialize(self):
        self.bar_ = None
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=self.total, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        if self.bar_ is not None:
            self.bar_.update(1)
            self.bar_.set_postfix(train_loss=f"{net.history[-1, 'train_loss']:.4g}")

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if self.bar_ is not None:
            self.bar_.close()
            self.bar_ = None


_SNAPSHOTS = "weight_snapshots"


def _run_callbacks(plan, early_stopping):
    """The callbacks of one run: schedule, early stopping, snapshots, extras."""
    callbacks = []
    lr_schedule = plan.lr_schedule
    if not plan.schedule or plan.optimizer == "lbfgs":
        lr_schedule = None
    if lr_schedule == "cosine":
        scheduler = LRScheduler(
            policy="CosineAnnealingLR", T_max=plan.epochs, last_epoch=-1
        )
        callbacks.append(("lr_schedule", scheduler))
    elif lr_schedule == "plateau":
        scheduler = LRScheduler(
            policy="ReduceLROnPlateau",
            monitor="valid_loss" if early_stopping else "train_loss",
            factor=0.5,
            patience=max(1, plan.n_iter_no_change // 2),
        )
        callbacks.append(("lr_schedule", scheduler))
    if early_stopping:
        stopper = EarlyStopping(
            monitor="valid_loss",
            patience=plan.n_iter_no_change,
            threshold=plan.tol,
            threshold_mode="rel",
            lower_is_better=True,
            load_best=True,
        )
        callbacks.append(("early_stopping", stopper))
    if plan.snapshot_epochs:
        callbacks.append((_SNAPSHOTS, WeightSnapshots(plan.snapshot_epochs)))
    if plan.verbose == 1:
        callbacks.append(("loss_table", PrintLog()))
    elif plan.verbose == 2:
        callbacks.append(("progress_bar", EpochProgressBar(plan.epochs)))
    callbacks.extend(plan.callbacks)
    return callbacks


def _new_net(module, optimizer, lr, device):
    """An initialised :class:`RegressionNet` around ``module``."""
    net = RegressionNet(
        module,
        criterion=torch.nn.MSELoss,
        optimizer=optimizer,
        lr=lr,
        train_split=None,
        device=device,
        verbose=0,
        iterator_train=TensorBatches,
        iterator_train__shuffle=True,
        iterator_valid=TensorBatches,
        iterator_valid__batch_size=_VALID_BATCH_SIZE,
        # skorch's own table is formatted at every epoch even when silent;
        # verbose=1 adds one to the run's callbacks instead.
        callbacks__print_log=None,
    )
    return net.initialize()


def _same_optimizer(a, b):
    return (a.func, a.args, a.keywords) == (b.func, b.args, b.keywords)


def _dataset(X, y, sample_weight, device, random_state=None):
    def tensor(array):
        return None if array is None else to_tensor(array, device)

    return TrainingData(tensor(X), tensor(y), tensor(sample_weight), random_state)


def train(net, plan, start, train_data, valid_data=None, seed=0):
    """Run ``plan.epochs`` epochs of training and return the trained net.

    Parameters
    ----------
    net : RegressionNet or None
        The net to continue (warm start, ``partial_fit``); None for a new one.
    plan : TrainingPlan
        This run's settings.
    start : tuple or None
        For a new net: ``(layer_sizes, activations, coefs, intercepts)``, the
        architecture and the initial weights in numpy.
    train_data, valid_data : tuple of ndarray
        ``(X, y, sample_weight)`` scaled, with ``y`` of shape (n, k) and
        ``sample_weight`` None or normalised to mean 1; ``valid_data`` is
        None without early stopping.
    seed : int
        Seeds the order of the batches.

    Returns
    -------
    net : RegressionNet
        The trained net, on ``plan.device``; it keeps no reference to the
        data.
    snapshots : dict of int to (coefs, intercepts)
        The weights after each of ``plan.snapshot_epochs`` reached in this run.
    """
    device = plan.device
    optimizer, lr = plan.optimizer_factory()
    widest = max(net.module_.layer_sizes if start is None else start[0])
    rows = len(train_data[0]) if plan.rows_per_step == -1 else plan.batch_size
    n_threads = (
        1 if device == "cpu" and rows * widest <= _SINGLE_THREAD_ELEMENTS else None
    )
    early_stopping = valid_data is not None
    with torch_threads(n_threads):
        if net is None:
            layer_sizes, activations, coefs, intercepts = start
            module = DenseModule(layer_sizes, activations)
            load_weights(module, coefs, intercepts)
            net = _new_net(module, optimizer, lr, device)
        elif torch.device(net.device) != torch.device(device) or not _same_optimizer(
            net.optimizer, optimizer
        ):
            # A new optimizer (or device) for the trained weights and history.
            net = net_from_state(net_state(net), device, optimizer)
        net.set_params(lr=lr)
        valid = None
        if early_stopping:
            valid = predefined_split(_dataset(*valid_data, device))
        net.set_params(
            alpha=plan.alpha,
            batch_size=plan.rows_per_step,
            train_split=valid,
            verbose=int(plan.verbose == 1),
            callbacks=_run_callbacks(plan, early_stopping),
        )
        net.initialize_callbacks()
        data = _dataset(*train_data, device, np.random.RandomState(seed))
        try:
            net.partial_fit(data, None, epochs=plan.epochs)
        finally:
            # The net keeps no reference to the data.
            net.set_params(train_split=None)
    snapshots = {}
    if plan.snapshot_epochs:
        snapshots = dict(net.callbacks_)[_SNAPSHOTS].weights_
    return net, snapshots


def validation_scores(net, n_epochs, Z, sample_weight):
    """R^2 of the validation targets ``Z`` at each of the last ``n_epochs``.

    The validation loss is the weighted mean squared error; the score
    divides it by the weighted variance of ``Z``.
    """
    losses = np.array(net.history[-n_epochs:, "valid_loss"], dtype=np.float64)
    mean = np.average(Z, axis=0, weights=sample_weight)
    variance = float(
        np.mean(np.average((Z - mean) ** 2, axis=0, weights=sample_weight))
    )
    if variance > 0:
        scores = 1.0 - losses / variance
    else:
        scores = np.where(losses == 0, 1.0, 0.0)
    return [float(s) for s in scores]


def checked_callbacks(callbacks):
    """Copies of the ``callbacks`` entries, checked to be skorch callbacks."""
    for entry in callbacks or []:
        named = isinstance(entry, (tuple, list)) and len(entry) == 2
        callback = entry[1] if named else entry
        is_class = isinstance(callback, type) and issubclass(callback, Callback)
        if not (is_class or isinstance(callback, Callback)):
            raise TypeError(
                "callbacks must hold skorch callbacks (skorch.callbacks."
                "Callback instances or classes) or (name, callback) pairs; "
                f"got {type(callback).__name__}."
            )
    return tuple(copy.deepcopy(list(callbacks or [])))


def check_memory(optimizer, layer_sizes, rows):
    """Refuse a network and batch whose training would exceed the memory budget."""
    n_parameters = sum((a + 1) * b for a, b in zip(layer_sizes, layer_sizes[1:]))
    # In float64 values: the float32 weights, gradient and optimizer state
    # (L-BFGS keeps a history of 100 vectors), the float64 copy of the
    # network, and a batch's activations kept for the backward pass.
    state = 100 if optimizer == "lbfgs" else 3
    check_memory_budget(
        n_parameters * (state + 1) + rows * sum(layer_sizes),
        what=f"hidden_layer_sizes={tuple(layer_sizes[1:-1])} ({n_parameters} "
        f"parameters) with batches of {rows} rows",
        fix="use fewer or narrower hidden layers, or smaller batches",
    )


def to_tensor(array, device):
    """Training-dtype tensor of ``array`` on ``device``."""
    return torch.as_tensor(np.ascontiguousarray(array), dtype=TRAINING_DTYPE).to(device)


def resolve_device(device):
    """The torch device for the ``device`` parameter ("auto" picks CUDA if any)."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but torch sees no CUDA device "
            "(torch.cuda.is_available() is False); use device='cpu' (the "
            "default)."
        )
    return device


@contextmanager
def torch_threads(n_threads):
    """Run the block with torch's intra-op thread count set to ``n_threads``."""
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# ------------------------------------------------------------ portable state


def _to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu").numpy().copy()
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    return value


def _to_torch(value, device):
    if isinstance(value, np.ndarray):
        return torch.as_tensor(value).to(device)
    if isinstance(value, dict):
        return {k: _to_torch(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v, device) for v in value)
    return value


def net_state(net):
    """A trained net as numpy arrays and plain Python values.

    It holds the architecture, the weights, the optimizer and its state and
    the history; :func:`net_from_state` rebuilds the net from it, on any
    device. Callbacks are not kept: each training run sets its own.
    """
    optimizer = net.optimizer
    state = net.optimizer_.state_dict()
    return {
        "layer_sizes": list(net.module_.layer_sizes),
        "activations": list(net.module_.activations),
        "weights": _to_numpy(net.module_.weights),
        "optimizer": optimizer.func.__name__,
        "optimizer_params": dict(optimizer.keywords),
        "optimizer_state": [_to_numpy(s) for s in state["state"].values()],
        "param_groups": _to_numpy(state["param_groups"]),
        "history": _to_numpy([dict(row) for row in net.history]),
    }


def net_from_state(state, device="cpu", optimizer=None):
    """The :class:`RegressionNet` that :func:`net_state` described, on ``device``.

    ``optimizer`` (a partial of a torch optimizer class) replaces the saved
    one, starting from a fresh state unless it is the same.
    """
    module = DenseModule(state["layer_sizes"], state["activations"])
    with torch.no_grad():
        module.weights.copy_(torch.as_tensor(state["weights"]))
    saved = functools.partial(
        getattr(torch.optim, state["optimizer"]), **state["optimizer_params"]
    )
    groups = state["param_groups"]
    keep_state = optimizer is None or _same_optimizer(optimizer, saved)
    net = _new_net(module, saved if keep_state else optimizer, groups[0]["lr"], device)
    if keep_state:
        net.optimizer_.load_state_dict(
            {
                "state": dict(enumerate(_to_torch(state["optimizer_state"], device))),
                "param_groups": _to_torch(groups, device),
            }
        )
    net.history.extend(state["history"])
    return net
