"""The package's networks as torch modules (imported only when torch is needed).

:class:`DenseModule` is the network that
:class:`~sklearn_uat.TrainedMLPRegressor` trains, with its weight
initialisations and its hand-written back-propagation; :func:`activation_module`
gives the modules of exported networks. Every activation is read from the
registry of :mod:`sklearn_uat._network`.
"""

import math

import numpy as np
import torch
from torch import nn

from ._network import ACTIVATION_REGISTRY

#: The dtype of the trained modules, whatever torch's global default is.
TRAINING_DTYPE = torch.float32


class Sine(nn.Module):
    """Elementwise ``sin``: the activation torch has no module for."""

    def forward(self, x):
        return ACTIVATION_REGISTRY["sin"].tensor(x)


class InputScaling(nn.Module):
    """``(x - offset) / scale`` in float64, returned in ``dtype``.

    The first step of exported networks: inputs far from zero (say in
    [1000, 1001]) keep their digits in double precision, and the network
    after it, in ``dtype``, sees inputs of order one.
    """

    def __init__(self, offset, scale, dtype):
        super().__init__()
        self.register_buffer("offset", torch.as_tensor(offset, dtype=torch.float64))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float64))
        self.dtype = dtype

    def forward(self, x):
        return ((x.to(torch.float64) - self.offset) / self.scale).to(self.dtype)


def activation_module(name):
    """A fresh torch module computing activation ``name``."""
    module = ACTIVATION_REGISTRY[name].torch_module
    return Sine() if module is None else getattr(nn, module)()


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
    dtype : torch.dtype, default=torch.float32
        The dtype of ``weights``, independent of torch's global default.
    """

    def __init__(self, layer_sizes, activations, dtype=TRAINING_DTYPE):
        super().__init__()
        self.layer_sizes = [int(n) for n in layer_sizes]
        self.activations = list(activations)
        self._shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self._sizes = [
            size for n_in, n_out in self._shapes for size in (n_in * n_out, n_out)
        ]
        self._functions = [ACTIVATION_REGISTRY[a] for a in self.activations]
        self.weights = nn.Parameter(torch.empty(sum(self._sizes), dtype=dtype))

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
        for (W, b), function in zip(self.layers(), self._functions):
            X = function.tensor(torch.addmm(b, X, W))
        return X

    def squared_weight_norm(self):
        """The sum of the squared weights, biases excluded."""
        return sum(W.square().sum() for W, _ in self.layers())

    def mse_gradient(self, X, y, sample_weight=None, out=None):
        """The mean squared error on ``(X, y)``, with its gradient, by hand.

        The loss is ``mean(w * (f(X) - y) ** 2)`` over rows and outputs (``w``
        is 1 without ``sample_weight``). Its gradient with respect to
        ``weights`` becomes ``weights.grad``, as after ``zero_grad()`` and
        ``loss.backward()``, but computed by explicit back-propagation
        through the dense layers: with no autograd graph to record and walk,
        a training step of a small network takes a fraction of the time. The
        result equals autograd's up to rounding.

        Parameters
        ----------
        X, y : torch.Tensor
            A batch of inputs, shape (n, n_in), and targets, shape (n, n_out).
        sample_weight : torch.Tensor of shape (n,), default=None
            Weight of each row.
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
            for (W, b), function in zip(layers, self._functions):
                inputs.append(h)
                z = torch.addmm(b, h, W)
                h = function.tensor(z)
                pre.append(z)
                post.append(h)
            residual = h - y
            if sample_weight is None:
                loss = residual.square().mean()
            else:
                weighted = residual.mul(sample_weight[:, None])
                loss = (weighted * residual).mean()
                residual = weighted
            g = residual.mul_(2.0 / residual.numel())
            for i, (gW, gb) in reversed(list(enumerate(self.layers(gradient)))):
                g = self._functions[i].derivative(g, pre[i], post[i])
                torch.mm(inputs[i].t(), g, out=gW)
                torch.sum(g, 0, out=gb)
                if i > 0:
                    g = torch.mm(g, layers[i][0].t())
            self.weights.grad = gradient
        return loss, h


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


def initial_weights(layer_sizes, scheme, seed):
    """``(coefs, intercepts)`` drawn by ``scheme`` from ``seed``, as float64.

    The draw is made in the training dtype, so loading the arrays back into
    a :class:`DenseModule` reproduces it exactly.
    """
    module = DenseModule(layer_sizes, ["identity"] * (len(layer_sizes) - 1))
    initialize_weights(module, scheme, torch.Generator().manual_seed(int(seed)))
    return read_weights(module)


def load_weights(module, coefs, intercepts):
    """Copy numpy ``coefs``/``intercepts`` into ``module``'s parameters."""
    with torch.no_grad():
        for (W, b), W_new, b_new in zip(module.layers(), coefs, intercepts):
            W.copy_(torch.as_tensor(np.asarray(W_new), dtype=W.dtype))
            b.copy_(torch.as_tensor(np.asarray(b_new), dtype=b.dtype))


def read_weights(module):
    """``(coefs, intercepts)``: float64 numpy copies of ``module``'s layers."""
    coefs, intercepts = [], []
    for W, b in module.layers():
        coefs.append(W.detach().to("cpu", torch.float64).numpy().copy())
        intercepts.append(b.detach().to("cpu", torch.float64).numpy().copy())
    return coefs, intercepts
