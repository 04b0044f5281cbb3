"""The line-up of :func:`~sklearn_uat.compare.compare`: who runs, and their grids.

The package's three networks stand beside the standard regressors of
scikit-learn, each given standardised targets where its fit depends on the
scale of ``y``. Two pieces make the Gaussian process affordable on the
benchmark: :class:`SubsampledRegressor` (an exact process costs O(n^3)) and
an optimiser capped in iterations.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data


class SubsampledRegressor(RegressorMixin, BaseEstimator):
    """Fit a regressor on a random subsample of at most ``max_samples`` rows.

    Exact Gaussian processes cost O(n^3) to fit; the default line-up of
    :func:`~sklearn_uat.compare.compare` runs
    :class:`~sklearn.gaussian_process.GaussianProcessRegressor` through this
    wrapper so that it stays within the comparison's time budget.

    Parameters
    ----------
    estimator : regressor
        The regressor to fit on the subsample.
    max_samples : int, default=500
        Largest number of rows used for fitting.
    random_state : int, RandomState instance or None, default=0
        Seeds the choice of rows.

    Attributes
    ----------
    estimator_ : regressor
        The fitted clone of ``estimator``.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_uat.compare import SubsampledRegressor
    >>> X = np.arange(1000.0).reshape(-1, 1)
    >>> model = SubsampledRegressor(LinearRegression(), max_samples=50)
    >>> model = model.fit(X, 2 * X[:, 0])
    >>> model.predict([[10.0]]).round(6)
    array([20.])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "max_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, max_samples=500, random_state=0):
        self.estimator = estimator
        self.max_samples = max_samples
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit ``estimator`` on at most ``max_samples`` random rows of (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : SubsampledRegressor
            The fitted wrapper.
        """
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=True)
        if X.shape[0] > self.max_samples:
            rng = check_random_state(self.random_state)
            rows = np.sort(rng.choice(X.shape[0], self.max_samples, replace=False))
            X, y = X[rows], y[rows]
        self.estimator_ = clone(self.estimator).fit(X, y)
        return self

    def predict(self, X):
        """Predict with the fitted subsample model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The wrapped estimator's predictions.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _capped_lbfgs(obj_func, initial_theta, bounds):
    """L-BFGS-B on a Gaussian process's log-marginal likelihood, capped at 60
    iterations: on noise-free data the optimiser otherwise wanders for
    minutes near the noise bound, for no gain in accuracy."""
    from scipy.optimize import minimize

    result = minimize(
        obj_func,
        initial_theta,
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        options={"maxiter": 60, "maxfun": 80},
    )
    return result.x, result.fun


def _standardized_target(regressor):
    """``regressor`` fitted to standardised targets, predicting in y's units."""
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


def default_estimators(random_state=0):
    """The default line-up: the package's networks beside standard regressors.

    Parameters
    ----------
    random_state : int, default=0
        Seed for every estimator that draws random numbers.

    Returns
    -------
    estimators : dict of str to estimator
        ``BumpNet``, ``ReluKnot``, ``TrainedMLP`` (this package, trained on
        the CPU so that results do not depend on the machine's GPU),
        ``MLPRegressor`` (64, 64 tanh, adam), ``KNN``, ``SVR``, ``HistGB``,
        ``RandomForest``, ``GaussianProcess`` (RBF plus white noise, fitted on
        a random subsample of 300 training rows by
        :class:`SubsampledRegressor`) and ``Spline+Ridge`` (cubic
        :class:`~sklearn.preprocessing.SplineTransformer` then
        :class:`~sklearn.linear_model.Ridge`).

        Every estimator gets standardised targets, as the package's networks
        standardise theirs inside: ``MLPRegressor`` and ``SVR``, whose fits
        depend on the scale of ``y``, are wrapped in a
        :class:`~sklearn.compose.TransformedTargetRegressor` with a
        :class:`~sklearn.preprocessing.StandardScaler` (their grid
        parameters are therefore ``regressor__...``); the Gaussian process
        uses ``normalize_y=True``; the others do not depend on the scale of
        ``y``.

    Examples
    --------
    >>> from sklearn_uat.compare import default_estimators
    >>> list(default_estimators())[:4]
    ['BumpNet', 'ReluKnot', 'TrainedMLP', 'MLPRegressor']
    """
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import SplineTransformer
    from sklearn.svm import SVR

    from .. import BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor

    # Bounds wide enough for noise-free targets (a noise level near 0) and
    # for inputs scaled to [0, 1].
    kernel = ConstantKernel() * RBF(
        length_scale=0.3, length_scale_bounds=(1e-3, 1e3)
    ) + WhiteKernel(1e-8, noise_level_bounds=(1e-12, 1e-1))
    return {
        "BumpNet": BumpNetRegressor(),
        "ReluKnot": ReluKnotRegressor(random_state=random_state),
        "TrainedMLP": TrainedMLPRegressor(device="cpu", random_state=random_state),
        "MLPRegressor": _standardized_target(
            MLPRegressor(
                hidden_layer_sizes=(64, 64),
                activation="tanh",
                max_iter=300,
                random_state=random_state,
            )
        ),
        "KNN": KNeighborsRegressor(),
        "SVR": _standardized_target(SVR()),
        "HistGB": HistGradientBoostingRegressor(random_state=random_state),
        "RandomForest": RandomForestRegressor(
            n_estimators=100, random_state=random_state
        ),
        "GaussianProcess": SubsampledRegressor(
            GaussianProcessRegressor(
                kernel,
                normalize_y=True,
                optimizer=_capped_lbfgs,
                random_state=random_state,
            ),
            max_samples=300,
            random_state=random_state,
        ),
        "Spline+Ridge": Pipeline(
            [
                ("spline", SplineTransformer(n_knots=20, degree=3)),
                ("ridge", Ridge(alpha=1e-6)),
            ]
        ),
    }


def default_param_grids():
    """Small grids, one per default estimator, used when ``grid=True``.

    Each grid holds its estimator's default values, so on the same folds a
    grid search's best cross-validated score is at least the defaults'.

    Returns
    -------
    grids : dict of str to dict
        Keyed like :func:`default_estimators`; parameter names are the
        estimator's own (the ``model__`` prefix of the comparison pipeline is
        added by :func:`~sklearn_uat.compare.compare`). Tables show them
        without the prefixes of nested estimators (``C``, not
        ``regressor__C``).

    Examples
    --------
    >>> from sklearn_uat.compare import default_param_grids
    >>> default_param_grids()["KNN"]
    {'n_neighbors': [3, 5, 10], 'weights': ['uniform', 'distance']}
    """
    return {
        "BumpNet": {"n_bumps": ["auto", 16, 128]},
        "ReluKnot": {"n_knots": ["auto", 16, 128], "directions": ["auto", "axes"]},
        "TrainedMLP": {"learning_rate": [1e-3, 3e-3, 1e-2]},
        "MLPRegressor": {
            "regressor__alpha": [1e-4, 1e-2],
            "regressor__learning_rate_init": [1e-3, 3e-3],
        },
        "KNN": {"n_neighbors": [3, 5, 10], "weights": ["uniform", "distance"]},
        "SVR": {"regressor__C": [1.0, 10.0, 100.0], "regressor__epsilon": [0.01, 0.1]},
        "HistGB": {"learning_rate": [0.05, 0.1, 0.2], "max_leaf_nodes": [15, 31]},
        "RandomForest": {"min_samples_leaf": [1, 3], "max_features": [1.0, 0.5]},
        "GaussianProcess": {"max_samples": [150, 300]},
        "Spline+Ridge": {"spline__n_knots": [10, 20, 40], "ridge__alpha": [1e-6, 1e-3]},
    }
