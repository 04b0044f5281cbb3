import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor
from sklearn_uat._directions import gradient_directions
from sklearn_uat._lstsq import _banded_matvec
from sklearn_uat._refine import (
    BumpLayer,
    KnotLayer,
    _BumpModel,
    _KnotModel,
    _ordered_step,
    _turned_layer,
)
from sklearn_uat._ridge_bumps import RidgeBumpLayer, _RidgeBumpModel
from sklearn_uat.datasets import make_function


def rmse(model, X, y):
    return float(np.sqrt(np.mean((model.predict(X) - y) ** 2)))


def quiet_fit(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def sinc():
    X, y = make_function("sinc", 1500, random_state=0)
    Xt, yt = make_function("sinc", 2000, random_state=1)
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def multiscale():
    X, y = make_function("multiscale", 3000, random_state=0)
    Xt, yt = make_function("multiscale", 5000, sampling="grid")
    return X, y, Xt, yt


def cases(sinc, multiscale):
    return [
        (ReluKnotRegressor(24, alpha=0.0), multiscale),
        # Noise-free data: a penalty given, so that the directions and
        # the knots move (with one chosen from the data, only a turn).
        (ReluKnotRegressor(12, directions=1, alpha=1e-8, random_state=0), sinc),
        (BumpNetRegressor(12), multiscale),
        (BumpNetRegressor(6, directions=1, random_state=0), sinc),
    ]


# ----------------------------------------------------------- the objective


@pytest.mark.parametrize("case", range(4))
def test_training_objective_decreases_at_every_step(case, sinc, multiscale):
    model, (X, y, _, _) = cases(sinc, multiscale)[case]
    model = quiet_fit(model.set_params(refine=15), X, y)
    objective = model.refine_objective_
    assert objective.size >= 3
    assert np.all(np.diff(objective) < 0)
    assert model.refine_n_iter_ <= 15


@pytest.mark.parametrize("case", range(4))
def test_refinement_lowers_the_training_error(case, sinc, multiscale):
    model, (X, y, _, _) = cases(sinc, multiscale)[case]
    start = model.fit(X, y)
    start_error = rmse(start, X, y)
    refined = quiet_fit(model.__class__(**model.get_params()), X, y)
    assert rmse(refined, X, y) == start_error  # refine=False: the same fit
    refined = quiet_fit(refined.set_params(refine=10), X, y)
    assert rmse(refined, X, y) < start_error


def test_refinement_improves_held_out_error(sinc, multiscale):
    X, y, Xt, yt = sinc
    start = ReluKnotRegressor(24, directions=1, random_state=0).fit(X, y)
    refined = quiet_fit(start.__class__(**start.get_params()), X, y)
    refined = quiet_fit(refined.set_params(refine=60), X, y)
    # sinc(x1 + x2) is one ridge function: with the default penalty (chosen
    # from the data) the one move is the turn onto the principal direction
    # of the start's gradient, within a few degrees of the ridge.
    assert rmse(refined, Xt, yt) < 0.1 * rmse(start, Xt, yt)
    best = np.max(np.abs(refined.directions_ @ np.array([1.0, 1.0]) / np.sqrt(2)))
    assert best > 0.99

    X, y, Xt, yt = multiscale
    start = BumpNetRegressor(16, margin=0.05).fit(X, y)
    refined = quiet_fit(BumpNetRegressor(16, margin=0.05, refine=40), X, y)
    assert rmse(refined, Xt, yt) < 0.5 * rmse(start, Xt, yt)


def test_noise_free_refinement_is_kept_however_small_its_scores():
    # 32 bumps fit sine to 5e-7: GCV scores near 1e-13 of the targets'
    # variance, below the absolute tie that layouts of one fit share. A
    # refinement that lowers them is kept all the same (it was refused,
    # and the constructive network returned).
    X, y = make_function("sine", 2000, random_state=0)
    Xt, yt = make_function("sine", 5000, random_state=1)
    start = BumpNetRegressor(32, margin=0.05).fit(X, y)
    refined = quiet_fit(BumpNetRegressor(32, margin=0.05, refine=50), X, y)
    assert refined.refine_n_iter_ > 1
    assert rmse(refined, Xt, yt) < 0.1 * rmse(start, Xt, yt)


def test_bumps_learn_the_direction_of_a_ridge_function(sinc):
    X, y, Xt, yt = sinc
    start = BumpNetRegressor(8, directions=1, random_state=0).fit(X, y)
    refined = quiet_fit(clone(start).set_params(refine=20), X, y)
    # Smooth units along the learned direction of sinc(x1 + x2): the
    # additive start on the axes and a random direction cannot fit it.
    # After 20 steps the error is 1e-5 to 4e-5: the steps follow the last
    # bits of the start's sums (its blocks of rows), 40 reach 5e-6.
    assert rmse(refined, Xt, yt) < 1e-3 * rmse(start, Xt, yt)
    assert rmse(refined, Xt, yt) < 1e-4
    best = np.max(refined.directions_ @ np.array([1.0, 1.0]) / np.sqrt(2))
    assert best > 0.9999
    assert refined.n_parameters_ == start.n_parameters_
    np.testing.assert_allclose(np.linalg.norm(refined.directions_, axis=1), 1.0)
    assert np.all(np.diff(refined.edges_, axis=1) > 0)


def test_refinement_is_deterministic(sinc):
    X, y, Xt, _ = sinc
    first = quiet_fit(
        ReluKnotRegressor(8, directions=2, random_state=3, refine=8), X, y
    )
    second = quiet_fit(
        ReluKnotRegressor(8, directions=2, random_state=3, refine=8), X, y
    )
    np.testing.assert_array_equal(first.predict(Xt), second.predict(Xt))
    np.testing.assert_array_equal(first.directions_, second.directions_)
    first = quiet_fit(BumpNetRegressor(6, directions=1, random_state=2, refine=8), X, y)
    second = quiet_fit(clone(first), X, y)
    np.testing.assert_array_equal(first.predict(Xt), second.predict(Xt))
    np.testing.assert_array_equal(first.directions_, second.directions_)
    x = X[:, :1]
    first = quiet_fit(BumpNetRegressor(10, refine=8), x, y)
    second = quiet_fit(BumpNetRegressor(10, refine=8), x, y)
    np.testing.assert_array_equal(first.coefs_[0], second.coefs_[0])


@pytest.mark.parametrize("case", range(4))
def test_refined_predict_is_the_network(case, sinc, multiscale):
    model, (X, y, Xt, _) = cases(sinc, multiscale)[case]
    model = quiet_fit(model.set_params(refine=5), X, y)
    expected = model.network_.forward(Xt)
    np.testing.assert_allclose(model.predict(Xt), expected, rtol=1e-9, atol=1e-10)
    outside = np.vstack([Xt.min(axis=0) - 1.0, Xt.max(axis=0) + 1.0])
    np.testing.assert_allclose(
        model.predict(outside), model.network_.forward(outside), rtol=1e-9
    )


def test_several_targets_are_refined_together(multiscale):
    X, y, _, _ = multiscale
    Y = np.column_stack([y, np.cos(3 * X[:, 0])])
    for model in [ReluKnotRegressor(16, refine=5), BumpNetRegressor(8, refine=5)]:
        model = quiet_fit(model, X, Y)
        assert model.predict(X).shape == Y.shape
        assert np.all(np.diff(model.refine_objective_) < 0)


# ------------------------------------------------------- warnings, budgets


def test_budget_exhausted_warns_and_keeps_the_best_network(multiscale):
    X, y, _, _ = multiscale
    start = ReluKnotRegressor(24, alpha=0.0).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="Raise refine"):
        model = ReluKnotRegressor(24, alpha=0.0, refine=2, refine_tol=0.0).fit(X, y)
    assert model.refine_n_iter_ == 2
    assert rmse(model, X, y) < rmse(start, X, y)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        BumpNetRegressor(8, alpha=1e-6, refine=1, refine_tol=0.0).fit(X, y)


def test_converged_refinement_does_not_warn(multiscale):
    X, y, _, _ = multiscale
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = ReluKnotRegressor(6, alpha=0.0, refine=200, refine_tol=1e-3).fit(X, y)
    assert model.refine_n_iter_ < 200


def test_refine_true_is_a_budget_of_100_iterations():
    from sklearn_uat._refine import refine_budget

    assert refine_budget(True) == 100
    assert refine_budget(False) == 0
    assert refine_budget(7) == 7


def test_refine_false_keeps_the_constructive_model(multiscale):
    X, y, _, _ = multiscale
    model = ReluKnotRegressor(16).fit(X, y)
    assert model.refine_objective_ is None and model.refine_n_iter_ == 0
    np.testing.assert_allclose(model.knots_[0], np.linspace(X.min(), X.max(), 16))


# ------------------------------------------------------------- bad input


@pytest.mark.parametrize("value", [0, -1, 1.5, "yes"])
def test_refine_must_be_a_bool_or_a_positive_count(value, multiscale):
    X, y, _, _ = multiscale
    for model in [ReluKnotRegressor(refine=value), BumpNetRegressor(refine=value)]:
        with pytest.raises(InvalidParameterError, match="refine"):
            model.fit(X, y)


def test_bump_refinement_needs_least_squares_heights_and_additive_rows(sinc):
    X, y, _, _ = sinc
    with pytest.raises(ValueError, match="layout='additive'"):
        BumpNetRegressor(4, refine=True, layout="tower").fit(X, y)
    with pytest.raises(ValueError, match="heights='mean'"):
        BumpNetRegressor(4, heights="mean", refine=True).fit(X[:, :1], y)


# --------------------------------------------------------- degenerate steps


def test_knots_cannot_cross_or_merge():
    knots = np.linspace(0.0, 1.0, 6)
    wild = np.array([0.0, 5.0, -3.0, 0.0, 0.2, 0.0])
    for fixed in [True, False]:
        moved = _ordered_step(knots, wild, 1e-3, fixed)
        gaps = np.diff(moved)
        assert np.all(gaps >= 0.5 * np.diff(knots) - 1e-15)
        if fixed:
            assert moved[0] == 0.0 and moved[-1] == 1.0


def test_directions_stay_unit_vectors_under_any_step():
    rng = np.random.default_rng(0)
    U = rng.uniform(size=(50, 3))
    directions = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    layer = KnotLayer(directions, [np.linspace(0, 1, 5)] * 3)
    model = _KnotModel(U, False, [0, 1, 2], False)
    # A step that would turn each direction onto another and pull it to zero.
    step = np.concatenate([np.r_[1e6, -1e6, np.zeros(5)]] * 3)
    moved = model.move(layer, step)
    np.testing.assert_allclose(np.linalg.norm(moved.directions, axis=1), 1.0)
    for knots in moved.knots:
        assert np.all(np.diff(knots) > 0)


def test_steepness_stays_positive_and_centres_ordered():
    layer = BumpLayer(np.arange(5.0), np.log(np.full(5, 0.5)))
    model = _BumpModel(np.linspace(0, 4, 30), 4.0)
    moved = model.move(layer, np.r_[10.0, -10.0, 0.0, 0.0, 0.0, -1e3, 0, 0, 0, 1e3])
    assert np.all(moved.steepness > 0)
    assert np.all(np.diff(moved.centres) > 0)


def test_ridge_bump_steps_keep_directions_units_and_order():
    rng = np.random.default_rng(0)
    U = rng.uniform(size=(40, 3))
    layer = RidgeBumpLayer(
        np.eye(3)[:2], np.tile(np.arange(5.0), (2, 1)), np.zeros((2, 5))
    )
    model = _RidgeBumpModel(U, [0.0, 0.0], [4.0, 4.0], 3)
    # Per row: a turn of 1e6 radians, centres thrown past each other, and
    # log-steepness steps of -1e3 and 1e3.
    row = np.r_[1e6, -1e6, 10.0, -10.0, 0, 0, 5.0, -1e3, 0, 0, 0, 1e3]
    moved = model.move(layer, np.r_[row, row])
    np.testing.assert_allclose(np.linalg.norm(moved.directions, axis=1), 1.0)
    assert np.all(np.isfinite(moved.steepness)) and np.all(moved.steepness > 0)
    assert np.all(np.diff(moved.centres, axis=1) > 0)


def test_ridge_bump_derivatives_match_finite_differences():
    rng = np.random.default_rng(1)
    U = rng.uniform(size=(30, 2))
    directions = np.array([[1.0, 0.0], [0.6, 0.8]])
    layer = RidgeBumpLayer(
        directions,
        np.tile(np.arange(4.0), (2, 1)) + rng.uniform(-0.2, 0.2, (2, 4)),
        np.log(rng.uniform(0.5, 2.0, (2, 4))),
    )
    model = _RidgeBumpModel(U, [0.1, -0.2], [3.0, 2.5], 2)
    coef = rng.standard_normal(2 * 5)
    D = model.derivatives(layer, coef)
    step = 1e-6
    for k in range(D.shape[1]):
        delta = np.zeros(D.shape[1])
        delta[k] = step
        plus = model.design(model.move(layer, delta)) @ coef
        minus = model.design(model.move(layer, -delta)) @ coef
        np.testing.assert_allclose((plus - minus) / (2 * step), D[:, k], atol=1e-7)


@pytest.mark.parametrize("n_features", [1, 3])
def test_knot_penalty_gradient_matches_finite_differences(n_features):
    # The roughness c.T S(knots) c moves with the knots' spacing; its exact
    # derivative is half the gradient that Levenberg-Marquardt uses.
    rng = np.random.default_rng(4)
    U = rng.uniform(size=(40, n_features))
    if n_features == 1:
        directions = np.ones((1, 1))
    else:
        directions = rng.standard_normal((2, n_features))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    knots = [np.sort(rng.uniform(-0.5, 1.5, 7)) for _ in directions]
    model = _KnotModel(U, False, [0] * len(knots), n_features == 1)
    layer = KnotLayer(directions, knots)
    coef = rng.standard_normal((7 * len(knots), 2))
    lambdas, scale = np.array([0.3, 20.0])[: len(knots)], 1.7

    def roughness(layer):
        blocks = model.blocks(layer)
        return sum(
            lam * scale * np.sum(c * _banded_matvec(b.band, c))
            for lam, b, c in zip(lambdas, blocks, np.split(coef, len(knots)))
        )

    gradient = model.penalty_gradient(layer, coef, lambdas, scale)
    step = 1e-6
    for k in range(gradient.size):
        delta = np.zeros(gradient.size)
        delta[k] = step
        plus, minus = model.move(layer, delta), model.move(layer, -delta)
        numeric = (roughness(plus) - roughness(minus)) / (2 * step)
        np.testing.assert_allclose(2 * gradient[k], numeric, rtol=1e-5, atol=1e-6)


def test_gradient_directions_put_a_ridge_direction_first():
    rng = np.random.default_rng(2)
    U = rng.uniform(size=(200, 3))
    v = np.array([2.0, -1.0, 2.0]) / 3.0
    # The gradient of sin(4 u . v): its direction is v everywhere.
    gradients = (4 * np.cos(4 * U @ v))[:, None] * v
    turn = gradient_directions(gradients[None], None)
    np.testing.assert_allclose(turn[:, 0], v, atol=1e-12)
    np.testing.assert_allclose(turn.T @ turn, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("box", [False, True])
def test_knot_rows_turn_onto_the_gradient_with_their_knots(box):
    # Two axes whose functions rise alike: the gradient is along (1, 1)
    # everywhere, which becomes the first row; every row's knots are carried
    # from the range of its projections (of the unit box with a domain)
    # onto that of its new ones.
    rng = np.random.default_rng(0)
    U = rng.uniform(size=(300, 2))
    axes = np.eye(2)
    ends = np.array([[0.0, 0.0], [1.0, 1.0]]) if box else [U.min(0), U.max(0)]
    knots = [np.linspace(lo, hi, 5) for lo, hi in zip(*ends)]
    start = SimpleNamespace(knots=knots, values=[2.0 * k[:, None] for k in knots])
    layer = _turned_layer(U, start, U, axes, None, False, box)
    np.testing.assert_allclose(layer.directions[0], [0.5**0.5, 0.5**0.5])
    np.testing.assert_allclose(
        layer.directions @ layer.directions.T, np.eye(2), atol=1e-15
    )
    for v, row in zip(layer.directions, layer.knots):
        if box:
            lo, hi = np.minimum(v, 0).sum(), np.maximum(v, 0).sum()
        else:
            lo, hi = (U @ v).min(), (U @ v).max()
        np.testing.assert_allclose(row, np.linspace(lo, hi, 5), atol=1e-12)
    # A fit whose gradient already lies along its rows is not turned.
    flat = SimpleNamespace(
        knots=knots, values=[2.0 * knots[0][:, None], 0 * knots[1][:, None]]
    )
    assert _turned_layer(U, flat, U, axes, None, False, box) is None


def test_refined_network_stays_well_formed(sinc, multiscale):
    X, y, _, _ = multiscale
    model = quiet_fit(ReluKnotRegressor(32, alpha=0.0, refine=50), X, y)
    gaps = np.diff(model.knots_[0])
    assert np.all(gaps > 0)
    assert model.knots_[0][0] == X.min() and model.knots_[0][-1] == X.max()
    bumps = quiet_fit(BumpNetRegressor(16, refine=30), X, y)
    assert np.all(np.diff(bumps.edges_[0]) > 0)
    assert np.all(bumps.coefs_[0] > 0)
    X, y, _, _ = sinc
    model = quiet_fit(
        ReluKnotRegressor(8, directions=2, random_state=0, refine=20), X, y
    )
    np.testing.assert_allclose(np.linalg.norm(model.directions_, axis=1), 1.0)
    assert all(np.all(np.diff(k) > 0) for k in model.knots_)


# ----------------------------------------------------------- init_from


def test_trained_mlp_starts_from_a_refined_network(sinc):
    pytest.importorskip("torch")
    from sklearn_uat import TrainedMLPRegressor

    X, y, Xt, _ = sinc
    refined = quiet_fit(
        ReluKnotRegressor(8, directions=1, random_state=0, refine=10), X, y
    )
    mlp = TrainedMLPRegressor(
        init_from=refined,
        activation="relu",
        max_epochs=1,
        learning_rate=1e-9,
        random_state=0,
    ).fit(X, y)
    assert mlp.coefs_[0].shape[1] >= refined.coefs_[0].shape[1]
    np.testing.assert_allclose(mlp.predict(Xt), refined.predict(Xt), atol=1e-4)


def test_refined_knots_that_fit_noise_are_not_kept():
    # One input of pure noise around a line: moving knots can only fit the
    # noise, so with alpha="reml" the constructive network is returned.
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(300, 1))
    y = 2.0 * X[:, 0] + rng.normal(size=300)
    start = ReluKnotRegressor(n_knots=20).fit(X, y)
    with warnings.catch_warnings():
        # The refinement is discarded, so its budget is not the user's concern.
        warnings.simplefilter("error", ConvergenceWarning)
        refined = ReluKnotRegressor(n_knots=20, refine=20).fit(X, y)
    assert refined.refine_objective_.size == 1
    np.testing.assert_array_equal(refined.predict(X), start.predict(X))
    # Without noise the same refinement is kept: it lowers the GCV score.
    y_smooth = np.sin(8 * X[:, 0])
    with warnings.catch_warnings():
        # 20 iterations do not converge here; the test is about keeping.
        warnings.simplefilter("ignore", ConvergenceWarning)
        kept = ReluKnotRegressor(n_knots=20, refine=20).fit(X, y_smooth)
    assert kept.refine_objective_.size > 1
    assert kept.refine_objective_[-1] < kept.refine_objective_[0]


def test_refused_refinement_returns_the_default_fit():
    # With one input the default compares smoother layouts (here 64 soft
    # bumps); the steps move the plain knots. Refused, refine=True returns
    # the default itself, not the plain knots it started from (which were
    # twice as far from the truth on noisy multiscale).
    X, y = make_function("multiscale", 400, noise=0.01, random_state=0)
    default = ReluKnotRegressor().fit(X, y)
    refined = quiet_fit(ReluKnotRegressor(refine=20), X, y)
    assert default.bump_layout_ is not None
    assert refined.bump_layout_ == default.bump_layout_
    assert refined.refine_objective_.size == 1
    np.testing.assert_array_equal(refined.predict(X), default.predict(X))


def noisy_ridge(seed, n=150, noise=0.3):
    # sin(6 v.x) along v at 30 degrees: between the start's directions.
    rng = np.random.default_rng(seed)
    X, Xt = rng.uniform(size=(n, 2)), rng.uniform(size=(2000, 2))
    v = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    return X, np.sin(6 * X @ v) + noise * rng.normal(size=n), Xt, np.sin(6 * Xt @ v)


def test_noisy_rows_turn_onto_a_ridge_function():
    # 150 noisy samples of a ridge function, the axes and one random
    # direction (rows following cubic splines, under fourth differences).
    # The rows turn, as one rotation, onto the principal direction of the
    # start's gradient: the first lies on the ridge, the GCV score with the
    # angle counted falls, and so does the error against the noise-free
    # function (0.18 to 0.32 times the start's in four draws; 0.32 here).
    # No steps follow: on noisy data they fitted the noise.
    X, y, Xt, truth = noisy_ridge(1, noise=0.1)
    params = dict(directions=1, random_state=0)
    start = ReluKnotRegressor(**params).fit(X, y)
    refined = quiet_fit(ReluKnotRegressor(refine=30, **params), X, y)
    assert start.directions_.shape == refined.directions_.shape == (3, 2)
    assert refined.penalty_order_ == start.penalty_order_ == 4
    v = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    assert abs(refined.directions_[0] @ v) > 0.99
    # One rotation of all rows: the angles between them stay.
    np.testing.assert_allclose(
        refined.directions_ @ refined.directions_.T,
        start.directions_ @ start.directions_.T,
        atol=1e-12,
    )
    assert rmse(refined, Xt, truth) < 0.5 * rmse(start, Xt, truth)
    # Each row's knots keep their spacing.
    for before, after in zip(start.knots_, refined.knots_):
        np.testing.assert_allclose(
            np.diff(after) / (after[-1] - after[0]),
            np.diff(before) / (before[-1] - before[0]),
        )


def test_a_constant_input_leaves_the_turn_within_the_other_inputs():
    # A constant third input: the data say nothing of the gradient along
    # it, so the turn stays within the two inputs that vary and finds the
    # ridge as it does without the constant column.
    X, y, Xt, truth = noisy_ridge(1, noise=0.1)
    params = dict(directions=1, random_state=0)
    plain = quiet_fit(ReluKnotRegressor(refine=True, **params), X, y)
    constant = np.full((X.shape[0], 1), 2.0)
    padded = quiet_fit(
        ReluKnotRegressor(refine=True, **params), np.hstack([X, constant]), y
    )
    v = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6), 0.0])
    assert abs(padded.directions_[0] @ v) > 0.99
    Xt_padded = np.hstack([Xt, np.full((Xt.shape[0], 1), 2.0)])
    assert rmse(padded, Xt_padded, truth) < 1.05 * rmse(plain, Xt, truth)


def test_turned_knots_span_the_domain_box():
    # With a domain the knots of every turned row span the projection of
    # the unit box of the scaled inputs, as the constructive fit lays them.
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(400, 2))
    v = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    y = np.sin(6 * X @ v) + 0.1 * rng.normal(size=400)
    model = quiet_fit(
        ReluKnotRegressor(
            directions=1, random_state=0, refine=True, domain=[[0, 1], [0, 1]]
        ),
        X,
        y,
    )
    assert abs(model.directions_[0] @ v) > 0.99
    lo = np.minimum(model.directions_, 0).sum(axis=1)
    hi = np.maximum(model.directions_, 0).sum(axis=1)
    for knots, a, b in zip(model.knots_, lo, hi):
        assert knots[0] == pytest.approx(a, abs=1e-12)
        assert knots[-1] == pytest.approx(b, abs=1e-12)


def test_noisy_rows_of_bumps_turn_onto_a_ridge_function():
    # BumpNet's rows turn onto the principal directions of a pilot fit's
    # gradient; on noisy data the turned rows get penalties of their own
    # and are kept because GCV, the rotation's angle counted, falls (error
    # against the noise-free function 0.61 to 1.0 times the default's in
    # three draws of 150 samples, 0.61 here).
    X, y, Xt, truth = noisy_ridge(2, noise=0.1)
    start = BumpNetRegressor().fit(X, y)
    refined = quiet_fit(BumpNetRegressor(refine=True), X, y)
    v = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    assert abs(refined.directions_[0] @ v) > 0.999
    assert rmse(refined, Xt, truth) < 0.7 * rmse(start, Xt, truth)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_refined_directions_of_pure_noise_are_not_kept(seed):
    rng = np.random.default_rng(seed)
    X, y = rng.uniform(size=(150, 2)), rng.normal(size=150)
    start = ReluKnotRegressor().fit(X, y)
    refined = quiet_fit(ReluKnotRegressor(refine=30), X, y)
    assert refined.refine_objective_.size == 1
    np.testing.assert_array_equal(refined.predict(X), start.predict(X))
    # Nor are BumpNet's turned rows (the default sums its rows in blocks:
    # the same fit to rounding).
    start = BumpNetRegressor().fit(X, y)
    refined = quiet_fit(BumpNetRegressor(refine=30), X, y)
    np.testing.assert_array_equal(refined.directions_, start.directions_)
    np.testing.assert_allclose(refined.predict(X), start.predict(X), atol=1e-12)
