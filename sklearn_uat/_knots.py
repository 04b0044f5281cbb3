"""The closed-form ReLU network: piecewise-linear least squares on knots.

In one input, ``c + sum_k w_k relu(x - t_k)`` is exactly a continuous
piecewise-linear function whose slope changes by ``w_k`` at knot ``t_k``.
Fitting such a network needs no gradient descent: once the knots are placed,
the output layer is a linear least-squares problem. It is solved here in the
local basis of hat functions (each a combination of three ReLUs), whose
normal equations are banded and well conditioned, and the hat coefficients
are converted to slope changes: the network's output weights.
"""

from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import NetworkRegressorMixin, restored_on_error
from ._directions import box_ranges, draw_directions, projection_ranges, redundancy
from ._knot_basis import (
    SPLINE_MIN_COEFFICIENTS,
    KnotRows,
    SplineRows,
    _curvature_knots,
    _equally_spaced,
    _error_knots,
    _evaluate_direction,
    _intervals,
    _piecewise_linear,
    _strictly_increasing,
    _uniform_knots,
    _weighted_quantile_knots,
    directions_normal_equations,
    hat_normal_equations,
    hat_normal_equations_of_rows,
    row_values,
    spline_coefficients,
    spline_knots,
)
from ._knot_layouts import (
    choose_layout,
    choose_row_order,
    fine_knots,
    side_by_side,
    split,
)
from ._lstsq import (
    PENALTY_RANGE,
    NormalEquations,
    PenaltyBlock,
    difference_penalty,
    second_difference_penalty,
    select_penalties,
)
from ._refine import refine_knot_fit
from ._stream import StreamingMixin, TargetStatistics, check_inside, is_dask_collection
from ._validation import (
    as_target_columns,
    check_memory_budget,
    minmax_scaling,
    positive_weight_rows,
    standard_scaling_columns,
    warn,
)

__all__ = ["ReluKnotRegressor"]


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

# n_knots="auto": knots for one input (one per two samples, within these
# bounds); for several directions, about this many unknowns in all (at most
# one per sample), within these bounds per direction: knots, or the
# coefficients of the rows' cubic splines (four times as many knots).
_AUTO_KNOTS_ONE_INPUT = (32, 2048)
_AUTO_UNKNOWNS = 512
_AUTO_KNOTS_MIN, _AUTO_KNOTS_MAX = 2, 64


# --------------------------------------------------------------------------
# The estimator.
# --------------------------------------------------------------------------


class ReluKnotRegressor(
    StreamingMixin, NetworkRegressorMixin, RegressorMixin, BaseEstimator
):
    """One hidden layer of ReLUs at knots, fitted in closed form.

    In one input the model is the network
    ``c + w_0 relu(t_0 - x) + sum_k w_k relu(x - t_k)``: a continuous
    piecewise-linear function with a kink at every knot ``t_k``. Its output
    weights are the changes of slope at the knots, and fitting it is a
    linear least-squares problem, solved exactly (no gradient descent) in a
    banded basis of hat functions. The knots are equally spaced, placed by
    data density, placed by curvature, or given; with ``tol`` their number
    grows until the training error is small enough, which answers "how many
    ReLUs do I need?". Several inputs use one row of knots per direction;
    by default each row's values follow a cubic spline of fewer
    coefficients (see ``n_knots``).

    Read more in the package README.

    Parameters
    ----------
    n_knots : int or "auto", default="auto"
        Knots per input direction, both ends of the training range
        included. Ignored when ``knots`` is an array; the starting count
        when ``tol`` is set. ``"auto"``: one per two samples for one input,
        32 to 2048; with several directions about 512 unknowns in all, at
        most one per sample, 2 to 64 unknowns per direction. Enough units to follow
        the function and a penalty chosen by REML to control them (the
        P-spline principle). With several directions, equally spaced knots,
        ``alpha`` a criterion and no ``tol``, the ``k`` unknowns of a
        direction are the coefficients of a cubic spline along it, and the
        network takes its values at ``4 (k - 1) + 1`` knots (141 for 36
        coefficients): a cubic spline's accuracy with as many unknowns, in
        a network of ReLUs. A given ``n_knots`` without ``refine`` follows
        cubic splines too, of a quarter as many coefficients as knots and
        at most the default's, so that more knots keep the default's fit
        (penalising the values at twice the default's knots directly was 12
        times less accurate on noisy ``sinc``); rows of fewer than 6
        coefficients, and a given count with ``refine`` (which moves its
        knots), penalise the values at their knots. With one input,
        equally spaced knots and ``alpha`` a criterion, ``"auto"`` also
        tries 65 knots (if fewer than the default count)
        under the smoother penalty of ``alpha``, and keeps the layout of the
        lowest GCV score: ``n_knots_`` is then the count kept.

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
        tolerance ``r`` pass ``tol=r * np.abs(y).max()``. With a criterion
        for ``alpha`` the count grows to at most twice as many unknowns as
        samples: the chosen penalty smooths noise however fine the knots,
        so a ``tol`` below the noise is not met (pass a number as ``alpha``
        to follow the samples).

    max_knots : int, default=4096
        Largest number of knots per direction that ``tol`` may grow to
        (with several directions, also at most 4096 knots in all, as their
        normal equations are dense). A
        :class:`~sklearn.exceptions.ConvergenceWarning` is raised when
        ``tol`` is still not met there.

    alpha : "reml", "gcv" or float, default="reml"
        Roughness penalty on the output weights: the sum of squared changes
        of slope at the inner knots, each times the mean width of its two
        intervals (on equally spaced knots, the second differences of the
        knot values), relative to the mean diagonal of the normal equations;
        one penalty per direction. Its null space is the linear functions,
        so as it grows the fit tends to a line along each direction.

        With one input, equally spaced knots and a criterion for
        ``alpha``, the fit also solves with a penalty on the fifth
        differences of the knot values (the changes of curvature, and
        beyond; its null space, the polynomials of degree 4, holds the
        line): for ``n_knots="auto"`` on 65 knots; for a given ``n_knots``
        on its knots and, if they are more, on those 65 resampled onto
        them, so that more knots keep the fit. It keeps the fit of the
        lowest GCV score (``penalty_order_``, ``n_knots_``). A linear
        spline under the slope-change penalty smooths like a cubic smoothing
        spline; under fifth differences it
        follows smooth functions with noise as a smoothing spline of degree
        9 does (figures in the user guide). The knots may also take the
        values of a few soft bumps (the smooth layouts of
        :class:`BumpNetRegressor`: 32 or 64 bumps of steepness 0.25,
        reaching 5% beyond the knots' span), under second differences
        of the bumps' levels; where GCV keeps one, ``bump_layout_`` says
        which. ``partial_fit`` and fits on Dask
        collections choose alike: for ``n_knots="auto"`` they sum the
        statistics of the default knots and of the finest grid side by
        side; a given count's candidates all come from its own. With
        several inputs on equally spaced knots and a criterion for
        ``alpha``, every row's penalty on third differences competes with
        second differences, on the same normal equations; on rows that
        follow cubic splines (see ``n_knots``) they are differences of the
        splines' coefficients, and fourth differences compete too
        (their null space, the cubics along the rows, spans the cubic
        interactions of the inputs). The statistics are the knots' own, so
        ``partial_fit`` and Dask collections choose alike.

        - ``"reml"``: the penalty of each direction is chosen by restricted
          maximum likelihood from the normal equations alone (no refit, no
          cross-validation loop), so noisy data are smoothed and noise-free
          data are interpolated. The chosen values are ``alpha_``, the
          effective degrees of freedom ``edf_``.
        - ``"gcv"``: REML sets the penalties of the directions relative to
          each other, generalised cross-validation their common level. On
          smooth one-input functions with little noise it smooths more and
          is more accurate; on small real data sets of several inputs it
          was less safe for rows of penalised knot values
          (``benchmarks/bench_smoothing.py``), and is level with REML for
          the default's rows of cubic splines (``airquality``: 18.45
          against 18.58).
        - a float in [0, 1e8]: that penalty for every direction. ``0``
          gives the plain least-squares spline when every interval holds
          data (``scipy.interpolate.make_lsq_spline`` with ``k=1``).
          Beyond 1e8 rounding in the normal equations swamps the data.
          With more unknowns than samples the penalty alone decides the
          knot values between samples, and is at least 1e-6.

    directions : "auto", "axes" or int, default="auto"
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
          and are still fitted in closed form; each direction has its own
          penalty, so directions that the data do not need are smoothed to
          lines.
        - ``"auto"``: the axes plus one direction per 25 samples, at most
          12: interactions where the data can support them. They are the
          same for every fit (equally spaced angles for two inputs, a fixed
          draw for more), so the default needs no ``random_state``.

        With one input the only direction is the input itself.

    extrapolation : {"linear", "constant"}, default="linear"
        Behaviour outside the knots of each direction. ``"linear"``: the end
        intervals' lines continue (the network's own behaviour; a ReLU
        facing left at the first knot carries the line below it).
        ``"constant"``: the function is clamped to its values at the end
        knots (a ReLU at the last knot cancels the slope beyond it).

    domain : array-like of shape (n_features, 2), default=None
        The ``(lo, hi)`` range of each input, fixed up front: inputs are
        scaled from it instead of from the training range, and the knots of
        each direction span the projection of that box. Rows outside it (by
        more than 1e-9 of its width, which rounding may add) are refused
        with a ValueError (never clipped). It fixes the hidden layer
        of :meth:`partial_fit` before any chunk is seen, and makes ``fit``
        build the same layer, sized for many rows (with several inputs, 12
        directions beside the axes): on a few hundred samples its unknowns
        can outnumber them; the penalties REML chooses still smooth noise
        (``alpha_``, ``edf_``), and a fit that interpolates its samples
        warns. None: the training range (for :meth:`partial_fit`, the span
        of an explicit knots array, else the range of the first chunk).

    refine : bool or int, default=False
        Fit the hidden layer too: starting from the constructive network,
        variable projection moves the knots (and, with several inputs, the
        directions and every knot along them) by Levenberg-Marquardt steps,
        the output layer solved exactly in each, with the penalties
        ``alpha_`` of the constructive fit held fixed. ``True`` runs up to
        100 iterations, an int that many. Knots never cross and directions
        stay unit vectors; only steps that lower the training objective
        are taken, so the result is never worse on the training data than
        the constructive network (noisy data of several inputs: only a
        turn, below). Deterministic, no torch needed. With one input and
        ``alpha=0`` it is the free-knot least-squares problem, searched
        globally (a segmentation by dynamic programming, scans that move
        knots between basins, then the steps; an iteration is a scan or a
        step) rather than from the constructive knots alone.
        With a penalty chosen from the data (``alpha="reml"`` or
        ``"gcv"``: noisy data) each move must also generalise, or it is
        not kept (knots or directions moved to fit noise overfit). One
        input: the steps move the knots of the plain layout (the slope
        changes penalised), and the refined knots are kept only if they
        lower the GCV score ``n RSS / (n - edf)^2``, each knot counted as
        one degree of freedom, below that of the default fit (which may
        have kept a smoother layout); otherwise the default is returned.
        Several inputs: the one move is a turn of all directions, as one
        rotation, onto the principal directions of the constructive fit's
        gradient within the span of the inputs (a ridge function's
        direction becomes the first row), the turned network fitted again
        with penalties chosen by ``alpha``'s criterion; it is kept if it
        lowers the GCV score with each of the rotation's ``r (r - 1) / 2``
        angles (``r`` the dimensions the inputs span) counted as two
        degrees of freedom. No steps follow (steps of the directions
        fitted noise); on noise-free data pass a number for ``alpha`` to
        move the directions and knots.

    refine_tol : float, default=1e-6
        Refinement stops when five steps lower the training objective by less
        than this fraction; a :class:`~sklearn.exceptions.ConvergenceWarning`
        says when ``refine`` iterations end before that.

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

    knots_ : list of ndarray
        One ndarray per row of ``directions_``. With one input,
        ``knots_[0]`` holds the knot positions in the units of the input;
        with several, each holds the knot positions along that direction's
        projection ``directions_[i] @ (x - input_offset_) / input_scale_``.

    alpha_ : ndarray of shape (n_directions,)
        The penalty of each direction: chosen by REML, or ``alpha``. With a
        given ``n_knots``, where GCV kept a smoother grid resampled onto the
        knots, it is that grid's penalty (with ``penalty_order_`` and
        ``edf_``): ``alpha=alpha_`` on the given knots is another fit.

    penalty_order_ : int
        Order of the differences of the knot values that ``alpha_``
        penalises: 2 (the changes of slope), or, where GCV preferred a
        smoother penalty (see ``alpha``), 5 with one input and 3 for the
        rows of several (3 or 4 of their cubic-spline coefficients, for
        ``n_knots="auto"``).

    bump_layout_ : tuple or None
        With one input, the ``(n_bumps, steepness)`` of the smooth layout of
        bumps whose values the knots took, where GCV kept one (see
        ``alpha``; ``alpha_`` and ``edf_`` are then its own, and
        ``penalty_order_`` is 2, the second differences of its levels);
        otherwise None.

    edf_ : float
        Effective degrees of freedom of the fit, the trace of its influence
        matrix: from 2 (a line) per direction up to the number of unknowns
        (the knots, or the rows' cubic-spline coefficients).

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

    refine_objective_ : ndarray or None
        With ``refine``: the training objective (weighted squared error in
        standardised units plus the penalty) at the constructive start and
        after every step taken, decreasing. With several inputs and noisy
        data: the GCV scores of the constructive fit and, if kept, of its
        turn (the angles counted). None without ``refine``.

    refine_n_iter_ : int
        Refinement iterations run (0 without ``refine``).

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
    "How many ReLUs do I need?" for x^2 on [1e6, 1e7], to a relative error
    of 1e-4:

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

    On noisy data the penalty chosen by REML smooths: the effective degrees
    of freedom fall far below the number of knots. Here GCV prefers the
    values of 32 soft bumps at the default 250 knots to the slope-change
    penalty and to the smoother grids.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(0, 6, size=(500, 1))
    >>> noisy = np.sin(x[:, 0]) + 0.3 * rng.normal(size=500)
    >>> smooth = ReluKnotRegressor().fit(x, noisy)
    >>> smooth.n_knots_, smooth.bump_layout_, bool(smooth.edf_ < 10)
    (250, (32, 0.25), True)
    >>> np.allclose(parts.sum(axis=1) + model.intercepts_[-1][0], model.predict(X))
    True
    """

    _parameter_constraints: dict = {
        "n_knots": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "knots": [StrOptions({"uniform", "quantile", "adaptive"}), "array-like"],
        "tol": [Interval(Real, 0, None, closed="neither"), None],
        "max_knots": [Interval(Integral, 2, None, closed="left")],
        "alpha": [
            Interval(Real, 0, PENALTY_RANGE[1], closed="both"),
            StrOptions({"reml", "gcv"}),
        ],
        "directions": [
            StrOptions({"auto", "axes"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "extrapolation": [StrOptions({"linear", "constant"})],
        "domain": ["array-like", None],
        "refine": ["boolean", Interval(Integral, 1, None, closed="left")],
        "refine_tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_knots="auto",
        *,
        knots="uniform",
        tol=None,
        max_knots=4096,
        alpha="reml",
        directions="auto",
        extrapolation="linear",
        domain=None,
        refine=False,
        refine_tol=1e-6,
        random_state=None,
    ):
        self.n_knots = n_knots
        self.knots = knots
        self.tol = tol
        self.max_knots = max_knots
        self.alpha = alpha
        self.directions = directions
        self.extrapolation = extrapolation
        self.domain = domain
        self.refine = refine
        self.refine_tol = refine_tol
        self.random_state = random_state

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Place the knots and solve for the output weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs. At least two samples.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets. Several targets share the hidden layer and its
            factorisation, one output unit each.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights of the squared errors: an integer
            weight counts like repeated rows, a zero weight like a dropped
            row (also when the training range is measured). Their sum is
            the number of samples that sizes and smooths the fit: scale
            relative weights (normalised to sum 1, say) to a mean of 1 over
            the rows of positive weight first, ``w * np.count_nonzero(w) /
            w.sum()``; a warning says so when they average below 0.5.

        Returns
        -------
        self : ReluKnotRegressor
            The fitted estimator.
        """
        with restored_on_error(self):
            if is_dask_collection(X) or is_dask_collection(y):
                return self._fit_dask(X, y, sample_weight)
            X, y = validate_data(
                self,
                X,
                y,
                reset=True,
                y_numeric=True,
                multi_output=True,
                ensure_min_samples=2,
            )
            return self._fit(np.asarray(X, dtype=np.float64), y, sample_weight)

    def _fit(self, X, y, sample_weight):
        Y, single_output = as_target_columns(y)
        X, Y, w = positive_weight_rows(X, Y, sample_weight)
        if X.shape[0] < 2:
            raise ValueError(
                f"Found {X.shape[0]} sample(s) of positive weight; at least 2 "
                "are needed (n_samples=1 cannot define a range). Give more "
                "samples a positive sample_weight."
            )
        n_features = X.shape[1]
        explicit = self._explicit_knots(n_features)
        if self.tol is not None and explicit is not None:
            raise ValueError(
                "tol grows the number of knots and cannot be combined with an "
                "explicit knots array; set tol=None or pass knots='uniform', "
                "'quantile' or 'adaptive'."
            )
        # Frequency weights: a weight of 2 counts like a repeated row.
        n_samples = X.shape[0] if w is None else int(round(w.sum()))
        n_effective = self._sizing_samples(n_samples)
        directions = draw_directions(
            self.directions, n_features, n_effective, self.random_state
        )
        n_knots = self._resolve_n_knots(directions.shape[0], n_effective)
        auto = self.n_knots == "auto"
        base, fine = None, None
        n_start = explicit.size if explicit is not None else n_knots
        self._check_size(n_start, directions)

        domain = self._stream_domain(n_features)
        if domain is None:
            offset, scale = minmax_scaling(X)
        else:
            check_inside(X, *domain, source="domain")
            offset, scale = domain[0], domain[1] - domain[0]
        y_mean, y_std = standard_scaling_columns(Y, w)
        P = (X - offset) / scale
        if directions.shape[0] > 1:
            check_memory_budget(
                X.shape[0] * directions.shape[0],
                what=f"projecting {X.shape[0]} samples on {directions.shape[0]} "
                "directions",
                fix="lower directions or fit on fewer samples",
            )
            P = P @ directions.T
        problem = _Problem(
            P=P,
            Y=(Y - y_mean) / y_std,
            w=w,
            y_std=y_std,
            clamp=self.extrapolation == "constant",
            alpha=self.alpha,
            n_features=n_features,
        )
        ranges = projection_ranges(P) if domain is None else box_ranges(directions)
        if explicit is not None:
            knots_list = [_strictly_increasing((explicit - offset[0]) / scale[0])]
            fit = problem.fit(knots_list)
        elif self.tol is None and self._offers_smooth_layouts(directions.shape[0]):
            knots = _uniform_knots(*ranges[0], n_knots)
            fine = fine_knots(*ranges[0], n_knots, auto)
            fine_stats = None if fine is None else _hat_equations(problem, fine)
            base = [knots], _hat_equations(problem, knots)
            fit = _smoothest(problem, knots, base[1], fine, fine_stats)
        elif self.tol is None:
            spline_count = self._spline_count(directions.shape[0], n_effective)
            fit = self._fit_with_count(problem, ranges, n_knots, spline_count)
        else:
            fit = self._grow(problem, ranges, directions, n_knots, n_samples)
        refined = None
        if self.refine is not False:
            start = fit
            if base is not None:
                # The default compared smoother layouts; the steps move the
                # knots of the plain one, and the default stays unless the
                # refined knots beat it.
                start = problem.fit([knots])
            fit, directions, refined = refine_knot_fit(
                problem,
                start,
                (X - offset) / scale,
                directions,
                self.refine,
                self.refine_tol,
                box=domain is not None,
                default=fit,
            )
        if isinstance(self.alpha, str):
            _warn_interpolation(
                fit, n_samples, directions.shape[0], domain is not None, Y.shape[1]
            )

        self._set_model(
            KnotRows(
                directions=directions,
                knots=fit.knots,
                values=fit.values,
                offset=offset,
                scale=scale,
                y_mean=y_mean,
                y_std=y_std,
                clamp=problem.clamp,
            ),
            explicit,
            fit.alpha,
            fit.edf,
            fit.max_error,
            single_output,
            refined,
            fit.order,
            fit.bumps,
        )
        if refined is not None:
            # A refined layer is no longer the one the statistics were summed on.
            return self
        # What partial_fit continues from: the layer the statistics were
        # summed on (the default knots, and the finest smoother grid when
        # GCV chose among layouts) and those statistics.
        layer_knots, statistics = (fit.knots, fit.statistics) if base is None else base
        if fine is not None:
            statistics = side_by_side(statistics, fine_stats)
        layer = _KnotLayer(
            directions,
            layer_knots,
            offset,
            offset + scale if domain is None else domain[1],
            scale,
            problem.clamp,
            explicit,
            "the training range of fit (pass domain= to widen it)"
            if domain is None
            else "domain",
            smooth=base is not None,
            fine=fine,
            spline_count=None if fit.spline is None else fit.spline.positions[0].size,
        )
        statistics = TargetStatistics.from_standardised(
            statistics, y_mean, y_std, np.max(np.abs(Y), axis=0), layer_knots[0].size
        )
        self._keep_stream(layer, statistics, single_output)
        return self

    def _set_model(
        self,
        rows,
        explicit,
        alpha,
        edf,
        max_error,
        single_output,
        refined=None,
        order=2,
        bumps=None,
    ):
        """Assign every fitted attribute at once, from the one fitted model."""
        network = rows.network()
        if rows.directions.shape[0] == 1:
            keep_given = (
                explicit is not None
                and refined is None
                and rows.knots[0].size == explicit.size
            )
            knots_out = [explicit if keep_given else rows.raw_knots()]
        else:
            knots_out = list(rows.knots)
        self._rows = rows
        self._single_output = single_output
        self._stream = None
        self.network_ = network
        self.knots_ = knots_out
        self.directions_ = rows.directions
        self.input_offset_ = rows.offset
        self.input_scale_ = rows.scale
        self.n_knots_ = int(max(k.size for k in rows.knots))
        self.n_units_ = int(network.coefs[0].shape[1])
        self.alpha_ = alpha
        self.penalty_order_ = order
        self.bump_layout_ = bumps
        self.edf_ = edf
        self.train_max_error_ = max_error
        self.refine_objective_ = None if refined is None else refined.objective
        self.refine_n_iter_ = 0 if refined is None else refined.n_iter
        return self

    # -- fits beyond memory: the hooks of StreamingMixin

    _stream_parameters = (
        "n_knots",
        "knots",
        "tol",
        "alpha",
        "directions",
        "extrapolation",
        "domain",
        "random_state",
    )

    def _stream_refusal(self):
        if (
            self.tol is not None
            or (isinstance(self.knots, str) and self.knots == "adaptive")
            or self.refine is not False
        ):
            return (
                "tol, knots='adaptive' and refine refit on all the rows, which "
                "partial_fit and fit on a Dask collection never hold; use "
                "knots='uniform', 'quantile' or an array, with tol=None and "
                "refine=False."
            )
        return None

    def _stream_layer(self, X, w, n_effective, domain, data_ranges=None):
        """The fixed knots of partial_fit and of fit on Dask collections."""
        self._check_streamable()
        smooth, fine = False, None
        n_effective = self._sizing_samples(n_effective)
        n_features = X.shape[1] if X is not None else domain[0].size
        explicit = self._explicit_knots(n_features)
        if domain is not None:
            lo, hi = domain
            source = "domain"
        elif explicit is not None:
            lo, hi = explicit[:1], explicit[-1:]
            source = "the knots array (pass domain= to widen it)"
        else:
            lo, hi = X.min(axis=0), X.max(axis=0)
            source = "the range of the first chunk (pass domain= to fix it)"
        scale = hi - lo
        scale[scale == 0] = 1.0
        directions = draw_directions(
            self.directions, n_features, n_effective, self.random_state
        )
        if explicit is not None:
            knots_list = [_strictly_increasing((explicit - lo[0]) / scale[0])]
        else:
            n_knots = self._resolve_n_knots(directions.shape[0], n_effective)
            self._check_size(n_knots, directions)
            ranges = box_ranges(directions)
            if data_ranges is not None and directions.shape[0] > 1:
                ranges = projection_ranges(data_ranges(directions, lo, scale))
            if self.knots == "uniform":
                knots_list = [_uniform_knots(a, b, n_knots) for a, b in ranges]
                if self._offers_smooth_layouts(directions.shape[0]):
                    smooth = True
                    fine = fine_knots(*ranges[0], n_knots, self.n_knots == "auto")
            elif X is None:
                raise ValueError(
                    "knots='quantile' needs the rows in memory; on a Dask "
                    "collection use knots='uniform' or an array."
                )
            else:
                P = ((X - lo) / scale) @ directions.T
                knots_list = [
                    _weighted_quantile_knots(P[:, i], w, a, b, n_knots)
                    for i, (a, b) in enumerate(ranges)
                ]
        return _KnotLayer(
            directions,
            knots_list,
            lo,
            hi,
            scale,
            self.extrapolation == "constant",
            explicit,
            source,
            smooth,
            fine,
            spline_count=self._spline_count(directions.shape[0], n_effective),
        )

    def _stream_equations(self, layer, X, targets, w):
        if layer.directions.shape[0] == 1:
            rows = [layer.knots[0]] + ([] if layer.fine is None else [layer.fine])
            equations = [
                hat_normal_equations_of_rows(
                    knots,
                    X[:, 0],
                    targets,
                    w,
                    layer.clamp,
                    layer.lo[0],
                    layer.scale[0],
                )
                for knots in rows
            ]
            return equations[0] if len(rows) == 1 else side_by_side(*equations)
        return directions_normal_equations(
            X,
            targets,
            w,
            layer.knots,
            layer.clamp,
            projection=(layer.lo, layer.scale, layer.directions),
        )

    def _stream_solve(self, layer, statistics, single_output):
        stats, y_mean, y_std = statistics.standardised()
        n_features = layer.directions.shape[1]
        solve = _solver(self.alpha, n_features)
        knots, order, spline, bumps = layer.knots, 2, None, None
        if layer.smooth:
            fine_stats = None
            if layer.fine is not None:
                stats, fine_stats = split(stats, knots[0].size)
            row, order, solved, bumps = choose_layout(
                knots[0], stats, layer.fine, fine_stats, solve
            )
            knots = [row]
        elif self._offers_row_orders(len(knots)):
            if layer.spline_count is not None:
                spline = SplineRows.on(knots, layer.spline_count)
            order, solved = _row_fit(stats, knots, self.alpha, n_features, spline)
        else:
            solved = solve(stats, knots, 2, None)
        values = row_values(solved.coef, knots, spline)
        alpha, edf = solved.penalties, solved.edf
        rows = KnotRows(
            directions=layer.directions,
            knots=knots,
            values=values,
            offset=layer.lo,
            scale=layer.scale,
            y_mean=y_mean,
            y_std=y_std,
            clamp=layer.clamp,
        )
        # The rows are gone: the training max error is not known.
        return self._set_model(
            rows,
            layer.explicit,
            alpha,
            edf,
            float("nan"),
            single_output,
            order=order,
            bumps=bumps,
        )

    def _offers_row_orders(self, n_directions):
        """Whether several rows of knots compare the orders of their penalty.

        Several directions (:data:`~sklearn_uat._knot_layouts.ROW_ORDERS`,
        or ``SPLINE_ROW_ORDERS`` for the default's cubic splines, on the
        same normal equations; ``refine`` then moves only the directions,
        and the knots keep their spacing).
        """
        return n_directions > 1 and self._compares_penalties()

    def _spline_count(self, n_directions, n_samples):
        """Coefficients per row of the cubic splines the rows follow, or None.

        The rows of several inputs follow cubic splines
        (:class:`~sklearn_uat._knot_basis.SplineRows`) when they compare
        the orders of their penalty, without ``tol``: for ``n_knots="auto"``
        the default's count; for a given count without ``refine`` (which
        moves the knots of a given count) a quarter as many coefficients as
        knots, at most the default's, so that more knots keep the default's
        fit. Rows of fewer than ``SPLINE_MIN_COEFFICIENTS`` coefficients
        keep their knot values as the unknowns.
        """
        if not self._offers_row_orders(n_directions) or self.tol is not None:
            return None
        count = self._auto_count(n_directions, n_samples)
        if self.n_knots != "auto":
            if self.refine is not False:
                return None
            count = min(count, spline_coefficients(self.n_knots) or 0)
        return count if count >= SPLINE_MIN_COEFFICIENTS else None

    @staticmethod
    def _auto_count(n_directions, n_samples):
        """Unknowns per row of several directions for ``n_knots="auto"``."""
        unknowns = min(_AUTO_UNKNOWNS, n_samples)
        return int(np.clip(unknowns // n_directions, _AUTO_KNOTS_MIN, _AUTO_KNOTS_MAX))

    def _offers_smooth_layouts(self, n_directions):
        """Whether one input compares smoother layouts with the default one."""
        return n_directions == 1 and self._compares_penalties()

    def _compares_penalties(self):
        """Equally spaced knots and a criterion for the penalties."""
        return (
            isinstance(self.knots, str)
            and self.knots == "uniform"
            and isinstance(self.alpha, str)
        )

    def _resolve_n_knots(self, n_directions, n_samples):
        if self.n_knots != "auto":
            return self.n_knots
        if n_directions == 1:
            return int(np.clip(n_samples // 2, *_AUTO_KNOTS_ONE_INPUT))
        spline = self._spline_count(n_directions, n_samples)
        if spline is not None:
            # As many cubic-spline coefficients, written on finer knots.
            return spline_knots(spline)
        return self._auto_count(n_directions, n_samples)

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

    def _check_size(self, n_knots, directions, growing=False):
        """Refuse knot counts whose arrays would exceed the memory budget."""
        n_dir = directions.shape[0]
        name = "the count that tol grows to" if growing else "n_knots"
        fix = "raise tol or lower max_knots" if growing else "lower n_knots"
        what = f"{name} ({n_knots} knots on {n_dir} direction(s))"
        check_memory_budget(4 * n_knots * n_dir, what=what, fix=fix)
        if n_dir > 1:
            # The normal equations, their inverse and the Cholesky factor.
            check_memory_budget(
                3 * (n_knots * n_dir) ** 2,
                what=what + " with its dense normal equations",
                fix=fix + ", or lower directions",
            )

    # -- one count of knots, placed by the strategy

    def _fit_with_count(self, problem, ranges, n_knots, spline_count=None):
        P, w = problem.P, problem.w
        if self.knots == "uniform":
            knots_list = [_uniform_knots(lo, hi, n_knots) for lo, hi in ranges]
            if not self._offers_row_orders(len(knots_list)):
                return problem.fit(knots_list)
            stats = directions_normal_equations(
                problem.P, problem.Y, problem.w, knots_list, problem.clamp
            )
            spline = None
            if spline_count is not None:
                spline = SplineRows.on(knots_list, spline_count)
            order, solved = _row_fit(
                stats, knots_list, problem.alpha, problem.n_features, spline
            )
            return problem.fit(
                knots_list, order=order, solved=solved, spline=spline, statistics=stats
            )
        if self.knots == "quantile":
            return problem.fit(
                [
                    _weighted_quantile_knots(P[:, i], w, lo, hi, n_knots)
                    for i, (lo, hi) in enumerate(ranges)
                ]
            )
        return self._fit_adaptive(problem, ranges, n_knots)

    def _fit_adaptive(self, problem, ranges, n_knots):
        n_dir = problem.P.shape[1]
        if n_dir == 1:
            order = np.argsort(problem.P[:, 0], kind="stable")
            if order.size > _ADAPTIVE_MAX_SAMPLES:
                keep = np.linspace(0, order.size - 1, _ADAPTIVE_MAX_SAMPLES)
                best = self._fit_adaptive(
                    problem.rows(order[keep.astype(np.intp)], presorted=True),
                    ranges,
                    n_knots,
                )
                return problem.fit(best.knots)
            problem = problem.rows(order, presorted=True)
        # The pilot needs enough samples per interval to see curvature.
        n_pilot = n_knots
        if n_dir == 1:
            n_pilot = int(
                min(max(4 * n_knots, 64), max(n_knots, problem.P.shape[0] // 8))
            )
        pilot = problem.fit([_uniform_knots(lo, hi, n_pilot) for lo, hi in ranges])
        # The pilot's penalty holds the search still: each step then costs
        # one solve, and the penalty is chosen again on the final knots.
        search = problem.with_alpha(pilot.alpha)
        knots_list = [
            _curvature_knots(k, v, n_knots) for k, v in zip(pilot.knots, pilot.values)
        ]
        current = best = search.fit(knots_list)
        # Equalise the measured error of the intervals: a damped fixed-point
        # iteration (one least-squares fit per step) that passes through
        # worse placements on its way, so the best one seen is kept.
        stalled = 0
        for _ in range(_ADAPTIVE_STEPS if n_dir == 1 else 2):
            errors = search.interval_errors(current)
            knots_list = [
                _error_knots(k, e, _ADAPTIVE_DAMPING)
                for k, e in zip(current.knots, errors)
            ]
            current = search.fit(knots_list)
            if current.max_error < best.max_error:
                best, stalled = current, 0
            else:
                stalled += 1
                if stalled >= _ADAPTIVE_PATIENCE:
                    break
        if n_pilot == n_knots and pilot.max_error < best.max_error:
            return pilot
        return problem.fit(best.knots)

    # -- tol: how many knots are needed

    def _grow(self, problem, ranges, directions, n_start, n_samples):
        tol = self.tol
        tried = {}

        def attempt(n):
            if n not in tried:
                tried[n] = self._fit_with_count(problem, ranges, n)
            return tried[n]

        n = min(n_start, self.max_knots)
        fit = attempt(n)
        passed = n if fit.max_error <= tol else None
        failed = None if passed is not None else n
        # Already good enough: halve down to a count that is not.
        while failed is None and passed > 2:
            n = max(2, passed // 2)
            if attempt(n).max_error <= tol:
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
        # A penalty chosen from the data smooths the noise however many the
        # knots: past twice as many unknowns as samples, more knots would
        # not lower the training error, only cost time.
        enough = max(2, int(np.ceil(2 * n_samples / n_dir)), n)
        if isinstance(self.alpha, str) and enough < limit:
            limit = enough
            limited_by = (
                f"{limit} knots per direction (at least twice as many unknowns "
                f"as the {n_samples:g} samples; alpha={self.alpha!r} smooths "
                "their noise: pass a number as alpha to follow them closer)"
            )
        # Grow geometrically, guided by the n^-2 rate (at most 4x a step),
        # until tol is met.
        while passed is None and n < limit:
            err = tried[n].max_error
            guess = int(np.ceil(n * np.sqrt(err / tol) * 1.02))
            n = min(limit, 4 * n, max(guess, n + 1, int(1.25 * n)))
            if n not in tried:
                self._check_size(n, directions, growing=True)
            if attempt(n).max_error <= tol:
                passed = n
            else:
                failed = n
        if passed is None:
            warn(
                f"tol={self.tol:g} was not reached with {limited_by}: the "
                f"training max abs error is {tried[n].max_error:.3g}. Raise "
                "tol, or max_knots (or lower directions for several inputs).",
                ConvergenceWarning,
            )
            return tried[n]
        # Bisect down to the smallest count that meets tol.
        while failed is not None and passed - failed > 1:
            mid = (passed + failed) // 2
            if attempt(mid).max_error <= tol:
                passed = mid
            else:
                failed = mid
        return tried[passed]

    # -------------------------------------------------------------- predict

    def predict(self, X):
        """Predict by locating each sample's interval: the network's output.

        Parameters
        ----------
        X : array-like of shape (n_samples, `n_features_in_`)
            Raw inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Equal to ``network_.forward(X)`` up to rounding, inside and
            outside the training range, without forming the
            (n_samples, `n_units_`) hidden layer.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        out = self._rows.predict(np.asarray(X, dtype=np.float64))
        return out[:, 0] if self._single_output else out

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
            :meth:`predict` (of the first target, for several targets).
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


# --------------------------------------------------------------------------
# One least-squares problem on fixed data, fitted on any knots.
# --------------------------------------------------------------------------


@dataclass
class _KnotFit:
    knots: list
    values: list
    alpha: float
    edf: float
    max_error: float
    residual: np.ndarray
    statistics: NormalEquations
    order: int = 2
    #: The engine's fit it came from.
    solved: object = None
    #: The cubic splines that the values follow (rows of several inputs),
    #: or None: the values are the unknowns.
    spline: SplineRows = None
    #: The smooth layout of bumps whose values the knots take (one input),
    #: or None.
    bumps: tuple = None


@dataclass
class _Problem:
    """Projected inputs and scaled targets; :meth:`fit` solves on given knots."""

    P: np.ndarray
    Y: np.ndarray
    w: np.ndarray
    y_std: np.ndarray
    clamp: bool
    alpha: object
    n_features: int = 1
    presorted: bool = False

    def rows(self, index, presorted=False):
        return replace(
            self,
            P=self.P[index],
            Y=self.Y[index],
            w=None if self.w is None else self.w[index],
            presorted=presorted,
        )

    def with_alpha(self, alpha):
        return replace(self, alpha=alpha)

    def fit(self, knots_list, order=2, solved=None, spline=None, statistics=None):
        """The penalised least-squares fit on ``knots_list``, in scaled units.

        ``order`` is that of the differences of the values that the penalty
        squares (2: the slope changes); ``solved``, the engine's fit on
        these knots when it is known already; ``spline``, the cubic splines
        that the values follow (the penalty then acts on their
        coefficients), with ``statistics`` the knots' normal equations.
        """
        P, Y, w = self.P, self.Y, self.w
        if len(knots_list) == 1:
            knots = knots_list[0]
            uniform = _equally_spaced(knots)
            j, s = _intervals(knots, P[:, 0], self.clamp, self.presorted, uniform)
            if solved is None:
                stats = hat_normal_equations(j, s, Y, w, knots.size)
        elif solved is None:
            stats = directions_normal_equations(P, Y, w, knots_list, self.clamp)
        if spline is not None and solved is not None and statistics is None:
            raise ValueError("a solved spline fit needs the knots' statistics")
        if solved is None and spline is not None:
            statistics = stats
            solved = _penalised(
                spline.equations(stats),
                spline.positions,
                self.alpha,
                self.n_features,
                order,
            )
        elif solved is None:
            solved = _penalised(stats, knots_list, self.alpha, self.n_features, order)
        values = row_values(solved.coef, knots_list, spline)
        alpha, edf, stats = solved.penalties, solved.edf, solved.statistics
        if statistics is not None:
            stats = statistics
        if len(knots_list) == 1:
            residual = Y - values[0][j]
            residual -= s[:, None] * np.diff(values[0], axis=0)[j]
        else:
            fitted = np.zeros_like(Y)
            for i, (knots, vals) in enumerate(zip(knots_list, values)):
                a, m = _piecewise_linear(knots, vals)
                fitted += _evaluate_direction(knots, a, m, P[:, i], self.clamp)
            residual = Y - fitted
        max_error = float(np.max(np.abs(residual) * self.y_std))
        return _KnotFit(
            knots_list,
            values,
            alpha,
            edf,
            max_error,
            residual,
            stats,
            order,
            solved,
            spline,
        )

    def interval_errors(self, fit):
        """Max absolute residual within each interval of each direction."""
        residual = np.max(np.abs(fit.residual), axis=1)
        errors = []
        for i, knots in enumerate(fit.knots):
            j, _ = _intervals(knots, self.P[:, i], presorted=self.presorted)
            e = np.zeros(knots.size - 1)
            np.maximum.at(e, j, residual)
            errors.append(e)
        return errors


@dataclass
class _KnotLayer:
    """The hidden layer fixed before the rows of a streamed fit arrive."""

    directions: np.ndarray
    knots: list
    lo: np.ndarray
    hi: np.ndarray
    scale: np.ndarray
    clamp: bool
    explicit: np.ndarray
    source: str
    #: Whether smoother layouts compete (one row of equally spaced knots),
    #: and the finest of their grids, whose statistics are summed beside
    #: the knots' own (None: a given count, whose candidates all come from
    #: its own statistics).
    smooth: bool = False
    fine: np.ndarray = None
    #: Coefficients per row of the cubic splines the rows follow (None:
    #: their values at the knots are the unknowns).
    spline_count: int = None


def _smoothest(problem, knots, stats, fine, fine_stats):
    """The fit that :func:`choose_layout` keeps, its residuals computed."""
    solve = _solver(problem.alpha, problem.n_features)
    row, order, solved, bumps = choose_layout(knots, stats, fine, fine_stats, solve)
    return replace(problem.fit([row], order=order, solved=solved), bumps=bumps)


def _solver(alpha, n_features):
    """``(stats, knots, order, start) -> PenalisedFit`` for the layout choices.

    ``knots`` is one row of knots or a list of rows; ``start`` the penalties
    the criterion starts from, or None.
    """

    def solve(stats, knots, order, start):
        knots_list = knots if isinstance(knots, list) else [knots]
        return _penalised(stats, knots_list, alpha, n_features, order, start)

    return solve


def _row_fit(stats, knots_list, alpha, n_features, spline):
    """Rows of several inputs: the order of their penalty, chosen by GCV.

    The penalty acts on the differences of the knot values, or, given the
    ``spline`` (:class:`~sklearn_uat._knot_basis.SplineRows`) that they
    follow, of its coefficients. Returns ``(order, fit)``.
    """
    solve = _solver(alpha, n_features)
    if spline is None:
        return choose_row_order(stats, knots_list, solve)
    return choose_row_order(
        spline.equations(stats), spline.positions, solve, splines=True
    )


def _hat_equations(problem, knots):
    """Hat normal equations of ``problem``'s rows on equally spaced ``knots``."""
    j, s = _intervals(knots, problem.P[:, 0], problem.clamp, uniform=True)
    return hat_normal_equations(j, s, problem.Y, problem.w, knots.size)


# From this many samples on, a fit whose penalty chosen from the data
# interpolates them warns.
_INTERPOLATION_ROWS = 20


def _warn_interpolation(fit, n_samples, n_directions, domain, n_targets):
    """Warn when a penalty chosen from the data leaves a fit that interpolates.

    Right for noise-free targets; on noisy ones the noise is fitted too.
    The engine refuses the degenerate penalties that cause it on one noisy
    target, but not a clean target sharing the penalty with a noisy one.
    Below ``_INTERPOLATION_ROWS`` samples (a toy fit) it stays silent.
    """
    if n_samples < _INTERPOLATION_ROWS or fit.edf <= n_samples - 1.0:
        return
    unknowns = sum(k.size for k in fit.knots)
    why = " (a domain fixes the layer before the data)" if domain else ""
    shared = (
        f"; the {n_targets} targets share one penalty, so fit noisy ones apart "
        "from noise-free ones"
        if n_targets > 1
        else ""
    )
    warn(
        f"The fit interpolates its {n_samples:g} samples ({fit.edf:.1f} effective "
        "degrees of freedom): right for noise-free targets, but noise is fitted "
        f"too. {n_directions} direction(s) with {unknowns} knots in all are more "
        f"unknowns than the samples support{why}{shared}. For noisy targets lower "
        "directions or n_knots, or fit on more samples.",
        UserWarning,
    )


def _penalised(stats, knots_list, alpha, n_features, order=2, start=None):
    """The engine's fit of the values at the knots.

    One second-difference penalty per direction, or, on equally spaced
    knots, differences of a higher ``order``; ``alpha`` is a number or the
    criterion that chooses the penalties.
    """
    starts = np.concatenate([[0], np.cumsum([k.size for k in knots_list])])
    blocks = [
        PenaltyBlock(
            int(first),
            second_difference_penalty(knots)
            if order == 2
            else difference_penalty(knots.size, order),
            null_dim=order,
            redundant=redundancy(i, n_features, order),
            at=knots,
        )
        for i, (first, knots) in enumerate(zip(starts, knots_list))
    ]
    if isinstance(alpha, str):
        solved = select_penalties(stats, blocks, criterion=alpha, start=start)
    else:
        fixed = np.broadcast_to(np.asarray(alpha, dtype=float), len(blocks))
        solved = select_penalties(stats, blocks, fixed=fixed)
    return solved
