"""ONNX export of the package's regressors, through skl2onnx.

Importing this module registers a converter for
:class:`~sklearn_uat.BumpNetRegressor`, :class:`~sklearn_uat.ReluKnotRegressor`
and :class:`~sklearn_uat.TrainedMLPRegressor` with skl2onnx, so that
:func:`skl2onnx.to_onnx` converts them alone or inside a pipeline
(``pip install "sklearn-uat[onnx]"``)::

    import numpy as np
    from skl2onnx import to_onnx
    import sklearn_uat.onnx  # registers the converters

    onx = to_onnx(pipeline, X[:1].astype(np.float32))

The converted graph is the fitted network with its input scaling as its own
first step, ``(x - offset) / scale`` (see
:meth:`~sklearn_uat.BumpNetRegressor.network_on_scaled_inputs`), then dense
layers and activations. The graph computes in the dtype of its input:
float32 for float32 inputs, double for double inputs (predictions then
agree with ``predict`` to about 1e-12). The option ``network_dtype="float32"``
keeps the scaling in double on double inputs and runs the network after it
in float32, the layout of an accelerator that computes in float32 behind a
double-precision front end::

    onx = to_onnx(model, X[:1], options={type(model): {"network_dtype": "float32"}})

Float32 inputs far from zero are themselves coarse: a float32 number near
1000 is only resolved to about 6e-5, whatever the graph does with it. Feed
such inputs as doubles.
"""

import numpy as np

from . import BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor

try:
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.algebra.onnx_ops import (
        OnnxAdd,
        OnnxCast,
        OnnxDiv,
        OnnxErf,
        OnnxIdentity,
        OnnxMatMul,
        OnnxMul,
        OnnxRelu,
        OnnxSigmoid,
        OnnxSin,
        OnnxSub,
        OnnxTanh,
    )
    from skl2onnx.common.data_types import guess_numpy_type
except ImportError as exc:  # pragma: no cover - onnx is an optional extra
    raise ImportError(
        "sklearn_uat.onnx needs skl2onnx and onnx: "
        'pip install "sklearn-uat[onnx]" (with onnxruntime to run the graphs).'
    ) from exc

__all__ = ["CONVERTED_ESTIMATORS", "register_converters"]

#: The estimators that :func:`register_converters` teaches skl2onnx.
CONVERTED_ESTIMATORS = (BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor)

_NETWORK_DTYPES = ["input", "float32"]


def _activation(name, Z, dtype, opv):
    """The ONNX nodes of activation ``name`` applied to ``Z``."""
    if name == "identity":
        return Z
    if name == "relu":
        return OnnxRelu(Z, op_version=opv)
    if name == "sigmoid":
        return OnnxSigmoid(Z, op_version=opv)
    if name == "tanh":
        return OnnxTanh(Z, op_version=opv)
    if name == "sin":
        return OnnxSin(Z, op_version=opv)
    if name == "silu":
        return OnnxMul(Z, OnnxSigmoid(Z, op_version=opv), op_version=opv)
    if name == "gelu":  # the exact (erf) form, as the numpy forward pass
        half = np.array([0.5], dtype=dtype)
        cdf = OnnxMul(
            OnnxAdd(
                OnnxErf(
                    OnnxMul(Z, np.array([np.sqrt(0.5)], dtype=dtype), op_version=opv),
                    op_version=opv,
                ),
                np.array([1.0], dtype=dtype),
                op_version=opv,
            ),
            half,
            op_version=opv,
        )
        return OnnxMul(Z, cdf, op_version=opv)
    raise ValueError(f"No ONNX conversion for the activation {name!r}.")


def _shape_calculator(operator):
    model = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    tensor_type = operator.inputs[0].type.__class__
    operator.outputs[0].type = tensor_type([n_rows, model.network_.n_outputs])


def _converter(scope, operator, container):
    model = operator.raw_operator
    options = container.get_options(model, dict(network_dtype="input"))
    opv = container.target_opset
    X = operator.inputs[0]
    dtype = guess_numpy_type(X.type)
    offset, scale, network = model.network_on_scaled_inputs()
    Z = OnnxDiv(
        OnnxSub(X, offset.astype(dtype), op_version=opv),
        scale.astype(dtype),
        op_version=opv,
    )
    net_dtype = np.float32 if options["network_dtype"] == "float32" else dtype
    if net_dtype != dtype:
        Z = OnnxCast(Z, to=TensorProto.FLOAT, op_version=opv)
    for W, b, act in zip(network.coefs, network.intercepts, network.activations):
        Z = OnnxAdd(
            OnnxMatMul(Z, W.astype(net_dtype), op_version=opv),
            b.astype(net_dtype),
            op_version=opv,
        )
        Z = _activation(act, Z, net_dtype, opv)
    if net_dtype != dtype:
        Z = OnnxCast(Z, to=TensorProto.DOUBLE, op_version=opv)
    Y = OnnxIdentity(Z, op_version=opv, output_names=operator.outputs[:1])
    Y.add_to(scope, container)


def register_converters():
    """Register the converters of :data:`CONVERTED_ESTIMATORS` with skl2onnx.

    Importing :mod:`sklearn_uat.onnx` calls it; calling it again is harmless.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as rt
    >>> from skl2onnx import to_onnx
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sklearn_uat import ReluKnotRegressor
    >>> from sklearn_uat.onnx import register_converters
    >>> register_converters()
    >>> X = np.linspace(-3, 3, 500).reshape(-1, 1)
    >>> model = make_pipeline(MinMaxScaler(), ReluKnotRegressor())
    >>> model = model.fit(X, np.sin(X[:, 0]))
    >>> onx = to_onnx(model, X[:1])                      # double in, double out
    >>> session = rt.InferenceSession(onx.SerializeToString())
    >>> (out,) = session.run(None, {"X": X})
    >>> bool(np.abs(out[:, 0] - model.predict(X)).max() < 1e-10)
    True
    """
    for cls in CONVERTED_ESTIMATORS:
        update_registered_converter(
            cls,
            f"SklearnUat{cls.__name__}",
            _shape_calculator,
            _converter,
            options={"network_dtype": _NETWORK_DTYPES},
        )


register_converters()
