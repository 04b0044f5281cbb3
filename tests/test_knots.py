import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.interpolate import make_lsq_spline
from scipy.linalg import LinAlgWarning
from sklearn.exceptions import ConvergenceWarning

from sklearn_uat import ReluKnotRegressor
from sklearn_uat.datasets import get_function, make_function


def assert_network_equal(model, X, rtol=1e-9):
    """predict == the network's forward pass, to rtol of the output's scale."""
    expected = model.network_.forward(X)
    scale = max(np.max(np.abs(expected)), 1e-300)
    np.testing.assert_allclose(model.predict(X), expected, rtol=rtol, atol=rtol * scale)


def seed_004_rmse():
    """Seed 004's own construction and its RMSE, from its formula."""
    start, stop, knot_spacing, data_spacing = 1e6, 1e7, 1e5, 1e4
    knots = np.arange(start, stop, knot_spacing)
    data = np.arange(start, stop, data_spacing)
    grad_xsq = (knots[1:] ** 2 - knots[:-1] ** 2) / knot_spacing
    grads = np.insert(grad_xsq[1:] - grad_xsq[:-1], 0, grad_xsq[0])
    relu_approx = knots[0] ** 2 + np.maximum(
        grads[None, :] * (data[:, None] - knots[None, :-1]), 0
    ).sum(axis=1)
    return data, knots, np.sqrt(np.mean((data**2 - relu_approx) ** 2))


# ---------------------------------------------------------------- the network


@pytest.mark.parametrize("knots", ["uniform", "quantile", "adaptive"])
@pytest.mark.parametrize("extrapolation", ["linear", "constant"])
def test_predict_is_the_forward_pass_inside_and_outside(knots, extrapolation):
    X, y = make_function("multiscale", 2000, random_state=0)
    model = ReluKnotRegressor(40, knots=knots, extrapolation=extrapolation).fit(X, y)
    X_wide = np.linspace(-3.0, 4.0, 3001).reshape(-1, 1)
    assert_network_equal(model, X_wide)
    assert model.activations_ == ["relu", "identity"]
    assert model.coefs_[0].shape == (1, model.n_units_)
    assert model.coefs_[1].shape == (model.n_units_, 1)
    # One unit per knot: a left-facing ReLU replaces the last knot's unit
    # for linear extrapolation, which needs none.
    assert model.n_units_ == model.knots_[0].size == model.n_knots_


def test_torch_export_equals_predict_outside_the_range():
    X, y = make_function("sine", 500, random_state=0)
    model = ReluKnotRegressor(64).fit(X, y)
    X_wide = np.linspace(-10, 20, 2001).reshape(-1, 1)
    with torch.no_grad():
        out = model.to_torch()(torch.as_tensor(X_wide)).numpy()[:, 0]
    np.testing.assert_allclose(out, model.predict(X_wide), rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    n_features=st.integers(1, 3),
    n_knots=st.integers(2, 50),
    directions=st.sampled_from(["axes", 3]),
    knots=st.sampled_from(["uniform", "quantile", "adaptive"]),
    extrapolation=st.sampled_from(["linear", "constant"]),
    offset=st.floats(-1e3, 1e3),
    log_scale=st.floats(-6, 6),
    seed=st.integers(0, 2**16),
)
def test_predict_equals_forward_pass_property(
    n_features, n_knots, directions, knots, extrapolation, offset, log_scale, seed
):
    # Inputs up to 1e3 times their range away from zero: beyond, float64's
    # rounding of x itself, not the model, limits how well any two
    # evaluations agree.
    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    offset = offset * scale
    X = offset + scale * rng.uniform(size=(60, n_features))
    y = np.sin(3 * (X - offset) / scale).sum(axis=1) + rng.normal(size=60)
    model = ReluKnotRegressor(
        n_knots,
        knots=knots,
        directions=directions,
        extrapolation=extrapolation,
        random_state=0,
    ).fit(X, y)
    X_test = offset + scale * rng.uniform(-1.0, 2.0, size=(200, n_features))
    assert_network_equal(model, X_test)


def test_linear_extrapolation_continues_both_end_lines():
    x = np.linspace(0.0, 1.0, 50)
    y = np.where(x < 0.5, 2.0 * x, 1.0 - 3.0 * (x - 0.5))
    model = ReluKnotRegressor(knots=[0.0, 0.5, 1.0]).fit(x[:, None], y)
    np.testing.assert_allclose(model.predict([[-2.0], [3.0]]), [-4.0, -6.5])
    # The left line is carried by a ReLU facing left at the first knot.
    assert model.coefs_[0][0, 0] < 0


def test_constant_extrapolation_clamps_to_the_end_values():
    x = np.linspace(0.0, 1.0, 50)
    y = 2.0 * x + 1.0
    model = ReluKnotRegressor(8, extrapolation="constant").fit(x[:, None], y)
    np.testing.assert_allclose(
        model.predict([[-5.0], [0.0], [1.0], [9.0]]), [1, 1, 3, 3]
    )
    # Beyond the last knot the slope changes sum to zero.
    assert abs(model.coefs_[1].sum()) < 1e-12
    assert_network_equal(model, np.array([[-5.0], [9.0]]))


def test_decompose_sums_to_predict():
    X, y = make_function("multiscale", 300, random_state=1)
    model = ReluKnotRegressor(12).fit(X, y)
    X_wide = np.linspace(-0.5, 1.5, 101).reshape(-1, 1)
    parts = model.decompose(X_wide)
    assert parts.shape == (101, model.n_units_)
    np.testing.assert_allclose(
        parts.sum(axis=1) + model.intercepts_[-1][0], model.predict(X_wide), atol=1e-12
    )
    # Hinges: a unit contributes nothing on its flat side.
    right_facing = model.coefs_[0][0] > 0
    flat = X_wide[:, 0, None] < model.knots_[0][: right_facing.sum()][None, :]
    assert np.all(parts[:, right_facing][flat] == 0)


def test_decompose_refuses_several_inputs():
    X, y = make_function("sinc", 200, random_state=0)
    model = ReluKnotRegressor(8).fit(X, y)
    with pytest.raises(ValueError, match="one-input"):
        model.decompose(X)


# ------------------------------------------------------------- the least squares


@pytest.mark.parametrize("name", ["sine", "multiscale"])
@pytest.mark.parametrize("n_knots", [16, 64])
def test_uniform_fit_is_the_linear_least_squares_spline(name, n_knots):
    X, y = make_function(name, 3000, random_state=0)
    model = ReluKnotRegressor(n_knots, alpha=0.0).fit(X, y)
    order = np.argsort(X[:, 0])
    t = model.knots_[0]
    spline = make_lsq_spline(X[order, 0], y[order], np.r_[t[0], t, t[-1]], k=1)
    grid = np.linspace(t[0], t[-1], 1001)
    reference = spline(grid)
    np.testing.assert_allclose(
        model.predict(grid[:, None]), reference, rtol=1e-8, atol=1e-8
    )


def test_sample_weight_equals_repetition():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(200, 1))
    y = np.sin(6 * X[:, 0]) + 0.1 * rng.normal(size=200)
    counts = rng.integers(0, 4, size=200)
    weighted = ReluKnotRegressor(20).fit(X, y, sample_weight=counts)
    repeated = ReluKnotRegressor(20).fit(X.repeat(counts, axis=0), y.repeat(counts))
    grid = np.linspace(-0.2, 1.2, 57).reshape(-1, 1)
    np.testing.assert_allclose(
        weighted.predict(grid), repeated.predict(grid), rtol=1e-10
    )


def test_large_raw_inputs_fit_as_well_as_unit_inputs():
    x = np.linspace(0.0, 1.0, 900)
    y = np.sin(7 * x)
    unit = ReluKnotRegressor(30).fit(x[:, None], y)
    big = ReluKnotRegressor(30).fit((1e6 + 9e6 * x)[:, None], y)
    np.testing.assert_allclose(
        big.predict((1e6 + 9e6 * x)[:, None]), unit.predict(x[:, None]), atol=1e-10
    )
    np.testing.assert_allclose(big.knots_[0], 1e6 + 9e6 * unit.knots_[0], rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(factor=st.floats(1e-6, 1e6), seed=st.integers(0, 1000))
def test_scaling_x_does_not_change_the_fit(factor, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(80, 2))
    y = np.cos(4 * X[:, 0]) * X[:, 1] + rng.normal(size=80) * 0.01
    model = ReluKnotRegressor(10, directions=2, random_state=0).fit(X, y)
    scaled = ReluKnotRegressor(10, directions=2, random_state=0).fit(X * factor, y)
    np.testing.assert_allclose(scaled.predict(X * factor), model.predict(X), atol=1e-7)


def test_reml_settles_where_coupled_penalties_circled():
    # Four rows on 80 samples: two coupled penalties circled their fixed
    # point for 100 steps (a ConvergenceWarning) before long steps that
    # turn back were halved.
    rng = np.random.default_rng(46)
    X = rng.uniform(size=(80, 2))
    y = np.cos(4 * X[:, 0]) * X[:, 1] + rng.normal(size=80) * 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ReluKnotRegressor(10, directions=2, random_state=0).fit(X, y)


def test_constant_feature_and_constant_target():
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(size=50), np.full(50, 3.0)]
    y = np.full(50, 7.5)
    model = ReluKnotRegressor(6).fit(X, y)
    np.testing.assert_allclose(model.predict(X), 7.5)
    assert np.all(np.isfinite(model.coefs_[0]))
    # One constant input leaves the slope to the ridge floor, which says so.
    with pytest.warns(LinAlgWarning, match="constant inputs"):
        x1 = ReluKnotRegressor(6).fit(np.full((10, 1), 2.0), np.arange(10.0))
    np.testing.assert_allclose(x1.predict([[2.0], [5.0]]), 4.5)


def test_same_random_state_gives_bit_identical_predictions():
    X, y = make_function("poly_tan", 500, random_state=0)
    a = ReluKnotRegressor(12, directions=5, random_state=3).fit(X, y).predict(X)
    b = ReluKnotRegressor(12, directions=5, random_state=3).fit(X, y).predict(X)
    assert np.array_equal(a, b)


# --------------------------------------------------------------- seed 004


def test_seed_004_knots_every_1e5_beat_the_seed_construction():
    data, knots, seed_rmse = seed_004_rmse()
    assert 2.0e9 < seed_rmse < 2.1e9
    X, y = data[:, None], data**2
    same_knots = ReluKnotRegressor(knots=knots).fit(X, y)
    rmse = np.sqrt(np.mean((same_knots.predict(X) - y) ** 2))
    assert rmse <= seed_rmse
    # Uniform knots every ~1e5 over the data's range do better still.
    uniform = ReluKnotRegressor(91).fit(X, y)
    assert np.sqrt(np.mean((uniform.predict(X) - y) ** 2)) < 0.5 * seed_rmse
    assert_network_equal(same_knots, X)


def test_tol_finds_the_smallest_count():
    data, _, _ = seed_004_rmse()
    X, y = data[:, None], data**2
    tol = 1e-4 * y.max()
    model = ReluKnotRegressor(tol=tol).fit(X, y)
    assert model.train_max_error_ <= tol
    n = model.n_knots_
    assert ReluKnotRegressor(n).fit(X, y).train_max_error_ <= tol
    assert ReluKnotRegressor(n - 1).fit(X, y).train_max_error_ > tol
    # The search goes below the starting count as well.
    coarse = ReluKnotRegressor(tol=1e-2 * y.max()).fit(X, y)
    assert coarse.n_knots_ < 32
    assert ReluKnotRegressor(coarse.n_knots_ - 1).fit(X, y).train_max_error_ > tol * 100
    # Max error of a linear fit falls as n^-2: 4x tighter needs ~2x the knots.
    finer = ReluKnotRegressor(tol=tol / 4).fit(X, y)
    assert 1.8 < finer.n_knots_ / n < 2.2


def test_tol_with_several_directions_stops_at_a_solvable_size(monkeypatch):
    # The same rule as the default 4096 unknowns, at a size a test can solve.
    monkeypatch.setattr("sklearn_uat._knots._MAX_GROWN_UNKNOWNS", 200)
    rng = np.random.default_rng(0)
    X, y = rng.uniform(size=(300, 5)), rng.normal(size=300)
    with pytest.warns(ConvergenceWarning, match="40 knots per direction"):
        model = ReluKnotRegressor(4, tol=1e-9, directions="axes").fit(X, y)
    assert model.n_knots_ == 40


def test_tol_warns_at_max_knots():
    X, y = make_function("sine", 200, noise=0.1, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_knots=16"):
        model = ReluKnotRegressor(4, tol=1e-6, max_knots=16).fit(X, y)
    assert model.n_knots_ == 16


# ------------------------------------------------------------- knot placement


def test_adaptive_knots_lower_the_max_error():
    f = get_function("multiscale")
    X, y = make_function("multiscale", 20_000, random_state=0)
    grid = np.linspace(0, 1, 20_001)[:, None]
    errors = {
        kind: np.max(
            np.abs(ReluKnotRegressor(48, knots=kind).fit(X, y).predict(grid) - f(grid))
        )
        for kind in ["uniform", "adaptive"]
    }
    assert errors["uniform"] > 1.6 * errors["adaptive"]


def test_uniform_max_error_falls_as_n_knots_squared():
    f = get_function("multiscale")
    X, y = make_function("multiscale", 20_000, random_state=0)
    grid = np.linspace(0, 1, 20_001)[:, None]
    e = [
        np.max(np.abs(ReluKnotRegressor(n).fit(X, y).predict(grid) - f(grid)))
        for n in (64, 256)
    ]
    assert 1.8 < np.log(e[0] / e[1]) / np.log(4) < 2.2


def test_quantile_knots_follow_the_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=4000) ** 3
    model = ReluKnotRegressor(11, knots="quantile").fit(x[:, None], x)
    np.testing.assert_allclose(
        model.knots_[0], np.quantile(x, np.linspace(0, 1, 11)), atol=2e-3
    )


def test_ridge_directions_represent_an_interaction_the_axes_cannot():
    X, y = make_function("sinc", 4000, random_state=0)
    X_test, y_test = make_function("sinc", 1000, random_state=1)

    def rmse(model):
        return np.sqrt(np.mean((model.fit(X, y).predict(X_test) - y_test) ** 2))

    additive = rmse(ReluKnotRegressor(32, directions="axes"))
    ridge = rmse(ReluKnotRegressor(32, directions=8, random_state=0))
    assert ridge < 0.1 * additive
    model = ReluKnotRegressor(32, directions=8, random_state=0).fit(X, y)
    assert model.directions_.shape == (10, 2)
    np.testing.assert_allclose(np.linalg.norm(model.directions_, axis=1), 1.0)
    assert len(model.knots_) == 10 and model.n_units_ == 10 * 32


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_knots": 1}, "n_knots"),
        ({"tol": 0.0}, "tol"),
        ({"tol": -1.0}, "tol"),
        ({"alpha": -1.0}, "alpha"),
        ({"directions": 0}, "directions"),
        ({"extrapolation": "cubic"}, "extrapolation"),
        ({"knots": "random"}, "knots"),
        ({"knots": [0.0, 0.0, 1.0]}, "knots must be strictly increasing"),
        ({"knots": [0.0, np.nan]}, "knots must be finite"),
        ({"knots": [0.5]}, "at least two"),
        ({"knots": [0.0, 1.0], "tol": 0.1}, "tol"),
        ({"n_knots": 10**9}, r"n_knots \(1000000000 knots"),
    ],
)
def test_bad_parameters_name_themselves(params, match):
    X, y = make_function("sine", 20, random_state=0)
    with pytest.raises(ValueError, match=match):
        ReluKnotRegressor(**params).fit(X, y)


def test_memory_budget_for_directions():
    X, y = make_function("sinc", 20, random_state=0)
    with pytest.raises(ValueError, match="lower directions"):
        ReluKnotRegressor(64, directions=10_000).fit(X, y)
    with pytest.raises(ValueError, match="directions=10000000000"):
        ReluKnotRegressor(directions=10**10).fit(X, y)
    # 16,000 unknowns: the normal equations, their copy and factor need
    # 5.7 GiB although one copy alone (1.9 GiB) would be under the budget.
    with pytest.raises(ValueError, match="5.7 GiB"):
        ReluKnotRegressor(8, directions=2000).fit(X, y)


def test_explicit_knots_need_one_input():
    X, y = make_function("sinc", 20, random_state=0)
    with pytest.raises(ValueError, match="one-input"):
        ReluKnotRegressor(knots=[0.0, 0.5, 1.0]).fit(X, y)


@pytest.mark.parametrize(
    "X, y, match",
    [
        ([[np.nan], [1.0]], [0.0, 1.0], "NaN"),
        ([[np.inf], [1.0]], [0.0, 1.0], "infinity"),
        ([[0.0], [1.0]], [0.0, np.nan], "NaN"),
        (np.empty((0, 1)), np.empty(0), "0 sample"),
        ([[1.0]], [1.0], "1 sample"),
        (np.array([[1 + 1j], [2.0]]), [0.0, 1.0], "Complex"),
        (np.array([["a"], ["b"]], dtype=object), [0.0, 1.0], "convert"),
    ],
)
def test_bad_data_is_refused(X, y, match):
    with pytest.raises(ValueError, match=match):
        ReluKnotRegressor().fit(X, y)


def test_zero_weights_and_wrong_width_at_predict():
    X, y = make_function("sine", 20, random_state=0)
    with pytest.raises(ValueError, match="[Ss]ample.weight"):
        ReluKnotRegressor().fit(X, y, sample_weight=np.zeros(20))
    model = ReluKnotRegressor().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((3, 2)))


def test_no_runtime_warning_on_extreme_but_finite_inputs():
    X = np.array([[0.0], [1e300], [-1e300]])
    y = np.array([0.0, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ReluKnotRegressor(3).fit(X[:2], y[:2])
        assert np.all(np.isfinite(model.predict([[0.5], [2.0]])))
        small = ReluKnotRegressor(4096, extrapolation="constant", alpha=1e-10).fit(
            np.linspace(0, 1, 5000)[:, None], np.linspace(0, 1, 5000)
        )
        np.testing.assert_allclose(
            small.predict([[1e308], [-1e308]]), [1.0, 0.0], atol=1e-12
        )


def test_large_offset_small_spread_keeps_its_knots_apart():
    # Raw knots 1e15 + k/16 round onto each other in float64; predictions
    # must still follow the data, with no NaN and no warning.
    X = (1e15 + np.random.RandomState(0).randint(0, 4, 200)).astype(float)[:, None]
    y = (X[:, 0] - 1e15) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ReluKnotRegressor(n_knots=64).fit(X, y)
        np.testing.assert_allclose(model.predict(X), y, atol=1e-9)


def test_large_alpha_tends_to_the_linear_fit_and_is_bounded():
    from sklearn.linear_model import LinearRegression
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = make_function("sine", 500, random_state=0)
    linear = LinearRegression().fit(X, y).score(X, y)
    assert ReluKnotRegressor(32, alpha=1e8).fit(X, y).score(X, y) == pytest.approx(
        linear, abs=1e-3
    )
    with pytest.raises(InvalidParameterError, match="alpha"):
        ReluKnotRegressor(alpha=1e9).fit(X, y)


# ------------------------------------------------------------- estimation


def _truth_rmse(model, name, n_test=2000):
    X_test, y_test = make_function(name, n_test, random_state=1)
    return np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2))


def test_more_knots_than_the_default_do_not_change_the_fit_much(monkeypatch):
    from sklearn_uat import _knot_layouts

    X, y = make_function("multiscale", 2000, noise=0.05, random_state=0)
    default = ReluKnotRegressor().fit(X, y)
    more = ReluKnotRegressor(n_knots=2 * default.n_knots_).fit(X, y)
    # GCV keeps the values of 64 soft bumps at the 1,000 default knots;
    # twice the knots take the same bumps' values.
    assert default.bump_layout_ == more.bump_layout_ == (64, 0.25)
    assert (more.n_knots_, more.n_units_) == (2000, 2000)
    assert _truth_rmse(more, "multiscale") <= 1.02 * _truth_rmse(default, "multiscale")
    # Without the bumps GCV keeps 65 knots under a penalty of fifth
    # differences; twice the default's 1,000 knots keep their count and are
    # offered the same smoother fit, resampled onto them.
    monkeypatch.setattr(_knot_layouts, "BUMP_LAYOUTS", ())
    default = ReluKnotRegressor().fit(X, y)
    more = ReluKnotRegressor(n_knots=2000).fit(X, y)
    assert default.bump_layout_ is None
    assert (default.n_knots_, default.penalty_order_) == (65, 5)
    assert (more.n_knots_, more.penalty_order_) == (2000, 5)
    assert _truth_rmse(more, "multiscale") <= 1.02 * _truth_rmse(default, "multiscale")


@pytest.mark.parametrize("factor", [2, 4])
def test_more_knots_keep_the_smooth_fit_of_noisy_sine(monkeypatch, factor):
    # Without the bumps' values (GCV keeps 64 soft bumps here, at any
    # count of knots), the default keeps fifth differences on 65 knots.
    # On many more knots they would need a penalty past the engine's bound;
    # the 65-knot fit resampled onto them does not. On this data, with
    # only the knots' own orders 3 to 5 (and 129 knots for the default),
    # the error was 1.05 (x2) and 1.14 (x4) times the default's.
    from sklearn_uat import _knot_layouts

    monkeypatch.setattr(_knot_layouts, "BUMP_LAYOUTS", ())
    X, y = make_function("sine", 2000, noise=0.05, random_state=3)
    default = ReluKnotRegressor().fit(X, y)
    assert (default.n_knots_, default.penalty_order_) == (65, 5)
    more = ReluKnotRegressor(n_knots=factor * default.n_knots_).fit(X, y)
    assert more.n_knots_ == factor * default.n_knots_
    assert _truth_rmse(more, "sine") <= 1.02 * _truth_rmse(default, "sine")


@pytest.mark.parametrize("name", ["sinc", "poly_tan"])
def test_default_captures_interactions_of_two_inputs(name):
    X, y = make_function(name, 2000, random_state=0)
    X_test, y_test = make_function(name, 2000, random_state=1)
    model = ReluKnotRegressor(random_state=0).fit(X, y)
    assert model.score(X_test, y_test) >= 0.999
    # The axes and one direction per 25 samples, at most 12.
    assert model.directions_.shape == (14, 2)
    assert model.alpha_.shape == (14,) and np.all(model.alpha_ > 0)


def test_more_knots_keep_the_default_splines_of_several_inputs():
    # A given count of at least the default's knots keeps the default's
    # cubic splines (36 coefficients a row here), written on the given
    # knots. Penalising the values at 282 knots a row directly (3,948
    # unknowns for 2,000 samples) was 12 times less accurate on sinc.
    X, y = make_function("sinc", 2000, noise=0.01, random_state=0)
    default = ReluKnotRegressor().fit(X, y)
    more = ReluKnotRegressor(n_knots=2 * default.n_knots_).fit(X, y)
    assert (default.n_knots_, more.n_knots_) == (141, 282)
    assert all(k.size == 282 for k in more.knots_)
    assert _truth_rmse(more, "sinc") <= 1.02 * _truth_rmse(default, "sinc")
    # One knot fewer than the default's: splines of a quarter as many
    # coefficients (its knot values as the unknowns were 1.13 times less
    # accurate, and 15 to 30 times slower, in a helper's measurement).
    fewer = ReluKnotRegressor(n_knots=140).fit(X, y)
    assert _truth_rmse(fewer, "sinc") <= 1.02 * _truth_rmse(default, "sinc")


@pytest.mark.parametrize("noise, order, gain", [(0.01, 4, 0.65), (0.1, 3, 0.87)])
def test_rows_of_several_inputs_compare_orders_of_differences(
    monkeypatch, noise, order, gain
):
    # One set of normal equations for the fourteen rows; GCV keeps fourth
    # (noise 0.01) and third (noise 0.1) differences of the splines'
    # coefficients on poly_tan, and the error against the truth falls to
    # 0.59 and 0.82 of second differences'.
    from sklearn_uat import _knot_layouts

    X, y = make_function("poly_tan", 2000, noise=noise, random_state=0)
    X_test, y_test = make_function("poly_tan", 2000, random_state=1)
    model = ReluKnotRegressor().fit(X, y)
    assert model.penalty_order_ == order
    monkeypatch.setattr(_knot_layouts, "SPLINE_ROW_ORDERS", (2,))
    second = ReluKnotRegressor().fit(X, y)
    assert second.penalty_order_ == 2

    def rmse(m):
        return np.sqrt(np.mean((m.predict(X_test) - y_test) ** 2))

    assert rmse(model) < gain * rmse(second)
    # Still a network of ReLUs at the knots: the penalty changed, not the layer.
    assert model.n_units_ == second.n_units_


def test_default_rows_of_several_inputs_follow_cubic_splines():
    # 36 coefficients a row, written on 141 knots: the same unknowns as 36
    # knots whose values are penalised, and on sinc with noise 0.01 about
    # 0.64 times their error against the truth.
    X, y = make_function("sinc", 2000, noise=0.01, random_state=0)
    X_test, y_test = make_function("sinc", 2000, random_state=1)
    model = ReluKnotRegressor().fit(X, y)
    values = ReluKnotRegressor(n_knots=36).fit(X, y)
    assert model.n_knots_ == 4 * (36 - 1) + 1 and values.n_knots_ == 36
    assert model.n_units_ == 14 * 141

    def rmse(m):
        return np.sqrt(np.mean((m.predict(X_test) - y_test) ** 2))

    assert rmse(model) < 0.8 * rmse(values)
    # Between the knots the network interpolates the splines linearly.
    assert_network_equal(model, X_test)


def test_spline_rows_reproduce_quadratics_and_map_the_normal_equations():
    from sklearn_uat._knot_basis import SplineRows, directions_normal_equations

    rows = [np.linspace(-0.2, 1.1, 41), np.linspace(0.3, 0.9, 25)]
    spline = SplineRows.on(rows)
    assert [p.size for p in spline.positions] == [11, 7]
    # Coefficients on a line give that line at the knots; on a parabola, the
    # parabola up to a constant (uniform cubic B-splines).
    for R, knots, at in zip(spline.maps, rows, spline.positions):
        np.testing.assert_allclose(R @ at, knots, atol=1e-14)
        shift = R @ at**2 - knots**2
        np.testing.assert_allclose(shift, shift[0], atol=1e-14)
    rng = np.random.default_rng(0)
    P, Y = rng.uniform(-0.2, 1.1, size=(300, 2)), rng.normal(size=(300, 1))
    hats = directions_normal_equations(P, Y, None, rows, False)
    mapped = spline.equations(hats)
    T = spline.stacked().toarray()
    np.testing.assert_allclose(mapped.gram, T.T @ hats.gram @ T, atol=1e-12)
    np.testing.assert_allclose(mapped.rhs, T.T @ hats.rhs, atol=1e-12)
    # Rows too short for third differences of six coefficients keep hats.
    assert SplineRows.on([np.linspace(0.0, 1.0, 17)]) is None


@pytest.mark.parametrize("n_samples", [25, 50, 75, 150, 275, 300, 1000])
def test_auto_directions_of_two_inputs_miss_the_axes(n_samples):
    # One direction per 25 samples, at most 12; an odd count used to put one
    # on the second axis, a copy of that axis's row.
    from sklearn_uat._directions import draw_directions

    directions = draw_directions("auto", 2, n_samples, None)
    drawn = directions[2:]
    assert drawn.shape[0] == min(12, n_samples // 25)
    assert np.all(np.abs(drawn) > 0.1)
    # Pairwise distinct lines through the origin.
    cosines = np.abs(drawn @ drawn.T)[np.triu_indices(len(drawn), 1)]
    assert np.all(cosines < 0.999)


def test_rows_keep_the_slope_changes_when_they_interpolate():
    # 18 rows of 64 knots on 640 noise-free samples: every fit interpolates
    # and GCV cannot tell the orders apart (it kept third differences here,
    # with 4 times the held-out error of the slope changes).
    from sklearn.model_selection import KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    X, y = make_function("sinc", 960, random_state=0)
    train, test = list(KFold(3, shuffle=True, random_state=0).split(X))[2]
    model = make_pipeline(
        MinMaxScaler(), ReluKnotRegressor(64, directions=16, random_state=0)
    ).fit(X[train], y[train])
    assert model[-1].penalty_order_ == 2
    assert np.sqrt(np.mean((model.predict(X[test]) - y[test]) ** 2)) < 1e-3


def test_rows_repeat_the_powers_that_earlier_rows_span():
    from sklearn_uat._directions import redundancy

    # Two inputs: the constant of every row after the first, the line of
    # every direction after the axes, the quadratic once three rows (x1^2,
    # x2^2 and one direction's) span all quadratics.
    assert [redundancy(i, 2) for i in range(5)] == [0, 1, 2, 2, 2]
    assert [redundancy(i, 2, 3) for i in range(5)] == [0, 1, 2, 3, 3]
    # Three inputs: six quadratics.
    assert [redundancy(i, 3, 3) for i in range(8)] == [0, 1, 1, 2, 2, 2, 3, 3]


def test_penalties_and_degrees_of_freedom_are_fitted_attributes():
    X, y = make_function("sine", 500, noise=0.3, random_state=0)
    model = ReluKnotRegressor().fit(X, y)
    assert model.alpha_.shape == (1,)
    assert 2 < model.edf_ < 20
    fixed = ReluKnotRegressor(alpha=1e-3).fit(X, y)
    np.testing.assert_array_equal(fixed.alpha_, [1e-3])
    assert fixed.edf_ > model.edf_


def test_knots_are_a_list_for_any_number_of_inputs():
    X, y = make_function("sine", 200, random_state=0)
    one = ReluKnotRegressor(16).fit(X, y)
    assert isinstance(one.knots_, list) and len(one.knots_) == 1
    assert one.knots_[0][0] == X.min() and one.knots_[0][-1] == X.max()
    X2, y2 = make_function("sinc", 200, random_state=0)
    two = ReluKnotRegressor(16, directions="axes").fit(X2, y2)
    assert isinstance(two.knots_, list) and len(two.knots_) == 2


def test_several_targets_share_the_hidden_layer():
    X, y = make_function("sine", 1000, noise=0.05, random_state=0)
    Y = np.c_[y, -3 * y + 1]
    model = ReluKnotRegressor(64).fit(X, Y)
    pred = model.predict(X)
    assert pred.shape == (1000, 2)
    assert model.coefs_[1].shape == (model.n_units_, 2)
    np.testing.assert_allclose(pred, model.network_.forward(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(pred[:, 1], -3 * pred[:, 0] + 1, atol=1e-8)
    column = ReluKnotRegressor(64).fit(X, y[:, None])
    assert column.predict(X).shape == (1000,)


def test_a_refused_refit_leaves_the_model_whole():
    X, y = make_function("sinc", 300, random_state=0)
    model = ReluKnotRegressor(8, random_state=0).fit(X, y)
    before = model.predict(X)
    with pytest.raises(ValueError, match="knots"):
        model.set_params(knots=[0.0, 1.0]).fit(X[:, :1].repeat(3, axis=1), y)
    assert model.n_features_in_ == 2
    np.testing.assert_array_equal(model.predict(X), before)


def test_nan_targets_are_refused():
    X, y = make_function("sine", 50, random_state=0)
    y[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ReluKnotRegressor().fit(X, y)


@pytest.mark.parametrize("weighted, clamp", [(False, False), (True, True)])
def test_normal_equations_of_several_directions_equal_the_dense_design(
    monkeypatch, weighted, clamp
):
    from scipy.interpolate import BSpline

    from sklearn_uat import _knot_basis

    # Small chunks of rows, so that the accumulation crosses several.
    monkeypatch.setattr(_knot_basis, "_CHUNK_ROWS", 97)
    rng = np.random.default_rng(0)
    n = 450
    knots_list = [
        np.linspace(0.0, 1.0, 9),
        np.r_[0.0, np.sort(rng.uniform(0.0, 1.0, 4)), 1.0],
        np.linspace(-0.5, 1.5, 13),
    ]
    P = rng.uniform(-0.2, 1.2, size=(n, 3))
    Y = rng.normal(size=(n, 2))
    w = rng.uniform(0.0, 2.0, size=n) if weighted else None
    stats = _knot_basis.directions_normal_equations(P, Y, w, knots_list, clamp)
    # The hats are B-splines of degree one, continued linearly outside
    # the knots or held at their end values when clamped.
    design = np.hstack(
        [
            BSpline.design_matrix(
                np.clip(P[:, i], k[0], k[-1]) if clamp else P[:, i],
                np.r_[k[0], k, k[-1]],
                1,
                extrapolate=True,
            ).toarray()
            for i, k in enumerate(knots_list)
        ]
    )
    weights = np.ones(n) if w is None else w
    np.testing.assert_allclose(
        stats.gram, design.T @ (weights[:, None] * design), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        stats.rhs, design.T @ (weights[:, None] * Y), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(stats.yty, weights @ Y**2, rtol=1e-12)
    assert stats.weight_sum == pytest.approx(weights.sum(), rel=1e-12)
    assert not stats.banded
    # The inputs projected chunk by chunk give the same sums.
    directions = rng.normal(size=(3, 2))
    X = rng.uniform(-1.0, 3.0, size=(n, 2))
    offset, scale = np.array([-1.0, -1.0]), np.array([4.0, 4.0])
    projected = _knot_basis.directions_normal_equations(
        X, Y, w, knots_list, clamp, projection=(offset, scale, directions)
    )
    at_once = _knot_basis.directions_normal_equations(
        ((X - offset) / scale) @ directions.T, Y, w, knots_list, clamp
    )
    np.testing.assert_allclose(projected.gram, at_once.gram, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(projected.rhs, at_once.rhs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spacing", ["equal", "unequal"])
@pytest.mark.parametrize("weighted, clamp", [(False, False), (True, True)])
def test_normal_equations_by_chunks_of_rows_equal_the_dense_design(
    monkeypatch, spacing, weighted, clamp
):
    from scipy.interpolate import BSpline

    from sklearn_uat import _knot_basis

    monkeypatch.setattr(_knot_basis, "_CHUNK_ROWS", 64)
    rng = np.random.default_rng(1)
    n = 300
    if spacing == "equal":
        knots = np.linspace(0.1, 0.9, 11)
    else:
        knots = np.r_[0.1, np.sort(rng.uniform(0.1, 0.9, 6)), 0.9]
    x = rng.uniform(-5.0, 15.0, size=n)  # scaled by (x + 5) / 20 into [0, 1]
    Y = rng.normal(size=(n, 2))
    w = rng.uniform(0.0, 2.0, size=n) if weighted else None
    stats = _knot_basis.hat_normal_equations_of_rows(
        knots, x, Y, w, clamp, offset=-5.0, scale=20.0
    )
    p = (x + 5.0) / 20.0
    design = BSpline.design_matrix(
        np.clip(p, knots[0], knots[-1]) if clamp else p,
        np.r_[knots[0], knots, knots[-1]],
        1,
        extrapolate=True,
    ).toarray()
    weights = np.ones(n) if w is None else w
    gram = design.T @ (weights[:, None] * design)
    # Upper banded storage: the diagonal, and the one above it.
    np.testing.assert_allclose(stats.gram[1], np.diag(gram), rtol=1e-12)
    np.testing.assert_allclose(stats.gram[0, 1:], np.diag(gram, 1), rtol=1e-12)
    np.testing.assert_allclose(
        stats.rhs, design.T @ (weights[:, None] * Y), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(stats.yty, weights @ Y**2, rtol=1e-12)
    assert stats.weight_sum == pytest.approx(weights.sum(), rel=1e-12)


@pytest.mark.parametrize("n_fine", [129, 100])
def test_coarser_hats_take_their_normal_equations_from_finer_ones(n_fine):
    # 33 hats on 129 knots (every fourth knot: the coarse hats exactly) or
    # on 100 (each resampled: the linear spline through its values at the
    # 100 knots). Either way the equations are those of that design.
    from sklearn_uat._knot_basis import (
        _intervals,
        coarser_hat_equations,
        hat_normal_equations,
    )

    rng = np.random.default_rng(0)
    x, Y, w = rng.uniform(size=500), rng.normal(size=(500, 2)), rng.uniform(size=500)

    def direct(knots):
        intervals = _intervals(knots, x, uniform=True)
        return hat_normal_equations(*intervals, Y, w, knots.size)

    fine, row = np.linspace(0.0, 1.0, n_fine), np.linspace(0.0, 1.0, 33)
    coarse = coarser_hat_equations(direct(fine), fine, row)
    hats = np.stack([np.interp(x, fine, np.interp(fine, row, e)) for e in np.eye(33)])
    gram = (hats * w) @ hats.T
    for offset in range(coarse.gram.shape[0]):
        np.testing.assert_allclose(
            coarse.gram[-1 - offset, offset:], np.diag(gram, offset), atol=1e-12
        )
    np.testing.assert_allclose(coarse.rhs, (hats * w) @ Y, atol=1e-12)
    if n_fine == 129:
        np.testing.assert_allclose(coarse.gram, direct(row).gram, atol=1e-12)
    else:
        assert coarse.gram.shape == (3, 33)  # one more band than the hats' own


def test_knots_take_the_values_of_smooth_bumps(monkeypatch):
    # GCV keeps the values of 32 soft bumps at the 1,000 default knots:
    # 0.84 times the error against the truth of the smoother grids alone
    # (65 knots under fifth differences here).
    from sklearn_uat import _knot_layouts

    X, y = make_function("sine", 2000, noise=0.01, random_state=0)
    default = ReluKnotRegressor().fit(X, y)
    assert default.bump_layout_ == (32, 0.25) and default.penalty_order_ == 2
    assert default.n_knots_ == default.n_units_ == 1000
    assert_network_equal(default, X)
    monkeypatch.setattr(_knot_layouts, "BUMP_LAYOUTS", ())
    grids = ReluKnotRegressor().fit(X, y)
    assert grids.bump_layout_ is None and grids.penalty_order_ == 5
    assert _truth_rmse(default, "sine") < 0.9 * _truth_rmse(grids, "sine")


def test_smoother_penalties_estimate_smooth_functions_with_noise(monkeypatch):
    from sklearn_uat import _knot_layouts

    monkeypatch.setattr(_knot_layouts, "BUMP_LAYOUTS", ())
    X, y = make_function("sine", 2000, noise=0.01, random_state=0)
    default = ReluKnotRegressor().fit(X, y)
    assert default.penalty_order_ > 2 and default.n_knots_ < 1000
    monkeypatch.setattr(_knot_layouts, "SMOOTH_ORDERS", ())
    slope_changes = ReluKnotRegressor().fit(X, y)
    assert (slope_changes.penalty_order_, slope_changes.n_knots_) == (2, 1000)
    # Well below the error of the slope-change penalty against the truth.
    assert _truth_rmse(default, "sine") < 0.7 * _truth_rmse(slope_changes, "sine")
    # The network is still a linear spline on the kept knots.
    assert default.n_units_ == default.n_knots_


def test_partial_fit_continues_the_choice_of_layout_exactly():
    # The default knots' statistics and the finest smoother grid's are
    # summed side by side, so the layout chosen after more chunks is the one
    # a fit on all the rows chooses.
    X, y = make_function("sine", 2000, noise=0.01, random_state=0)
    domain = [(X.min(), X.max())]
    head, tail = np.arange(1000), np.arange(1000, 2000)
    continued = ReluKnotRegressor(domain=domain).fit(X[head], y[head])
    for part in np.array_split(tail, 3):
        continued.partial_fit(X[part], y[part])
    one_shot = ReluKnotRegressor(domain=domain).fit(X, y)
    assert one_shot.bump_layout_ == (32, 0.25)
    assert continued.bump_layout_ == one_shot.bump_layout_
    assert continued.penalty_order_ == one_shot.penalty_order_
    assert continued.n_knots_ == one_shot.n_knots_
    np.testing.assert_allclose(continued.predict(X), one_shot.predict(X), rtol=1e-10)


@pytest.mark.parametrize("alpha", ["reml", "gcv"])
def test_more_unknowns_than_samples_still_smooth_noise(alpha):
    # A domain fixes the layer before the data: 14 rows of 141 knots on 150
    # noisy samples of two inputs are more unknowns than samples. From the
    # rough end REML's steps ran every penalty to zero and the fit
    # interpolated the noise (error 0.22, edf 150); from the smooth end it
    # estimates like the default, whose rows are sized by the samples
    # (0.027 against 0.035). GCV scales the smooth end's penalties, not
    # the floor's (edf 13; 42 from the floor).
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(150, 2))
    f = lambda X: np.sin(6 * X @ [0.8, 0.6])  # noqa: E731
    y = f(X) + 0.1 * rng.normal(size=150)
    X_test = rng.uniform(size=(2000, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        domain = ReluKnotRegressor(domain=[[0, 1], [0, 1]], alpha=alpha).fit(X, y)
        default = ReluKnotRegressor(alpha=alpha).fit(X, y)
    assert sum(k.size for k in domain.knots_) > 150
    assert np.sum(domain.edf_) < 25
    error = np.sqrt(np.mean((domain.predict(X_test) - f(X_test)) ** 2))
    reference = np.sqrt(np.mean((default.predict(X_test) - f(X_test)) ** 2))
    assert error < 1.1 * reference


def test_gcv_level_never_picks_an_interpolating_fit():
    # GCV scores n RSS / (n - edf)^2; with 200 knots on 50 noisy samples an
    # interpolating fit scored rounding (RSS 0 over a floor of 1) and won:
    # error 0.66. Such a fit now scores infinity.
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(50, 1))
    X_test = np.linspace(0, 1, 1001)[:, None]
    y = np.sin(6 * X[:, 0]) + 0.1 * rng.normal(size=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ReluKnotRegressor(n_knots=200, alpha="gcv").fit(X, y)
    error = model.predict(X_test) - np.sin(6 * X_test[:, 0])
    assert np.sum(model.edf_) < 25
    assert np.sqrt(np.mean(error**2)) < 0.05


@pytest.mark.parametrize("alpha", ["reml", 1e-8])
def test_knots_between_samples_follow_the_penalty(alpha):
    # 200 knots on 50 noise-free samples: the data leave the values between
    # samples free and only the penalty decides them. A penalty at the
    # ridge floor left them to it, and the fit spiked towards zero between
    # samples (error 0.47); penalties of such a fit are at least 1e-6. The
    # penalty chosen from the data interpolates, rightly here, and says so.
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(50, 1))
    X_test = np.linspace(0, 1, 1001)[:, None]
    model = ReluKnotRegressor(n_knots=200, alpha=alpha)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, np.sin(6 * X[:, 0]))
    said = [str(w.message) for w in caught]
    if alpha == "reml":
        assert len(said) == 1 and "right for noise-free targets" in said[0]
        assert caught[0].filename == __file__  # the user's line, not the package's
    else:
        assert said == []
    assert np.max(np.abs(model.predict(X_test) - np.sin(6 * X_test[:, 0]))) < 1e-3
    assert np.all(model.alpha_ >= 1e-6)


def test_a_noisy_target_sharing_an_interpolating_penalty_warns():
    # Targets share one penalty: a noise-free one drives it to interpolation
    # and the noisy one is interpolated too. It says so, and names the fix.
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(60, 1))
    f = np.sin(6 * X[:, 0])
    Y = np.c_[f, f + 0.2 * rng.normal(size=60)]
    with pytest.warns(UserWarning, match="2 targets share one penalty"):
        ReluKnotRegressor(n_knots=150).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alone = ReluKnotRegressor(n_knots=150).fit(X, Y[:, 1])
    assert np.sum(alone.edf_) < 20


@pytest.mark.parametrize("domain", [None, [[0, 1], [0, 1]]])
def test_tol_on_noisy_samples_stops_growing_past_the_samples(domain):
    # alpha="reml" smooths noise however fine the knots, so a tol below the
    # noise is never met: growth stops at twice as many unknowns as samples
    # (or at a domain's layer, sized before the data) and says so. It ran
    # on to 4096 unknowns, taking a minute, or, before penalties of
    # underdetermined fits were floored, met tol by interpolating the noise.
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(64, 2))
    y = np.sin(4 * X.sum(axis=1)) + 0.1 * rng.normal(size=64)
    with pytest.warns(
        ConvergenceWarning, match="twice as many unknowns as the 64"
    ) as caught:
        model = ReluKnotRegressor(tol=0.05, domain=domain, random_state=0).fit(X, y)
    assert caught[0].filename == __file__
    n_directions = model.directions_.shape[0]
    if domain is None:
        assert model.n_knots_ * n_directions <= 2 * 64 + n_directions
    else:
        assert model.n_knots_ * n_directions <= 512
    assert np.sum(model.edf_) < 32
