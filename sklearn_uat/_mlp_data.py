"""The training sets of :class:`~sklearn_uat.TrainedMLPRegressor`, in numpy.

The inputs are scaled to [-1, 1] and the targets standardised column by
column, both ignoring rows of zero weight; the scaled rows are split for
early stopping, and the sample weights are normalised to mean 1 on each
part, so that the training loss is the weighted mean squared error.
"""

import numpy as np

from ._validation import minmax_scaling, standard_scaling


def symmetric_input_scaling(X, sample_weight=None):
    """Offset and scale mapping each column of ``X`` onto [-1, 1].

    Rows of zero weight are left out, as if they were not there.
    """
    if sample_weight is not None:
        X = X[sample_weight > 0]
    lower, span = minmax_scaling(X)
    return lower + span / 2, span / 2


def target_scaling_of(Y, sample_weight, scale_target):
    """Per-column offset and scale of the targets ``Y`` of shape (n, k).

    The weighted mean and standard deviation of each column with
    ``scale_target``, else zeros and ones.
    """
    n_outputs = Y.shape[1]
    if not scale_target:
        return np.zeros(n_outputs), np.ones(n_outputs)
    moments = [standard_scaling(column, sample_weight) for column in Y.T]
    return np.array([m for m, _ in moments]), np.array([s for _, s in moments])


def training_sets(
    X, Y, sample_weight, input_scaling, target_scaling, validation_fraction, rng
):
    """``(train, valid)``: scaled ``(U, Z, weight)`` triples.

    ``valid`` is None when ``validation_fraction`` is None (no early
    stopping); else that share of the rows, drawn with ``rng``, is held out.
    Each part's weights are normalised to mean 1, or None when equal.
    """
    U = (np.asarray(X, dtype=np.float64) - input_scaling[0]) / input_scaling[1]
    Z = (Y - target_scaling[0]) / target_scaling[1]
    if validation_fraction is None:
        return (U, Z, _normalized_weights(sample_weight)), None
    n_samples = U.shape[0]
    n_valid = int(round(validation_fraction * n_samples))
    if n_valid < 1 or n_samples - n_valid < 1:
        raise ValueError(
            f"early_stopping holds out validation_fraction="
            f"{validation_fraction} of {n_samples} samples, which "
            "leaves no validation or no training sample; use more "
            "samples, another validation_fraction, or "
            "early_stopping=False."
        )
    order = rng.permutation(n_samples)
    parts = order[n_valid:], order[:n_valid]
    if sample_weight is None:
        return [(U[i], Z[i], None) for i in parts]
    for part, name in zip(parts, ["training", "validation"]):
        if not np.any(sample_weight[part] > 0):
            raise ValueError(
                f"early_stopping's {name} samples all have zero "
                "sample_weight; give more samples nonzero weight, or set "
                "early_stopping=False."
            )
    return [(U[i], Z[i], _normalized_weights(sample_weight[i])) for i in parts]


def _normalized_weights(sample_weight):
    """Weights of mean 1, or None when they are all equal (no weighting)."""
    if sample_weight is None or np.all(sample_weight == sample_weight[0]):
        return None
    return sample_weight / np.mean(sample_weight)
