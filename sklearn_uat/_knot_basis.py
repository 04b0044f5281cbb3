"""ReluKnotRegressor's hidden layer: knots, hat functions and linear pieces.

Everything here works in scaled units (inputs mapped to [0, 1], targets
standardised): knot placement, the hat-function design whose normal
equations the least-squares engine (:mod:`sklearn_uat._lstsq`) solves, and
:class:`KnotRows`, the fitted model from which both ``predict`` and the
network come.
"""

from dataclasses import dataclass

import numpy as np
from scipy.sparse import block_diag, csr_matrix

from ._lstsq import NormalEquations
from ._network import FeedForwardNetwork

# Knots placed by curvature or error come no closer than this fraction of
# their mean spacing: the slope-change penalty grows as the square of the
# ratio of neighbouring gaps, and must stay factorisable at large penalties.
_PLACED_MIN_GAP = 1e-2

# Rows of several inputs whose values follow a cubic spline: ReLU knots per
# interval of the spline's equally spaced coefficients, and the fewest
# coefficients a row needs for it (third differences need six).
SPLINE_KNOTS_PER_INTERVAL = 4
SPLINE_MIN_COEFFICIENTS = 6

# Rows evaluated at once by predict and accumulated at once by the
# several-input fit: bounds every (n, .) temporary to a few MiB.
_CHUNK_ROWS = 1 << 16


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
    return _strictly_increasing(knots, _PLACED_MIN_GAP / max(n_knots - 1, 1))


def _strictly_increasing(knots, min_gap=1e-12):
    """Drop knots closer than ``min_gap`` times the span, keeping both ends."""
    span = knots[-1] - knots[0]
    keep = np.concatenate([[True], np.diff(knots) > min_gap * span])
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
    values = np.asarray(values).reshape(knots.size, -1)
    slopes = np.diff(values, axis=0) / h[:, None]
    curvature = np.zeros(knots.size)
    if knots.size > 2:
        # Several targets: the sum of their curvatures.
        bends = np.abs(np.diff(slopes, axis=0)).sum(axis=1)
        curvature[1:-1] = bends / (0.5 * (h[:-1] + h[1:]))
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
    return _strictly_increasing(moved, _PLACED_MIN_GAP / max(knots.size - 1, 1))


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


def _piecewise_linear(knots, values):
    """Intercept and slope of each interval's linear piece.

    ``values`` has shape (n_knots, n_targets); so do the results, less a row.
    """
    slopes = np.diff(values, axis=0) / np.diff(knots)[:, None]
    return values[:-1] - slopes * knots[:-1, None], slopes


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
    return intercepts[j] + slopes[j] * p[:, None]


# --------------------------------------------------------------------------
# The hat-function design and its normal equations.
# --------------------------------------------------------------------------


def hat_normal_equations(j, s, Y, w, n_knots):
    """Tridiagonal normal equations of the hat basis along one direction.

    Row ``i`` of the design is ``1 - s_i`` in column ``j_i`` and ``s_i`` in
    column ``j_i + 1``; weighted bincounts over the shared index accumulate
    the upper banded Gram matrix (2 rows) and ``A.T W Y`` in one pass.
    """
    a = 1.0 - s
    wa, ws = (a, s) if w is None else (w * a, w * s)
    gram = np.zeros((2, n_knots))
    rhs = np.zeros((n_knots, Y.shape[1]))
    _add_hat_sums(gram, rhs, j, a, s, wa, ws, Y, np.empty_like(a))
    wy = Y if w is None else Y * w[:, None]
    n = Y.shape[0] if w is None else float(np.sum(w))
    return NormalEquations(
        gram, rhs, np.einsum("ij,ij->j", Y, wy), float(n), banded=True
    )


def coarser_hat_equations(fine, fine_knots, coarse_knots):
    """:func:`hat_normal_equations` of the hats of ``coarse_knots``, resampled.

    Each coarse hat is replaced by the linear spline on ``fine_knots`` that
    takes its values there, a combination ``R`` of the fine hats; its normal
    equations are ``R.T G R`` and ``R.T rhs``, from the fine ones without
    the rows. Where every coarse knot is a fine one (every ``r``-th of
    equally spaced knots) the resampled hats are the coarse hats exactly;
    elsewhere they are the fine network's nearest copy of them, and a fit
    on them is a fit of the fine network with fewer degrees of freedom.
    """
    m, coarse = fine_knots.size, coarse_knots.size
    # Row f of R: the two coarse hats around fine knot f, at that knot.
    j = np.searchsorted(coarse_knots, fine_knots, side="right") - 1
    j = np.clip(j, 0, coarse - 2)
    s = (fine_knots - coarse_knots[j]) / (coarse_knots[j + 1] - coarse_knots[j])
    s = np.clip(s, 0.0, 1.0)
    # R's two non-zeros per row, and R.T G R summed over G's diagonals by
    # bincounts: memory in proportion to the fine knots, not to R.
    cols = np.stack([j, j + 1])
    vals = np.stack([1.0 - s, s])
    p = fine.gram.shape[0]
    flat = np.zeros(coarse * coarse)
    for d in range(p):
        g = fine.gram[p - 1 - d, d:]
        for a in range(2):
            for b in range(2):
                weights = vals[a, : m - d] * g * vals[b, d:]
                index = cols[a, : m - d] * coarse + cols[b, d:]
                flat += np.bincount(index, weights, minlength=coarse * coarse)
                if d:
                    index = cols[b, d:] * coarse + cols[a, : m - d]
                    flat += np.bincount(index, weights, minlength=coarse * coarse)
    gram = np.triu(flat.reshape(coarse, coarse))
    offsets = np.subtract(*np.nonzero(gram)[::-1])
    width = int(np.max(offsets, initial=0)) + 1
    band = np.zeros((width, coarse))
    for offset in range(width):
        band[width - 1 - offset, offset:] = np.diagonal(gram, offset)
    rhs = np.stack(
        [
            np.bincount(
                cols.ravel(),
                (vals[:, :, None] * column[None, :, None]).ravel(),
                minlength=coarse,
            )
            for column in fine.rhs.T
        ],
        axis=1,
    )
    return NormalEquations(band, rhs, fine.yty.copy(), fine.weight_sum, banded=True)


def hat_normal_equations_of_rows(knots, x, Y, w, clamp, offset=0.0, scale=1.0):
    """:func:`hat_normal_equations` at ``(x - offset) / scale``, by chunks of rows.

    The positions, intervals and products of one chunk of rows live in
    buffers allocated once, so a block of millions of rows is swept through
    the cache and costs no memory (nor page faults) in proportion to it.
    The intervals are those of :func:`_intervals`, to the last bit.
    """
    n_knots, n = knots.size, x.shape[0]
    m = n_knots - 1
    uniform = _equally_spaced(knots)
    step = m / (knots[-1] - knots[0])
    size = min(_CHUNK_ROWS, n)
    position, left, product = np.empty(size), np.empty(size), np.empty(size)
    index = np.empty(size, dtype=np.intp)
    if w is not None:
        weighted_left, weighted_right = np.empty(size), np.empty(size)
    gram = np.zeros((2, n_knots))
    rhs = np.zeros((n_knots, Y.shape[1]))
    for lo in range(0, n, _CHUNK_ROWS):
        k = min(_CHUNK_ROWS, n - lo)
        rows = slice(lo, lo + k)
        s, a = position[:k], left[:k]
        np.subtract(x[rows], offset, out=s)
        s /= scale
        if uniform:
            # _intervals' equally spaced case, in place.
            j = index[:k]
            if knots[0] != 0:
                s -= knots[0]
            s *= step
            np.copyto(j, np.clip(s, 0.0, m - 1, out=a), casting="unsafe")
            s -= j
            if clamp:
                np.clip(s, 0.0, 1.0, out=s)
        else:
            j, s = _intervals(knots, s, clamp)
        np.subtract(1.0, s, out=a)
        if w is None:
            wa, ws = a, s
        else:
            wa = np.multiply(w[rows], a, out=weighted_left[:k])
            ws = np.multiply(w[rows], s, out=weighted_right[:k])
        _add_hat_sums(gram, rhs, j, a, s, wa, ws, Y[rows], product[:k])
    if w is None:
        yty, total = np.einsum("ij,ij->j", Y, Y), float(n)
    else:
        yty, total = np.einsum("i,ij,ij->j", w, Y, Y), float(np.sum(w))
    return NormalEquations(gram, rhs, yty, total, banded=True)


def _add_hat_sums(gram, rhs, j, a, s, wa, ws, Y, product):
    """Add the hats' sums over some rows to ``gram`` (banded) and ``rhs``."""
    m = gram.shape[1] - 1

    def binned(u, v):
        # One buffer for every product: no allocation per bincount.
        return np.bincount(j, weights=np.multiply(u, v, out=product), minlength=m)

    gram[1, :-1] += binned(wa, a)
    gram[1, 1:] += binned(ws, s)
    gram[0, 1:] += binned(wa, s)
    for t in range(Y.shape[1]):
        rhs[:-1, t] += binned(wa, Y[:, t])
        rhs[1:, t] += binned(ws, Y[:, t])


def directions_normal_equations(P, Y, w, knots_list, clamp, projection=None):
    """Dense normal equations of rows of hats along several directions.

    Each row of the design has two non-zeros per direction, ``1 - s`` and
    ``s`` at the ends of its interval. So the block of the Gram matrix
    between directions ``a`` and ``b`` is a weighted two-dimensional
    histogram over pairs of intervals: four bincounts over one joint index,
    whatever the number of knots, and the diagonal blocks are tridiagonal.
    The cost follows the rows times the pairs of directions, in compiled
    loops, a chunk of rows at a time.

    ``P`` holds the projections, one column per direction; or, given
    ``projection=(offset, scale, directions)``, the inputs, projected as
    ``((X - offset) / scale) @ directions.T`` a chunk of rows at a time.
    """
    sizes = [knots.size for knots in knots_list]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
    uniform = [_equally_spaced(knots) for knots in knots_list]
    gram = np.zeros((starts[-1], starts[-1]))
    rhs = np.zeros((starts[-1], Y.shape[1]))
    yty = np.zeros(Y.shape[1])
    for lo in range(0, P.shape[0], _CHUNK_ROWS):
        rows = slice(lo, lo + _CHUNK_ROWS)
        wc = None if w is None else w[rows]
        if projection is None:
            Pc = P[rows]
        else:
            offset, scale, directions = projection
            Pc = ((P[rows] - offset) / scale) @ directions.T
        hats = [
            _hat_ends(knots, Pc[:, i], clamp, uniform[i], wc)
            for i, knots in enumerate(knots_list)
        ]
        Yc = Y[rows]
        wy = Yc if wc is None else Yc * wc[:, None]
        yty += np.einsum("ij,ij->j", Yc, wy)
        n_rows = Yc.shape[0]
        cell = np.empty(n_rows, dtype=np.intp)
        product = np.empty(n_rows)
        for a, (ja, left_a, right_a, wleft_a, wright_a) in enumerate(hats):
            n_a, first = sizes[a] - 1, starts[a]
            inner = np.arange(first, first + n_a)
            gram[inner, inner] += _binned(ja, wleft_a * left_a, n_a)
            gram[inner + 1, inner + 1] += _binned(ja, wright_a * right_a, n_a)
            gram[inner, inner + 1] += _binned(ja, wleft_a * right_a, n_a)
            for t in range(Y.shape[1]):
                rhs[inner, t] += _binned(ja, wleft_a * Yc[:, t], n_a)
                rhs[inner + 1, t] += _binned(ja, wright_a * Yc[:, t], n_a)
            for b in range(a + 1, len(hats)):
                jb, left_b, right_b = hats[b][:3]
                n_b, other = sizes[b] - 1, starts[b]
                np.multiply(ja, n_b, out=cell)
                cell += jb
                for da, wa in ((0, wleft_a), (1, wright_a)):
                    for db, vb in ((0, left_b), (1, right_b)):
                        np.multiply(wa, vb, out=product)
                        block = _binned(cell, product, n_a * n_b)
                        gram[
                            first + da : first + da + n_a,
                            other + db : other + db + n_b,
                        ] += block.reshape(n_a, n_b)
    # The upper triangle was accumulated; the Gram matrix is symmetric.
    gram = np.triu(gram)
    gram += np.triu(gram, 1).T
    n = Y.shape[0] if w is None else float(np.sum(w))
    return NormalEquations(gram, rhs, yty, float(n))


def spline_coefficients(n_knots):
    """Coefficients of the cubic spline of a row of ``n_knots``, or None (too few)."""
    n_coef = -(-(n_knots - 1) // SPLINE_KNOTS_PER_INTERVAL) + 1
    return n_coef if n_coef >= SPLINE_MIN_COEFFICIENTS else None


def spline_knots(n_coef):
    """Knots of a row whose cubic spline has ``n_coef`` coefficients."""
    return SPLINE_KNOTS_PER_INTERVAL * (n_coef - 1) + 1


def _cubic_spline_map(knots, n_coef):
    """Values at ``knots`` of the ``n_coef`` uniform cubic B-splines on their span.

    The B-splines' knots are equally spaced, ``n_coef - 3`` intervals from
    ``knots[0]`` to ``knots[-1]``; a sparse (knots.size, n_coef) matrix with
    four non-zeros per row, whose rows sum to one.
    """
    lo, hi = knots[0], knots[-1]
    n_intervals = n_coef - 3
    u = (knots - lo) * (n_intervals / (hi - lo))
    first = np.clip(np.floor(u).astype(np.intp), 0, n_intervals - 1)
    f = np.clip(u - first, 0.0, 1.0)
    g = 1.0 - f
    weights = np.stack(
        [
            g**3 / 6.0,
            (3.0 * f**3 - 6.0 * f**2 + 4.0) / 6.0,
            (3.0 * g**3 - 6.0 * g**2 + 4.0) / 6.0,
            f**3 / 6.0,
        ],
        axis=1,
    )
    rows = np.repeat(np.arange(knots.size), 4)
    cols = (first[:, None] + np.arange(4)).ravel()
    return csr_matrix((weights.ravel(), (rows, cols)), shape=(knots.size, n_coef))


@dataclass
class SplineRows:
    """Rows of knots whose values follow cubic splines of fewer coefficients.

    Each row's values at its knots are ``R_i c_i``: the uniform cubic
    B-splines of ``c_i`` (a P-spline's coefficients) evaluated at the knots,
    so between knots the network interpolates a cubic spline linearly. The
    statistics stay those of the knots' hats (the network's own units);
    :meth:`equations` turns them into the coefficients'.
    """

    maps: list
    #: The coefficients' positions (their B-splines' centres), equally
    #: spaced: the penalty's differences and null space live on them.
    positions: list

    @classmethod
    def on(cls, knots_list, n_coef=None):
        """The splines of rows of equally spaced knots, or None (a row too short).

        ``n_coef`` coefficients per row, or as many as
        :func:`spline_coefficients` gives for each row's knots.
        """
        counts = [
            spline_coefficients(knots.size) if n_coef is None else n_coef
            for knots in knots_list
        ]
        if any(count is None for count in counts):
            return None
        maps, positions = [], []
        for knots, n_coef in zip(knots_list, counts):
            maps.append(_cubic_spline_map(knots, n_coef))
            step = (knots[-1] - knots[0]) / (n_coef - 3)
            positions.append(np.linspace(knots[0] - step, knots[-1] + step, n_coef))
        return cls(maps, positions)

    def stacked(self):
        """The block-diagonal map from all coefficients to all knot values."""
        return block_diag(self.maps, format="csr")

    def equations(self, stats):
        """Normal equations of the coefficients from those of the hats."""
        T = self.stacked()
        TtG = np.asarray(T.T @ stats.gram)
        gram = np.asarray(T.T @ TtG.T)
        return NormalEquations(
            0.5 * (gram + gram.T),
            np.asarray(T.T @ stats.rhs),
            stats.yty,
            stats.weight_sum,
        )

    def values(self, coef):
        """The rows' values at their knots, from the stacked coefficients."""
        starts = np.cumsum([p.size for p in self.positions])[:-1]
        return [R @ c for R, c in zip(self.maps, np.split(coef, starts))]


def row_values(coef, knots_list, spline=None):
    """Each row's values at its knots, from the stacked unknowns of a fit."""
    if spline is not None:
        return spline.values(coef)
    return np.split(coef, np.cumsum([k.size for k in knots_list])[:-1])


def _hat_ends(knots, p, clamp, uniform, w):
    """Interval and the two hat values of each row, also times the weights."""
    j, right = _intervals(knots, p, clamp, uniform=uniform)
    left = 1.0 - right
    if w is None:
        return j, left, right, left, right
    return j, left, right, w * left, w * right


def _binned(index, weights, size):
    return np.bincount(index, weights=weights, minlength=size)


# --------------------------------------------------------------------------
# The fitted model.
# --------------------------------------------------------------------------


def _equally_spaced(knots):
    return bool(
        np.max(np.abs(knots - np.linspace(knots[0], knots[-1], knots.size)))
        <= 1e-13 * (knots[-1] - knots[0])
    )


@dataclass
class KnotRows:
    """Rows of knots along directions, with the values of the fit at them.

    The one representation of a fitted :class:`ReluKnotRegressor`: its
    predictions and its network both come from here.

    Parameters
    ----------
    directions : ndarray of shape (n_directions, n_features)
        Unit vectors in the scaled input space ``(x - offset) / scale``.
    knots : list of ndarray
        Knot positions along each direction's projection, scaled units.
    values : list of ndarray of shape (n_knots_i, n_targets)
        Values of each direction's piecewise-linear function at its knots,
        in standardised target units.
    offset, scale : ndarray of shape (n_features,)
        The input scaling.
    y_mean, y_std : ndarray of shape (n_targets,)
        The target scaling.
    clamp : bool
        Constant extrapolation beyond the end knots instead of linear.
    """

    directions: np.ndarray
    knots: list
    values: list
    offset: np.ndarray
    scale: np.ndarray
    y_mean: np.ndarray
    y_std: np.ndarray
    clamp: bool

    def __post_init__(self):
        self.pieces = [_piecewise_linear(k, v) for k, v in zip(self.knots, self.values)]
        self.uniform = [_equally_spaced(k) for k in self.knots]
        if self.directions.shape == (1, 1):
            self.raw_pieces = self._one_input_pieces()

    def raw_knots(self):
        """Knots in the units of the input (one input only)."""
        return self.knots[0] * self.scale[0] + self.offset[0]

    def _one_input_pieces(self):
        """Each interval's line on raw x, as ``A_j + B_j (x - first knot)``.

        The knots' distances from the first come from the scaled knots: raw
        knots with a large offset and a small spread can round onto each
        other, their differences cannot.
        """
        scaled = self.knots[0]
        offsets = (scaled - scaled[0]) * self.scale[0]
        raw_values = self.y_mean + self.y_std * self.values[0]
        slopes = np.diff(raw_values, axis=0) / np.diff(offsets)[:, None]
        return {
            "origin": scaled[0] * self.scale[0] + self.offset[0],
            "span": offsets[-1],
            "offsets": offsets,
            "intercepts": raw_values[:-1] - slopes * offsets[:-1, None],
            "slopes": slopes,
        }

    def predict(self, X):
        """Predictions of shape (n_samples, n_targets) on raw inputs."""
        out = np.empty((X.shape[0], self.y_mean.size))
        for lo in range(0, X.shape[0], _CHUNK_ROWS):
            rows = slice(lo, lo + _CHUNK_ROWS)
            if self.directions.shape == (1, 1):
                out[rows] = self._predict_one_input(X[rows, 0])
                continue
            P = ((X[rows] - self.offset) / self.scale) @ self.directions.T
            acc = np.zeros((P.shape[0], self.y_mean.size))
            for i, (knots, (a, m)) in enumerate(zip(self.knots, self.pieces)):
                acc += _evaluate_direction(
                    knots, a, m, P[:, i], self.clamp, self.uniform[i]
                )
            out[rows] = self.y_mean + self.y_std * acc
        return out

    def _predict_one_input(self, x):
        """One interval search and one multiply-add per sample."""
        pieces = self.raw_pieces
        offsets, last = pieces["offsets"], pieces["offsets"].size - 2
        d = x - pieces["origin"]
        if self.clamp:
            d = np.clip(d, 0.0, pieces["span"])
        if self.uniform[0]:
            position = np.clip(d, 0.0, pieces["span"]) * ((last + 1) / pieces["span"])
            j = np.minimum(position.astype(np.intp), last)
        else:
            j = np.clip(np.searchsorted(offsets, d, side="right") - 1, 0, last)
        return pieces["intercepts"][j] + pieces["slopes"][j] * d[:, None]

    def network(self):
        """The ReLU network on raw inputs and targets that equals :meth:`predict`.

        Per direction: with linear extrapolation, a ReLU facing left at the
        first knot carries the first line below it and right-facing ReLUs at
        the other knots but the last add the slope changes; with constant
        extrapolation, right-facing ReLUs at every knot, the last cancelling
        the slope beyond it.
        """
        weights_in, biases, weights_out = [], [], []
        intercept = 0.0
        for v, knots, values, (_, slopes) in zip(
            self.directions, self.knots, self.values, self.pieces
        ):
            changes = np.diff(slopes, axis=0, prepend=0.0)
            intercept = intercept + values[0]
            if not self.clamp:
                facing = np.concatenate([[-1.0], np.ones(knots.size - 1)])
                at = np.concatenate([[knots[0]], knots[:-1]])
                out = np.vstack([-slopes[:1], changes])
            else:
                facing = np.ones(knots.size)
                at = knots
                out = np.vstack([changes, -slopes[-1:]])
            weights_in.append(facing[None, :] * v[:, None])
            biases.append(-facing * at)
            weights_out.append(out)
        net = FeedForwardNetwork(
            coefs=[np.hstack(weights_in), np.vstack(weights_out)],
            intercepts=[np.concatenate(biases), np.atleast_1d(intercept)],
            activations=["relu", "identity"],
        )
        net = net.with_input_scaling(self.offset, self.scale)
        return net.with_output_scaling(self.y_mean, self.y_std)
