"""Knot placement, piecewise-linear pieces and least squares for ReluKnotRegressor.

Everything here works in scaled units (inputs mapped to [0, 1]): the
estimator in :mod:`sklearn_uat._knots` places knots with these functions,
solves for the values at the knots in the banded hat-function basis, and
converts them to the network's slope changes.
"""

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from ._linalg import solve_banded_spd

# Rows evaluated at once by predict and accumulated at once by the
# several-input fit: bounds every (n, .) temporary to a few MiB.
_CHUNK_ROWS = 1 << 16

# Relative ridge on the normal equations' diagonal. In one direction it only
# guards degenerate data. Several directions have exactly redundant
# combinations (the constant they share, linear functions spanned by more
# directions than inputs) and, with few samples, many more: there the floor
# is what defines the solution, and it must dominate rounding in the normal
# equations (forward error ~ 1e-14 / floor) for weighted and repeated
# samples to give the same model.
_RIDGE_FLOOR = 1e-12
_RIDGE_FLOOR_DIRECTIONS = 1e-6


# --------------------------------------------------------------------------
# Knot placement, all in scaled units (inputs mapped to [0, 1]).
# --------------------------------------------------------------------------


def _uniform_knots(lo, hi, n_knots):
    return np.linspace(lo, hi, n_knots)


def _weighted_quantile_knots(p, w, lo, hi, n_knots):
    """Knots at weighted quantiles of ``p`` (ends at ``lo`` and ``hi``).

    Uses the inverted empirical CDF, so integer weights give the same knots
    as repeated samples. Repeated quantiles are merged.
    """
    order = np.argsort(p, kind="stable")
    p_sorted = p[order]
    cum = np.arange(1.0, p.size + 1) if w is None else np.cumsum(w[order])
    levels = np.linspace(0.0, 1.0, n_knots)[1:-1] * cum[-1]
    inner = p_sorted[np.minimum(np.searchsorted(cum, levels), p.size - 1)]
    knots = np.unique(np.concatenate([[lo], inner, [hi]]))
    return knots if knots.size >= 2 else np.array([lo, hi])


def _equidistribute(edges, mass, n_knots):
    """Knots splitting a piecewise-constant density into equal masses.

    ``mass[j]`` is the density's integral over ``[edges[j], edges[j + 1]]``;
    the knots are where the cumulative mass, interpolated linearly within
    each interval, crosses ``n_knots`` equally spaced levels.
    """
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    levels = np.linspace(0.0, cum[-1], n_knots)
    knots = np.interp(levels, cum, edges)
    knots[0], knots[-1] = edges[0], edges[-1]
    return _strictly_increasing(knots)


def _strictly_increasing(knots):
    """Drop knots that coincide to rounding, keeping both ends."""
    span = knots[-1] - knots[0]
    keep = np.concatenate([[True], np.diff(knots) > 1e-12 * span])
    knots = knots[keep]
    knots[-1] = max(knots[-1], knots[0])
    return knots if knots.size >= 2 else np.array([knots[0], knots[0] + span])


def _curvature_knots(knots, values, n_knots):
    """Knots of density |f''|^(1/2) for f'' read off a fitted spline's kinks.

    The change of slope at a knot divided by the mean width of its two
    intervals estimates |f''| there; the density is spread to the
    neighbouring intervals (a max over three) so that a zero of f'' does not
    leave a hole, and floored at a small fraction of its mean so that flat
    stretches keep some knots.
    """
    h = np.diff(knots)
    slopes = np.diff(values) / h
    curvature = np.zeros(knots.size)
    if knots.size > 2:
        curvature[1:-1] = np.abs(np.diff(slopes)) / (0.5 * (h[:-1] + h[1:]))
        curvature[0], curvature[-1] = curvature[1], curvature[-2]
    # Per interval: the larger curvature of its two ends and their neighbours.
    per_interval = np.maximum(curvature[:-1], curvature[1:])
    padded = np.pad(per_interval, 1, mode="edge")
    per_interval = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    density = np.sqrt(per_interval)
    mean = density @ h / h.sum()
    if not mean > 0:
        return _uniform_knots(knots[0], knots[-1], n_knots)
    density = np.maximum(density, 0.05 * mean)
    return _equidistribute(knots, density * h, n_knots)


def _error_knots(knots, interval_error, damping):
    """Move the knots towards equal errors per interval.

    On an interval of width h the error of a linear fit is about
    h^2 |f''| / c, so |f''|^(1/2) ~ sqrt(error) / h and the density's mass
    over the interval is ~ sqrt(error). The knots move a fraction
    ``damping`` of the way to that equidistribution: the errors of
    neighbouring intervals are coupled, and full steps oscillate.
    """
    mass = np.sqrt(np.maximum(interval_error, 0.0))
    if not mass.sum() > 0:
        return knots
    h = np.diff(knots)
    mass = np.maximum(mass, 0.05 * mass.mean() * h / h.mean())
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    target = np.interp(np.linspace(0.0, cum[-1], knots.size), cum, knots)
    moved = (1.0 - damping) * knots + damping * target
    moved[0], moved[-1] = knots[0], knots[-1]
    return _strictly_increasing(moved)


# --------------------------------------------------------------------------
# Piecewise-linear functions along one direction.
# --------------------------------------------------------------------------


def _intervals(knots, p, clamp=False, presorted=False, uniform=False):
    """Interval index (clamped to the end intervals) and local coordinate.

    Outside the knots the end interval's linear piece continues, so the
    local coordinate ``s`` may leave [0, 1] (linear extrapolation) unless
    ``clamp``, which holds the end values. The interval is found in linear
    time for ``uniform`` (equally spaced) knots or ``presorted`` (ascending)
    ``p``, else by binary search.
    """
    if uniform:
        # Equally spaced: the local coordinate is the position's fraction.
        step = (knots.size - 1) / (knots[-1] - knots[0])
        position = p * step if knots[0] == 0 else (p - knots[0]) * step
        j = np.clip(position, 0.0, knots.size - 2).astype(np.intp)
        s = np.subtract(position, j, out=position)
        if clamp:
            np.clip(s, 0.0, 1.0, out=s)
        return j, s
    if presorted:
        bounds = np.searchsorted(p, knots[1:-1], side="right")
        counts = np.diff(bounds, prepend=0, append=p.size)
        j = np.repeat(np.arange(knots.size - 1), counts)
    else:
        j = np.searchsorted(knots, p, side="right") - 1
        np.clip(j, 0, knots.size - 2, out=j)
    left = knots[j]
    s = (p - left) / (knots[j + 1] - left)
    if clamp:
        np.clip(s, 0.0, 1.0, out=s)
    return j, s


def _uniform_index(knots, p):
    """Interval of each ``p`` among equally spaced knots (clamped).

    ``p`` is clipped to the knots first, so no input overflows the scaling.
    """
    position = np.clip(p, knots[0], knots[-1])
    position -= knots[0]
    position *= (knots.size - 1) / (knots[-1] - knots[0])
    j = position.astype(np.intp)
    return np.minimum(j, knots.size - 2, out=j)


def _slope_change_penalty(knots):
    """Banded (upper, bandwidth 2) Gram matrix of the scaled slope changes.

    Row ``k`` of the penalty operator is ``hbar_k`` times the change of slope
    at inner knot ``k`` (``hbar_k`` the mean width of its two intervals): on
    uniform knots the plain second difference of the knot values, and the
    output weight of the ReLU at that knot times the knot spacing.
    """
    m = knots.size
    ab = np.zeros((3, m))
    if m < 3:
        return ab
    h = np.diff(knots)
    hbar = 0.5 * (h[:-1] + h[1:])
    rows = np.stack([hbar / h[:-1], -hbar / h[:-1] - hbar / h[1:], hbar / h[1:]])
    for a in range(3):
        for b in range(a, 3):
            ab[2 - (b - a), b : b + m - 2] += rows[a] * rows[b]
    return ab


def _piecewise_linear(knots, values):
    """Intercept and slope of each interval's linear piece."""
    slopes = np.diff(values) / np.diff(knots)
    return values[:-1] - slopes * knots[:-1], slopes


def _evaluate_direction(knots, intercepts, slopes, p, clamp, uniform=False):
    """Evaluate one direction's piecewise-linear function at ``p``.

    One interval search and one multiply-add per sample: the network's
    output without its (n_samples, n_units) hidden layer.
    """
    if clamp:
        p = np.clip(p, knots[0], knots[-1])
    if uniform:
        j = _uniform_index(knots, p)
    else:
        j = np.searchsorted(knots, p, side="right") - 1
        np.clip(j, 0, knots.size - 2, out=j)
    return intercepts[j] + slopes[j] * p


# --------------------------------------------------------------------------
# Least squares.
# --------------------------------------------------------------------------


def _hat_normal_equations(j, s, y, w, n_knots):
    """Tridiagonal ``A.T W A`` (upper banded, 2 rows) and ``A.T W y``.

    Row ``i`` of the hat design is ``1 - s_i`` in column ``j_i`` and ``s_i``
    in column ``j_i + 1``; five weighted bincounts over the shared index
    accumulate everything in one pass (``w=None``: unit weights).
    """
    a = 1.0 - s
    wa, ws = (a, s) if w is None else (w * a, w * s)
    m = n_knots - 1

    def binned(weights):
        return np.bincount(j, weights=weights, minlength=m)

    diag = np.zeros(n_knots)
    diag[:-1] += binned(wa * a)
    diag[1:] += binned(ws * s)
    rhs = np.zeros(n_knots)
    rhs[:-1] += binned(wa * y)
    rhs[1:] += binned(ws * y)
    gram = np.zeros((2, n_knots))
    gram[0, 1:] = binned(wa * s)
    gram[1] = diag
    return gram, rhs


def _solve_one_direction(j, s, y, w, knots, alpha):
    """Hat coefficients (knot values) of the weighted least-squares fit."""
    gram, rhs = _hat_normal_equations(j, s, y, w, knots.size)
    ab = np.zeros((3, knots.size))
    ab[1:] = gram
    scale = float(np.mean(gram[-1]))
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    ab += (alpha + _RIDGE_FLOOR) * scale * _slope_change_penalty(knots)
    return solve_banded_spd(ab, rhs, ridge=_RIDGE_FLOOR)


def _solve_directions(P, y, w, knots_list, alpha, clamp):
    """Joint least squares over several directions (an additive model).

    The design has two nonzeros per direction and row; ``A.T W A`` is
    accumulated block by block with bincounts over row chunks into a dense
    matrix, with each direction's slope-change penalty on its diagonal
    block.
    """
    sizes = [k.size for k in knots_list]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    n_basis = int(starts[-1])
    n, n_dir = P.shape
    gram = np.zeros((n_basis, n_basis))
    rhs = np.zeros(n_basis)
    for lo in range(0, n, _CHUNK_ROWS):
        rows = slice(lo, lo + _CHUNK_ROWS)
        hats = []
        for i, knots in enumerate(knots_list):
            j, s = _intervals(knots, P[rows, i], clamp)
            a = 1.0 - s
            wa, ws = (a, s) if w is None else (w[rows] * a, w[rows] * s)
            hats.append((j, a, s, wa, ws))
            block = slice(starts[i], starts[i + 1])
            rhs[block][:-1] += np.bincount(j, wa * y[rows], minlength=sizes[i] - 1)
            rhs[block][1:] += np.bincount(j, ws * y[rows], minlength=sizes[i] - 1)
        # Block (i, k) of A.T W A: each row adds a 2 x 2 patch at
        # (j_i, j_k); four bincounts over the flat patch corner cover it.
        for i in range(n_dir):
            j_i, _, _, wa_i, ws_i = hats[i]
            for k in range(i, n_dir):
                j_k, a_k, s_k, _, _ = hats[k]
                m = sizes[k]
                corner = j_i * m + j_k
                patch = np.zeros(sizes[i] * m)
                for shift, weights in (
                    (0, wa_i * a_k),
                    (1, wa_i * s_k),
                    (m, ws_i * a_k),
                    (m + 1, ws_i * s_k),
                ):
                    patch += np.bincount(
                        corner + shift, weights, minlength=sizes[i] * m
                    )
                patch = patch.reshape(sizes[i], m)
                gram[starts[i] : starts[i + 1], starts[k] : starts[k + 1]] += patch
                if k != i:
                    gram[starts[k] : starts[k + 1], starts[i] : starts[i + 1]] += (
                        patch.T
                    )
    scale = float(np.mean(np.diag(gram)))
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    for i, knots in enumerate(knots_list):
        band = _slope_change_penalty(knots)
        block = slice(starts[i], starts[i + 1])
        gram[block, block] += alpha * scale * _band_to_dense(band)
    ridge = _RIDGE_FLOOR_DIRECTIONS
    for _ in range(12):
        system = gram.copy()
        system[np.diag_indices(n_basis)] += ridge * scale
        try:
            coef = cho_solve(cho_factor(system, check_finite=False), rhs)
            break
        except LinAlgError:
            ridge *= 100.0
    else:  # pragma: no cover - the ridge above always ends positive definite
        raise LinAlgError("The normal equations could not be solved.")
    return [coef[starts[i] : starts[i + 1]] for i in range(n_dir)]


def _band_to_dense(ab):
    """Symmetric dense matrix from upper banded storage."""
    p, m = ab.shape
    dense = np.zeros((m, m))
    for d in range(p):
        idx = np.arange(m - d)
        dense[idx, idx + d] = ab[p - 1 - d, d:]
        dense[idx + d, idx] = ab[p - 1 - d, d:]
    return dense
