"""The benchmark functions of the seeds, as a registry and sample generators.

Each function is a :class:`SeedFunction`: a vectorised callable on
``(n_samples, n_features)`` arrays, its domain, and where it comes from.
:func:`make_function` samples it like :func:`sklearn.datasets.make_friedman1`.

==============  ===  ==============================================  ==========
name             d   definition                                      domain
==============  ===  ==============================================  ==========
sine             1   sin(x)                                          [0, 2 pi]
multiscale       1   0.2 + 0.4 x^2 + 0.3 x sin(15x) + 0.05 cos(50x)  [0, 1]
poly_tan         2   x1^2 + x2^2 + x1 x2^2 + tan(x1)                 [-1, 1]^2
piecewise        2   x1^2 + x2^2 if x1, x2 >= 0 else 2 x1 + 2 x2     [-1, 1]^2
sinc             2   sinc(x1 + x2) (numpy's normalised sinc)         [-1, 1]^2
square_large     1   x^2                                             [1e6, 1e7]
distance         4   |(x1, x2) - (x3, x4)|                           [0, 1]^4
==============  ===  ==============================================  ==========
"""

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = ["SeedFunction", "get_function", "list_functions", "make_function"]


@dataclass(frozen=True)
class SeedFunction:
    """A benchmark function with its domain and provenance.

    Attributes
    ----------
    name : str
        Registry name.
    func : callable
        Maps an array of shape (n_samples, n_features) to (n_samples,).
    domain : ndarray of shape (n_features, 2)
        Lower and upper bound of each input.
    description : str
        The formula in words.
    source : str
        The seed document the function comes from.
    """

    name: str
    func: Callable
    domain: np.ndarray
    description: str
    source: str

    @property
    def n_features(self):
        """Number of inputs."""
        return self.domain.shape[0]

    def __call__(self, X):
        return self.func(np.asarray(X, dtype=np.float64))


def _sine(X):
    return np.sin(X[:, 0])


def _multiscale(X):
    x = X[:, 0]
    return 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)


def _poly_tan(X):
    x1, x2 = X[:, 0], X[:, 1]
    return x1**2 + x2**2 + x1 * x2**2 + np.tan(x1)


def _piecewise(X):
    x1, x2 = X[:, 0], X[:, 1]
    return np.where((x1 >= 0) & (x2 >= 0), x1**2 + x2**2, 2 * x1 + 2 * x2)


def _sinc(X):
    return np.sinc(X[:, 0] + X[:, 1])


def _square(X):
    return X[:, 0] ** 2


def _distance(X):
    return np.hypot(X[:, 0] - X[:, 2], X[:, 1] - X[:, 3])


_SEED_000 = "seed 000: a Keras MLP fitted to 2-D functions"
_SEED_004 = "seed 004: a closed-form ReLU-knot approximation of x^2"

_REGISTRY = {
    f.name: f
    for f in [
        SeedFunction(
            "sine",
            _sine,
            np.array([[0.0, 2 * np.pi]]),
            "sin(x) on [0, 2 pi]",
            "seeds 002 and 003: small and deep-narrow ReLU networks on sin",
        ),
        SeedFunction(
            "multiscale",
            _multiscale,
            np.array([[0.0, 1.0]]),
            "0.2 + 0.4 x^2 + 0.3 x sin(15 x) + 0.05 cos(50 x) on [0, 1]",
            "seed 001: the bump construction with steep sigmoids",
        ),
        SeedFunction(
            "poly_tan",
            _poly_tan,
            np.array([[-1.0, 1.0], [-1.0, 1.0]]),
            "x1^2 + x2^2 + x1 x2^2 + tan(x1) on [-1, 1]^2",
            _SEED_000,
        ),
        SeedFunction(
            "piecewise",
            _piecewise,
            np.array([[-1.0, 1.0], [-1.0, 1.0]]),
            "x1^2 + x2^2 where x1 >= 0 and x2 >= 0, else 2 x1 + 2 x2, on [-1, 1]^2",
            _SEED_000,
        ),
        SeedFunction(
            "sinc",
            _sinc,
            np.array([[-1.0, 1.0], [-1.0, 1.0]]),
            "sinc(x1 + x2) = sin(pi (x1 + x2)) / (pi (x1 + x2)) on [-1, 1]^2",
            _SEED_000,
        ),
        SeedFunction(
            "square_large",
            _square,
            np.array([[1e6, 1e7]]),
            "x^2 on [1e6, 1e7]",
            _SEED_004,
        ),
        SeedFunction(
            "distance",
            _distance,
            np.array([[0.0, 1.0]] * 4),
            "Euclidean distance between (x1, x2) and (x3, x4), each in [0, 1]^2",
            _SEED_004,
        ),
    ]
}


def list_functions():
    """Names of the registered benchmark functions.

    Examples
    --------
    >>> from sklearn_uat.datasets import list_functions
    >>> list_functions()
    ['sine', 'multiscale', 'poly_tan', 'piecewise', 'sinc', 'square_large', 'distance']
    """
    return list(_REGISTRY)


def get_function(name):
    """The registered benchmark function called ``name``.

    Parameters
    ----------
    name : str
        One of :func:`list_functions`.

    Returns
    -------
    function : SeedFunction
        With ``func``, ``domain``, ``n_features``, ``description`` and
        ``source``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_uat.datasets import get_function
    >>> sine = get_function("sine")
    >>> sine.n_features, sine.domain.tolist()
    (1, [[0.0, 6.283185307179586]])
    >>> sine.func(np.array([[np.pi / 2]]))
    array([1.])
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown function {name!r}; valid names are: {', '.join(_REGISTRY)}."
        ) from None


@validate_params(
    {
        "name": [str],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "sampling": [StrOptions({"uniform", "grid"})],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_function(
    name, n_samples=1000, *, noise=0.0, sampling="uniform", random_state=None
):
    """Sample a benchmark function on its domain.

    Parameters
    ----------
    name : str
        One of :func:`list_functions`.
    n_samples : int, default=1000
        Number of samples. With ``sampling="grid"`` in ``d`` inputs, the grid
        has ``m = max(2, round(n_samples ** (1 / d)))`` points per axis, so
        ``m ** d`` samples are returned (exactly ``n_samples`` in 1-D).
    noise : float, default=0.0
        Standard deviation of Gaussian noise added to the targets.
    sampling : {"uniform", "grid"}, default="uniform"
        ``"uniform"`` draws inputs uniformly over the domain; ``"grid"``
        returns an evenly spaced grid including the domain's corners, for
        plots and 1-D studies.
    random_state : int, RandomState instance or None, default=None
        Seeds the uniform draws and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Noise-free function values plus the noise.

    Examples
    --------
    >>> from sklearn_uat.datasets import make_function
    >>> X, y = make_function("poly_tan", n_samples=500, random_state=0)
    >>> X.shape, y.shape
    ((500, 2), (500,))
    >>> X, y = make_function("sine", n_samples=5, sampling="grid")
    >>> y.round(12)
    array([ 0.,  1.,  0., -1., -0.])
    """
    function = get_function(name)
    rng = check_random_state(random_state)
    lo, hi = function.domain[:, 0], function.domain[:, 1]
    d = function.n_features
    if sampling == "uniform":
        X = lo + (hi - lo) * rng.uniform(size=(n_samples, d))
    else:
        m = n_samples if d == 1 else max(2, int(round(n_samples ** (1.0 / d))))
        axes = [np.linspace(lo[j], hi[j], m) for j in range(d)]
        X = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    y = function.func(X)
    if noise > 0:
        y = y + noise * rng.standard_normal(y.shape[0])
    return X, y
