"""Fits beyond memory: partial_fit over chunks equals fit on all the rows."""

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_uat import (
    BumpNetRegressor,
    ReluKnotRegressor,
    TrainedMLPRegressor,
    _bump_basis,
)
from sklearn_uat._stream import TargetStatistics, check_domain
from sklearn_uat._validation import standard_scaling_columns


def _data(n_samples=3000, n_features=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 3.0, size=(n_samples, n_features))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.normal(size=n_samples) + 50.0
    Y = np.column_stack([y, 2.0 * y - X[:, 0]])
    domain = np.column_stack([np.full(n_features, -2.0), np.full(n_features, 3.0)])
    return X, y, Y, domain


def _streamed(estimator, X, y, n_chunks, sample_weight=None, order=None):
    """partial_fit over chunks of rows sorted by the first input."""
    order = np.argsort(X[:, 0], kind="stable") if order is None else order
    for part in np.array_split(order, n_chunks):
        weight = None if sample_weight is None else sample_weight[part]
        estimator.partial_fit(X[part], y[part], sample_weight=weight)
    return estimator


ESTIMATORS = [
    pytest.param(ReluKnotRegressor(n_knots=40), 1, id="relu-one-input"),
    # A given count with the smoother grids resampled onto its knots.
    pytest.param(ReluKnotRegressor(n_knots=300), 1, id="relu-resampled-grids"),
    pytest.param(
        ReluKnotRegressor(n_knots=8, directions=3, random_state=0),
        3,
        id="relu-directions",
    ),
    # Fifteen rows, their orders of differences compared by GCV from the
    # summed statistics (third differences kept).
    pytest.param(ReluKnotRegressor(), 3, id="relu-default-directions"),
    # More knots than the default's 133 a row: its splines, written on them.
    pytest.param(ReluKnotRegressor(n_knots=200), 3, id="relu-more-knots"),
    # Candidates summed side by side; the one kept, 16 smooth bumps, is
    # written on the 32 given.
    pytest.param(BumpNetRegressor(n_bumps=32), 1, id="bump-one-input"),
    pytest.param(BumpNetRegressor(n_bumps=8, directions="axes"), 3, id="bump-additive"),
    # n_bumps="auto" with steepness="auto": candidate layouts summed side
    # by side, GCV keeps one from the summed statistics.
    pytest.param(BumpNetRegressor(directions="axes"), 3, id="bump-additive-layouts"),
]

#: The default rows of three inputs: soft bumps along fifteen directions,
#: reaching half the range beyond the data, are nearly collinear, so their
#: solve amplifies the rounding of the sums (to about 1e-6 of the
#: predictions, were the chunks summed as they come). Summed in the blocks
#: of rows that fit takes, they are fit's sums to the last bit.
DEFAULT_ROWS = pytest.param(BumpNetRegressor(), 3, id="bump-default-rows")


@pytest.mark.parametrize("estimator, n_features", [*ESTIMATORS, DEFAULT_ROWS])
@pytest.mark.parametrize("multi_output", [False, True])
def test_chunked_fit_equals_one_shot_fit(estimator, n_features, multi_output):
    X, y, Y, domain = _data(n_features=n_features)
    target = Y if multi_output else y
    estimator = clone(estimator).set_params(domain=domain)
    # fit on the rows as the chunks bring them, sorted by the first input.
    order = np.argsort(X[:, 0], kind="stable")
    one_shot = clone(estimator).fit(X[order], target[order])
    chunked = _streamed(clone(estimator), X, target, n_chunks=7, order=order)
    X_test, *_ = _data(500, n_features, seed=1)
    expected = one_shot.predict(X_test)
    assert chunked.predict(X_test).shape == expected.shape
    np.testing.assert_allclose(
        chunked.predict(X_test),
        expected,
        rtol=1e-10,
        atol=1e-10 * np.abs(expected).max(),
    )
    # REML on the summed statistics chooses the penalty of the one-shot fit.
    np.testing.assert_allclose(chunked.alpha_, one_shot.alpha_, rtol=1e-8)
    if hasattr(one_shot, "steepness_"):
        assert chunked.steepness_ == one_shot.steepness_
        assert chunked.n_bumps_ == one_shot.n_bumps_
    else:
        assert chunked.penalty_order_ == one_shot.penalty_order_
    # The effective degrees of freedom of soft bumps (nearly collinear
    # pieces, smoothed by their penalty) agree to about 2e-8.
    np.testing.assert_allclose(chunked.edf_, one_shot.edf_, rtol=1e-7)
    if hasattr(one_shot, "bump_layout_"):
        assert chunked.bump_layout_ == one_shot.bump_layout_


@pytest.mark.parametrize("seed", [0, 3])
def test_default_rows_of_bumps_in_uneven_chunks_with_zero_weights(seed, monkeypatch):
    # Chunks of any size, cut anywhere in the blocks of rows that fit sums
    # apart, with rows of zero weight among them: the sums, the penalties
    # and the output weights are fit's, bit for bit. Before the blocks,
    # chunked and one-shot fits differed by 5e-7 to 4e-5 of the
    # predictions' spread over six draws (seed 3: a penalty a step of its
    # grid apart).
    monkeypatch.setattr(_bump_basis, "_BLOCK_ROWS", 300)
    X, y, _, domain = _data(n_features=3, seed=seed)
    weight = np.random.default_rng(seed).integers(0, 3, size=y.size).astype(float)
    estimator = BumpNetRegressor(domain=domain)
    one_shot = clone(estimator).fit(X, y, sample_weight=weight)
    chunked = clone(estimator)
    cuts = [0, 1, 250, 1999, 2000, 2001, 2600, y.size]
    for a, b in zip(cuts[:-1], cuts[1:]):
        chunked.partial_fit(X[a:b], y[a:b], sample_weight=weight[a:b])
    assert one_shot.margin_ == 0.5
    assert chunked._stream["blocks"].rows == 300
    np.testing.assert_array_equal(chunked.alpha_, one_shot.alpha_)
    for a, b in zip(
        chunked.coefs_ + chunked.intercepts_, one_shot.coefs_ + one_shot.intercepts_
    ):
        np.testing.assert_array_equal(a, b)
    # Rows of zero weight are as good as left out.
    kept = weight > 0
    dropped = clone(estimator).fit(X[kept], y[kept], sample_weight=weight[kept])
    np.testing.assert_array_equal(dropped.coefs_[-1], one_shot.coefs_[-1])


def test_rows_kept_for_the_open_block_are_copies():
    # partial_fit keeps the rows of the block still open; a caller that
    # reuses its buffer for the next chunk must not change them.
    X, y, _, domain = _data(2500, n_features=3)
    estimator = BumpNetRegressor(domain=domain)
    expected = clone(estimator).fit(X, y)
    buffer_X, buffer_y = np.empty((500, 3)), np.empty(500)
    chunked = clone(estimator)
    for a in range(0, y.size, 500):
        buffer_X[:], buffer_y[:] = X[a : a + 500], y[a : a + 500]
        chunked.partial_fit(buffer_X, buffer_y)
    np.testing.assert_array_equal(chunked.coefs_[-1], expected.coefs_[-1])


@pytest.mark.parametrize(
    "estimator", [ReluKnotRegressor(n_knots=30), BumpNetRegressor(n_bumps=20)]
)
def test_chunked_weights_equal_repeated_rows(estimator):
    X, y, _, domain = _data(1000)
    weight = np.random.default_rng(2).integers(0, 3, size=y.size).astype(float)
    estimator = clone(estimator).set_params(domain=domain)
    weighted = _streamed(clone(estimator), X, y, 4, sample_weight=weight)
    repeat = np.repeat(np.arange(y.size), weight.astype(int))
    one_shot = clone(estimator).fit(X[repeat], y[repeat])
    X_test, *_ = _data(200, seed=3)
    np.testing.assert_allclose(
        weighted.predict(X_test), one_shot.predict(X_test), rtol=1e-10
    )


@pytest.mark.parametrize("estimator", [ReluKnotRegressor(), BumpNetRegressor()])
def test_defaults_on_a_domain_agree_with_few_samples(estimator):
    # A domain sizes the layer for plentiful data (2048 knots), so on 300
    # rows REML smooths hard. Its penalty is fixed by the criterion only to
    # about 1e-8, through the quadratic forms of nearly linear coefficients;
    # rounded to the penalty grid, chunked and one-shot fits are the same.
    X, y, _, domain = _data(300)
    estimator = clone(estimator).set_params(domain=domain)
    one_shot = clone(estimator).fit(X, y)
    chunked = _streamed(clone(estimator), X, y, n_chunks=7)
    assert one_shot.alpha_ == chunked.alpha_
    X_test, *_ = _data(200, seed=3)
    np.testing.assert_allclose(
        chunked.predict(X_test), one_shot.predict(X_test), rtol=1e-10
    )


def test_explicit_knots_fix_the_layer_without_a_domain():
    X, y, _, _ = _data(2000)
    knots = np.linspace(-2.0, 3.0, 25)
    one_shot = ReluKnotRegressor(knots=knots).fit(X, y)
    chunked = _streamed(ReluKnotRegressor(knots=knots), X, y, n_chunks=5)
    np.testing.assert_allclose(chunked.knots_[0], knots)
    np.testing.assert_allclose(chunked.predict(X), one_shot.predict(X), rtol=1e-10)


def test_first_chunk_fixes_the_layer_and_later_rows_must_lie_inside():
    X, y, _, _ = _data(2000)
    model = ReluKnotRegressor(n_knots=20)
    model.partial_fit(X[:1000], y[:1000])
    np.testing.assert_allclose(model.input_offset_, X[:1000].min(axis=0))
    before = model.predict(X)
    outside = X[1000:].copy()
    outside[0, 0] = 10.0
    with pytest.raises(ValueError, match="outside the domain.*first chunk"):
        model.partial_fit(outside, y[1000:])
    # A refused chunk leaves the model as it was.
    np.testing.assert_array_equal(model.predict(X), before)


def test_a_streamed_fit_reports_no_training_error():
    X, y, _, domain = _data(500)
    model = _streamed(ReluKnotRegressor(n_knots=10, domain=domain), X, y, 2)
    assert np.isnan(model.train_max_error_)


@pytest.mark.parametrize("make", [ReluKnotRegressor, BumpNetRegressor])
def test_a_domain_allows_rounding_but_not_rows_outside(make):
    # A MinMaxScaler may return 1.0000000000000002 for the largest row.
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(200, 1))
    X[0, 0], X[1, 0] = 1.0 + 2e-16, -1e-15
    y = np.sin(6.0 * X[:, 0])
    model = make(domain=[(0.0, 1.0)]).fit(X, y)
    model.partial_fit(X, y)
    X[0, 0] = 1.0 + 1e-6
    with pytest.raises(ValueError, match=r"ranges over \[-1e-15, 1.000001\]"):
        model.partial_fit(X, y)


@pytest.mark.parametrize("make", [ReluKnotRegressor, BumpNetRegressor])
def test_bad_chunks_are_refused_with_the_fix(make):
    X, y, Y, domain = _data(600, n_features=2)
    model = make(domain=domain).partial_fit(X[:300], y[:300])
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[300:, :1], y[300:])
    bad = X[300:].copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.partial_fit(bad, y[300:])
    with pytest.raises(ValueError, match="outside the domain"):
        model.partial_fit(X[300:] + 10.0, y[300:])
    with pytest.raises(ValueError, match="target"):
        model.partial_fit(X[300:], Y[300:])
    model.set_params(domain=domain * 2)
    with pytest.raises(ValueError, match=r"parameters \['domain'\] changed"):
        model.partial_fit(X[300:], y[300:])


@pytest.mark.parametrize(
    "estimator, match",
    [
        (ReluKnotRegressor(tol=1e-3), "tol, knots='adaptive' and refine"),
        (ReluKnotRegressor(knots="adaptive"), "tol, knots='adaptive' and refine"),
        (BumpNetRegressor(heights="mean"), "heights='lstsq'"),
        (BumpNetRegressor(layout="tower"), "layout='additive'"),
    ],
)
def test_layers_that_need_all_rows_have_no_partial_fit(estimator, match):
    assert not hasattr(estimator, "partial_fit")
    assert hasattr(
        clone(estimator).set_params(tol=None, knots="uniform")
        if isinstance(estimator, ReluKnotRegressor)
        else clone(estimator).set_params(heights="lstsq", layout="additive"),
        "partial_fit",
    )
    da = pytest.importorskip("dask.array")
    X, y, _, _ = _data(300, n_features=2)
    with pytest.raises(ValueError, match=match):
        estimator.fit(da.from_array(X), da.from_array(y))
    assert not hasattr(estimator, "n_features_in_")


def test_fit_with_a_domain_refuses_rows_outside_it():
    X, y, _, _ = _data(300)
    with pytest.raises(ValueError, match="outside the domain"):
        ReluKnotRegressor(domain=[(-1.0, 1.0)]).fit(X, y)
    with pytest.raises(ValueError, match="domain must hold one"):
        BumpNetRegressor(domain=[(-2.0, 3.0)] * 2).fit(X, y)
    with pytest.raises(ValueError, match="lo < hi"):
        check_domain([(1.0, 1.0)], 1)


def test_standardised_statistics_match_the_in_memory_scaling():
    rng = np.random.default_rng(4)
    Y = np.column_stack([1e6 + rng.normal(size=400), rng.normal(size=400) * 1e-3])
    w = rng.uniform(0.5, 2.0, size=400)

    def equations(targets, rows):
        design = np.ones((rows.size, 1))
        from sklearn_uat._lstsq import NormalEquations

        return NormalEquations(
            design.T @ (design * w[rows, None]),
            design.T @ (targets * w[rows, None]),
            np.einsum("ij,ij->j", targets, targets * w[rows, None]),
            float(w[rows].sum()),
        )

    first = np.arange(100)
    shift, unit = TargetStatistics.reference(Y[first], w[first])
    total = None
    for rows in np.array_split(np.arange(400), 4):
        part = TargetStatistics.of_chunk(
            lambda t, rows=rows: equations(t, rows), Y[rows], w[rows], shift, unit
        )
        total = part if total is None else total + part
    _, mean, std = total.standardised()
    expected_mean, expected_std = standard_scaling_columns(Y, w)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-14)
    np.testing.assert_allclose(std, expected_std, rtol=1e-9)


# --------------------------------------------------------------------------
# TrainedMLPRegressor: the input scaling of partial_fit.
# --------------------------------------------------------------------------


def test_mlp_partial_fit_scales_from_the_domain_and_warns_outside():
    X, y, _, _ = _data(400)
    order = np.argsort(X[:, 0])
    low, high = order[:200], order[200:]
    model = TrainedMLPRegressor((8,), random_state=0, domain=[(-2.0, 3.0)])
    model.partial_fit(X[low], y[low])
    np.testing.assert_allclose(model.input_offset_, [0.5])
    np.testing.assert_allclose(model.input_scale_, [2.5])
    with pytest.warns(UserWarning, match="outside the range the input scaling"):
        TrainedMLPRegressor((8,), random_state=0).partial_fit(
            X[low], y[low]
        ).partial_fit(X[high], y[high])


@pytest.mark.parametrize("estimator, n_features", ESTIMATORS)
def test_partial_fit_continues_fit_exactly(estimator, n_features):
    X, y, _, domain = _data(n_features=n_features)
    estimator = clone(estimator).set_params(domain=domain)
    order = np.argsort(X[:, 0])
    head, tail = order[:1000], order[1000:]
    continued = clone(estimator).fit(X[head], y[head])
    _streamed(continued, X, y, n_chunks=3, order=tail)
    one_shot = clone(estimator).fit(X, y)
    np.testing.assert_allclose(continued.predict(X), one_shot.predict(X), rtol=1e-10)


@pytest.mark.parametrize(
    "estimator, n_features",
    [
        (ReluKnotRegressor(n_knots=200, domain=[(-2.0, 3.0)]), 1),
        (
            ReluKnotRegressor(
                n_knots=8, directions=3, random_state=0, domain=[(-2.0, 3.0)] * 3
            ),
            3,
        ),
        (BumpNetRegressor(n_bumps=30, domain=[(-2.0, 3.0)]), 1),
    ],
)
def test_chunks_after_the_first_in_any_order_give_the_same_model_to_the_bit(
    estimator, n_features
):
    # The first chunk fixes the layer and the map of the targets; the sums
    # of the others are then carried exactly, so that the order in which
    # they arrive (one by one here, in a tree on Dask) leaves no trace, not
    # even in the penalty that REML chooses from them.
    X, y, _, _ = _data(20_000, n_features)
    order = np.arange(X.shape[0])
    in_order = _streamed(clone(estimator), X, y, 16, order=order)
    parts = np.array_split(order, 16)
    shuffled = [parts[0]] + [
        parts[k] for k in np.random.default_rng(1).permutation(np.arange(1, 16))
    ]
    other = _streamed(clone(estimator), X, y, 16, order=np.concatenate(shuffled))
    np.testing.assert_array_equal(other.alpha_, in_order.alpha_)
    np.testing.assert_array_equal(other.coefs_[-1], in_order.coefs_[-1])
