"""Benchmark of the exports: how much accuracy float32 and ONNX cost.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_export.py

Every figure is an error divided by the range of the model's own
predictions, printed with its target and PASS or FAIL; the reference beside
it is measured in the same run. One to three minutes on two cores.

1. Offset inputs: sin(6 x) on [1000, 1001], 2,000 samples. A float32 torch
   export fed float64 inputs, its input scaling a float64 step of its own,
   against the network with the scaling folded into its first layer, all in
   float32 (what a plain float32 export of ``network_`` computes); target:
   at most 1e-5. The fitting error of the model itself is printed beside.
2. ONNX through skl2onnx, ``Pipeline(MinMaxScaler(), model)`` on the
   benchmark functions of one and two inputs (2,000 samples): float32
   graphs at most 1e-5, double graphs at most 1e-10, and the double graph
   with a float32 network behind a double scaling on the offset inputs at
   most 1e-5.
"""

import numpy as np
import onnxruntime as rt
import torch
from skl2onnx import to_onnx
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import sklearn_uat.onnx  # noqa: F401  (registers the converters)
from sklearn_uat import BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.datasets import make_function

ESTIMATORS = {
    "BumpNet": lambda: BumpNetRegressor(),
    "ReluKnot": lambda: ReluKnotRegressor(random_state=0),
    "TrainedMLP": lambda: TrainedMLPRegressor(random_state=0),
}
FUNCTIONS = ["sine", "multiscale", "poly_tan", "piecewise", "sinc", "square_large"]


def _of_range(out, reference):
    return float(np.abs(np.ravel(out) - reference).max() / np.ptp(reference))


def _verdict(value, target):
    return "PASS" if value <= target else "FAIL"


def _onnx(onx, X):
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})[0]


def offset_inputs():
    print("1. float32 exports on inputs in [1000, 1001] (error / range)")
    X = np.linspace(1000.0, 1001.0, 2000).reshape(-1, 1)
    y = np.sin(6.0 * X[:, 0])
    for name, make in ESTIMATORS.items():
        model = make().fit(X, y)
        reference = model.predict(X)
        with torch.no_grad():
            split = model.to_torch(torch.float32)(torch.as_tensor(X)).numpy()
            folded = model.network_.to_torch(torch.float32)(
                torch.as_tensor(X, dtype=torch.float32)
            ).numpy()
        options = {type(model): {"network_dtype": "float32"}}
        onnx32 = _onnx(to_onnx(model, X[:1], options=options), X)
        error, before = _of_range(split, reference), _of_range(folded, reference)
        print(
            f"   {name:<10} torch float32 {error:.1e} (folded: {before:.1e}, "
            f"{before / error:.0f}x worse), ONNX float32 network "
            f"{_of_range(onnx32, reference):.1e}, model's fit error "
            f"{_of_range(reference, y):.1e}; target 1e-5: "
            f"{_verdict(max(error, _of_range(onnx32, reference)), 1e-5)}"
        )


def onnx_pipelines():
    print("2. ONNX pipelines on the benchmark functions (worst error / range)")
    for name, make in ESTIMATORS.items():
        worst32 = worst64 = 0.0
        for function in FUNCTIONS:
            X, y = make_function(function, n_samples=2000, random_state=0)
            pipe = make_pipeline(MinMaxScaler(), make()).fit(X, y)
            X32 = X.astype(np.float32)
            out32 = _onnx(to_onnx(pipe, X32[:1]), X32)
            out64 = _onnx(to_onnx(pipe, X[:1]), X)
            worst32 = max(worst32, _of_range(out32, pipe.predict(X32)))
            worst64 = max(worst64, _of_range(out64, pipe.predict(X)))
        print(
            f"   {name:<10} float32 {worst32:.1e} (target 1e-5: "
            f"{_verdict(worst32, 1e-5)}), double {worst64:.1e} (target 1e-10: "
            f"{_verdict(worst64, 1e-10)})"
        )


if __name__ == "__main__":
    offset_inputs()
    onnx_pipelines()
