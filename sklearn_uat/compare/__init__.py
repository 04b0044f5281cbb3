"""The benchmark tier: fair comparisons of regressors and approximation rates.

Each concern has its own module:

- the protocol (:func:`compare`: one split, the same folds, scaling and
  metrics for every estimator; fits as joblib tasks, so they run on a Dask
  cluster too) in ``_protocol``;
- the line-up (:func:`default_estimators`, :func:`default_param_grids` and
  the :class:`SubsampledRegressor` that keeps the Gaussian process within
  budget) in ``_lineup``;
- the results (:class:`ComparisonResult`: records, tables, files) in
  ``_results``;
- the rates (:func:`convergence`: error against the number of hidden units)
  in ``_rates``.
"""

from ._lineup import SubsampledRegressor, default_estimators, default_param_grids
from ._protocol import DEFAULT_DATASETS, compare
from ._rates import ConvergenceResult, convergence, default_convergence_methods
from ._results import COLUMNS, ComparisonResult

__all__ = [
    "COLUMNS",
    "DEFAULT_DATASETS",
    "ComparisonResult",
    "ConvergenceResult",
    "SubsampledRegressor",
    "compare",
    "convergence",
    "default_convergence_methods",
    "default_estimators",
    "default_param_grids",
]
