import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_uat import FeedForwardNetwork, ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.construct import (
    add,
    affine,
    compose,
    deepen,
    distance,
    product,
    square,
    stack,
)

EPS = np.finfo(np.float64).eps


def torch_forward(network, X):
    with torch.no_grad():
        out = network.to_torch()(torch.as_tensor(X, dtype=torch.float64)).numpy()
    return out[:, 0] if network.n_outputs == 1 else out


def distance_truth(X):
    return np.hypot(X[:, 0] - X[:, 2], X[:, 1] - X[:, 3])


# ------------------------------------------------------------------ square


def test_square_meets_its_bound_exactly_for_20_levels():
    # At dyadic points k / 2^21 every operation of the network is exact in
    # float64 (its weights are powers of two), so this is the construction's
    # error itself: never above 2^(-2m-2), and equal to it at the midpoints
    # of the 2^m intervals.
    rng = np.random.default_rng(0)
    anywhere = rng.integers(0, 2**21 + 1, size=50_000) / 2.0**21
    for m in range(1, 21):
        n_mid = 2**m
        picked = np.arange(n_mid) if n_mid <= 50_000 else rng.integers(0, n_mid, 50_000)
        midpoints = (2 * picked + 1) / 2.0 ** (m + 1)
        bound = 2.0 ** (-2 * m - 2)
        error = square(m).forward(anywhere[:, None]) - anywhere**2
        assert error.min() >= 0.0 and error.max() <= bound, m
        error = square(m).forward(midpoints[:, None]) - midpoints**2
        np.testing.assert_array_equal(error, bound)


@pytest.mark.parametrize(
    "domain", [(0.0, 1.0), (-1.0, 1.0), (-5.0, 3.0), (1e6, 1e7), (1e3, 1e3 + 1)]
)
def test_square_bound_on_dense_grids_up_to_the_last_level(domain):
    low, high = domain
    x = np.linspace(low, high, 200_001)
    levels = [m for m in range(1, 26) if _accepts(m, domain)]
    assert levels, domain
    rounding = 8 * EPS * max(low * low, high * high)
    for m in [levels[0], levels[len(levels) // 2], levels[-1]]:
        error = square(m, domain=domain).forward(x[:, None]) - x**2
        bound = (high - low) ** 2 * 2.0 ** (-2 * m - 2)
        assert error.min() >= -rounding
        assert error.max() <= bound + rounding
        # The bound is tight: grid points fall near the midpoints.
        assert error.max() >= 0.99 * bound
        # Rounding stays small beside the bound at every accepted level.
        assert rounding <= bound / 16


def _accepts(m, domain):
    try:
        square(m, domain=domain)
    except ValueError:
        return False
    return True


def test_square_shape_and_parameter_count():
    for m in [1, 2, 7, 21]:
        net = square(m)
        assert net.hidden_layer_sizes == (3,) * m
        assert net.activations == ["relu"] * m + ["identity"]
        assert net.n_parameters == 12 * m - 2


def test_square_refuses_levels_below_one_or_beyond_float64():
    for bad in [0, -3]:
        with pytest.raises(ValueError, match="at least 1"):
            square(bad)
    with pytest.raises(ValueError, match=r"n_levels <= 21"):
        square(22)
    # A domain far from 0 resolves fewer levels, and the message says so.
    with pytest.raises(ValueError, match=r"n_levels <= 11.*near 0"):
        square(12, domain=(1e3, 1e3 + 1))
    with pytest.raises(ValueError, match="float64"):
        square(1, domain=(1e12, 1e12 + 1))
    for bad in [2.0, True, "3", None]:
        with pytest.raises(TypeError, match="n_levels must be an int"):
            square(bad)


@pytest.mark.parametrize(
    "domain, match",
    [
        ((1.0, 0.0), "Swap the bounds"),
        ((0.5, 0.5), "low < high"),
        ((0.0, np.inf), "finite"),
        ((-np.inf, 0.0), "finite"),
        ((np.nan, 1.0), "finite"),
        ((-1e308, 1e308), "overflows"),
    ],
)
def test_square_refuses_bad_domains(domain, match):
    with pytest.raises(ValueError, match=match):
        square(3, domain=domain)


def test_square_domain_must_be_a_pair():
    for bad in [(0.0,), (0, 1, 2), 1.0, "ab"]:
        with pytest.raises(TypeError, match=r"pair \(low, high\)"):
            square(3, domain=bad)


# ----------------------------------------------------------------- product


@pytest.mark.parametrize("domain", [(0.0, 1.0), (-1.0, 1.0), ((-1.0, 1.0), (0.0, 3.0))])
def test_product_meets_its_bound(domain):
    if np.ndim(domain) == 1:
        (a1, b1), (a2, b2) = domain, domain
    else:
        (a1, b1), (a2, b2) = domain
    g1, g2 = np.linspace(a1, b1, 513), np.linspace(a2, b2, 513)
    X = np.column_stack([a.ravel() for a in np.meshgrid(g1, g2)])
    truth = X[:, 0] * X[:, 1]
    for m in [1, 4, 8, 12]:
        net = product(m, domain=domain)
        bound = ((b1 - a1) + (b2 - a2)) ** 2 * 2.0 ** (-2 * m - 4)
        error = np.abs(net.forward(X) - truth).max()
        assert error <= bound + 1e-14
        if m <= 4:  # the grid reaches the points where the bound is attained
            assert error >= 0.99 * bound
        assert net.hidden_layer_sizes == (6,) * m


def test_product_refuses_bad_domains_and_levels():
    with pytest.raises(ValueError, match="one interval"):
        product(3, domain=[(0, 1), (0, 1), (0, 1)])
    with pytest.raises(ValueError, match=r"domain\[1\].*Swap"):
        product(3, domain=[(0, 1), (1, 0)])
    with pytest.raises(ValueError, match="at least 1"):
        product(0)
    with pytest.raises(TypeError, match="n_levels"):
        product(1.5)


# ----------------------------------------------------------------- algebra


def test_affine_computes_its_map_and_checks_shapes():
    net = affine([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5])
    X = np.array([[1.0, 1.0], [0.0, 2.0]])
    np.testing.assert_array_equal(net.forward(X), X @ [[1, 2], [3, 4]] + [0.5, -0.5])
    assert net.hidden_layer_sizes == ()
    with pytest.raises(ValueError, match="as a column"):
        affine([1.0, 2.0])
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        affine(np.eye(2), [1.0])
    with pytest.raises(ValueError, match="finite"):
        affine([[np.inf]])


def test_compose_merges_linear_layers_and_computes_the_composition():
    inner = stack(square(3), square(5))  # 2 -> 2, 5 hidden layers
    outer = product(4)  # 2 -> 1, 4 hidden layers
    net = compose(outer, inner)
    assert net.hidden_layer_sizes == inner.hidden_layer_sizes + outer.hidden_layer_sizes
    # The merged layer: inner's last width times outer's first width.
    merged = inner.hidden_layer_sizes[-1] * outer.hidden_layer_sizes[0]
    assert net.coefs[len(inner.hidden_layer_sizes)].shape == (6, 6)
    assert net.n_parameters == (
        inner.n_parameters
        + outer.n_parameters
        - inner.coefs[-1].size
        - inner.intercepts[-1].size
        - outer.coefs[0].size
        + merged
    )
    X = np.random.default_rng(0).uniform(size=(1000, 2))
    np.testing.assert_allclose(
        net.forward(X), outer.forward(inner.forward(X)), rtol=0, atol=1e-14
    )


def test_compose_chains_a_network_with_a_nonlinear_output():
    relu_out = FeedForwardNetwork([np.array([[1.0, -1.0]])], [np.zeros(2)], ["relu"])
    net = compose(affine([[1.0], [1.0]]), relu_out)  # |x|
    assert net.activations == ["relu", "identity"]
    np.testing.assert_array_equal(net.forward(np.array([[-2.0], [3.0]])), [2.0, 3.0])


def test_compose_refuses_mismatched_shapes_and_non_networks():
    with pytest.raises(ValueError, match="inner has 2 outputs but outer takes 1"):
        compose(square(3), stack(square(2), square(2)))
    with pytest.raises(TypeError, match="outer must be a FeedForwardNetwork"):
        compose(np.eye(2), square(2))
    with pytest.raises(TypeError, match="inner must be a FeedForwardNetwork"):
        compose(square(2), ReluKnotRegressor())


def test_stack_pads_shallower_networks_exactly():
    shallow, deep = square(2), square(6)
    line = affine([[-3.0]], [1.0])  # negative values, carried as relu(z), relu(-z)
    both = stack(shallow, deep, line)
    assert both.hidden_layer_sizes == (3 + 3 + 2,) * 6
    X = np.random.default_rng(0).uniform(size=(1000, 3))
    expected = np.column_stack(
        [shallow.forward(X[:, :1]), deep.forward(X[:, 1:2]), 1.0 - 3.0 * X[:, 2]]
    )
    np.testing.assert_allclose(both.forward(X), expected, rtol=0, atol=1e-15)


def test_stack_shared_input_reads_the_same_inputs():
    both = stack(square(4), affine([[2.0]]), shared_input=True)
    x = np.linspace(0, 1, 11)[:, None]
    np.testing.assert_allclose(
        both.forward(x), np.column_stack([square(4).forward(x), 2 * x[:, 0]])
    )


def test_stack_refuses_what_it_cannot_stack():
    with pytest.raises(ValueError, match="same number of inputs"):
        stack(square(2), product(2), shared_input=True)
    tanh = FeedForwardNetwork(
        [np.ones((1, 2)), np.ones((2, 1))],
        [np.zeros(2), np.zeros(1)],
        ["tanh", "identity"],
    )
    with pytest.raises(ValueError, match="ReLU hidden layers"):
        stack(tanh, square(3))
    with pytest.raises(ValueError, match="same activation in each layer"):
        stack(tanh, square(1))
    with pytest.raises(ValueError, match="at least one network"):
        stack()


def test_add_sums_networks_of_any_depth():
    f = add(square(10), affine([[-1.0]]), square(3))
    x = np.linspace(0, 1, 10_001)
    assert np.abs(f.forward(x[:, None]) - (2 * x**2 - x)).max() <= 2.0**-22 + 2.0**-8
    assert f.n_outputs == 1 and len(f.hidden_layer_sizes) == 10
    with pytest.raises(ValueError, match="at least two networks"):
        add(square(3))
    with pytest.raises(ValueError, match="same number of outputs"):
        add(stack(square(2), square(2), shared_input=True), square(2))


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 12),
    scale=st.floats(0.1, 10.0),
    shift=st.floats(-5.0, 5.0),
)
def test_square_composed_with_an_affine_map_is_a_square_of_it(m, scale, shift):
    # compose folds the affine map into the first layer: on inputs u with
    # scale * u + shift in [0, 1], the network is square(m) at that point.
    net = compose(square(m), affine([[scale]], [shift]))
    u = (np.linspace(0, 1, 257) - shift) / scale
    np.testing.assert_allclose(
        net.forward(u[:, None]),
        square(m).forward((scale * u + shift)[:, None]),
        rtol=0,
        atol=1e-12,
    )


# ---------------------------------------------------------------- distance


def test_distance_meets_tol_with_about_a_hundred_relus():
    net = distance(1e-3)
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(200_000, 4))
    # Near-coincident points, where the square root is steepest.
    near = X.copy()
    near[:, 2:] = np.clip(X[:, :2] + rng.normal(scale=1e-3, size=(200_000, 2)), 0, 1)
    corners = np.array([[0, 0, 1, 1], [0, 1, 1, 0], [0.5, 0.5, 0.5, 0.5]], float)
    X = np.vstack([X, near, corners])
    error = np.abs(net.forward(X) - distance_truth(X)).max()
    assert error <= 1e-3
    n_relus = sum(net.hidden_layer_sizes)
    assert n_relus == 106
    assert net.n_features_in == 4 and net.n_outputs == 1


def test_distance_error_falls_with_tol():
    X = np.random.default_rng(1).uniform(size=(20_000, 4))
    errors, relus = [], []
    for tol in [1e-1, 1e-2, 1e-4]:
        net = distance(tol)
        errors.append(np.abs(net.forward(X) - distance_truth(X)).max())
        relus.append(sum(net.hidden_layer_sizes))
        assert errors[-1] <= tol
    assert errors == sorted(errors, reverse=True)
    assert relus == sorted(relus)


def test_distance_refuses_bad_tol():
    for bad in [0.0, -1e-3, 1e-7, 0.6, np.nan]:
        with pytest.raises(ValueError, match=r"tol must be in \[1e-6, 0.5\]"):
            distance(bad)
    with pytest.raises(TypeError, match="tol must be a number"):
        distance("1e-3")


# ------------------------------------------------------------------ deepen


@pytest.mark.parametrize("width", [3, 4, 5, 9])
def test_deepen_computes_the_shallow_network_on_its_domain(width):
    x = np.linspace(-np.pi, np.pi, 4001)[:, None]
    shallow = ReluKnotRegressor(30, alpha=0).fit(x, np.sin(x[:, 0])).network_
    deep = deepen(shallow, width, domain=(-np.pi, np.pi))
    # 30 knots: the unit facing left and the one at the first knot are
    # affine on the domain, the 28 others have a kink inside.
    n_hidden = 1 + int(np.ceil((28 - width + 1) / (width - 2)))
    assert len(deep.hidden_layer_sizes) == n_hidden
    assert max(deep.hidden_layer_sizes) == width
    np.testing.assert_allclose(deep.forward(x), shallow.forward(x), rtol=0, atol=1e-12)


def test_deepen_refuses_what_it_cannot_deepen():
    shallow = ReluKnotRegressor(8).fit(np.linspace(0, 1, 50)[:, None], np.zeros(50))
    with pytest.raises(ValueError, match="at least 3"):
        deepen(shallow.network_, 2, domain=(0, 1))
    with pytest.raises(ValueError, match="one hidden ReLU layer"):
        deepen(square(3), 5, domain=(0, 1))
    with pytest.raises(ValueError, match="Swap"):
        deepen(shallow.network_, 5, domain=(1, 0))
    with pytest.raises(TypeError, match="network must be a FeedForwardNetwork"):
        deepen(shallow, 5, domain=(0, 1))


# ------------------------------------------------- torch, training, displays


@pytest.mark.parametrize(
    "build, n_in",
    [
        (lambda: square(20), 1),
        (lambda: square(9, domain=(1e6, 1e7)), 1),
        (lambda: product(15, domain=(-1, 1)), 2),
        (lambda: distance(1e-4), 4),
        (lambda: add(square(5), affine([[1.0]])), 1),
        (lambda: stack(square(3), product(6)), 3),
        (lambda: compose(square(6), product(6)), 2),
    ],
)
def test_to_torch_equals_forward_in_float64(build, n_in):
    net = build()
    X = np.random.default_rng(0).uniform(size=(5000, n_in))
    if n_in == 1 and net.coefs[0][0, 0] < 1e-3:  # the (1e6, 1e7) domain
        X = 1e6 + 9e6 * X
    expected = net.forward(X)
    scale = max(1.0, np.abs(expected).max())
    np.testing.assert_allclose(
        torch_forward(net, X), expected, rtol=0, atol=1e-12 * scale
    )


def test_trained_mlp_starts_from_a_constructed_deep_network():
    net = square(5)
    X = np.linspace(0, 1, 500)[:, None]
    y = X[:, 0] ** 2
    # Same shape, and wider and deeper (extra units silent, extra layers
    # carry the last one): the untrained model is the construction, to
    # float32 rounding.
    for hidden in [(3,) * 5, (5,) * 5 + (4, 4)]:
        model = TrainedMLPRegressor(
            hidden_layer_sizes=hidden,
            activation="relu",
            init_from=net,
            learning_rate=1e-12,
            max_epochs=1,
            random_state=0,
        ).fit(X, y)
        np.testing.assert_allclose(model.predict(X), net.forward(X), atol=1e-6)
    with pytest.raises(ValueError, match="has 5 hidden layers but this one has 4"):
        TrainedMLPRegressor(
            hidden_layer_sizes=(3,) * 4, activation="relu", init_from=net
        ).fit(X, y)
    with pytest.raises(ValueError, match="at least 3 units per layer"):
        TrainedMLPRegressor(
            hidden_layer_sizes=(3, 3, 2, 3, 3), activation="relu", init_from=net
        ).fit(X, y)


def test_approximation_display_draws_a_constructed_network():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_uat.plotting import ApproximationDisplay

    x = np.linspace(0, 1, 201)[:, None]
    net = square(2)
    display = ApproximationDisplay(
        x, net.forward(x), y_true=x[:, 0] ** 2, estimator_name="square(2)"
    ).plot()
    np.testing.assert_allclose(
        display.lines_["error"].get_ydata(), net.forward(x) - x[:, 0] ** 2
    )
    plt.close("all")
