"""BumpNetRegressor's hidden layer: bumps, their design and their layers.

Everything here works in units of one bump width along each direction: the
pieces (bumps and open ends) and their windows, the banded and dense normal
equations that the least-squares engine (:mod:`sklearn_uat._lstsq`) solves
(for one input on many rows from Chebyshev series of the pieces on each
cell between bump edges), :class:`_BumpLayer`, the first hidden layer that
fit and the streamed fits share, and the fast banded forward pass.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy.linalg import block_diag
from scipy.special import expit

from ._directions import redundancy
from ._lstsq import (
    NormalEquations,
    PenaltyBlock,
    second_difference_penalty,
    select_penalties,
)
from ._network import FeedForwardNetwork

# A logistic unit further than this (in units of its pre-activation) from its
# own edge is saturated: expit(z) == 1.0 exactly in float64 for z >= 37, and
# expit(-z) < 2e-17 for z >= 38.5. Bump values below exp(-_TAIL_Z) are dropped
# from the least-squares design, which keeps its normal equations banded.
_TAIL_Z = 39.0

# Largest exponent the pieces may meet before they switch to logistic
# functions (exp overflows at 709).
_EXP_SAFE = 600.0

# Rows of the design evaluated at once (about this many float64 values).
_CHUNK_ELEMENTS = 1 << 21

# Rows of the blocks in which the statistics of rows along many directions
# are summed (block_rows).
_BLOCK_ROWS = 1024

# Largest error of the Chebyshev series of the pieces on a cell, relative to
# each piece's largest value there (the pieces themselves are exact to about
# 1e-14 relative).
_EXPANSION_RTOL = 1e-13


#: Smooth layouts of one row of bumps, ``(n_bumps, steepness)``: few soft
#: bumps under a penalty on their levels' second differences smooth like a
#: smoothing spline of a high order. ``BumpNetRegressor`` offers them for
#: one input, and ``ReluKnotRegressor`` takes their values at its knots.
SMOOTH_LAYOUTS = ((16, 0.125), (16, 0.25), (32, 0.25), (64, 0.25), (128, 0.25))


def smooth_layout_values(t, n_bumps, steepness):
    """Values (t.size, n_bumps + 2) of a row's pieces at ``t`` (in bump widths)."""
    t = np.asarray(t, dtype=np.float64)
    return _pieces(t, n_bumps, steepness, np.zeros(t.size, dtype=np.intp), n_bumps + 2)


def _pieces(t, n_bumps, steepness, first, width):
    """Values of the partition-of-unity pieces ``first .. first + width - 1``.

    With ``z = exp(-s (t - j))`` for the left sigmoid of bump ``j``, the bump
    is ``z (e^s - 1) / ((1 + z) (1 + z e^s))``: one exponential per row
    (``z`` along a row is that row's times ``exp(s i)``) and no
    subtraction, so tails keep full relative precision. Where ``z`` could
    overflow (steep bumps, or rows far outside the bumps) the pieces come
    from :func:`_pieces_expit`.
    """
    s = float(steepness)
    v = t - first + 1.0
    outside = v.size and (v.min() < -1.0 or v.max() > width + 1.0)
    if s * (width + 2.0) > _EXP_SAFE or outside:
        return _pieces_expit(t, n_bumps, steepness, first, width)
    z = np.multiply.outer(np.exp(-s * v), np.exp(s * np.arange(width)))
    out = z + 1.0
    shifted = z * np.exp(s)
    shifted += 1.0
    out *= shifted
    np.divide(z, out, out=out)
    out *= np.expm1(s)
    # The open ends: piece 0 (left) and piece n_bumps + 1 (right).
    rows = np.flatnonzero(first == 0)
    if rows.size:
        lifted = z[rows, 0] * np.exp(s)
        out[rows, 0] = lifted / (1.0 + lifted)
    col = n_bumps + 1 - first
    rows = np.flatnonzero(col < width)
    if rows.size:
        out[rows, col[rows]] = 1.0 / (1.0 + z[rows, col[rows]])
    return out


def _pieces_expit(t, n_bumps, steepness, first, width):
    """:func:`_pieces` from two logistic functions per piece.

    Piece ``0`` is the open left end ``1 - sigma(s t)``, piece ``j + 1`` the
    bump ``sigma(s (t - j)) - sigma(s (t - j - 1))`` for ``j < n_bumps`` and
    piece ``n_bumps + 1`` the open right end ``sigma(s (t - n_bumps))``; ``t``
    is the input in units of one bump width. The two sigmoids are subtracted
    on the side where they are small, so tails keep full relative precision.
    """
    j = (first[:, None] + np.arange(width) - 1).astype(np.float64)
    left = steepness * (t[:, None] - j)
    right = left - steepness
    left[j < 0] = np.inf
    right[j >= n_bumps] = -np.inf
    out = expit(left) - expit(right)
    upper = right > 0
    out[upper] = expit(-right[upper]) - expit(-left[upper])
    return out


def _band_half_width(steepness):
    """Pieces on either side of a sample's own that it still reaches."""
    return int(np.ceil(_TAIL_Z / steepness))


def _axis_window(t, n_bumps, steepness):
    """First piece index and number of pieces that reach each sample."""
    n_pieces = n_bumps + 2
    half = _band_half_width(steepness)
    width = min(2 * half + 2, n_pieces)
    cell = np.clip(np.floor(t), 0, n_bumps - 1).astype(np.intp) + 1
    first = np.clip(cell - half, 0, n_pieces - width)
    return first, width


def _banded_normal_equations(t, g, sample_weight, n_bumps, steepness):
    """Banded ``A.T W A`` and ``A.T W g`` of the pieces (upper banded storage).

    The layout is that of :func:`scipy.linalg.solveh_banded`. Rows inside
    the bumps (``0 <= t <= n_bumps``) go through the Chebyshev expansion of
    the pieces on each cell (:func:`_expanded_normal_equations`) when it is
    accurate for this steepness and cheaper than the design itself; the
    others through the design (:func:`_direct_normal_equations`).
    """
    width = min(2 * _band_half_width(steepness) + 2, n_bumps + 2)
    inside = (t >= 0.0) & (t <= n_bumps)
    n_inside = int(np.count_nonzero(inside))
    expansion = None
    if _expansion_pays(n_inside, n_bumps, steepness, width):
        expansion = _cell_expansion(n_bumps, steepness, width)
    if expansion is None:
        return _direct_normal_equations(t, g, sample_weight, n_bumps, steepness)
    if n_inside == t.size:
        return _expanded_normal_equations(t, g, sample_weight, expansion)
    ab, rhs = _expanded_normal_equations(
        t[inside], g[inside], sample_weight[inside], expansion
    )
    outside = ~inside
    ab_out, rhs_out = _direct_normal_equations(
        t[outside], g[outside], sample_weight[outside], n_bumps, steepness
    )
    return ab + ab_out, rhs + rhs_out


def _add_blocks(ab, blocks, block_first):
    """Add dense ``width x width`` blocks, starting at pieces ``block_first``."""
    width, n_pieces = ab.shape
    offsets = np.arange(width)
    for k in range(width):
        cols = offsets[k:]
        ab[width - 1 - k] += np.bincount(
            (block_first[:, None] + cols).ravel(),
            weights=blocks[:, cols - k, cols].ravel(),
            minlength=n_pieces,
        )


def _add_consecutive_blocks(ab, blocks, block_first):
    """:func:`_add_blocks` for sorted starts that take every value between.

    The blocks of equal starts are summed first; block ``f`` of the sums
    then adds its entry ``(i, j)``, ``j >= i``, at ``ab[width - 1 - j + i,
    f + j]``. For a fixed ``i`` those places, over ``j`` and consecutive
    ``f``, form a strided view of ``ab`` (a step of one row up and one
    column right along ``j``, one column right along ``f``), distinct places
    for distinct ``(j, f)``, so each row ``i`` of every block is one
    addition.
    """
    width, n_pieces = ab.shape
    starts = np.flatnonzero(np.r_[True, block_first[1:] != block_first[:-1]])
    stops = np.r_[starts[1:], block_first.size]
    sums = blocks[starts]
    for g in np.flatnonzero(stops - starts > 1):
        sums[g] = blocks[starts[g] : stops[g]].sum(axis=0)
    f0, count = int(block_first[0]), starts.size
    if int(block_first[-1]) - f0 + 1 != count:
        raise AssertionError("block starts must be consecutive")
    flat = ab.reshape(-1)
    step = flat.itemsize
    for i in range(width):
        view = np.lib.stride_tricks.as_strided(
            flat[(width - 1) * n_pieces + f0 + i :],
            shape=(width - i, count),
            strides=((1 - n_pieces) * step, step),
        )
        view += sums[:, i, i:].T


def _direct_normal_equations(t, g, sample_weight, n_bumps, steepness):
    """:func:`_banded_normal_equations` from the design, grouped by window.

    Samples whose windows start at the same piece share one dense block
    ``V.T W V``, computed with BLAS and then scattered into banded storage.
    """
    n_pieces = n_bumps + 2
    first, width = _axis_window(t, n_bumps, steepness)
    order = np.argsort(first, kind="stable")
    first, t, g, w = first[order], t[order], g[order], sample_weight[order]
    starts = np.flatnonzero(np.r_[True, first[1:] != first[:-1]])
    stops = np.r_[starts[1:], first.size]
    ab = np.zeros((width, n_pieces))
    rhs = np.zeros((n_pieces, g.shape[1]))
    batch = max(1, _CHUNK_ELEMENTS // (width * width))
    for b0 in range(0, starts.size, batch):
        group_starts = starts[b0 : b0 + batch]
        group_stops = stops[b0 : b0 + batch]
        blocks = np.empty((group_starts.size, width, width))
        rows = max(1, _CHUNK_ELEMENTS // width)
        for i, (start, stop) in enumerate(zip(group_starts, group_stops)):
            blocks[i] = 0.0
            for a in range(start, stop, rows):
                b = min(a + rows, stop)
                values = _pieces(t[a:b], n_bumps, steepness, first[a:b], width)
                weighted = values * w[a:b, None]
                blocks[i] += values.T @ weighted
                rhs[first[a] : first[a] + width] += weighted.T @ g[a:b]
        _add_blocks(ab, blocks, first[group_starts])
    return ab, rhs


def _chebyshev_rows(x, count, weight=None):
    """Rows ``weight * T_k(x)``, ``k < count``, by the three-term recurrence."""
    rows = np.empty((count, x.size))
    rows[0] = 1.0 if weight is None else weight
    if count > 1:
        np.multiply(x, rows[0], out=rows[1])
    twice = 2.0 * x
    for k in range(2, count):
        np.multiply(twice, rows[k - 1], out=rows[k])
        rows[k] -= rows[k - 2]
    return rows


def _expansion_degree(steepness):
    """Chebyshev terms that resolve the pieces on one cell to rounding.

    The logistic function ``sigma(s t)`` has its poles at ``t = i pi / s``;
    on a cell of unit width mapped to ``[-1, 1]`` they lie ``2 pi / s``
    from the real axis, so the Chebyshev coefficients of the pieces decay
    like ``rho^-k`` with ``rho = d + sqrt(d^2 + 1)``, ``d = 2 pi / s``
    (Trefethen, *Approximation Theory and Approximation Practice*, ch. 8).
    """
    d = 2.0 * np.pi / steepness
    rho = d + np.hypot(d, 1.0)
    return int(np.ceil(16.0 * np.log(10.0) / np.log(rho))) + 1


def _expansion_pays(n_rows, n_bumps, steepness, width):
    """Whether the expansion costs less than the design for these rows.

    Estimated times, in units of 1e-10 s measured on one thread: the design
    spends about ``width (width + 40)`` a row (its products and the
    exponentials of the pieces) and ``3e5 + 30 width^2`` per window it
    assembles (one per first piece its rows meet); the expansion
    ``4 width^2 R`` a cell (``R`` Chebyshev terms) and ``70 R`` a row.
    Steep bumps have short windows and many terms: they keep the design.
    """
    degree = _expansion_degree(steepness)
    windows = min(n_rows, n_bumps + 3 - width)
    design = n_rows * width * (width + 40.0) + windows * (3e5 + 30.0 * width**2)
    series = 4.0 * n_bumps * width**2 * degree + 70.0 * n_rows * degree
    return series < design


@dataclass
class _CellExpansion:
    """The pieces of each cell's window as Chebyshev series on the cell.

    On cell ``c`` (``c <= t <= c + 1``, ``x = 2 (t - c) - 1``) piece
    ``first[c] + k`` equals ``sum_r shapes[shape_of_cell[c], k, r] T_r(x)``
    to rounding. Cells whose windows hold bumps only see the same pieces
    at the same offsets and share one shape; the cells whose windows are
    clipped at either end, at most a window's width of them, have their
    own.
    """

    n_bumps: int
    first: np.ndarray
    shapes: np.ndarray
    shape_of_cell: np.ndarray

    @property
    def degree(self):
        return self.shapes.shape[2]


def _cell_expansion(n_bumps, steepness, width):
    """Chebyshev coefficients of the cells' pieces, or None if inexact.

    The pieces are interpolated in the Chebyshev nodes of each distinct
    cell and the interpolants checked against the pieces at the extrema of
    the next term (both ends of the cell among them), relative to each
    piece's largest value on the cell.
    """
    degree = _expansion_degree(steepness)
    cells = np.arange(n_bumps)
    first, _ = _axis_window(cells + 0.5, n_bumps, steepness)
    clipped = (first == 0) | (first == n_bumps + 2 - width)
    # Shape 0 is that of the unclipped cells (if any), then one per clipped
    # cell.
    distinct = np.r_[np.flatnonzero(~clipped)[:1], np.flatnonzero(clipped)]
    shape_of_cell = np.zeros(n_bumps, dtype=np.intp)
    shape_of_cell[clipped] = np.arange(clipped.sum()) + (distinct.size > clipped.sum())

    # The pieces depend on t - first and on where the ends are: cells
    # clipped at the right end are evaluated with both moved left by the
    # same whole number, so that t = c + (x + 1) / 2 is formed near zero,
    # not with an absolute error of eps * c.
    right = first[-1]
    shift = np.where((right > 0) & (first[distinct] == right), right - 1, 0)

    def values(x):
        out = np.empty((distinct.size, x.size, width))
        for moved in np.unique(shift):
            group = shift == moved
            cells_moved = distinct[group] - moved
            t = (cells_moved[:, None] + 0.5 * (x + 1.0)).ravel()
            starts = np.repeat(first[distinct[group]] - moved, x.size)
            pieces = _pieces(t, n_bumps - moved, steepness, starts, width)
            out[group] = pieces.reshape(-1, x.size, width)
        return out

    nodes = np.cos(np.pi * (np.arange(degree) + 0.5) / degree)
    # Discrete orthogonality of T_r on the nodes: c_r = 2/R sum_k f(x_k) T_r(x_k).
    transform = (2.0 / degree) * _chebyshev_rows(nodes, degree)
    transform[0] *= 0.5
    shapes = np.ascontiguousarray(
        np.einsum("rk,ckw->cwr", transform, values(nodes), optimize=True)
    )
    check = np.cos(np.pi * np.arange(degree + 1) / degree)
    exact = values(check)
    series = np.einsum("cwr,rk->ckw", shapes, _chebyshev_rows(check, degree))
    scale = np.abs(exact).max(axis=1)
    error = np.abs(series - exact).max(axis=1)
    if not np.all(error <= _EXPANSION_RTOL * scale):
        return None
    return _CellExpansion(n_bumps, first, shapes, shape_of_cell)


def _expanded_normal_equations(t, g, sample_weight, expansion):
    """:func:`_banded_normal_equations` of rows ``0 <= t <= n_bumps``.

    On each cell the pieces are Chebyshev series (:class:`_CellExpansion`),
    so a cell's block of the normal equations is ``C M C.T`` with ``M`` the
    weighted moments ``sum w T_r(x) T_q(x)`` of its rows. As
    ``T_r T_q = (T_{r+q} + T_{|r-q|}) / 2``, ``M`` comes from the ``2 R - 1``
    sums ``sum w T_k(x)`` per cell: a row costs ``R (2 + n_targets)``
    multiply-adds and no exponential.
    """
    n, first = expansion.n_bumps, expansion.first
    degree, width = expansion.degree, expansion.shapes.shape[1]
    n_moments = 2 * degree - 1
    n_targets = g.shape[1]
    moments = np.zeros((n_moments, n))
    target_moments = np.zeros((n_targets, degree, n))
    rows = max(1, _CHUNK_ELEMENTS // (n_moments + degree))
    for a in range(0, t.size, rows):
        t_chunk = t[a : a + rows]
        cell = np.minimum(t_chunk.astype(np.intp), n - 1)
        x = 2.0 * (t_chunk - cell) - 1.0
        weighted = _chebyshev_rows(x, n_moments, sample_weight[a : a + rows])
        for k in range(n_moments):
            moments[k] += np.bincount(cell, weights=weighted[k], minlength=n)
        for j in range(n_targets):
            g_chunk = g[a : a + rows, j]
            for k in range(degree):
                target_moments[j, k] += np.bincount(
                    cell, weights=weighted[k] * g_chunk, minlength=n
                )
    r = np.arange(degree)
    plus, minus = r[:, None] + r[None, :], np.abs(r[:, None] - r[None, :])
    ab = np.zeros((width, n + 2))
    rhs = np.zeros((n + 2, n_targets))
    batch = max(1, _CHUNK_ELEMENTS // (width * width))
    for c0 in range(0, n, batch):
        cells = slice(c0, c0 + batch)
        coef = expansion.shapes[expansion.shape_of_cell[cells]]
        m = moments[:, cells]
        gram = np.ascontiguousarray((0.5 * (m[plus] + m[minus])).transpose(2, 0, 1))
        blocks = np.einsum("cir,cjr->cij", coef @ gram, coef, optimize=True)
        _add_consecutive_blocks(ab, blocks, first[cells])
        # Each cell's A.T W g: (cells, width, targets).
        cross = coef @ target_moments[:, :, cells].transpose(2, 1, 0)
        index = (first[cells, None] + np.arange(width)).ravel()
        for j in range(n_targets):
            rhs[:, j] += np.bincount(
                index, weights=cross[:, :, j].ravel(), minlength=n + 2
            )
    return ab, rhs


def _levels_penalty(n_bumps, at=None):
    """Second differences of the levels ``[left end, bumps..., right end]``.

    Their null space is the linear sequences of levels, which soft bumps
    turn into (nearly) linear functions: a large penalty tends to the
    linear fit.
    """
    positions = np.arange(-1.0, n_bumps + 1.0) if at is None else at
    return second_difference_penalty(positions), positions


def _select(stats, blocks, alpha):
    """The engine's fit for ``alpha`` (a relative penalty or ``"reml"``)."""
    if isinstance(alpha, str):
        return select_penalties(stats, blocks, criterion=alpha)
    return select_penalties(stats, blocks, fixed=[alpha] * len(blocks))


def _fit_axis(t, G, sample_weight, n_bumps, steepness, heights, alpha):
    """Levels ``[left end, bump 0, ..., bump n - 1, right end]`` on one axis.

    ``G`` has one column per target; returns the levels (n_bumps + 2,
    n_targets) and the engine's fit (None for mean heights).
    """
    if heights == "mean":
        cell = np.clip(np.floor(t), 0, n_bumps - 1).astype(np.intp)
        weight = np.bincount(cell, weights=sample_weight, minlength=n_bumps)
        occupied = weight > 0
        centres = np.arange(n_bumps) + 0.5
        levels = []
        for g in G.T:
            total = np.bincount(cell, weights=sample_weight * g, minlength=n_bumps)
            # Empty bumps take the value interpolated between their nearest
            # occupied neighbours (the nearest one beyond the last).
            bumps = np.interp(
                centres, centres[occupied], total[occupied] / weight[occupied]
            )
            levels.append(np.r_[bumps[0], bumps, bumps[-1]])
        return np.stack(levels, axis=1), None
    ab, rhs = _banded_normal_equations(t, G, sample_weight, n_bumps, steepness)
    wg = G * sample_weight[:, None]
    stats = NormalEquations(
        ab, rhs, np.einsum("ij,ij->j", G, wg), float(sample_weight.sum()), True
    )
    band, _ = _levels_penalty(n_bumps)
    fit = _select(stats, [PenaltyBlock(0, band)], alpha)
    return fit.coef, fit


def _fast_axis_sum(x, weight, bias0, steepness, output_weights):
    """``sum_k output_weights[k] * expit(weight * x + bias0 - steepness * k)``.

    Units far to the left of ``x`` are saturated at exactly 1 and are summed
    with a cumulative sum; units far to its right contribute below
    ``exp(-band)`` of the total output weight and are dropped; only the
    ``2 band / steepness`` units near ``x`` are evaluated. Within that window
    ``exp(-z)`` of unit ``lo + k`` is ``exp(-z_lo) * exp(s k)``, so one
    exponential per sample serves the whole window.
    """
    n_units = output_weights.size
    band = _TAIL_Z + 1.0 + np.log1p(np.sum(np.abs(output_weights)))
    reach = int(np.ceil(band / steepness))
    width = min(2 * reach + 2, n_units)
    cumulative = np.r_[0.0, np.cumsum(output_weights)]
    # Soft units share one exponential per sample; for steep ones e^{s k}
    # would overflow, and each unit is evaluated on its own.
    shared_exp = steepness * width <= 700
    growth = np.exp(steepness * np.arange(width)) if shared_exp else None
    out = np.empty(x.size)
    chunk = max(1, _CHUNK_ELEMENTS // width)
    # Far outside the range weight * x may overflow to +-inf: the units are
    # then saturated, which the clipped window and 1 / (1 + inf) express.
    with np.errstate(over="ignore"):
        # Position of x in units of the unit spacing: z_k = s (pos - k).
        position = (weight * x + bias0) / steepness
        lo = np.clip(np.floor(position) - reach, 0, n_units - width)
        lo = lo.astype(np.intp)
        for a in range(0, x.size, chunk):
            first = lo[a : a + chunk]
            z_first = x[a : a + chunk] * weight + (bias0 - steepness * first)
            if not shared_exp:
                idx = first[:, None] + np.arange(width)
                z = x[a : a + chunk, None] * weight + (bias0 - steepness * idx)
                units = expit(z)
            else:
                units = 1.0 / (1.0 + np.exp(-z_first)[:, None] * growth)
            near = np.einsum(
                "ij,ij->i", units, output_weights[first[:, None] + np.arange(width)]
            )
            out[a : a + chunk] = cumulative[first] + near
    return out


def block_rows(layers):
    """Rows per block of the dense normal equations of rows of bumps.

    Their sums over the rows are taken a block at a time, the blocks of
    rows of positive weight counted from the first
    (:class:`~sklearn_uat._stream.BlockSums`),
    so that ``fit``, ``partial_fit`` and Dask add up the same products in
    the same order whatever chunks the rows arrive in. Sized for the widest
    ``layers``, each block one product of :func:`_additive_normal_equations`,
    and at most ``_BLOCK_ROWS``: ``partial_fit`` sums the open block again
    at each call.
    """
    d = layers[0].directions.shape[0]
    widest = max(d * (c.n_bumps + 2) for c in layers)
    return max(1, min(_BLOCK_ROWS, _CHUNK_ELEMENTS // widest))


def _additive_normal_equations(T, G, sample_weight, n, s):
    """Dense normal equations of a row of pieces per axis, and ``Phi.T w``."""
    d = T.shape[1]
    q = n + 2
    m = d * q
    rows = max(1, _CHUNK_ELEMENTS // m)
    stats = None
    column_mass = np.zeros(m)
    for a in range(0, T.shape[0], rows):
        b = min(a + rows, T.shape[0])
        windows = []
        for i in range(d):
            first, width = _axis_window(T[a:b, i], n, s)
            cols = i * q + first[:, None] + np.arange(width)
            windows.append((cols, _pieces(T[a:b, i], n, s, first, width)))
            np.add.at(
                column_mass,
                cols.ravel(),
                (windows[-1][1] * sample_weight[a:b, None]).ravel(),
            )
        chunk = NormalEquations.from_windows(windows, G[a:b], sample_weight[a:b], m)
        stats = chunk if stats is None else stats.__iadd__(chunk)
    return stats, column_mass


def _additive_levels(stats, column_mass, d, n, alpha, n_features):
    """Penalised levels of every axis, each centred on the data.

    Returns the levels (d, n + 2, n_targets) less their centres, the sum of
    the centres and the engine's fit.
    """
    q = n + 2
    band, positions = _levels_penalty(n)
    blocks = [
        PenaltyBlock(i * q, band, redundant=redundancy(i, n_features), at=positions)
        for i in range(d)
    ]
    fit = _select(stats, blocks, alpha)
    levels = fit.coef.reshape(d, q, -1)
    total = stats.weight_sum
    centre = np.einsum("iq,iqt->it", column_mass.reshape(d, q), levels) / total
    return levels - centre[:, None, :], centre.sum(axis=0), fit


@dataclass
class _BumpLayer:
    """The first hidden layer: rows of bumps along directions.

    Inputs are scaled by ``offset`` and ``scale`` (the range ``lo`` to
    ``hi``), projected on ``directions`` and mapped by ``p_offset`` and
    ``p_scale`` (the projections' range, widened by the margin) onto
    ``[0, n_bumps]``.
    """

    n_bumps: int
    steepness: float
    lo: np.ndarray
    hi: np.ndarray
    offset: np.ndarray
    scale: np.ndarray
    source: str
    directions: np.ndarray
    p_offset: np.ndarray
    p_scale: np.ndarray
    #: The given ``n_bumps``, a multiple of this candidate's, that the
    #: candidate is written on once chosen (None: its own).
    given: int = None

    def on_given(self, levels):
        """This layer and its ``levels`` as the given number of bumps.

        The steps of ``n`` bumps of steepness ``s`` are every ``r``-th step
        of ``r n`` bumps of steepness ``s / r``: the same units. On the
        given layer each level repeats ``r`` times and the other steps get
        zero output weight; the network computes the same function.
        """
        if self.given is None:
            return self, levels
        n, r = self.n_bumps, self.given // self.n_bumps
        pieces = np.concatenate([[0], np.repeat(np.arange(1, n + 1), r), [n + 1]])
        layer = replace(
            self, n_bumps=self.given, steepness=self.steepness / r, given=None
        )
        return layer, levels[:, pieces]

    def project(self, X):
        """Inputs in units of one bump width along each direction.

        Summed input by input rather than by a matrix product, whose
        rounding can depend on how many rows it is given: each row's
        projection is then the same in any chunk of rows.
        """
        U = (X - self.offset) / self.scale
        P = U[:, :1] * self.directions[:, 0]
        for k in range(1, U.shape[1]):
            P += U[:, k : k + 1] * self.directions[:, k]
        return (P - self.p_offset) / self.p_scale * self.n_bumps

    def edges(self, centres=None):
        """Bump edges along each direction (in the units of X on the axes).

        ``centres`` are the step units' positions in bump widths, when
        refinement moved them from ``0, 1, ..., n_bumps``.
        """
        n = self.n_bumps
        centres = np.arange(n + 1.0) if centres is None else centres
        edges = self.p_offset[:, None] + self.p_scale[:, None] * (centres / n)
        if self.directions.shape[0] == self.directions.shape[1]:
            edges = self.offset[:, None] + self.scale[:, None] * edges
        return edges

    def fold(self, net):
        """The network on raw inputs of one built on :meth:`project`'s units."""
        net = net.with_input_scaling(self.p_offset, self.p_scale)
        net = FeedForwardNetwork(
            [self.directions.T @ net.coefs[0], *net.coefs[1:]],
            net.intercepts,
            net.activations,
        )
        return net.with_input_scaling(self.offset, self.scale)


def _step_layer(d, n, s):
    """First hidden layer: n + 1 step units per axis, on scaled inputs."""
    steps_W = np.zeros((d, d * (n + 1)))
    steps_b = np.tile(-s * np.arange(n + 1.0), d)
    for i in range(d):
        steps_W[i, i * (n + 1) : (i + 1) * (n + 1)] = s * n
    return steps_W, steps_b


def _additive_layers(n, s, levels, bias, g_mean, g_std):
    """Layers, heights and outer levels of a row of bumps per axis.

    ``levels`` has shape (d, n + 2, n_targets); the output weights are the
    differences of neighbouring levels.
    """
    d = levels.shape[0]
    steps_W, steps_b = _step_layer(d, n, s)
    out_W = np.diff(levels, axis=1).reshape(-1, levels.shape[2])
    # Heights in the units of the output pre-activation; with several inputs
    # each axis's function is centred on the training data.
    centre = g_mean if d == 1 else 0.0
    heights = centre + levels[:, 1:-1] * g_std
    outer = centre + levels[:, [0, -1]] * g_std
    if d == 1:
        heights, outer = heights[0], outer[0]
    return [steps_W, out_W], [steps_b, bias], heights, outer


@dataclass
class _Layouts:
    """Candidate first layers of one input, fitted side by side.

    Their normal equations are stacked into one block-diagonal banded
    system (:func:`_stacked`), so that partial_fit and Dask sum them like
    those of one layer; the solve picks one by GCV (``gcv_score`` of the
    engine).
    """

    layers: list

    # The range, its source, the directions and the number of bumps of
    # the first candidate (the range and directions are shared).
    lo = property(lambda self: self.layers[0].lo)
    hi = property(lambda self: self.layers[0].hi)
    source = property(lambda self: self.layers[0].source)
    directions = property(lambda self: self.layers[0].directions)
    n_bumps = property(lambda self: self.layers[0].n_bumps)

    def sizes(self):
        """Columns of each layer's normal equations."""
        d = self.directions.shape[0]
        return [d * (layer.n_bumps + 2) for layer in self.layers]

    def split(self, columns):
        """``columns`` of the stacked equations, cut into each layer's."""
        return np.split(columns, np.cumsum(self.sizes())[:-1])

    def first_blocks(self):
        """``(start, stop, first)`` of each layer: its columns, and how many
        of them (one direction's pieces) sum to one at every row."""
        starts = np.cumsum([0, *self.sizes()])
        return [
            (a, b, layer.n_bumps + 2)
            for a, b, layer in zip(starts[:-1], starts[1:], self.layers)
        ]


def _stacked(equations):
    """Normal equations of several layers as one block-diagonal system."""
    if not equations[0].banded:
        first = equations[0]
        return NormalEquations(
            block_diag(*[e.gram for e in equations]),
            np.concatenate([e.rhs for e in equations]),
            first.yty,
            first.weight_sum,
            False,
        )
    width = max(e.gram.shape[0] for e in equations)
    gram = np.concatenate(
        [np.pad(e.gram, ((width - e.gram.shape[0], 0), (0, 0))) for e in equations],
        axis=1,
    )
    rhs = np.concatenate([e.rhs for e in equations])
    first = equations[0]
    return NormalEquations(gram, rhs, first.yty, first.weight_sum, True)


def _unstacked(equations, layers):
    """The normal equations of each layer, from :func:`_stacked` ones."""
    parts, start = [], 0
    d = layers[0].directions.shape[0]
    for layer in layers:
        size = d * (layer.n_bumps + 2)
        stop = start + size
        if not equations.banded:
            parts.append(
                NormalEquations(
                    equations.gram[start:stop, start:stop].copy(),
                    equations.rhs[start:stop],
                    equations.yty,
                    equations.weight_sum,
                    False,
                )
            )
            start = stop
            continue
        width = min(2 * _band_half_width(layer.steepness) + 2, size)
        parts.append(
            NormalEquations(
                equations.gram[-width:, start:stop].copy(),
                equations.rhs[start:stop],
                equations.yty,
                equations.weight_sum,
                True,
            )
        )
        start = stop
    return parts
