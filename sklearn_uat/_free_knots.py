"""Free knots on one input: least-squares placement, searched then polished.

With one input and no penalty (``alpha=0``), refining a
:class:`~sklearn_uat.ReluKnotRegressor` is the classical free-knot
piecewise-linear least-squares problem: choose the inner knots ``t`` so
that the continuous piecewise-linear fit through them has the smallest
weighted sum of squared errors. Its objective has many local minima (a
knot that crosses a sample changes the fit's second derivative), so a
local method alone lands in whichever basin holds its start.

Everything here works from cumulative moments of the sorted samples
(``sum w``, ``sum w u``, ``sum w u^2``, ``sum w y``, ``sum w u y``): the
normal equations of any knot vector follow from a few look-ups per
interval, exactly, without a pass over the data. That makes it cheap to
evaluate thousands of knot vectors, and the search is:

1. **Two global starts.** The best discontinuous segmentation on a grid
   of candidate breakpoints, by dynamic programming (Bellman [1]_): each
   segment's line fit comes from the moments, so the optimum over all
   segmentations costs ``O(n_knots * n_grid^2)``. And backward elimination:
   from a continuous fit with four times as many knots, the knot whose
   removal costs least goes, one at a time.
2. **Scans.** Each inner knot in turn is moved to the best of a grid of
   positions between its neighbours, refined by zooming in; each pair of
   neighbouring knots jointly; each knot removed and put back anywhere.
   The exact objective, no local model, so knots jump between basins.
3. **Variable projection.** Levenberg-Marquardt on the knots with the
   output solved in closed form at every step, with the exact Jacobian of
   Golub and Pereyra [2]_ (Kaufman's term plus the one that makes it exact
   for residuals that are not small), also from the moments.

Each start gets one sweep of scans and then steps to a stationary point;
from the better of the two, scans and steps alternate until the scans find
no better basin. Only a knot vector that lowers the best objective so far
is kept, so the objective recorded decreases at every step.

References
----------
.. [1] R. Bellman, "On the approximation of curves by line segments using
   dynamic programming", Comm. ACM 4(6), 284, 1961.
.. [2] G. H. Golub and V. Pereyra, "The differentiation of pseudo-inverses
   and nonlinear least squares problems whose variables separate", SIAM J.
   Numer. Anal. 10(2), 413-432, 1973.
"""

import numpy as np

__all__ = ["SortedMoments", "free_knot_search"]

# Candidate positions of one knot per scan, and zoom levels after the first.
_SCAN_POINTS = 48
_ZOOM_LEVELS = 2
# Positions per knot of a pair scan (pairs of them, ordered).
_PAIR_POINTS = 14
_PAIR_ZOOM_POINTS = 7
_PAIR_ZOOM_LEVELS = 4
# Grid of the dynamic programme: this many cells per segment, within bounds.
_GRID_PER_SEGMENT = 12
_GRID_BOUNDS = (64, 400)
# Segments of the fine fit that backward elimination starts from, per segment.
_ELIMINATION_FACTOR = 4
# Positions per segment where a removed knot may be put back.
_RELOCATION_PER_SEGMENT = 16
# A change counts only when it lowers the objective by this fraction.
_RELATIVE_GAIN = 1e-13
# Objectives below this fraction of sum w y^2 are an exact fit.
_EXACT = 1e-15
# Levenberg-Marquardt damping.
_MU_START, _MU_UP, _MU_DOWN, _MU_MAX = 1e-3, 4.0, 3.0, 1e6
# Steps over which the decrease is compared with the tolerance.
_PATIENCE = 5
# Smallest gap between knots, relative to the mean gap.
_MIN_GAP = 1e-6


class SortedMoments:
    """Cumulative weighted moments of samples sorted along one input.

    Parameters
    ----------
    u : ndarray of shape (n,)
    Y : ndarray of shape (n, n_targets)
    w : ndarray of shape (n,) or None
    """

    def __init__(self, u, Y, w):
        order = np.argsort(u, kind="stable")
        u = np.asarray(u, dtype=np.float64)[order]
        Y = np.asarray(Y, dtype=np.float64)[order]
        w = np.ones(u.size) if w is None else np.asarray(w, dtype=np.float64)[order]
        self.u = u
        wy = Y * w[:, None]
        # One table of running sums, so that the moments of many intervals
        # are two look-ups: sum w, sum w u, sum w u^2, then sum w y and
        # sum w u y per target.
        table = np.column_stack([w, w * u, w * u * u, wy, wy * u[:, None]])
        self._running = np.concatenate(
            [np.zeros((1, table.shape[1])), np.cumsum(table, axis=0)]
        )
        self.n_targets = Y.shape[1]
        self.yy = float(np.sum(wy * Y))
        self.lo, self.hi = float(u[0]), float(u[-1])

    def _sums(self, T):
        """Per-interval moments of knot vectors ``T`` (C, K)."""
        idx = np.searchsorted(self.u, T, side="left")
        idx[:, 0] = 0
        idx[:, -1] = self.u.size
        sums = self._running[idx[:, 1:]] - self._running[idx[:, :-1]]
        t = self.n_targets
        return (
            sums[..., 0],
            sums[..., 1],
            sums[..., 2],
            sums[..., 3 : 3 + t],
            sums[..., 3 + t :],
        )

    def interval_sums(self, T):
        """Interval moments: ``sum w``, ``w s``, ``w s^2``, ``w y``, ``w s y``.

        ``s`` is the position within the interval, from 0 to 1.
        """
        n0, su, suu, sy, suy = self._sums(T)
        a = T[:, :-1]
        h = np.diff(T, axis=1)
        S1 = (su - a * n0) / h
        S2 = (suu - 2.0 * a * su + a * a * n0) / (h * h)
        Y1 = (suy - a[..., None] * sy) / h[..., None]
        return n0, S1, S2, sy, Y1

    def sse(self, T):
        """Least-squares objective of each knot vector in ``T`` (C, K).

        ``inf`` where the fit is not determined (too few samples around a
        knot). The tridiagonal normal equations are eliminated in one sweep
        over the knots for all vectors at once.
        """
        T = np.atleast_2d(T)
        C, K = T.shape
        # Knot-major layout: the elimination below walks along the knots.
        idx = np.searchsorted(self.u, T.T, side="left")
        idx[0], idx[-1] = 0, self.u.size
        running = self._running[idx]
        sums = running[1:] - running[:-1]
        t = self.n_targets
        a = T.T[:-1]
        h = T.T[1:] - a
        n0 = sums[..., 0]
        centred = sums[..., 1] - a * n0
        S1 = centred / h
        S2 = (sums[..., 2] - a * (sums[..., 1] + centred)) / (h * h)
        Y0 = sums[..., 3 : 3 + t]
        Y1 = (sums[..., 3 + t :] - a[..., None] * Y0) / h[..., None]
        off = S1 - S2
        diag = np.zeros((K, C))
        diag[:-1] = n0 - S1 - off
        diag[1:] += S2
        rhs = np.zeros((K, C, t))
        rhs[:-1] = Y0 - Y1
        rhs[1:] += Y1
        pivots = np.empty((K, C))
        reduced = np.empty((K, C, t))
        d = pivots[0] = diag[0]
        r = reduced[0] = rhs[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            for i in range(1, K):
                factor = off[i - 1] / d
                d = pivots[i] = diag[i] - factor * off[i - 1]
                r = reduced[i] = rhs[i] - factor[:, None] * r
            energy = np.einsum("kct,kct->c", reduced, reduced / pivots[..., None])
        # A pivot that vanishes: a knot without samples around it.
        bad = ~np.all(pivots > 1e-12 * np.maximum(diag, 1e-300), axis=0)
        out = self.yy - energy
        out[bad] = np.inf
        return out


def segmented_start(moments, n_knots):
    """Breakpoints of the best discontinuous fit on a grid, by dynamic programming.

    Returns ``n_knots`` increasing knots from the lowest to the highest
    sample; ``None`` when the grid cannot hold that many segments of two
    samples or more.
    """
    n_grid = int(np.clip(_GRID_PER_SEGMENT * (n_knots - 1), *_GRID_BOUNDS))
    grid = np.linspace(moments.lo, moments.hi, n_grid + 1)
    idx = np.searchsorted(moments.u, grid, side="left")
    idx[-1] = moments.u.size
    at = moments._running[idx]
    pairwise = at[None, :, :] - at[:, None, :]
    n0, su, suu = pairwise[..., 0], pairwise[..., 1], pairwise[..., 2]
    t = moments.n_targets
    sy, suy = pairwise[..., 3 : 3 + t], pairwise[..., 3 + t :]
    # A segment's line fit explains sy^2 / n0 + sxy_c^2 / sxx_c of sum w y^2.
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_u = su / n0
        spread = suu - su * mean_u
        cross = suy - su[..., None] * (sy / n0[..., None])
        explained = np.sum(sy * sy, axis=2) / n0
        explained += np.where(
            spread > 1e-12 * np.maximum(suu, 1e-300),
            np.sum(cross * cross, axis=2) / spread,
            0.0,
        )
    explained = np.where(n0 >= 2, explained, -np.inf)
    explained[np.tril_indices(n_grid + 1)] = -np.inf
    best = explained[0].copy()
    back = []
    for _ in range(n_knots - 2):
        total = best[:, None] + explained
        arg = np.argmax(total, axis=0)
        back.append(arg)
        best = total[arg, np.arange(n_grid + 1)]
    if not np.isfinite(best[n_grid]):
        return None
    path = [n_grid]
    for arg in reversed(back):
        path.append(int(arg[path[-1]]))
    knots = grid[np.array([0] + path[::-1])]
    return knots


def eliminated_start(moments, n_knots):
    """Knots left by backward elimination from a fine continuous fit.

    Starts from four times as many segments at quantiles of the samples and
    removes, one at a time, the knot whose removal raises the objective
    least: a start that already knows the fit is continuous.
    """
    fine = np.quantile(
        moments.u, np.linspace(0.0, 1.0, _ELIMINATION_FACTOR * (n_knots - 1) + 1)
    )
    knots = np.unique(np.concatenate([[moments.lo], fine[1:-1], [moments.hi]]))
    while knots.size > n_knots:
        inner = np.arange(1, knots.size - 1)
        # Row r lacks knot r + 1.
        dropped = np.arange(inner.size) * knots.size + inner
        candidates = np.delete(
            np.repeat(knots[None], inner.size, axis=0).ravel(), dropped
        ).reshape(inner.size, -1)
        knots = candidates[int(np.argmin(moments.sse(candidates)))]
    return knots.copy() if knots.size == n_knots else None


class _Search:
    """The state of the search: the current knots and the best so far."""

    def __init__(self, moments, knots):
        self.moments = moments
        self.knots = knots.copy()
        self.value = float(moments.sse(knots)[0])
        self.min_gap = _MIN_GAP * (knots[-1] - knots[0]) / (knots.size - 1)
        # Below this the objective is rounding: an exact fit.
        self.floor = _EXACT * moments.yy

    def gain(self, value):
        """The least decrease of ``value`` that counts."""
        return max(_RELATIVE_GAIN * abs(value), self.floor)

    def _try(self, T):
        values = self.moments.sse(T)
        i = int(np.argmin(values))
        if values[i] < self.value - self.gain(self.value):
            self.knots, self.value = T[i].copy(), float(values[i])
            return True
        return False

    def _spread(self, lo, hi, count):
        inner = lo + (hi - lo) * np.arange(1, count + 1) / (count + 1)
        return inner[(inner - lo > self.min_gap) & (hi - inner > self.min_gap)]

    def coordinate_sweep(self):
        """Each inner knot to its best position between its neighbours."""
        improved = False
        for k in range(1, self.knots.size - 1):
            lo, hi = self.knots[k - 1], self.knots[k + 1]
            for _ in range(_ZOOM_LEVELS + 1):
                candidates = self._spread(lo, hi, _SCAN_POINTS)
                if candidates.size == 0:
                    break
                T = np.repeat(self.knots[None], candidates.size + 1, axis=0)
                T[1:, k] = candidates
                improved |= self._try(T)
                # Zoom in around the best position found so far.
                width = (hi - lo) / (_SCAN_POINTS + 1)
                lo = max(self.knots[k] - width, self.knots[k - 1])
                hi = min(self.knots[k] + width, self.knots[k + 1])
        return improved

    def pair_sweep(self, zoom=_PAIR_ZOOM_LEVELS):
        """Each pair of neighbouring inner knots to its best joint position.

        A coarse grid over the pair's room, then finer grids around the
        best pair: two knots that must move together to leave a basin.
        """
        improved = False
        for k in range(1, self.knots.size - 2):
            lo, hi = self.knots[k - 1], self.knots[k + 2]
            grid = self._spread(lo, hi, _PAIR_POINTS)
            first, second = np.triu_indices(grid.size, 1)
            if first.size == 0:
                continue
            T = np.repeat(self.knots[None], first.size, axis=0)
            T[:, k], T[:, k + 1] = grid[first], grid[second]
            improved |= self._try(T)
            width = (hi - lo) / (_PAIR_POINTS + 1)
            offsets = np.linspace(-1.0, 1.0, _PAIR_ZOOM_POINTS)
            for _ in range(zoom):
                a, b = np.meshgrid(offsets * width, offsets * width, indexing="ij")
                T = np.repeat(self.knots[None], a.size, axis=0)
                T[:, k] += a.ravel()
                T[:, k + 1] += b.ravel()
                gaps = np.diff(T[:, k - 1 : k + 3], axis=1)
                T = T[np.all(gaps > self.min_gap, axis=1)]
                if T.shape[0]:
                    improved |= self._try(T)
                width /= 0.5 * (_PAIR_ZOOM_POINTS - 1)
        return improved

    def relocation_sweep(self):
        """One knot moved anywhere: each inner knot removed, and put back at
        the best of a grid over the whole range.

        Jumps that no local move makes: a knot that serves a straight
        stretch goes where the curve bends.
        """
        K = self.knots.size
        if K <= 2:
            return False
        count = int(np.clip(_RELOCATION_PER_SEGMENT * (K - 1), *_GRID_BOUNDS))
        grid = self._spread(self.knots[0], self.knots[-1], count)
        # Not on (or next to) a knot that stays.
        near = np.min(np.abs(grid[:, None] - self.knots[None, :]), axis=1)
        grid = grid[near > self.min_gap]
        rows = []
        for k in range(1, K - 1):
            kept = np.delete(self.knots, k)
            T = np.repeat(kept[None], grid.size, axis=0)
            rows.append(np.sort(np.column_stack([T, grid]), axis=1))
        return self._try(np.vstack(rows))


def _solve(moments, knots):
    """Values at the knots and what the Jacobian needs, from the moments."""
    n0, S1, S2, Y0, Y1 = (v[0] for v in moments.interval_sums(knots[None]))
    K = knots.size
    inside = np.arange(K - 1)
    A0, A1, A2 = n0 - 2.0 * S1 + S2, S1 - S2, S2
    gram = np.zeros((K, K))
    gram[inside, inside] += A0
    gram[inside + 1, inside + 1] += A2
    gram[inside, inside + 1] += A1
    gram[inside + 1, inside] += A1
    rhs = np.zeros((K, Y0.shape[1]))
    rhs[:-1] += Y0 - Y1
    rhs[1:] += Y1
    values = np.linalg.solve(gram, rhs)
    return values, gram, (A0, A1, A2, Y0, Y1)


def _normal_system(knots, values, gram, sums):
    """``J.T J`` and ``J.T r`` of the exact reduced Jacobian, inner knots only."""
    A0, A1, A2, Y0, Y1 = sums
    K = knots.size
    h = np.diff(knots)
    i = np.arange(K - 1)
    JtJ = np.zeros((K, K))
    Jtr = np.zeros(K)
    for t in range(values.shape[1]):
        c = values[:, t]
        slope = np.diff(c) / h
        # Residual moments of each interval: sum w (1 - s) r and sum w s r.
        R0 = (Y0[:, t] - Y1[:, t]) - c[:-1] * A0 - c[1:] * A1
        R1 = Y1[:, t] - c[:-1] * A1 - c[1:] * A2
        # D = d(Phi c) / d t at fixed c: -slope (1 - s) and -slope s.
        DtD = np.zeros((K, K))
        DtD[i, i] += slope**2 * A0
        DtD[i + 1, i + 1] += slope**2 * A2
        DtD[i, i + 1] += slope**2 * A1
        DtD[i + 1, i] += slope**2 * A1
        BtD = np.zeros((K, K))
        BtD[i, i] -= slope * A0
        BtD[i, i + 1] -= slope * A1
        BtD[i + 1, i] -= slope * A1
        BtD[i + 1, i + 1] -= slope * A2
        # E[m, k] = r . d(Phi_m) / d t_k: the term Kaufman's method drops.
        E = np.zeros((K, K))
        E[i, i] += R0 / h
        E[i + 1, i] -= R0 / h
        E[i, i + 1] += R1 / h
        E[i + 1, i + 1] -= R1 / h
        solved = np.linalg.solve(gram, np.hstack([BtD, E]))
        JtJ += DtD - BtD.T @ solved[:, :K] + E.T @ solved[:, K:]
        Jtr[:-1] += slope * R0
        Jtr[1:] += slope * R1
    return JtJ[1:-1, 1:-1], Jtr[1:-1]


class _Polish:
    """Levenberg-Marquardt on the inner knots, one step per call."""

    def __init__(self, search, move):
        self.search, self.move = search, move
        self.mu = _MU_START

    def step(self):
        """One accepted step (True), or False at a stationary point."""
        search = self.search
        try:
            values, gram, sums = _solve(search.moments, search.knots)
            JtJ, Jtr = _normal_system(search.knots, values, gram, sums)
        except np.linalg.LinAlgError:
            return False
        diag = np.diag(JtJ)
        diag = np.maximum(diag, 1e-12 * max(np.max(diag, initial=0.0), 1e-300))
        while self.mu <= _MU_MAX:
            try:
                delta = np.linalg.solve(JtJ + self.mu * np.diag(diag), -Jtr)
            except np.linalg.LinAlgError:
                delta = None
            if delta is not None and np.all(np.isfinite(delta)):
                # The decrease the linear model promises: none worth a solve
                # at a stationary point.
                promised = -(Jtr @ delta) - 0.5 * delta @ (JtJ @ delta)
                if not promised > search.gain(search.value):
                    break
                step = np.concatenate([[0.0], delta, [0.0]])
                moved = self.move(search.knots, step, search.min_gap)
                if search._try(moved[None]):
                    self.mu = max(self.mu / _MU_DOWN, 1e-15)
                    return True
            self.mu *= _MU_UP
        self.mu = _MU_START
        return False


def free_knot_search(moments, knots, max_iter, tol, move):
    """Least-squares free knots from a start; see the module notes.

    Parameters
    ----------
    moments : SortedMoments
    knots : ndarray of shape (n_knots,)
        The start; its end knots stay at the lowest and highest sample.
    max_iter : int
        Iterations: a sweep of scans, or a Levenberg-Marquardt step.
    tol : float
        Converged when a round of steps and scans lowers the objective by
        less than ``tol`` times its value.
    move : callable
        ``move(knots, step, min_gap)``, the feasible knots after a step.

    Returns
    -------
    knots : ndarray
        The best knots found (the start's when nothing was better).
    objective : ndarray
        The objective at the start and after every iteration that lowered
        it.
    n_iter : int
    converged : bool
    """
    start = _Search(moments, np.asarray(knots, dtype=np.float64))
    history = [start.value]
    best = start
    starts = []
    if knots.size > 2:
        starts = [
            segmented_start(moments, knots.size),
            eliminated_start(moments, knots.size),
        ]
    n_iter, converged, leader = 0, True, None
    for placed in starts:
        if placed is None:
            continue
        # The start's end knots (the training range, or a wider domain).
        placed[0], placed[-1] = start.knots[0], start.knots[-1]
        search = _Search(moments, placed)
        converged, n_iter, best = _descend(
            search, best, history, n_iter, max_iter, tol, move, hop=False
        )
        if leader is None or search.value < leader.value:
            leader = search
    if leader is not None and converged:
        # Basin hopping from the better of the starts' local optima only.
        converged, n_iter, best = _descend(
            leader, best, history, n_iter, max_iter, tol, move, hop=True
        )
    return best.knots, np.array(history), n_iter, converged


def _descend(search, best, history, n_iter, max_iter, tol, move, hop):
    """Scans and steps from one start until they stop or the budget ends.

    Without ``hop``: one sweep of scans, then steps to a stationary point.
    With it: from a stationary point, scans for a better basin and steps
    again, until the scans find none.
    """
    polish = _Polish(search, move)
    recent = [search.value]
    scanning, converged = not hop, False
    while n_iter < max_iter and not converged:
        n_iter += 1
        if scanning:
            # One sweep from the start, then steps: scans are global but
            # slow along a valley, steps fast but local.
            search.coordinate_sweep()
            search.pair_sweep(zoom=0)
            scanning, recent = False, [search.value]
        else:
            stepped = polish.step()
            recent = (recent + [search.value])[-_PATIENCE - 1 :]
            slow = (
                len(recent) > _PATIENCE and recent[0] - recent[-1] <= tol * recent[-1]
            )
            if not stepped or slow:
                # Where the smooth model stops, scan for a better basin.
                if hop and _hop(search):
                    recent = [search.value]
                else:
                    converged = True
        if search.value <= search.floor:
            converged = True
        if search.value < best.value - best.gain(best.value):
            best = _copy(search)
            history.append(best.value)
    return converged, n_iter, best


def _hop(search):
    """Scans from a stationary point: near moves first, then relocations."""
    if search.coordinate_sweep() | search.pair_sweep():
        return True
    return search.relocation_sweep()


def _copy(search):
    out = object.__new__(_Search)
    out.__dict__.update(search.__dict__)
    out.knots = search.knots.copy()
    return out
