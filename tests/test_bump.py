import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_uat import BumpNetRegressor, FeedForwardNetwork
from sklearn_uat.datasets import get_function, make_function

MULTISCALE = get_function("multiscale")

# Seed 001: w = 500, the steps of its five bumps, and its hand-picked output
# weights (one pair per bump: +h at the left step, -h at the right one).
SEED_W = 500.0
SEED_STEPS = np.array([0, 0.2, 0.2, 0.4, 0.4, 0.6, 0.6, 0.8, 0.8, 1.0])
SEED_HEIGHTS = np.array([-1.2, -1.6, -0.3, -1.0, 1.0])


def _rmse(model, X, y):
    """Root mean squared error of ``model`` on ``(X, y)``."""
    return np.sqrt(np.mean((model.predict(X) - y) ** 2))


def seed_network(heights):
    """Seed 001's ten-unit network with the given bump heights."""
    weights = np.ravel(np.column_stack([heights, -np.asarray(heights)]))
    return FeedForwardNetwork(
        [np.full((1, 10), SEED_W), weights.reshape(-1, 1)],
        [-SEED_W * SEED_STEPS, np.array([0.0])],
        ["sigmoid", "identity"],
    )


@pytest.fixture(scope="module")
def multiscale_grid():
    return make_function("multiscale", n_samples=2001, sampling="grid")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"steepness": 100, "heights": "mean"},
        {"steepness": 1e4},
        {"output_activation": "sigmoid"},
        {"steepness": 3.0, "heights": "mean", "output_activation": "sigmoid"},
    ],
)
def test_predict_equals_forward_pass_and_torch(params, multiscale_grid):
    torch = pytest.importorskip("torch")
    X, y = multiscale_grid
    model = BumpNetRegressor(n_bumps=40, **params).fit(X * 7 - 2, y * 3 + 1)
    X_new = np.linspace(-3, 6, 4001)[:, None]
    predicted = model.predict(X_new)
    np.testing.assert_allclose(predicted, model.network_.forward(X_new), atol=1e-9)
    with torch.no_grad():
        exported = model.to_torch()(torch.as_tensor(X_new)).numpy()[:, 0]
    np.testing.assert_allclose(predicted, exported, atol=1e-9)


@pytest.mark.parametrize("layout", ["tower", "additive"])
@pytest.mark.parametrize("output_activation", ["identity", "sigmoid"])
def test_predict_equals_forward_pass_in_2d(layout, output_activation):
    X, y = make_function("poly_tan", n_samples=600, random_state=0)
    model = BumpNetRegressor(
        n_bumps=8, layout=layout, output_activation=output_activation
    ).fit(X, y)
    X_new = np.random.default_rng(1).uniform(-1.5, 1.5, size=(500, 2))
    predicted = model.predict(X_new)
    np.testing.assert_allclose(predicted, model.network_.forward(X_new), atol=1e-9)
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        exported = model.to_torch()(torch.as_tensor(X_new)).numpy()[:, 0]
    np.testing.assert_allclose(predicted, exported, atol=1e-9)
    n_hidden = {"tower": 2, "additive": 1}[layout]
    n_hidden += output_activation == "sigmoid"
    assert len(model.coefs_) == n_hidden + 1
    # Towers lie on the axes; the additive layout adds one direction
    # per 25 samples, at most 12.
    n_dir = {"tower": 2, "additive": 14}[layout]
    assert model.directions_.shape == (n_dir, 2)
    assert model.coefs_[0].shape == (2, n_dir * 9)
    if layout == "tower":
        assert model.coefs_[1].shape == (18, model.n_cells_)
        assert model.heights_.shape == (model.n_cells_,)
    else:
        assert model.heights_.shape == (n_dir, 8)


@settings(max_examples=25, deadline=None)
@given(
    n_bumps=st.integers(1, 60),
    steepness=st.floats(0.05, 2e4),
    heights=st.sampled_from(["mean", "lstsq"]),
    seed=st.integers(0, 2**16),
)
def test_fast_predict_equals_network_property(n_bumps, steepness, heights, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-5, 5, size=(80, 1))
    y = np.sin(X[:, 0]) + rng.normal(scale=0.1, size=80)
    model = BumpNetRegressor(n_bumps, steepness=steepness, heights=heights)
    model.fit(X, y)
    X_new = rng.uniform(-8, 8, size=(300, 1))
    predicted = model.predict(X_new)
    assert np.all(np.isfinite(predicted))
    scale = 1 + np.abs(model.coefs_[-1]).sum()
    np.testing.assert_allclose(
        predicted, model.network_.forward(X_new), atol=1e-12 * scale
    )


def test_fast_predict_many_steep_bumps_matches_dense():
    X, y = make_function("multiscale", n_samples=20000, random_state=0)
    model = BumpNetRegressor(4096, steepness=100, heights="mean").fit(X, y)
    X_new = np.random.default_rng(0).uniform(0, 1, size=(3000, 1))
    np.testing.assert_allclose(
        model.predict(X_new), model.network_.forward(X_new), atol=1e-9
    )


def test_decompose_adds_up_to_the_output(multiscale_grid):
    X, y = multiscale_grid
    X_new = np.linspace(-0.2, 1.2, 701)[:, None]
    for params in [{}, {"steepness": 200, "heights": "mean"}]:
        model = BumpNetRegressor(n_bumps=12, **params).fit(X, y)
        parts = model.decompose(X_new)
        assert parts.shape == (701, 12)
        np.testing.assert_allclose(
            parts.sum(axis=1) + model.intercepts_[-1][0],
            model.predict(X_new),
            atol=1e-12,
        )
        levels = np.r_[0.0, np.cumsum(model.coefs_[1][:, 0])]
        levels += model.intercepts_[1][0]
        np.testing.assert_allclose(levels[1:-1], model.heights_, atol=1e-9)
        np.testing.assert_allclose(levels[[0, -1]], model.outer_heights_, atol=1e-9)
    # Steep bumps: each interior column is its bump, heights_[j] inside it
    # and zero outside.
    centres = (model.edges_[0, :-1] + model.edges_[0, 1:]) / 2
    inside = model.decompose(centres[:, None])
    np.testing.assert_allclose(np.diag(inside)[1:-1], model.heights_[1:-1], rtol=1e-12)
    off_diagonal = inside[~np.eye(12, dtype=bool)].reshape(12, 11)[1:-1, 1:-1]
    assert np.abs(off_diagonal).max() < 1e-12


def test_decompose_sigmoid_output_gives_inverse_sigmoid(multiscale_grid):
    X, y = multiscale_grid
    model = BumpNetRegressor(6, output_activation="sigmoid").fit(X, y)
    pre = model.decompose(X).sum(axis=1) + model.intercepts_[-2][0]
    np.testing.assert_allclose(expit(pre), model.predict(X), atol=1e-12)


def test_decompose_needs_one_input():
    X, y = make_function("sinc", n_samples=200, random_state=0)
    model = BumpNetRegressor(n_bumps=4).fit(X, y)
    with pytest.raises(ValueError, match="one input"):
        model.decompose(X)


def test_seed_001_network_is_reproduced(multiscale_grid):
    X, y = multiscale_grid
    model = BumpNetRegressor(n_bumps=5, steepness=100, heights="mean").fit(X, y)
    # The seed's hidden layer: w = 500 and biases -w * step, one unit per step
    # (neighbouring bumps share theirs).
    np.testing.assert_allclose(model.edges_[0], np.unique(SEED_STEPS), atol=1e-15)
    np.testing.assert_allclose(model.coefs_[0], SEED_W, rtol=1e-14)
    np.testing.assert_allclose(
        model.intercepts_[0], -SEED_W * np.unique(SEED_STEPS), atol=1e-12
    )
    # Heights: the mean of f in each bump.
    cell = np.minimum((X[:, 0] * 5).astype(int), 4)
    means = np.bincount(cell, weights=y) / np.bincount(cell)
    np.testing.assert_allclose(model.heights_, means, rtol=1e-12)
    # Interior output weights are the seed's merged pairs (h_k - h_{k-1});
    # the ends continue the outer bumps instead of dropping to zero.
    np.testing.assert_allclose(model.coefs_[1][1:-1, 0], np.diff(means), rtol=1e-12)
    # The same function as the seed's ten-unit network with these heights,
    # wherever the end units (at 0 and 1) are saturated.
    inner = np.linspace(0.08, 0.92, 2000)[:, None]
    np.testing.assert_allclose(
        model.predict(inner), seed_network(model.heights_).forward(inner), atol=1e-12
    )


def test_seed_001_inverse_sigmoid_construction(multiscale_grid):
    X, y = multiscale_grid
    model = BumpNetRegressor(
        n_bumps=5, steepness=100, heights="mean", output_activation="sigmoid"
    ).fit(X, y)
    # f lies in (0, 1): the hidden layer's weighted sum fits logit(f) itself,
    # each height the mean of logit(f) over its bump ...
    cell = np.minimum((X[:, 0] * 5).astype(int), 4)
    means = np.bincount(cell, weights=logit(y)) / np.bincount(cell)
    np.testing.assert_allclose(model.heights_, means, rtol=1e-12)
    # ... close to the seed's hand-picked heights,
    assert np.abs(model.heights_ - SEED_HEIGHTS).max() < 0.25
    # and its pre-activation is the seed's network with these heights.
    inner = np.linspace(0.08, 0.92, 2000)[:, None]
    pre = model.decompose(inner).sum(axis=1) + model.intercepts_[-2][0]
    np.testing.assert_allclose(
        pre, seed_network(model.heights_).forward(inner), atol=1e-12
    )
    np.testing.assert_allclose(model.predict(inner), expit(pre), atol=1e-12)
    assert model.coefs_[-1][0, 0] == 1.0 and model.intercepts_[-1][0] == 0.0


def test_lstsq_heights_reach_high_accuracy(multiscale_grid):
    X, y = multiscale_grid
    X_test = np.random.default_rng(0).uniform(0, 1, size=(5000, 1))
    error = {
        n: np.abs(BumpNetRegressor(n).fit(X, y).predict(X_test) - MULTISCALE(X_test))
        for n in (64, 128)
    }
    assert error[64].max() < 5e-5
    assert error[128].max() < 1e-5


def test_mean_heights_are_a_regressogram(multiscale_grid):
    X, y = multiscale_grid
    X_test = np.random.default_rng(0).uniform(0, 1, size=(5000, 1))
    errors = [
        np.abs(
            BumpNetRegressor(n, steepness=1000, heights="mean")
            .fit(X, y)
            .predict(X_test)
            - MULTISCALE(X_test)
        ).max()
        for n in (32, 64, 128)
    ]
    slope = np.polyfit(np.log([32, 64, 128]), np.log(errors), 1)[0]
    assert -1.2 < slope < -0.8


def test_sigmoid_output_maps_any_target_range(multiscale_grid):
    X, y = multiscale_grid
    target = 1000 * y - 400
    model = BumpNetRegressor(32, output_activation="sigmoid").fit(X, target)
    predicted = model.predict(X)
    assert model.score(X, target) > 0.999
    # The sigmoid keeps predictions inside the padded target range.
    span = target.max() - target.min()
    assert predicted.min() > target.min() - 0.126 * span
    assert predicted.max() < target.max() + 0.126 * span


def test_steep_sigmoids_never_warn():
    X, y = make_function("multiscale", n_samples=500, random_state=0)
    X_far = np.array([[-1e300], [-1e6], [0.5], [1e6], [1e300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for steepness in (1e4, 1e6):
            for output in ("identity", "sigmoid"):
                model = BumpNetRegressor(
                    64, steepness=steepness, output_activation=output
                ).fit(X, y)
                assert np.all(np.isfinite(model.predict(X_far)))
                assert np.all(np.isfinite(model.network_.forward(X_far)))


def test_empty_bumps_take_neighbouring_values():
    X = np.r_[np.linspace(0, 0.3, 50), np.linspace(0.7, 1, 50)][:, None]
    y = np.r_[np.full(50, 1.0), np.full(50, 3.0)]
    gap = np.array([[0.45], [0.5], [0.55]])
    mean = BumpNetRegressor(10, steepness=100, heights="mean").fit(X, y)
    # Bumps 4..6 are empty (x = 0.3 starts bump 3): interpolated between
    # bumps 3 (1.0) and 7 (3.0).
    np.testing.assert_allclose(mean.heights_, [1, 1, 1, 1, 1.5, 2, 2.5, 3, 3, 3])
    lstsq = BumpNetRegressor(10, steepness=100).fit(X, y)
    assert np.all(np.isfinite(lstsq.heights_))
    inside = lstsq.predict(gap)
    assert np.all((inside > 1 - 1e-6) & (inside < 3 + 1e-6))
    np.testing.assert_allclose(lstsq.predict(X), y, atol=1e-6)


def test_towers_fall_back_to_the_global_mean():
    rng = np.random.default_rng(0)
    X = np.r_[rng.uniform(0, 0.2, (100, 2)), rng.uniform(0.8, 1, (100, 2))]
    y = np.r_[np.ones(100), 5 * np.ones(100)]
    weights = np.r_[np.ones(100), 3 * np.ones(100)]
    model = BumpNetRegressor(
        10, steepness=100, tower_steepness=100, heights="mean", layout="tower"
    ).fit(X, y, sample_weight=weights)
    assert model.n_cells_ == 8
    np.testing.assert_allclose(model.predict([[0.5, 0.5], [0.1, 0.9]]), 4.0)
    np.testing.assert_allclose(model.predict([[0.05, 0.05], [0.95, 0.95]]), [1, 5])


def test_towers_max_cells_guard_names_additive():
    X, y = make_function("sinc", n_samples=2000, random_state=0)
    with pytest.raises(ValueError, match=re.escape("layout='additive'")):
        BumpNetRegressor(32, max_cells=100, layout="tower").fit(X, y)
    model = BumpNetRegressor(32, max_cells=100, layout="additive").fit(X, y)
    assert model.heights_.shape == (14, 32)


def test_towers_on_ten_features_stay_small():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10))
    y = X[:, 0] + 0.5 * X[:, 1] ** 2
    model = BumpNetRegressor().fit(X, y)
    assert model.n_cells_ <= 200
    assert model.score(X, y) > 0.99


def test_additive_layout_fits_an_additive_function():
    X, y = make_function("poly_tan", n_samples=3000, random_state=0)
    additive = X[:, 0] ** 2 + X[:, 1] ** 2 + np.tan(X[:, 0])
    model = BumpNetRegressor(16, layout="additive").fit(X, additive)
    X_test = np.random.default_rng(1).uniform(-1, 1, size=(1000, 2))
    truth = X_test[:, 0] ** 2 + X_test[:, 1] ** 2 + np.tan(X_test[:, 0])
    assert np.abs(model.predict(X_test) - truth).max() < 5e-3


def test_integer_sample_weight_equals_repetition(multiscale_grid):
    X, y = multiscale_grid
    X, y = X[::10], y[::10]
    weights = np.random.default_rng(0).integers(0, 3, size=y.size)
    weighted = BumpNetRegressor(16).fit(X, y, sample_weight=weights)
    repeated = BumpNetRegressor(16).fit(np.repeat(X, weights, 0), np.repeat(y, weights))
    # Equal up to the rounding that the ill-conditioned normal equations
    # amplify (their ridge floor is 1e-12).
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), atol=1e-5)
    steep = BumpNetRegressor(16, steepness=50).fit(X, y, sample_weight=weights)
    steep_repeated = BumpNetRegressor(16, steepness=50).fit(
        np.repeat(X, weights, 0), np.repeat(y, weights)
    )
    np.testing.assert_allclose(steep.predict(X), steep_repeated.predict(X), atol=1e-12)


def test_scale_free_in_x():
    X, y = make_function("multiscale", n_samples=400, random_state=0)
    model = BumpNetRegressor(20).fit(X, y)
    shifted = BumpNetRegressor(20).fit(X * 1e5 + 3e6, y)
    np.testing.assert_allclose(
        model.predict(X), shifted.predict(X * 1e5 + 3e6), atol=1e-5
    )


def test_refit_is_bit_identical():
    X, y = make_function("sinc", n_samples=500, random_state=0)
    first = BumpNetRegressor(8).fit(X, y).predict(X)
    second = BumpNetRegressor(8).fit(X, y).predict(X)
    assert np.array_equal(first, second)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_bumps": 0}, "n_bumps"),
        ({"n_bumps": 2.5}, "n_bumps"),
        ({"steepness": 0}, "steepness"),
        ({"steepness": -1.0}, "steepness"),
        ({"heights": "median"}, "heights"),
        ({"layout": "grid"}, "layout"),
        ({"output_activation": "relu"}, "output_activation"),
        ({"max_cells": 0}, "max_cells"),
        ({"alpha": -1.0}, "alpha"),
    ],
)
def test_bad_parameters_are_named(params, match):
    X, y = make_function("multiscale", n_samples=50, random_state=0)
    with pytest.raises(ValueError, match=match):
        BumpNetRegressor(**params).fit(X, y)


def test_bad_data_gives_clear_errors():
    X, y = make_function("multiscale", n_samples=50, random_state=0)
    bad = X.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BumpNetRegressor().fit(bad, y)
    bad[3] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        BumpNetRegressor().fit(bad, y)
    with pytest.raises(ValueError, match="0 sample"):
        BumpNetRegressor().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="could not convert|numeric"):
        BumpNetRegressor().fit(np.array([["a"]] * 50), y)
    with pytest.raises(ValueError, match="(?i)sample.weight"):
        BumpNetRegressor().fit(X, y, sample_weight=np.zeros(50))
    model = BumpNetRegressor().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((3, 2)))


# The additive layout's joint least-squares system has far more unknowns than
# the common checks have samples (15 samples, 30 features, 10 pieces each):
# with the default ridge floor (1e-12) the rounding differences between
# weighted and repeated data grow to 6e-3 in the predictions, beyond the
# sample-weight check's tolerance; with 1e-6 they are 4e-9.
@parametrize_with_checks(
    [
        BumpNetRegressor(8, layout="additive", alpha=1e-6),
        BumpNetRegressor(8, steepness=100, heights="mean", output_activation="sigmoid"),
    ]
)
def test_other_configurations_pass_the_common_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_extreme_target_scales(scale):
    X, y = make_function("multiscale", n_samples=300, random_state=0)
    reference = BumpNetRegressor(16).fit(X, y).predict(X)
    scaled = BumpNetRegressor(16).fit(X, scale * y).predict(X)
    np.testing.assert_allclose(scaled / scale, reference, rtol=1e-9, atol=1e-12)


def test_memory_budget_counts_the_band_of_the_normal_equations():
    # A million soft bumps: the first layer is small, but the banded normal
    # equations (158 diagonals at steepness 0.5) are not.
    X, y = make_function("sine", 200, random_state=0)
    with pytest.raises(ValueError, match="n_bumps=1000000 at steepness=0.5"):
        BumpNetRegressor(n_bumps=10**6).fit(X, y)


def test_a_margin_lays_bumps_beyond_the_data_and_mends_the_ends():
    X, y = make_function("sine", 2000, sampling="grid")
    X_test, y_test = make_function("sine", 1001, sampling="grid")
    plain = BumpNetRegressor(64, alpha=1e-12).fit(X, y)
    padded = BumpNetRegressor(64, alpha=1e-12, margin=0.05).fit(X, y)
    span = 2 * np.pi
    np.testing.assert_allclose(
        padded.edges_[0][[0, -1]], [-0.05 * span, 1.05 * span], rtol=1e-12
    )
    errors = [np.abs(m.predict(X_test) - y_test).max() for m in (plain, padded)]
    assert errors[1] < errors[0] / 10


@pytest.mark.parametrize("name", ["sinc", "poly_tan"])
def test_more_bumps_keep_the_default_rows_of_several_inputs(name):
    # A given count is offered the default's layouts, written on its bumps:
    # 64 soft bumps of their own were kept by GCV on sinc and were 1.13
    # times less accurate than the default's 32.
    X, y = make_function(name, 2000, noise=0.01, random_state=0)
    X_test, y_test = make_function(name, 2000, random_state=1)
    default = BumpNetRegressor().fit(X, y)
    more = BumpNetRegressor(n_bumps=64).fit(X, y)
    assert more.n_bumps_ == 64

    assert _rmse(more, X_test, y_test) <= 1.02 * _rmse(default, X_test, y_test)


def test_a_given_count_of_bumps_on_few_samples_is_kept():
    # The default of 150 samples on two inputs has 16 bumps a row; asked
    # for 32, the network has 32 (the default's layout written on them, or
    # 32 soft ones). On 60 samples along 12 directions the default has 3;
    # asked for 8, the fit is not the default's (which was 10 times less
    # accurate here).
    X, y = make_function("sinc", 150, noise=0.01, random_state=0)
    assert BumpNetRegressor().fit(X, y).n_bumps_ == 16
    assert BumpNetRegressor(n_bumps=32).fit(X, y).n_bumps_ == 32
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (60, 2))
    f = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    model = BumpNetRegressor(n_bumps=8, directions=10, random_state=0)
    model.fit(X, f + 0.05 * rng.normal(size=60))
    X_test = rng.uniform(-1, 1, (2000, 2))
    f_test = np.sin(3 * X_test[:, 0]) + X_test[:, 1] ** 2
    assert model.n_bumps_ == 8
    assert _rmse(model, X_test, f_test) < 0.05


def test_default_margin_lays_rows_of_several_inputs_beyond_the_data():
    # margin="auto": half the range on either side for least-squares rows
    # of several inputs, where a penalised soft row is a line only away from
    # its ends (refined or not); none for one input or towers.
    X, y = make_function("poly_tan", 1000, noise=0.1, random_state=0)
    X_test, y_test = make_function("poly_tan", 2000, random_state=1)
    default = BumpNetRegressor().fit(X, y)
    plain = BumpNetRegressor(margin=0.0).fit(X, y)
    assert (default.margin_, plain.margin_) == (0.5, 0.0)

    assert _rmse(default, X_test, y_test) < 0.9 * _rmse(plain, X_test, y_test)
    X1, y1 = make_function("sine", 200, random_state=0)
    assert BumpNetRegressor().fit(X1, y1).margin_ == 0.0
    towers = BumpNetRegressor(4, layout="tower").fit(X[:200], y[:200])
    assert towers.margin_ == 0.0
    refined = BumpNetRegressor(8, directions=1, refine=2, random_state=0)
    with pytest.warns(ConvergenceWarning, match="refine=2"):
        refined.fit(X[:200], y[:200])
    assert refined.margin_ == 0.5


# ------------------------------------------------------------- estimation


def test_more_bumps_than_the_default_do_not_change_the_fit_much():
    X, y = make_function("multiscale", 500, noise=0.05, random_state=0)
    X_test, y_test = make_function("multiscale", 2000, random_state=1)
    default = BumpNetRegressor().fit(X, y)
    more = BumpNetRegressor(n_bumps=2 * default.n_bumps_).fit(X, y)
    assert default.n_bumps_ == 250

    # Twice the bumps cost 2.5% here (ReluKnotRegressor's knots: under 0.1%):
    # soft bumps at a fixed steepness per bump width change shape as they
    # narrow, which the level penalty does not undo.
    assert _rmse(more, X_test, y_test) <= 1.05 * _rmse(default, X_test, y_test)


def test_several_targets_share_the_bumps():
    X, y = make_function("sine", 1000, noise=0.05, random_state=0)
    Y = np.c_[y, 2 * y - 1]
    for params in [{}, {"layout": "tower", "n_bumps": 6}]:
        X_fit = X if not params else np.c_[X, X[::-1]]
        model = BumpNetRegressor(**params).fit(X_fit, Y)
        pred = model.predict(X_fit)
        assert pred.shape == (1000, 2)
        np.testing.assert_allclose(pred, model.network_.forward(X_fit), atol=1e-8)
        np.testing.assert_allclose(pred[:, 1], 2 * pred[:, 0] - 1, atol=1e-7)


def test_a_refused_refit_leaves_the_model_whole():
    X, y = make_function("sinc", 2000, random_state=0)
    model = BumpNetRegressor(n_bumps=8, layout="tower").fit(X, y)
    before = model.predict(X)
    with pytest.raises(ValueError, match="max_cells"):
        model.set_params(n_bumps=64, max_cells=100).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), before)
    assert model.n_cells_ == 64


def test_towers_that_memorise_say_so():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(200, 3))
    with pytest.warns(UserWarning, match="memorise"):
        BumpNetRegressor(n_bumps=8, layout="tower").fit(X, X.sum(axis=1))


@pytest.mark.parametrize("n_bumps, steepness", [(512, 0.5), (30, 2.0), (8, 200.0)])
def test_pieces_from_one_exponential_equal_the_logistic_ones(n_bumps, steepness):
    # Both ends, the tails of soft bumps and the logistic path of steep ones.
    from sklearn_uat._bump_basis import _axis_window, _pieces, _pieces_expit

    rng = np.random.default_rng(0)
    t = np.r_[rng.uniform(0, n_bumps, 5000), 0.0, 1e-9, n_bumps - 1e-9, n_bumps]
    first, width = _axis_window(t, n_bumps, steepness)
    fast = _pieces(t, n_bumps, steepness, first, width)
    reference = _pieces_expit(t, n_bumps, steepness, first, width)
    np.testing.assert_allclose(fast, reference, rtol=1e-13, atol=0)
    np.testing.assert_allclose(fast.sum(axis=1), 1.0, rtol=1e-12)


def _design_and_expanded(t, g, w, n_bumps, steepness):
    from sklearn_uat._bump_basis import (
        _band_half_width,
        _cell_expansion,
        _direct_normal_equations,
        _expanded_normal_equations,
    )

    width = min(2 * _band_half_width(steepness) + 2, n_bumps + 2)
    expansion = _cell_expansion(n_bumps, steepness, width)
    assert expansion is not None
    direct = _direct_normal_equations(t, g, w, n_bumps, steepness)
    return direct, _expanded_normal_equations(t, g, w, expansion)


@pytest.mark.parametrize(
    "n_bumps, steepness, n_targets",
    [
        (512, 0.5, 1),
        (5000, 0.5, 1),
        (40, 0.5, 2),
        (200, 1.0, 1),
        (300, 0.2, 1),
        (3, 0.5, 1),
    ],
)
def test_chebyshev_cells_give_the_normal_equations_of_the_design(
    n_bumps, steepness, n_targets
):
    # Both ends, cells whose windows are clipped at either end, windows
    # wider than all the pieces, weights and several targets.
    rng = np.random.default_rng(0)
    t = np.r_[rng.uniform(0, n_bumps, 5000), 0.0, 1e-12, n_bumps - 1e-12, n_bumps]
    g = rng.standard_normal((t.size, n_targets))
    w = rng.uniform(0.2, 3.0, t.size)
    (ab, rhs), (ab_cells, rhs_cells) = _design_and_expanded(t, g, w, n_bumps, steepness)
    # Every entry, down to the tails of the band (about 1e-17 of the
    # diagonal), to its own relative precision.
    np.testing.assert_allclose(ab_cells, ab, rtol=1e-13, atol=0)
    # The right-hand side cancels between targets of either sign: relative
    # to its Cauchy-Schwarz bound.
    bound = np.sqrt(np.outer(ab[-1], np.einsum("ij,ij,i->j", g, g, w)))
    assert np.all(np.abs(rhs_cells - rhs) <= 1e-13 * bound)


def test_cells_with_the_same_window_share_their_series():
    # The series take memory of a window's width, whatever the number of
    # bumps.
    from sklearn_uat._bump_basis import _cell_expansion

    expansion = _cell_expansion(20_000, 0.5, 158)
    assert expansion.shapes.shape[:2] == (158, 158)
    # 78 cells clipped at the left end, 79 at the right, one shape between.
    assert np.all(expansion.shape_of_cell[78:-79] == 0)
    assert np.unique(expansion.shape_of_cell).size == 158


def test_rows_outside_the_bumps_and_steep_bumps_keep_the_design(monkeypatch):
    from sklearn_uat import _bump_basis

    calls = []
    expanded = _bump_basis._expanded_normal_equations
    monkeypatch.setattr(
        _bump_basis,
        "_expanded_normal_equations",
        lambda t, *args: calls.append(t.size) or expanded(t, *args),
    )
    rng = np.random.default_rng(1)
    n_bumps, s = 40, 0.5
    t = np.r_[rng.uniform(0, n_bumps, 30_000), -0.5, -3.0, n_bumps + 0.25]
    g, w = rng.standard_normal((t.size, 1)), np.ones(t.size)
    ab, rhs = _bump_basis._banded_normal_equations(t, g, w, n_bumps, s)
    reference = _bump_basis._direct_normal_equations(t, g, w, n_bumps, s)
    assert calls == [30_000]
    np.testing.assert_allclose(ab, reference[0], rtol=1e-13, atol=0)
    np.testing.assert_allclose(rhs, reference[1], rtol=1e-12)
    # Steep bumps have narrow windows: the design is cheaper than the series.
    calls.clear()
    _bump_basis._banded_normal_equations(t, g, w, n_bumps, 5.0)
    assert calls == []
    # A series that misses the pieces is refused, not used.
    monkeypatch.setattr(_bump_basis, "_expansion_degree", lambda s: 6)
    assert _bump_basis._cell_expansion(n_bumps, s, 42) is None


def test_fits_from_the_chebyshev_cells_equal_fits_from_the_design(monkeypatch):
    from sklearn_uat import _bump_basis

    X, y = make_function("doppler", 20_000, noise=0.05, random_state=0)
    w = np.random.default_rng(0).uniform(0.5, 2.0, y.size)
    grid = np.linspace(0, 1, 1001)[:, None]

    def fits():
        # The first chunk goes through the cells, the second (small) one
        # through the design.
        model = BumpNetRegressor(n_bumps=128, alpha=1e-4)
        chunked = BumpNetRegressor(n_bumps=128, alpha=1e-4, domain=(0, 1))
        for part in (slice(0, 18_000), slice(18_000, None)):
            chunked.partial_fit(X[part], y[part], sample_weight=w[part])
        return model.fit(X, y, sample_weight=w).predict(grid), chunked.predict(grid)

    cells = fits()
    monkeypatch.setattr(_bump_basis, "_expansion_pays", lambda *args: False)
    design = fits()
    for from_cells, from_design in zip(cells, design):
        scale = np.abs(from_design).max()
        np.testing.assert_allclose(from_cells, from_design, rtol=0, atol=1e-10 * scale)


def _gcv(model, X, y):
    n = y.size
    rss = np.sum((model.predict(X) - y) ** 2)
    return n * rss / (n - model.edf_) ** 2


@pytest.mark.parametrize(
    "name, kept",
    [("doppler", 2.0), ("multiscale", 0.25)],
    ids=["doppler", "multiscale"],
)
def test_auto_steepness_keeps_the_layout_of_lower_gcv(name, kept):
    f = get_function(name)
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(2000, 1))
    y = f(X) + 0.01 * np.std(f(X)) * rng.normal(size=2000)
    auto = BumpNetRegressor().fit(X, y)
    assert auto.steepness_ == kept
    # The candidate layouts, given explicitly: auto is the one of lowest
    # GCV, the same model as that layout given explicitly.
    layouts = [(512, 0.5), (1000, 2.0), (32, 0.25), (64, 0.25), (128, 0.25)]
    models = [BumpNetRegressor(n_bumps=n, steepness=s).fit(X, y) for n, s in layouts]
    chosen = models[int(np.argmin([_gcv(m, X, y) for m in models]))]
    assert (auto.n_bumps_, auto.steepness_) == (chosen.n_bumps_, chosen.steepness_)
    X_test = np.linspace(0, 1, 1001)[:, None]
    np.testing.assert_allclose(auto.predict(X_test), chosen.predict(X_test), rtol=1e-12)
    # It estimates the function better than the soft layout alone.
    truth = f(X_test)
    error = {
        m: np.sqrt(np.mean((m.predict(X_test) - truth) ** 2))
        for m in (chosen, models[0])
    }
    assert error[chosen] < 0.8 * error[models[0]]


def test_auto_steepness_is_soft_with_several_inputs_or_given_steepness():
    X, y = make_function("sinc", 400, random_state=0)
    assert BumpNetRegressor().fit(X, y).steepness_ == 0.5
    X1, y1 = make_function("sine", 400, random_state=0)
    assert BumpNetRegressor(steepness=3.0).fit(X1, y1).steepness_ == 3.0
    assert BumpNetRegressor(heights="mean").fit(X1, y1).steepness_ == 0.5


def test_more_bumps_than_the_default_keep_its_smoothness():
    # The default keeps few smooth bumps on a smooth noisy target; two and
    # four times as many, given explicitly, are offered those bumps.
    rng = np.random.default_rng([0, 2000])
    f = get_function("sine")
    a, b = f.domain[0]
    X = rng.uniform(a, b, (2000, 1))
    y = f(X) + 0.05 * f(X).std() * rng.standard_normal(2000)
    grid = np.linspace(a, b, 2001)[:, None]

    def error(model):
        return np.sqrt(np.mean((model.predict(grid) - f(grid)) ** 2))

    default = BumpNetRegressor().fit(X, y)
    assert (default.n_bumps_, default.steepness_) == (16, 0.125)
    for factor in (2, 4):
        more = BumpNetRegressor(n_bumps=factor * default.n_bumps_).fit(X, y)
        assert (more.n_bumps_, more.steepness_) == (16 * factor, 0.125 / factor)
        # The default's own layout, written on the given bumps. (When the
        # default kept 32 bumps at 0.25, 64 given bumps offered only pieces
        # as wide had 1.05 times its error.)
        assert error(more) <= 1.02 * error(default)


def test_a_nested_smooth_layout_is_written_on_the_given_bumps():
    # 32 smooth bumps are every other step of 64 bumps at half the
    # steepness: chosen for n_bumps=64, they are written on its 65 steps
    # and predict as the 32-bump fit does.
    X, y = make_function("sine", 2000, noise=0.3, random_state=0)
    more = BumpNetRegressor(n_bumps=64).fit(X, y)
    smooth = BumpNetRegressor(n_bumps=32, steepness=0.25).fit(X, y)
    assert (more.n_bumps_, more.steepness_) == (64, 0.125)
    assert more.coefs_[0].shape == (1, 65)
    grid = np.linspace(X.min(), X.max(), 1000)[:, None]
    np.testing.assert_allclose(more.predict(grid), smooth.predict(grid), atol=1e-12)
    np.testing.assert_allclose(more.alpha_, smooth.alpha_)
    # Every other step carries no output weight.
    np.testing.assert_array_equal(more.coefs_[1][1::2], 0.0)
