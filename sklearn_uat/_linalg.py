"""The banded solve behind the closed-form fits of the constructive networks.

A basis whose functions each cover only a few neighbouring cells (hat
functions, local bumps) has banded normal equations. Each estimator
accumulates its own in one pass over the data (a tridiagonal system from
bincounts for the hat basis, dense per-window blocks for the wider band of
the bumps) in the upper storage of :func:`scipy.linalg.solveh_banded`, and
solves it here with a banded Cholesky factorisation, in O(m p^2) time and
O(m p) memory for m basis functions and bandwidth p - 1.
"""

import numpy as np
from scipy.linalg import LinAlgError, solveh_banded


def solve_banded_spd(ab, rhs, ridge=0.0):
    """Solve the banded symmetric system ``(ab + ridge I) x = rhs``.

    ``ab`` is in the upper form of :func:`scipy.linalg.solveh_banded`:
    ``ab[p - 1 + i - j, j] == A[i, j]`` for ``i <= j``. ``ridge`` is relative
    to the mean of the diagonal, so the floor it sets does not depend on the
    units of the data. Should the Cholesky factorisation still fail, the
    ridge grows by factors of 100 until it succeeds: the answer is then a
    regularised solution rather than an exception.
    """
    ab = np.array(ab, dtype=np.float64)
    diag_scale = float(np.mean(ab[-1])) if ab.shape[1] else 1.0
    if not np.isfinite(diag_scale) or diag_scale <= 0:
        diag_scale = 1.0
    relative = ridge
    for _ in range(12):
        system = ab.copy()
        system[-1] += relative * diag_scale
        try:
            return solveh_banded(system, rhs, lower=False, check_finite=False)
        except LinAlgError:
            relative = max(relative * 100.0, 1e-14)
    raise LinAlgError("The banded normal equations could not be solved.")
