"""Directions of the ridge functions of the closed-form networks.

With several inputs, ``ReluKnotRegressor`` and ``BumpNetRegressor`` lay their
rows of units along directions of the scaled input space: the axes (an
additive model) and random unit directions (sums of ridge functions, which
represent interactions). Both estimators draw them here, and both tell the
least-squares engine which null-space functions of a row other rows already
represent, and both turn their directions onto the principal directions
of a fit's gradient (:func:`gradient_directions`) before refining them.
"""

from math import comb

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_memory_budget

# directions="auto": random directions beside the axes, one per this many
# samples, at most this many: interactions need data to be seen.
AUTO_DIRECTIONS = 12
AUTO_SAMPLES_PER_DIRECTION = 25
# ... drawn, for three inputs or more, from a generator with this seed.
_AUTO_SEED = 20_171_213
# Projections whose range is below this (in scaled input units) are treated
# as constant: their knots span a unit window centred on the value.
DEGENERATE_RANGE = 1e-12
# Input directions whose spread is below this fraction of the largest carry
# no information on a fit's gradient.
_FLAT_SPREAD = 1e-10


def draw_directions(directions, n_features, n_samples, random_state):
    """Unit directions, shape (n_directions, n_features), the axes first.

    ``directions`` is ``"axes"``, ``"auto"`` (one direction per 25 samples,
    at most 12, the same for every fit, so the default needs no random
    state: equally spaced angles between the axes for two inputs, never on
    an axis, a fixed draw for more) or the number of random directions,
    drawn with ``random_state``; one input has only itself. ``n_samples``
    counts frequency weights.
    """
    axes = np.eye(n_features)
    if directions == "axes" or n_features == 1:
        return axes
    if directions == "auto":
        n_drawn = min(AUTO_DIRECTIONS, int(n_samples) // AUTO_SAMPLES_PER_DIRECTION)
        if n_drawn == 0:
            return axes
        if n_features == 2:
            # An even number of equally spaced angles misses the axes; an
            # odd one would put one on the second axis, so it takes the
            # first angles of one more.
            spaced = n_drawn + n_drawn % 2
            angles = np.pi * (np.arange(n_drawn) + 0.5) / spaced
            drawn = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        else:
            rng = np.random.default_rng(_AUTO_SEED)
            drawn = rng.standard_normal((n_drawn, n_features))
    else:
        check_memory_budget(
            directions * n_features,
            what=f"directions={directions} with {n_features} features",
            fix="lower directions",
        )
        rng = check_random_state(random_state)
        drawn = rng.standard_normal((directions, n_features))
    norms = np.linalg.norm(drawn, axis=1, keepdims=True)
    drawn = drawn / np.where(norms > 0, norms, 1.0)
    return np.vstack([axes, drawn])


def redundancy(i, n_features, null_dim=2):
    """Null-space functions of direction ``i`` that earlier directions represent.

    A row's penalty leaves the polynomials of degree below ``null_dim`` in
    its position free: the constant, the line, the quadratic and so on.
    The first axis keeps them all; the other axes repeat the constant. A
    random direction (after the ``n_features`` axes) repeats its powers of
    degree ``j`` once the earlier rows number at least the dimension of the
    homogeneous polynomials of degree ``j`` in ``n_features`` variables,
    ``C(j + n_features - 1, j)``: in general position their ``j``-th powers
    span those. Returns how many of the leading functions repeat.
    """
    if i == 0:
        return 0
    if i < n_features:
        return 1
    count = 0
    while count < null_dim and i >= comb(count + n_features - 1, count):
        count += 1
    return count


def gradient_directions(gradients, w, inputs=None):
    """Principal directions of a fitted function's gradient, as a (d, d) rotation.

    ``gradients`` has shape (n_targets, n_samples, d). The columns are the
    eigenvectors of ``E[grad f grad f.T]`` (the average outer product of
    gradients) by decreasing eigenvalue, each with its largest entry
    positive: a ridge function's direction comes first. Given the
    ``inputs`` (n_samples, d), the gradients lose their parts along
    directions in which the inputs do not vary (a constant input, a
    duplicated one, a full set of one-hot columns): the data say nothing
    of them, and such directions come last.
    """
    weights = np.ones(gradients.shape[1]) if w is None else w
    if inputs is not None:
        varying = spanned_directions(inputs, w)
        gradients = gradients @ varying @ varying.T
    M = np.einsum("tni,n,tnj->ij", gradients, weights, gradients)
    _, vectors = np.linalg.eigh(M)
    vectors = vectors[:, ::-1]
    largest = np.argmax(np.abs(vectors), axis=0)
    return vectors * np.sign(vectors[largest, np.arange(vectors.shape[1])])


def projection_ranges(P):
    """Range (n_directions, 2) of each column of projections ``P``.

    A range below ``DEGENERATE_RANGE`` becomes a unit window centred on it.
    """
    lo, hi = P.min(axis=0), P.max(axis=0)
    degenerate = hi - lo <= DEGENERATE_RANGE
    mid = 0.5 * (lo + hi)
    lo = np.where(degenerate, mid - 0.5, lo)
    hi = np.where(degenerate, mid + 0.5, hi)
    return np.stack([lo, hi], axis=1)


def box_ranges(directions):
    """Range (n_directions, 2) of each direction's projection of [0, 1]^d."""
    lo = np.minimum(directions, 0.0).sum(axis=1)
    hi = np.maximum(directions, 0.0).sum(axis=1)
    return np.stack([lo, hi], axis=1)


def spanned_directions(inputs, w=None):
    """Orthonormal columns (d, r) spanning the directions the inputs vary in.

    The eigenvectors of the (weighted) covariance of ``inputs`` whose spread
    is above ``_FLAT_SPREAD`` of the largest: a constant input, a duplicated
    one or a full set of one-hot columns leave directions out.
    """
    weights = np.ones(inputs.shape[0]) if w is None else w
    centred = inputs - np.average(inputs, axis=0, weights=weights)
    spread, axes = np.linalg.eigh(centred.T @ (weights[:, None] * centred))
    return axes[:, spread > _FLAT_SPREAD * max(spread.max(), 0.0)]
