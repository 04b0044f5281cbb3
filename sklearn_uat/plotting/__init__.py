"""Displays for looking at the networks, following scikit-learn's Display API.

matplotlib (the ``plot`` extra) is imported only when a display is drawn.
"""

from ._convergence import ConvergenceDisplay

__all__ = ["ConvergenceDisplay"]
