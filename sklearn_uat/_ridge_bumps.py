"""Variable projection for rows of bumps along learned ridge directions.

With several inputs, ``BumpNetRegressor`` lays one row of step units along
each direction ``v_i`` of the scaled inputs ``u``: unit ``k`` of row ``i`` is
``sigma(a_ik (t_i - c_ik))`` with ``t_i = g_i (u . v_i - o_i)`` the position
in bump widths (``o_i`` and ``g_i`` the start's offset and gain, held
fixed). The model is a sum of ridge functions, linear in the levels of the
rows. :func:`refine_ridge_bump_fit` moves every direction, centre and
steepness by the Levenberg-Marquardt steps of :mod:`sklearn_uat._refine`,
with the analytic derivatives

``d f / d c_ik = -v_ik a_ik s (1 - s)``, ``d f / d log a_ik = v_ik s (1 - s)
a_ik (t_i - c_ik)`` and ``d f / d v_i = g_i f_i'(t_i) u``,

``v_ik`` the output weight of the unit (the difference of neighbouring
levels) and ``f_i' = sum_k v_ik a_ik s (1 - s)`` the slope of the row. A
direction moves in its tangent space and is normalised; the centres and
steepness of its row are rescaled with it so that the normalisation does
not change the function the step was computed for.

Steps from random directions find a ridge function's direction slowly. The
start can therefore be turned first, as one rotation of all rows, onto the
eigenvectors of the average outer product of a pilot fit's gradients
(:func:`sklearn_uat._directions.gradient_directions`; the
outer-product-of-gradients estimate of the directions a function varies
along, Xia et al. [1]_): for a ridge function ``g(u . v)`` the gradient is
parallel to ``v`` everywhere, which becomes the first eigenvector.

References
----------
.. [1] Y. Xia, H. Tong, W. K. Li and L.-X. Zhu, "An adaptive estimation of
   dimension reduction space", J. R. Statist. Soc. B 64(3), 363-410, 2002.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import expit

from ._directions import redundancy
from ._lstsq import PenaltyBlock, second_difference_penalty
from ._refine import (
    _MAX_LOG_STEP,
    _MAX_TURN,
    _MIN_GAP,
    _keeps_refined_levels,
    _ordered_step,
    _Solved,
    _tangent_basis,
    _warn_budget,
    levenberg_marquardt,
    refine_budget,
)
from ._validation import check_memory_budget

__all__ = ["RidgeBumpLayer", "refine_ridge_bump_fit"]


@dataclass
class RidgeBumpLayer:
    """Hidden parameters of rows of step units along directions.

    ``directions`` (d, n_features) are unit vectors of the scaled inputs;
    ``centres`` and ``log_steepness`` (d, n_steps) place the step units of
    each row in bump widths along its direction.
    """

    directions: np.ndarray
    centres: np.ndarray
    log_steepness: np.ndarray

    @property
    def steepness(self):
        return np.exp(self.log_steepness)


class _RidgeBumpModel:
    """Rows of pieces ``[1 - s_0, s_0 - s_1, ..., s_n]``, one per direction,
    as a separable model; the coefficients are the levels of every row."""

    def __init__(self, U, offsets, gains, n_features):
        self.U = U
        self.offsets = np.asarray(offsets, dtype=np.float64)
        self.gains = np.asarray(gains, dtype=np.float64)
        self.n_features = n_features
        self._cached = None

    def positions(self, directions):
        """Each sample's position along each row, in bump widths (n, d)."""
        return (self.U @ directions.T - self.offsets) * self.gains

    def _steps(self, layer):
        # The design and the derivatives of one layer share its units.
        if self._cached is not None and self._cached[0] is layer:
            return self._cached[1]
        T = self.positions(layer.directions)
        a = layer.steepness
        Z = a * (T[:, :, None] - layer.centres)
        steps = expit(Z), a, Z
        self._cached = (layer, steps)
        return steps

    def design(self, layer):
        S, _, _ = self._steps(layer)
        n, d, n_steps = S.shape
        q = n_steps + 1
        Phi = np.empty((n, d * q))
        for i in range(d):
            Phi[:, i * q] = 1.0 - S[:, i, 0]
            np.subtract(
                S[:, i, :-1], S[:, i, 1:], out=Phi[:, i * q + 1 : i * q + q - 1]
            )
            Phi[:, i * q + q - 1] = S[:, i, -1]
        return Phi

    def blocks(self, layer):
        d, n_steps = layer.centres.shape
        positions = np.arange(-1.0, n_steps)
        band = second_difference_penalty(positions)
        return [
            PenaltyBlock(
                i * (n_steps + 1),
                band,
                redundant=redundancy(i, self.n_features),
                at=positions,
            )
            for i in range(d)
        ]

    def derivatives(self, layer, coef):
        S, a, Z = self._steps(layer)
        n, d, n_steps = S.shape
        f = layer.directions.shape[1]
        # The output weight of each unit: the difference of its levels.
        v = np.diff(coef.reshape(d, n_steps + 1), axis=1)
        slope = v * S * (1.0 - S)
        row_slope = np.einsum("nik,ik->ni", slope, a)
        per_row = f - 1 + 2 * n_steps
        D = np.empty((n, d * per_row))
        for i in range(d):
            at = i * per_row
            tangent = _tangent_basis(layer.directions[i])
            D[:, at : at + f - 1] = (self.gains[i] * row_slope[:, i])[:, None] * (
                self.U @ tangent
            )
            at += f - 1
            np.multiply(slope[:, i], -a[i], out=D[:, at : at + n_steps])
            np.multiply(
                slope[:, i], Z[:, i], out=D[:, at + n_steps : at + per_row - f + 1]
            )
        return D

    def move(self, layer, delta):
        d, n_steps = layer.centres.shape
        f = layer.directions.shape[1]
        per_row = f - 1 + 2 * n_steps
        delta = delta.reshape(d, per_row)
        turns = np.stack(
            [
                _tangent_basis(v) @ step[: f - 1]
                for v, step in zip(layer.directions, delta)
            ]
        )
        step_c = delta[:, f - 1 : f - 1 + n_steps]
        step_log = delta[:, f - 1 + n_steps :]
        fraction = 1.0
        biggest = np.max(np.abs(step_log))
        if biggest > _MAX_LOG_STEP:
            fraction = _MAX_LOG_STEP / biggest
        biggest = np.max(np.linalg.norm(turns, axis=1))
        if biggest > _MAX_TURN:
            fraction = min(fraction, _MAX_TURN / biggest)
        moved = layer.directions + fraction * turns
        norms = np.linalg.norm(moved, axis=1)
        min_gap = _MIN_GAP * (n_steps - 1) / n_steps
        centres = np.empty_like(layer.centres)
        for i in range(d):
            centres[i] = _ordered_step(
                layer.centres[i], fraction * step_c[i], min_gap, False
            )
        # The step was computed for the unnormalised direction: the same
        # units on the unit direction are steeper by its norm, and their
        # centres move with the offset of the positions.
        shift = (self.gains * self.offsets * (norms - 1.0))[:, None]
        return RidgeBumpLayer(
            moved / norms[:, None],
            (centres - shift) / norms[:, None],
            layer.log_steepness + fraction * step_log + np.log(norms)[:, None],
        )


def refine_ridge_bump_fit(U, G, w, layer, fit, refine, tol, reselect, rotated=None):
    """A several-input additive BumpNetRegressor fit, refined.

    ``U`` are the scaled inputs, ``layer`` the constructive first layer
    (its directions and the positions' offsets and scales), ``fit`` the
    engine's fit of its levels. ``rotated`` is another first layer (the
    directions turned onto the principal directions of the gradient): the
    refinement starts from whichever of the two has the lower training
    objective, with the constructive penalties. Returns ``(layer, centres,
    steepness, levels, bias, fit, result)``: the first layer with the
    refined directions, the step units (d, n_bumps + 1) in bump widths, the
    levels (d, n_bumps + 2, n_targets) of each row centred on the data and
    the output bias; ``levels`` and ``bias`` are None, the rest the
    constructive start, when no step lowered the training objective.
    """
    max_iter = refine_budget(refine)
    n = layer.n_bumps
    d, n_features = layer.directions.shape
    n_steps = n + 1
    p = d * (n_features - 1 + 2 * n_steps)
    m = d * (n_steps + 1)
    check_memory_budget(
        U.shape[0] * (3 * d * n_steps + 2 * (p + m)) + 8 * (p + m) ** 2,
        what=f"refining {d} rows of {n_steps} step units on {U.shape[0]} samples",
        fix="lower n_bumps or directions, or refine on fewer samples",
    )
    U = np.asarray(U, dtype=np.float64)
    centres = np.tile(np.arange(n_steps, dtype=np.float64), (d, 1))
    log_steepness = np.full((d, n_steps), np.log(float(layer.steepness)))
    penalty = [None, np.asarray(fit.penalties, dtype=np.float64), None]
    starts = []
    for candidate in [layer] if rotated is None else [layer, rotated]:
        model = _RidgeBumpModel(
            U, candidate.p_offset, n / candidate.p_scale, n_features
        )
        theta = RidgeBumpLayer(candidate.directions.copy(), centres, log_steepness)
        solved = _Solved(model, theta, G, w, penalty)
        # Both starts' objectives with the constructive penalty matrix.
        penalty[2] = solved.scale if penalty[2] is None else penalty[2]
        starts.append((solved.objective, candidate, model, theta))
    objective, chosen, model, theta = min(starts, key=lambda start: start[0])
    result = levenberg_marquardt(
        model, theta, G, w, penalty[1], max_iter, tol, reselect, scale=penalty[2]
    )
    if chosen is not layer:
        result.objective = np.r_[starts[0][0], result.objective]
    _warn_budget(result, max_iter, tol, "bumps and directions")
    if result.objective.size == 1:
        return layer, centres, np.exp(log_steepness), None, None, fit, result
    n_free = 2 * centres.size + d * (U.shape[1] - 1)
    if reselect and not _keeps_refined_levels(fit, result, w, U.shape[0], n_free):
        result.objective = result.objective[:1]
        return layer, centres, np.exp(log_steepness), None, None, fit, result
    theta = result.theta
    levels = result.coef.reshape(d, n_steps + 1, -1)
    # Each row's function centred on the training data; the bias holds the
    # centres, as in the constructive additive fit.
    Phi = model.design(theta)
    mass = Phi.sum(axis=0) if w is None else w @ Phi
    total = float(U.shape[0] if w is None else w.sum())
    centre = np.einsum("iq,iqt->it", mass.reshape(d, n_steps + 1), levels) / total
    levels = levels - centre[:, None, :]
    bias = centre.sum(axis=0) + levels[:, 0].sum(axis=0)
    refined = replace(fit, coef=result.coef, edf=result.edf, penalties=result.penalties)
    return (
        replace(chosen, directions=theta.directions),
        theta.centres,
        theta.steepness,
        levels,
        bias,
        refined,
        result,
    )
