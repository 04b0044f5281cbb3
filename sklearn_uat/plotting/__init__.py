"""Displays for looking at the networks, following scikit-learn's Display API.

Each display has ``from_estimator`` (or ``from_result``) class methods that
compute and draw, and a ``plot(ax=None)`` method; after drawing it holds
``ax_``, ``figure_`` and its artists. matplotlib (the ``plot`` extra) is
imported only when a display is drawn.
"""

from ._approximation import ApproximationDisplay
from ._convergence import ConvergenceDisplay
from ._decomposition import DecompositionDisplay
from ._training import TrainingDisplay

__all__ = [
    "ApproximationDisplay",
    "ConvergenceDisplay",
    "DecompositionDisplay",
    "TrainingDisplay",
]
