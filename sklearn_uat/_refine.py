"""Variable projection: the hidden layer fitted, the output layer solved exactly.

A closed-form network ``f(x) = Phi(x; theta) c`` is linear in its output
weights ``c`` and nonlinear in its hidden parameters ``theta`` (knot
positions, ridge directions, bump centres and steepness). Variable
projection (Golub and Pereyra [1]_) eliminates ``c``: for every ``theta`` the
output layer is the penalised least-squares solution of the engine
(:mod:`sklearn_uat._lstsq`, with the penalties of the constructive fit held
fixed), and only ``theta`` is optimised, by Levenberg-Marquardt on the
reduced objective

``F(theta) = sum_i w_i |y_i - Phi_i(theta) c(theta)|^2
+ sum_j lambda_j s c(theta).T S_j c(theta)``

with ``s`` the mean diagonal of the start's normal equations held fixed
and the penalty matrices ``S_j`` those of the current knots (second
differences scaled by the knots' spacing, so that knots that close up
are penalised for the slopes they make). The Jacobian of the reduced
residual is Kaufman's approximation [2]_, ``J = -P D``, with ``D = d(Phi c)
/ d theta`` at fixed ``c`` (analytic, from the model) and ``P`` the residual
projection of the penalised solve; the gradient is exact, ``-D.T W r`` plus
the derivative of the penalty at fixed ``c`` (analytic too). ``J.T J`` is
formed from the small products ``D.T W D`` and ``Phi.T W D``, so a sparse
design (one-input knots) is never made dense. Each output-layer solve is
the engine's factorisation with two sweeps of iterative refinement on the
residuals, which keeps the digits that small objectives need.

A step is kept only if it lowers ``F``, so the training objective decreases
monotonically and the result is never worse than the start of the steps.
The models keep their steps feasible before they are taken: knots and bump
centres move at most a fixed fraction of the gap to their neighbours (they
never cross or merge), directions are unit vectors moved in their tangent
space and normalised, steepness is moved on a log scale (it never reaches
zero).

On noisy data (penalties chosen from the data) a move must also generalise:
it is kept only if it lowers the GCV score with each moved hidden parameter
counted as a degree of freedom. With several inputs the directions first
turn, as one rotation, onto the principal directions of a fit's gradient
within the span of the inputs
(:func:`~sklearn_uat._directions.gradient_directions`), the turned network
fitted again with penalties of its own, kept if GCV, each angle counted as
two degrees of freedom, falls; ``BumpNetRegressor``'s steps start from it,
``ReluKnotRegressor`` takes none.

References
----------
.. [1] G. H. Golub and V. Pereyra, "The differentiation of pseudo-inverses
   and nonlinear least squares problems whose variables separate", SIAM J.
   Numer. Anal. 10(2), 413-432, 1973.
.. [2] L. Kaufman, "A variable projection method for solving separable
   nonlinear least squares problems", BIT 15, 49-57, 1975.
"""

import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from ._directions import (
    box_ranges,
    gradient_directions,
    projection_ranges,
    redundancy,
    spanned_directions,
)
from ._free_knots import SortedMoments, free_knot_search
from ._knot_basis import SplineRows, row_values
from ._lstsq import (
    GCV_TIE,
    NormalEquations,
    PenaltyBlock,
    _Factor,
    _null_space_coordinates,
    _quadratic_forms,
    _residual_sum,
    difference_penalty,
    second_difference_penalty,
    select_penalties,
)
from ._validation import check_memory_budget, warn

__all__ = [
    "keeps_turn",
    "refine_budget",
    "refine_bumps",
    "refine_knots",
    "turn_dof",
]

#: Iterations of ``refine=True``.
DEFAULT_ITERATIONS = 100

# A knot or centre moves at most this fraction of the gap to its neighbour
# in one step, and gaps never fall below this fraction of the mean gap.
_GAP_FRACTION = 0.5
_MIN_GAP = 1e-3
# Levenberg-Marquardt damping: start, factors, and the damping at which no
# decreasing step is left (a stationary point to the solver's precision).
_MU_START = 1e-3
_MU_UP, _MU_DOWN = 4.0, 3.0
_MU_MAX = 1e12
_DAMPING_FLOOR = 1e-4
# With penalties chosen by REML (noisy data), a refined hidden layer is kept
# only if it lowers the GCV score with each free hidden parameter counted as
# this many degrees of freedom: a parameter fitted to the data. Moved knots
# fit noise: without this test refinement made 5-fold CV errors 1.058x the
# constructive network's on faithful and 1.39x on doppler with noise 0.01
# (2,000 samples), 1.15x on sinc with noise 0.01 (two inputs); with a
# quarter of a degree of freedom per knot, still 1.39x on doppler.
_FREE_PARAMETER_DOF = 1.0
# With several inputs and noisy data the hidden layer makes one move: all
# directions turn, as one rotation, onto the principal directions of the
# constructive fit's gradient (penalties chosen again), kept only if that
# lowers the GCV score with the rotation's r (r - 1) / 2 angles (r the
# dimensions the inputs span) counted as this many degrees of freedom each:
# the rotation is estimated from a fit to the same rows. With one per angle,
# pure noise turned in 1 of 40 draws (3 inputs, 200 samples; 1.35x the
# error) and an additive function in 1 of 30; with two, none of 40 and 30,
# nor BumpNet's rows on pure noise in 30.
# Levenberg-Marquardt steps of the directions after the turn fitted noise,
# with each direction component counted too (pure noise of two inputs, 100
# samples: 1.56x the error in 1 of 40 draws), and never helped on noisy data:
# ReluKnotRegressor takes none there.
_ANGLE_DOF = 2.0
# Steps over which the decrease is compared with the tolerance.
_PATIENCE = 5
# Largest change of a log-steepness, and of a direction (radians-ish), per step.
_MAX_LOG_STEP = 1.0
_MAX_TURN = 0.5
# REML lowers the penalties every this many iterations, when it lowers one
# below this fraction of its value.
_RESELECT_EVERY = 10
_RESELECT_DROP = 0.5
# Iterative-refinement sweeps of each output-layer solve.
_REFINEMENT_SWEEPS = 2


def refine_budget(refine):
    """Iterations for the estimators' ``refine`` parameter (0: no refinement)."""
    if refine is False or refine is None:
        return 0
    if refine is True:
        return DEFAULT_ITERATIONS
    return int(refine)


@dataclass
class RefineResult:
    """What :func:`levenberg_marquardt` returns.

    ``theta`` and ``coef`` are the best found (the start's if no step
    lowered the objective), ``objective`` the training objective at the
    start and after every accepted step, ``n_iter`` the iterations run,
    ``converged`` whether the tolerance was met or no descent was left.
    """

    theta: object
    coef: np.ndarray
    residual: np.ndarray
    edf: float
    objective: np.ndarray
    n_iter: int
    converged: bool
    penalties: np.ndarray


# --------------------------------------------------------------------------
# The solver.
# --------------------------------------------------------------------------


class _Solved:
    """The output layer solved exactly for one hidden layer ``theta``."""

    def __init__(self, model, theta, Y, w, penalty):
        _, lambdas, scale = penalty
        blocks = model.blocks(theta)
        Phi = model.design(theta)
        WPhi = Phi if w is None else _scale_rows(Phi, w)
        gram = _dense(Phi.T @ WPhi)
        wy = Y if w is None else Y * w[:, None]
        rhs = np.asarray(Phi.T @ wy)
        weight_sum = float(Y.shape[0] if w is None else w.sum())
        stats = NormalEquations(gram, rhs, np.einsum("ij,ij->j", Y, wy), weight_sum)
        # The penalty matrix of the start, whatever the design's scale now.
        self.scale = stats.scale if scale is None else scale
        penalties = lambdas * (self.scale / stats.scale)
        rotated, reduced, T = _null_space_coordinates(stats, blocks)
        with warnings.catch_warnings():
            # A step towards a singular design is refused by its objective.
            warnings.simplefilter("ignore")
            self.factor = _Factor(rotated, reduced, penalties)
        self.T, self.stats, self.blocks = T, stats, blocks
        # Iterative refinement on the residual computed from the design:
        # the accuracy of a QR solve for the cost of one more substitution,
        # which small objectives near the optimum need.
        penalty = self.factor._system(penalties, self.factor.ridge) - rotated.gram
        z = self.factor.solve(rotated.rhs)
        for _ in range(_REFINEMENT_SWEEPS):
            residual = Y - Phi @ self._expand(z)
            correction = np.asarray(
                Phi.T @ (residual if w is None else residual * w[:, None])
            )
            correction = self._reduce(correction) - penalty @ z
            z = z + self.factor.solve(correction)
        self.coef = self._expand(z)
        self.residual = Y - Phi @ self.coef
        self.Phi, self.WPhi, self.gram, self.theta = Phi, WPhi, gram, theta
        rss = np.sum(
            (self.residual**2) * (1.0 if w is None else w[:, None]), axis=0
        ).sum()
        roughness = sum(
            lam * np.sum(_quadratic_forms(b, self.coef, self.scale))
            for lam, b in zip(lambdas, blocks)
        )
        self.objective = float(rss + roughness)

    def _expand(self, z):
        return z if self.T is None else self.T @ z

    def _reduce(self, rhs):
        return rhs if self.T is None else self.T.T @ rhs

    def solve(self, rhs):
        return self._expand(self.factor.solve(self._reduce(rhs)))


def _scale_rows(M, w):
    if sparse.issparse(M):
        return sparse.csr_matrix(M.multiply(w[:, None]))
    return M * w[:, None]


def _dense(M):
    return M.toarray() if sparse.issparse(M) else np.asarray(M)


def _penalty_gradient(model, solved, lambdas, scale):
    """Half the gradient of the roughness at fixed output weights.

    Zero unless the penalty matrices move with the hidden layer (the knots'
    spacing); then the model's exact derivative.
    """
    if not hasattr(model, "penalty_gradient"):
        return np.zeros(solved.n_params)
    return model.penalty_gradient(solved.theta, solved.coef, lambdas, scale)


def _normal_system(model, solved, w):
    """``J.T J`` and ``J.T r`` of Kaufman's reduced Jacobian, summed over targets."""
    JtJ, Jtr = None, None
    r = solved.residual
    for t in range(solved.coef.shape[1]):
        D = model.derivatives(solved.theta, solved.coef[:, t])
        WD = D if w is None else _scale_rows(D, w)
        PhitWD = _dense(solved.Phi.T @ WD)
        M = solved.solve(PhitWD)
        # The penalised problem as least squares on [W^1/2 Phi; R] with R
        # fixed: J = -P [D; 0], so J.T J = D.T W D - (Phi.T W D).T M and,
        # the residual being orthogonal to the design, J.T r = -D.T W r.
        gram = _dense(D.T @ WD) - PhitWD.T @ M
        grad = -np.asarray(WD.T @ r[:, t]).ravel()
        JtJ = gram if JtJ is None else JtJ + gram
        Jtr = grad if Jtr is None else Jtr + grad
    return 0.5 * (JtJ + JtJ.T), Jtr


def _lowered_penalties(model, current, Y, w, penalty):
    """REML's penalties on the current hidden layer, where they are lower.

    The objective at a fixed hidden layer does not increase when a penalty
    falls, so lowering keeps the objective decreasing. Returns the new
    penalties and fit, or None when REML lowers none by much.
    """
    chosen = select_penalties(current.stats, current.blocks).penalties
    # REML's penalties are relative to the current design's scale.
    chosen = chosen * current.stats.scale / penalty[2]
    lowered = np.minimum(penalty[1], chosen)
    if np.all(lowered >= _RESELECT_DROP * penalty[1]):
        return None
    trial = _Solved(model, current.theta, Y, w, [penalty[0], lowered, penalty[2]])
    if not trial.objective < current.objective:
        return None
    return lowered, trial


def levenberg_marquardt(
    model, theta, Y, w, penalties, max_iter, tol, reselect=False, scale=None
):
    """Minimise the reduced objective over ``theta``; see the module notes.

    Parameters
    ----------
    model : object
        ``design(theta)`` (n, m) dense or sparse; ``derivatives(theta, c)``
        (n, p) ``d(Phi c) / d theta`` in the model's step coordinates;
        ``blocks(theta)`` the engine's penalty blocks; ``move(theta,
        delta)`` the feasible point reached by the step ``delta``.
    theta : object
        The constructive start.
    Y : ndarray of shape (n, n_targets)
    w : ndarray of shape (n,) or None
    penalties : ndarray
        Relative penalties of the blocks, held fixed.
    max_iter : int
        Iterations (each one Jacobian and one or more trial solves).
    tol : float
        Converged when five steps lower the objective by less than ``tol``
        times its value, or when no step lowers it.
    reselect : bool
        Let REML lower the penalties on the moving hidden layer, whenever
        the steps converge and every few iterations: a start that fits
        badly makes REML take its misfit for noise and smooth too much.
    scale : float, default=None
        The mean diagonal that the penalties are relative to; None: that
        of the start's normal equations.
    """
    penalty = [None, np.asarray(penalties, dtype=np.float64), scale]
    current = _Solved(model, theta, Y, w, penalty)
    penalty[2] = current.scale
    scale = max(float(np.sum(Y**2 * (1.0 if w is None else w[:, None]))), 1e-300)
    history = [current.objective]
    mu = _MU_START
    converged = False
    n_iter = 0
    while n_iter < max_iter and not converged:
        n_iter += 1
        if current.objective <= 1e-30 * scale:
            converged = True
            break
        JtJ, Jtr = _normal_system(model, current, w)
        current.n_params = Jtr.size
        Jtr = Jtr + _penalty_gradient(model, current, penalty[1], penalty[2])
        # Marquardt's scaling, floored: a parameter that barely moves the
        # fit (a knot with few samples near it) must not take huge steps.
        diag = np.diag(JtJ)
        diag = np.maximum(diag, _DAMPING_FLOOR * max(np.max(diag), 1e-300))
        while True:
            try:
                delta = np.linalg.solve(JtJ + mu * np.diag(diag), -Jtr)
            except np.linalg.LinAlgError:
                delta = None
            trial = None
            if delta is not None and np.all(np.isfinite(delta)):
                moved = model.move(current.theta, delta)
                trial = _Solved(model, moved, Y, w, penalty)
            if trial is not None and trial.objective < current.objective:
                current = trial
                history.append(current.objective)
                mu = max(mu / _MU_DOWN, 1e-12)
                # A damped step can be small where the next is not: judge
                # the decrease over several steps that were barely damped.
                if len(history) > _PATIENCE and mu < 1.0:
                    before = history[-1 - _PATIENCE]
                    converged = before - current.objective <= tol * before
                break
            mu *= _MU_UP
            if mu > _MU_MAX:
                # No step lowers the objective: a stationary point.
                converged = True
                break
        if reselect and (converged or n_iter % _RESELECT_EVERY == 0):
            lowered = _lowered_penalties(model, current, Y, w, penalty)
            if lowered is not None:
                penalty[1], current = lowered
                history.append(current.objective)
                converged, mu = False, _MU_START
    return RefineResult(
        current.theta,
        current.coef,
        current.residual,
        float(current.factor.edf()),
        np.array(history),
        n_iter,
        converged,
        penalty[1] * penalty[2] / current.stats.scale,
    )


class _HeldWarnings:
    """Hold the warnings of a refinement until the GCV test has kept it.

    A refinement that the test rejects returns the constructive network, of
    which a budget warning would say nothing true. ``release`` re-issues the
    held warnings, attributed to the caller of the estimator's fit.
    """

    def __enter__(self):
        self._catcher = warnings.catch_warnings(record=True)
        self.caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._catcher.__exit__(*exc)
        return False

    def release(self):
        for w in self.caught:
            warn(w.message, w.category)


def _warn_budget(result, max_iter, tol, what):
    if not result.converged:
        warn(
            f"Refining the {what} did not converge within refine={max_iter} "
            f"iterations (refine_tol={tol:g}); the best network found is kept, "
            f"its training objective {result.objective[-1]:.3g} against "
            f"{result.objective[0]:.3g} at the start. Raise refine for more "
            "iterations, or refine_tol.",
            ConvergenceWarning,
        )


def _ordered_step(knots, step, min_gap, fixed_ends):
    """``knots + step`` with every gap kept open.

    No gap shrinks by more than ``_GAP_FRACTION`` of itself nor below
    ``min_gap`` in one step: the two knots of a gap that would move
    together instead (at the mean of their steps; not at all next to a
    fixed end), while the other knots move on. Knots can neither cross
    nor merge.
    """
    step = np.array(step, dtype=np.float64)
    gaps = np.diff(knots)
    lower = np.minimum(np.maximum((1.0 - _GAP_FRACTION) * gaps, min_gap), gaps)
    last = knots.size - 1
    for _ in range(knots.size):
        closing = np.flatnonzero(gaps + np.diff(step) < lower)
        if closing.size == 0:
            return knots + step
        for i in closing:
            pair = step[i : i + 2]
            held = fixed_ends and (i == 0 or i + 1 == last)
            pair[:] = 0.0 if held else pair.mean()
    closing = gaps + np.diff(step) < lower
    return knots if np.any(closing) else knots + step


# --------------------------------------------------------------------------
# ReLU knots along directions.
# --------------------------------------------------------------------------


@dataclass
class KnotLayer:
    """Hidden parameters of a knot network: directions and their knots."""

    directions: np.ndarray
    knots: list


class _KnotModel:
    """Rows of hat functions along directions, as a separable model.

    One input: the inner knots move, the ends stay at the training range.
    Several: every knot and every direction moves (a direction in its
    tangent space, then normalised); samples beyond the end knots follow the
    network's extrapolation.
    """

    def __init__(
        self, U, clamp, redundant, one_input, knots_move=True, order=2, spline=None
    ):
        self.U, self.clamp = U, clamp
        self.redundant, self.one_input = redundant, one_input
        self.knots_move = knots_move or one_input
        # Differences of a higher order, and values that follow cubic
        # splines, only where the knots keep their (equal) spacing.
        self.order = order
        self.spline = spline
        self._map = None if spline is None else spline.stacked()

    def _intervals(self, knots, p):
        j = np.clip(np.searchsorted(knots, p, side="right") - 1, 0, knots.size - 2)
        s = (p - knots[j]) / (knots[j + 1] - knots[j])
        if self.clamp:
            s = np.clip(s, 0.0, 1.0)
        return j, s

    def _projections(self, layer):
        if self.one_input:
            return self.U
        return self.U @ layer.directions.T

    def design(self, layer):
        P = self._projections(layer)
        n = P.shape[0]
        rows, cols, vals, start = [], [], [], 0
        for i, knots in enumerate(layer.knots):
            j, s = self._intervals(knots, P[:, i])
            rows += [np.arange(n)] * 2
            cols += [start + j, start + j + 1]
            vals += [1.0 - s, s]
            start += knots.size
        hats = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n, start),
        )
        return hats if self._map is None else hats @ self._map

    def _rows(self, layer):
        """Positions of each row's unknowns: its knots, or its spline's coefficients."""
        return layer.knots if self.spline is None else self.spline.positions

    def blocks(self, layer):
        rows = self._rows(layer)
        starts = np.concatenate([[0], np.cumsum([k.size for k in rows])])
        return [
            PenaltyBlock(
                int(start),
                second_difference_penalty(knots)
                if self.order == 2
                else difference_penalty(knots.size, self.order),
                null_dim=self.order,
                redundant=self.redundant[i],
                at=knots,
            )
            for i, (start, knots) in enumerate(zip(starts, rows))
        ]

    def derivatives(self, layer, coef):
        P = self._projections(layer)
        n = P.shape[0]
        rows = np.arange(n)
        columns = []
        for i, (knots, values) in enumerate(
            zip(layer.knots, row_values(coef, layer.knots, self.spline))
        ):
            slopes = np.diff(values) / np.diff(knots)
            j, s = self._intervals(knots, P[:, i])
            # d f / d t_j = -slope_j (1 - s) and d f / d t_{j+1} = -slope_j s.
            data = np.concatenate([-slopes[j] * (1.0 - s), -slopes[j] * s])
            cols = np.concatenate([j, j + 1])
            knot_block = sparse.csr_matrix(
                (data, (np.concatenate([rows, rows]), cols)), shape=(n, knots.size)
            )
            if self.one_input:
                # The ends stay at the training range.
                columns.append(knot_block[:, 1:-1])
                continue
            # d f / d v = f'(v . u) u, in the direction's tangent coordinates.
            gradient = slopes[j]
            if self.clamp:
                gradient = gradient * ((P[:, i] > knots[0]) & (P[:, i] < knots[-1]))
            tangent = _tangent_basis(layer.directions[i])
            columns.append(sparse.csr_matrix(gradient[:, None] * (self.U @ tangent)))
            if self.knots_move:
                columns.append(knot_block)
        return sparse.hstack(columns, format="csr")

    def penalty_gradient(self, layer, coef, lambdas, scale):
        """Half the gradient of the roughness at fixed output weights, exact.

        Row ``k`` of the scaled second differences is ``r_k = hbar_k (s_k -
        s_{k-1})`` with ``s`` the slopes between knots; it moves with the
        three knots around it. Scaling the knots leaves every ``r_k``
        unchanged, so a turn of a direction (which rescales its knots) has
        no roughness gradient.
        """
        if not self.knots_move:
            # Only the directions move: the roughness stays.
            return np.zeros(layer.directions.size - layer.directions.shape[0])
        columns, start = [], 0
        for lam, knots in zip(lambdas, layer.knots):
            c = coef[start : start + knots.size]
            start += knots.size
            grad = np.zeros(knots.size)
            if knots.size >= 3:
                h = np.diff(knots)[:, None]
                slopes = np.diff(c, axis=0) / h
                hbar = 0.5 * (h[:-1] + h[1:])
                s0, s1 = slopes[:-1], slopes[1:]
                r = hbar * (s1 - s0)
                # d r_k / d t at the left, middle and right knot of row k.
                left = -0.5 * (s1 - s0) - hbar * s0 / h[:-1]
                middle = hbar * (s1 / h[1:] + s0 / h[:-1])
                right = 0.5 * (s1 - s0) - hbar * s1 / h[1:]
                weight = lam * scale
                grad[:-2] += weight * np.sum(r * left, axis=1)
                grad[1:-1] += weight * np.sum(r * middle, axis=1)
                grad[2:] += weight * np.sum(r * right, axis=1)
            if self.one_input:
                columns.append(grad[1:-1])
                continue
            columns.append(np.zeros(layer.directions.shape[1] - 1))
            if self.knots_move:
                columns.append(grad)
        return np.concatenate(columns)

    def move(self, layer, delta):
        directions = layer.directions.copy()
        turns, steps, col = [], [], 0
        fraction = 1.0
        for i, knots in enumerate(layer.knots):
            if self.one_input:
                inner = delta[col : col + knots.size - 2]
                steps.append(np.concatenate([[0.0], inner, [0.0]]))
                turns.append(None)
                col += knots.size - 2
                continue
            d = directions.shape[1]
            turn = _tangent_basis(directions[i]) @ delta[col : col + d - 1]
            col += d - 1
            size = np.linalg.norm(turn)
            if size > _MAX_TURN:
                fraction = min(fraction, _MAX_TURN / size)
            turns.append(turn)
            if self.knots_move:
                steps.append(delta[col : col + knots.size])
                col += knots.size
            else:
                steps.append(np.zeros(knots.size))
        knots_out = []
        for i, (knots, turn, step) in enumerate(zip(layer.knots, turns, steps)):
            min_gap = _MIN_GAP * (knots[-1] - knots[0]) / (knots.size - 1)
            moved = _ordered_step(knots, fraction * step, min_gap, self.one_input)
            if turn is not None:
                v = directions[i] + fraction * turn
                norm = np.linalg.norm(v)
                # The projection on the normalised direction is the old one
                # divided by the norm: the knots follow.
                directions[i] = v / norm
                moved = moved / norm
            knots_out.append(moved)
        return KnotLayer(directions, knots_out)


def _tangent_basis(v):
    """Orthonormal basis (d, d - 1) of the directions perpendicular to ``v``."""
    Q, _ = np.linalg.qr(np.column_stack([v, np.eye(v.size)]))
    return Q[:, 1 : v.size]


def refine_knots(
    U,
    Y,
    w,
    directions,
    knots,
    penalties,
    redundant,
    clamp,
    max_iter,
    tol,
    reselect,
    knots_move=True,
    warn=True,
    order=2,
    spline=None,
):
    """Refine a knot network by variable projection.

    Parameters
    ----------
    U : ndarray of shape (n, n_features)
        Inputs scaled to [0, 1].
    Y : ndarray of shape (n, n_targets)
        Standardised targets.
    w : ndarray of shape (n,) or None
    directions : ndarray of shape (n_directions, n_features)
    knots : list of ndarray
        Knots along each direction's projection (the constructive start).
    penalties : ndarray of shape (n_directions,)
    redundant : list of int
        Each direction's redundant null-space functions (see the engine).
    clamp : bool
    max_iter : int
    tol : float
    reselect : bool
        Let REML lower the penalties as the layer moves.
    knots_move : bool, default=True
        Whether the knots move, or only the directions.
    warn : bool, default=True
        Whether a budget spent warns.
    order : int, default=2
        Order of the differences that the penalties square (above 2 only
        with ``knots_move=False``: equally spaced knots stay so).
    spline : SplineRows, default=None
        The cubic splines that the rows' values follow (only with
        ``knots_move=False``); the penalties then act on their coefficients.

    Returns
    -------
    layer : KnotLayer
        The refined directions and knots.
    result : RefineResult
        ``coef`` holds the values of the fit at the knots, stacked (or
        the splines' coefficients).
    """
    one_input = directions.shape == (1, 1)
    n_cols = sum(k.size for k in knots)
    p = n_cols + (0 if one_input else directions.shape[0] * directions.shape[1])
    check_memory_budget(
        U.shape[0] * (4 + 2 * len(knots)) + 4 * (p + n_cols) ** 2,
        what=f"refining {n_cols} knots on {U.shape[0]} samples",
        fix="lower n_knots or directions, or refine on fewer samples",
    )
    if (order > 2 or spline is not None) and (knots_move or one_input):
        what = (
            "Values that follow splines"
            if spline is not None
            else (f"Differences of order {order}")
        )
        raise ValueError(
            f"{what} need equally spaced knots that keep their spacing: refine "
            "only the directions (knots_move=False)."
        )
    model = _KnotModel(U, clamp, redundant, one_input, knots_move, order, spline)
    start = KnotLayer(np.array(directions, dtype=np.float64), [k.copy() for k in knots])
    result = levenberg_marquardt(model, start, Y, w, penalties, max_iter, tol, reselect)
    if warn:
        _warn_budget(result, max_iter, tol, "knots and directions")
    return result.theta, result


# --------------------------------------------------------------------------
# A row of bumps.
# --------------------------------------------------------------------------


@dataclass
class BumpLayer:
    """Hidden parameters of a row of step units ``sigma(a_k (t - c_k))``."""

    centres: np.ndarray
    log_steepness: np.ndarray

    @property
    def steepness(self):
        return np.exp(self.log_steepness)


class _BumpModel:
    """Pieces ``[1 - s_0, s_0 - s_1, ..., s_n]`` of steps with free centres
    and steepness; the coefficients are the levels."""

    def __init__(self, t, span):
        self.t, self.span = t, span

    def _steps(self, layer):
        a = layer.steepness
        Z = a * (self.t[:, None] - layer.centres)
        return expit(Z), a, Z

    def design(self, layer):
        S, _, _ = self._steps(layer)
        n = S.shape[0]
        ones = np.ones((n, 1))
        zeros = np.zeros((n, 1))
        return np.hstack([ones, S]) - np.hstack([S, zeros])

    def blocks(self, layer):
        n_levels = layer.centres.size + 1
        return [PenaltyBlock(0, second_difference_penalty(np.arange(n_levels)))]

    def derivatives(self, layer, coef):
        S, a, Z = self._steps(layer)
        # f = h_L + sum_k v_k s_k with v_k the differences of the levels.
        v = np.diff(coef)
        slope = v * S * (1.0 - S)
        return np.hstack([-slope * a, slope * Z])

    def move(self, layer, delta):
        k = layer.centres.size
        step_c, step_log = delta[:k], delta[k:]
        fraction = 1.0
        biggest = np.max(np.abs(step_log), initial=0.0)
        if biggest > _MAX_LOG_STEP:
            fraction = _MAX_LOG_STEP / biggest
        centres = layer.centres + fraction * step_c
        if k > 1:
            min_gap = _MIN_GAP * self.span / k
            centres = _ordered_step(layer.centres, fraction * step_c, min_gap, False)
        return BumpLayer(centres, layer.log_steepness + fraction * step_log)


def refine_bumps(t, G, w, centres, steepness, penalties, span, max_iter, tol, reselect):
    """Refine a row of step units by variable projection.

    Parameters
    ----------
    t : ndarray of shape (n,)
        The input in units of one bump width.
    G : ndarray of shape (n, n_targets)
        Standardised targets of the output pre-activation.
    w : ndarray of shape (n,) or None
    centres, steepness : ndarray of shape (n_steps,)
        The constructive start: step ``k`` is ``sigma(a_k (t - c_k))``.
    penalties : ndarray of shape (1,)
    span : float
        Length of the input range in units of ``t``.
    max_iter : int
    tol : float
    reselect : bool

    Returns
    -------
    layer : BumpLayer
    result : RefineResult
        ``coef`` holds the levels ``[left end, bumps..., right end]``.
    """
    check_memory_budget(
        t.size * (4 * centres.size + 8) + 8 * (3 * centres.size) ** 2,
        what=f"refining {centres.size} step units on {t.size} samples",
        fix="lower n_bumps or refine on fewer samples",
    )
    model = _BumpModel(np.asarray(t, dtype=np.float64), span)
    start = BumpLayer(
        np.array(centres, dtype=np.float64), np.log(np.asarray(steepness, float))
    )
    result = levenberg_marquardt(model, start, G, w, penalties, max_iter, tol, reselect)
    _warn_budget(result, max_iter, tol, "bumps")
    return result.theta, result


# --------------------------------------------------------------------------
# The estimators' hooks.
# --------------------------------------------------------------------------


def _gcv(rss, edf, n):
    """The GCV score ``n RSS / (n - edf)^2``; infinite once ``edf >= n - 1``.

    A fit with (counted) degrees of freedom up to the samples interpolates:
    nothing is left to estimate its error from.
    """
    if n - edf <= 1.0:
        return np.inf
    return n * rss / (n - edf) ** 2


def _lowers_gcv(rss_start, edf_start, rss, edf, n, n_free):
    """Whether a refined fit's GCV score, its hidden parameters counted, is lower.

    ``n RSS / (n - edf)^2`` for the start, with ``edf`` raised by
    ``_FREE_PARAMETER_DOF`` per free hidden parameter for the refined fit.
    """
    extra = _FREE_PARAMETER_DOF * n_free
    return _clearly_lower(_gcv(rss, edf + extra, n), _gcv(rss_start, edf_start, n))


def _clearly_lower(score, start):
    """Whether ``score`` is below ``start`` by more than ``GCV_TIE`` of it.

    Relative only: unlike layouts of one fit (:func:`gcv_lower`), a refined
    fit of noise-free data lowers scores that lie below any absolute floor
    (``sine``, 32 bumps: about 1e-13 of the targets' variance; refined, its
    error fell from 2.5e-7 to 5.2e-8) and must be kept.
    """
    return score < (1.0 - GCV_TIE) * start


def _weighted_rss(residual, w):
    return float(np.sum(residual**2 * (1.0 if w is None else w[:, None])))


def turn_dof(U, w):
    """Degrees of freedom of a turn: ``_ANGLE_DOF`` per angle of a rotation
    within the ``r`` dimensions the inputs ``U`` span, ``r (r - 1) / 2``."""
    r = spanned_directions(U, w).shape[1]
    return _ANGLE_DOF * r * (r - 1) / 2


def keeps_turn(fit, turned, dof):
    """Whether an engine fit on turned directions lowers the GCV score.

    ``turned`` is fitted on the directions of ``fit`` turned as one
    rotation, which counts as ``dof`` more degrees of freedom
    (:func:`turn_dof`).
    """
    return _lowers_gcv(
        float(np.sum(_residual_sum(fit.statistics, fit.coef))),
        fit.edf,
        float(np.sum(_residual_sum(turned.statistics, turned.coef))),
        turned.edf + dof,
        fit.statistics.weight_sum,
        0,
    )


def _keeps_refined_levels(fit, result, w, n_rows, n_free):
    """:func:`_lowers_gcv` of a refinement against the engine fit it started from."""
    return _lowers_gcv(
        float(np.sum(_residual_sum(fit.statistics, fit.coef))),
        fit.edf,
        _weighted_rss(result.residual, w),
        result.edf,
        n_rows if w is None else float(np.sum(w)),
        n_free,
    )


def _turned_layer(P, fit, U, directions, w, clamp, box):
    """The start's directions turned onto the principal directions of its gradient.

    As ``BumpNetRegressor`` turns its rows: the eigenvectors of the average
    outer product of the start fit's gradients (:func:`gradient_directions`,
    within the span of the inputs) replace the axes and the other
    directions turn with them, as one rotation, so that a ridge function's
    direction becomes the first row. Each row's knots are carried, by the
    affine map between their ends, onto the range of its new projections
    (of the unit box when ``box``), as the constructive fit places them.
    ``P`` holds the projections of ``U`` on ``directions``. None where the
    turn changes nothing.
    """
    gradients = np.zeros((fit.values[0].shape[1],) + U.shape)
    for i, (knots, values) in enumerate(zip(fit.knots, fit.values)):
        slopes = np.diff(values, axis=0) / np.diff(knots)[:, None]
        j = np.searchsorted(knots, P[:, i], side="right") - 1
        slope = slopes[np.clip(j, 0, knots.size - 2)]
        if clamp:
            inside = (P[:, i] > knots[0]) & (P[:, i] < knots[-1])
            slope = slope * inside[:, None]
        gradients += slope.T[:, :, None] * directions[i]
    turned = directions @ gradient_directions(gradients, w, U).T
    if np.allclose(turned, directions, rtol=0.0, atol=1e-12):
        return None
    ranges = box_ranges(turned) if box else projection_ranges(U @ turned.T)
    knots = [
        lo + (k - k[0]) * ((hi - lo) / (k[-1] - k[0]))
        for k, (lo, hi) in zip(fit.knots, ranges)
    ]
    return KnotLayer(turned, knots)


def _turned_start(problem, fit, U, directions, box):
    """The constructive fit on the turned directions, its penalties chosen again.

    Returns ``(fit, directions)``: the start's own where no turn is made.
    """
    layer = _turned_layer(problem.P, fit, U, directions, problem.w, problem.clamp, box)
    if layer is None:
        return fit, directions
    spline = fit.spline
    if spline is not None:
        spline = SplineRows.on(layer.knots, spline.positions[0].size)
    turned = replace(problem, P=U @ layer.directions.T)
    return turned.fit(layer.knots, order=fit.order, spline=spline), layer.directions


def _turn_noisy_directions(problem, fit, U, directions, box):
    """Noisy data with several inputs: the constructive fit, or its turn.

    The turn (:func:`_turned_start`) is kept if it lowers the GCV score with
    its angles (:func:`turn_dof`) counted as ``_ANGLE_DOF`` degrees of
    freedom each. No steps follow: steps of the directions fitted noise.
    Returns ``(fit, directions, result)``; ``result.objective`` holds the
    GCV scores of the start and, if kept, of the turn (its angles counted),
    and the turn is the one iteration.
    """
    w = problem.w
    n = U.shape[0] if w is None else float(np.sum(w))
    scores = [_gcv(_weighted_rss(fit.residual, w), fit.edf, n)]
    turned, turned_directions = _turned_start(problem, fit, U, directions, box)
    if turned is not fit:
        angles = turn_dof(U, w)
        score = _gcv(_weighted_rss(turned.residual, w), turned.edf + angles, n)
        if _clearly_lower(score, scores[0]):
            scores.append(score)
            fit, directions = turned, turned_directions
    result = RefineResult(
        KnotLayer(directions, fit.knots),
        fit.solved.coef,
        fit.residual,
        fit.edf,
        np.array(scores),
        1,
        True,
        np.asarray(fit.alpha, dtype=np.float64),
    )
    return fit, directions, result


def _refined_fit(problem, fit, layer, result):
    """``fit`` with the hidden layer and output weights of a refinement."""
    return replace(
        fit,
        knots=layer.knots,
        values=row_values(result.coef, layer.knots, fit.spline),
        alpha=result.penalties,
        edf=result.edf,
        max_error=float(np.max(np.abs(result.residual) * problem.y_std)),
        residual=result.residual,
    )


def refine_knot_fit(problem, fit, U, directions, refine, tol, box=False, default=None):
    """A ReluKnotRegressor fit and its directions, refined.

    ``problem`` and ``fit`` are the estimator's least-squares problem and
    constructive fit (scaled units), the start of the steps; ``box``: the
    knots span the unit box's projections (a given domain) rather than the
    data's; ``default``: the fit returned when no refinement is kept, and
    the one a refinement of noisy data must beat (None: ``fit``; one input
    compares smoother layouts than the plain knots the steps move). Returns
    ``(fit, directions, result)``.
    """
    default = fit if default is None else default
    max_iter = refine_budget(refine)
    if directions.shape == (1, 1) and not isinstance(problem.alpha, str):
        # The penalty asked for: one of more knots than samples is floored.
        if np.all(np.asarray(problem.alpha) == 0):
            return _free_knot_fit(problem, fit, directions, max_iter, tol)
    one_input = directions.shape == (1, 1)
    noisy = isinstance(problem.alpha, str)
    redundant = [
        redundancy(i, problem.n_features, fit.order) for i in range(len(fit.knots))
    ]
    if noisy and not one_input:
        return _turn_noisy_directions(problem, fit, U, directions, box)
    penalties = np.broadcast_to(np.asarray(fit.alpha, dtype=np.float64), len(fit.knots))
    with _HeldWarnings() as held:
        layer, result = refine_knots(
            U,
            problem.Y,
            problem.w,
            directions,
            fit.knots,
            penalties,
            redundant,
            problem.clamp,
            max_iter,
            tol,
            reselect=noisy,
            order=fit.order,
            spline=fit.spline,
        )
    if result.objective.size == 1:
        held.release()
        return default, directions, result
    if noisy:
        n = U.shape[0] if problem.w is None else float(np.sum(problem.w))
        keep = _lowers_gcv(
            _weighted_rss(default.residual, problem.w),
            default.edf,
            _weighted_rss(result.residual, problem.w),
            result.edf,
            n,
            fit.knots[0].size,
        )
    else:
        keep = True
    if not keep:
        result.objective = result.objective[:1]
        return default, directions, result
    held.release()
    return _refined_fit(problem, fit, layer, result), layer.directions, result


def refine_bump_fit(T, G, w, n_bumps, steepness, fit, refine, tol, reselect):
    """A one-input BumpNetRegressor fit, refined.

    ``T`` is the input in bump widths (n, 1), ``fit`` the engine's fit of
    the levels. Returns ``(centres, steepness, fit, result)`` of the step
    units (in bump widths) and the refined fit; ``fit`` is the constructive
    one when no step lowered the training objective.
    """
    max_iter = refine_budget(refine)
    centres = np.arange(n_bumps + 1.0)
    slopes = np.full(n_bumps + 1, float(steepness))
    with _HeldWarnings() as held:
        layer, result = refine_bumps(
            T[:, 0],
            G,
            w,
            centres,
            slopes,
            fit.penalties,
            float(n_bumps),
            max_iter,
            tol,
            reselect,
        )
    if result.objective.size == 1:
        held.release()
        return centres, slopes, fit, result
    if reselect and not _keeps_refined_levels(
        fit, result, w, T.shape[0], 2 * centres.size
    ):
        result.objective = result.objective[:1]
        return centres, slopes, fit, result
    held.release()
    refined = replace(fit, coef=result.coef, edf=result.edf, penalties=result.penalties)
    return layer.centres, layer.steepness, refined, result


def _free_knot_fit(problem, fit, directions, max_iter, tol):
    """One input without a penalty: the free-knot least-squares search.

    A global search (see :mod:`sklearn_uat._free_knots`) instead of steps
    from the constructive knots alone; the output layer of the knots found
    is the engine's solve, kept only if it fits the training data better
    than the start.
    """
    moments = SortedMoments(problem.P[:, 0], problem.Y, problem.w)
    start = fit.knots[0]

    def move(knots, step, min_gap):
        return _ordered_step(knots, step, min_gap, True)

    knots, objective, n_iter, converged = free_knot_search(
        moments, start, max_iter, tol, move
    )
    result = RefineResult(
        KnotLayer(directions, [knots]),
        None,
        None,
        fit.edf,
        objective,
        n_iter,
        converged,
        np.zeros(1),
    )
    _warn_budget(result, max_iter, tol, "knots")
    if objective.size == 1:
        return fit, directions, result
    refined = problem.fit([knots])
    weights = 1.0 if problem.w is None else problem.w[:, None]
    if not np.sum(weights * refined.residual**2) < np.sum(weights * fit.residual**2):
        # Rounding of the moments against the engine's solve: keep the start.
        result.objective = objective[:1]
        return fit, directions, result
    result.coef, result.residual, result.edf = (
        np.concatenate(refined.values),
        refined.residual,
        refined.edf,
    )
    return refined, directions, result
