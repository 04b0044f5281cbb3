"""The least-squares engine under the closed-form networks."""

import numpy as np
import pytest
from scipy.linalg import LinAlgWarning

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor
from sklearn_uat._lstsq import (
    NormalEquations,
    PenaltyBlock,
    _band_to_dense,
    _exact_band_matvec,
    _selected_inverse,
    difference_penalty,
    second_difference_penalty,
    select_penalties,
)
from sklearn_uat.datasets import make_function


def _hat_stats(x, Y, knots, banded):
    """Normal equations of the hat basis on ``knots``, banded or dense."""
    j = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, knots.size - 2)
    s = (x - knots[j]) / (knots[j + 1] - knots[j])
    cols = j[:, None] + np.arange(2)
    stats = NormalEquations.from_windows([(cols, np.c_[1 - s, s])], Y, None, knots.size)
    if not banded:
        return stats
    band = np.zeros((2, knots.size))
    band[1] = np.diag(stats.gram)
    band[0, 1:] = np.diag(stats.gram, 1)
    return NormalEquations(band, stats.rhs, stats.yty, stats.weight_sum, True)


@pytest.mark.parametrize("p", [1, 3])
def test_selected_inverse_is_the_band_of_the_inverse(p):
    rng = np.random.default_rng(0)
    m = 40
    A = rng.normal(size=(m, m))
    A = A @ A.T
    mask = np.abs(np.subtract.outer(np.arange(m), np.arange(m))) <= p
    A = np.where(mask, A, 0.0) + m * np.eye(m)
    ab = np.zeros((p + 1, m))
    for d in range(p + 1):
        ab[p - d, d:] = np.diag(A, d)
    from scipy.linalg import cholesky_banded

    Z = _selected_inverse(cholesky_banded(ab))
    inverse = np.linalg.inv(A)
    for d in range(p + 1):
        np.testing.assert_allclose(Z[d, : m - d], np.diag(inverse, d), rtol=1e-10)


def test_banded_and_dense_paths_choose_the_same_penalty():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=500)
    Y = (np.sin(6 * x) + 0.2 * rng.normal(size=500))[:, None]
    knots = np.linspace(0, 1, 30)
    block = [PenaltyBlock(0, second_difference_penalty(knots))]
    banded = select_penalties(_hat_stats(x, Y, knots, True), block)
    dense = select_penalties(_hat_stats(x, Y, knots, False), block)
    assert banded.converged and dense.converged
    np.testing.assert_allclose(banded.penalties, dense.penalties, rtol=1e-6)
    np.testing.assert_allclose(banded.edf, dense.edf, rtol=1e-6)
    np.testing.assert_allclose(banded.coef, dense.coef, rtol=1e-6, atol=1e-9)


def test_statistics_add_up_over_row_chunks():
    rng = np.random.default_rng(2)
    x = rng.uniform(size=1000)
    Y = np.c_[np.cos(4 * x), x**2] + 0.05 * rng.normal(size=(1000, 2))
    knots = np.linspace(0, 1, 20)
    whole = _hat_stats(x, Y, knots, False)
    parts = _hat_stats(x[:300], Y[:300], knots, False)
    parts += _hat_stats(x[300:], Y[300:], knots, False)
    block = [PenaltyBlock(0, second_difference_penalty(knots))]
    a, b = select_penalties(whole, block), select_penalties(parts, block)
    np.testing.assert_allclose(a.penalties, b.penalties, rtol=1e-8)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-8, atol=1e-12)


def test_effective_degrees_of_freedom_span_linear_to_interpolating():
    rng = np.random.default_rng(3)
    x = rng.uniform(size=400)
    Y = rng.normal(size=(400, 1))
    knots = np.linspace(0, 1, 12)
    stats = _hat_stats(x, Y, knots, True)
    block = [PenaltyBlock(0, second_difference_penalty(knots))]
    rough = select_penalties(stats, block, fixed=[0.0])
    smooth = select_penalties(stats, block, fixed=[1e8])
    assert rough.edf == pytest.approx(12, abs=1e-6)
    assert smooth.edf == pytest.approx(2, abs=1e-3)


def test_a_failed_factorisation_warns_and_still_solves():
    # One repeated input value: the slope is left to the ridge floor.
    with pytest.warns(LinAlgWarning, match="ridge"):
        model = ReluKnotRegressor(6).fit(np.full((10, 1), 2.0), np.arange(10.0))
    assert np.all(np.isfinite(model.predict([[1.0], [3.0]])))


# ---------------------------------------------------- what the estimators get


@pytest.mark.parametrize("Estimator", [ReluKnotRegressor, BumpNetRegressor])
def test_default_smoothing_beats_interpolation_on_noisy_data(Estimator):
    X, y = make_function("sine", 2000, noise=0.3, random_state=0)
    X_test = np.linspace(0, 2 * np.pi, 1001)[:, None]
    truth = np.sin(X_test[:, 0])
    default = Estimator().fit(X, y)
    rough = Estimator(alpha=0.0).fit(X, y)

    def error(model):
        return np.sqrt(np.mean((model.predict(X_test) - truth) ** 2))

    assert error(default) < 0.5 * error(rough)
    assert default.edf_ < 0.5 * rough.edf_


@pytest.mark.parametrize("Estimator", [ReluKnotRegressor, BumpNetRegressor])
def test_pure_noise_gives_nearly_the_linear_fit(Estimator):
    rng = np.random.default_rng(4)
    X = rng.uniform(size=(1000, 1))
    y = 2.0 * X[:, 0] + rng.normal(size=1000)
    model = Estimator().fit(X, y)
    line = np.polyval(np.polyfit(X[:, 0], y, 1), X[:, 0])
    # 2 is a line; the largest penalty (1e8) leaves 500 soft bumps a little
    # more (4.3).
    assert model.edf_ < 5
    assert np.sqrt(np.mean((model.predict(X) - line) ** 2)) < 0.1


def _exact_solve(terms, b):
    """Solution of ``sum(weight * M for weight, M in terms) x = b`` in rationals.

    Each term is summed exactly, as the mathematical system is, before
    Gaussian elimination; the solution is returned as floats.
    """
    from fractions import Fraction

    n = len(b)
    M = [[Fraction(0)] * n + [Fraction(float(b[i]))] for i in range(n)]
    for weight, matrix in terms:
        w = Fraction(weight)
        for i in range(n):
            for j in range(n):
                if matrix[i, j]:
                    M[i][j] += w * Fraction(float(matrix[i, j]))
    for k in range(n):
        for i in range(k + 1, n):
            f = M[i][k] / M[k][k]
            M[i] = [a - f * c for a, c in zip(M[i], M[k])]
    x = [Fraction(0)] * n
    for i in reversed(range(n)):
        x[i] = (M[i][n] - sum(M[i][j] * x[j] for j in range(i + 1, n))) / M[i][i]
    return np.array([float(v) for v in x])


def test_compensated_penalty_products_are_exact():
    from fractions import Fraction

    S = difference_penalty(20, 5)
    x = np.polyval([1.3, -2.0, 0.5, 3.0, 1.0], np.linspace(0.0, 1.0, 20))[:, None]
    x += 1e-9 * np.random.default_rng(0).normal(size=x.shape)
    dense = _band_to_dense(S)
    exact = [
        float(sum(Fraction(dense[i, j]) * Fraction(x[j, 0]) for j in range(20)))
        for i in range(20)
    ]
    np.testing.assert_allclose(_exact_band_matvec(S, x)[:, 0], exact, rtol=1e-15)


def test_banded_solves_keep_their_digits_under_a_large_high_order_penalty():
    # Fifth differences at the largest penalty: the factorisation alone
    # rounds the solution by about 2e-4 (measured without refinement).
    rng = np.random.default_rng(0)
    knots = np.linspace(0.0, 1.0, 16)
    x = rng.uniform(size=300)
    Y = (np.sin(3 * x) + 0.01 * rng.normal(size=300))[:, None]
    stats = _hat_stats(x, Y, knots, banded=True)
    block = PenaltyBlock(0, difference_penalty(16, 5), null_dim=5, at=knots)
    fit = select_penalties(stats, [block], fixed=[1e8])
    scale = stats.scale
    terms = [
        (1, _band_to_dense(stats.gram)),
        (1e8 * scale, _band_to_dense(block.band)),
        (1e-12 * scale, np.eye(16)),
    ]
    exact = _exact_solve(terms, stats.rhs[:, 0])
    np.testing.assert_allclose(fit.coef[:, 0], exact, rtol=1e-12)


def test_gcv_ties_keep_the_first_candidate():
    # Layouts that interpolate score zero up to rounding: rounding must not
    # choose between them (integer weights and repeated rows would then
    # choose differently); a clearly lower score wins.
    from sklearn_uat._lstsq import lowest_gcv

    assert lowest_gcv([1e-15, 0.0, 3e-16]) == 0
    assert lowest_gcv([0.5, 0.5 * (1 - 1e-12), 0.6]) == 0
    assert lowest_gcv([0.5, 0.49, 0.6, 0.49 * (1 - 1e-12)]) == 1
