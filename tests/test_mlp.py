"""Tests of TrainedMLPRegressor: the scikit-learn contract, the knobs, the seeds."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skorch.callbacks import Callback

from sklearn_uat import FeedForwardNetwork, ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat._network import ACTIVATIONS
from sklearn_uat._torch_modules import DenseModule, initialize_weights
from sklearn_uat.datasets import make_function

# Small settings that train in well under a second.
FAST = dict(hidden_layer_sizes=(16,), max_epochs=30, batch_size=16)


def rmse(model, X, y):
    predict = model.forward if isinstance(model, FeedForwardNetwork) else model.predict
    return float(np.sqrt(np.mean((predict(X) - y) ** 2)))


def sine_interpolant(n_units, lo=0.0, hi=2 * np.pi):
    """The linear interpolant of sin at ``n_units`` knots as a ReLU network.

    ``f(x) = sin(t_0) + m_0 relu(x - t_0) + sum_k (m_k - m_{k-1}) relu(x - t_k)``
    with slopes ``m_k`` between knots; valid on ``x >= t_0``.
    """
    knots = np.linspace(lo, hi, n_units + 1)
    slopes = np.diff(np.sin(knots)) / np.diff(knots)
    out = np.concatenate([[slopes[0]], np.diff(slopes)])
    return FeedForwardNetwork(
        coefs=[np.ones((1, n_units)), out[:, None]],
        intercepts=[-knots[:-1], np.array([np.sin(knots[0])])],
        activations=["relu", "identity"],
    )


class InterpolantRegressor:
    """A minimal constructive estimator exposing ``network_`` (for init_from)."""

    def __init__(self, n_units=8):
        self.n_units = n_units

    def get_params(self, deep=True):
        return {"n_units": self.n_units}

    def set_params(self, **params):
        self.n_units = params.get("n_units", self.n_units)
        return self

    def fit(self, X, y):
        self.network_ = sine_interpolant(self.n_units, X.min(), X.max())
        return self


@pytest.fixture(scope="module")
def sine_data():
    X, y = make_function("sine", n_samples=400, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def fitted(sine_data):
    X, y = sine_data
    return TrainedMLPRegressor(
        hidden_layer_sizes=(16, 8), max_epochs=40, batch_size=16, random_state=0
    ).fit(X, y)


# --------------------------------------------------------------- contract


def test_learns_from_1d_y_and_predicts_1d_float64(fitted, sine_data):
    X, y = sine_data
    y_pred = fitted.predict(X)
    assert y_pred.dtype == np.float64 and y_pred.shape == (400,)
    # The plain skorch net broadcasts a 1-D y in MSELoss and learns the mean.
    assert fitted.score(X, y) > 0.99


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, (7, 1), elements=st.floats(-10, 20)))
def test_predict_is_the_network_forward_pass(fitted, X):
    np.testing.assert_array_equal(fitted.predict(X), fitted.network_.forward(X))
    torch_pred = fitted.to_torch()(torch.as_tensor(X)).detach().numpy()[:, 0]
    np.testing.assert_allclose(fitted.predict(X), torch_pred, rtol=1e-12, atol=1e-12)


def test_coefs_use_mlpregressor_layout(fitted):
    assert [W.shape for W in fitted.coefs_] == [(1, 16), (16, 8), (8, 1)]
    assert [b.shape for b in fitted.intercepts_] == [(16,), (8,), (1,)]
    assert all(W.dtype == np.float64 for W in fitted.coefs_)
    assert fitted.activations_ == ["tanh", "tanh", "identity"]
    assert fitted.n_parameters_ == 16 * 2 + 16 * 8 + 8 + 8 + 1
    assert fitted.n_features_in_ == 1


def test_network_matches_the_trained_torch_module(fitted, sine_data):
    X, _ = sine_data
    U = (X - fitted.input_offset_) / fitted.input_scale_
    with torch.no_grad():
        z = fitted.net_.module_(torch.as_tensor(U, dtype=torch.float32))
    y_module = z.numpy()[:, 0] * fitted.target_scale_ + fitted.target_offset_
    np.testing.assert_allclose(fitted.predict(X), y_module, atol=1e-5)


def test_float32_and_float64_inputs(sine_data):
    X, y = sine_data
    m64 = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    m32 = TrainedMLPRegressor(**FAST, random_state=0).fit(X.astype(np.float32), y)
    assert m32.predict(X.astype(np.float32)).dtype == np.float64
    np.testing.assert_allclose(m32.predict(X), m64.predict(X), atol=1e-3)


def test_same_random_state_gives_identical_predictions(sine_data):
    X, y = sine_data
    params = dict(FAST, early_stopping=True, random_state=3)
    a = TrainedMLPRegressor(**params).fit(X, y).predict(X)
    b = TrainedMLPRegressor(**params).fit(X, y).predict(X)
    c = TrainedMLPRegressor(**dict(params, random_state=4)).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_fit_leaves_torch_global_state_alone(sine_data):
    X, y = sine_data
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    torch.testing.assert_close(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_pickle_and_joblib_round_trip(fitted, sine_data):
    X, _ = sine_data
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    restored = joblib.load(buffer)
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    # The restored net can keep training.
    restored.set_params(warm_start=True, max_epochs=2).fit(X, sine_data[1])
    assert restored.n_iter_ == fitted.n_iter_ + 2


def test_model_marked_as_fitted_on_gpu_unpickles_on_cpu(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    expected = model.predict(X)
    model.net_.device = "cuda"  # as a model trained on a GPU says
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeviceWarning: the pickle is CPU-only
        restored = pickle.loads(pickle.dumps(model))
    assert restored.net_.device == "cpu"
    assert next(restored.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict(X), expected)
    assert model.net_.device == "cuda"  # pickling did not touch the model


def test_the_default_device_is_the_cpu_on_every_machine(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(**FAST, random_state=0)
    assert model.device == "cpu"
    assert next(model.fit(X, y).net_.module_.parameters()).device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_raises_and_auto_uses_cpu(sine_data):
    X, y = sine_data
    with pytest.raises(ValueError, match="device='cuda'.*device='cpu'"):
        TrainedMLPRegressor(**FAST, device="cuda").fit(X, y)
    model = TrainedMLPRegressor(**FAST, device="auto", random_state=0).fit(X, y)
    assert model.net_.device == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_predicts_like_cpu_and_pickles(sine_data):
    X, y = sine_data
    gpu = TrainedMLPRegressor(**FAST, device="cuda", random_state=0).fit(X, y)
    cpu = TrainedMLPRegressor(**FAST, device="cpu", random_state=0).fit(X, y)
    assert next(gpu.net_.module_.parameters()).device.type == "cuda"
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), atol=1e-3)
    restored = pickle.loads(pickle.dumps(gpu))
    assert next(restored.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict(X), gpu.predict(X))


# ------------------------------------------------------------------ knobs


@pytest.mark.parametrize(
    "activation", ["relu", "tanh", "sigmoid", "identity", "gelu", "silu", "sin"]
)
def test_each_activation_trains_and_exports(activation, sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(**FAST, activation=activation, random_state=0)
    model.fit(X, y)
    assert model.activations_ == [activation, "identity"]
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    torch_pred = model.to_torch()(torch.as_tensor(X)).detach().numpy()[:, 0]
    np.testing.assert_allclose(model.predict(X), torch_pred, rtol=1e-10, atol=1e-10)


def test_activation_per_hidden_layer(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(4, 6), activation=["identity", "tanh"], max_epochs=2
    ).fit(X, y)
    assert model.activations_ == ["identity", "tanh", "identity"]
    with pytest.raises(ValueError, match="one of them per hidden layer"):
        TrainedMLPRegressor(hidden_layer_sizes=(4, 6), activation=["tanh"]).fit(X, y)


def _initial_layers(scheme, sizes=(50, 40, 1), seed=0):
    module = DenseModule(sizes, ["relu", "relu", "identity"][: len(sizes) - 1])
    initialize_weights(module, scheme, torch.Generator().manual_seed(seed))
    return [(W.detach().numpy(), b.detach().numpy()) for W, b in module.layers()]


def test_weight_init_schemes_have_their_ranges():
    for W, b in _initial_layers("uniform"):
        assert np.abs(W).max() <= 0.05 and np.abs(W).max() > 0.04
        assert not b.any()
    for W, b in _initial_layers("he_uniform"):
        bound = np.sqrt(6 / W.shape[0])
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.9 * bound
        assert not b.any()
    for W, b in _initial_layers("xavier_uniform"):
        bound = np.sqrt(6 / (W.shape[0] + W.shape[1]))
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.9 * bound
        assert not b.any()
    W, _ = _initial_layers("he_normal")[0]
    assert abs(W.std() - np.sqrt(2 / 50)) < 0.1 * np.sqrt(2 / 50)
    W, _ = _initial_layers("xavier_normal")[0]
    assert abs(W.std() - np.sqrt(2 / 90)) < 0.1 * np.sqrt(2 / 90)
    # torch.nn.Linear's own: weights and biases within 1 / sqrt(fan_in).
    for W, b in _initial_layers("default"):
        assert np.abs(W).max() <= 1 / np.sqrt(W.shape[0])
        assert np.abs(b).max() <= 1 / np.sqrt(W.shape[0]) and b.any()


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "lbfgs"])
def test_each_optimizer_reduces_the_loss(optimizer, sine_data):
    X, y = sine_data
    epochs = 5 if optimizer == "lbfgs" else 30
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(16,),
        optimizer=optimizer,
        learning_rate=1e-2,
        max_epochs=epochs,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ == epochs == len(model.loss_curve_)
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]


def test_lbfgs_fits_sine_to_high_accuracy(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(16,), optimizer="lbfgs", max_epochs=10, random_state=0
    ).fit(X, y)
    assert rmse(model, X, y) < 1e-2


def test_alpha_shrinks_the_weights(sine_data):
    X, y = sine_data
    norms = []
    for alpha in [0.0, 0.1]:
        model = TrainedMLPRegressor(**FAST, alpha=alpha, random_state=0).fit(X, y)
        norms.append(
            sum(float((W**2).sum()) for W in model.net_.module_.state_dict().values())
        )
    assert norms[1] < 0.7 * norms[0]


def test_early_stopping_records_scores_and_stops(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(16,),
        learning_rate=0.05,
        max_epochs=500,
        early_stopping=True,
        n_iter_no_change=3,
        tol=0.05,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 500
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_validation_score_ > 0.9
    plain = TrainedMLPRegressor(**FAST).fit(X, y)
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None


def test_early_stopping_needs_a_validation_sample():
    with pytest.raises(ValueError, match="validation_fraction"):
        TrainedMLPRegressor(early_stopping=True).fit([[0.0], [1.0]], [0.0, 1.0])


def test_lr_schedules(sine_data):
    X, y = sine_data
    cosine = TrainedMLPRegressor(**FAST, lr_schedule="cosine").fit(X, y)
    lrs = cosine.net_.history[:, "event_lr"]
    assert lrs[0] == pytest.approx(1e-2) and lrs[-1] < 1e-4
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    constant = TrainedMLPRegressor(**FAST, lr_schedule=None).fit(X, y)
    assert constant.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-2)
    plateau = TrainedMLPRegressor(
        hidden_layer_sizes=(2,),
        learning_rate=0.5,
        max_epochs=40,
        lr_schedule="plateau",
        n_iter_no_change=2,
        random_state=0,
    ).fit(X, y)
    assert plateau.net_.optimizer_.param_groups[0]["lr"] < 0.5


def test_scale_target_makes_the_fit_equivariant(sine_data):
    X, y = sine_data
    y_big = 1e6 + 1e5 * y
    plain = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    scaled = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y_big)
    np.testing.assert_allclose(
        scaled.predict(X), 1e6 + 1e5 * plain.predict(X), rtol=0, atol=1e5 * 1e-3
    )
    assert scaled.score(X, y_big) > 0.9
    assert scaled.target_offset_ == pytest.approx(y_big.mean())
    raw = TrainedMLPRegressor(**FAST, scale_target=False, random_state=0)
    assert raw.fit(X, y_big).score(X, y_big) < 0.5


def test_warm_start_and_partial_fit_continue_training(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    model.set_params(warm_start=True, max_epochs=5).fit(X, y)
    assert model.n_iter_ == 35 and len(model.loss_curve_) == 35
    model.partial_fit(X, y)
    assert model.n_iter_ == 36
    with pytest.raises(ValueError, match="warm_start=False"):
        model.set_params(hidden_layer_sizes=(8,)).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(np.hstack([X, X]), y)
    fresh = TrainedMLPRegressor(**FAST, random_state=0)
    for _ in range(3):
        fresh.partial_fit(X, y)
    assert fresh.n_iter_ == 3


def test_verbose_prints_table_or_progress_bar(sine_data, capsys):
    X, y = sine_data
    TrainedMLPRegressor(hidden_layer_sizes=(4,), max_epochs=2, verbose=0).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    TrainedMLPRegressor(hidden_layer_sizes=(4,), max_epochs=2, verbose=1).fit(X, y)
    assert "train_loss" in capsys.readouterr().out
    TrainedMLPRegressor(hidden_layer_sizes=(4,), max_epochs=2, verbose=2).fit(X, y)
    assert "2/2" in capsys.readouterr().err


class EpochCounter(Callback):
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


def test_callbacks_are_passed_through_and_left_untouched(sine_data):
    X, y = sine_data
    counter = EpochCounter()
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(4,), max_epochs=3, callbacks=[counter]
    )
    model.fit(X, y)
    assert dict(model.net_.callbacks_)["EpochCounter"].epochs == 3
    assert counter.epochs == 0


def test_divergence_raises_instead_of_predicting_nan(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(16,),
        optimizer="sgd",
        learning_rate=1e3,
        max_epochs=20,
        scale_target=False,
        lr_schedule=None,
        random_state=0,
    )
    with pytest.raises(ValueError, match="diverged.*learning_rate"):
        model.fit(X, 1e3 * y)


def test_invalid_parameters_are_named():
    X, y = np.zeros((5, 1)), np.zeros(5)
    with pytest.raises(ValueError, match="optimizer"):
        TrainedMLPRegressor(optimizer="adagrad").fit(X, y)
    with pytest.raises(ValueError, match="weight_init"):
        TrainedMLPRegressor(weight_init="zeros").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        TrainedMLPRegressor(hidden_layer_sizes=(4, 0)).fit(X, y)


# ------------------------------------------------- constructive initialisation


def test_init_from_network_starts_from_its_function(sine_data):
    X, y = sine_data
    constructive = sine_interpolant(8)
    for hidden in [(8,), (12,), (10, 9)]:
        model = TrainedMLPRegressor(
            hidden_layer_sizes=hidden,
            activation="relu",
            init_from=constructive,
            learning_rate=1e-12,
            max_epochs=1,
            random_state=0,
        ).fit(X, y)
        # Only float32 rounding separates the untrained model from the network.
        np.testing.assert_allclose(
            model.predict(X), constructive.forward(X), atol=2e-5 * np.abs(y).max()
        )


def test_init_from_unfitted_estimator_fits_a_clone(sine_data):
    X, y = sine_data
    source = InterpolantRegressor(n_units=6)
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(6,),
        activation="relu",
        init_from=source,
        learning_rate=1e-12,
        max_epochs=1,
    ).fit(X, y)
    assert not hasattr(source, "network_")
    np.testing.assert_allclose(
        model.predict(X), sine_interpolant(6, X.min(), X.max()).forward(X), atol=1e-4
    )


def test_init_from_checks_the_network(sine_data):
    X, y = sine_data
    with pytest.raises(ValueError, match="at least 8 units"):
        TrainedMLPRegressor(
            hidden_layer_sizes=(6,), activation="relu", init_from=sine_interpolant(8)
        ).fit(X, y)
    with pytest.raises(ValueError, match="activation='relu'"):
        TrainedMLPRegressor(hidden_layer_sizes=(8,), init_from=sine_interpolant(8)).fit(
            X, y
        )
    tanh_net = FeedForwardNetwork(
        [np.ones((1, 2)), np.ones((2, 1))],
        [np.zeros(2), np.zeros(1)],
        ["tanh", "identity"],
    )
    with pytest.raises(ValueError, match="one hidden ReLU layer"):
        TrainedMLPRegressor(
            hidden_layer_sizes=(8,), activation="relu", init_from=tanh_net
        ).fit(X, y)


def test_constructive_init_beats_best_of_five_random_inits():
    # 8 ReLU units on sine, the same epoch budget for every start.
    X, y = make_function("sine", n_samples=1000, random_state=0)
    X_test, y_test = make_function("sine", n_samples=1000, sampling="grid")
    params = dict(
        hidden_layer_sizes=(8,),
        activation="relu",
        max_epochs=25,
        batch_size=64,
        learning_rate=3e-3,
    )
    random_starts = [
        rmse(
            TrainedMLPRegressor(**params, weight_init="he_uniform", random_state=s).fit(
                X, y
            ),
            X_test,
            y_test,
        )
        for s in range(5)
    ]
    constructive = TrainedMLPRegressor(
        **params, init_from=sine_interpolant(8), random_state=0
    ).fit(X, y)
    assert rmse(constructive, X_test, y_test) < min(random_starts)
    # ... and training improved on the closed-form start.
    assert rmse(constructive, X_test, y_test) < rmse(
        sine_interpolant(8), X_test, y_test
    )


def test_init_from_knots(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(8,),
        activation="relu",
        init_from="knots",
        learning_rate=1e-12,
        max_epochs=1,
    ).fit(X, y)
    # 9 knots: 8 live units; the unit facing left of the first knot is zero
    # on the training range and is left out of the start.
    reference = ReluKnotRegressor(n_knots=9).fit(X, y)
    assert reference.network_.hidden_layer_sizes[0] == 9
    np.testing.assert_allclose(model.predict(X), reference.predict(X), atol=1e-4)
    hidden = model.network_.hidden_activations(X)
    assert (hidden > 0).any(axis=0).all()  # no dead unit in the start


# ------------------------------------------------------------------ seeds


def test_seed_000_keras_network_fits_poly_tan():
    # Dense 32 linear, 64 tanh, 32 tanh, 1 linear; RMSprop 1e-3; batch 128;
    # Keras' Glorot weights, raw targets (benchmarks/bench_mlp.py: full size).
    X, y = make_function("poly_tan", n_samples=3000, random_state=0)
    X_test, y_test = make_function("poly_tan", n_samples=1000, random_state=1)
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(32, 64, 32),
        activation=["identity", "tanh", "tanh"],
        weight_init="xavier_uniform",
        optimizer="rmsprop",
        learning_rate=1e-3,
        batch_size=128,
        max_epochs=40,
        lr_schedule=None,
        scale_target=False,
        random_state=0,
    ).fit(X, y)
    assert model.activations_ == ["identity", "tanh", "tanh", "identity"]
    assert rmse(model, X_test, y_test) < 0.1 * np.std(y_test)


def test_seed_002_uniform_init_takes_the_form_of_a_relu():
    # 4 ReLU units on sin over [0, 2 pi], adam, batch 32.
    X = np.linspace(0, 2 * np.pi, 1000).reshape(-1, 1)
    y = np.sin(X[:, 0])
    params = dict(
        hidden_layer_sizes=(4,),
        activation="relu",
        batch_size=32,
        max_epochs=30,
        learning_rate=1e-3,
        lr_schedule=None,
        random_state=0,
    )
    fits = {
        "uniform": TrainedMLPRegressor(**params, weight_init="uniform"),
        "he_uniform": TrainedMLPRegressor(**params, weight_init="he_uniform"),
        "constructive": TrainedMLPRegressor(**params, init_from=sine_interpolant(4)),
    }
    errors, alive = {}, {}
    for name, model in fits.items():
        model.fit(X, y)
        errors[name] = rmse(model, X, y)
        alive[name] = int((model.network_.hidden_activations(X).max(axis=0) > 0).sum())
    # Keras' small uniform start leaves units dead: few kinks, a ReLU shape.
    assert alive["uniform"] <= 3 and alive["he_uniform"] == 4
    assert errors["constructive"] < errors["he_uniform"] < errors["uniform"]


def test_seed_003_deep_narrow_relu_net_loses_units_a_wide_one_keeps():
    # 4 x 5 ReLU layers against one layer of 20, plain SGD at 0.01, batch 32.
    rng = np.random.RandomState(0)
    X = rng.uniform(-np.pi, np.pi, (6_000, 1))
    y = np.sin(X[:, 0])
    X_grid = np.linspace(-np.pi, np.pi, 1000).reshape(-1, 1)
    sgd = dict(
        activation="relu",
        optimizer="sgd",
        momentum=0.0,
        learning_rate=0.01,
        batch_size=32,
        max_epochs=2,
        lr_schedule=None,
        weight_init="xavier_uniform",
        scale_target=False,
    )
    for seed in range(3):
        deep = TrainedMLPRegressor((5, 5, 5, 5), **sgd, random_state=seed).fit(X, y)
        wide = TrainedMLPRegressor((20,), **sgd, random_state=seed).fit(X, y)
        deep_alive = [
            int((deep.network_.hidden_activations(X_grid, layer).max(axis=0) > 0).sum())
            for layer in range(4)
        ]
        wide_alive = (wide.network_.hidden_activations(X_grid).max(axis=0) > 0).sum()
        # Dead units narrow the deep net's bottleneck; the wide layer keeps its.
        assert min(deep_alive) / 5 < wide_alive / 20
        assert wide_alive >= 18


def test_importing_the_package_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys, sklearn_uat; "
        "print('torch' in sys.modules, 'skorch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_lean_training_epochs_match_skorchs_batch_loop():
    # A callback that listens to batches sends training through skorch's own
    # per-batch loop; without one, epochs take the lean path. Same model.
    from skorch.callbacks import Callback

    class CountBatches(Callback):
        def initialize(self):
            self.count_ = 0
            return self

        def on_batch_end(self, net, batch=None, training=False, **kwargs):
            self.count_ += training

    X, y = make_function("sinc", 600, random_state=0)
    params = dict(hidden_layer_sizes=(16, 16), max_epochs=4, random_state=3)
    lean = TrainedMLPRegressor(**params).fit(X, y)
    counter = CountBatches()
    hooked = TrainedMLPRegressor(**params, callbacks=[("count", counter)]).fit(X, y)
    assert hooked.net_.callbacks_[-1][1].count_ == 4 * len(
        hooked.net_.history[-1, "batches"]
    )
    # The default cosine schedule steps by epoch and leaves the lean path on.
    assert lean.net_.batch_hooks_are_idle()
    assert not hooked.net_.batch_hooks_are_idle()
    np.testing.assert_array_equal(lean.predict(X), hooked.predict(X))
    assert lean.loss_curve_ == hooked.loss_curve_


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_hand_written_gradient_matches_autograd(activation, weighted):
    # Training steps back-propagate by hand; autograd on the same loss in
    # float64 is the reference.
    torch.manual_seed(0)
    module = DenseModule(
        [3, 7, 5, 2], [activation, activation, "identity"], dtype=torch.float64
    )
    initialize_weights(module, "default", torch.Generator().manual_seed(1))
    X = torch.randn(11, 3, dtype=torch.float64)
    y = torch.randn(11, 2, dtype=torch.float64)
    w = torch.rand(11, dtype=torch.float64) * 3 if weighted else None

    squared = (module(X) - y).square()
    reference = (squared if w is None else w[:, None] * squared).mean()
    reference.backward()
    expected = module.weights.grad.clone()

    loss, y_pred = module.mse_gradient(X, y, w)
    np.testing.assert_allclose(float(loss), float(reference.detach()), rtol=1e-13)
    np.testing.assert_allclose(
        y_pred.numpy(), module(X).detach().numpy(), rtol=1e-13, atol=1e-15
    )
    np.testing.assert_allclose(
        module.weights.grad.numpy(), expected.numpy(), rtol=1e-10, atol=1e-13
    )
    # Like zero_grad() then backward(): a second call replaces the gradient,
    # here writing it into a given buffer.
    buffer = torch.empty_like(module.weights)
    module.mse_gradient(X, y, w, out=buffer)
    assert module.weights.grad is buffer
    np.testing.assert_allclose(buffer.numpy(), expected.numpy(), rtol=1e-10, atol=1e-13)


def test_training_loss_adds_the_l2_penalty_once(sine_data):
    # The objective of a training step: weighted MSE + alpha / 2 * sum(W ** 2),
    # its gradient against autograd on the same module.
    X, y = sine_data
    model = TrainedMLPRegressor(**FAST, alpha=0.3, random_state=0).fit(X, y)
    net = model.net_
    Xt = torch.as_tensor(X[:50], dtype=torch.float32)
    yt = torch.as_tensor(y[:50, None], dtype=torch.float32)
    wt = torch.linspace(0.0, 2.0, 50)
    loss, _ = net._training_loss(Xt, (yt, wt))
    hand = net.module_.weights.grad.clone()
    net.module_.weights.grad = None
    module = net.module_
    expected = (wt[:, None] * (module(Xt) - yt).square()).mean()
    expected = expected + 0.15 * sum(W.square().sum() for W, _ in module.layers())
    expected.backward()
    assert float(loss) == pytest.approx(float(expected.detach()), rel=1e-5)
    torch.testing.assert_close(hand, module.weights.grad, rtol=1e-4, atol=1e-6)


def test_warm_start_follows_a_change_of_optimizer(sine_data):
    # The trained weights carry over; the optimizer is the one asked for now.
    X, y = sine_data
    model = TrainedMLPRegressor((16,), max_epochs=20, warm_start=True, random_state=0)
    model.fit(X, y)
    adam = model.net_.optimizer_
    model.fit(X, y)
    assert model.net_.optimizer_ is adam  # unchanged: Adam keeps its moments
    before = model.score(X, y)
    model.set_params(optimizer="lbfgs", max_epochs=5).fit(X, y)
    assert isinstance(model.net_.optimizer_, torch.optim.LBFGS)
    assert model.score(X, y) > before
    model.set_params(optimizer="sgd", momentum=0.5, learning_rate=1e-3).fit(X, y)
    assert isinstance(model.net_.optimizer_, torch.optim.SGD)
    assert model.net_.optimizer_.defaults["momentum"] == 0.5
    model.set_params(momentum=0.9).fit(X, y)
    assert model.net_.optimizer_.defaults["momentum"] == 0.9


def test_a_network_too_large_for_memory_is_refused_before_training(sine_data):
    X, y = sine_data
    with pytest.raises(ValueError, match="hidden_layer_sizes=.*GiB budget"):
        TrainedMLPRegressor(hidden_layer_sizes=(30000, 30000)).fit(X, y)


@pytest.mark.parametrize("factor", [1e160, 1e-200])
def test_targets_near_the_float64_limits_train_like_unit_targets(factor, sine_data):
    X, y = sine_data
    params = dict(hidden_layer_sizes=(16,), max_epochs=10, random_state=0)
    reference = TrainedMLPRegressor(**params).fit(X, y).predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = TrainedMLPRegressor(**params).fit(X, y * factor).predict(X)
    np.testing.assert_allclose(scaled / factor, reference, rtol=1e-5, atol=1e-6)


def test_a_constant_target_is_predicted_to_its_own_precision(sine_data):
    X, _ = sine_data
    y = np.full(X.shape[0], 1e-9)
    model = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, rtol=0.05)


def test_unclear_settings_get_clear_errors(sine_data):
    X, y = sine_data
    for init_from in ["knots", ReluKnotRegressor(n_knots=8)]:
        with pytest.raises(ValueError, match="hidden_layer_sizes is empty"):
            TrainedMLPRegressor(hidden_layer_sizes=(), init_from=init_from).fit(X, y)
    with pytest.raises(TypeError, match="callbacks must hold skorch callbacks"):
        TrainedMLPRegressor(**FAST, callbacks=["x"]).fit(X, y)
    # Callback classes and [name, callback] lists are accepted, as in skorch.
    from skorch.callbacks import EpochTimer

    TrainedMLPRegressor(**FAST, callbacks=[("timer", EpochTimer)]).fit(X, y)
    TrainedMLPRegressor(**FAST, callbacks=[["timer", EpochTimer()]]).fit(X, y)


def test_a_refused_refit_leaves_the_fitted_model_whole(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    before, net = model.predict(X), model.net_
    with pytest.raises(TypeError):
        model.set_params(callbacks=["x"]).fit(X, y)
    with pytest.raises(ValueError, match="GiB budget"):
        model.set_params(callbacks=None, hidden_layer_sizes=(30000, 30000)).fit(X, y)
    assert model.net_ is net
    np.testing.assert_array_equal(model.predict(X), before)


def test_a_batch_larger_than_the_data_is_the_whole_data(sine_data):
    # A common way to ask for full-batch training; no memory is needed for
    # rows that do not exist.
    X, y = sine_data
    model = TrainedMLPRegressor((8,), batch_size=10**7, max_epochs=2).fit(X, y)
    assert model.net_.history[-1, "train_batch_count"] == 1


def test_the_schedule_leaves_lbfgs_and_partial_fit_at_their_rates(sine_data):
    X, y = sine_data
    lbfgs = TrainedMLPRegressor((16,), optimizer="lbfgs", max_epochs=3).fit(X, y)
    assert lbfgs.net_.optimizer_.param_groups[0]["lr"] == 1.0
    model = TrainedMLPRegressor((16,), learning_rate=0.02, random_state=0)
    for _ in range(3):
        model.partial_fit(X, y)
        assert model.net_.optimizer_.param_groups[0]["lr"] == 0.02


# ------------------------------------------------------------ sample weights


def test_unit_weights_train_exactly_like_no_weights(sine_data):
    X, y = sine_data
    plain = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    ones = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y, np.full(400, 2.5))
    np.testing.assert_array_equal(ones.predict(X), plain.predict(X))


def test_integer_weights_train_like_repeated_rows():
    X, y = make_function("sine", n_samples=300, random_state=0)
    weights = np.random.RandomState(1).randint(1, 4, size=300)
    params = dict(hidden_layer_sizes=(16,), max_epochs=60, random_state=0)
    weighted = TrainedMLPRegressor(**params).fit(X, y, sample_weight=weights)
    repeated = TrainedMLPRegressor(**params).fit(
        X.repeat(weights, axis=0), y.repeat(weights)
    )
    np.testing.assert_allclose(weighted.input_offset_, repeated.input_offset_)
    np.testing.assert_allclose(weighted.target_offset_, repeated.target_offset_)
    np.testing.assert_allclose(weighted.target_scale_, repeated.target_scale_)
    # Different batches, the same objective: equal within training noise.
    gap = np.abs(weighted.predict(X) - repeated.predict(X)).max()
    assert gap < 0.05 and rmse(weighted, X, y) < 0.2


def test_zero_weights_train_like_dropped_rows():
    # Only the left half of sine counts: the fit there matches a fit on that
    # half alone, and the input scaling ignores the right half.
    X, y = make_function("sine", n_samples=400, random_state=0)
    left = X[:, 0] < np.pi
    params = dict(hidden_layer_sizes=(16,), max_epochs=60, random_state=0)
    weighted = TrainedMLPRegressor(**params).fit(X, y, sample_weight=left * 1.0)
    dropped = TrainedMLPRegressor(**params).fit(X[left], y[left])
    np.testing.assert_allclose(weighted.input_scale_, dropped.input_scale_)
    gap = np.abs(weighted.predict(X[left]) - dropped.predict(X[left])).max()
    assert gap < 0.05 and rmse(weighted, X[left], y[left]) < 0.03
    # Outside the weighted rows the fit is free: it does not follow sine.
    assert rmse(weighted, X[~left], y[~left]) > 5 * rmse(weighted, X[left], y[left])


def test_sample_weight_is_routed_by_metadata_routing():
    from sklearn import config_context
    from sklearn.model_selection import KFold, cross_validate

    X, y = make_function("sine", n_samples=200, random_state=0)
    weights = np.random.RandomState(0).uniform(0.1, 3.0, size=200)
    cv = KFold(3)
    with config_context(enable_metadata_routing=True):
        model = TrainedMLPRegressor(**FAST, random_state=0)
        model.set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
        result = cross_validate(
            model, X, y, cv=cv, params={"sample_weight": weights}, return_estimator=True
        )
    train, _ = next(cv.split(X))
    by_hand = TrainedMLPRegressor(**FAST, random_state=0).fit(
        X[train], y[train], sample_weight=weights[train]
    )
    np.testing.assert_array_equal(result["estimator"][0].predict(X), by_hand.predict(X))
    unweighted = TrainedMLPRegressor(**FAST, random_state=0).fit(X[train], y[train])
    assert not np.array_equal(unweighted.predict(X), by_hand.predict(X))


def test_partial_fit_takes_sample_weight(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(**FAST, random_state=0)
    model.partial_fit(X, y, sample_weight=np.linspace(0, 1, 400))
    with pytest.raises(ValueError, match="non-zero"):
        model.partial_fit(X, y, sample_weight=np.zeros(400))
    with pytest.raises(ValueError, match="Negative"):
        model.partial_fit(X, y, sample_weight=-np.ones(400))
    assert model.n_iter_ == 1


# -------------------------------------------------------------- multi-output


def test_multi_output_targets_are_scaled_per_column(sine_data):
    X, y = sine_data
    Y = np.c_[y, 1e6 * np.cos(X[:, 0]) + 3e6]
    model = TrainedMLPRegressor(**FAST, random_state=0).fit(X, Y)
    assert [W.shape for W in model.coefs_] == [(1, 16), (16, 2)]
    assert model.intercepts_[-1].shape == (2,)
    np.testing.assert_allclose(model.target_offset_, Y.mean(axis=0))
    np.testing.assert_allclose(model.target_scale_, Y.std(axis=0))
    Y_pred = model.predict(X)
    assert Y_pred.shape == (400, 2)
    np.testing.assert_array_equal(Y_pred, model.network_.forward(X))
    # Each column is fitted in its own units: both are learnt.
    r2 = 1 - ((Y_pred - Y) ** 2).mean(axis=0) / Y.var(axis=0)
    assert np.all(r2 > 0.95)
    single = TrainedMLPRegressor(**FAST, random_state=0).fit(X, y)
    assert single.predict(X).shape == (400,)


# --------------------------------------------------------- global torch state


def test_training_ignores_torchs_default_dtype(sine_data):
    X, y = sine_data
    params = dict(FAST, alpha=1e-3, early_stopping=True, random_state=0)
    expected = TrainedMLPRegressor(**params).fit(X, y).predict(X)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        model = TrainedMLPRegressor(**params).fit(X, y)
        model.set_params(warm_start=True, optimizer="lbfgs", max_epochs=2).fit(X, y)
    finally:
        torch.set_default_dtype(previous)
    reference = TrainedMLPRegressor(**params).fit(X, y)
    np.testing.assert_array_equal(reference.predict(X), expected)
    reference.set_params(warm_start=True, optimizer="lbfgs", max_epochs=2).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


# ------------------------------------------------------------------ saving


def test_skops_round_trip_predicts_the_same_and_keeps_training(fitted, sine_data):
    sio = pytest.importorskip("skops.io")
    X, y = sine_data
    dumped = sio.dumps(fitted)
    # Only the package's own types need trusting: no torch or pickle inside.
    assert sorted(sio.get_untrusted_types(data=dumped)) == [
        "sklearn_uat._mlp.TrainedMLPRegressor",
        "sklearn_uat._network.FeedForwardNetwork",
    ]
    restored = sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    assert restored.loss_curve_ == fitted.loss_curve_
    # It continues training exactly where the original would.
    original = pickle.loads(pickle.dumps(fitted))
    for model in (restored, original):
        model.set_params(warm_start=True, max_epochs=2).fit(X, y)
    np.testing.assert_array_equal(restored.predict(X), original.predict(X))


# --------------------------------------------------------------- snapshots


def test_snapshot_epochs_keep_the_network_after_those_epochs(sine_data):
    X, y = sine_data
    model = TrainedMLPRegressor(
        **dict(FAST, max_epochs=6), snapshot_epochs=[0, 2, 6], random_state=0
    ).fit(X, y)
    assert sorted(model.snapshots_) == [0, 2, 6]
    # On raw inputs, like network_: the last one is the trained network.
    np.testing.assert_array_equal(model.snapshots_[6].forward(X), model.predict(X))
    first, second = model.snapshots_[0].forward(X), model.snapshots_[2].forward(X)
    assert rmse(model.snapshots_[0], X, y) > rmse(model.snapshots_[2], X, y)
    assert not np.allclose(first, second)
    # Epochs count over warm starts; unrecorded runs keep the earlier ones.
    model.set_params(warm_start=True, snapshot_epochs=[8]).fit(X, y)
    assert sorted(model.snapshots_) == [0, 2, 6, 8]
    assert TrainedMLPRegressor(**FAST).fit(X, y).snapshots_ == {}
    with pytest.raises(ValueError, match="snapshot_epochs"):
        TrainedMLPRegressor(**FAST, snapshot_epochs=[-1]).fit(X, y)


def test_full_batch_sgd_with_integer_weights_equals_repeated_rows():
    # One batch per epoch: the weighted and the repeated objectives take the
    # same steps, up to float32 rounding (the zero-weight rows drop out of
    # the input and target scalings too).
    rng = np.random.RandomState(0)
    X, y = rng.uniform(-1, 1, (30, 3)), rng.normal(size=30)
    weights = rng.randint(0, 4, size=30)
    params = dict(optimizer="sgd", batch_size=200, max_epochs=10, random_state=0)
    weighted = TrainedMLPRegressor(**params).fit(X, y, sample_weight=weights)
    repeated = TrainedMLPRegressor(**params).fit(
        X.repeat(weights, axis=0), y.repeat(weights)
    )
    np.testing.assert_allclose(
        weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-6
    )
    assert not np.allclose(weighted.predict(X), repeated.predict(X), rtol=0, atol=0)
