"""The closed-form ReLU network: piecewise-linear least squares on knots.

In one input, ``c + sum_k w_k relu(x - t_k)`` is exactly a continuous
piecewise-linear function whose slope changes by ``w_k`` at knot ``t_k``.
Fitting such a network needs no gradient descent: once the knots are placed,
the output layer is a linear least-squares problem. It is solved here in the
local basis of hat functions (each a combination of three ReLUs), whose
normal equations are banded and well conditioned, and the hat coefficients
are converted to slope changes: the network's output weights.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import NetworkRegressorMixin
from ._knot_basis import (
    _CHUNK_ROWS,
    _curvature_knots,
    _error_knots,
    _evaluate_direction,
    _intervals,
    _piecewise_linear,
    _solve_directions,
    _solve_one_direction,
    _strictly_increasing,
    _uniform_knots,
    _weighted_quantile_knots,
)
from ._network import FeedForwardNetwork
from ._validation import (
    check_memory_budget,
    check_sample_weight,
    minmax_scaling,
    standard_scaling,
)

__all__ = ["ReluKnotRegressor"]

# Projections whose training range is below this (in scaled input units) are
# treated as constant: their knots span a unit window centred on the value.
_DEGENERATE_RANGE = 1e-12

# knots="adaptive": at most this many error-equalising steps (one fit each),
# each moving the knots this fraction of the way to equal errors, stopping
# after this many steps without a lower training error.
_ADAPTIVE_STEPS = 150
_ADAPTIVE_DAMPING = 0.3
_ADAPTIVE_PATIENCE = 40
# ... on at most this many samples (evenly spaced in sorted order); the
# final fit on the chosen knots uses all of them.
_ADAPTIVE_MAX_SAMPLES = 200_000

# tol with several directions: growth stops at this many unknowns in all.
_MAX_GROWN_UNKNOWNS = 4096


# --------------------------------------------------------------------------
# The estimator.
# --------------------------------------------------------------------------


class ReluKnotRegressor(NetworkRegressorMixin, RegressorMixin, BaseEstimator):
    """One hidden layer of ReLUs at knots, fitted in closed form.

    In one input the model is the network
    ``c + w_0 relu(t_0 - x) + sum_k w_k relu(x - t_k)``: a continuous
    piecewise-linear function with a kink at every knot ``t_k``. Its output
    weights are the changes of slope at the knots, and fitting it is a
    linear least-squares problem, solved exactly (no gradient descent) in a
    banded basis of hat functions. The knots are equally spaced, placed by
    data density, placed by curvature, or given; with ``tol`` their number
    grows until the training error is small enough, which answers "how many
    ReLUs do I need?". Several inputs use one row of knots per direction.

    Read more in the package README.

    Parameters
    ----------
    n_knots : int, default=32
        Knots per input direction, both ends of the training range
        included. Ignored when ``knots`` is an array; the starting count
        when ``tol`` is set.

    knots : {"uniform", "quantile", "adaptive"} or array-like, default="uniform"
        Where the knots go along each direction.

        - ``"uniform"``: equally spaced over the training range.
        - ``"quantile"``: at (weighted) quantiles of the training inputs,
          so that each interval holds about as many samples.
        - ``"adaptive"``: density proportional to ``|f''|^(1/2)``, the
          density that equidistributes the maximum error of a linear fit.
          ``f''`` is read off the kinks of a pilot fit on four times as
          many uniform knots; then damped steps move the knots towards
          equal maximum errors per interval (one least-squares fit each, up
          to 150 steps on at most 200,000 samples for one input, 2 steps
          for several directions), and the placement with the lowest
          training max error is kept. Costs up to about a hundred fits.
          The same data give the same knots, but the steps amplify
          rounding: rescaling ``y`` or reordering the rows can move knots by
          a few thousandths of the range and change the test error by several
          percent, where the other placements agree to rounding.
        - array of shape (n_knots,): the knot positions in the units of the
          input, for one-input data only. Samples outside these knots are
          fitted by the end intervals' lines.

    tol : float, default=None
        When set, the number of knots is searched (from ``n_knots``, down
        to 2 or up to ``max_knots``, then by bisection) for the smallest
        count whose maximum absolute training error, in the units of ``y``,
        is at most ``tol``; that count is ``n_knots_``. For a relative
        tolerance ``r`` pass ``tol=r * np.abs(y).max()``.

    max_knots : int, default=4096
        Largest number of knots per direction that ``tol`` may grow to
        (with several directions, also at most 4096 knots in all, as their
        normal equations are dense). A
        :class:`~sklearn.exceptions.ConvergenceWarning` is raised when
        ``tol`` is still not met there.

    alpha : float, default=1e-10
        Ridge penalty on the output weights: the sum of squared changes of
        slope at the inner knots, each times its knot spacing (in scaled
        units, so the penalty does not depend on ``n_knots``), relative to
        the mean diagonal of the normal equations. The default fixes the
        values of knots that no sample reaches (they continue their
        neighbours' line) and otherwise barely moves the fit (relative
        changes of about 1e-10, up to 1e-7 with very closely spaced knots);
        ``alpha=0`` gives the plain least-squares spline when every
        interval holds data. Raise it to smooth noisy data. At most 1e8:
        beyond, rounding in the normal equations swamps the data (the fit
        is then the limit of large ``alpha``, a line along each direction,
        reached well before 1e8).

    directions : "axes" or int, default="axes"
        The directions along which knots are placed when there are several
        inputs (inputs are first scaled to [0, 1]).

        - ``"axes"``: one row of knots per input, i.e. an additive model
          ``f_1(x_1) + ... + f_d(x_d)``. It represents any sum of
          one-input functions exactly in the limit of many knots, but no
          interaction such as ``x_1 * x_2**2``.
        - int ``m``: ``m`` random unit directions drawn with
          ``random_state``, plus the axes; the units are ReLUs of
          projections ``relu(v . u - t)``, sums of ridge functions. Such
          sums approximate any continuous function of several inputs as
          ``m`` and ``n_knots`` grow (they are universal approximators)
          and are still fitted in closed form, but need more units than an
          additive model for additive targets.

        With one input the only direction is the input itself.

    extrapolation : {"linear", "constant"}, default="linear"
        Behaviour outside the knots of each direction. ``"linear"``: the end
        intervals' lines continue (the network's own behaviour; a ReLU
        facing left at the first knot carries the line below it).
        ``"constant"``: the function is clamped to its values at the end
        knots (a ReLU at the last knot cancels the slope beyond it).

    random_state : int, RandomState instance or None, default=None
        Draws the directions when ``directions`` is an int. Pass an int for
        reproducible results.

    Attributes
    ----------
    network_ : FeedForwardNetwork
        The fitted network on raw inputs and targets: one hidden ReLU layer
        and an identity output, ``activations_ == ["relu", "identity"]``.
        :meth:`predict` equals its forward pass.

    coefs_ : list of ndarray
        ``[W_hidden (n_features_in_, n_units), W_out (n_units, 1)]``, read
        from ``network_``. ``W_out`` holds the slope changes at the knots in
        raw units.

    intercepts_ : list of ndarray
        ``[b_hidden (n_units,), b_out (1,)]``, read from ``network_``.

    activations_ : list of str
        ``["relu", "identity"]``.

    n_parameters_ : int
        Number of weights and biases of ``network_``.

    knots_ : ndarray or list of ndarray
        With one input: the knot positions, an ndarray in the units of the
        input. With several inputs: a list with one ndarray per row of
        ``directions_``, the knot positions along that direction's
        projection ``directions_[i] @ (x - input_offset_) / input_scale_``.

    n_knots_ : int
        Number of knots per direction that the fit used (the largest, if
        merged quantiles left some direction fewer). With ``tol``, the
        number of knots needed to reach it.

    n_units_ : int
        Number of hidden ReLU units.

    directions_ : ndarray of shape (n_directions, `n_features_in_`)
        Unit vectors along which the knots are placed, in the scaled input
        space ``(x - input_offset_) / input_scale_`` (the axes first).

    input_offset_ : ndarray of shape (`n_features_in_`,)
        Minimum of each input over the samples of positive weight.

    input_scale_ : ndarray of shape (`n_features_in_`,)
        Range of each input (1 for a constant input).

    train_max_error_ : float
        Maximum absolute training error in the units of ``y``, over the
        samples of positive weight.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The same network family, trained
        by gradient descent.
    scipy.interpolate.make_lsq_spline : The least-squares spline; with
        ``k=1`` and the same knots it has the same optimum in one input.

    Notes
    -----
    A continuous piecewise-linear ``f`` with values ``c_k`` at knots
    ``t_0 < ... < t_{K-1}`` and slopes ``m_k = (c_{k+1} - c_k) / (t_{k+1} -
    t_k)`` is, for every ``x``,

    ``f(x) = c_0 - m_0 relu(t_0 - x) + m_0 relu(x - t_0) +
    sum_{k=1}^{K-2} (m_k - m_{k-1}) relu(x - t_k)``,

    so the output weights are the slope changes [1]_. The hinge basis
    ``relu(x - t_k)`` is badly conditioned for many knots, while the hat
    basis (the piecewise-linear functions that are 1 at one knot and 0 at
    the others, each ``relu`` combination of three neighbouring knots) gives
    tridiagonal normal equations, accumulated in one pass over the data and
    solved by a banded Cholesky factorisation. Inputs are scaled to [0, 1]
    and targets standardised internally and the scalings folded into the
    network, so inputs in 1e6..1e7 fit as well as in 0..1. The maximum
    error of a linear fit on an interval of width ``h`` is about
    ``h^2 |f''| / 8``: it falls as ``n_knots^-2``, and is spread evenly by
    knots of density ``|f''|^(1/2)`` [2]_.

    :meth:`predict` does not multiply by the (n_samples, n_units) hidden
    layer: it finds each sample's interval and applies that interval's
    linear piece, which is the network's output to rounding (about 1e-12
    relative; only inputs whose training range is below about 1e-6 of their
    magnitude lose more, as float64's rounding of ``x`` itself then shows in
    the network's first layer).

    References
    ----------
    .. [1] R. Arora, A. Basu, P. Mianjy and A. Mukherjee, "Understanding
       deep neural networks with rectified linear units", ICLR 2018.
    .. [2] C. de Boor, "A Practical Guide to Splines", Springer, 1978,
       chapter III (knot placement for piecewise-linear approximation).

    Examples
    --------
    Seed 004's question, "how many ReLUs do I need?", for x^2 on
    [1e6, 1e7] to a relative error of 1e-4:

    >>> import numpy as np
    >>> from sklearn_uat import ReluKnotRegressor
    >>> X = np.arange(1e6, 1e7, 1e4).reshape(-1, 1)
    >>> y = X[:, 0] ** 2
    >>> model = ReluKnotRegressor(tol=1e-4 * y.max()).fit(X, y)
    >>> model.n_knots_, model.activations_
    (38, ['relu', 'identity'])
    >>> bool(model.train_max_error_ <= 1e-4 * y.max())
    True
    >>> np.allclose(model.predict(X), model.network_.forward(X), rtol=1e-12)
    True

    Each hidden unit's share of the output, the hinges of the fit:

    >>> parts = model.decompose(X)
    >>> parts.shape
    (900, 38)
    >>> np.allclose(parts.sum(axis=1) + model.intercepts_[-1][0], model.predict(X))
    True
    """

    _parameter_constraints: dict = {
        "n_knots": [Interval(Integral, 2, None, closed="left")],
        "knots": [StrOptions({"uniform", "quantile", "adaptive"}), "array-like"],
        "tol": [Interval(Real, 0, None, closed="neither"), None],
        "max_knots": [Interval(Integral, 2, None, closed="left")],
        "alpha": [Interval(Real, 0, 1e8, closed="both")],
        "directions": [
            StrOptions({"axes"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "extrapolation": [StrOptions({"linear", "constant"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_knots=32,
        *,
        knots="uniform",
        tol=None,
        max_knots=4096,
        alpha=1e-10,
        directions="axes",
        extrapolation="linear",
        random_state=None,
    ):
        self.n_knots = n_knots
        self.knots = knots
        self.tol = tol
        self.max_knots = max_knots
        self.alpha = alpha
        self.directions = directions
        self.extrapolation = extrapolation
        self.random_state = random_state

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Place the knots and solve for the output weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs. At least two samples.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the squared errors. Samples of weight 0
            are ignored, also when the training range is measured.

        Returns
        -------
        self : ReluKnotRegressor
            The fitted estimator.
        """
        X, y = validate_data(
            self, X, y, reset=True, y_numeric=True, ensure_min_samples=2
        )
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        w = None
        if sample_weight is not None:
            w = check_sample_weight(sample_weight, X)
            positive = w > 0
            if not positive.any():
                raise ValueError(
                    "sample_weight must have at least one positive entry; got all "
                    "zeros."
                )
            if not positive.all():
                X, y, w = X[positive], y[positive], w[positive]
            if np.all(w == w[0]):
                w = None
        n_features = X.shape[1]
        explicit = self._explicit_knots(n_features)
        if self.tol is not None and explicit is not None:
            raise ValueError(
                "tol grows the number of knots and cannot be combined with an "
                "explicit knots array; set tol=None or pass knots='uniform', "
                "'quantile' or 'adaptive'."
            )
        directions = self._draw_directions(n_features)
        n_start = explicit.size if explicit is not None else self.n_knots
        self._check_size(n_start, directions)

        if X.shape[0] < 2:
            raise ValueError(
                f"Found {X.shape[0]} sample(s) of positive weight; at least 2 "
                "are needed (n_samples=1 cannot define a range). Give more "
                "samples a positive sample_weight."
            )
        offset, scale = minmax_scaling(X)
        y_mean, y_std = standard_scaling(y, w)
        P = (X - offset) / scale
        if n_features > 1:
            check_memory_budget(
                X.shape[0] * directions.shape[0],
                what=f"projecting {X.shape[0]} samples on {directions.shape[0]} "
                "directions",
                fix="lower directions or fit on fewer samples",
            )
            P = P @ directions.T
        y_scaled = (y - y_mean) / y_std
        # Weights of mean 1 (None when all equal) keep the normal equations'
        # scale that of the number of samples.
        w_pos = None if w is None else w / w.mean()
        ranges = self._projection_ranges(P)

        if explicit is not None:
            knots_list = [_strictly_increasing((explicit - offset[0]) / scale[0])]
            fit = self._fit_on_knots(P, y_scaled, w_pos, knots_list)
        elif self.tol is None:
            fit = self._fit_with_count(P, y_scaled, w_pos, ranges, self.n_knots)
        else:
            fit = self._grow(P, y_scaled, w_pos, ranges, directions, y_std)

        knots_list, values_list, error, _ = fit
        self._store(knots_list, values_list, directions, offset, scale, y_mean, y_std)
        if explicit is not None and knots_list[0].size == explicit.size:
            # Exactly the positions given, not their image through scaling.
            self.knots_ = explicit
            self._raw_pieces = self._one_input_pieces(values_list[0])
        self.train_max_error_ = float(error * y_std)
        return self

    def _explicit_knots(self, n_features):
        if isinstance(self.knots, str):
            return None
        knots = np.asarray(self.knots)
        if knots.dtype.kind not in "iuf" or knots.ndim != 1 or knots.size < 2:
            raise ValueError(
                "knots must be 'uniform', 'quantile', 'adaptive' or a 1-D array "
                f"of at least two real positions; got an array of shape "
                f"{knots.shape} and dtype {knots.dtype}."
            )
        knots = knots.astype(np.float64)
        if not np.all(np.isfinite(knots)):
            raise ValueError("knots must be finite; the array holds NaN or inf.")
        if np.any(np.diff(knots) <= 0):
            raise ValueError(
                "knots must be strictly increasing; sort the array and remove "
                "repeated positions."
            )
        if n_features != 1:
            raise ValueError(
                "An explicit knots array is for one-input data, but X has "
                f"{n_features} features; use knots='uniform', 'quantile' or "
                "'adaptive'."
            )
        return knots

    def _draw_directions(self, n_features):
        axes = np.eye(n_features)
        if self.directions == "axes" or n_features == 1:
            return axes
        check_memory_budget(
            self.directions * n_features,
            what=f"directions={self.directions} with {n_features} features",
            fix="lower directions",
        )
        rng = check_random_state(self.random_state)
        drawn = rng.standard_normal((self.directions, n_features))
        norms = np.linalg.norm(drawn, axis=1, keepdims=True)
        drawn = drawn / np.where(norms > 0, norms, 1.0)
        return np.vstack([axes, drawn])

    def _check_size(self, n_knots, directions, growing=False):
        """Refuse knot counts whose arrays would exceed the memory budget."""
        n_dir = directions.shape[0]
        name = "the count that tol grows to" if growing else "n_knots"
        fix = "raise tol or lower max_knots" if growing else "lower n_knots"
        what = f"{name} ({n_knots} knots on {n_dir} direction(s))"
        check_memory_budget(4 * n_knots * n_dir, what=what, fix=fix)
        if n_dir > 1:
            # The normal equations, their copy and the Cholesky factor.
            check_memory_budget(
                3 * (n_knots * n_dir) ** 2,
                what=what + " with its dense normal equations",
                fix=fix + ", or lower directions",
            )

    @staticmethod
    def _projection_ranges(P):
        lo, hi = P.min(axis=0), P.max(axis=0)
        degenerate = hi - lo <= _DEGENERATE_RANGE
        mid = 0.5 * (lo + hi)
        lo = np.where(degenerate, mid - 0.5, lo)
        hi = np.where(degenerate, mid + 0.5, hi)
        return np.stack([lo, hi], axis=1)

    # -- one count of knots, placed by the strategy

    def _fit_with_count(self, P, y, w, ranges, n_knots):
        if self.knots == "uniform":
            knots_list = [_uniform_knots(lo, hi, n_knots) for lo, hi in ranges]
            return self._fit_on_knots(P, y, w, knots_list, uniform=True)
        if self.knots == "quantile":
            knots_list = [
                _weighted_quantile_knots(P[:, i], w, lo, hi, n_knots)
                for i, (lo, hi) in enumerate(ranges)
            ]
            return self._fit_on_knots(P, y, w, knots_list)
        return self._fit_adaptive(P, y, w, ranges, n_knots)

    def _fit_adaptive(self, P, y, w, ranges, n_knots):
        n_dir = P.shape[1]
        presorted = n_dir == 1
        if presorted:
            order = np.argsort(P[:, 0], kind="stable")
            if order.size > _ADAPTIVE_MAX_SAMPLES:
                keep = np.linspace(0, order.size - 1, _ADAPTIVE_MAX_SAMPLES)
                order = order[keep.astype(np.intp)]
            P_all, y_all, w_all = P, y, w
            P, y = P[order], y[order]
            w = None if w is None else w[order]
            if order.size < P_all.shape[0]:
                best = self._fit_adaptive(P, y, w, ranges, n_knots)
                return self._fit_on_knots(P_all, y_all, w_all, best[0])
        # The pilot needs enough samples per interval to see curvature.
        n_pilot = n_knots
        if n_dir == 1:
            n_pilot = int(min(max(4 * n_knots, 64), max(n_knots, P.shape[0] // 8)))
        pilot_knots = [_uniform_knots(lo, hi, n_pilot) for lo, hi in ranges]
        pilot = self._fit_on_knots(P, y, w, pilot_knots, uniform=True)
        knots_list = [
            _curvature_knots(k, v, n_knots) for k, v in zip(pilot[0], pilot[1])
        ]
        current = best = self._fit_on_knots(P, y, w, knots_list, presorted=presorted)
        # Equalise the measured error of the intervals: a damped fixed-point
        # iteration (one least-squares fit per step) that passes through
        # worse placements on its way, so the best one seen is kept.
        stalled = 0
        for _ in range(_ADAPTIVE_STEPS if n_dir == 1 else 2):
            errors = self._interval_errors(P, current, presorted)
            knots_list = [
                _error_knots(k, e, _ADAPTIVE_DAMPING)
                for k, e in zip(current[0], errors)
            ]
            current = self._fit_on_knots(P, y, w, knots_list, presorted=presorted)
            if current[2] < best[2]:
                best, stalled = current, 0
            else:
                stalled += 1
                if stalled >= _ADAPTIVE_PATIENCE:
                    break
        if n_pilot == n_knots and pilot[2] < best[2]:
            best = pilot
        return best

    def _interval_errors(self, P, fit, presorted=False):
        """Max absolute residual within each interval of each direction."""
        knots_list, _, _, residual = fit
        residual = np.abs(residual)
        errors = []
        for i, knots in enumerate(knots_list):
            j, _ = _intervals(knots, P[:, i], presorted=presorted)
            e = np.zeros(knots.size - 1)
            np.maximum.at(e, j, residual)
            errors.append(e)
        return errors

    def _fit_on_knots(self, P, y, w, knots_list, uniform=False, presorted=False):
        """Least-squares knot values.

        Returns ``(knots_list, values_list, max_abs_error, residual)``, in
        scaled units.
        """
        clamp = self.extrapolation == "constant"
        if len(knots_list) == 1:
            knots = knots_list[0]
            j, s = _intervals(knots, P[:, 0], clamp, presorted, uniform)
            values = _solve_one_direction(j, s, y, w, knots, self.alpha)
            values_list = [values]
            residual = y - values[j]
            residual -= s * np.diff(values)[j]
        else:
            values_list = _solve_directions(P, y, w, knots_list, self.alpha, clamp)
            residual = y - self._evaluate_scaled(P, knots_list, values_list, uniform)
        error = float(np.max(np.abs(residual)))
        return knots_list, values_list, error, residual

    def _evaluate_scaled(self, P, knots_list, values_list, uniform=False):
        clamp = self.extrapolation == "constant"
        out = np.zeros(P.shape[0])
        for i, (knots, values) in enumerate(zip(knots_list, values_list)):
            a, m = _piecewise_linear(knots, values)
            out += _evaluate_direction(knots, a, m, P[:, i], clamp, uniform)
        return out

    # -- tol: how many knots are needed

    def _grow(self, P, y, w, ranges, directions, y_std):
        tol = self.tol / y_std
        tried = {}

        def attempt(n):
            if n not in tried:
                # Residuals are not needed later: keep memory at one fit's.
                tried[n] = self._fit_with_count(P, y, w, ranges, n)[:3] + (None,)
            return tried[n]

        n = min(self.n_knots, self.max_knots)
        fit = attempt(n)
        passed = n if fit[2] <= tol else None
        failed = None if passed is not None else n
        # Already good enough: halve down to a count that is not.
        while failed is None and passed > 2:
            n = max(2, passed // 2)
            if attempt(n)[2] <= tol:
                passed = n
            else:
                failed = n
        # Several directions share dense normal equations, whose solve grows
        # as the cube of the unknowns: growth stops at a size that solves in
        # seconds.
        n_dir = directions.shape[0]
        limit, limited_by = self.max_knots, f"max_knots={self.max_knots}"
        if n_dir > 1 and n_dir * limit > _MAX_GROWN_UNKNOWNS:
            limit = max(2, _MAX_GROWN_UNKNOWNS // n_dir)
            limited_by = (
                f"{limit} knots per direction ({_MAX_GROWN_UNKNOWNS} unknowns "
                f"over {n_dir} directions)"
            )
        # Grow geometrically, guided by the n^-2 rate (at most 4x a step),
        # until tol is met.
        while passed is None and n < limit:
            err = tried[n][2]
            guess = int(np.ceil(n * np.sqrt(err / tol) * 1.02))
            n = min(limit, 4 * n, max(guess, n + 1, int(1.25 * n)))
            if tried.get(n) is None:
                self._check_size(n, directions, growing=True)
            if attempt(n)[2] <= tol:
                passed = n
            else:
                failed = n
        if passed is None:
            warnings.warn(
                f"tol={self.tol:g} was not reached with {limited_by}: the "
                f"training max abs error is {tried[n][2] * y_std:.3g}. Raise "
                "tol, or max_knots (or lower directions for several inputs).",
                ConvergenceWarning,
                stacklevel=3,
            )
            return tried[n]
        # Bisect down to the smallest count that meets tol.
        while failed is not None and passed - failed > 1:
            mid = (passed + failed) // 2
            if attempt(mid)[2] <= tol:
                passed = mid
            else:
                failed = mid
        return tried[passed]

    # -- the network

    def _store(self, knots_list, values_list, directions, offset, scale, y_mean, y_std):
        linear = self.extrapolation == "linear"
        weights_in, biases, weights_out = [], [], []
        intercept = 0.0
        for v, knots, values in zip(directions, knots_list, values_list):
            _, slopes = _piecewise_linear(knots, values)
            changes = np.diff(slopes, prepend=0.0)
            intercept += values[0]
            if linear:
                # relu(t_0 - p) carries the first line below the first knot.
                facing = np.concatenate([[-1.0], np.ones(knots.size - 1)])
                at = knots[:-1]
                at = np.concatenate([[knots[0]], at])
                out = np.concatenate([[-slopes[0]], changes])
            else:
                # relu(p - t_last) cancels the slope beyond the last knot.
                facing = np.ones(knots.size)
                at = knots
                out = np.concatenate([changes, [-slopes[-1]]])
            weights_in.append(facing[None, :] * v[:, None])
            biases.append(-facing * at)
            weights_out.append(out)
        net = FeedForwardNetwork(
            coefs=[np.hstack(weights_in), np.concatenate(weights_out)[:, None]],
            intercepts=[np.concatenate(biases), np.array([intercept])],
            activations=["relu", "identity"],
        )
        self.network_ = net.with_input_scaling(offset, scale).with_output_scaling(
            y_mean, y_std
        )
        self.directions_ = directions
        self.input_offset_ = offset
        self.input_scale_ = scale
        self.n_knots_ = int(max(k.size for k in knots_list))
        self.n_units_ = int(self.network_.coefs[0].shape[1])
        if directions.shape[0] == 1:
            self.knots_ = knots_list[0] * scale[0] + offset[0]
        else:
            self.knots_ = list(knots_list)
        self._pieces = [
            _piecewise_linear(k, v) for k, v in zip(knots_list, values_list)
        ]
        self._knot_rows = list(knots_list)
        # Equally spaced knots (to rounding) are located arithmetically.
        self._equally_spaced = [
            bool(
                np.max(np.abs(k - np.linspace(k[0], k[-1], k.size)))
                <= 1e-13 * (k[-1] - k[0])
            )
            for k in knots_list
        ]
        self._y_mean, self._y_std = float(y_mean), float(y_std)
        if directions.shape[0] == 1:
            self._raw_pieces = self._one_input_pieces(values_list[0])

    def _one_input_pieces(self, values):
        """Each interval's line on raw x, as ``A_j + B_j (x - knots_[0])``.

        The knots' distances from the first come from the scaled knots: raw
        knots with a large offset and a small spread can round onto each
        other, their differences cannot.
        """
        scaled = self._knot_rows[0]
        offsets = (scaled - scaled[0]) * self.input_scale_[0]
        raw_values = self._y_mean + self._y_std * values
        slopes = np.diff(raw_values) / np.diff(offsets)
        from_first = offsets[:-1]
        return {
            "origin": self.knots_[0],
            "span": offsets[-1],
            "offsets": offsets,
            "intercepts": raw_values[:-1] - slopes * from_first,
            "slopes": slopes,
            "uniform": self._equally_spaced[0],
        }

    def _predict_one_input(self, x):
        """One interval search and one multiply-add per sample, in chunks."""
        pieces = self._raw_pieces
        offsets, last = pieces["offsets"], pieces["offsets"].size - 2
        step = (last + 1) / pieces["span"]
        clamp = self.extrapolation == "constant"
        out = np.empty(x.shape[0])
        for lo in range(0, x.shape[0], _CHUNK_ROWS):
            d = x[lo : lo + _CHUNK_ROWS] - pieces["origin"]
            if clamp:
                np.clip(d, 0.0, pieces["span"], out=d)
            if pieces["uniform"]:
                position = np.clip(d, 0.0, pieces["span"])
                position *= step
                j = position.astype(np.intp)
                np.minimum(j, last, out=j)
            else:
                j = np.searchsorted(offsets, d, side="right") - 1
                np.clip(j, 0, last, out=j)
            np.multiply(pieces["slopes"][j], d, out=d)
            d += pieces["intercepts"][j]
            out[lo : lo + _CHUNK_ROWS] = d
        return out

    # -------------------------------------------------------------- predict

    def predict(self, X):
        """Predict by locating each sample's interval: the network's output.

        Parameters
        ----------
        X : array-like of shape (n_samples, `n_features_in_`)
            Raw inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Equal to ``network_.forward(X)`` up to rounding, inside and
            outside the training range, without forming the
            (n_samples, `n_units_`) hidden layer.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        X = np.asarray(X, dtype=np.float64)
        if self.directions_.shape[0] == 1:
            return self._predict_one_input(X[:, 0])
        clamp = self.extrapolation == "constant"
        out = np.empty(X.shape[0])
        for lo in range(0, X.shape[0], _CHUNK_ROWS):
            U = (X[lo : lo + _CHUNK_ROWS] - self.input_offset_) / self.input_scale_
            P = U if self.directions_.shape[0] == 1 else U @ self.directions_.T
            acc = np.zeros(U.shape[0])
            rows = zip(self._knot_rows, self._pieces, self._equally_spaced)
            for i, (knots, (a, m), uniform) in enumerate(rows):
                acc += _evaluate_direction(knots, a, m, P[:, i], clamp, uniform)
            out[lo : lo + _CHUNK_ROWS] = self._y_mean + self._y_std * acc
        return out

    def decompose(self, X):
        """Each hidden unit's contribution to the output, for one-input models.

        Parameters
        ----------
        X : array-like of shape (n_samples, 1)
            Raw inputs.

        Returns
        -------
        contributions : ndarray of shape (n_samples, `n_units_`)
            ``relu(hidden pre-activation) * output weight`` of every hidden
            unit: the hinges whose sum plus ``intercepts_[-1][0]`` is
            :meth:`predict`.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        if self.n_features_in_ != 1:
            raise ValueError(
                "decompose is defined for one-input models; this model has "
                f"{self.n_features_in_} inputs. Use network_.hidden_activations(X) "
                "times coefs_[1][:, 0] for the units of several inputs."
            )
        check_memory_budget(
            X.shape[0] * self.n_units_,
            what=f"decompose on {X.shape[0]} samples x {self.n_units_} units",
            fix="pass fewer samples at a time",
        )
        return self.network_.hidden_activations(X) * self.network_.coefs[1][:, 0]
