import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.neighbors import KNeighborsRegressor  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402

from sklearn_uat.datasets import make_function  # noqa: E402
from sklearn_uat.plotting import (  # noqa: E402
    ApproximationDisplay,
    ConvergenceDisplay,
    DecompositionDisplay,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def sine_model():
    X, y = make_function("sine", 300, random_state=0)
    return make_pipeline(MinMaxScaler(), KNeighborsRegressor()).fit(X, y), X, y


def test_approximation_1d_draws_target_model_points_and_error(sine_model):
    model, X, y = sine_model
    display = ApproximationDisplay.from_estimator(
        model, "sine", X_train=X, y_train=y, n_points=400
    )
    assert isinstance(display, ApproximationDisplay)
    assert len(display.ax_) == 2
    main, err = display.ax_
    assert len(main.get_lines()) == 2 and len(err.get_lines()) == 2  # + zero line
    x, e = display.lines_["error"].get_data()
    assert len(x) == 400
    np.testing.assert_allclose(e, display.y_pred - display.y_true)
    assert display.training_points_.get_offsets().shape == (300, 2)
    assert display.lines_["model"].get_label() == "KNeighborsRegressor"
    assert display.figure_ is main.figure


def test_approximation_1d_on_a_given_axes(sine_model):
    model, X, y = sine_model
    fig, ax = plt.subplots()
    display = ApproximationDisplay.from_estimator(model, "sine", ax=ax)
    assert display.ax_[0] is ax and display.figure_ is fig
    assert "error" not in display.lines_


def test_approximation_2d_draws_three_heatmaps():
    X, y = make_function("sinc", 500, random_state=0)
    model = KNeighborsRegressor().fit(X, y)
    display = ApproximationDisplay.from_estimator(model, "sinc", n_points=30)
    assert sorted(display.images_) == ["error", "model", "target"]
    assert len(display.ax_) == 3
    assert display.images_["model"].get_array().size == 30 * 30
    fig, axes = plt.subplots(1, 3)
    display = ApproximationDisplay.from_estimator(model, "sinc", n_points=20, ax=axes)
    assert list(display.ax_) == list(axes)


def test_approximation_errors_are_clear(sine_model):
    model, X, y = sine_model
    with pytest.raises(ValueError, match="2 inputs but the model takes 1"):
        ApproximationDisplay.from_estimator(model, "sinc")
    with pytest.raises(ValueError, match="Give a target function"):
        ApproximationDisplay.from_estimator(model)
    X4, y4 = make_function("distance", 100, random_state=0)
    with pytest.raises(ValueError, match="one or two inputs"):
        ApproximationDisplay.from_estimator(
            KNeighborsRegressor().fit(X4, y4), "distance"
        )
    with pytest.raises(TypeError, match="target must be a name"):
        ApproximationDisplay.from_estimator(model, 3)
    fig, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="one Axes or 2 Axes"):
        ApproximationDisplay.from_estimator(model, "sine", ax=axes)


def test_decomposition_rejects_models_that_are_not_one_layer_networks():
    X, y = make_function("sine", 100, random_state=0)
    knn = KNeighborsRegressor().fit(X, y)
    with pytest.raises(ValueError, match="DecompositionDisplay needs a network"):
        DecompositionDisplay.from_estimator(knn, "sine")
    mlp = MLPRegressor(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=50)
    mlp.fit(X, y)
    with pytest.raises(ValueError, match="got MLPRegressor"):
        DecompositionDisplay.from_estimator(mlp, "sine")


def test_convergence_display_draws_measured_and_theory_lines():
    display = ConvergenceDisplay(
        {"a": [8, 16, 32], "b": [8, 16, 32]},
        {"a": [1.0, 0.25, 0.0625], "b": [1.0, 0.5, 0.3]},
        {"a": -2.0, "b": None},
    ).plot()
    assert sorted(display.lines_) == ["a", "b"]
    assert sorted(display.theory_lines_) == ["a"]
    _, guide = display.theory_lines_["a"].get_data()
    np.testing.assert_allclose(guide, [1.0, 0.25, 0.0625])
    assert display.ax_.get_xscale() == "log" and display.ax_.get_yscale() == "log"
    fig, ax = plt.subplots()
    assert ConvergenceDisplay({"a": [2, 4]}, {"a": [1, 0.5]}).plot(ax=ax).ax_ is ax
