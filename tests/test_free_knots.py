import numpy as np
import pytest

from sklearn_uat import ReluKnotRegressor
from sklearn_uat._free_knots import SortedMoments, segmented_start


def hat_design(u, knots):
    """The hat basis on ``knots``, written out sample by sample."""
    B = np.zeros((u.size, knots.size))
    j = np.clip(np.searchsorted(knots, u, side="right") - 1, 0, knots.size - 2)
    s = (u - knots[j]) / (knots[j + 1] - knots[j])
    B[np.arange(u.size), j] = 1.0 - s
    B[np.arange(u.size), j + 1] = s
    return B


def broken_line(u, breaks, slopes):
    """A continuous piecewise-linear function with the given breakpoints."""
    y = slopes[0] * u
    for b, change in zip(breaks, np.diff(slopes)):
        y = y + change * np.maximum(u - b, 0.0)
    return y


def test_interval_moments_give_the_least_squares_objective():
    rng = np.random.default_rng(0)
    u = rng.uniform(size=400)
    Y = np.column_stack([np.sin(6 * u), u**3]) + 0.1 * rng.normal(size=(400, 2))
    w = rng.uniform(0.5, 2.0, size=400)
    moments = SortedMoments(u, Y, w)
    inner = np.sort(rng.uniform(u.min(), u.max(), size=(5, 4)), axis=1)
    T = np.column_stack([np.full(5, u.min()), inner, np.full(5, u.max())])
    expected = []
    for knots in T:
        B = hat_design(u, knots) * np.sqrt(w)[:, None]
        coef, *_ = np.linalg.lstsq(B, Y * np.sqrt(w)[:, None], rcond=None)
        expected.append(np.sum((Y * np.sqrt(w)[:, None] - B @ coef) ** 2))
    np.testing.assert_allclose(moments.sse(T), expected, rtol=1e-9)


def test_knots_without_samples_between_them_are_refused():
    u = np.concatenate([np.linspace(0.0, 0.3, 50), np.linspace(0.7, 1.0, 50)])
    moments = SortedMoments(u, np.cos(u)[:, None], None)
    # Knots 0.4 and 0.5 have no sample on either side: their values are free.
    empty = np.array([[0.0, 0.2, 0.4, 0.5, 0.6, 1.0]])
    assert moments.sse(empty)[0] == np.inf
    assert np.isfinite(moments.sse(np.array([[0.0, 0.2, 0.5, 0.8, 1.0]]))[0])


def test_segmented_start_is_the_best_segmentation_of_steps():
    # Three flat steps: the best discontinuous fit breaks where they jump.
    u = np.linspace(0.0, 1.0, 600)
    y = np.select([u < 0.25, u < 0.6], [1.0, -2.0], 0.5)
    knots = segmented_start(SortedMoments(u, y[:, None], None), 4)
    np.testing.assert_allclose(knots[1:-1], [0.25, 0.6], atol=1.0 / 64)
    assert knots[0] == 0.0 and knots[-1] == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_free_knots_find_the_breakpoints_of_a_broken_line(seed):
    # Without noise the true breakpoints are the global optimum (zero
    # error); equally spaced start knots are far from them, and two of the
    # breaks are close together.
    rng = np.random.default_rng(seed)
    breaks = np.array([0.13, 0.41, 0.47, 0.8])
    slopes = np.array([1.0, -2.0, 3.0, -1.0, 0.5])
    x = np.sort(rng.uniform(size=3000))
    x[0], x[-1] = 0.0, 1.0
    y = broken_line(x, breaks, slopes)
    start = ReluKnotRegressor(6, alpha=0.0).fit(x[:, None], y)
    model = ReluKnotRegressor(6, alpha=0.0, refine=100).fit(x[:, None], y)
    np.testing.assert_allclose(model.knots_[0][1:-1], breaks, atol=1e-6)
    error = np.max(np.abs(model.predict(x[:, None]) - y))
    assert error < 1e-6 < np.max(np.abs(start.predict(x[:, None]) - y))
    assert np.all(np.diff(model.refine_objective_) < 0)


def test_free_knot_search_is_deterministic():
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(800, 1))
    y = np.sin(9 * x[:, 0]) + 0.05 * rng.normal(size=800)
    first = ReluKnotRegressor(9, alpha=0.0, refine=60).fit(x, y)
    second = ReluKnotRegressor(9, alpha=0.0, refine=60).fit(x, y)
    np.testing.assert_array_equal(first.knots_[0], second.knots_[0])
    np.testing.assert_array_equal(first.refine_objective_, second.refine_objective_)
