"""Banded least squares: the closed-form fits of the constructive networks.

A basis whose functions each cover only a few neighbouring cells (hat
functions, local bumps) gives a design matrix whose row ``i`` is nonzero in
columns ``first[i] .. first[i] + p - 1`` only. Its normal equations are then
banded with bandwidth ``p - 1``; they are accumulated in one pass over the
data with :func:`numpy.bincount` and solved with a banded Cholesky
factorisation, in O(n p^2 + m p^2) time and O(m p) memory for m basis
functions.
"""

import numpy as np
from scipy.linalg import LinAlgError, solveh_banded


def banded_normal_equations(first, values, y, sample_weight, n_basis):
    """Accumulate ``A.T @ W @ A`` (upper banded storage) and ``A.T @ W @ y``.

    Parameters
    ----------
    first : ndarray of int, shape (n_samples,)
        Column of the first nonzero basis value of each row; every
        ``first + p - 1`` must be below ``n_basis``.
    values : ndarray of shape (n_samples, p)
        The nonzero basis values of each row.
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights.
    n_basis : int
        Number of basis functions (columns of A).

    Returns
    -------
    ab : ndarray of shape (p, n_basis)
        ``A.T W A`` in the upper form of :func:`scipy.linalg.solveh_banded`:
        ``ab[p - 1 + i - j, j] == (A.T W A)[i, j]`` for ``i <= j``.
    rhs : ndarray of shape (n_basis,) or (n_basis, n_targets)
        ``A.T W y``.
    """
    first = np.asarray(first, dtype=np.intp)
    n, p = values.shape
    if n and (first.min() < 0 or first.max() + p > n_basis):
        raise ValueError("Basis windows fall outside [0, n_basis).")
    weighted = values * sample_weight[:, None]
    ab = np.zeros((p, n_basis))
    y2 = y.reshape(n, -1)
    rhs = np.zeros((n_basis, y2.shape[1]))
    for a in range(p):
        for t in range(y2.shape[1]):
            rhs[:, t] += np.bincount(
                first + a, weights=weighted[:, a] * y2[:, t], minlength=n_basis
            )
        for b in range(a, p):
            ab[p - 1 - (b - a), b:] += np.bincount(
                first + b, weights=weighted[:, a] * values[:, b], minlength=n_basis
            )[b:]
    return ab, rhs.reshape((n_basis,) + y.shape[1:])


def add_difference_penalty(ab, penalty, order=2):
    """Add ``penalty * D.T @ D`` to banded ``ab``, D the ``order``-th difference.

    A small difference penalty makes basis functions that no sample reaches
    take the values their neighbours imply (linear continuation for
    ``order=2``) instead of collapsing to zero.
    """
    p, m = ab.shape
    if order > p - 1 or m <= order:
        return ab
    coef = np.diff(np.eye(order + 1), n=order, axis=0)[0]  # e.g. [1, -2, 1]
    n_rows = m - order
    for a in range(order + 1):
        for b in range(a, order + 1):
            ab[p - 1 - (b - a), b : b + n_rows] += penalty * coef[a] * coef[b]
    return ab


def solve_banded_spd(ab, rhs, ridge=0.0):
    """Solve the banded symmetric system ``(ab + ridge I) x = rhs``.

    ``ridge`` is relative to the mean of the diagonal, so the floor it sets
    does not depend on the units of the data. Should the Cholesky
    factorisation still fail, the ridge grows by factors of 100 until it
    succeeds: the answer is then the minimum-norm-like regularised solution
    rather than an exception.
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
