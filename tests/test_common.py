"""scikit-learn's common estimator checks, over every public estimator.

Estimators are discovered from ``sklearn_uat.__all__``, so each new one is
checked from its first commit.
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_uat
import sklearn_uat.compare
from sklearn_uat import BumpNetRegressor, ReluKnotRegressor
from sklearn_uat.datasets import make_function


def public_estimators():
    """Estimator classes exported by ``sklearn_uat`` and ``sklearn_uat.compare``."""
    found = []
    for module in (sklearn_uat, sklearn_uat.compare):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, BaseEstimator):
                found.append(obj)
    return found


def test_the_line_up_of_compare_is_checked_here():
    # Every class of the default line-up is scikit-learn's own or is checked
    # by this module.
    from sklearn_uat.compare import default_estimators

    checked = set(public_estimators())
    for name, estimator in default_estimators().items():
        cls = type(estimator)
        assert cls.__module__.startswith("sklearn.") or cls in checked, name


# Parameters that keep the common checks fast without changing what is checked.
_CHECK_PARAMS = {
    # 20 epochs instead of 60: the checks' small data sets still fit well.
    "TrainedMLPRegressor": {"max_epochs": 20},
    # A wrapped estimator is required; 30 rows make the subsample bite.
    "SubsampledRegressor": {"estimator": LinearRegression(), "max_samples": 30},
}


# Checks run where the property they check holds, as scikit-learn runs its own
# MLPRegressor's: integer sample weights equal repeated rows when each epoch
# is one full batch (the mini-batches of repeated rows are other batches),
# and full-batch SGD then takes the same steps up to float32 rounding.
_PER_CHECK_PARAMS = {
    "TrainedMLPRegressor": {
        "check_sample_weight_equivalence_on_dense_data": {
            "optimizer": "sgd",
            "batch_size": 64,
            "max_epochs": 5,
        },
    },
}


def _instances():
    return [cls(**_CHECK_PARAMS.get(cls.__name__, {})) for cls in public_estimators()]


def test_every_exported_name_exists():
    for name in sklearn_uat.__all__:
        assert hasattr(sklearn_uat, name), name


@parametrize_with_checks(_instances())
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    params = _PER_CHECK_PARAMS.get(type(estimator).__name__, {}).get(name)
    if params:
        estimator = clone(estimator).set_params(**params)
    check(estimator)


def _warning_cases():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(50, 1))
    sine = np.sin(6 * x[:, 0])
    noisy = sine + 0.1 * rng.normal(size=50)
    X2 = rng.uniform(size=(40, 2))
    return [
        # A penalty chosen from the data that interpolates (ReluKnot's _fit).
        (ReluKnotRegressor(n_knots=200), x, sine, UserWarning),
        # tol not met (ReluKnot's _grow, one level deeper).
        (ReluKnotRegressor(tol=1e-9), x, noisy, ConvergenceWarning),
        # A refinement's budget, held until GCV keeps it, then re-issued.
        (
            BumpNetRegressor(32, margin=0.05, refine=2, refine_tol=0.0),
            *make_function("sine", 1000, random_state=0),
            ConvergenceWarning,
        ),
        # Towers on too few samples (BumpNet's _fit).
        (
            BumpNetRegressor(n_bumps=6, layout="tower"),
            X2,
            X2.sum(axis=1),
            UserWarning,
        ),
    ]


@pytest.mark.parametrize("case", range(4))
def test_warnings_point_at_the_line_that_called_fit(case):
    # Raised at any depth inside the package, a warning names the user's
    # line, not the package's or scikit-learn's fit wrapper.
    model, X, y, category = _warning_cases()[case]
    with pytest.warns(category) as caught:
        model.fit(X, y)
    assert {w.filename for w in caught if w.category is category} == {__file__}


@pytest.mark.parametrize("estimator", [ReluKnotRegressor, BumpNetRegressor])
def test_relative_sample_weights_warn_and_name_the_rescaling(estimator):
    # Frequency weights normalised to sum 1 count as one sample: the fit is
    # sized and smoothed for it (a straight line through 300 noisy rows). It
    # says so; the rescaling it names gives the unweighted fit.
    X, y = make_function("sinc", 300, noise=0.1, random_state=0)
    w = np.full(300, 1 / 300)
    with pytest.warns(UserWarning, match=r"sample_weight \* 300 / sample_weight.sum"):
        estimator().fit(X, y, sample_weight=w)
    rescaled = estimator().fit(X, y, sample_weight=w * 300 / w.sum())
    unweighted = estimator().fit(X, y)
    np.testing.assert_allclose(rescaled.predict(X), unweighted.predict(X), rtol=1e-9)
