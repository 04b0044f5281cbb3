"""The feed-forward network that every estimator of the package is.

A network is a list of dense layers, each a weight matrix of shape
``(n_in, n_out)``, a bias vector of shape ``(n_out,)`` and the name of the
activation applied after it -- the layout of
:class:`~sklearn.neural_network.MLPRegressor`'s ``coefs_`` and
``intercepts_``. The numpy forward pass here is the reference that every
estimator's ``predict`` must reproduce, and :meth:`FeedForwardNetwork.to_torch`
turns the same weights into a :class:`torch.nn.Sequential`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import erf, expit

# Rows of X evaluated at once by the forward pass: keeps the (n, units)
# hidden activations of one chunk near this many float64 values (~32 MiB).
_CHUNK_ELEMENTS = 1 << 22

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class Activation:
    """One activation function in every form the package computes it.

    The numpy forward pass, the torch modules that train and export networks
    and the hand-written back-propagation all read this one entry, so an
    activation is added in one place.

    Attributes
    ----------
    name : str
        The name used by ``activations`` lists.
    numpy : callable
        ``numpy(Z)`` applies the activation to the float64 array ``Z`` in
        place and returns it.
    tensor : callable
        ``tensor(z)`` applies it to a torch tensor, with tensor methods only
        (no torch import here).
    derivative : callable
        ``derivative(g, z, a)`` returns ``g * f'(z)``, computed in place in
        the tensor ``g``, where ``a = f(z)``.
    torch_module : str or None
        The :mod:`torch.nn` module class of the activation for exported
        networks; None where torch has none (the package supplies one).
    """

    name: str
    numpy: Callable
    tensor: Callable
    derivative: Callable
    torch_module: str | None


def _gelu_numpy(Z):
    # The exact (erf) form, which is torch.nn.GELU's default.
    return np.multiply(Z, 0.5 * (1.0 + erf(Z * _SQRT_HALF)), out=Z)


def _gelu_derivative(g, z, a):
    # d/dz [z * Phi(z)] = Phi(z) + z * phi(z), with the exact (erf) Phi.
    cdf = (z * _SQRT_HALF).erf_().add_(1.0).mul_(0.5)
    density = (z * z).mul_(-0.5).exp_().mul_(_INV_SQRT_2PI)
    return g.mul_(cdf.add_(density.mul_(z)))


def _silu_derivative(g, z, a):
    s = z.sigmoid()
    return g.mul_(s * (1.0 + z * (1.0 - s)))


#: Every activation of the package, by name.
ACTIVATION_REGISTRY = {
    spec.name: spec
    for spec in [
        Activation("identity", lambda Z: Z, lambda z: z, lambda g, z, a: g, "Identity"),
        Activation(
            "relu",
            lambda Z: np.maximum(Z, 0.0, out=Z),
            lambda z: z.relu(),
            # a >= 0: its sign is the step function of z.
            lambda g, z, a: g.mul_(a.sign()),
            "ReLU",
        ),
        Activation(
            "sigmoid",
            # expit never overflows, unlike 1 / (1 + exp(-z)).
            lambda Z: expit(Z, out=Z),
            lambda z: z.sigmoid(),
            lambda g, z, a: g.mul_(a - a.square()),
            "Sigmoid",
        ),
        Activation(
            "tanh",
            lambda Z: np.tanh(Z, out=Z),
            lambda z: z.tanh(),
            lambda g, z, a: g.addcmul_(g, a.square(), value=-1.0),
            "Tanh",
        ),
        Activation(
            "gelu",
            _gelu_numpy,
            lambda z: z * (z * _SQRT_HALF).erf().add_(1.0).mul_(0.5),
            _gelu_derivative,
            "GELU",
        ),
        Activation(
            "silu",
            lambda Z: np.multiply(Z, expit(Z), out=Z),
            lambda z: z * z.sigmoid(),
            _silu_derivative,
            "SiLU",
        ),
        Activation(
            "sin",
            lambda Z: np.sin(Z, out=Z),
            lambda z: z.sin(),
            lambda g, z, a: g.mul_(z.cos()),
            None,
        ),
    ]
}

#: The names of the activations.
ACTIVATIONS = tuple(ACTIVATION_REGISTRY)


def _activate(name, Z):
    """Apply activation ``name`` to ``Z`` in place and return it."""
    try:
        spec = ACTIVATION_REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"Unknown activation {name!r}; expected one of {ACTIVATIONS}."
        ) from None
    return spec.numpy(Z)


@dataclass
class FeedForwardNetwork:
    """A dense feed-forward network held as numpy arrays.

    Parameters
    ----------
    coefs : list of ndarray
        ``coefs[i]`` is the weight matrix of layer ``i``, of shape
        ``(n_in, n_out)``.
    intercepts : list of ndarray
        ``intercepts[i]`` is the bias vector of layer ``i``, of shape
        ``(n_out,)``.
    activations : list of str
        The activation after each layer, the output layer included, e.g.
        ``["relu", "identity"]``. One of ``"identity"``, ``"relu"``,
        ``"sigmoid"``, ``"tanh"``, ``"gelu"``, ``"silu"``, ``"sin"``.

    Examples
    --------
    Nielsen's bump construction: two steep sigmoids with opposite output weights
    make a bump of height 0.6 on [0.2, 0.4].

    >>> import numpy as np
    >>> from sklearn_uat import FeedForwardNetwork
    >>> w = 500.0
    >>> net = FeedForwardNetwork(
    ...     coefs=[np.array([[w, w]]), np.array([[0.6], [-0.6]])],
    ...     intercepts=[np.array([-w * 0.2, -w * 0.4]), np.array([0.0])],
    ...     activations=["sigmoid", "identity"],
    ... )
    >>> net.forward(np.array([[0.1], [0.3], [0.5]])).round(6)
    array([0. , 0.6, 0. ])
    >>> net.n_parameters
    7
    """

    coefs: list
    intercepts: list
    activations: list = field(default_factory=list)

    def __post_init__(self):
        self.coefs = [np.asarray(W, dtype=np.float64) for W in self.coefs]
        self.intercepts = [np.asarray(b, dtype=np.float64) for b in self.intercepts]
        self.activations = list(self.activations)
        if not (len(self.coefs) == len(self.intercepts) == len(self.activations)):
            raise ValueError(
                "coefs, intercepts and activations must have one entry per layer; "
                f"got {len(self.coefs)}, {len(self.intercepts)} and "
                f"{len(self.activations)}."
            )
        if not self.coefs:
            raise ValueError("A network needs at least one layer.")
        for i, (W, b, act) in enumerate(
            zip(self.coefs, self.intercepts, self.activations)
        ):
            if W.ndim != 2 or b.shape != (W.shape[1],):
                raise ValueError(
                    f"Layer {i}: coefs must be 2-D (n_in, n_out) and intercepts "
                    f"(n_out,); got {W.shape} and {b.shape}."
                )
            if i and W.shape[0] != self.coefs[i - 1].shape[1]:
                raise ValueError(
                    f"Layer {i} expects {W.shape[0]} inputs but layer {i - 1} "
                    f"has {self.coefs[i - 1].shape[1]} outputs."
                )
            if act not in ACTIVATIONS:
                raise ValueError(
                    f"Layer {i}: unknown activation {act!r}; expected one of "
                    f"{ACTIVATIONS}."
                )

    @property
    def n_features_in(self):
        """Number of inputs of the first layer."""
        return self.coefs[0].shape[0]

    @property
    def n_outputs(self):
        """Number of outputs of the last layer."""
        return self.coefs[-1].shape[1]

    @property
    def hidden_layer_sizes(self):
        """Widths of the hidden layers."""
        return tuple(W.shape[1] for W in self.coefs[:-1])

    @property
    def n_parameters(self):
        """Number of weights and biases."""
        return int(sum(W.size + b.size for W, b in zip(self.coefs, self.intercepts)))

    def forward(self, X):
        """Evaluate the network on ``X`` of shape (n_samples, n_features_in).

        Rows are processed in chunks so that the hidden activations never
        take more than a few tens of MiB. Returns shape (n_samples,) for a
        single output, else (n_samples, n_outputs).
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in:
            raise ValueError(
                f"X must have shape (n_samples, {self.n_features_in}); got {X.shape}."
            )
        widest = max(W.shape[1] for W in self.coefs)
        chunk = max(1, _CHUNK_ELEMENTS // max(widest, 1))
        out = np.empty((X.shape[0], self.n_outputs))
        for start in range(0, X.shape[0], chunk):
            A = X[start : start + chunk]
            for W, b, act in zip(self.coefs, self.intercepts, self.activations):
                A = _activate(act, A @ W + b)
            out[start : start + chunk] = A
        return out[:, 0] if self.n_outputs == 1 else out

    def hidden_activations(self, X, layer=0):
        """Outputs of hidden layer ``layer`` on ``X``: shape (n, width)."""
        if not 0 <= layer < len(self.coefs) - 1:
            raise ValueError(
                f"layer must be in [0, {len(self.coefs) - 1}); got {layer}."
            )
        A = np.asarray(X, dtype=np.float64)
        for W, b, act in zip(
            self.coefs[: layer + 1],
            self.intercepts[: layer + 1],
            self.activations[: layer + 1],
        ):
            A = _activate(act, A @ W + b)
        return A

    def with_input_scaling(self, offset, scale):
        """Network on raw ``x`` equal to this one on ``(x - offset) / scale``.

        Folds an affine input map into the first layer, so that estimators
        can build their network on scaled inputs and still expose one that
        runs on raw data.
        """
        offset = np.asarray(offset, dtype=np.float64)
        scale = np.asarray(scale, dtype=np.float64)
        W, b = self.coefs[0], self.intercepts[0]
        W_raw = W / scale[:, None]
        b_raw = b - (offset / scale) @ W
        return FeedForwardNetwork(
            [W_raw, *self.coefs[1:]],
            [b_raw, *self.intercepts[1:]],
            self.activations,
        )

    def without_input_scaling(self, offset, scale):
        """Network on ``z`` equal to this one on raw ``x = offset + scale * z``.

        The inverse of :meth:`with_input_scaling`: it takes an affine input
        map back out of the first layer, so that an export can run the map
        as its own step in double precision and the network in float32 on
        inputs of order one, where float32 keeps its digits.
        """
        offset = np.asarray(offset, dtype=np.float64)
        scale = np.asarray(scale, dtype=np.float64)
        W, b = self.coefs[0], self.intercepts[0]
        return FeedForwardNetwork(
            [W * scale[:, None], *self.coefs[1:]],
            [b + offset @ W, *self.intercepts[1:]],
            self.activations,
        )

    def with_output_scaling(self, offset, scale):
        """Network whose output is ``offset + scale * output`` of this one.

        Requires an identity output activation, so that the map can be
        folded into the last layer's weights and bias.
        """
        if self.activations[-1] != "identity":
            raise ValueError(
                "Output scaling can only be folded into an identity output layer; "
                f"this network's output activation is {self.activations[-1]!r}."
            )
        scale = np.asarray(scale, dtype=np.float64)
        offset = np.asarray(offset, dtype=np.float64)
        return FeedForwardNetwork(
            [*self.coefs[:-1], self.coefs[-1] * scale],
            [*self.intercepts[:-1], self.intercepts[-1] * scale + offset],
            self.activations,
        )

    def to_torch(self, dtype=None):
        """The same network as a :class:`torch.nn.Sequential`.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64
            Dtype of the module's parameters. In float64 the module
            reproduces :meth:`forward` to about 1e-12.

        Returns
        -------
        module : torch.nn.Sequential
            Alternating :class:`torch.nn.Linear` layers and activations. Its
            output has shape (n_samples, n_outputs).
        """
        import torch
        from torch import nn

        from ._torch_modules import activation_module

        dtype = torch.float64 if dtype is None else dtype
        layers = []
        for W, b, act in zip(self.coefs, self.intercepts, self.activations):
            linear = nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.as_tensor(W.T, dtype=dtype))
                linear.bias.copy_(torch.as_tensor(b, dtype=dtype))
            layers.append(linear)
            if act != "identity":
                layers.append(activation_module(act))
        return nn.Sequential(*layers)
