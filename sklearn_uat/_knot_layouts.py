"""Smoother layouts of one row of knots, chosen by GCV.

A linear spline whose slope changes are penalised smooths like a cubic
smoothing spline. Penalties on higher differences of its knot values (the
changes of curvature and beyond) smooth like higher-order splines, and on
fewer knots they keep their conditioning. With one input, equally spaced
knots and a penalty chosen from the data, ``ReluKnotRegressor`` solves the
slope-change fit on its default knots and these smoother fits, and keeps
the one of the lowest generalised cross-validation score.

The smoother knots of the default count are nested: every ``r``-th knot of
the finest grid. Its normal equations give theirs without another pass over
the rows, so a fit chunk by chunk, or on a Dask collection, sums two sets of
statistics side by side (the default knots' and the finest grid's) and
chooses from the sums as ``fit`` does. A given count keeps its knots: the
smoother grids' hats are resampled onto them (each the linear spline on the
given knots through its values there), whose normal equations follow from
the given knots' own. The knots may also take the values of a few soft
bumps (two of ``BumpNetRegressor``'s smooth layouts), whose normal
equations follow from the knots' own too.
"""

import warnings
from dataclasses import replace

import numpy as np
from scipy.linalg import LinAlgWarning
from sklearn.exceptions import ConvergenceWarning

from ._bump_basis import smooth_layout_values
from ._knot_basis import coarser_hat_equations
from ._lstsq import NormalEquations, _banded_matvec, gcv_lower, gcv_score

# Equal intervals of the smoother layouts, when fewer than the default
# count's, and the orders of the differences that their penalties square.
# Fifth differences alone choose as well as the third to fifth together on
# the noisy and public one-input sets of the estimation benchmark (within
# 0.3%), at a third of the cost. Grids of 128 and 256 intervals besides
# changed the 5-fold error of 19 noisy and public one-input sets by 0.04%
# at most, except multiscale with noise 0.1 on 2,000 samples (1.05 times
# worse), at a fifth of the default's fit time: the bumps below and the
# slope changes span the rest.
SMOOTH_INTERVALS = (64,)
SMOOTH_ORDERS = (5,)

# The finest grid whose statistics are summed beside the default knots':
# the largest of these interval counts below the knots' own. Its slope
# changes, fitted first, start the default knots' iteration near its end;
# a coarser grid would start it in the wrong place where the function
# varies on its scale (co2's seasons on 64 intervals: 3.5 times the error).
# The smoother grids take every r-th of its knots.
FINE_INTERVALS = (64, 128, 256)


# Several rows of equally spaced knots (directions): the orders compared on
# the same knots. Against second differences alone, third differences cut
# the 5-fold error of the estimation benchmark's poly_tan by a quarter to a
# third and of airquality by 6% (sinc with noise 0.1: 15%); on small noisy
# sets they move it both ways (ridge functions on 150 samples: 0.92 to 1.11
# times). Fourth differences too were no better on the benchmark and worse
# on small sets (up to 1.14 times).
ROW_ORDERS = (2, 3)

# Rows that follow cubic splines (the default rows of several inputs): the
# coefficients' fourth differences compete too. Their null space, the
# cubics along each direction, spans the cubic interactions of the inputs.
# Against orders 2 and 3 (5-fold error against the truth, 2,000 samples):
# poly_tan with noise 0.01 0.82 times, 0.1 0.91; sinc 0.86 and 1.00;
# airquality 1.004, SLID unchanged; at 20,000 samples 0.73 to 0.98. On 18
# small sets (ridge functions on 150 and 300 samples, sinc and poly_tan on
# 300 and 600, friedman1, diabetes) 0.82 to 1.13 times.
SPLINE_ROW_ORDERS = (2, 3, 4)

# One row of knots also takes the values of two smooth layouts of bumps
# (``BumpNetRegressor``'s soft sigmoid pieces: 32 and 64 bumps of
# steepness 0.25) at its knots, if at least this many knot intervals fall
# on each bump, with the bumps reaching this fraction of the knots' span
# beyond either end (the open end pieces then do not pin the ends).
# Against the default with the slope changes and the smoother grids alone
# (5-fold error against the truth, 2,000 samples): multiscale with noise
# 0.01 0.77 times, 0.1 0.88; sine 0.93 and 0.93; doppler, GAGurine and co2
# unchanged, faithful 1.006. Without the margin sine was 1.05 and 1.04
# times; the other layouts of BumpNet (16 bumps, and 128) were never kept
# or no better, at up to twice the cost.
BUMP_LAYOUTS = ((32, 0.25), (64, 0.25))
BUMP_INTERVALS = 2
BUMP_MARGIN = 0.05


def fine_knots(lo, hi, n_knots, auto):
    """The finest grid, or None: only for ``n_knots="auto"``."""
    counts = [c for c in FINE_INTERVALS if c + 1 < n_knots]
    if not auto or not counts:
        return None
    return np.linspace(lo, hi, counts[-1] + 1)


def choose_layout(knots, stats, fine, fine_stats, solve):
    """The layout and penalty order of the lowest GCV score.

    Parameters
    ----------
    knots, stats : the default knots and their normal equations.
    fine, fine_stats : the finest grid (:data:`FINE_INTERVALS`) and its
        equations, or None.
    solve : callable ``(stats, knots, order, start) -> PenalisedFit``, with
        ``start`` the penalty that the iteration starts from, or None.

    Returns
    -------
    (knots, order, fit, bumps) of the choice. For a given count, ``knots``
    are always its own; a smoother grid resampled onto them keeps its own
    penalty and effective degrees of freedom in ``fit``, its coefficients
    written at ``knots``. ``bumps`` is None, or the ``(n_bumps, steepness)``
    of a smooth layout of bumps whose values ``fit`` takes at ``knots``
    (its penalty on the second differences of their levels). Smoother fits
    whose penalty did not settle, or whose equations needed a ridge to be
    solved (a high-order penalty across knots without data), are skipped
    without a warning: they are candidates only.
    """
    # A default count competes with the nested smoother grids. A given
    # count keeps its knots: the same orders on them, and the smoother grids
    # with fewer knots resampled onto them. On fine knots fifth differences
    # alone would need more than the engine's largest penalty; the resampled
    # grids take their place, so that more knots than the default's keep its
    # fit (third and fourth differences on the knots themselves, the earlier
    # stand-ins, made 4 x 129 knots 1.27 times less accurate on the noisy
    # sine of `bench_smoothing.py --only more`).
    layouts = []
    if fine is not None:
        intervals = fine.size - 1
        for count in SMOOTH_INTERVALS:
            if count <= intervals:
                ratio = intervals // count
                coarse = fine_stats
                if ratio > 1:
                    coarse = coarser_hat_equations(fine_stats, fine, fine[::ratio])
                layouts.append((fine[::ratio], coarse, SMOOTH_ORDERS, None))
    else:
        for count in SMOOTH_INTERVALS:
            if count + 1 < knots.size:
                row = np.linspace(knots[0], knots[-1], count + 1)
                coarse = coarser_hat_equations(stats, knots, row)
                layouts.append((row, coarse, SMOOTH_ORDERS, knots))
        layouts.append((knots, stats, SMOOTH_ORDERS, None))
    # The finest grid's slope-change penalty, scaled, starts the default
    # knots' iteration near its end.
    start = None
    if fine is not None:
        pilot = solve(fine_stats, fine, 2, None).penalties
        start = _scaled_start(pilot, fine.size, 2)(knots.size)
    slopes = solve(stats, knots, 2, start)
    best = (knots, 2, slopes)
    best_score = gcv_score(slopes)
    # Coarse to fine, each order's iteration starts from its penalty on the
    # coarser grid, scaled: a few steps instead of a climb from the rough end.
    starts = {}
    for row, equations, orders, onto in layouts:
        # A high order on many more knots than samples is decided by
        # rounding (2048 knots on 300 samples chose a bogus fit).
        if row.size > 2 * equations.weight_sum:
            continue
        for order in orders:
            if row.size < 2 * order:
                continue
            start = starts.get(order)
            fit, trouble = _candidate(
                solve, equations, row, order, start and start(row.size)
            )
            score = gcv_score(fit)
            if not trouble:
                starts[order] = _scaled_start(fit.penalties, row.size, order)
            if not trouble and gcv_lower(score, best_score):
                best_score = score
                best = (row, order, fit)
                if onto is not None:
                    best = (onto, order, _resampled(fit, row, onto))
    best = (*best, None)
    # The bumps' levels under second differences start from the slope
    # changes' penalty, scaled to their spacing.
    start = _scaled_start(slopes.penalties, knots.size, 2)
    for n_bumps, steepness in BUMP_LAYOUTS:
        if knots.size - 1 < BUMP_INTERVALS * n_bumps:
            continue
        values = _bump_values(knots, n_bumps, steepness)
        levels = np.arange(-1.0, n_bumps + 1.0)
        fit, trouble = _candidate(
            solve, _mapped(stats, values), levels, 2, start(levels.size)
        )
        score = gcv_score(fit)
        if not trouble and gcv_lower(score, best_score):
            best_score = score
            fit = replace(fit, coef=values @ fit.coef, statistics=None)
            best = (knots, 2, fit, (n_bumps, steepness))
    return best


def _bump_values(knots, n_bumps, steepness):
    """Values at ``knots`` of the pieces of ``n_bumps`` smooth bumps over their span."""
    span = knots[-1] - knots[0]
    t = (knots - knots[0] + BUMP_MARGIN * span) / ((1.0 + 2.0 * BUMP_MARGIN) * span)
    return smooth_layout_values(t * n_bumps, n_bumps, steepness)


def _mapped(stats, values):
    """Dense normal equations of coefficients whose knot values are ``values @ c``."""
    gram = values.T @ _banded_matvec(stats.gram, values)
    return NormalEquations(
        0.5 * (gram + gram.T), values.T @ stats.rhs, stats.yty.copy(), stats.weight_sum
    )


def choose_row_order(stats, knots_list, solve, splines=False):
    """The order of the rows' differences of the lowest GCV score.

    Several rows of equally spaced knots (or of spline coefficients) share
    one set of normal equations; each order of :data:`ROW_ORDERS` (of
    :data:`SPLINE_ROW_ORDERS` for ``splines``) solves them with every row's
    penalty on differences of that order, and the fit of the lowest GCV
    score is kept. ``solve(stats, knots_list, order, start)`` returns the
    engine's fit.
    Returns ``(order, fit)``; as in :func:`choose_layout`, higher orders
    whose penalty did not settle or that needed a ridge are skipped. With
    more unknowns than samples the fits interpolate, GCV cannot tell them
    apart, and the slope changes are kept (64 knots on 18 rows of 640
    noise-free sinc samples: third differences, kept by GCV, had 4 times
    the held-out error).
    """
    best = (2, solve(stats, knots_list, 2, None))
    best_score = gcv_score(best[1])
    if stats.n_basis > stats.weight_sum:
        return best
    for order in SPLINE_ROW_ORDERS if splines else ROW_ORDERS:
        if order == 2 or min(k.size for k in knots_list) < 2 * order:
            continue
        fit, trouble = _candidate(solve, stats, knots_list, order, None)
        score = gcv_score(fit)
        if not trouble and gcv_lower(score, best_score):
            best, best_score = (order, fit), score
    return best


def _candidate(solve, *args):
    """``solve(*args)`` and whether it warned that it did not settle."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = solve(*args)
    trouble = any(
        issubclass(w.category, (ConvergenceWarning, LinAlgWarning)) for w in caught
    )
    return fit, trouble


def _resampled(fit, row, knots):
    """A fit on the hats of ``row`` as values at ``knots`` (their nearest copy).

    Its penalties and effective degrees of freedom stay those of ``row``;
    it keeps no statistics (those of ``knots`` are the caller's).
    """
    coef = np.stack([np.interp(knots, row, column) for column in fit.coef.T], axis=1)
    return replace(fit, coef=coef, statistics=None)


def _scaled_start(penalties, size, order):
    """Penalties for ``size2`` knots from those on ``size`` knots.

    Differences of order ``k`` of a smooth function shrink as the spacing
    to the ``k``-th power, and a relative penalty multiplies the Gram
    matrix's mean diagonal, which shrinks as the spacing: the same
    smoothness takes a penalty that grows as the number of intervals to the
    power ``2 k``.
    """

    def start(size2):
        return penalties * ((size2 - 1) / (size - 1)) ** (2 * order)

    return start


def side_by_side(first, second):
    """Banded normal equations of two hat rows, one block after the other."""
    gram = np.concatenate([first.gram, second.gram], axis=1)
    gram[0, first.n_basis] = 0.0
    return NormalEquations(
        gram,
        np.vstack([first.rhs, second.rhs]),
        first.yty,
        first.weight_sum,
        banded=True,
    )


def split(equations, size):
    """The two blocks of :func:`side_by_side`; the first has ``size`` columns."""
    parts = []
    for cols in (slice(None, size), slice(size, None)):
        gram = equations.gram[:, cols].copy()
        gram[0, 0] = 0.0
        parts.append(
            NormalEquations(
                gram,
                equations.rhs[cols],
                equations.yty,
                equations.weight_sum,
                banded=True,
            )
        )
    return parts
