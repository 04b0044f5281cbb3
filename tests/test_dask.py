"""The comparison and grid search run on a Dask cluster through joblib."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.compare import compare
from sklearn_uat.datasets import make_function

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_grid_search_and_compare_on_a_local_cluster(client):
    X, y = make_function("sinc", 400, random_state=0)
    search = GridSearchCV(
        make_pipeline(MinMaxScaler(), KNeighborsRegressor()),
        {"kneighborsregressor__n_neighbors": [2, 5, 10]},
        cv=3,
        n_jobs=-1,
    )
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        search.fit(X, y)
        result = compare(
            ["sine", "sinc"],
            {"KNN": KNeighborsRegressor()},
            grid={"KNN": {"n_neighbors": [3, 7]}},
            n_samples=300,
            cv=3,
            n_jobs=-1,
        )
    local = compare(
        ["sine", "sinc"],
        {"KNN": KNeighborsRegressor()},
        grid={"KNN": {"n_neighbors": [3, 7]}},
        n_samples=300,
        cv=3,
    )
    assert search.best_params_ in [
        {"kneighborsregressor__n_neighbors": k} for k in (2, 5, 10)
    ]
    # The cluster's workers ran the fits: 3 candidates x 3 folds at least.
    assert len(stream.data) >= 9
    assert {task["worker"] for task in stream.data} <= set(
        client.scheduler_info()["workers"]
    )
    for on_cluster, here in zip(result.records, local.records):
        assert on_cluster["error"] == ""
        np.testing.assert_allclose(on_cluster["test_rmse"], here["test_rmse"])
        assert on_cluster["best_params"] == here["best_params"]


def test_warnings_on_a_cluster_are_counted_as_in_a_serial_run(client):
    from sklearn.neural_network import MLPRegressor

    # Two iterations: every fit warns that it has not converged.
    estimators = {
        "MLP": MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    }
    grid = {"MLP": {"alpha": [1e-4, 1e-2]}}
    serial = compare("sine", estimators, grid=grid, n_samples=200, cv=3)
    with joblib.parallel_backend("dask"):
        on_cluster = compare(
            "sine", estimators, grid=grid, n_samples=200, cv=3, n_jobs=-1
        )
    # 2 candidates x 3 folds and the refit.
    assert serial.records[0]["warnings"] == "ConvergenceWarning x7"
    assert on_cluster.records[0]["warnings"] == serial.records[0]["warnings"]
    assert on_cluster.records[0]["test_rmse"] == serial.records[0]["test_rmse"]


# --------------------------------------------------------------------------
# Fits beyond memory: the closed-form networks on Dask collections.
# --------------------------------------------------------------------------


def _dask_data(n_samples=6000, n_features=1):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 2.0, size=(n_samples, n_features))
    y = np.sin(3.0 * X.sum(axis=1)) + 0.05 * rng.normal(size=n_samples)
    return X, y


@pytest.mark.parametrize(
    "estimator, n_features",
    [
        (ReluKnotRegressor(n_knots=40), 1),
        (ReluKnotRegressor(n_knots=6, directions=2, random_state=0), 2),
        (BumpNetRegressor(n_bumps=30), 1),
        (BumpNetRegressor(n_bumps=8, directions="axes"), 2),
        # Candidate layouts along a random direction, whose range the data
        # give in a first pass, widened by the margin.
        (BumpNetRegressor(directions=1, random_state=0), 2),
        # The default rows of three inputs: soft bumps along fifteen
        # directions, half the range beyond the data, are nearly collinear.
        # Their sums are taken in the blocks of rows that fit takes (the
        # Dask blocks are moved onto them), else the solve would show the
        # rounding of another order of summation (about 1e-6).
        (BumpNetRegressor(), 3),
    ],
)
def test_dask_fit_on_a_local_cluster_equals_the_in_memory_fit(
    client, estimator, n_features
):
    da = pytest.importorskip("dask.array")
    X, y = _dask_data(n_features=n_features)
    weight = np.random.default_rng(1).uniform(0.0, 2.0, size=y.size)
    weight[::7] = 0.0
    in_memory = clone(estimator).fit(X, y, sample_weight=weight)
    with distributed.get_task_stream(client) as stream:
        on_cluster = clone(estimator).fit(
            da.from_array(X, chunks=(1000, n_features)),
            da.from_array(y, chunks=1000),
            sample_weight=da.from_array(weight, chunks=1000),
        )
    # The blocks' statistics were computed by the workers.
    assert len(stream.data) >= 6
    np.testing.assert_allclose(
        on_cluster.predict(X), in_memory.predict(X), rtol=1e-10, atol=1e-10
    )
    np.testing.assert_allclose(on_cluster.alpha_, in_memory.alpha_, rtol=1e-8)
    if hasattr(in_memory, "edges_"):
        # The same bumps: ranges of the projections taken from the data.
        np.testing.assert_allclose(on_cluster.edges_, in_memory.edges_, rtol=1e-14)


def test_dask_dataframe_fit_equals_the_in_memory_fit(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = _dask_data(n_features=2)
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b"]), npartitions=3)
    target = dd.from_pandas(pd.Series(y), npartitions=3)
    estimator = BumpNetRegressor(n_bumps=8, directions="axes")
    model = clone(estimator).fit(frame, target)
    expected = clone(estimator).fit(X, y).predict(X)
    # Equal to 1e-10 relative to the size of the predictions.
    atol = 1e-10 * np.abs(expected).max()
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-10, atol=atol)


def test_dask_fit_refuses_layers_that_need_all_rows(client):
    da = pytest.importorskip("dask.array")
    X, y = _dask_data(600)
    with pytest.raises(ValueError, match="quantile"):
        ReluKnotRegressor(knots="quantile").fit(
            da.from_array(X, chunks=(200, 1)), da.from_array(y, chunks=200)
        )


@pytest.mark.parametrize(
    "estimator",
    [
        ReluKnotRegressor(n_knots=30, domain=[(-1.0, 2.0)]),
        BumpNetRegressor(n_bumps=20, domain=[(-1.0, 2.0)]),
        TrainedMLPRegressor((16,), max_epochs=1, random_state=0, domain=[(-1, 2)]),
    ],
)
def test_dask_ml_wrappers_work_with_every_estimator(estimator):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    da = pytest.importorskip("dask.array")
    X, y = _dask_data(3000)
    Xd, yd = da.from_array(X, chunks=(500, 1)), da.from_array(y, chunks=500)
    incremental = wrappers.Incremental(clone(estimator), random_state=0).fit(Xd, yd)
    post_fit = wrappers.ParallelPostFit(clone(estimator)).fit(X, y)
    for wrapped in (incremental, post_fit):
        predicted = wrapped.predict(Xd).compute()
        np.testing.assert_allclose(predicted, wrapped.predict(X))
    if not isinstance(estimator, TrainedMLPRegressor):
        # Blocks in any order sum to the one-shot fit.
        expected = clone(estimator).fit(X, y).predict(X)
        np.testing.assert_allclose(
            incremental.predict(X), expected, rtol=1e-10, atol=1e-10
        )


def test_dask_fit_with_a_domain_takes_one_pass(client):
    da = pytest.importorskip("dask.array")
    X, y = _dask_data(4000)
    model = ReluKnotRegressor(n_knots=30, domain=[(-1.0, 2.0)])
    on_cluster = clone(model).fit(
        da.from_array(X, chunks=(1000, 1)), da.from_array(y, chunks=1000)
    )
    expected = clone(model).fit(X, y).predict(X)
    np.testing.assert_allclose(on_cluster.predict(X), expected, rtol=1e-10, atol=1e-10)
    # The model continues with partial_fit, exactly.
    on_cluster.partial_fit(X[:500], y[:500])
    twice = clone(model).fit(np.vstack([X, X[:500]]), np.r_[y, y[:500]])
    np.testing.assert_allclose(
        on_cluster.predict(X), twice.predict(X), rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("domain", [None, [(-1.0, 2.0)]])
def test_dask_fit_computes_each_stored_block_once_per_pass(domain):
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    X, y = _dask_data(3000)
    table = np.column_stack([X, y])
    calls = []

    def read_block(k):
        calls.append(k)
        return table[1000 * k : 1000 * (k + 1)]

    stored = da.concatenate(
        [
            da.from_delayed(dask.delayed(read_block)(k), (1000, 2), np.float64)
            for k in range(3)
        ]
    )
    model = ReluKnotRegressor(n_knots=30, domain=domain)
    with dask.config.set(scheduler="sync"):
        on_blocks = clone(model).fit(stored[:, :1], stored[:, 1])
    # X and y cut from one stored block read it once per pass over the
    # data: one pass with a domain, two without (the ranges, then the sums).
    passes = 1 if domain is not None else 2
    assert sorted(calls) == sorted([0, 1, 2] * passes)
    expected = clone(model).fit(X, y).predict(X)
    np.testing.assert_allclose(on_blocks.predict(X), expected, rtol=1e-10, atol=1e-10)
