"""The comparison and grid search run on a Dask cluster through joblib."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

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
