"""The constructive sigmoid network of the universal approximation theorem.

Two sigmoid units with the same steep input weight and opposite output
weights make a *bump*; a row of bumps over the input range approximates any
continuous function of one input, and with several inputs a second hidden
layer turns per-axis bumps into *towers* on a grid. No gradient descent is
involved: the construction is the proof, and :class:`BumpNetRegressor` makes
it a model that can be fitted, cross-validated and looked at.
"""

from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import NetworkRegressorMixin, restored_on_error
from ._bump_basis import (
    _CHUNK_ELEMENTS,
    SMOOTH_LAYOUTS,
    _additive_layers,
    _additive_levels,
    _additive_normal_equations,
    _band_half_width,
    _banded_normal_equations,
    _BumpLayer,
    _fast_axis_sum,
    _fit_axis,
    _Layouts,
    _levels_penalty,
    _pieces,
    _select,
    _stacked,
    _step_layer,
    _unstacked,
    block_rows,
)
from ._directions import draw_directions, gradient_directions
from ._lstsq import (
    PENALTY_RANGE,
    NormalEquations,
    PenaltyBlock,
    gcv_score,
    lowest_gcv,
)
from ._network import FeedForwardNetwork
from ._refine import keeps_turn, refine_bump_fit, turn_dof
from ._ridge_bumps import refine_ridge_bump_fit
from ._stream import (
    BlockSums,
    StreamingMixin,
    TargetStatistics,
    check_inside,
    is_dask_collection,
    statistics_function,
)
from ._validation import (
    as_target_columns,
    check_memory_budget,
    minmax_scaling,
    positive_weight_rows,
    standard_scaling_columns,
    warn,
)

# Targets are mapped into [_P_LOW, 1 - _P_LOW] for a sigmoid output, unless
# they already lie inside (0, 1).
_P_LOW = 0.1

# n_bumps="auto": bumps for one input (one per two samples, within these
# bounds), and per input for several.
_AUTO_BUMPS_ONE_INPUT = (32, 512)
# steepness="auto": the soft layout, and for one input with least-squares
# heights a sharp one with up to this many bumps and smooth ones of fewer,
# softer bumps, (count, steepness); GCV picks one. The smoothest, 16 bumps
# at 0.125, cut the error on noisy sine by 8% to 20%. With n_bumps="auto"
# the soft layout of one input is offered only below its cap of 512 bumps
# (1,024 samples): from there on GCV kept it in none of the 24 noisy fits
# of the estimation and smoothing benchmarks, and at 1e6 samples it costs
# a quarter of the fit.
_SOFT, _SHARP, _SMOOTH = 0.5, 2.0, 0.25
_AUTO_BUMPS_SHARP = 2048
_AUTO_SMOOTH = SMOOTH_LAYOUTS
# ... and with a given n_bumps, those smooth layouts whose count divides it,
# written on the given bumps once chosen (their steps are every r-th of the
# given ones), and for the others pieces as wide in the input, up to this
# many (a dense band beyond).
_SMOOTH_MAX_WIDTH = 258
_AUTO_BUMPS_PER_INPUT = 32
_AUTO_UNKNOWNS = 512
# margin="auto" for rows of least-squares bumps along several directions:
# half the projections' range on either side. A soft row's linear levels are
# a line only several bump widths away from its ends (its open end pieces
# bend it there), so without bumps beyond the data the penalty's null space
# is no line near the data's edges. Against margin 0 (5-fold error against
# the truth, 2,000 samples): poly_tan with noise 0.01 0.71 times, with 0.1
# 0.71; sinc 0.995 and 1.007; airquality 0.995, SLID 1.001. On 16 small
# sets (ridge functions on 150 and 300 samples, sinc and poly_tan on 300
# and 600) 0.62 to 1.02, except sinc on 300 samples (1.15); friedman1
# 1.007, diabetes 0.996. A quarter of the range left poly_tan 1.22 times
# less accurate than half; three quarters were up to 1.15 times less
# accurate on the small sets. Levels beyond the data tied to the line of
# the nearest two inside it (a null space that is a line over all the data,
# and half the unknowns) were less accurate than free ones (poly_tan with
# noise 0.01: 1.85e-3 against 1.37e-3): the free levels also give a row room
# near the edges. One input keeps 0: its candidates include sharp and
# smooth layouts, and a quarter made co2 2 times less accurate. Refinement
# starts from the same layout: from none, refine=True was 1.40 times less
# accurate than the default on poly_tan with noise 0.1 (0.99 with it).
_AUTO_MARGIN = 0.5

# Bumps per direction of the pilot fit whose gradient starts the refinement
# of several inputs: on sinc and poly_tan (10,000 samples) 4 bumps give the
# principal directions of the gradient to 3e-4 in 0.2 s, 23 bumps the same
# in 25 times the time.
_PILOT_BUMPS = 4

# Towers on more occupied cells than this fraction of the samples memorise:
# a warning names the fix.
_TOWER_CELLS_PER_SAMPLE = 0.25


class BumpNetRegressor(
    StreamingMixin, NetworkRegressorMixin, RegressorMixin, BaseEstimator
):
    """Sigmoid network built from bumps and towers, without gradient descent.

    Each input is scaled onto ``[0, n_bumps]`` over the training range (one
    unit per bump width). Step unit ``k`` is ``sigma(s (t - k))``, a logistic
    sigmoid with input weight ``s = steepness`` per bump width; bump ``j``
    is the difference of two neighbouring steps,

    .. math::

        B_j(t) = \\sigma(s (t - j)) - \\sigma(s (t - j - 1)),
        \\qquad j = 0, \\dots, n_{bumps} - 1,

    and with the two open ends ``L(t) = 1 - \\sigma(s t)`` and
    ``R(t) = \\sigma(s (t - n_{bumps}))`` the pieces sum to one everywhere.
    The model is :math:`f(t) = h_L L(t) + \\sum_j h_j B_j(t) + h_R R(t)`, a
    network with ``n_bumps + 1`` shared step units whose output weights are
    the differences of neighbouring heights, ``h_0 - h_L, h_1 - h_0, ...,
    h_R - h_{n-1}``, and output bias ``h_L``. As ``s`` grows the bumps tend
    to the indicators of the cells, and mean heights make ``f`` a
    regressogram whose error falls as ``1 / n_bumps`` for a Lipschitz
    target: the constructive proof of the universal approximation theorem.
    For moderate ``s`` the bumps overlap, and least-squares heights do
    better than the textbook.

    Parameters
    ----------
    n_bumps : int or "auto", default="auto"
        Bumps per input axis over the training range. ``"auto"``: one per
        two samples for one input, 32 to 512 (with ``steepness="auto"``,
        other candidate layouts too: see ``steepness``); for several, up to
        32 per input and about 512 levels in all, at most one per sample.
        The penalty chosen by REML controls them, so more bumps do not make
        the default fit rougher.
    steepness : float or "auto", default="auto"
        Input weight of the sigmoids per bump width, so the model does not
        depend on the units of ``X``: Nielsen's ``w = 500`` with bumps 0.2
        wide is ``steepness=100``. Steep bumps (``>= 50``) are Nielsen's
        construction, a regressogram, whose maximum error falls as
        ``1 / n_bumps``. Soft bumps (0.5) overlap strongly: with
        least-squares heights their sums reproduce low-degree polynomials
        almost exactly, which suits smooth functions, at the cost of a
        wider band in the normal equations and in ``predict`` (at least
        ``80 / steepness`` units per sample). ``"auto"``: with least-squares
        heights and a penalty chosen from the data (``alpha`` a string),
        several layouts are fitted and generalised cross-validation (GCV,
        computed from the normal equations) keeps one. For one input, with
        ``n_bumps="auto"``: soft bumps (0.5, ``n_bumps``, below 1,024
        samples), sharp ones (2.0, one per two samples, up to 2048), which
        follow functions whose smoothness varies such as ``doppler``, and
        smooth ones, which suit smooth functions under noise: 16 bumps at
        0.125 and 16 to 128 at 0.25 (fewer than ``n_bumps``). With a given
        ``n_bumps``: that many soft (0.5) and sharp bumps, and the smooth
        layouts too, so that more bumps keep the default's fit: those whose
        count ``k`` divides ``n_bumps`` as themselves (for ``k`` below
        ``n_bumps`` and without ``refine``), written on the given bumps once
        chosen (their steps are every ``n_bumps / k``-th step at
        ``k / n_bumps`` of their steepness, the others get zero weight), and
        for up to 256 bumps the others as pieces as wide. For several
        inputs (additive rows): with ``n_bumps="auto"`` the default rows
        (soft), and 16 soft or smooth bumps per direction; with a given
        ``n_bumps``, the same layouts of the default's count, written on the
        given bumps where their count divides it (the default's soft one
        also as pieces as wide), and the given count's own soft bumps if it
        is below the default's (or the default has 16 bumps or fewer), so
        that more bumps keep the default's fit. Otherwise 0.5. The layout kept is
        ``n_bumps_`` and ``steepness_``.
        Values up to 1e6 are safe: nothing overflows or warns.
    heights : {"lstsq", "mean"}, default="lstsq"
        ``"mean"``: each bump's height is the (weighted) mean target of the
        samples inside it, Nielsen's construction. ``"lstsq"``: the heights
        minimising the weighted squared error of the network, for the fixed
        sigmoid layer. Pieces further apart than ``2 * 39 / steepness`` bump
        widths overlap below ``exp(-39)``, so the normal equations in this
        local basis are banded; they are solved with a banded Cholesky
        factorisation and a relative ridge floor ``alpha``. Towers and the
        additive layout solve a dense system (tower units or all pieces)
        with the same floor: by Cholesky, or through its eigenvalues when the
        system is numerically singular.
    output_activation : {"identity", "sigmoid"}, default="identity"
        ``"sigmoid"`` is the textbook variant: the hidden layer's weighted sum
        must equal the inverse sigmoid of the target, and a sigmoid output
        unit maps it back. Targets inside ``(0, 1)`` are used as they are;
        other targets are first mapped affinely from ``[min, max]`` onto
        ``[0.1, 0.9]``, and a last linear layer maps the sigmoid's output
        back, so any target range works (it has weight 1 and bias 0 for
        targets inside ``(0, 1)``). The sigmoid output unit is then the last
        hidden layer of ``network_``. Heights are fitted to the inverse
        sigmoid of the mapped targets.
    layout : {"additive", "tower"}, default="additive"
        How several inputs are combined (one input always gives one hidden
        layer of steps). ``"tower"``: a second hidden layer with one sigmoid
        unit per occupied grid cell, ``sigma(w (sum_i B_i / b_max - d +
        1/2))`` with ``b_max`` the peak of a bump and ``w =
        tower_steepness``: Nielsen's towers. ``"additive"``: one row of
        bumps per input, summed by the output layer (one hidden layer). Its
        least-squares heights are solved jointly (a dense system of
        ``n_features * (n_bumps + 2)`` unknowns); its mean heights are the
        marginal means of the centred target in each bump.
    tower_steepness : float, default=1.0
        Input weight ``w`` of the tower units. Large values (``>= 50``) give
        sharp towers, Nielsen's regressogram on the grid; the default gives
        smooth towers that overlap their neighbours, which with
        least-squares heights are far more accurate: test RMSE 4.1e-4 on
        ``sinc`` and 1.3e-3 on ``poly_tan`` (10,000 samples, 32 x 32 cells),
        against 3.4e-2 and 7.1e-2 for steep towers with mean heights.
    max_cells : int, default=4096
        Largest number of occupied grid cells (tower units) allowed. Occupied
        cells never exceed the number of training samples, so high
        dimensional data with few samples stays cheap; beyond the limit an
        error suggests ``layout="additive"`` or fewer bumps.
    alpha : "reml", "gcv" or float, default="reml"
        Roughness penalty of ``heights="lstsq"``: the sum of squared second
        differences of neighbouring levels (the open ends included), relative
        to the mean diagonal of the normal equations, one per input axis; for
        towers, a ridge on the tower heights. Its null space is the linear
        sequences of levels, which soft bumps turn into nearly linear
        functions, so a large penalty tends to the linear fit. ``"reml"``
        chooses each penalty by restricted maximum likelihood from the normal
        equations (``alpha_``, with the effective degrees of freedom
        ``edf_``); ``"gcv"`` scales REML's penalties by one factor chosen by
        generalised cross-validation; a float in [0, 1e8] fixes it. A small
        float such as 1e-12 gives the least-squares heights of the textbook
        construction. With more unknowns than samples the penalty alone
        decides the heights between samples, and is at least 1e-6.
    margin : float or "auto", default="auto"
        Fraction of each input's training range (of each direction's, for
        rows along directions) added on both sides before the bumps are laid
        out, so that some bumps lie beyond the data. With soft least-squares
        bumps, the fit near the ends of the range is then as good as inside
        it: on ``sine`` (20,000 grid samples) with 64 bumps, ``margin=0.05``
        lowers the maximum test error from 1.3e-5 to 7.7e-7, at 128 bumps
        from 6.2e-6 to 9.7e-8. It helps one input and ``layout="additive"``;
        towers get no unit in the empty outer cells. ``"auto"``: 0.5 for
        rows of least-squares bumps of several inputs (``layout="additive"``,
        where a penalised row tends to a line only away from its ends), else
        0, the textbook layout of bumps edge to edge over the training
        range; ``margin_`` says which. Figures in the user guide.
    domain : array-like of shape (n_features, 2), default=None
        The ``(lo, hi)`` range of each input, fixed up front: the bumps are
        laid out over it (with ``margin``) instead of over the training
        range, and rows outside it (by more than 1e-9 of its width, which
        rounding may add) are refused with a ValueError (never clipped). It
        fixes the hidden layer of :meth:`partial_fit` before any chunk is
        seen, and makes ``fit`` build the same layer. None: the
        training range (for :meth:`partial_fit`, the range of the first
        chunk).

    directions : "auto", "axes" or int, default="auto"
        With several inputs and ``layout="additive"`` (least-squares
        heights), the directions of the scaled input space along which rows
        of bumps are laid. ``"axes"``: one row per input, an additive model
        that cannot represent interactions. int ``m``: the axes plus ``m``
        random unit directions drawn with ``random_state``, sums of ridge
        functions, which can. ``"auto"``: the axes plus one direction per
        25 samples, at most 12, the same for every fit (equally spaced
        angles for two inputs, a fixed draw for more). Each direction has
        its own penalty. Towers and mean heights use the axes.
    random_state : int, RandomState instance or None, default=None
        Draws the directions when ``directions`` is an int.
    refine : bool or int, default=False
        Fit the hidden layer too (``heights="lstsq"``; with several inputs
        ``layout="additive"``): starting from the constructive network,
        variable projection moves the centre and the steepness of every
        step unit, and with several inputs the direction of every row, by
        Levenberg-Marquardt steps, the levels solved exactly in each, with
        the penalties ``alpha_`` of the constructive fit held fixed.
        ``True`` runs up to 100 iterations, an int that many. With several
        inputs the rows are first turned, as one rotation, onto the
        principal directions of the gradient of a pilot fit (four bumps
        along ``directions="auto"``): a ridge function's direction then
        starts on the first axis (the gradient within the span of the
        inputs). With a given ``alpha`` the steps start from the turned
        rows if they fit the training data better. With a penalty chosen
        from the data (``alpha="reml"`` or ``"gcv"``: noisy data) the
        turned rows are fitted again with penalties of their own and kept
        only if they lower the GCV score ``n RSS / (n - edf)^2`` with each
        of the rotation's ``r (r - 1) / 2`` angles (``r`` the dimensions
        the inputs span) counted as two degrees of freedom. Centres never
        cross, steepness stays positive and directions stay unit vectors;
        only steps that lower the training objective are taken, so the
        result is never worse on the training data than the start of the
        steps (the constructive network, or its kept turn). With a penalty
        chosen from the data the steps are kept only if
        they lower the GCV score with each centre, steepness and direction
        component counted as one degree of freedom; otherwise the network
        they started from is returned. Deterministic, no torch needed.
        ``predict`` of a refined network is its forward pass.
    refine_tol : float, default=1e-6
        Refinement stops when five steps lower the training objective by less
        than this fraction; a :class:`~sklearn.exceptions.ConvergenceWarning`
        says when ``refine`` iterations end before that.

    Attributes
    ----------
    network_ : FeedForwardNetwork
        The fitted network on raw inputs and targets; ``predict`` equals its
        forward pass. Hidden layers: ``n_features_in_ * (n_bumps + 1)``
        sigmoid step units, then (towers) one sigmoid unit per occupied
        cell, then (``output_activation="sigmoid"``) one sigmoid unit.
    coefs_ : list of ndarray
        Weight matrices of ``network_``, MLPRegressor layout.
    intercepts_ : list of ndarray
        Bias vectors of ``network_``.
    activations_ : list of str
        Activation after each layer of ``network_``.
    n_parameters_ : int
        Number of weights and biases of ``network_``.
    edges_ : ndarray of shape (n_directions, n_bumps + 1)
        Bump edges along each direction, where the step units cross one
        half: in the units of ``X`` when the directions are the axes, else
        (random or refined directions) along the projections of the scaled
        inputs on ``directions_``.
    heights_ : ndarray
        Bump heights, in the units of the output layer's pre-activation
        (target units for an identity output, inverse-sigmoid units for a
        sigmoid one). Shape (n_bumps,) for one input; (n_directions,
        n_bumps) for the additive layout, each row a function of one
        direction centred on the training data (the output bias holds the mean);
        (`n_cells_`,) for towers, the height of each tower above the output
        bias.
    outer_heights_ : ndarray or None
        Levels of the open ends left of the first and right of the last
        bump: shape (2,) for one input, (n_directions, 2) for the additive
        layout, None for towers.
    cells_ : ndarray of shape (`n_cells_`, `n_features_in_`) or None
        Grid indices of the occupied cells (towers only).
    n_cells_ : int
        Number of tower units (0 without towers).
    n_bumps_ : int
        Bumps per direction (``n_bumps`` with ``"auto"`` resolved).
    margin_ : float
        ``margin`` with ``"auto"`` resolved.
    steepness_ : float
        Input weight of the sigmoids per bump width (``steepness`` with
        ``"auto"`` resolved). A smooth layout of ``k`` bumps written on a
        given ``n_bumps`` reports those bumps and ``k / n_bumps`` of its
        steepness; its ``alpha_`` and ``edf_`` stay those of its own ``k``
        levels, so ``BumpNetRegressor(n_bumps, steepness_)`` is another,
        freer model.
    input_offset_ : ndarray of shape (`n_features_in_`,)
        Minimum of each input over the samples of positive weight (or the
        low end of ``domain``).
    input_scale_ : ndarray of shape (`n_features_in_`,)
        Range of each input (1 for a constant input).
    directions_ : ndarray of shape (n_directions, `n_features_in_`)
        Unit vectors of the scaled input space ``(x - min) / (max - min)``
        along which the rows of bumps lie, the axes first (with ``refine``
        and several inputs, the learned directions).
    alpha_ : ndarray or None
        The penalty of each axis (one value for towers): chosen by REML, or
        ``alpha``. None for mean heights.
    edf_ : float or None
        Effective degrees of freedom of the least-squares fit, the trace of
        its influence matrix. None for mean heights.
    refine_objective_ : ndarray or None
        With ``refine``: the training objective (weighted squared error in
        standardised units plus the penalty) at the constructive start (with
        several inputs and noisy data, its kept turn) and after every step
        taken, decreasing. None without ``refine``.
    refine_n_iter_ : int
        Refinement iterations run (0 without ``refine``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : A sigmoid network trained by
        gradient descent.

    Notes
    -----
    Empty bumps (no sample of positive weight) take the height interpolated
    between their nearest occupied neighbours (the nearest one beyond the
    outermost) with ``heights="mean"``, and the linear continuation of their
    neighbours with ``"lstsq"`` (the second-difference penalty decides
    them); the open ends take the value of the outermost bumps
    with ``"mean"`` and are fitted with ``"lstsq"``. The open ends are the
    one departure from the textbook network, which drops to zero outside
    the range and reaches only half the first bump's height at the range's
    left end: with them the pieces form a partition of unity, so that
    constants (and, for soft bumps, low-degree polynomials) are reproduced
    up to the range's ends. They change only the outer units' output
    weights and the output bias.

    Beyond the training range a one-input model tends to its open-end
    levels. With soft bumps these are only weakly determined by the data,
    as the levels of strongly overlapping sigmoids are, so on noisy data the
    far field can stray far from the targets: on ``sin(6 x)`` plus noise of
    standard deviation 0.1 on [0, 1], 32 bumps at the default
    ``steepness=0.5`` predict -32 at ``x = 10``, while ``steepness=2``
    predicts -0.23 there, close to the last value of the data, with the
    same accuracy inside the range. Raise ``steepness`` when a model must
    extrapolate.

    Cells without samples get no tower unit, so far from every occupied
    cell the towers predict the weighted mean target, which is the output
    bias (plus the constant floor of the tower units).

    The individual bumps of a one-input model, the pieces of the "visual
    proof", are given by :meth:`decompose`.

    Steep sigmoids saturate: away from its own edge a unit contributes
    exactly 0 or its full weight in float64. ``predict`` therefore sums the
    saturated units with a cumulative sum and evaluates only the units near
    each input (one input or the additive layout); it equals the forward
    pass of ``network_`` to rounding.

    References
    ----------
    M. Nielsen, "A visual proof that neural nets can compute any function",
    chapter 4 of *Neural Networks and Deep Learning*, 2015.

    G. Cybenko, "Approximation by superpositions of a sigmoidal function",
    *Mathematics of Control, Signals and Systems* 2, 303-314, 1989.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_uat import BumpNetRegressor
    >>> from sklearn_uat.datasets import make_function
    >>> X, y = make_function("multiscale", n_samples=2000, sampling="grid")
    >>> model = BumpNetRegressor(n_bumps=64).fit(X, y)
    >>> float(np.abs(model.predict(X) - y).max()) < 1e-3
    True
    >>> [W.shape for W in model.coefs_]
    [(1, 65), (65, 1)]

    Nielsen's construction: five steep bumps with mean heights.

    >>> textbook = BumpNetRegressor(n_bumps=5, steepness=100, heights="mean")
    >>> textbook.fit(X, y).coefs_[0].round(6)
    array([[500., 500., 500., 500., 500., 500.]])
    >>> textbook.edges_.round(2)
    array([[0. , 0.2, 0.4, 0.6, 0.8, 1. ]])
    >>> parts = textbook.decompose([[0.3], [0.5]])
    >>> parts.shape
    (2, 5)
    >>> bool(np.allclose(parts.sum(axis=1) + textbook.intercepts_[-1][0],
    ...                  textbook.predict([[0.3], [0.5]])))
    True

    ``sinc(x1 + x2)`` is a function of one direction: refined rows of soft
    bumps learn it (the rows on the axes and on a random direction fit it
    to 0.16 before refinement). On noise-free data all eight bumps go over
    the data (``margin=0``).

    >>> import warnings
    >>> from sklearn.exceptions import ConvergenceWarning
    >>> X, y = make_function("sinc", n_samples=1500, random_state=0)
    >>> ridge = BumpNetRegressor(8, directions=1, margin=0.0, random_state=0,
    ...                          refine=20)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", ConvergenceWarning)
    ...     ridge = ridge.fit(X, y)
    >>> float(np.max(ridge.directions_ @ [1.0, 1.0]) / np.sqrt(2)) > 0.9999
    True
    >>> X_test, y_test = make_function("sinc", n_samples=2000, random_state=1)
    >>> float(np.sqrt(np.mean((ridge.predict(X_test) - y_test) ** 2))) < 1e-5
    True
    """

    _parameter_constraints: dict = {
        "n_bumps": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "steepness": [Interval(Real, 0, 1e6, closed="right"), StrOptions({"auto"})],
        "heights": [StrOptions({"lstsq", "mean"})],
        "output_activation": [StrOptions({"identity", "sigmoid"})],
        "layout": [StrOptions({"tower", "additive"})],
        "tower_steepness": [Interval(Real, 0, 1e6, closed="right")],
        "max_cells": [Interval(Integral, 1, None, closed="left")],
        "alpha": [
            Interval(Real, 0, PENALTY_RANGE[1], closed="both"),
            StrOptions({"reml", "gcv"}),
        ],
        "margin": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "directions": [
            StrOptions({"auto", "axes"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "random_state": ["random_state"],
        "domain": ["array-like", None],
        "refine": ["boolean", Interval(Integral, 1, None, closed="left")],
        "refine_tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_bumps="auto",
        *,
        steepness="auto",
        heights="lstsq",
        output_activation="identity",
        layout="additive",
        tower_steepness=1.0,
        max_cells=4096,
        alpha="reml",
        margin="auto",
        directions="auto",
        random_state=None,
        domain=None,
        refine=False,
        refine_tol=1e-6,
    ):
        self.n_bumps = n_bumps
        self.steepness = steepness
        self.heights = heights
        self.output_activation = output_activation
        self.layout = layout
        self.tower_steepness = tower_steepness
        self.max_cells = max_cells
        self.alpha = alpha
        self.margin = margin
        self.directions = directions
        self.random_state = random_state
        self.domain = domain
        self.refine = refine
        self.refine_tol = refine_tol

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Build the network from the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets. Several targets share the hidden layers, one output
            unit each.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights: an integer weight counts like
            repeated rows, and samples of weight 0 are ignored, also when the
            training range and the occupied cells are determined. Their sum
            is the number of samples that sizes and smooths the fit: scale
            relative weights (normalised to sum 1, say) to a mean of 1 over
            the rows of positive weight first, ``w * np.count_nonzero(w) /
            w.sum()``; a warning says so when they average below 0.5.

        Returns
        -------
        self : BumpNetRegressor
            The fitted estimator.
        """
        with restored_on_error(self):
            if is_dask_collection(X) or is_dask_collection(y):
                return self._fit_dask(X, y, sample_weight)
            X, y = validate_data(
                self, X, y, reset=True, y_numeric=True, multi_output=True
            )
            return self._fit(np.asarray(X, dtype=np.float64), y, sample_weight)

    def _fit(self, X, y, sample_weight):
        Y, single_output = as_target_columns(y)
        X, Y, w = positive_weight_rows(X, Y, sample_weight)
        sample_weight = np.ones(X.shape[0]) if w is None else w
        # Frequency weights: a weight of 2 counts like a repeated row.
        n_effective = self._sizing_samples(
            X.shape[0] if w is None else int(round(w.sum()))
        )
        if self.refine is not False:
            self._check_refine(X.shape[1])
        directions = self._directions(X.shape[1], n_effective)
        d = directions.shape[0]
        layouts = self._layouts(d, n_effective)
        for n, s, *_ in layouts:
            # Per direction: the first layer, and the banded normal equations
            # with the copies their solve makes.
            band = min(2 * _band_half_width(s) + 2, n + 2)
            check_memory_budget(
                d * (n + 2) * (max(d, 2) + 3 * band),
                what=f"n_bumps={n} at steepness={s:g} on {d} directions",
                fix="lower n_bumps, or raise steepness (a narrower band)",
            )
        domain = self._stream_domain(X.shape[1])
        if domain is not None:
            check_inside(X, *domain, source="domain")
        layers = [self._layer(X, domain, directions, *layout) for layout in layouts]
        layer = layers[0]
        rows = self._stream_block_rows(_Layouts(layers))
        if rows is not None and self._stream_refusal() is None:
            # Rows along several directions: their statistics summed in the
            # blocks of rows that partial_fit and Dask sum them in, and the
            # same solve. Nearly collinear soft bumps would show the rounding
            # of any other order of summation.
            single = len(layers) == 1 and layers[0].given is None
            kept = layers[0] if single else _Layouts(layers)
            for c in layers:
                self._check_additive_memory(d, c.n_bumps)
            statistics_of = statistics_function(self._stream_equations, kept)
            blocks = BlockSums(rows)
            blocks = blocks.added(X, Y, w, statistics_of)
            statistics = blocks.total(statistics_of)
            self._stream_solve(kept, statistics, single_output)
            self._keep_stream(kept, statistics, single_output, blocks)
            return self

        # The target of the output units' pre-activation.
        if self.output_activation == "sigmoid":
            G, back = self._sigmoid_targets(Y)
        else:
            G, back = Y, None
        if self.heights == "lstsq":
            g_mean, g_std = standard_scaling_columns(G, sample_weight)
        else:
            g_mean, g_std = np.zeros(G.shape[1]), np.ones(G.shape[1])
        G = (G - g_mean) / g_std

        cells, fit, refined, centres, candidates = None, None, None, None, None
        # Candidates (or one layout written on given bumps) go through GCV's
        # choice, which writes the one kept on its given bumps.
        if len(layers) > 1 or layers[0].given is not None:
            candidates = [
                self._fit_additive(
                    c.project(X), G, sample_weight, c.n_bumps, c.steepness
                )
                for c in layers
            ]
            best = lowest_gcv([gcv_score(fit) for *_, fit in candidates])
            levels, bias, fit = candidates[best]
            layer, levels = layers[best].on_given(levels)
        n, s = layer.n_bumps, layer.steepness
        T = layer.project(X)
        if d == 1 or self.layout == "additive":
            if candidates is None:
                levels, bias, fit = self._fit_additive(T, G, sample_weight, n, s)
            if self.refine is not False and d > 1:
                # The scaled inputs (the rotated layer scales them alike).
                U = (X - layer.offset) / layer.scale
                rotated = self._rotated_layer(X, G, w, domain, layer)
                if isinstance(self.alpha, str):
                    # Noisy data: the rotated layer with penalties of its
                    # own, kept if GCV says so; the steps start from it.
                    turned = self._fit_additive(
                        rotated.project(X), G, sample_weight, n, s
                    )
                    if keeps_turn(fit, turned[2], turn_dof(U, w)):
                        layer, (levels, bias, fit) = rotated, turned
                    rotated = None
                layer, centres, slopes, ridge_levels, ridge_bias, fit, refined = (
                    refine_ridge_bump_fit(
                        U,
                        G,
                        w,
                        layer,
                        fit,
                        self.refine,
                        self.refine_tol,
                        isinstance(self.alpha, str),
                        rotated,
                    )
                )
                if ridge_levels is not None:
                    levels, bias = ridge_levels, ridge_bias
            elif self.refine is not False:
                centres, slopes, fit, refined = refine_bump_fit(
                    T,
                    G,
                    w,
                    n,
                    s,
                    fit,
                    self.refine,
                    self.refine_tol,
                    isinstance(self.alpha, str),
                )
                levels, bias = fit.coef[None], fit.coef[0]
            coefs, intercepts, heights, outer = _additive_layers(
                n, s, levels, bias, g_mean, g_std
            )
            if refined is not None:
                # Each step unit at its own centre, with its own slope.
                coefs[0] = np.zeros_like(coefs[0])
                for i, row in enumerate(np.atleast_2d(slopes)):
                    coefs[0][i, i * (n + 1) : (i + 1) * (n + 1)] = row * n
                intercepts[0] = -(slopes * centres).ravel()
        else:
            steps_W, steps_b = _step_layer(d, n, s)
            tower_W, tower_b, out_W, bias, cells, fit = self._fit_towers(
                T, G, sample_weight, n, s
            )
            coefs = [steps_W, tower_W, out_W]
            intercepts = [steps_b, tower_b, bias]
            heights, outer = out_W * g_std, None
        self._set_model(
            coefs,
            intercepts,
            layer,
            (g_mean, g_std),
            back,
            single_output,
            heights,
            outer,
            cells,
            fit,
            refined,
            centres,
        )
        if fit is not None and cells is None and back is None and refined is None:
            # What partial_fit continues from: these bumps (or all the
            # candidate layouts) and fit's sums.
            kept, equations, first = layer, fit.statistics, n + 2
            if candidates is not None:
                kept = _Layouts(layers)
                equations = _stacked([fit.statistics for *_, fit in candidates])
                first = kept.first_blocks()
            statistics = TargetStatistics.from_standardised(
                equations, g_mean, g_std, np.max(np.abs(Y), axis=0), first
            )
            self._keep_stream(kept, statistics, single_output)
        return self

    def _margin(self, n_features):
        """``margin`` with ``"auto"`` resolved for ``n_features`` inputs."""
        if self.margin != "auto":
            return float(self.margin)
        rows = n_features > 1 and self.layout == "additive" and self.heights == "lstsq"
        return _AUTO_MARGIN if rows else 0.0

    def _directions(self, n_features, n_effective):
        """Rows of bumps along directions of the scaled inputs.

        The axes, and for the additive layout of least-squares heights
        random directions (ridge functions) too; towers and mean heights
        (marginal regressograms) lie on the axes.
        """
        on_axes = self.layout == "tower" or self.heights == "mean"
        return draw_directions(
            "axes" if on_axes else self.directions,
            n_features,
            n_effective,
            self.random_state,
        )

    def _layer(self, X, domain, directions, n, s, given=None):
        """The first hidden layer on the range of ``X``, or on ``domain``.

        With a domain the projections' range is that of the domain's box,
        so the layer does not depend on the rows; otherwise that of the
        rows.
        """
        if domain is None:
            lo, hi = X.min(axis=0), X.max(axis=0)
            offset, scale = minmax_scaling(X)
            p_lo, p_scale = minmax_scaling((X - offset) / scale @ directions.T)
            source = "the training range of fit (pass domain= to widen it)"
        else:
            lo, hi = domain
            offset, scale = minmax_scaling(np.stack([lo, hi]))
            p_lo = np.minimum(directions, 0.0).sum(axis=1)
            p_scale = np.maximum(directions, 0.0).sum(axis=1) - p_lo
            source = "domain"
        margin = self._margin(directions.shape[1])
        p_offset = p_lo - margin * p_scale
        p_scale = p_scale * (1.0 + 2.0 * margin)
        return _BumpLayer(
            n,
            float(s),
            lo,
            hi,
            offset,
            scale,
            source,
            directions,
            p_offset,
            p_scale,
            given,
        )

    def _set_model(
        self,
        coefs,
        intercepts,
        layer,
        target_scaling,
        back,
        single_output,
        heights,
        outer,
        cells,
        fit,
        refined=None,
        centres=None,
    ):
        """Assign every fitted attribute at once, from the layers."""
        activations = ["sigmoid"] * len(coefs[:-1]) + ["identity"]
        net = layer.fold(FeedForwardNetwork(coefs, intercepts, activations))
        net = net.with_output_scaling(*target_scaling)
        if back is not None:
            net = FeedForwardNetwork(
                [*net.coefs, np.diag(back[1])],
                [*net.intercepts, back[0]],
                [*net.activations[:-1], "sigmoid", "identity"],
            )
        if single_output:
            heights = heights[..., 0]
            outer = None if outer is None else outer[..., 0]
        self._single_output = single_output
        self._stream = None
        self.network_ = net
        self.n_bumps_ = layer.n_bumps
        self.steepness_ = layer.steepness
        self.margin_ = self._margin(layer.directions.shape[1])
        self.heights_ = heights
        self.outer_heights_ = outer
        self.cells_ = cells
        self.n_cells_ = 0 if cells is None else cells.shape[0]
        self.alpha_ = None if fit is None else fit.penalties
        self.edf_ = None if fit is None else fit.edf
        self.directions_ = layer.directions
        self.input_offset_ = layer.offset
        self.input_scale_ = layer.scale
        self.edges_ = layer.edges(centres)
        d, n_features = layer.directions.shape
        if d == n_features > 1 and not np.array_equal(layer.directions, np.eye(d)):
            # Refined directions that are no longer the axes: along them.
            self.edges_ = layer.p_offset[:, None] + layer.p_scale[:, None] * (
                centres / layer.n_bumps
            )
        self.refine_objective_ = None if refined is None else refined.objective
        self.refine_n_iter_ = 0 if refined is None else refined.n_iter
        return self

    # -- fits beyond memory: the hooks of StreamingMixin

    _stream_parameters = (
        "n_bumps",
        "steepness",
        "heights",
        "output_activation",
        "layout",
        "alpha",
        "margin",
        "domain",
        "directions",
        "random_state",
    )

    def _stream_refusal(self):
        if self.refine is not False:
            return (
                "refine moves the bumps to fit all the rows, which partial_fit "
                "and fit on a Dask collection never hold; set refine=False."
            )
        if (
            self.heights != "lstsq"
            or self.output_activation != "identity"
            or self.layout != "additive"
        ):
            return (
                "partial_fit and fit on a Dask collection sum the normal "
                "equations of least-squares heights on an identity output: use "
                "heights='lstsq', output_activation='identity' and "
                "layout='additive'. Towers, mean heights and the sigmoid output "
                "need all the rows at once."
            )
        return None

    def _stream_layer(self, X, w, n_effective, domain, data_ranges=None):
        """The fixed bumps of partial_fit and of fit on Dask collections.

        The projections' range is that of the domain's box, or on Dask
        without a domain that of the data, as fit takes it.
        """
        self._check_streamable()
        n_effective = self._sizing_samples(n_effective)
        source = "domain"
        if domain is None:
            domain = (X.min(axis=0), X.max(axis=0))
            source = "the range of the first chunk (pass domain= to fix it)"
        n_features = domain[0].size
        directions = self._directions(n_features, n_effective)
        layouts = self._layouts(directions.shape[0], n_effective)
        layers = [self._layer(None, domain, directions, *layout) for layout in layouts]
        ranges = None
        if data_ranges is not None and directions.shape[0] > n_features:
            # One pass over the data for the projections' range, shared by
            # every candidate layout (they differ only in their bumps).
            p_lo, p_hi = data_ranges(directions, layers[0].offset, layers[0].scale)
            span = np.where(p_hi > p_lo, p_hi - p_lo, 1.0)
            margin = self._margin(n_features)
            ranges = {
                "p_offset": p_lo - margin * span,
                "p_scale": span * (1.0 + 2.0 * margin),
            }
        layers = [replace(layer, source=source, **(ranges or {})) for layer in layers]
        if len(layers) == 1 and layers[0].given is None:
            return layers[0]
        return _Layouts(layers)

    def _stream_block_rows(self, layer):
        """Rows per block of the sums of rows along several directions.

        Soft bumps along several directions, reaching beyond the data by
        the margin, are nearly collinear (sums of ridge functions can
        cancel, tails beyond the data look alike), and their solve shows the
        rounding of the sums: summed in the blocks that ``fit`` takes,
        chunks of any size give its sums to the last bit. One direction's
        banded sums need no blocks (None).
        """
        layers = layer.layers if isinstance(layer, _Layouts) else [layer]
        return block_rows(layers) if layers[0].directions.shape[0] > 1 else None

    def _stream_equations(self, layer, X, targets, w):
        if isinstance(layer, _Layouts):
            return _stacked(
                [self._stream_equations(c, X, targets, w) for c in layer.layers]
            )
        n, s = layer.n_bumps, layer.steepness
        T = layer.project(X)
        w = np.ones(X.shape[0]) if w is None else w
        if T.shape[1] > 1:
            return _additive_normal_equations(T, targets, w, n, s)[0]
        ab, rhs = _banded_normal_equations(T[:, 0], targets, w, n, s)
        yty = np.einsum("ij,ij->j", targets, targets * w[:, None])
        return NormalEquations(ab, rhs, yty, float(w.sum()), True)

    def _stream_solve(self, layer, statistics, single_output):
        stats, g_mean, g_std = statistics.standardised()
        if isinstance(layer, _Layouts):
            parts = zip(
                layer.layers,
                _unstacked(stats, layer.layers),
                layer.split(statistics.mass),
            )
            fits = [self._solve_levels(*part) for part in parts]
            best = lowest_gcv([gcv_score(fit) for *_, fit in fits])
            levels, bias, fit = fits[best]
            layer, levels = layer.layers[best].on_given(levels)
        else:
            levels, bias, fit = self._solve_levels(layer, stats, statistics.mass)
        coefs, intercepts, heights, outer = _additive_layers(
            layer.n_bumps, layer.steepness, levels, bias, g_mean, g_std
        )
        return self._set_model(
            coefs,
            intercepts,
            layer,
            (g_mean, g_std),
            None,
            single_output,
            heights,
            outer,
            None,
            fit,
        )

    def _solve_levels(self, layer, stats, mass):
        """Levels, output bias and engine fit of one layer from its sums."""
        d, n_features = layer.directions.shape
        if d == 1:
            band, _ = _levels_penalty(layer.n_bumps)
            fit = _select(stats, [PenaltyBlock(0, band)], self.alpha)
            return fit.coef[None], fit.coef[0], fit
        levels, centre, fit = _additive_levels(
            stats, mass, d, layer.n_bumps, self.alpha, n_features
        )
        return levels, centre + levels[:, 0].sum(axis=0), fit

    def _rotated_layer(self, X, G, w, domain, layer):
        """The first layer turned onto the principal directions of the gradient.

        The gradient is that of a pilot fit with ``directions="auto"`` (many
        directions, so it sees interactions) and few bumps (the principal
        directions need only the coarse shape); the eigenvectors of its
        average outer product, by decreasing eigenvalue, replace the axes
        and turn the other directions with them. A ridge function's
        direction becomes the first axis: the start refinement needs.
        """
        pilot = clone(self).set_params(
            n_bumps=min(layer.n_bumps, _PILOT_BUMPS),
            directions="auto",
            refine=False,
            output_activation="identity",
        )
        net = pilot.fit(X, G, sample_weight=w).network_
        W1, b1, W2 = net.coefs[0], net.intercepts[0], net.coefs[1]
        gradients = np.zeros((W2.shape[1], X.shape[0], X.shape[1]))
        rows = max(1, _CHUNK_ELEMENTS // W1.shape[1])
        for a in range(0, X.shape[0], rows):
            S = expit(X[a : a + rows] @ W1 + b1)
            S *= 1.0 - S
            for t in range(W2.shape[1]):
                # Gradient along the scaled inputs, in which directions live.
                gradients[t, a : a + rows] = ((S * W2[:, t]) @ W1.T) * layer.scale
        turn = gradient_directions(gradients, w, (X - layer.offset) / layer.scale)
        directions = layer.directions @ turn.T
        return self._layer(X, domain, directions, layer.n_bumps, layer.steepness)

    def _check_refine(self, n_features):
        if self.heights != "lstsq" or (n_features > 1 and self.layout != "additive"):
            raise ValueError(
                "refine moves the step units of rows of least-squares bumps "
                "(and with several inputs their directions): it needs "
                "heights='lstsq' and, for several inputs, layout='additive'; "
                f"got heights={self.heights!r} and layout={self.layout!r} with "
                f"{n_features} input(s). Set refine=False, or use those settings."
            )

    def _layouts(self, n_directions, n_samples):
        """The ``(n_bumps, steepness[, given])`` of the first layer, or its candidates.

        ``steepness="auto"`` gives candidates with least-squares heights and
        a penalty chosen from the data (GCV picks one at the solve), else
        the soft layout. One input: with ``n_bumps="auto"`` the soft one
        below its cap, up to 2048 sharp bumps and the smooth layouts of
        ``_AUTO_SMOOTH`` with fewer bumps than ``n_bumps``; with a given
        ``n_bumps``, that many soft and sharp bumps, the smooth layouts
        whose count divides it (to be written on the ``given`` bumps once
        chosen) and, up to 256 bumps, pieces as wide as the others. Several
        (additive rows): with ``n_bumps="auto"`` also 16 soft and 16 smooth
        bumps per direction; with a given ``n_bumps`` the default's layouts
        on the given bumps (:meth:`_row_layouts`).
        """
        n = self._resolve_n_bumps(n_directions, n_samples)
        if self.steepness != "auto":
            return [(n, float(self.steepness))]
        chosen = isinstance(self.alpha, str)
        if self.heights != "lstsq" or not chosen:
            return [(n, _SOFT)]
        if n_directions > 1:
            # Rows of bumps along several directions: fewer, smoother ones.
            if self.layout != "additive":
                return [(n, _SOFT)]
            if self.n_bumps == "auto":
                return self._row_layouts(n)
            # A given count is offered the default's layouts: written on its
            # bumps where their count divides it, else as pieces as wide in
            # the input; so that more bumps keep the default's fit (64 soft
            # bumps, narrower than the default's 32, were kept by GCV on
            # sinc and were 1.13 times less accurate). Its own soft bumps
            # compete too where the default has no smooth layout (a default
            # of at most 16 bumps, sized for few samples: asked for 8 on 60
            # samples along 12 directions, the default's 3 were 10 times
            # less accurate) and where the count is below the default's.
            # Pieces as wide are a system of the given count each: only the
            # default's own soft layout is offered so (three of them made
            # 200 bumps on two inputs 3.4 times slower than one).
            auto = self._auto_bumps(n_directions, n_samples)
            few = _AUTO_SMOOTH[0][0]
            offered = [] if n >= auto and auto > few else [(n, _SOFT)]
            for k, s in self._row_layouts(auto):
                if k == n and (k, s) not in offered:
                    offered.append((k, s))
                elif k < n and n % k == 0 and self.refine is False:
                    offered.append((k, s, n))
                elif k < n and k == auto:
                    offered.append((n, s * k / n))
            return offered
        if self.n_bumps != "auto":
            # The smooth layouts of the default: so that more bumps than the
            # default's keep its fit. Those whose count divides n are nested
            # in n bumps and are fitted as themselves; the others as pieces
            # as wide in the input.
            smooth = []
            for k, s in _AUTO_SMOOTH:
                if k < n and n % k == 0 and self.refine is False:
                    smooth.append((k, s, n))
                elif k <= n and n + 2 <= _SMOOTH_MAX_WIDTH:
                    smooth.append((n, s * k / n))
            return [(n, _SOFT), (n, _SHARP), *smooth]
        low = _AUTO_BUMPS_ONE_INPUT[0]
        sharp = int(np.clip(int(n_samples) // 2, low, _AUTO_BUMPS_SHARP))
        soft = [(n, _SOFT)] if n < _AUTO_BUMPS_ONE_INPUT[1] else []
        smooth = [(k, s) for k, s in _AUTO_SMOOTH if k < n]
        return [*soft, (sharp, _SHARP), *smooth]

    def _resolve_n_bumps(self, n_features, n_samples):
        if self.n_bumps != "auto":
            return self.n_bumps
        return self._auto_bumps(n_features, n_samples)

    @staticmethod
    def _auto_bumps(n_features, n_samples):
        """``n_bumps="auto"`` for ``n_features`` rows (directions)."""
        if n_features == 1:
            return int(np.clip(int(n_samples) // 2, *_AUTO_BUMPS_ONE_INPUT))
        # At most about one unknown per sample.
        per_input = int(round(min(_AUTO_UNKNOWNS, n_samples))) // n_features - 2
        return int(np.clip(per_input, 1, _AUTO_BUMPS_PER_INPUT))

    @staticmethod
    def _row_layouts(n):
        """The candidate layouts of rows of several inputs with ``n`` bumps."""
        few = _AUTO_SMOOTH[0][0]
        return [(n, _SOFT)] + ([(few, _SOFT), (few, _SMOOTH)] if few < n else [])

    def _sigmoid_targets(self, Y):
        """Inverse-sigmoid targets and the (offsets, spans) that map back."""
        lo, hi = Y.min(axis=0), Y.max(axis=0)
        inside = (lo > 0) & (hi < 1)
        width = np.where(hi > lo, hi - lo, 1.0)
        span = np.where(inside, 1.0, width / (1 - 2 * _P_LOW))
        offset = np.where(inside, 0.0, lo - _P_LOW * span)
        p = (Y - offset) / span
        return np.log(p) - np.log1p(-p), (offset, span)

    def _fit_additive(self, T, G, sample_weight, n, s):
        """Levels (d, n + 2, n_targets), the output bias and the engine's fit."""
        d = T.shape[1]
        if d == 1:
            levels, fit = _fit_axis(
                T[:, 0], G, sample_weight, n, s, self.heights, self.alpha
            )
            return levels[None], levels[0], fit
        bias = np.average(G, axis=0, weights=sample_weight)
        if self.heights == "mean":
            # Marginal regressograms of the centred target, one per axis.
            levels = np.stack(
                [
                    _fit_axis(T[:, i], G - bias, sample_weight, n, s, "mean", 0)[0]
                    for i in range(d)
                ]
            )
            return levels, bias + levels[:, 0].sum(axis=0), None
        levels, centre, fit = self._additive_lstsq(T, G, sample_weight, n, s)
        return levels, centre + levels[:, 0].sum(axis=0), fit

    @staticmethod
    def _check_additive_memory(d, n):
        """Refuse rows of ``n`` bumps on ``d`` directions beyond the budget."""
        m = d * (n + 2)
        check_memory_budget(
            3 * m * m + max(1, _CHUNK_ELEMENTS // m) * m,
            what=f"layout='additive' with n_bumps={n} on {d} features",
            fix="lower n_bumps",
        )

    def _additive_lstsq(self, T, G, sample_weight, n, s):
        """Joint penalised levels of all axes, each centred on the data.

        The pieces of each axis sum to one, so a constant can move between
        axes; the engine keeps it in the first axis, and centring each
        axis's function (its weighted mean over the samples goes to the
        bias) makes the result independent of that choice.
        """
        d = T.shape[1]
        self._check_additive_memory(d, n)
        stats, column_mass = _additive_normal_equations(T, G, sample_weight, n, s)
        return _additive_levels(
            stats, column_mass, d, n, self.alpha, self.n_features_in_
        )

    def _fit_towers(self, T, G, sample_weight, n, s):
        """Second layer (one unit per occupied cell), output weights, bias."""
        d = T.shape[1]
        w = float(self.tower_steepness)
        cell_of = np.clip(np.floor(T), 0, n - 1).astype(np.intp)
        cells, inverse = np.unique(cell_of, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        m = cells.shape[0]
        if m > self.max_cells:
            raise ValueError(
                f"layout='tower' needs one unit per occupied grid cell: "
                f"{m} cells with n_bumps={n} on {d} features, over "
                f"max_cells={self.max_cells}. Use layout='additive', lower "
                "n_bumps, or raise max_cells."
            )
        if m > _TOWER_CELLS_PER_SAMPLE * T.shape[0]:
            warn(
                f"layout='tower' puts a unit in each of {m} occupied cells for "
                f"{T.shape[0]} samples: with so few samples per cell the towers "
                "memorise rather than generalise. Use layout='additive' or "
                "lower n_bumps.",
                UserWarning,
            )
        # The design is built in chunks of rows; the normal equations, their
        # factorisation and the second layer's weights are held whole.
        rows = min(T.shape[0], max(1, _CHUNK_ELEMENTS // m))
        check_memory_budget(
            4 * rows * m + 4 * m * m + d * (n + 1) * m,
            what=f"{m} tower units on {T.shape[0]} samples",
            fix="lower n_bumps or use layout='additive'",
        )
        peak = np.tanh(s / 4)
        gain = w / peak
        tower_W = np.zeros((d * (n + 1), m))
        cols = np.arange(m)
        for i in range(d):
            tower_W[i * (n + 1) + cells[:, i], cols] += gain
            tower_W[i * (n + 1) + cells[:, i] + 1, cols] -= gain
        tower_b = np.full(m, -w * (d - 0.5))
        floor = expit(-w * (d - 0.5))
        bias = np.average(G, axis=0, weights=sample_weight)
        fit = None
        if self.heights == "mean":
            weight = np.bincount(inverse, weights=sample_weight, minlength=m)
            heights = (
                np.stack(
                    [
                        np.bincount(inverse, weights=sample_weight * g, minlength=m)
                        for g in G.T
                    ],
                    axis=1,
                )
                / weight[:, None]
                - bias
            )
        else:
            stats = None
            for a in range(0, T.shape[0], rows):
                A = self._tower_values(T[a : a + rows], cells, gain, w, n, s) - floor
                cols_all = np.broadcast_to(np.arange(m), A.shape)
                chunk = NormalEquations.from_windows(
                    [(cols_all, A)],
                    G[a : a + rows] - bias,
                    sample_weight[a : a + rows],
                    m,
                )
                stats = chunk if stats is None else stats.__iadd__(chunk)
            # A ridge on the tower heights (identity penalty, no null space).
            ridge = np.ones((1, m))
            fit = _select(stats, [PenaltyBlock(0, ridge, null_dim=0)], self.alpha)
            heights = fit.coef
        return tower_W, tower_b, heights, bias - floor * heights.sum(axis=0), cells, fit

    def _tower_values(self, T, cells, gain, w, n, s):
        """Tower unit activations on scaled inputs ``T``: shape (n, n_cells)."""
        d = T.shape[1]
        Z = np.full((T.shape[0], cells.shape[0]), -w * (d - 0.5))
        for i in range(d):
            first = np.ones(T.shape[0], dtype=np.intp)
            bumps = _pieces(T[:, i], n, s, first, n)
            Z += gain * bumps[:, cells[:, i]]
        return expit(Z)

    def predict(self, X):
        """Predict with the network, evaluating only the units near each input.

        Parameters
        ----------
        X : array-like of shape (n_samples, `n_features_in_`)
            Raw inputs, in the units the model was fitted on.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Equal to ``network_.forward(X)`` to rounding.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        refined = self.refine_objective_ is not None
        if self.cells_ is not None or (refined and self.refine_objective_.size > 1):
            out = self.network_.forward(X)
            return out if out.ndim == 1 or not self._single_output else out[:, 0]
        out = self._fast_forward(X)
        return out[:, 0] if self._single_output else out

    def _fast_forward(self, X):
        """The forward pass of a one-hidden-layer step network, banded.

        The units of one direction share their input weights and differ in
        bias by ``steepness``: one projection per direction places each
        sample among them.
        """
        net = self.network_
        n = self.n_bumps_
        W, b = net.coefs[0], net.intercepts[0]
        V, bias = net.coefs[1], net.intercepts[1]
        firsts = np.arange(self.directions_.shape[0]) * (n + 1)
        Q = X @ W[:, firsts]
        pre = np.tile(bias, (X.shape[0], 1))
        for i, first in enumerate(firsts):
            units = slice(first, first + n + 1)
            for t in range(V.shape[1]):
                pre[:, t] += _fast_axis_sum(
                    Q[:, i], 1.0, b[first], self.steepness_, V[units, t]
                )
        if len(net.coefs) == 2:
            return pre
        return expit(pre) @ net.coefs[2] + net.intercepts[2]

    def decompose(self, X):
        """Each bump's contribution to the output unit's pre-activation.

        Only for one input. Column ``j`` is ``heights_[j] * B_j(x)``; the
        first and last columns also hold the open ends, ``-h_L sigma_0(x)``
        and ``h_R sigma_n(x)`` with ``(h_L, h_R) = outer_heights_``, so that
        ``decompose(X).sum(axis=1) + intercepts_[-1][0]`` is the
        pre-activation of the output layer (``predict(X)`` for an identity
        output). The output bias is ``h_L``: for a plot of the bumps, add it
        to the first column, which then is the first bump continued to the
        left by the open end. For ``output_activation="sigmoid"`` the output
        unit is the sigmoid one, with bias ``intercepts_[-2][0]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, 1)
            Raw inputs.

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_bumps)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        if self.n_features_in_ != 1:
            raise ValueError(
                "decompose needs a model of one input (a row of bumps); this one "
                f"has {self.n_features_in_} inputs. Plot one input at a time."
            )
        net = self.network_
        steps = expit(X @ net.coefs[0] + net.intercepts[0])
        v = net.coefs[1][:, 0]
        # Levels in output units, recovered from the output weights so that
        # the columns add up to the network's pre-activation exactly.
        levels = net.intercepts[1][0] + np.r_[0.0, np.cumsum(v)]
        contributions = levels[1:-1] * (steps[:, :-1] - steps[:, 1:])
        contributions[:, 0] -= levels[0] * steps[:, 0]
        contributions[:, -1] += levels[-1] * steps[:, -1]
        return contributions

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
