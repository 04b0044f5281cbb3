"""The torch side of :class:`~sklearn_uat.TrainedMLPRegressor`.

Imported only when a model is fitted: the module trained by gradient
descent, its weight initialisations, a pre-batched iterator that replaces
skorch's per-sample collation, the skorch net that adds the L2 penalty, and
the device and thread handling.
"""

import copy
import math
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback, LRScheduler
from skorch.dataset import unpack_data
from skorch.utils import to_tensor as skorch_tensor
from torch import nn

_FUNCTIONS = {
    "identity": None,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
    "sin": torch.sin,
}


class DenseModule(nn.Module):
    """Dense layers whose weights and biases are views of one flat parameter.

    Layer ``i`` computes ``activation(X @ W_i + b_i)`` with ``W_i`` in the
    ``(n_in, n_out)`` layout, so the network is read back into numpy with no
    transposes. All weights and biases live in the single parameter
    ``weights``; :meth:`layers` cuts it into per-layer views. An optimizer
    then updates one tensor per step instead of one per layer, which on
    networks this small is most of its cost.

    Parameters
    ----------
    layer_sizes : sequence of int
        Inputs, hidden widths and outputs, e.g. ``[2, 64, 64, 1]``.
    activations : sequence of str
        The activation after each layer, the output layer included.
    """

    def __init__(self, layer_sizes, activations):
        super().__init__()
        self.layer_sizes = [int(n) for n in layer_sizes]
        self.activations = list(activations)
        self._shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self._sizes = [
            size for n_in, n_out in self._shapes for size in (n_in * n_out, n_out)
        ]
        self.weights = nn.Parameter(torch.empty(sum(self._sizes)))

    def layers(self, flat=None):
        """``[(W, b), ...]``: each layer's views of ``flat``.

        ``flat`` defaults to the ``weights`` parameter; pass its gradient to
        cut that into layers the same way.
        """
        chunks = (self.weights if flat is None else flat).split_with_sizes(self._sizes)
        return [
            (chunks[2 * i].view(shape), chunks[2 * i + 1])
            for i, shape in enumerate(self._shapes)
        ]

    def forward(self, X):
        for (W, b), activation in zip(self.layers(), self.activations):
            X = torch.addmm(b, X, W)
            function = _FUNCTIONS[activation]
            if function is not None:
                X = function(X)
        return X

    def squared_weight_norm(self):
        """The sum of the squared weights, biases excluded."""
        return sum(W.square().sum() for W, _ in self.layers())

    def mse_gradient(self, X, y, alpha=0.0, out=None):
        """The mean squared error on ``(X, y)``, with its gradient, by hand.

        The loss is ``mean((f(X) - y) ** 2) + alpha / 2 * sum(W ** 2)``. Its
        gradient with respect to ``weights`` becomes ``weights.grad``, as
        after ``zero_grad()`` and ``loss.backward()``, but computed by
        explicit back-propagation through the dense layers: with no autograd
        graph to record and walk, a training step of a small network takes a
        fraction of the time. The result equals autograd's up to rounding.

        Parameters
        ----------
        X, y : torch.Tensor
            A batch of inputs, shape (n, n_in), and targets, shape (n, n_out).
        alpha : float, default=0.0
            The L2 penalty on the weights.
        out : torch.Tensor, default=None
            A tensor shaped like ``weights`` to hold the gradient; by default
            a new one.

        Returns
        -------
        loss : torch.Tensor
            The loss, a detached scalar.
        y_pred : torch.Tensor
            ``f(X)``, detached.
        """
        with torch.no_grad():
            layers = self.layers()
            gradient = torch.empty_like(self.weights) if out is None else out
            inputs, pre, post = [], [], []
            h = X
            for (W, b), activation in zip(layers, self.activations):
                inputs.append(h)
                z = torch.addmm(b, h, W)
                function = _FUNCTIONS[activation]
                h = z if function is None else function(z)
                pre.append(z)
                post.append(h)
            residual = h - y
            loss = residual.square().mean()
            g = residual.mul_(2.0 / residual.numel())
            for i, (gW, gb) in reversed(list(enumerate(self.layers(gradient)))):
                g = _activation_gradient(self.activations[i], g, pre[i], post[i])
                torch.mm(inputs[i].t(), g, out=gW)
                torch.sum(g, 0, out=gb)
                if alpha > 0:
                    gW.add_(layers[i][0], alpha=alpha)
                if i > 0:
                    g = torch.mm(g, layers[i][0].t())
            if alpha > 0:
                loss = loss + 0.5 * alpha * self.squared_weight_norm()
            self.weights.grad = gradient
        return loss, h


def _activation_gradient(activation, g, z, a):
    """``g * activation'(z)`` where ``a = activation(z)``, in place in ``g``."""
    if activation == "identity":
        return g
    if activation == "relu":
        return g.mul_(a.sign())  # a >= 0: its sign is the step function of z
    if activation == "tanh":
        return g.addcmul_(g, a.square(), value=-1.0)
    if activation == "sigmoid":
        return g.mul_(a - a.square())
    if activation == "sin":
        return g.mul_(torch.cos(z))
    if activation == "silu":
        s = torch.sigmoid(z)
        return g.mul_(s * (1.0 + z * (1.0 - s)))
    if activation == "gelu":
        # d/dz [z * Phi(z)] = Phi(z) + z * phi(z), with the exact (erf) Phi.
        cdf = 0.5 * (1.0 + torch.erf(z * _SQRT_HALF))
        density = torch.exp(-0.5 * z * z) * _INV_SQRT_2PI
        return g.mul_(cdf + z * density)
    raise ValueError(f"Unknown activation {activation!r}.")  # pragma: no cover


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def initialize_weights(module, scheme, generator):
    """Draw ``module``'s weights and biases in place with ``generator``.

    ``"default"`` is :class:`torch.nn.Linear`'s own initialisation; the He
    and Xavier schemes use zero biases, as Keras does; ``"uniform"`` is
    Keras' ``RandomUniform(-0.05, 0.05)`` with zero biases.
    """
    with torch.no_grad():
        for W, b in module.layers():
            # torch's init functions read fan-in from dim 1: use the
            # (n_out, n_in) view of the (n_in, n_out) weights.
            W_torch = W.T
            fan_in = W.shape[0]
            if scheme == "default":
                nn.init.kaiming_uniform_(W_torch, a=math.sqrt(5), generator=generator)
                bound = 1.0 / math.sqrt(fan_in)
                nn.init.uniform_(b, -bound, bound, generator=generator)
                continue
            if scheme == "he_uniform":
                nn.init.kaiming_uniform_(
                    W_torch, nonlinearity="relu", generator=generator
                )
            elif scheme == "he_normal":
                nn.init.kaiming_normal_(
                    W_torch, nonlinearity="relu", generator=generator
                )
            elif scheme == "xavier_uniform":
                nn.init.xavier_uniform_(W_torch, generator=generator)
            elif scheme == "xavier_normal":
                nn.init.xavier_normal_(W_torch, generator=generator)
            elif scheme == "uniform":
                nn.init.uniform_(W_torch, -0.05, 0.05, generator=generator)
            else:  # pragma: no cover - guarded by the parameter constraints
                raise ValueError(f"Unknown weight_init {scheme!r}.")
            nn.init.zeros_(b)


def load_weights(module, coefs, intercepts):
    """Copy numpy ``coefs``/``intercepts`` into ``module``'s parameters."""
    with torch.no_grad():
        for (W, b), W_new, b_new in zip(module.layers(), coefs, intercepts):
            W.copy_(torch.as_tensor(W_new, dtype=W.dtype))
            b.copy_(torch.as_tensor(b_new, dtype=b.dtype))


def read_weights(module):
    """``(coefs, intercepts)``: float64 numpy copies of ``module``'s layers."""
    coefs, intercepts = [], []
    for W, b in module.layers():
        coefs.append(W.detach().to("cpu", torch.float64).numpy().copy())
        intercepts.append(b.detach().to("cpu", torch.float64).numpy().copy())
    return coefs, intercepts


class TensorBatches:
    """Mini-batches sliced from the tensors of a skorch dataset.

    skorch's default :class:`torch.utils.data.DataLoader` fetches and
    collates one sample at a time; here each epoch permutes the tensors once
    and yields contiguous slices, which costs no Python work per sample.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Holds tensors ``X`` of shape (n, d) and ``y`` of shape (n, 1).
    batch_size : int
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Draw a new order of the rows at every epoch.
    random_state : numpy.random.RandomState, default=None
        Source of the orders when ``shuffle`` is true.
    """

    def __init__(self, dataset, batch_size, shuffle=False, random_state=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state

    def __len__(self):
        return -(-len(self.dataset.X) // self.batch_size)

    def __iter__(self):
        X, y = self.dataset.X, self.dataset.y
        if self.shuffle:
            order = torch.from_numpy(self.random_state.permutation(len(X)))
            order = order.to(X.device)
            X, y = X[order], y[order]
        return zip(X.split(self.batch_size), y.split(self.batch_size))


class PenalizedRegressorNet(NeuralNetRegressor):
    """skorch's regressor with an L2 penalty and hand-written gradients.

    ``alpha / 2 * sum(W ** 2)`` (biases excluded) is added to the training
    loss, so its gradient is torch's ``weight_decay=alpha`` and every
    optimizer, L-BFGS's line search included, sees the same objective.

    Training steps take the gradient from :meth:`DenseModule.mse_gradient`
    rather than from autograd while the criterion is the mean squared error
    (the only one :class:`~sklearn_uat.TrainedMLPRegressor` sets); another
    criterion falls back to ``loss.backward()``.
    """

    def __init__(self, *args, alpha=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.alpha = alpha

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        if training and self.alpha > 0:
            loss = loss + 0.5 * self.alpha * self.module_.squared_weight_norm()
        return loss

    def _training_loss(self, Xi, yi, out=None):
        """A batch's training loss and predictions, with ``weights.grad`` set
        to the loss's gradient (``out``, if given, holds it)."""
        criterion = self.criterion_
        if type(criterion) is torch.nn.MSELoss and criterion.reduction == "mean":
            return self.module_.mse_gradient(Xi, yi, self.alpha, out=out)
        self.optimizer_.zero_grad()
        y_pred = self.module_(Xi)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return loss, y_pred

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        loss, y_pred = self._training_loss(
            skorch_tensor(Xi, self.device), skorch_tensor(yi, self.device)
        )
        return {"loss": loss, "y_pred": y_pred}

    def _batch_hooks_are_idle(self):
        """Whether no callback acts on batches or gradients, and no closure is
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
        if not (training and iterator is not None and self._batch_hooks_are_idle()):
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

    def __getstate__(self):
        state = self.__dict__.copy()
        state["bar_"] = None
        return state


def to_tensor(array, device):
    """float32 tensor of ``array`` on ``device``."""
    return torch.as_tensor(np.ascontiguousarray(array), dtype=torch.float32).to(device)


def resolve_device(device):
    """The torch device for the ``device`` parameter ("auto" picks CUDA if any)."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but torch sees no CUDA device "
            "(torch.cuda.is_available() is False); use device='cpu', or "
            "device='auto' to take a GPU only when there is one."
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


def cpu_net(net):
    """``net``, or a copy of it whose tensors all live on the CPU."""
    if torch.device(net.device).type == "cpu":
        return net
    optimizer = net.optimizer_
    # Not copy.copy: skorch's own pickling would run and ask for the GPU.
    copied = object.__new__(type(net))
    copied.__dict__.update(net.__dict__)
    net = copied
    net.module_ = copy.deepcopy(net.module_).to("cpu")
    net.criterion_ = copy.deepcopy(net.criterion_).to("cpu")
    # load_state_dict moves the optimizer's state to its parameters' device.
    net.optimizer_ = type(optimizer)(net.module_.parameters(), **optimizer.defaults)
    net.optimizer_.load_state_dict(optimizer.state_dict())
    net.device = "cpu"
    return net
