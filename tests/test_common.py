"""scikit-learn's common estimator checks, over every public estimator.

Estimators are discovered from ``sklearn_uat.__all__``, so each new one is
checked from its first commit.
"""

from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_uat
import sklearn_uat.compare


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
