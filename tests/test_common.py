"""scikit-learn's common estimator checks, over every public estimator.

Estimators are discovered from ``sklearn_uat.__all__``, so each new one is
checked from its first commit.
"""

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_uat


def public_estimators():
    """Classes exported by ``sklearn_uat`` that are scikit-learn estimators."""
    found = []
    for name in sklearn_uat.__all__:
        obj = getattr(sklearn_uat, name)
        if isinstance(obj, type) and issubclass(obj, BaseEstimator):
            found.append(obj)
    return found


# Parameters that keep the common checks fast without changing what is checked.
_CHECK_PARAMS = {
    # 20 epochs instead of 60: the checks' small data sets still fit well.
    "TrainedMLPRegressor": {"max_epochs": 20},
}


def _instances():
    return [cls(**_CHECK_PARAMS.get(cls.__name__, {})) for cls in public_estimators()]


def test_every_exported_name_exists():
    for name in sklearn_uat.__all__:
        assert hasattr(sklearn_uat, name), name


@parametrize_with_checks(_instances())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
