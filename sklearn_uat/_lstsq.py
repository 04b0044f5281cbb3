"""The least-squares engine under the closed-form networks.

A closed-form network fixes its hidden layer and solves its output layer by
penalised least squares. Everything that solve needs is in a few sufficient
statistics of the hidden layer ``Phi`` (one column per basis function) and
the targets ``Y``, which add up over any split of the rows:

- the Gram matrix ``Phi.T W Phi`` (dense, or banded in the upper storage of
  :func:`scipy.linalg.solveh_banded` when every basis function covers only a
  few neighbouring cells),
- ``Phi.T W Y``, ``diag(Y.T W Y)`` and the sum of the weights.

The penalty is a sum of blocks ``lambda_j S_j``, one per term of the model
(a row of knots along one direction, a row of bumps, a grid of towers), each
``S_j`` a roughness penalty whose null space holds the linear functions of
its term. Penalties are relative: ``lambda_j`` multiplies ``S_j`` times the
mean diagonal of the Gram matrix, so a number means the same whatever the
number of samples or the units of the data.

:func:`select_penalties` solves for fixed penalties, or chooses them from
the data by restricted maximum likelihood (REML), one per block, with the
generalised Fellner-Schall iteration [1]_, which needs one factorisation
and one trace ``tr(A^-1 S_j)`` per step and no refit over the data. Banded
systems get the trace from the selected inverse of their banded Cholesky
factor [2]_, computed a block of rows at a time; their solves are refined
with residuals whose penalty products are compensated, so that a large
penalty does not round the data's part of the fit. Both paths share one
fallback policy: when a factorisation fails, a ridge on the diagonal grows
until it succeeds, with a :class:`~scipy.linalg.LinAlgWarning` that says so.

References
----------
.. [1] S. N. Wood and M. Fasiolo, "A generalized Fellner-Schall method for
   smoothing parameter optimization with application to Tweedie location,
   scale and shape models", Biometrics 73(4), 2017.
.. [2] K. Takahashi, J. Fagan and M.-S. Chen, "Formation of a sparse bus
   impedance matrix and its application to short circuit study", 8th PICA
   Conference, 1973.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import (
    LinAlgError,
    LinAlgWarning,
    cho_factor,
    cho_solve,
    cho_solve_banded,
    cholesky_banded,
)
from scipy.linalg.lapack import dpotri, dtrtri
from scipy.sparse import csr_matrix
from sklearn.exceptions import ConvergenceWarning

from ._validation import warn

__all__ = [
    "NormalEquations",
    "PenaltyBlock",
    "difference_penalty",
    "gcv_lower",
    "gcv_score",
    "lowest_gcv",
    "second_difference_penalty",
    "select_penalties",
]

#: Relative ridge always on the diagonal. It fixes the coefficients that no
#: sample and no penalty determines (redundant constants of several terms,
#: empty cells), and is far below any penalty that the data could choose.
RIDGE_FLOOR = 1e-12

#: Relative ridge on the line of each term of a model with several terms:
#: with more inputs than samples the data do not decide all the lines. It
#: shrinks a line that the data decide by about 1e-6.
LINE_RIDGE = 1e-6

#: Range of the relative penalties that REML chooses from. Below, a penalty
#: barely smooths (its relative effect on a fit is about 1e-5) and the
#: factorisation of terms that the data do not determine would lose its
#: digits; above, rounding in the normal equations swamps the data and the
#: fit has reached its linear limit.
PENALTY_RANGE = (1e-12, 1e8)

#: The smallest penalty when there are more unknowns than samples. The data
#: then leave the coefficients between samples free (a row of knots finer
#: than its samples), and only the penalty decides them: it must stay far
#: above the ridge floor and rounding, or they drift to zero and the fit
#: spikes between its samples. At the samples such a fit is as close as
#: with any smaller penalty (about 1e-5 relative).
PENALTY_FLOOR_UNDERDETERMINED = 1e-6

# Fellner-Schall: every penalty starts at the rough end, so that the
# iteration finds structure the data hold before it smooths what they do
# not; at most this many steps, stopping when no penalty moves by more than
# this relative amount ...
_START = 1e-6
_MAX_STEPS = 100
_STEP_TOL = 1e-2
# ... or when the fit stops moving: relative changes of the effective degrees
# of freedom and of the residual variance below this.
_FIT_TOL = 1e-4
# Steps of a penalty that keeps its direction are lengthened up to this
# factor.
_MAX_STRIDE = 16.0
# Fellner-Schall numerators below this fraction of the rank are rounding.
_NUMERATOR_TOL = 1e-9
# Steps of iterative refinement of each banded solve.
_REFINE_STEPS = 2
# Smallest residual variance, relative to the targets' mean square.
_SIGMA2_FLOOR = 1e-10
# Chosen penalties are rounded to this many steps per decade (0.23% apart).
# The criterion fixes them only to about 1e-8 relative (the quadratic forms
# of smooth coefficients on fine rows of knots round at that level), which
# would let the order of summation (chunks, threads, machines) show in the
# fit; on the grid it does not, and the criterion is flat over a step.
_PENALTY_GRID = 1000


# --------------------------------------------------------------------------
# Sufficient statistics.
# --------------------------------------------------------------------------


@dataclass
class NormalEquations:
    """Sufficient statistics of a weighted least-squares problem.

    Parameters
    ----------
    gram : ndarray
        ``Phi.T W Phi``: shape (m, m), or (p, m) upper banded storage when
        ``banded`` (``gram[p - 1 + i - j, j] == G[i, j]`` for ``i <= j``).
    rhs : ndarray of shape (m, n_targets)
        ``Phi.T W Y``.
    yty : ndarray of shape (n_targets,)
        Weighted sum of squared targets per column.
    weight_sum : float
        Sum of the weights (the number of samples for unit weights).
    banded : bool
        Storage of ``gram``.
    """

    gram: np.ndarray
    rhs: np.ndarray
    yty: np.ndarray
    weight_sum: float
    banded: bool = False

    @classmethod
    def from_windows(cls, windows, Y, w, n_basis):
        """Statistics of a design given row by row as local windows.

        ``windows`` is a list of ``(columns, values)`` pairs of equal shape
        (n_rows, width): row ``i`` of the design holds ``values[i]`` in the
        columns ``columns[i]`` of each pair. The product runs sparse, so its
        cost follows the non-zeros rather than ``n_basis``.
        """
        n = Y.shape[0]
        cols = np.concatenate([c for c, _ in windows], axis=1)
        vals = np.concatenate([v for _, v in windows], axis=1)
        per_row = cols.shape[1]
        design = csr_matrix(
            (vals.ravel(), cols.ravel(), np.arange(0, n * per_row + 1, per_row)),
            shape=(n, n_basis),
        )
        weighted = design if w is None else design.multiply(w[:, None]).tocsr()
        gram = (design.T @ weighted).toarray()
        wy = Y if w is None else Y * w[:, None]
        rhs = np.asarray(design.T @ wy)
        return cls(gram, rhs, np.einsum("ij,ij->j", Y, wy), _weight_sum(w, n))

    def __iadd__(self, other):
        self.gram += other.gram
        self.rhs += other.rhs
        self.yty += other.yty
        self.weight_sum += other.weight_sum
        return self

    @property
    def n_basis(self):
        return self.gram.shape[1]

    @property
    def scale(self):
        """Mean diagonal of the Gram matrix (1 if that is not positive)."""
        diag = self.gram[-1] if self.banded else np.diag(self.gram)
        scale = float(np.mean(diag)) if diag.size else 1.0
        return scale if np.isfinite(scale) and scale > 0 else 1.0


def _weight_sum(w, n):
    return float(n) if w is None else float(np.sum(w))


# --------------------------------------------------------------------------
# Penalties.
# --------------------------------------------------------------------------


@dataclass
class PenaltyBlock:
    """One term's roughness penalty: ``S`` on the columns ``start:start+size``.

    Parameters
    ----------
    start : int
        First column of the term.
    band : ndarray of shape (p, size)
        ``S`` in upper banded storage.
    null_dim : int
        Dimension of the null space of ``S`` (2 for second differences: the
        linear functions of the term).
    redundant : int
        How many leading functions of that null space (the constant, then
        the linear function of the term's positions ``at``) other terms
        already represent: a term along a random direction repeats the
        constant and linear functions of the axes. The solve constrains the
        term's coefficients to be orthogonal to them, which picks one split
        between the terms without changing the fit.
    at : ndarray of shape (size,), default=None
        Positions of the term's basis functions (its knots), for the linear
        function of a redundant null space.
    """

    start: int
    band: np.ndarray
    null_dim: int = 2
    redundant: int = 0
    at: np.ndarray = None
    _dense: np.ndarray = field(default=None, repr=False)
    fixed: np.ndarray = 0.0
    _null: np.ndarray = field(default=None, repr=False)

    @property
    def size(self):
        return self.band.shape[1] if self.band is not None else self._dense.shape[0]

    @property
    def rank(self):
        return max(self.size - self.null_dim, 0)

    @property
    def columns(self):
        return slice(self.start, self.start + self.size)

    def dense(self):
        if self._dense is None:
            self._dense = _band_to_dense(self.band)
        return self._dense

    def null_space(self):
        """Orthonormal basis (size, null_dim) of the null space of ``S``.

        The polynomials of degree below ``null_dim`` in the positions ``at``
        (equally spaced when ``at`` is None): the constant, then the line,
        and so on. Cached: every step of the penalties' choice uses it.
        """
        if self._null is None:
            self._null = self._polynomials(complete=False)
        return self._null

    def rotation(self):
        """Orthonormal basis (size, size - redundant) of the term's coefficients.

        Its first columns span the free null-space functions (the constant,
        then the line through the positions ``at``, then higher powers up to
        ``null_dim``), the rest their complement; the redundant ones are left
        out.
        """
        return self._polynomials(complete=True)[:, self.redundant :]

    def _polynomials(self, complete):
        at = np.arange(self.size, dtype=np.float64) if self.at is None else self.at
        at = np.asarray(at, dtype=np.float64)
        span = at.max() - at.min() if self.size > 1 else 1.0
        t = (2.0 * at - at.max() - at.min()) / (span if span > 0 else 1.0)
        null = np.vander(t, max(self.null_dim, 1), increasing=True)[:, : self.null_dim]
        return np.linalg.qr(null, mode="complete" if complete else "reduced")[0]


def second_difference_penalty(knots):
    """Banded Gram matrix of scaled second differences along a row of knots.

    Row ``k`` of the difference operator is ``hbar_k`` times the change of
    slope at inner knot ``k`` of the piecewise-linear function with values
    ``c`` at ``knots`` (``hbar_k`` the mean width of its two intervals): on
    equally spaced knots the plain second difference ``c[k-1] - 2 c[k] +
    c[k+1]``, which does not depend on the number of knots. Its null space
    is the linear functions. Returns upper banded storage of shape (3, m).
    """
    knots = np.asarray(knots, dtype=np.float64)
    m = knots.size
    ab = np.zeros((3, m))
    if m < 3:
        return ab
    h = np.diff(knots)
    hbar = 0.5 * (h[:-1] + h[1:])
    rows = np.stack([hbar / h[:-1], -hbar / h[:-1] - hbar / h[1:], hbar / h[1:]])
    for a in range(3):
        for b in range(a, 3):
            ab[2 - (b - a), b : b + m - 2] += rows[a] * rows[b]
    return ab


def difference_penalty(size, order):
    """Banded Gram matrix of the ``order``-th differences of ``size`` values.

    On equally spaced knots the differences of order 3 and up penalise the
    changes of curvature and beyond: a linear spline under such a penalty
    tends, as it grows, to a polynomial of degree ``order - 1``, and follows
    smooth functions as higher-order smoothing splines do. Returns upper
    banded storage of shape (order + 1, size).
    """
    ab = np.zeros((order + 1, size))
    if size <= order:
        return ab
    row = np.diff(np.eye(order + 1), order, axis=0)[0]
    for a in range(order + 1):
        for b in range(a, order + 1):
            ab[order - (b - a), b : b + size - order] += row[a] * row[b]
    return ab


def _band_to_dense(ab):
    p, m = ab.shape
    dense = np.zeros((m, m))
    for d in range(p):
        idx = np.arange(m - d)
        dense[idx, idx + d] = ab[p - 1 - d, d:]
        dense[idx + d, idx] = ab[p - 1 - d, d:]
    return dense


# --------------------------------------------------------------------------
# The penalised solve.
# --------------------------------------------------------------------------


class _Factor:
    """Cholesky factor of ``G + scale (sum_j lambda_j S_j + ridge I)``.

    One fallback policy for every system: should the factorisation fail, the
    ridge grows by factors of 100 until it succeeds, and a LinAlgWarning
    says so.
    """

    def __init__(self, stats, blocks, penalties):
        self.stats, self.blocks = stats, blocks
        self.penalties = np.asarray(penalties, dtype=np.float64)
        self.scale = stats.scale
        ridge = floor = RIDGE_FLOOR
        for _ in range(12):
            system = self._system(penalties, ridge)
            try:
                if stats.banded:
                    self.factor = cholesky_banded(system, lower=False)
                else:
                    # Jacobi scaling: terms whose penalties differ by orders
                    # of magnitude keep their digits in one factorisation.
                    self.equilibrium = 1.0 / np.sqrt(np.diag(system))
                    system *= self.equilibrium[:, None] * self.equilibrium
                    self.factor = cho_factor(system, check_finite=False)
                break
            except (LinAlgError, ValueError):
                ridge *= 100.0
        else:  # pragma: no cover - a ridge of 1e14 x scale always factors
            raise LinAlgError("The penalised normal equations could not be solved.")
        if ridge > floor:
            warn(
                "The penalised normal equations are numerically singular; a "
                f"ridge of {ridge:.0e} times their mean diagonal was added to "
                "solve them. The fit may be smoother than asked; check for "
                "duplicated or constant inputs.",
                LinAlgWarning,
            )
        self.ridge = ridge

    def _system(self, penalties, ridge):
        stats = self.stats
        system = np.array(stats.gram, dtype=np.float64)
        scale = self.scale
        if stats.banded:
            p = system.shape[0]
            for lam, block in zip(penalties, self.blocks):
                q = block.band.shape[0]
                if q > p:
                    grown = np.zeros((q, system.shape[1]))
                    grown[q - p :] = system
                    system, p = grown, q
                system[p - q :, block.columns] += lam * scale * block.band
            system[-1] += ridge * scale
        else:
            for lam, block in zip(penalties, self.blocks):
                cols = block.columns
                system[cols, cols] += scale * (lam * block.dense() + block.fixed)
            system[np.diag_indices_from(system)] += ridge * scale
        return system

    def solve(self, rhs, refine=True):
        if self.stats.banded:
            x = cho_solve_banded((self.factor, False), rhs, check_finite=False)
            if not refine:
                return x
            # A large penalty makes the factorisation round the data's part
            # of the system (the penalty's null space) by eps times the
            # penalty. Residuals with the penalty applied in compensated
            # arithmetic correct that, two steps being plenty, so the
            # solution follows the statistics, not the rounding.
            for _ in range(_REFINE_STEPS):
                residual = rhs - self._apply(x)
                x = x + cho_solve_banded(
                    (self.factor, False), residual, check_finite=False
                )
            return x
        e = self.equilibrium[:, None]
        return e * cho_solve(self.factor, e * rhs, check_finite=False)

    def _apply(self, x):
        """``A x`` for banded systems, each penalty's product compensated."""
        scale = self.scale
        out = _banded_matvec(self.stats.gram, x) + (self.ridge * scale) * x
        for lam, block in zip(self.penalties, self.blocks):
            out[block.columns] += (lam * scale) * _exact_band_matvec(
                block.band, x[block.columns]
            )
        return out

    def penalty_shares(self):
        """``lambda_j tr(A^-1 S_j)`` for every block (times the scale)."""
        return self._shares()[1]

    def edf(self):
        """Effective degrees of freedom: the trace of the influence matrix."""
        return self._shares()[0]

    def _shares(self):
        """The data's and each penalty's share of ``tr(A^-1 A)``.

        On the columns of block ``j`` the system is ``G`` plus that block's
        own ``scale (lambda_j S_j + F_j + ridge I)``, so the diagonal of
        ``A^-1 A = I`` summed over them splits the block's size into the
        data's share (the block's part of the edf ``tr(A^-1 G)``), the
        penalty's share ``lambda_j tr(A^-1 S_j)`` and the rest. One of the
        first two is computed directly and the other as what is left: the
        one whose terms are smaller in size, so that rounding in ``A^-1``
        does not cancel. Where a large penalty dominates a block its share
        is close to the block's rank, and the data's side says how far below
        it is (the Fellner-Schall step divides by that difference); where
        the data dominate, the other way round.

        Returns the edf and the penalty shares (n_blocks,), cached.
        """
        if getattr(self, "_split", None) is not None:
            return self._split
        scale = self.scale
        data, diagonal = self._diagonal_products(self.stats.gram)
        rest = self.ridge * scale * diagonal
        outside = np.ones(self.stats.n_basis, dtype=bool)
        edf, shares = 0.0, np.empty(len(self.blocks))
        for j, (lam, block) in enumerate(zip(self.penalties, self.blocks)):
            cols = block.columns
            outside[cols] = False
            own = data[:, cols].sum(axis=1)
            S = block.band if self.stats.banded else block.dense()
            penalty = lam * scale * self._diagonal_products(S, block)[0].sum(axis=1)
            other = rest[cols].sum()
            if np.any(block.fixed):
                other += scale * self._diagonal_products(block.fixed, block)[0][0].sum()
            if penalty[1] <= own[1]:
                shares[j] = penalty[0]
                edf += block.size - penalty[0] - other
            else:
                shares[j] = block.size - own[0] - other
                edf += own[0]
        edf += data[0, outside].sum()
        self._split = float(edf), shares
        return self._split

    def _diagonal_products(self, S, block=None):
        """Diagonals of ``A^-1 S`` and of ``|A^-1| |S|``, shape (2, size).

        ``S`` is the Gram matrix or, on a block's columns, a matrix of that
        block (banded like the system, or dense); the second row bounds the
        rounding of the first. Also returns the diagonal of ``A^-1``.
        """
        cols = slice(None) if block is None else block.columns
        if self.stats.banded:
            Z = self._inverse_band()[:, cols]
            return _band_diagonal(Z, S), Z[0]
        inverse = self.inverse()[cols, cols]
        product = inverse * S
        both = np.stack([product.sum(axis=1), np.abs(product).sum(axis=1)])
        return both, np.diag(inverse)

    def _inverse_band(self):
        if getattr(self, "_band", None) is None:
            self._band = _selected_inverse(self.factor)
        return self._band

    def inverse(self):
        """The dense inverse of the system, from its Cholesky factor (cached)."""
        if getattr(self, "_inverse", None) is None:
            c, lower = self.factor
            inverse, info = dpotri(c, lower=lower)
            if info != 0:  # pragma: no cover - the factor is positive definite
                raise LinAlgError("The inverse of the normal equations failed.")
            inverse = np.triu(inverse) if not lower else np.tril(inverse)
            inverse = inverse + inverse.T - np.diag(np.diag(inverse))
            e = self.equilibrium
            self._inverse = inverse * e[:, None] * e
        return self._inverse


def _selected_inverse(factor, block=64):
    """The band of ``A^-1`` from the upper banded Cholesky factor ``U`` of A.

    Returns ``Z`` of shape (p + 1, m) with ``Z[d, i] = (A^-1)[i, i + d]``.
    Takahashi's recurrence, ``U Z = U^-T``, runs from the last row up and
    only needs entries inside the band; here it runs on blocks of rows
    ``I`` at once, with ``C`` the next ``p`` rows below them:

    ``Z[I, C] = -U_II^-1 U_IC Z[C, C]`` and
    ``Z[I, I] = U_II^-1 U_II^-T - U_II^-1 U_IC Z[I, C].T``,

    so the work is a few small dense products per block, ``O(m block^2)``.
    """
    p = factor.shape[0] - 1
    m = factor.shape[1]
    Z = np.zeros((p + 1, m))
    block = max(block, p)
    d = np.arange(p + 1)[:, None]
    r = np.arange(block)[None, :]
    Z_cc = np.zeros((0, 0))
    full = None
    for s in range(((m - 1) // block) * block, -1, -block):
        e = min(s + block, m)
        c = min(e + p, m)
        if full is not None and e - s == block and c - s == block + p:
            # Every block away from the end has the same pattern.
            rows, diagonals, cols = full
        else:
            # Entry (r, r + d) of the block's rows of U, where it exists.
            inside = s + r[:, : e - s] + d < m
            rows = np.broadcast_to(r[:, : e - s], inside.shape)[inside]
            diagonals = np.broadcast_to(d, inside.shape)[inside]
            cols = rows + diagonals
            if inside.all() and e - s == block and c - s == block + p:
                full = rows, diagonals, cols
        U = np.zeros((e - s, c - s))
        U[rows, cols] = factor[p - diagonals, s + cols]
        U_inv, _ = dtrtri(U[:, : e - s], lower=0)
        W = U_inv @ U[:, e - s :]
        Z_ic = -W @ Z_cc
        Z_ii = U_inv @ U_inv.T - W @ Z_ic.T
        Z[diagonals, s + rows] = np.concatenate([Z_ii, Z_ic], axis=1)[rows, cols]
        Z_cc = Z_ii[:p, :p]
    return Z


def _band_diagonal(Z, ab):
    """Diagonal of ``A^-1 S`` and of ``|A^-1| |S|``, shape (2, m).

    ``Z[d, i] = A^-1[i, i + d]`` and ``S`` symmetric in upper banded
    storage, ``ab[q - 1 - d, i + d] = S[i, i + d]``, ``q`` at most the rows
    of ``Z``.
    """
    q, m = ab.shape
    out = np.zeros((2, m))
    for d in range(q):
        product = Z[d, : m - d] * ab[q - 1 - d, d:]
        for row, values in enumerate((product, np.abs(product))):
            out[row, : m - d] += values
            if d:
                out[row, d:] += values
    return out


@dataclass
class PenalisedFit:
    """Result of :func:`select_penalties`."""

    coef: np.ndarray
    penalties: np.ndarray
    edf: float
    n_steps: int
    converged: bool
    #: The normal equations it was solved from (for fits that continue).
    statistics: NormalEquations = None


def _residual_sum(stats, coef):
    """Weighted residual sum of squares per target, from the statistics."""
    stats_gram = stats.gram
    if stats.banded:
        g_coef = _banded_matvec(stats_gram, coef)
    else:
        g_coef = stats_gram @ coef
    rss = stats.yty - 2.0 * np.einsum("ij,ij->j", coef, stats.rhs)
    rss += np.einsum("ij,ij->j", coef, g_coef)
    return np.maximum(rss, 0.0)


def _banded_matvec(ab, x):
    p, m = ab.shape
    out = ab[-1][:, None] * x
    for d in range(1, p):
        diag = ab[p - 1 - d, d:][:, None]
        out[:-d] += diag * x[d:]
        out[d:] += diag * x[:-d]
    return out


def _exact_band_matvec(ab, x):
    """:func:`_banded_matvec` in compensated arithmetic.

    Each product is split exactly into a rounded part and its error
    (Dekker's product), and each sum too (Knuth's sum), so that the result
    is as accurate as if it were computed in twice the precision: enough for
    a difference penalty applied to nearly polynomial coefficients, whose
    terms cancel to a millionth of their size.
    """
    p, m = ab.shape
    total, error = _two_product(ab[-1][:, None], x)
    for d in range(1, p):
        diag = ab[p - 1 - d, d:][:, None]
        for target, source in ((slice(None, -d), x[d:]), (slice(d, None), x[:-d])):
            product, product_error = _two_product(diag, source)
            total[target], sum_error = two_sum(total[target], product)
            error[target] += product_error + sum_error
    return total + error


def _split(a):
    """Dekker's split of ``a`` into two halves of 26 bits."""
    c = 134217729.0 * a
    high = c - (c - a)
    return high, a - high


def _two_product(a, b):
    """``a * b`` and its rounding error, exactly (Dekker's product)."""
    product = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(b)
    error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + (
        a_low * b_low
    )
    return product, error


def two_sum(a, b):
    """``a + b`` and its rounding error, exactly (Knuth's TwoSum)."""
    total = a + b
    b_part = total - a
    return total, (a - (total - b_part)) + (b - b_part)


def _quadratic_forms(block, coef, scale):
    """``c_t.T S c_t`` on the block's columns, per target.

    A banded block's coefficients first lose their null-space part, which
    the form does not see: under a large penalty they are nearly linear,
    and the products of their full size would round the small form away.
    """
    c = coef[block.columns]
    if block.band is not None and block.null_dim > 0:
        Q = block.null_space()
        c = c - Q @ (Q.T @ c)
    Sc = block.dense() @ c if block.band is None else _banded_matvec(block.band, c)
    return np.einsum("ij,ij->j", c, Sc) * scale


def _null_space_coordinates(stats, blocks):
    """The problem in coordinates that split each term's null space off.

    Each term's coefficients are rotated onto an orthonormal basis whose
    first columns span its free null-space functions (its constant unless
    redundant, then its line unless redundant) and whose other columns span
    their complement, on which the penalty is positive definite. Redundant
    null-space functions are dropped. In these coordinates the Jacobi
    scaling of the factorisation separates what the data decide from what a
    penalty of up to 1e8 decides, so both keep their digits.

    Returns ``(stats, blocks, T)`` with ``coef = T @ new_coef``; ``T`` is
    None (and nothing changes) for banded systems.
    """
    if stats.banded or any(b.at is None for b in blocks):
        return stats, blocks, None
    m = stats.n_basis
    reduced, pieces, start = [], [], 0
    for block in blocks:
        Z = block.rotation()
        S = Z.T @ block.dense() @ Z
        n_null = block.null_dim - block.redundant
        S[:n_null] = 0.0
        S[:, :n_null] = 0.0
        fixed = np.zeros_like(S)
        if block.redundant < 2 and n_null > 0:
            # The line follows the constant, unless that is redundant.
            line = 1 - block.redundant
            fixed[line, line] = LINE_RIDGE
        pieces.append((block.columns, Z))
        reduced.append(
            PenaltyBlock(start, None, null_dim=n_null, _dense=S, fixed=fixed)
        )
        start += Z.shape[1]
    T = np.zeros((m, start))
    at = 0
    for cols, Z in pieces:
        T[cols, at : at + Z.shape[1]] = Z
        at += Z.shape[1]
    rotated = NormalEquations(
        T.T @ stats.gram @ T, T.T @ stats.rhs, stats.yty, stats.weight_sum
    )
    return rotated, reduced, T


def select_penalties(stats, blocks, fixed=None, criterion="reml", start=None):
    """Penalties chosen by REML, one per block, and the fit they give.

    Parameters
    ----------
    stats : NormalEquations
    blocks : list of PenaltyBlock
    fixed : array-like of shape (len(blocks),), default=None
        Relative penalties to use as they are; then only the effective
        degrees of freedom are computed.
    criterion : {"reml", "gcv"}, default="reml"
        ``"gcv"``: REML's penalties times one common factor chosen by
        generalised cross-validation, ``n RSS / (n - edf)^2``.
    start : array-like of shape (len(blocks),), default=None
        Where the iteration starts, for a problem whose penalties are known
        roughly (a related layout's); None: the rough end, 1e-6.

    Returns
    -------
    fit : PenalisedFit
        ``coef`` of shape (m, n_targets), the relative ``penalties``, the
        effective degrees of freedom ``edf`` (the trace of the influence
        matrix, ``tr(A^-1 G)``), the number of Fellner-Schall steps and
        whether they converged.

    Notes
    -----
    For Gaussian errors of variance ``sigma^2`` and a penalty block that is
    a prior of precision ``lambda_j S_j / sigma^2`` on its term, the REML
    update of Wood and Fasiolo (2017) is

    ``lambda_j <- sigma^2 (rank(S_j) - lambda_j tr(A^-1 S_j)) / (c.T S_j c)``

    with ``A = G + sum_j lambda_j S_j`` and ``sigma^2 = RSS / (n - edf)``.
    It increases the restricted likelihood at every step and needs no
    derivative of the criterion. Several targets share the penalties: their
    quadratic forms are summed, each divided by its own ``sigma^2``.
    """
    original = stats
    stats, blocks, T = _null_space_coordinates(stats, blocks)
    if fixed is None:
        penalties, n_steps, converged = _reml_penalties(stats, blocks, start)
        if stats.n_basis > stats.weight_sum:
            penalties, n_steps, converged = _not_degenerate(
                stats, blocks, (penalties, n_steps, converged)
            )
        if criterion == "gcv":
            penalties = _gcv_level(stats, blocks, penalties)
        fit = _solved(stats, blocks, _on_grid(penalties, stats))
        fit.n_steps, fit.converged = n_steps, converged
    else:
        fixed = np.asarray(fixed, dtype=np.float64)
        if stats.n_basis > stats.weight_sum:
            fixed = np.maximum(fixed, PENALTY_FLOOR_UNDERDETERMINED)
        fit = _solved(stats, blocks, fixed)
    if T is not None:
        fit.coef = T @ fit.coef
    fit.statistics = original
    return fit


def _not_degenerate(stats, blocks, chosen):
    """REML's choice for more unknowns than samples, from the smooth end if need be.

    ``chosen`` is ``(penalties, n_steps, converged)`` from the rough end.
    If its fit interpolates, the residuals vanished and the steps ran to
    the floor: a degenerate maximum of the restricted likelihood that fits
    noise as well as signal. From the smooth end they stop where the data
    ask for detail; that choice is taken unless its fit interpolates too
    (noise-free data).
    """
    n = stats.weight_sum
    if _solved(stats, blocks, _on_grid(chosen[0], stats)).edf <= n - 1.0:
        return chosen
    smooth = _reml_penalties(stats, blocks, np.full(len(blocks), np.inf))
    if _solved(stats, blocks, _on_grid(smooth[0], stats)).edf <= n - 1.0:
        return smooth
    return chosen


def penalty_range(stats):
    """The penalties a problem can use: ``PENALTY_RANGE``, with a higher floor
    (``PENALTY_FLOOR_UNDERDETERMINED``) when it has more unknowns than samples."""
    lo, hi = PENALTY_RANGE
    if stats.n_basis > stats.weight_sum:
        lo = PENALTY_FLOOR_UNDERDETERMINED
    return lo, hi


def _on_grid(penalties, stats):
    """``penalties`` rounded to ``_PENALTY_GRID`` steps a decade."""
    lo, hi = penalty_range(stats)
    log = np.round(np.log10(penalties) * _PENALTY_GRID) / _PENALTY_GRID
    return np.clip(10.0**log, lo, hi)


def _solved(stats, blocks, penalties):
    """The fit of fixed ``penalties`` and its effective degrees of freedom."""
    factor = _Factor(stats, blocks, penalties)
    coef = factor.solve(stats.rhs)
    return PenalisedFit(coef, penalties, factor.edf(), 0, True)


def gcv_score(fit):
    """Generalised cross-validation score ``n RSS / (n - edf)^2`` of a fit.

    ``fit`` is a :class:`PenalisedFit` of :func:`select_penalties` (or of
    fixed penalties); RSS is summed over its targets from its statistics.
    Fits of the same targets on different hidden layers compare by it: it
    estimates their prediction error, without a refit.
    """
    stats = fit.statistics
    n = stats.weight_sum
    rss = float(np.sum(_residual_sum(stats, fit.coef)))
    return n * rss / max(n - fit.edf, 1.0) ** 2


#: GCV scores closer than this fraction (plus as much of a thousandth of the
#: standardised targets' variance) tie: fits that interpolate score zero up
#: to rounding, and rounding must not choose between layouts.
GCV_TIE = 1e-9


def gcv_lower(score, best):
    """Whether a GCV ``score`` is clearly below ``best`` (not a tie)."""
    return score < best - GCV_TIE * (best + 1e-3)


def lowest_gcv(scores):
    """Index of the lowest score; of scores that tie, the first."""
    best = 0
    for i, score in enumerate(scores):
        if gcv_lower(score, scores[best]):
            best = i
    return best


def _gcv(stats, blocks, penalties):
    """GCV score ``n RSS / (n - edf)^2`` of fixed penalties, RSS per target's scale.

    Infinite once ``edf >= n - 1``: a fit that interpolates leaves nothing
    to estimate its error from (its score would be rounding, the lowest).
    """
    fit = _solved(stats, blocks, penalties)
    n = stats.weight_sum
    if n - fit.edf <= 1.0:
        return np.inf
    rss = float(np.sum(_residual_sum(stats, fit.coef) / np.maximum(stats.yty, 1e-300)))
    return n * rss / (n - fit.edf) ** 2


def _gcv_level(stats, blocks, base):
    """Scale REML's penalties by one factor chosen by GCV.

    REML sets how smooth each term is relative to the others; generalised
    cross-validation then sets the overall level: a search over the common
    factor on a grid of half decades, refined by golden sections. Returns
    the penalties.
    """
    lo, hi = penalty_range(stats)

    def score(log_c):
        penalties = np.clip(base * 10.0**log_c, lo, hi)
        return _gcv(stats, blocks, penalties)

    grid = np.arange(-8.0, 8.01, 0.5)
    scores = [score(c) for c in grid]
    k = int(np.argmin(scores))
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    c, d = b - golden * (b - a), a + golden * (b - a)
    fc, fd = score(c), score(d)
    for _ in range(12):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - golden * (b - a)
            fc = score(c)
        else:
            a, c, fc = c, d, fd
            d = a + golden * (b - a)
            fd = score(d)
    best = min([(scores[k], grid[k]), (fc, c), (fd, d)])[1]
    return np.clip(base * 10.0**best, lo, hi)


def _reml_penalties(stats, blocks, start=None):
    """Fellner-Schall steps: the penalties, the number of steps, whether settled."""
    lo, hi = penalty_range(stats)
    n_blocks = len(blocks)
    penalties = np.full(n_blocks, _START)
    if start is not None:
        penalties = np.clip(np.asarray(start, dtype=np.float64), lo, hi)
    previous = None
    ranks = np.array([b.rank for b in blocks], dtype=np.float64)
    last_step, stride = np.zeros(len(blocks)), np.ones(len(blocks))
    converged = False
    steps = 0
    while steps < _MAX_STEPS:
        steps += 1
        factor = _Factor(stats, blocks, penalties)
        # Steps need no refinement: their penalties are rounded to the grid.
        coef = factor.solve(stats.rhs, refine=False)
        shares = factor.penalty_shares()
        edf = factor.edf()
        dof = max(stats.weight_sum - edf, 1.0)
        # A floor relative to the targets' mean square: where the fit
        # interpolates, the residuals are rounding noise, which must not
        # steer the penalties.
        floor = _SIGMA2_FLOOR * np.maximum(stats.yty / stats.weight_sum, 1e-300)
        sigma2 = np.maximum(_residual_sum(stats, coef) / dof, floor)
        updated = penalties.copy()
        for j, block in enumerate(blocks):
            if ranks[j] == 0:
                continue
            form = np.mean(_quadratic_forms(block, coef, factor.scale) / sigma2)
            numerator = ranks[j] - shares[j]
            if not numerator > _NUMERATOR_TOL * ranks[j]:
                # Positive in exact arithmetic: rounding has eaten it (the
                # term is at the limit of its penalty), so the step carries
                # no information and the penalty stays.
                continue
            if not form > 0:
                updated[j] = hi
            else:
                updated[j] = numerator / form
        updated = np.clip(np.nan_to_num(updated, nan=hi, posinf=hi), lo, hi)
        step = np.log(updated) - np.log(penalties)
        change = np.max(np.abs(step), initial=0.0)
        # Fellner-Schall converges linearly, slowly where the criterion is
        # flat: a penalty that keeps moving the same way takes each step
        # longer (doubling up to _MAX_STRIDE); one that turns back after
        # a long step takes half a step, so that coupled penalties do not
        # circle around their fixed point (four rows of 80 samples did, for
        # 100 steps). The fixed point is the same.
        same_way = step * last_step > 0
        overshot = (step * last_step < 0) & (stride > 1.0)
        stride = np.where(
            same_way,
            np.minimum(2.0 * stride, _MAX_STRIDE),
            np.where(overshot, 0.5, 1.0),
        )
        last_step = step
        moved = np.clip(np.log(penalties) + stride * step, np.log(lo), np.log(hi))
        penalties = np.clip(np.exp(moved), lo, hi)
        # Converged when the penalties stop moving, or when the fit does:
        # a penalty on its way to infinity (a term that is linear) changes
        # neither the degrees of freedom nor the residuals any more.
        current = np.array([edf, *sigma2])
        if change < _STEP_TOL or (
            previous is not None
            and abs(edf - previous[0]) < _FIT_TOL * max(edf, 1.0)
            and np.all(np.abs(current[1:] / previous[1:] - 1.0) < _FIT_TOL)
        ):
            converged = True
            break
        previous = current
    if not converged:
        warn(
            f"The REML choice of the penalties did not settle in {_MAX_STEPS} "
            "steps; the last penalties are used (their fit is a valid penalised "
            "fit). Pass a number as alpha to fix the penalty.",
            ConvergenceWarning,
        )
    return penalties, steps, converged
