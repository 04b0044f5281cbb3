import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.neighbors import KNeighborsRegressor  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402

from sklearn_uat import (  # noqa: E402
    BumpNetRegressor,
    ReluKnotRegressor,
    TrainedMLPRegressor,
)
from sklearn_uat.datasets import make_function  # noqa: E402
from sklearn_uat.plotting import (  # noqa: E402
    ApproximationDisplay,
    ConvergenceDisplay,
    DecompositionDisplay,
    TrainingDisplay,
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


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_decomposition_rejects_models_that_are_not_one_layer_networks():
    X, y = make_function("sine", 100, random_state=0)
    knn = KNeighborsRegressor().fit(X, y)
    with pytest.raises(ValueError, match="DecompositionDisplay needs a network"):
        DecompositionDisplay.from_estimator(knn, "sine")
    mlp = MLPRegressor(
        hidden_layer_sizes=(3,), solver="lbfgs", max_iter=50, random_state=0
    )
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
    display = ConvergenceDisplay(
        {"b": [8, 16, 32]}, {"b": [1.0, 0.5, 0.1]}, {"b": -1.0}
    ).plot()
    # The guide goes through the largest network's error.
    _, guide = display.theory_lines_["b"].get_data()
    np.testing.assert_allclose(guide, [0.4, 0.2, 0.1])
    assert display.ax_.get_xscale() == "log" and display.ax_.get_yscale() == "log"
    fig, ax = plt.subplots()
    assert ConvergenceDisplay({"a": [2, 4]}, {"a": [1, 0.5]}).plot(ax=ax).ax_ is ax


@pytest.fixture(scope="module")
def multiscale():
    return make_function("multiscale", 400, sampling="grid")


def test_decomposition_of_bumps_sums_to_the_prediction(multiscale):
    X, y = multiscale
    model = BumpNetRegressor(n_bumps=8, steepness=100, heights="mean").fit(X, y)
    display = DecompositionDisplay.from_estimator(model, "multiscale", n_points=300)
    assert isinstance(display, DecompositionDisplay)
    assert len(display.ax_) == 2 and len(display.component_lines_) == 8
    # The output bias is folded into the first bump: no separate bias line.
    assert display.bias_line_ is None and display.bias == 0.0
    np.testing.assert_allclose(display.components.sum(axis=1), display.total)
    np.testing.assert_allclose(display.total, display.y_pred, atol=1e-12)
    # Column 0 is the first bump continued left by the open end: at the left
    # edge it is the open end's level.
    np.testing.assert_allclose(
        display.components[0, 0], model.outer_heights_[0], rtol=1e-6
    )
    assert display.prediction_line_ is None
    assert display.target_line_ is not None


def test_decomposition_of_a_sigmoid_output_bumpnet_adds_an_output_panel(multiscale):
    X, y = multiscale
    model = BumpNetRegressor(
        n_bumps=8, steepness=100, heights="mean", output_activation="sigmoid"
    ).fit(X, y)
    display = DecompositionDisplay.from_estimator(model, "multiscale", n_points=300)
    assert len(display.ax_) == 3
    # The pre-activation bias is intercepts_[-2] (a 1x1 layer follows).
    parts = model.decompose(display.x.reshape(-1, 1))
    np.testing.assert_allclose(
        display.total, parts.sum(axis=1) + model.intercepts_[-2][0]
    )
    w, b = model.coefs_[-1][0, 0], model.intercepts_[-1][0]
    np.testing.assert_allclose(
        w / (1 + np.exp(-display.total)) + b, display.y_pred, atol=1e-12
    )
    # The target is drawn in inverse-sigmoid units beside the sum.
    p = (display.y_true - b) / w
    np.testing.assert_allclose(display.y_true_pre, np.log(p / (1 - p)), atol=1e-6)
    assert display.prediction_line_ is not None
    assert display.output_target_line_ is not None
    with pytest.raises(ValueError, match="ax must hold 3 Axes"):
        DecompositionDisplay.from_estimator(model, ax=plt.subplots(2)[1], X_train=X)


def test_decomposition_of_hinges_on_given_axes(multiscale):
    X, y = multiscale
    model = make_pipeline(MinMaxScaler(), ReluKnotRegressor(n_knots=12)).fit(X, y)
    fig, axes = plt.subplots(2, 1)
    display = DecompositionDisplay.from_estimator(
        model, "multiscale", ax=axes, max_components=5
    )
    assert list(display.ax_) == list(axes) and display.figure_ is fig
    assert len(display.component_lines_) == 5
    assert display.components.shape[1] == 5
    # The sum holds all 12 hinges and the bias, drawn as its own line.
    np.testing.assert_allclose(display.total, display.y_pred, atol=1e-12)
    assert display.bias_line_ is not None
    assert display.estimator_name == "ReluKnotRegressor"


def test_decomposition_of_one_hidden_layer_mlp_and_refusal_of_deeper(multiscale):
    X, y = multiscale
    mlp = TrainedMLPRegressor((6,), max_epochs=2, random_state=0).fit(X, y)
    display = DecompositionDisplay.from_estimator(mlp, "multiscale", n_points=200)
    assert len(display.component_lines_) == 6
    np.testing.assert_allclose(display.total, display.y_pred, atol=1e-10)
    deep = TrainedMLPRegressor((4, 4), max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"hidden layers \(4, 4\)"):
        DecompositionDisplay.from_estimator(deep, "multiscale")
    X2, y2 = make_function("sinc", 100, random_state=0)
    with pytest.raises(ValueError, match="networks of one input"):
        DecompositionDisplay.from_estimator(ReluKnotRegressor().fit(X2, y2), "sinc")


def test_training_display_snapshots_follow_the_training(multiscale):
    X, y = multiscale
    model = TrainedMLPRegressor((8,), activation="relu", max_epochs=12, random_state=0)
    display = TrainingDisplay.from_training(model, X, y, epochs=[0, 3, 12])
    assert isinstance(display, TrainingDisplay)
    assert not hasattr(model, "net_")  # the original is untouched
    assert sorted(display.snapshot_lines_) == [0, 3, 12]
    assert len(display.ax_) == 2 and len(display.ax_[0].get_lines()) == 1
    assert len(display.loss_line_.get_xdata()) == 12
    # The last snapshot is the trained model; the first its initialisation.
    fitted = display.estimator_
    np.testing.assert_allclose(
        display.snapshots[12], fitted.predict(display.x.reshape(-1, 1)), atol=1e-12
    )
    assert not np.allclose(display.snapshots[0], display.snapshots[12])
    assert fitted.snapshot_epochs == [0, 3, 12]
    # The same seed trained in one plain fit gives the same network.
    plain = TrainedMLPRegressor(
        (8,), activation="relu", max_epochs=12, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(plain.predict(X), fitted.predict(X))
    assert display.target_line_ is None  # no target given


def test_training_display_for_mlpregressor_and_given_axes():
    X, y = make_function("sine", 200, random_state=0)
    fig, axes = plt.subplots(1, 2)
    mlp = MLPRegressor(hidden_layer_sizes=(10,), random_state=0)
    display = TrainingDisplay.from_training(
        mlp, X, y, epochs=[1, 5], target="sine", ax=axes
    )
    assert list(display.ax_) == list(axes) and display.figure_ is fig
    assert sorted(display.snapshot_lines_) == [1, 5]
    assert display.target_line_ is not None
    assert len(display.estimator_.loss_curve_) == 5
    with pytest.raises(ValueError, match="no epoch 0"):
        TrainingDisplay.from_training(mlp, X, y, epochs=[0, 5])


def test_training_display_loss_curves_with_validation():
    X, y = make_function("sine", 300, random_state=0)
    model = TrainedMLPRegressor(
        (8,), max_epochs=6, early_stopping=True, random_state=0
    ).fit(X, y)
    fig, ax = plt.subplots()
    display = TrainingDisplay.from_estimator(model, ax=ax)
    assert display.ax_[0] is ax and len(display.ax_) == 1
    assert len(ax.get_lines()) == 2
    _, err = display.validation_line_.get_data()
    np.testing.assert_allclose(err, 1 - np.asarray(model.validation_scores_))
    assert display.snapshot_lines_ == {}


def test_training_display_rejects_models_that_are_not_trained_networks():
    X, y = make_function("sine", 100, random_state=0)
    with pytest.raises(ValueError, match="got KNeighborsRegressor"):
        TrainingDisplay.from_estimator(KNeighborsRegressor().fit(X, y))
    with pytest.raises(ValueError, match="got ReluKnotRegressor"):
        TrainingDisplay.from_training(ReluKnotRegressor(), X, y)
    with pytest.raises(ValueError, match="max_epochs=3"):
        TrainingDisplay.from_training(
            TrainedMLPRegressor(max_epochs=3), X, y, epochs=[5]
        )
    X2, y2 = make_function("sinc", 100, random_state=0)
    with pytest.raises(ValueError, match="one input"):
        TrainingDisplay.from_training(TrainedMLPRegressor(), X2, y2)


def test_convergence_display_from_result_and_wrong_inputs():
    from sklearn_uat.compare import ConvergenceResult

    result = ConvergenceResult(
        "sine",
        units={"knots": np.array([8, 16])},
        max_error={"knots": np.array([1e-2, 2.5e-3])},
        rmse={"knots": np.array([5e-3, 1.25e-3])},
        theory={"knots": -2.0},
    )
    fig, ax = plt.subplots()
    display = ConvergenceDisplay.from_result(result, ax=ax, metric="rmse")
    assert display.ax_ is ax and display.figure_ is fig
    assert len(ax.get_lines()) == 2
    np.testing.assert_allclose(display.lines_["knots"].get_ydata(), [5e-3, 1.25e-3])
    assert ax.get_ylabel() == "test RMSE" and "sine" in ax.get_title()
    with pytest.raises(ValueError, match="metric must be"):
        ConvergenceDisplay.from_result(result, metric="mae")
    with pytest.raises(TypeError, match="needs the ConvergenceResult"):
        ConvergenceDisplay.from_result({"units": {}})


def test_training_display_names_what_partial_fit_cannot_do():
    X, y = make_function("sine", 100, random_state=0)
    with pytest.raises(ValueError, match="set early_stopping=False"):
        TrainingDisplay.from_training(
            MLPRegressor(early_stopping=True), X, y, epochs=[1, 2]
        )
