"""Deep ReLU networks built in closed form: squares, products, distances.

A network of one hidden ReLU layer needs about ``1 / sqrt(8 eps)`` units to
approximate ``x^2`` on [0, 1] to a maximum error ``eps``; a deep one needs
about ``log2(1 / eps)`` layers of three units [1]_. This module builds such
deep networks exactly, as :class:`~sklearn_uat.FeedForwardNetwork` objects
(so :meth:`~sklearn_uat.FeedForwardNetwork.forward`,
:meth:`~sklearn_uat.FeedForwardNetwork.to_torch`, the displays of
:mod:`sklearn_uat.plotting` and ``TrainedMLPRegressor(init_from=...)`` work
on them), together with the algebra that assembles them: composition, sums,
networks side by side and affine maps.

References
----------
.. [1] D. Yarotsky, "Error bounds for approximations with deep ReLU
   networks", Neural Networks 94, 2017.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy.linalg import block_diag

from ._network import FeedForwardNetwork

__all__ = [
    "add",
    "affine",
    "compose",
    "deepen",
    "distance",
    "product",
    "square",
    "stack",
]

_EPS = np.finfo(np.float64).eps

# square() refuses levels whose error bound is below this many units of
# float64 rounding of the values the network carries (eps * max(a^2, b^2)):
# rounding then stays below 1/16 of the bound (measured: below 1/100).
_ROUNDING_MARGIN = 256.0


# --------------------------------------------------------------------------
# Checks shared by the constructions.
# --------------------------------------------------------------------------


def _check_network(network, name):
    if not isinstance(network, FeedForwardNetwork):
        raise TypeError(
            f"{name} must be a FeedForwardNetwork (from sklearn_uat.construct, "
            f"or an estimator's network_); got {type(network).__name__}."
        )


def _check_domain(domain, name="domain"):
    """(low, high) as floats, finite and increasing."""
    try:
        low, high = (float(v) for v in domain)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a pair (low, high) of numbers; got {domain!r}."
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(
            f"{name} must be finite; got ({low}, {high}). Give the bounded "
            "interval the inputs lie in."
        )
    if not low < high:
        raise ValueError(
            f"{name} must be an interval (low, high) with low < high; got "
            f"({low}, {high})." + (" Swap the bounds." if low > high else " Widen it.")
        )
    if not math.isfinite(high - low):
        raise ValueError(
            f"{name}=({low}, {high}) has a width that overflows float64; "
            "rescale the inputs."
        )
    return low, high


def _check_levels(n_levels, domain):
    if isinstance(n_levels, bool) or not isinstance(n_levels, Integral):
        raise TypeError(f"n_levels must be an int; got {type(n_levels).__name__}.")
    if n_levels < 1:
        raise ValueError(
            f"n_levels must be at least 1 (one level halves the grid of the "
            f"interpolant); got {n_levels}."
        )
    limit = _max_levels(domain)
    if n_levels > limit:
        low, high = domain
        raise ValueError(
            f"n_levels={n_levels} asks for an error bound of "
            f"{_square_bound(n_levels, domain):.2e} on domain=({low}, {high}), "
            "below what float64 resolves there (values up to "
            f"{max(low * low, high * high):.2e} are rounded to about "
            f"{_EPS * max(low * low, high * high):.1e}); use n_levels <= {limit}"
            + (", or shift the inputs so that the domain is near 0." if limit else ".")
        )
    return int(n_levels)


def _square_bound(n_levels, domain):
    low, high = domain
    return (high - low) ** 2 * 2.0 ** (-2 * n_levels - 2)


def _max_levels(domain):
    """Largest level whose bound exceeds the float64 rounding of the values."""
    low, high = domain
    rounding = _ROUNDING_MARGIN * _EPS * max(low * low, high * high)
    # bound(m) = width^2 2^(-2m-2) >= rounding
    ratio = (high - low) ** 2 / rounding
    return max(0, int(math.floor((math.log2(ratio) - 2) / 2)))


# --------------------------------------------------------------------------
# The algebra.
# --------------------------------------------------------------------------


def affine(weights, bias=None):
    """The affine map ``x @ weights + bias`` as a network of one linear layer.

    Parameters
    ----------
    weights : array-like of shape (n_in, n_out)
        The weight matrix, in the layout of ``FeedForwardNetwork.coefs``.
    bias : array-like of shape (n_out,), default=None
        The bias; zeros if None.

    Returns
    -------
    network : FeedForwardNetwork
        No hidden layer and an identity output. :func:`compose` folds it
        into the next or previous layer, so it costs no depth.

    Examples
    --------
    The differences ``(x1 - x3, x2 - x4)`` of four inputs:

    >>> import numpy as np
    >>> from sklearn_uat.construct import affine
    >>> diff = affine([[1, 0], [0, 1], [-1, 0], [0, -1]])
    >>> diff.forward(np.array([[0.5, 1.0, 0.25, 0.0]]))
    array([[0.25, 1.  ]])
    """
    W = np.asarray(weights, dtype=np.float64)
    if W.ndim != 2 or 0 in W.shape:
        raise ValueError(
            "weights must be a non-empty 2-D array of shape (n_in, n_out); got "
            f"shape {W.shape}. Write a map to one output as a column, e.g. "
            "[[1.0], [-1.0]]."
        )
    b = np.zeros(W.shape[1]) if bias is None else np.asarray(bias, dtype=np.float64)
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"bias must have shape ({W.shape[1]},), one entry per output of "
            f"weights; got {b.shape}."
        )
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise ValueError("weights and bias must be finite.")
    return FeedForwardNetwork([W], [b], ["identity"])


def compose(outer, inner):
    """The network ``outer(inner(x))``.

    Parameters
    ----------
    outer, inner : FeedForwardNetwork
        ``inner.n_outputs`` must equal ``outer.n_features_in``.

    Returns
    -------
    network : FeedForwardNetwork
        When ``inner`` ends with an identity output, its last layer and
        ``outer``'s first are one affine map and are merged: the hidden
        layers are ``inner``'s followed by ``outer``'s, with no layer in
        between, and the merged layer has ``inner``'s last hidden width (or
        input count) times ``outer``'s first width weights. Otherwise the
        layers are chained as they are.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_uat.construct import affine, compose, square
    >>> shifted = compose(square(4), affine([[0.5]], [0.5]))  # ((x + 1) / 2)^2
    >>> shifted.hidden_layer_sizes == square(4).hidden_layer_sizes
    True
    >>> float(shifted.forward(np.array([[0.0]]))[0])
    0.25
    """
    _check_network(outer, "outer")
    _check_network(inner, "inner")
    if inner.n_outputs != outer.n_features_in:
        raise ValueError(
            f"compose(outer, inner): inner has {inner.n_outputs} outputs but "
            f"outer takes {outer.n_features_in} inputs; insert an affine(...) "
            "between them that maps one onto the other."
        )
    if inner.activations[-1] != "identity":
        return FeedForwardNetwork(
            [*inner.coefs, *outer.coefs],
            [*inner.intercepts, *outer.intercepts],
            [*inner.activations, *outer.activations],
        )
    W_in, b_in = inner.coefs[-1], inner.intercepts[-1]
    W_out, b_out = outer.coefs[0], outer.intercepts[0]
    return FeedForwardNetwork(
        [*inner.coefs[:-1], W_in @ W_out, *outer.coefs[1:]],
        [*inner.intercepts[:-1], b_in @ W_out + b_out, *outer.intercepts[1:]],
        [*inner.activations[:-1], *outer.activations],
    )


def _padded(network, n_hidden):
    """``network`` with ``n_hidden`` hidden layers, computing the same function.

    The last hidden layer of a ReLU network is non-negative, so ReLU layers
    of weight one carry it forward exactly; a network with no hidden layer
    carries its affine output ``z`` as ``relu(z)`` and ``relu(-z)``.
    """
    depth = len(network.coefs) - 1
    if depth == n_hidden:
        return network
    if any(act != "relu" for act in network.activations[:-1]):
        raise ValueError(
            "Networks of different depths can only be stacked when the "
            "shallower one has ReLU hidden layers (they are padded with ReLU "
            "layers that carry their values); got hidden activations "
            f"{network.activations[:-1]}. Stack networks of equal depth."
        )
    coefs, intercepts = list(network.coefs), list(network.intercepts)
    out_act = network.activations[-1]
    if depth == 0:
        W, b = coefs[0], intercepts[0]
        coefs = [np.hstack([W, -W])]
        intercepts = [np.concatenate([b, -b])]
        n = W.shape[1]
        tail_W = np.vstack([np.eye(n), -np.eye(n)])
        tail_b = np.zeros(n)
        depth = 1
    else:
        tail_W, tail_b = coefs.pop(), intercepts.pop()
    width = coefs[-1].shape[1]
    for _ in range(n_hidden - depth):
        coefs.append(np.eye(width))
        intercepts.append(np.zeros(width))
    return FeedForwardNetwork(
        [*coefs, tail_W],
        [*intercepts, tail_b],
        ["relu"] * n_hidden + [out_act],
    )


def stack(*networks, shared_input=False):
    """Networks side by side: their outputs, concatenated, in one network.

    Parameters
    ----------
    *networks : FeedForwardNetwork
        At least one. Networks of different depths are padded to the
        deepest with ReLU layers that carry their values unchanged (exact,
        as ReLU values are non-negative), which needs ReLU hidden layers;
        networks of equal depth need the same activation in each layer.
    shared_input : bool, default=False
        False: the inputs are concatenated too, each network reading its
        own (block-diagonal weights). True: every network reads the same
        inputs, so they must all take the same number.

    Returns
    -------
    network : FeedForwardNetwork
        Each hidden layer is as wide as the sum of the (padded) networks'
        widths at that depth; ``n_parameters`` counts the zero blocks
        between them, as for any dense network.

    Examples
    --------
    ``x^2`` and ``y^2`` of two inputs, side by side:

    >>> import numpy as np
    >>> from sklearn_uat.construct import square, stack
    >>> both = stack(square(6), square(6))
    >>> both.n_features_in, both.n_outputs, both.hidden_layer_sizes[:2]
    (2, 2, (6, 6))
    >>> both.forward(np.array([[0.5, 0.25]]))
    array([[0.25  , 0.0625]])
    """
    if not networks:
        raise ValueError("stack needs at least one network.")
    for i, network in enumerate(networks):
        _check_network(network, f"networks[{i}]")
    if shared_input:
        n_in = {network.n_features_in for network in networks}
        if len(n_in) > 1:
            raise ValueError(
                "stack(..., shared_input=True) needs networks with the same "
                f"number of inputs; got {[n.n_features_in for n in networks]}. "
                "Compose each with an affine(...) that selects its inputs, or "
                "use shared_input=False."
            )
    n_hidden = max(len(network.coefs) - 1 for network in networks)
    padded = [_padded(network, n_hidden) for network in networks]
    activations = padded[0].activations
    for network in padded[1:]:
        if network.activations != activations:
            raise ValueError(
                "Stacked networks need the same activation in each layer; got "
                f"{activations} and {network.activations}."
            )
    coefs, intercepts = [], []
    for layer in range(n_hidden + 1):
        Ws = [network.coefs[layer] for network in padded]
        if layer == 0 and shared_input:
            coefs.append(np.hstack(Ws))
        else:
            coefs.append(block_diag(*Ws))
        intercepts.append(np.concatenate([n.intercepts[layer] for n in padded]))
    return FeedForwardNetwork(coefs, intercepts, activations)


def add(*networks):
    """The sum of networks that read the same inputs.

    Parameters
    ----------
    *networks : FeedForwardNetwork
        At least two, with the same number of inputs and of outputs (see
        :func:`stack` for networks of different depths).

    Returns
    -------
    network : FeedForwardNetwork
        ``stack(*networks, shared_input=True)`` followed by the sum of the
        outputs, which is merged into the last layer (no extra depth).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_uat.construct import add, affine, square
    >>> f = add(square(8), affine([[-1.0]]))      # x^2 - x
    >>> float(f.forward(np.array([[0.5]]))[0])
    -0.25
    """
    if len(networks) < 2:
        raise ValueError(
            f"add needs at least two networks; got {len(networks)}. A single "
            "network is its own sum."
        )
    for i, network in enumerate(networks):
        _check_network(network, f"networks[{i}]")
    n_outputs = [network.n_outputs for network in networks]
    if len(set(n_outputs)) > 1:
        raise ValueError(
            f"add needs networks with the same number of outputs; got {n_outputs}."
        )
    side_by_side = stack(*networks, shared_input=True)
    n = n_outputs[0]
    return compose(affine(np.vstack([np.eye(n)] * len(networks))), side_by_side)


# --------------------------------------------------------------------------
# Squares and products.
# --------------------------------------------------------------------------


def square(n_levels, domain=(0.0, 1.0)):
    """Yarotsky's deep ReLU network for ``x^2``, with ``n_levels`` levels.

    Parameters
    ----------
    n_levels : int
        Number of levels ``m`` of the sawtooth, at least 1. Each adds a
        hidden layer of three ReLUs and divides the error bound by four.
        Levels whose bound falls below float64's rounding of ``x^2`` on the
        domain are refused (on [0, 1], ``m <= 21``).
    domain : (low, high), default=(0, 1)
        The finite interval the inputs lie in.

    Returns
    -------
    network : FeedForwardNetwork
        One input, one output, ``m`` hidden ReLU layers of width 3,
        ``12 m - 2`` parameters. On the domain its output is the piecewise
        linear interpolant of ``x^2`` on ``2^m + 1`` equally spaced nodes,
        so ``0 <= network(x) - x^2 <= (high - low)^2 2^(-2m-2)``, attained
        halfway between nodes. Outside the domain it is no approximation.

    See Also
    --------
    product : ``x1 * x2`` from two squares.
    sklearn_uat.ReluKnotRegressor : One hidden layer; about ``1 / sqrt(8
        eps)`` units for error ``eps`` on [0, 1] (354 at 1e-6, where this
        network has 9 levels and 106 parameters).

    Notes
    -----
    On ``t = (x - low) / (high - low)`` in [0, 1], the tooth ``g(t) = 2
    relu(t) - 4 relu(t - 1/2) + 2 relu(t - 1)`` rises from 0 to 1 and back on
    [0, 1] and is 0 outside, and ``g_s = g o ... o g`` (``s`` times) is a
    sawtooth of ``2^(s-1)`` teeth. Let ``f_s`` be the piecewise-linear
    interpolant of ``t^2`` on the nodes ``k 2^-s``. On an interval of
    ``f_(s-1)`` of width ``h = 2^(1-s)``, ``f_(s-1) - f_s`` is the gap at the
    midpoint, ``(h/2)^2``, times the hat that ``g_s`` makes there, so

    ``f_m(t) = t - sum_{s=1}^{m} g_s(t) / 4^s``, with ``f_0(t) = t``.

    On an interval ``[u, u + h]`` the interpolant of a parabola exceeds it by
    ``(t - u)(u + h - t) <= h^2 / 4``; with ``h = 2^-m`` that is
    ``0 <= f_m(t) - t^2 <= 2^(-2m-2)``, equal at the midpoints. Mapping back,
    ``x^2 = low^2 + 2 low w t + w^2 t^2`` with ``w = high - low``, so the
    network's interpolant ``P_m(x) = low^2 + (low + high) w t - w^2 sum
    g_s(t)/4^s`` satisfies ``0 <= P_m(x) - x^2 <= w^2 2^(-2m-2)``.

    Layer 1 holds ``relu(t)``, ``relu(t - 1/2)``, ``relu(t - 1)``; layer
    ``s + 1`` holds ``relu(g_s)``, ``relu(g_s - 1/2)`` (``g_s`` lies in [0,
    1], so the third unit of the tooth is zero and dropped) and
    ``relu(P_s)``, which carries the partial sum: ``P_s >= x^2 >= 0``, so
    the ReLU passes it unchanged. The output is ``P_m``. Every weight but the
    input map and ``low``'s terms is a power of two, so on [0, 1] the network
    is exact at dyadic inputs; elsewhere rounding adds a few units of
    ``eps * max(low^2, high^2)`` (float64's ``eps``), measured below 1/100 of
    the bound at every accepted level.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_uat.construct import square
    >>> net = square(9)
    >>> net.hidden_layer_sizes, net.n_parameters
    ((3, 3, 3, 3, 3, 3, 3, 3, 3), 106)
    >>> x = np.linspace(0, 1, 100_001)
    >>> error = np.abs(net.forward(x[:, None]) - x**2).max()
    >>> bool(error <= 2.0**-20)                       # 9.5e-7
    True
    """
    low, high = _check_domain(domain)
    m = _check_levels(n_levels, (low, high))
    w = high - low
    # Layer 1: relu(t - c) for c in 0, 1/2, 1, with t = (x - low) / w.
    coefs = [np.full((1, 3), 1.0 / w)]
    intercepts = [np.array([0.0, -0.5, -1.0]) - low / w]
    # The partial sum P_s as a linear form (weights on the current layer's
    # units, and a constant): P_0 = low^2 + (low + high) w t.
    acc_weights = np.array([(low + high) * w, 0.0, 0.0])
    acc_constant = low * low
    tooth = np.array([2.0, -4.0, 2.0])
    for s in range(1, m + 1):
        # g_s and P_s = P_(s-1) - w^2 g_s / 4^s, on the current layer.
        p_weights = acc_weights - w * w * tooth / 4.0**s
        if s == m:
            coefs.append(p_weights[:, None])
            intercepts.append(np.array([acc_constant]))
            break
        coefs.append(np.column_stack([tooth, tooth, p_weights]))
        intercepts.append(np.array([0.0, -0.5, acc_constant]))
        tooth = np.array([2.0, -4.0, 0.0])
        acc_weights, acc_constant = np.array([0.0, 0.0, 1.0]), 0.0
    return FeedForwardNetwork(coefs, intercepts, ["relu"] * m + ["identity"])


def _check_product_domain(domain):
    arr = np.asarray(domain, dtype=object)
    if arr.shape == (2, 2):
        return tuple(_check_domain(d, f"domain[{i}]") for i, d in enumerate(domain))
    if arr.shape == (2,):
        pair = _check_domain(domain)
        return pair, pair
    raise ValueError(
        "domain must be one interval (low, high) for both inputs, or two, "
        f"((low1, high1), (low2, high2)); got {domain!r}."
    )


def product(n_levels, domain=(0.0, 1.0)):
    """A deep ReLU network for ``x1 * x2``, from two of Yarotsky's squares.

    Parameters
    ----------
    n_levels : int
        Levels of each square (see :func:`square`), at least 1.
    domain : (low, high) or ((low1, high1), (low2, high2)), default=(0, 1)
        The interval of both inputs, or one per input.

    Returns
    -------
    network : FeedForwardNetwork
        Two inputs, one output, ``m`` hidden ReLU layers of width 6 (the two
        squares side by side). With input widths ``w1``, ``w2``, its maximum
        error on the domain is at most ``(w1 + w2)^2 2^(-2m-4)``: ``2^(-2m-2)``
        on [0, 1]^2, attained.

    See Also
    --------
    square : The squares it is built from.

    Notes
    -----
    ``x1 x2 = ((x1 + x2)^2 - (x1 - x2)^2) / 4``. Both ``u = x1 + x2`` and
    ``v = x1 - x2`` range over intervals of width ``W = w1 + w2``, and
    :func:`square` on those intervals errs by ``e_u, e_v`` in ``[0, B]``
    with ``B = W^2 2^(-2m-2)``: the errors have one sign, so they partly
    cancel in the difference and ``|e_u - e_v| / 4 <= B / 4``. (The form
    ``((x1 + x2)^2 - x1^2 - x2^2) / 2`` needs a third square and, as its
    errors do not cancel, bounds the error by ``B / 2``.) The map to ``(u,
    v)`` is folded into the first layer and the difference into the output
    layer by :func:`compose`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_uat.construct import product
    >>> net = product(10, domain=(-1, 1))
    >>> net.hidden_layer_sizes[:3], net.n_parameters
    ((6, 6, 6), 403)
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(10_000, 2))
    >>> bool(np.abs(net.forward(X) - X[:, 0] * X[:, 1]).max() <= 2.0**-20)
    True
    """
    (a1, b1), (a2, b2) = _check_product_domain(domain)
    if isinstance(n_levels, bool) or not isinstance(n_levels, Integral):
        raise TypeError(f"n_levels must be an int; got {type(n_levels).__name__}.")
    sum_square = square(n_levels, domain=(a1 + a2, b1 + b2))
    diff_square = square(n_levels, domain=(a1 - b2, b1 - a2))
    squares = stack(sum_square, diff_square)
    net = compose(squares, affine([[1.0, 1.0], [1.0, -1.0]]))
    return compose(affine([[0.25], [-0.25]]), net)


# --------------------------------------------------------------------------
# The distance of four inputs: squares, then a square root by ReLU knots.
# --------------------------------------------------------------------------


def _sqrt_knots(error, stop):
    """Fewest knots on [0, stop] whose interpolant of sqrt errs by <= error.

    On [p^2, q^2] the chord of sqrt errs by at most ``(q - p)^2 / (4 (p +
    q))`` (at ``sqrt(x) = (p + q) / 2``); setting it equal to ``error`` gives
    ``q = p + 2 error + sqrt(8 error p + 4 error^2)``, the next knot.
    """
    roots = [0.0]
    end = math.sqrt(stop)
    while roots[-1] < end:
        p = roots[-1]
        roots.append(p + 2 * error + math.sqrt(8 * error * p + 4 * error * error))
    roots[-1] = end
    return np.square(np.array(roots))


def _sqrt_network(error, stop):
    """One hidden ReLU layer interpolating sqrt on the knots of _sqrt_knots."""
    from ._knots import ReluKnotRegressor

    # Fitted in r = stop - s, so that the units relu(r - r_k) face left in s:
    # the steep slope changes near s = 0 then multiply small values and do
    # not cancel against each other over the whole range (in s, they would
    # leave rounding errors a thousand times larger at tol=1e-4).
    knots = stop - _sqrt_knots(error, stop)[::-1]
    knots[0] = 0.0
    # With one sample at each knot and no penalty, the least-squares spline
    # on those knots is the interpolant.
    model = ReluKnotRegressor(knots=knots, alpha=0.0).fit(
        knots[:, None], np.sqrt(stop - knots)
    )
    return compose(model.network_, affine([[-1.0]], [stop]))


def _distance_plan(tol):
    """(levels, sqrt error) with the fewest ReLUs for a total error <= tol."""
    best = None
    first = max(1, math.ceil(math.log2(math.sqrt(2.0) / tol)))
    for m in range(first, min(first + 12, _max_levels((-1.0, 1.0))) + 1):
        squares_error = math.sqrt(2.0) * 2.0**-m
        sqrt_error = tol - squares_error
        if sqrt_error <= 0:
            continue
        n_relus = 6 * m + _sqrt_knots(sqrt_error, 2.0 + 2.0 ** (1 - 2 * m)).size
        if best is None or n_relus < best[0]:
            best = (n_relus, m, sqrt_error)
    return best[1], best[2]


def distance(tol=1e-3):
    """A deep ReLU network for ``|(x1, x2) - (x3, x4)|`` on [0, 1]^4.

    A classic answer to "how many ReLUs does the distance need?" builds it
    in two stages, ReLUs for the squared differences and ReLUs for the
    square root, and guesses thousands of units; with deep squares it takes
    about a hundred.

    Parameters
    ----------
    tol : float, default=1e-3
        Bound on the maximum error over [0, 1]^4, in ``[1e-6, 0.5]``.

    Returns
    -------
    network : FeedForwardNetwork
        Four inputs, one output. Hidden layers: ``m`` of width 6 (two
        :func:`square` networks on [-1, 1], side by side), then one of
        ``K`` ReLUs for the square root; ``m`` and ``K`` are chosen for the
        fewest ReLUs whose bound is ``tol`` (``m = 12``, ``K = 34`` at
        ``tol=1e-3``). The number of ReLUs is ``sum(hidden_layer_sizes)``.

    Notes
    -----
    Stage 1 computes ``s' = S(x1 - x3) + S(x2 - x4)`` with ``S = square(m,
    domain=(-1, 1))``, so ``0 <= s' - s <= 2 * 2^(-2m)`` for ``s = (x1 -
    x3)^2 + (x2 - x4)^2``; as ``|sqrt(a) - sqrt(b)| <= sqrt(|a - b|)``,
    ``|sqrt(s') - sqrt(s)| <= sqrt(2) 2^-m``. Stage 2 is a fitted
    :class:`~sklearn_uat.ReluKnotRegressor` (``alpha=0``, one sample per
    knot, hence the interpolant) of ``sqrt`` on knots from 0 to ``2 + 2^(1 -
    2m)``, the range of ``s'``. On ``[p^2, q^2]`` the chord of ``sqrt`` errs
    by at most ``(q - p)^2 / (4 (p + q))``, and the knots are placed, from 0
    up, so that each interval's error is ``e = tol - sqrt(2) 2^-m``: their
    number grows as ``sqrt(1 / e)`` despite the infinite slope at 0, where
    equally spaced knots would need ``1 / e^2``. The error of the whole
    network is at most ``e + sqrt(2) 2^-m = tol``. The spline is fitted in
    the reflected variable ``r = stop - s``, so that its units ``relu(t_k -
    s)`` face left: the large slope changes near 0 then act on small values
    only, and rounding stays near 1e-15 (with units facing right they cancel
    over the whole range and leave about 1e-12).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_uat.construct import distance
    >>> net = distance(tol=1e-3)
    >>> net.hidden_layer_sizes[0], len(net.hidden_layer_sizes), net.n_features_in
    (6, 13, 4)
    >>> int(sum(net.hidden_layer_sizes))              # ReLUs
    106
    >>> X = np.random.default_rng(0).uniform(size=(100_000, 4))
    >>> truth = np.hypot(X[:, 0] - X[:, 2], X[:, 1] - X[:, 3])
    >>> bool(np.abs(net.forward(X) - truth).max() <= 1e-3)
    True
    """
    if isinstance(tol, bool) or not isinstance(tol, Real):
        raise TypeError(f"tol must be a number; got {type(tol).__name__}.")
    if not 1e-6 <= tol <= 0.5:
        raise ValueError(
            f"tol must be in [1e-6, 0.5]; got {tol}. Below 1e-6 the square "
            "root's first knots fall under float64's resolution of the squared "
            "distance; above 0.5 a constant does as well."
        )
    m, sqrt_error = _distance_plan(float(tol))
    squares = stack(square(m, domain=(-1.0, 1.0)), square(m, domain=(-1.0, 1.0)))
    differences = affine([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    squared_distance = compose(affine([[1.0], [1.0]]), compose(squares, differences))
    root = _sqrt_network(sqrt_error, 2.0 + 2.0 ** (1 - 2 * m))
    return compose(root, squared_distance)


# --------------------------------------------------------------------------
# Width into depth.
# --------------------------------------------------------------------------


def deepen(network, width, domain):
    """A one-hidden-layer ReLU network of one input, rewritten narrow and deep.

    Parameters
    ----------
    network : FeedForwardNetwork
        One input, one hidden ReLU layer, one identity output, such as a
        fitted :class:`~sklearn_uat.ReluKnotRegressor`'s ``network_``.
    width : int
        Width of every hidden layer of the result, at least 3.
    domain : (low, high)
        The inputs on which the result must equal ``network``.

    Returns
    -------
    network : FeedForwardNetwork
        Hidden layers of ``width`` ReLUs (the last possibly narrower) that
        compute ``network`` on the domain. With ``H`` units of ``network``
        whose kink lies inside the domain, it has ``1 + ceil((H - width + 1)
        / (width - 2))`` hidden layers (one if ``H < width``).

    Notes
    -----
    On the domain, a unit ``relu(a x + b)`` whose kink lies outside it is
    either zero or affine there; only the ``H`` others need a ReLU. Every
    layer carries ``p = relu(x - low) = x - low`` forward, and from the
    second on an accumulator ``relu(F + C)``, where ``F`` is the sum so far
    (affine part and the kinked units of the layers before) and ``C = -min
    F`` over the domain (``F`` is piecewise linear, so its minimum is at an
    end or a kink), which makes the ReLU exact. The remaining units each
    take one of the other ``width - 2`` places of a layer, computed from
    ``p``. The output adds the last layer's units and subtracts ``C``.

    Examples
    --------
    The shape of the deep narrow sine example, four hidden layers of five
    ReLUs, holds a linear spline with 13 inner knots:

    >>> import numpy as np
    >>> from sklearn_uat import ReluKnotRegressor
    >>> from sklearn_uat.construct import deepen
    >>> x = np.linspace(-np.pi, np.pi, 2001)[:, None]
    >>> knots = ReluKnotRegressor(15, alpha=0).fit(x, np.sin(x[:, 0]))
    >>> deep = deepen(knots.network_, 5, domain=(-np.pi, np.pi))
    >>> deep.hidden_layer_sizes
    (5, 5, 5, 5)
    >>> bool(np.abs(deep.forward(x) - knots.predict(x)).max() < 1e-12)
    True
    """
    _check_network(network, "network")
    if (
        network.n_features_in != 1
        or network.n_outputs != 1
        or network.activations != ["relu", "identity"]
    ):
        raise ValueError(
            "deepen needs a network of one input, one hidden ReLU layer and an "
            f"identity output; got {network.n_features_in} inputs, "
            f"{network.n_outputs} outputs and activations {network.activations}."
        )
    if isinstance(width, bool) or not isinstance(width, Integral):
        raise TypeError(f"width must be an int; got {type(width).__name__}.")
    if width < 3:
        raise ValueError(
            f"width must be at least 3 (the carried input, the running sum and "
            f"one unit); got {width}."
        )
    low, high = _check_domain(domain)
    a, b = network.coefs[0][0], network.intercepts[0]
    v, c = network.coefs[1][:, 0], float(network.intercepts[1][0])
    # Affine part on the domain: value at low and slope, in p = x - low.
    at_low, at_high = a * low + b, a * high + b
    always = (at_low >= 0) & (at_high >= 0)
    kinked = ((at_low > 0) & (at_high < 0)) | ((at_low < 0) & (at_high > 0))
    constant = c + float(v[always] @ at_low[always])
    slope = float(v[always] @ a[always])
    # Kinked units in p: relu(a p + (a low + b)), in the order of their kinks.
    ka, kb, kv = a[kinked], at_low[kinked], v[kinked]
    order = np.argsort(-kb / ka)
    ka, kb, kv = ka[order], kb[order], kv[order]
    n_units = ka.size

    def partial_min(n_done):
        """Minimum over the domain of constant + slope p + the first units."""
        points = np.concatenate([[0.0, high - low], -kb[:n_done] / ka[:n_done]])
        values = (
            constant
            + slope * points
            + np.maximum(np.outer(points, ka[:n_done]) + kb[:n_done], 0.0) @ kv[:n_done]
        )
        return float(values.min())

    # Layer 1: the carried p and the first units.
    first = min(n_units, width - 1)
    coefs = [np.concatenate([[1.0], ka[:first]])[None, :]]
    intercepts = [np.concatenate([[-low], kb[:first] - ka[:first] * low])]
    # The running sum F on the current layer: weights and constant.
    f_weights = np.concatenate([[slope], kv[:first]])
    f_constant = constant
    done = first
    while done < n_units:
        shift = max(0.0, -partial_min(done))
        new = min(n_units - done, width - 2)
        n_prev = f_weights.size
        W = np.zeros((n_prev, 2 + new))
        W[0, 0] = 1.0  # p
        W[:, 1] = f_weights  # F + shift
        W[0, 2:] = ka[done : done + new]
        intercepts.append(np.concatenate([[0.0, f_constant + shift], kb[done:][:new]]))
        coefs.append(W)
        f_weights = np.concatenate([[0.0, 1.0], kv[done : done + new]])
        f_constant = -shift
        done += new
    coefs.append(f_weights[:, None])
    intercepts.append(np.array([f_constant]))
    return FeedForwardNetwork(
        coefs, intercepts, ["relu"] * (len(coefs) - 1) + ["identity"]
    )
