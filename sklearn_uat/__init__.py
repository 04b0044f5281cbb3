"""Neural networks as function approximators, as scikit-learn estimators.

The universal approximation theorem, made into regressors you can fit,
cross-validate, grid-search and look at. Every model is a real feed-forward
network, inspectable through ``coefs_`` and ``intercepts_`` and exportable to
torch.
"""

from ._bump import BumpNetRegressor
from ._knots import ReluKnotRegressor
from ._mlp import TrainedMLPRegressor
from ._network import FeedForwardNetwork

__version__ = "0.1.0"

__all__ = [
    "BumpNetRegressor",
    "FeedForwardNetwork",
    "ReluKnotRegressor",
    "TrainedMLPRegressor",
    "__version__",
]
