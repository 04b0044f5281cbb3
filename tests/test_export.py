"""Exports: torch and ONNX keep the model's accuracy; skops round trips."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.datasets import make_function

ESTIMATORS = {
    "BumpNet": lambda: BumpNetRegressor(),
    "ReluKnot": lambda: ReluKnotRegressor(random_state=0),
    "TrainedMLP": lambda: TrainedMLPRegressor(max_epochs=10, random_state=0),
}


def _offset_sine(n=2000):
    """Inputs in [1000, 1001], where float32 keeps only about 6e-5 of x."""
    X = np.linspace(1000.0, 1001.0, n).reshape(-1, 1)
    return X, np.sin(6.0 * X[:, 0])


def _error_of_range(out, reference):
    return float(np.abs(np.ravel(out) - reference).max() / np.ptp(reference))


@pytest.fixture(scope="module")
def offset_models():
    X, y = _offset_sine()
    return X, {name: make().fit(X, y) for name, make in ESTIMATORS.items()}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_network_on_scaled_inputs_is_the_same_function(name, offset_models):
    X, models = offset_models
    model = models[name]
    offset, scale, network = model.network_on_scaled_inputs()
    Z = (X - offset) / scale
    assert np.abs(Z).max() <= 1.5  # inputs of order one
    np.testing.assert_allclose(network.forward(Z), model.predict(X), rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_float32_torch_export_keeps_its_accuracy_on_offset_inputs(name, offset_models):
    torch = pytest.importorskip("torch")
    X, models = offset_models
    model = models[name]
    reference = model.predict(X)
    module = model.to_torch(torch.float32)
    with torch.no_grad():
        out = module(torch.as_tensor(X)).numpy()
        double = model.to_torch()(torch.as_tensor(X)).numpy()
        # The network with its scaling folded in, all in float32, as the
        # export was before the scaling became its own step.
        folded = model.network_.to_torch(torch.float32)
        folded = folded(torch.as_tensor(X, dtype=torch.float32)).numpy()
    assert out.dtype == np.float32
    assert _error_of_range(out, reference) < 1e-5
    assert _error_of_range(double, reference) < 1e-10
    assert _error_of_range(folded, reference) > 1e-5


def _run(onx, X):
    rt = pytest.importorskip("onnxruntime")
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})[0]


@pytest.mark.parametrize("function", ["sine", "multiscale", "poly_tan", "sinc"])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_onnx_pipelines_agree_with_predict(name, function):
    skl2onnx = pytest.importorskip("skl2onnx")
    pytest.importorskip("sklearn_uat.onnx")
    X, y = make_function(function, n_samples=600, random_state=0)
    pipe = make_pipeline(MinMaxScaler(), ESTIMATORS[name]()).fit(X, y)
    X32 = X.astype(np.float32)
    out32 = _run(skl2onnx.to_onnx(pipe, X32[:1]), X32)
    assert out32.dtype == np.float32 and out32.shape == (len(X), 1)
    assert _error_of_range(out32, pipe.predict(X32.astype(np.float64))) < 1e-5
    out64 = _run(skl2onnx.to_onnx(pipe, X[:1]), X)
    assert out64.dtype == np.float64
    assert _error_of_range(out64, pipe.predict(X)) < 1e-10


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_onnx_float32_network_behind_a_double_scaling(name, offset_models):
    skl2onnx = pytest.importorskip("skl2onnx")
    pytest.importorskip("sklearn_uat.onnx")
    X, models = offset_models
    model = models[name]
    options = {type(model): {"network_dtype": "float32"}}
    onx = skl2onnx.to_onnx(model, X[:1], options=options)
    out = _run(onx, X)
    assert out.dtype == np.float64  # double in, double out, float32 inside
    casts = [node for node in onx.graph.node if node.op_type == "Cast"]
    assert len(casts) == 2  # to float32 after the scaling, back to double
    assert 1e-12 < _error_of_range(out, model.predict(X)) < 1e-5
    # Fed float32 inputs, nothing better than the inputs' own resolution.
    X32 = X.astype(np.float32)
    assert np.abs(X32.astype(np.float64) - X).max() > 1e-5


def test_onnx_conversion_names_an_activation_it_cannot_convert():
    onnx_module = pytest.importorskip("sklearn_uat.onnx")
    with pytest.raises(ValueError, match="activation 'cos'"):
        onnx_module._activation("cos", None, np.float32, 17)


def test_onnx_runs_every_activation_of_the_registry():
    skl2onnx = pytest.importorskip("skl2onnx")
    pytest.importorskip("sklearn_uat.onnx")
    from sklearn_uat._network import ACTIVATIONS

    X = np.linspace(-2.0, 2.0, 101).reshape(-1, 1)
    for activation in ACTIVATIONS:
        model = TrainedMLPRegressor(
            hidden_layer_sizes=(8,), activation=activation, max_epochs=2
        ).fit(X, np.sin(X[:, 0]))
        X32 = X.astype(np.float32)
        out = _run(skl2onnx.to_onnx(model, X32[:1]), X32)
        np.testing.assert_allclose(out[:, 0], model.predict(X), atol=1e-5)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_skops_round_trip(name, offset_models):
    sio = pytest.importorskip("skops.io")
    X, models = offset_models
    model = models[name]
    dumped = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert all(t.startswith(("sklearn_uat.", "numpy.")) for t in untrusted), untrusted
    restored = sio.loads(dumped, trusted=untrusted)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
