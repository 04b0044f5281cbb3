import numpy as np
import pytest

from sklearn_uat.datasets import get_function, list_functions, make_function

EXPECTED = {
    "sine": 1,
    "multiscale": 1,
    "poly_tan": 2,
    "piecewise": 2,
    "sinc": 2,
    "square_large": 1,
    "distance": 4,
}


def test_registry_lists_the_seven_functions():
    assert list_functions() == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_function_metadata_and_shapes(name):
    f = get_function(name)
    assert f.name == name
    assert f.n_features == EXPECTED[name]
    assert f.domain.shape == (EXPECTED[name], 2)
    assert np.all(f.domain[:, 0] < f.domain[:, 1])
    assert f.description and f.source.startswith("seed")
    X, y = make_function(name, n_samples=300, random_state=0)
    assert X.shape == (300, f.n_features) and y.shape == (300,)
    assert np.all((X >= f.domain[:, 0]) & (X <= f.domain[:, 1]))
    np.testing.assert_array_equal(y, f.func(X))
    assert np.isfinite(y).all()


@pytest.mark.parametrize(
    "name, x, expected",
    [
        ("sine", [np.pi / 2], 1.0),
        ("sine", [np.pi / 6], 0.5),
        ("multiscale", [0.0], 0.25),
        ("multiscale", [1.0], 0.2 + 0.4 + 0.3 * np.sin(15.0) + 0.05 * np.cos(50.0)),
        ("poly_tan", [0.5, -0.5], 0.25 + 0.25 + 0.5 * 0.25 + np.tan(0.5)),
        ("poly_tan", [0.0, 0.0], 0.0),
        ("piecewise", [0.5, 0.5], 0.5),
        ("piecewise", [0.0, 0.0], 0.0),
        ("piecewise", [-0.5, 0.5], 0.0),
        ("piecewise", [0.25, -1.0], -1.5),
        ("sinc", [0.25, 0.25], 2 / np.pi),
        ("sinc", [0.0, 0.0], 1.0),
        ("sinc", [0.5, 0.5], 0.0),
        ("square_large", [3e6], 9e12),
        ("distance", [0.0, 0.0, 0.6, 0.8], 1.0),
        ("distance", [1.0, 1.0, 1.0, 1.0], 0.0),
    ],
)
def test_values_at_known_points(name, x, expected):
    value = get_function(name).func(np.array([x], dtype=float))
    np.testing.assert_allclose(value, [expected], rtol=1e-12, atol=1e-12)


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="valid names are: sine, multiscale"):
        get_function("cosine")
    with pytest.raises(ValueError, match="Unknown function 'cosine'"):
        make_function("cosine")


def test_same_random_state_same_data():
    X1, y1 = make_function("sinc", 50, noise=0.1, random_state=3)
    X2, y2 = make_function("sinc", 50, noise=0.1, random_state=3)
    X3, _ = make_function("sinc", 50, noise=0.1, random_state=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_noise_has_the_requested_scale():
    X, y = make_function("sine", 20000, noise=0.3, random_state=0)
    residual = y - get_function("sine").func(X)
    assert abs(residual.std() - 0.3) < 0.01
    assert abs(residual.mean()) < 0.01


def test_grid_sampling_covers_the_domain():
    X, y = make_function("sine", 11, sampling="grid")
    np.testing.assert_allclose(X[:, 0], np.linspace(0, 2 * np.pi, 11))
    X, _ = make_function("sinc", 100, sampling="grid")
    assert X.shape == (100, 2)
    assert {tuple(c) for c in X[[0, 9, 90, 99]]} == {
        (-1.0, -1.0),
        (-1.0, 1.0),
        (1.0, -1.0),
        (1.0, 1.0),
    }
    X, _ = make_function("distance", 1000, sampling="grid")
    assert X.shape == (6**4, 4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"noise": -1.0}, "noise"),
        ({"sampling": "sobol"}, "sampling"),
    ],
)
def test_invalid_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_function("sine", **kwargs)
