"""Fits beyond memory: closed-form networks from statistics summed over rows.

A closed-form network is determined by its hidden layer and a few sufficient
statistics (:class:`~sklearn_uat._lstsq.NormalEquations`), which add up over
any split of the rows. Once the hidden layer is fixed, by a ``domain`` given
up front or by the first chunk, each chunk of rows contributes its statistics
and the output layer is solved from their sum: ``partial_fit`` over chunks,
and ``fit`` on a Dask collection, whose blocks are reduced on the workers,
give the model that one ``fit`` on all rows gives.

The targets are standardised inside the models with their mean and standard
deviation over *all* rows, unknown while chunks arrive. So the statistics are
accumulated for ``[(Y - shift) / unit, 1]``, with a shift and a unit taken
from the first chunk (or the first pass over a Dask collection), and turned
into the statistics of the standardised targets when solving: the column of
ones gives each basis function's mass ``Phi.T w``, and the centred second
moments come from sums of the shifted targets without cancellation.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import validate_data

from ._base import restored_on_error
from ._lstsq import NormalEquations, two_sum
from ._validation import as_target_columns, positive_weight_rows

__all__ = ["StreamingMixin", "TargetStatistics", "check_domain"]


@dataclass
class TargetStatistics:
    """Normal equations of ``[(Y - shift) / unit, 1]`` summed over chunks.

    Parameters
    ----------
    equations : NormalEquations
        With ``n_targets + 1`` right-hand sides, the last for a column of
        ones (``rhs[:, -1]`` is ``Phi.T w``).
    target_sum : ndarray of shape (n_targets,)
        Weighted sum of ``(Y - shift) / unit``.
    peak : ndarray of shape (n_targets,)
        Largest ``|Y|`` seen.
    shift, unit : ndarray of shape (n_targets,)
        The map of the targets, fixed by the first chunk.
    rounding : tuple of ndarray, default=None
        The rounding errors of the sums so far (Gram matrix, right-hand
        sides, ``yty``, weight, target sum), or None for none. Each sum is
        carried in two parts, so that chunks added in any order (one by one
        in ``partial_fit``, in a tree on Dask) give the same total to the
        last bit: the penalty that REML chooses from it, and so the output
        weights, then agree far below the 1e-10 that rounding alone allows.
    """

    equations: NormalEquations
    target_sum: np.ndarray
    peak: np.ndarray
    shift: np.ndarray
    unit: np.ndarray
    rounding: tuple = None

    @staticmethod
    def reference(Y, w=None):
        """``(shift, unit)`` from a first chunk: its mean and largest deviation."""
        shift = np.average(Y, axis=0, weights=w)
        spread = np.max(np.abs(Y - shift), axis=0)
        unit = np.where(spread > 0, spread, np.maximum(np.abs(shift), 1.0))
        return shift, unit

    @classmethod
    def of_chunk(cls, equations_of, Y, w, shift, unit):
        """Statistics of one chunk; ``equations_of(targets)`` builds its design."""
        targets = np.empty((Y.shape[0], Y.shape[1] + 1))
        R = np.subtract(Y, shift, out=targets[:, :-1])
        R /= unit
        targets[:, -1] = 1.0
        target_sum = R.sum(axis=0) if w is None else w @ R
        peak = np.maximum(
            np.max(Y, axis=0, initial=0.0), -np.min(Y, axis=0, initial=0.0)
        )
        return cls(equations_of(targets), target_sum, peak, shift, unit)

    def _sums(self):
        eq = self.equations
        return eq.gram, eq.rhs, eq.yty, np.float64(eq.weight_sum), self.target_sum

    def _rounding(self):
        if self.rounding is None:
            return tuple(np.zeros_like(total) for total in self._sums())
        return self.rounding

    def __add__(self, other):
        totals, rounding = [], []
        for a, b, error_a, error_b in zip(
            self._sums(), other._sums(), self._rounding(), other._rounding()
        ):
            total, error = two_sum(a, b)
            totals.append(total)
            rounding.append(error + (error_a + error_b))
        gram, rhs, yty, weight_sum, target_sum = totals
        return TargetStatistics(
            NormalEquations(gram, rhs, yty, float(weight_sum), self.equations.banded),
            target_sum,
            np.maximum(self.peak, other.peak),
            self.shift,
            self.unit,
            tuple(rounding),
        )

    def _folded(self):
        """The equations and the target sum, their rounding errors added back."""
        if self.rounding is None:
            return self.equations, self.target_sum
        gram, rhs, yty, weight_sum, target_sum = (
            total + error for total, error in zip(self._sums(), self.rounding)
        )
        equations = NormalEquations(
            gram, rhs, yty, float(weight_sum), self.equations.banded
        )
        return equations, target_sum

    @classmethod
    def from_standardised(cls, equations, mean, std, peak, first_block):
        """The statistics that ``fit`` solved from, made to continue.

        ``equations`` are those of the standardised targets; the first
        ``first_block`` basis functions sum to one at every row (a partition
        of unity: hats or bumps along one direction), so ``Phi.T w`` and the
        weighted sum of the targets follow from the Gram matrix and the
        right-hand side. For several layers side by side (a block-diagonal
        Gram matrix), ``first_block`` lists each one's ``(start, stop,
        first)``.
        """
        gram = equations.gram
        layers = None if np.ndim(first_block) == 0 else first_block
        if layers is not None:
            first_block = layers[0][2]
        if equations.banded:
            mass = _banded_row_sums(gram)
        elif layers is None:
            mass = gram[:, :first_block].sum(axis=1)
        else:
            # Several layers side by side: each has its own first block.
            mass = np.concatenate(
                [gram[a:b, a : a + k].sum(axis=1) for a, b, k in layers]
            )
        total = equations.weight_sum
        continued = NormalEquations(
            gram.copy(),
            np.column_stack([equations.rhs, mass]),
            np.append(equations.yty, total),
            total,
            equations.banded,
        )
        target_sum = equations.rhs[:first_block].sum(axis=0)
        return cls(continued, target_sum, peak, mean.copy(), std.copy())

    @property
    def mass(self):
        """``Phi.T w``: the weighted sum of each basis function."""
        return self._folded()[0].rhs[:, -1]

    def standardised(self):
        """The statistics of the standardised targets, and their mean and std.

        Returns ``(equations, mean, std)``: the targets are ``(Y - mean) /
        std`` with the weighted mean and standard deviation over all rows
        (as :func:`~sklearn_uat._validation.standard_scaling` takes them; a
        constant target gets ``std = |mean|``, all zeros ``std = 1``).
        """
        eq, target_sum = self._folded()
        n_targets = target_sum.size
        total = eq.weight_sum
        centre = target_sum / total
        # Centred second moment: the shift is the first chunk's mean, near
        # the overall one, so this subtraction loses little.
        second = np.maximum(eq.yty[:n_targets] - target_sum * centre, 0.0)
        mean = self.shift + self.unit * centre
        std = self.unit * np.sqrt(second / total)
        constant = std <= 1e-12 * np.abs(mean)
        std = np.where(constant, np.abs(mean), std)
        std = np.where(self.peak == 0.0, 1.0, std)
        mean = np.where(self.peak == 0.0, 0.0, mean)
        k = self.unit / std
        rhs = k * (eq.rhs[:, :n_targets] - np.outer(eq.rhs[:, -1], centre))
        yty = k**2 * second
        return (
            NormalEquations(eq.gram.copy(), rhs, yty, total, eq.banded),
            mean,
            std,
        )


class BlockSums:
    """Statistics summed a block of ``rows`` rows at a time, blocks counted
    from the first row of positive weight, whatever chunks the rows come in.

    A block is summed once all its rows have arrived, and the blocks are
    added in their order, so the sums are those that ``fit`` takes over the
    same rows to the last bit. Rows of zero weight count for nothing, as if
    left out. The targets' map is the first block's (or a given
    ``reference``); the rows of the block still open (fewer than ``rows``,
    copied) are kept and summed again for each solve. Immutable:
    :meth:`added` returns new sums, so that a refused chunk changes nothing.
    """

    def __init__(self, rows, reference=None, seen=0, committed=None, pending=None):
        self.rows = rows
        self.reference = reference  # (shift, unit) of the targets
        self.seen = seen  # rows of positive weight so far
        self.committed = committed  # TargetStatistics of complete blocks
        self.pending = pending  # (X, Y, w) of the open block's rows

    def added(self, X, Y, w, statistics_of):
        """The sums with the rows ``X``, ``Y``, ``w`` (positive weights) added.

        ``statistics_of(X, Y, w, reference)`` sums rows.
        """
        # Weights always: a block may gather rows of chunks with and without.
        w = np.ones(X.shape[0]) if w is None else w
        start = self.seen - self.seen % self.rows  # the open block's first row
        if self.pending is not None:
            X, Y, w = (np.concatenate(p) for p in zip(self.pending, (X, Y, w)))
        seen = self.seen + X.shape[0] - (self.seen - start)
        reference, committed = self.reference, self.committed
        # The rows from ``start`` on: complete blocks, then the open one.
        n_complete = (seen // self.rows) * self.rows - start
        for a in range(0, n_complete, self.rows):
            rows = slice(a, a + self.rows)
            if reference is None:
                reference = TargetStatistics.reference(Y[rows], w[rows])
            part = statistics_of(X[rows], Y[rows], w[rows], reference)
            committed = part if committed is None else committed + part
        pending = None
        if n_complete < X.shape[0]:
            # Copies: the caller may reuse or change its arrays.
            pending = tuple(np.array(a[n_complete:]) for a in (X, Y, w))
        return BlockSums(self.rows, reference, seen, committed, pending)

    def total(self, statistics_of):
        """The statistics of every row so far."""
        if self.pending is None:
            return self.committed
        reference = self.reference
        if reference is None:
            # The first block is still open: a map of its rows so far.
            reference = TargetStatistics.reference(*self.pending[1:])
        part = statistics_of(*self.pending, reference)
        return part if self.committed is None else self.committed + part


def first_block_reference(Y, w, rows):
    """The targets' map of the first ``rows`` rows of positive weight, as
    :class:`BlockSums` takes it (weights of one where none are given)."""
    w = np.ones(Y.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    keep = np.flatnonzero(w > 0)[:rows]
    return TargetStatistics.reference(np.asarray(Y, dtype=np.float64)[keep], w[keep])


def statistics_function(equations_of, layer):
    """``statistics_of(X, Y, w, reference)``: the statistics of rows on ``layer``.

    ``equations_of(layer, X, targets, w)`` is the estimator's
    ``_stream_equations``; ``reference`` the targets' ``(shift, unit)``.
    """

    def statistics_of(X, Y, w, reference):
        return TargetStatistics.of_chunk(
            lambda targets: equations_of(layer, X, targets, w), Y, w, *reference
        )

    return statistics_of


def _banded_row_sums(ab):
    """Row sums of a symmetric matrix in upper banded storage."""
    p, m = ab.shape
    sums = ab[-1].copy()
    for d in range(1, p):
        diag = ab[p - 1 - d, d:]
        sums[:-d] += diag
        sums[d:] += diag
    return sums


def check_domain(domain, n_features):
    """``domain`` as float64 ``(lo, hi)`` arrays of shape (n_features,).

    Accepts an array-like of shape (n_features, 2), or a pair ``(lo, hi)``
    for one input.
    """
    bounds = np.asarray(domain, dtype=np.float64)
    if bounds.shape == (2,) and n_features == 1:
        bounds = bounds[None]
    if bounds.shape != (n_features, 2):
        raise ValueError(
            "domain must hold one (lo, hi) pair per input, of shape "
            f"({n_features}, 2) for X with {n_features} feature(s); got shape "
            f"{bounds.shape}."
        )
    if not np.all(np.isfinite(bounds)) or np.any(bounds[:, 1] <= bounds[:, 0]):
        raise ValueError(
            "domain must be finite with lo < hi for every input; got "
            f"{bounds.tolist()}."
        )
    return bounds[:, 0].copy(), bounds[:, 1].copy()


#: Rows may pass the domain by this fraction of its width: rounding, as in a
#: MinMaxScaler's 1.0000000000000002, is not a row outside it.
DOMAIN_ROUNDING = 1e-9


def check_inside(X, lo, hi, source):
    """Refuse rows outside the fixed domain of the hidden layer."""
    slack = DOMAIN_ROUNDING * (np.asarray(hi) - np.asarray(lo))
    lo, hi = lo - slack, hi + slack
    if X.shape[0] == 0 or (np.all(X.min(axis=0) >= lo) and np.all(X.max(axis=0) <= hi)):
        return
    below, above = X < lo, X > hi
    if below.any() or above.any():
        feature = int(np.flatnonzero(below.any(axis=0) | above.any(axis=0))[0])
        raise ValueError(
            f"X has values outside the domain of the fixed hidden layer, "
            f"which comes from {source}: feature {feature} ranges over "
            f"[{X[:, feature].min():.10g}, {X[:, feature].max():.10g}], the "
            f"domain over [{lo[feature] + slack[feature]:.10g}, "
            f"{hi[feature] - slack[feature]:.10g}]. Pass domain= with "
            "the full range of the inputs (rows are never clipped silently)."
        )


# --------------------------------------------------------------------------
# partial_fit and fit on Dask collections, for estimators with three hooks.
# --------------------------------------------------------------------------


#: The sample count that sizes layers fixed by a domain.
PLENTIFUL_SAMPLES = 10**9


class StreamingMixin:
    """``partial_fit`` and Dask ``fit`` through summed statistics.

    The estimator provides

    - ``_stream_layer(X, w, n_effective, domain, data_ranges=None)``: the
      fixed hidden layer (an object with ``lo``, ``hi`` and ``source``
      attributes) from the first chunk ``X`` (None on Dask) or the
      ``domain`` bounds; on Dask without a given domain, ``data_ranges(
      directions, offset, scale)`` computes the range of projections of the
      scaled inputs, as ``fit`` measures it in memory;
    - ``_stream_equations(layer, X, targets, w)``: the normal equations of a
      chunk for the given target columns;
    - ``_stream_solve(layer, statistics, single_output)``: solve and assign
      every fitted attribute;
    - ``_stream_parameters``: names of the parameters that the layer and the
      solve depend on, which must not change between ``partial_fit`` calls;
    - ``_stream_refusal()``: why the parameters need all the rows at once,
      or None. ``partial_fit`` exists only when it is None;
    - optionally ``_stream_block_rows(layer)``: None, or the rows of the
      blocks (of rows of positive weight, counted from the first) whose
      statistics are summed apart and then added in order, as ``fit`` sums
      them (:class:`BlockSums`).
    """

    def _stream_block_rows(self, layer):
        return None

    def _sizing_samples(self, n_effective):
        """The sample count that sizes an automatic layer.

        With a ``domain`` the layer is fixed before the rows arrive, so it
        is sized for plentiful data: fit and partial_fit then build the
        same layer whatever the size of the first chunk.
        """
        return n_effective if self.domain is None else PLENTIFUL_SAMPLES

    def _check_streamable(self):
        reason = self._stream_refusal()
        if reason is not None:
            raise ValueError(reason)
        return True

    def _streamable(self):
        return self._stream_refusal() is None

    @available_if(_streamable)
    def partial_fit(self, X, y, sample_weight=None):
        """Add the statistics of a chunk of rows and solve the output layer.

        The hidden layer is fixed by the first call: by ``domain`` when
        given (else by an explicit knots array, for ReLU knots), otherwise
        by the range of the first chunk; later chunks must lie inside it.
        After any number of calls the model equals the one that ``fit``
        gives on all the rows seen, in the order seen, with the same hidden
        layer (to about 1e-10 relative), the penalty chosen by REML from the
        summed statistics included. ``BumpNetRegressor``'s rows along
        several directions, whose soft bumps are nearly collinear, sum
        their rows in fixed blocks as ``fit`` does, so that they equal it
        bit for bit; they keep a copy of the rows of the block still open
        (at most 1,024) and sum them again at each call. A model fitted on
        a Dask collection continues without those blocks, to about 1e-6
        for such rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its targets; the number of targets is fixed by the first chunk.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights of the chunk's rows.

        Returns
        -------
        self : object
            The estimator, fitted on every chunk so far.
        """
        self._validate_params()
        stream = getattr(self, "_stream", None)
        first = stream is None
        if first and hasattr(self, "n_features_in_"):
            raise ValueError(
                f"partial_fit cannot continue this {type(self).__name__}: its "
                "hidden layer (towers, mean heights or a sigmoid output) does not "
                "come from statistics that add up over chunks. Start from a "
                "fresh estimator (sklearn.base.clone) or call fit."
            )
        if not first:
            changed = [
                name
                for name in self._stream_parameters
                if not _same(getattr(self, name), stream["parameters"][name])
            ]
            if changed:
                raise ValueError(
                    "partial_fit continues the hidden layer built by its first "
                    f"call; the parameters {changed} changed since. Restore them, "
                    "or start from a fresh estimator to build another layer."
                )
        with restored_on_error(self):
            X, y = validate_data(
                self, X, y, reset=first, y_numeric=True, multi_output=True
            )
            X = np.asarray(X, dtype=np.float64)
            Y, single_output = as_target_columns(y)
            X, Y, w = positive_weight_rows(X, Y, sample_weight)
            if first:
                domain = self._stream_domain(X.shape[1])
                n_effective = X.shape[0] if w is None else int(round(w.sum()))
                layer = self._stream_layer(X, w, n_effective, domain)
                reference = TargetStatistics.reference(Y, w)
                total, rows = None, self._stream_block_rows(layer)
                blocks = None if rows is None else BlockSums(rows)
            else:
                layer, total = stream["layer"], stream["statistics"]
                blocks = stream.get("blocks")
                n_targets = stream["n_targets"]
                if Y.shape[1] != n_targets or single_output != stream["single"]:
                    raise ValueError(
                        f"y has {Y.shape[1]} target(s) in this chunk and "
                        f"{n_targets} in the first; every chunk must have the "
                        "same targets."
                    )
                reference = None if total is None else (total.shift, total.unit)
            check_inside(X, layer.lo, layer.hi, layer.source)
            statistics_of = statistics_function(self._stream_equations, layer)
            if blocks is None:
                chunk = statistics_of(X, Y, w, reference)
                total = chunk if total is None else total + chunk
            else:
                blocks = blocks.added(X, Y, w, statistics_of)
                total = blocks.total(statistics_of)
            self._stream_solve(layer, total, single_output)
            self._keep_stream(layer, total, single_output, blocks)
        return self

    def _keep_stream(self, layer, statistics, single_output, blocks=None):
        """Keep what a later partial_fit continues from.

        With ``blocks`` the sums are theirs: the total is not kept twice.
        """
        self._stream = {
            "layer": layer,
            "statistics": statistics if blocks is None else None,
            "n_targets": statistics.shift.size,
            "single": single_output,
            "blocks": blocks,
            "parameters": {n: getattr(self, n) for n in self._stream_parameters},
        }

    def _stream_domain(self, n_features):
        if self.domain is None:
            return None
        return check_domain(self.domain, n_features)

    def _fit_dask(self, X, y, sample_weight):
        """``fit`` on Dask collections: one pass for the ranges, one for the sums."""
        import dask
        import dask.array as da

        X, y, w = _as_dask_arrays(X, y, sample_weight)
        if X.ndim != 2 or y.ndim not in (1, 2):
            raise ValueError(
                f"X must be 2-D and y 1-D or 2-D; got {X.ndim}-D X and {y.ndim}-D y."
            )
        Y = y[:, None] if y.ndim == 1 else y
        single_output = y.ndim == 1 or y.shape[1] == 1
        n_features = X.shape[1]
        domain = self._stream_domain(n_features)
        if domain is not None and w is None:
            # The layer is fixed up front: one pass over the data, with the
            # map of the targets taken from the first block on its worker.
            layer = self._stream_layer(None, None, X.shape[0], domain)
            return self._sum_blocks(X, Y, w, layer, None, single_output)
        positive = None if w is None else w > 0
        Xp = X if w is None else da.where(positive[:, None], X, np.nan)
        lo, hi, finite_x, finite_y, total, y_sum, peak = dask.compute(
            da.nanmin(Xp, axis=0),
            da.nanmax(Xp, axis=0),
            da.isfinite(X).all(),
            da.isfinite(Y).all(),
            X.shape[0] if w is None else w.sum(),
            Y.sum(axis=0) if w is None else (Y * w[:, None]).sum(axis=0),
            da.max(da.abs(Y), axis=0),
        )
        if not (finite_x and finite_y):
            raise ValueError(
                "Input contains NaN or infinity (in X or y); drop or impute "
                "those rows before fitting."
            )
        total = float(total)
        if not total > 0:
            raise ValueError("sample_weight must have at least one positive entry.")
        ranges = None
        if domain is None:
            domain = (np.asarray(lo, dtype=np.float64), np.asarray(hi, np.float64))

            def ranges(directions, offset, scale):
                # The range of each projection over the data, as fit takes it.
                P = ((Xp - offset) / scale) @ directions.T
                return np.stack(dask.compute(da.nanmin(P, 0), da.nanmax(P, 0)))

        layer = self._stream_layer(
            None, None, int(round(total)), domain, data_ranges=ranges
        )
        shift = np.asarray(y_sum, dtype=np.float64) / total
        unit = np.where(peak > 0, np.asarray(peak, dtype=np.float64), 1.0)
        return self._sum_blocks(X, Y, w, layer, (shift, unit), single_output)

    def _sum_blocks(self, X, Y, w, layer, reference, single_output):
        """The blocks' statistics, summed on the workers, and the solve.

        ``reference`` is the ``(shift, unit)`` map of the targets, or None
        to take it from the first block, on the worker that holds it.
        """
        import dask
        import dask.array as da

        rows = self._stream_block_rows(layer)
        # Unoptimised, the first block keeps the keys it shares with the
        # blocks below: it is read once, not fused into a copy.
        if rows is not None:
            # Blocks of rows summed apart, as fit sums them: each Dask
            # block starts on one (moving fewer than ``rows`` rows), and
            # the targets' map is that of the first, as fit takes it.
            X, Y, w = _aligned_rows(X, Y, w, rows)
            first = Y.to_delayed(optimize_graph=False)[0, 0]
            first_w = None if w is None else w.to_delayed(optimize_graph=False)[0]
            reference = dask.delayed(first_block_reference, nout=2)(
                first, first_w, rows
            )
        elif reference is None:
            first = Y.to_delayed(optimize_graph=False)[0, 0]
            reference = dask.delayed(TargetStatistics.reference, nout=2)(first)
        # One task per block of rows, from the blocks of X, Y and w that
        # share it: each block's statistics in a one-element object array.
        # Blockwise tasks run where the rows are; the few generic tasks left
        # between blocks kept the 2 workers idle 1 s in 6 on 1e8 rows.
        aligned = [X, "ij", Y, "ik"] + ([] if w is None else [w, "i"])
        statistics = da.blockwise(
            _block_statistics,
            "i",
            *aligned,
            rows,
            None,
            self._stream_equations,
            None,
            layer,
            None,
            reference,
            None,
            adjust_chunks={"i": 1},
            concatenate=True,
            meta=np.empty((0,), dtype=object),
        )
        # A tree reduction: the workers add the blocks' statistics in
        # groups, and only the sum comes back.
        parts = list(statistics.to_delayed())
        while len(parts) > 1:
            parts = [
                dask.delayed(_sum_statistics)(*parts[i : i + 8])
                for i in range(0, len(parts), 8)
            ]
        statistics = _unwrap(parts[0].compute())
        self.n_features_in_ = X.shape[1]
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self._stream_solve(layer, statistics, single_output)
        self._keep_stream(layer, statistics, single_output)
        return self


def _same(a, b):
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except (TypeError, ValueError):  # pragma: no cover - exotic parameters
        return a is b


def is_dask_collection(X):
    """Whether ``X`` is a Dask collection, without importing dask."""
    return hasattr(X, "__dask_graph__") and hasattr(X, "to_delayed")


def _as_dask_arrays(X, y, sample_weight):
    """Dask arrays with known chunk sizes, aligned row blocks."""
    import dask.array as da

    def array(a):
        if a is None:
            return None
        if hasattr(a, "to_dask_array"):
            a = a.to_dask_array(lengths=True)
        elif not isinstance(a, da.Array):
            a = da.from_array(np.asarray(a))
        return a.astype(np.float64)

    X, y, w = array(X), array(y), array(sample_weight)
    if X.ndim == 2 and X.numblocks[1] > 1:
        X = X.rechunk({1: X.shape[1]})
    if y.ndim == 2 and y.numblocks[1] > 1:
        y = y.rechunk({1: y.shape[1]})
    rows = X.chunks[0]
    if y.chunks[0] != rows:
        y = y.rechunk({0: rows})
    if w is not None and w.chunks[0] != rows:
        w = w.rechunk({0: rows})
    if y.shape[0] != X.shape[0] or (w is not None and w.shape[0] != X.shape[0]):
        raise ValueError(
            f"X has {X.shape[0]} rows but y or sample_weight has a different "
            "number; pass collections of the same length."
        )
    return X, y, w


def _block_statistics(X, Y, *rest):
    """One block's statistics, computed on a worker, in an object array.

    ``rest`` is ``[w,] rows, equations_of, layer, reference``; ``rows``
    (or None) the rows of the blocks summed apart (:class:`BlockSums`),
    the first of which starts this block.
    """
    *w, rows, equations_of, layer, reference = rest
    w = w[0] if w else None
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    # NaN and infinities reach the extremes: no (n, d) temporaries.
    extremes = [a.min(axis=0, initial=0.0) for a in (X, Y)]
    extremes += [a.max(axis=0, initial=0.0) for a in (X, Y)]
    if not all(np.isfinite(e).all() for e in extremes):
        raise ValueError(
            "Input contains NaN or infinity (in X or y); drop or impute those "
            "rows before fitting."
        )
    if w is not None:
        keep = np.asarray(w) > 0
        X, Y, w = X[keep], Y[keep], np.asarray(w, dtype=np.float64)[keep]
    check_inside(X, layer.lo, layer.hi, layer.source)
    statistics_of = statistics_function(equations_of, layer)
    statistics = np.empty(1, dtype=object)
    if rows is None:
        statistics[0] = statistics_of(X, Y, w, reference)
    else:
        blocks = BlockSums(rows, reference).added(X, Y, w, statistics_of)
        statistics[0] = blocks.total(statistics_of)
    return statistics


def _aligned_rows(X, Y, w, rows):
    """``X``, ``Y`` and ``w`` rechunked so that each block starts on a block
    of :class:`BlockSums`: at a multiple of ``rows`` rows of positive
    weight, the one nearest to each of the given blocks' starts."""
    import dask

    sizes = np.asarray(X.chunks[0], dtype=np.int64)
    starts = np.r_[0, np.cumsum(sizes)]
    w_blocks = None if w is None else w.to_delayed(optimize_graph=False).ravel()
    if w is None:
        counts = sizes
    else:
        counted = [dask.delayed(_positive_count)(b) for b in w_blocks]
        counts = np.asarray(dask.compute(*counted))
    positive_starts = np.r_[0, np.cumsum(counts)]
    targets = np.round(positive_starts[1:-1] / rows).astype(np.int64) * rows
    targets = np.unique(targets[(targets > 0) & (targets < positive_starts[-1])])
    if w is None:
        cuts = targets
    else:
        # The row of the target-th positive weight, found in its block.
        block = np.searchsorted(positive_starts, targets, side="right") - 1
        found = dask.compute(
            *[
                dask.delayed(_row_of_positive)(w_blocks[j], int(k - positive_starts[j]))
                for j, k in zip(block, targets)
            ]
        )
        cuts = np.asarray(starts[block] + np.asarray(found, dtype=np.int64))
    new_sizes = tuple(int(c) for c in np.diff(np.r_[0, cuts, starts[-1]]))
    if new_sizes == tuple(X.chunks[0]):
        return X, Y, w
    X, Y = X.rechunk({0: new_sizes}), Y.rechunk({0: new_sizes})
    return X, Y, (None if w is None else w.rechunk({0: new_sizes}))


def _positive_count(w):
    """How many weights of a block are positive."""
    return int(np.count_nonzero(np.asarray(w) > 0))


def _row_of_positive(w, k):
    """The row of a block's ``k``-th positive weight."""
    return int(np.flatnonzero(np.asarray(w) > 0)[k])


def _unwrap(part):
    """A block's statistics out of their object array."""
    return part[0] if isinstance(part, np.ndarray) else part


def _sum_statistics(*parts):
    total = _unwrap(parts[0])
    for part in parts[1:]:
        total = total + _unwrap(part)
    return total
