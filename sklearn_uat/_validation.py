"""Validation helpers shared by every estimator of the package."""

import os
import sys
import warnings

import numpy as np
from sklearn.utils.validation import _check_sample_weight

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# scikit-learn's fit wrapper (base._fit_context) stands between the caller
# and every fit.
_FIT_WRAPPER = os.path.join("sklearn", "base.py")


def warn(message, category=UserWarning):
    """``warnings.warn``, attributed to the line that called the package.

    The frames of the package and of scikit-learn's fit wrapper are
    skipped, so a warning points at the user's code from any depth.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE)
        or frame.f_code.co_filename.endswith(_FIT_WRAPPER)
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


#: Largest array (in bytes) that a parameter may make an estimator allocate.
MEMORY_BUDGET_BYTES = 2 * 1024**3


def check_memory_budget(n_values, *, what, fix):
    """Raise a ValueError when ``n_values`` float64 numbers exceed the budget.

    Parameters
    ----------
    n_values : int
        Number of float64 values the estimator is about to hold at once.
    what : str
        What would be allocated, e.g. ``"n_knots=10**9 on 3 directions"``.
    fix : str
        How the user can bring it down, e.g. ``"lower n_knots"``.
    """
    n_bytes = 8 * int(n_values)
    if n_bytes > MEMORY_BUDGET_BYTES:
        raise ValueError(
            f"{what} would need {n_bytes / 1024**3:.1f} GiB, over the "
            f"{MEMORY_BUDGET_BYTES / 1024**3:.0f} GiB budget; {fix}."
        )


def check_sample_weight(sample_weight, X):
    """Non-negative float64 sample weights of shape (n_samples,); ones if None."""
    return _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )


def minmax_scaling(X):
    """Offset and scale mapping each column of ``X`` onto [0, 1].

    Constant columns get scale 1 (they map to 0), so no division by zero can
    occur; estimators fold this map into their first layer.
    """
    X = np.asarray(X, dtype=np.float64)
    offset = X.min(axis=0)
    with np.errstate(over="ignore"):
        scale = X.max(axis=0) - offset
    if not np.all(np.isfinite(scale)):
        raise ValueError(
            "The range of X overflows float64 (max - min is infinite); rescale X "
            "before fitting."
        )
    scale[scale == 0] = 1.0
    return offset, scale


def standard_scaling(y, sample_weight=None):
    """Weighted mean and standard deviation of ``y``, safe at any magnitude.

    The moments are taken of ``y / max|y|``, so targets near the overflow or
    underflow limits of float64 neither overflow when squared nor underflow
    to a zero spread. A constant ``y`` gets the scale ``|mean|`` (1 for all
    zeros): a model's small errors in scaled units then stay small relative
    to the targets.
    """
    y = np.asarray(y, dtype=np.float64)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak == 0.0:
        return 0.0, 1.0
    u = y / peak
    mean_u = np.average(u, weights=sample_weight)
    std_u = np.sqrt(np.average((u - mean_u) ** 2, weights=sample_weight))
    mean = float(mean_u * peak)
    if std_u <= 1e-12 * abs(mean_u):
        return mean, abs(mean)
    std = float(std_u * peak)
    if not np.isfinite(std):
        std = peak
    return mean, std


def as_target_columns(y):
    """``y`` as float64 columns, and whether it was one target.

    A 1-D ``y`` or a column vector is one target (predictions are then 1-D,
    as for :class:`~sklearn.neural_network.MLPRegressor`).
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        return y[:, None], True
    return y, y.shape[1] == 1


def standard_scaling_columns(Y, sample_weight=None):
    """:func:`standard_scaling` of every column of ``Y``: two (n_targets,) arrays."""
    moments = np.array([standard_scaling(col, sample_weight) for col in Y.T])
    return moments[:, 0], moments[:, 1]


#: Frequency weights that average below this per row of positive weight are
#: most likely relative weights (normalised to sum 1, say): they warn.
_LEAST_MEAN_WEIGHT = 0.5


def positive_weight_rows(X, Y, sample_weight):
    """Rows of positive weight, and their weights (None when all are 1).

    Zero-weight rows are dropped before anything is measured on the data,
    so they give the same model as leaving them out; the weights are
    frequencies, so integer weights give the same model as repeated rows.
    """
    if sample_weight is None:
        return X, Y, None
    w = check_sample_weight(sample_weight, X)
    positive = w > 0
    if not positive.any():
        raise ValueError(
            "sample_weight must have at least one positive entry; got all zeros."
        )
    if not positive.all():
        X, Y, w = X[positive], Y[positive], w[positive]
    total = float(np.sum(w))
    if total < _LEAST_MEAN_WEIGHT * w.size:
        warn(
            f"sample_weight sums to {total:.3g} over {w.size} rows of positive "
            f"weight: as frequency weights they count as {total:.3g} samples, "
            "and the fit is sized and smoothed for that many. For relative "
            f"weights pass sample_weight * {w.size} / sample_weight.sum() "
            "(mean 1).",
            UserWarning,
        )
    return X, Y, (None if np.all(w == 1.0) else w)
