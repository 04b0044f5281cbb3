import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_uat import FeedForwardNetwork
from sklearn_uat._network import ACTIVATIONS


def seed_001_network(w=500.0):
    """Seed 001's network: 10 steep sigmoid units at its steps, 5 bumps."""
    steps = np.array([0, 0.2, 0.2, 0.4, 0.4, 0.6, 0.6, 0.8, 0.8, 1.0])
    heights = np.array([-1.2, 1.2, -1.6, 1.6, -0.3, 0.3, -1.0, 1.0, 1.0, -1.0])
    return FeedForwardNetwork(
        coefs=[np.full((1, 10), w), heights.reshape(-1, 1)],
        intercepts=[-w * steps, np.zeros(1)],
        activations=["sigmoid", "identity"],
    )


def torch_forward(net, X):
    module = net.to_torch()
    with torch.no_grad():
        return module(torch.as_tensor(X, dtype=torch.float64)).numpy()


def test_seed_001_network_matches_its_torch_export():
    net = seed_001_network()
    X = np.linspace(-0.5, 1.5, 2001).reshape(-1, 1)
    y = net.forward(X)
    y_torch = torch_forward(net, X)
    assert y_torch.shape == (2001, 1)
    np.testing.assert_allclose(y_torch[:, 0], y, rtol=1e-12, atol=1e-12)
    # The construction: the bumps' heights are the seed's -1.2, -1.6, -0.3, -1, 1.
    centres = np.array([[0.1], [0.3], [0.5], [0.7], [0.9]])
    np.testing.assert_allclose(net.forward(centres), [-1.2, -1.6, -0.3, -1.0, 1.0])


def test_seed_001_network_matches_a_per_sample_loop():
    net = seed_001_network()
    w, b = net.coefs[0][0], net.intercepts[0]
    for x in np.linspace(0, 1, 37):
        z = x * w + b
        expected = np.sum(net.coefs[1][:, 0] / (1 + np.exp(-np.clip(z, -700, 700))))
        np.testing.assert_allclose(net.forward([[x]])[0], expected, rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(
    n_features=st.integers(1, 4),
    widths=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    activation=st.sampled_from(ACTIVATIONS),
    seed=st.integers(0, 2**31 - 1),
)
def test_forward_equals_torch_export(n_features, widths, activation, seed):
    rng = np.random.default_rng(seed)
    sizes = [n_features, *widths, 1]
    net = FeedForwardNetwork(
        [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])],
        [rng.normal(size=b) for b in sizes[1:]],
        [activation] * len(widths) + ["identity"],
    )
    X = rng.normal(scale=3.0, size=(50, n_features))
    np.testing.assert_allclose(
        torch_forward(net, X)[:, 0], net.forward(X), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_no_warnings_on_huge_finite_inputs(activation):
    net = FeedForwardNetwork(
        [np.array([[500.0, -500.0, 1.0]]), np.array([[1.0], [1.0], [1e-300]])],
        [np.array([-100.0, 100.0, 0.0]), np.zeros(1)],
        [activation, "identity"],
    )
    X = np.array([[1e300], [-1e300], [0.0], [1e-300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = net.forward(X)
    if activation in ("sigmoid", "relu", "identity", "tanh", "gelu", "silu"):
        assert np.isfinite(y).all()


def test_sigmoid_saturates_exactly():
    net = seed_001_network(w=1e4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = net.forward(np.array([[-1e300], [1e300]]))
    np.testing.assert_allclose(y, [0.0, 0.0], atol=1e-12)


def test_forward_chunks_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(0)
    net = FeedForwardNetwork(
        [rng.normal(size=(2, 8)), rng.normal(size=(8, 1))],
        [rng.normal(size=8), rng.normal(size=1)],
        ["tanh", "identity"],
    )
    X = rng.normal(size=(1000, 2))
    whole = net.forward(X)
    monkeypatch.setattr("sklearn_uat._network._CHUNK_ELEMENTS", 64)
    np.testing.assert_array_equal(net.forward(X), whole)


def test_input_and_output_scaling_fold_into_the_network():
    rng = np.random.default_rng(1)
    net = FeedForwardNetwork(
        [rng.normal(size=(2, 5)), rng.normal(size=(5, 1))],
        [rng.normal(size=5), rng.normal(size=1)],
        ["relu", "identity"],
    )
    offset, scale = np.array([1e6, -3.0]), np.array([9e6, 0.5])
    X_raw = offset + scale * rng.uniform(size=(100, 2))
    folded = net.with_input_scaling(offset, scale).with_output_scaling(7.0, 2.0)
    expected = 7.0 + 2.0 * net.forward((X_raw - offset) / scale)
    np.testing.assert_allclose(folded.forward(X_raw), expected, rtol=1e-9)
    assert folded.n_parameters == net.n_parameters == 2 * 5 + 5 + 5 + 1


def test_output_scaling_needs_identity_output():
    net = FeedForwardNetwork([np.ones((1, 1))], [np.zeros(1)], ["sigmoid"])
    with pytest.raises(ValueError, match="identity output layer"):
        net.with_output_scaling(0.0, 2.0)


def test_hidden_activations():
    net = seed_001_network()
    H = net.hidden_activations(np.array([[0.3]]))
    np.testing.assert_allclose(H[0], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0], atol=1e-20)
    with pytest.raises(ValueError, match="layer must be in"):
        net.hidden_activations(np.array([[0.3]]), layer=1)


@pytest.mark.parametrize(
    "coefs, intercepts, activations, match",
    [
        ([np.ones((1, 2))], [np.ones(2)], ["relu", "identity"], "one entry per layer"),
        ([np.ones((1, 2))], [np.ones(3)], ["relu"], "Layer 0"),
        (
            [np.ones((1, 2)), np.ones((3, 1))],
            [np.ones(2), np.ones(1)],
            ["relu", "identity"],
            "expects 3 inputs",
        ),
        ([np.ones((1, 1))], [np.ones(1)], ["softmax"], "unknown activation"),
        ([], [], [], "at least one layer"),
    ],
)
def test_invalid_networks_are_rejected(coefs, intercepts, activations, match):
    with pytest.raises(ValueError, match=match):
        FeedForwardNetwork(coefs, intercepts, activations)


def test_forward_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(n_samples, 1\)"):
        seed_001_network().forward(np.ones((3, 2)))
