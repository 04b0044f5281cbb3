"""The starting weights of :class:`~sklearn_uat.TrainedMLPRegressor`.

A random draw of ``weight_init``, or, with ``init_from``, a closed-form
network of one hidden ReLU layer placed inside that draw so that the
untrained model computes exactly the closed-form function. Everything here
is numpy on the estimator's scaled inputs and targets; the draw itself is
torch's.

The ``k`` hidden units of the closed-form network become the first ``k``
units of the first hidden layer (input weights and biases converted to the
scaled inputs) and its output weights are converted to the scaled targets.
Each deeper hidden layer carries those ``k`` values through unchanged: unit
``j < k`` gets weight 1 from unit ``j`` of the layer below, 0 from the
others and bias 0, exact since ReLU values are non-negative. The other
units keep their ``weight_init`` draw but have zero output (or carried-unit)
weights, so they start silent and grow in training. Every hidden layer must
therefore have at least ``k`` units.
"""

import math

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import has_fit_parameter

from ._network import FeedForwardNetwork


def check_init_from(activation, hidden_activations):
    """Raise a ValueError when the layers cannot hold a constructive start."""
    if not hidden_activations:
        raise ValueError(
            "init_from places a network of one hidden ReLU layer inside "
            "this one, but hidden_layer_sizes is empty; give at least one "
            "hidden layer."
        )
    if any(a != "relu" for a in hidden_activations):
        raise ValueError(
            "init_from places a ReLU network inside this one, which "
            f"needs activation='relu'; got {activation!r}."
        )


def starting_weights(
    init_from, weight_init, seed, data, layer_sizes, input_scaling, target_scaling
):
    """The starting ``(coefs, intercepts)`` on scaled inputs and targets.

    Parameters
    ----------
    init_from : "knots", estimator, FeedForwardNetwork or None
        The estimator's ``init_from``.
    weight_init : str
        The estimator's ``weight_init``: how the weights are drawn.
    seed : int
        Seeds the draw.
    data : tuple
        ``(X, y, sample_weight)``, the raw training data, for an ``init_from``
        that is fitted here.
    layer_sizes : list of int
        Inputs, hidden widths and outputs.
    input_scaling, target_scaling : tuple of ndarray
        The ``(offset, scale)`` maps of the inputs and the targets.
    """
    from ._torch_modules import initial_weights

    coefs, intercepts = initial_weights(layer_sizes, weight_init, seed)
    network = _constructive_network(init_from, *data, layer_sizes)
    if network is None:
        return coefs, intercepts
    return _embed_constructive(
        network, coefs, intercepts, *input_scaling, *target_scaling
    )


def _constructive_network(init_from, X, y, sample_weight, layer_sizes):
    """The closed-form network that ``init_from`` names, on raw inputs."""
    if init_from is None:
        return None
    if isinstance(init_from, FeedForwardNetwork):
        return init_from
    if isinstance(init_from, str):
        return _knot_network(X, y, min(layer_sizes[1:-1]))
    if hasattr(init_from, "network_"):
        return init_from.network_
    fit_params = {}
    if sample_weight is not None and has_fit_parameter(init_from, "sample_weight"):
        fit_params["sample_weight"] = sample_weight
    fitted = clone(init_from).fit(X, y, **fit_params)
    if not hasattr(fitted, "network_"):
        raise TypeError(
            "init_from must be an estimator that stores its network in "
            f"network_ (such as ReluKnotRegressor); {type(init_from).__name__} "
            "has none after fit."
        )
    return fitted.network_


def _knot_network(X, y, width):
    """A ReluKnotRegressor's network with at most ``width`` hidden units."""
    try:
        from ._knots import ReluKnotRegressor
    except ImportError as exc:  # pragma: no cover - present once merged
        raise ImportError(
            "init_from='knots' needs sklearn_uat.ReluKnotRegressor, which this "
            "installation lacks; pass a fitted estimator or a "
            "FeedForwardNetwork instead."
        ) from exc

    n_features = X.shape[1]
    # With linear extrapolation, each direction's first unit faces left and is
    # zero on every training input: dropped, the rest are live units.
    n_knots = max(2, width // n_features + 1)
    while True:
        network = _live_units(ReluKnotRegressor(n_knots=n_knots).fit(X, y).network_, X)
        n_units = network.hidden_layer_sizes[0]
        if n_units <= width:
            return network
        if n_knots == 2:
            raise ValueError(
                f"init_from='knots': the smallest knot network has {n_units} "
                f"units, more than the {width} of the narrowest hidden layer; "
                "widen hidden_layer_sizes."
            )
        n_knots = max(2, n_knots - math.ceil((n_units - width) / n_features))


def _live_units(network, X):
    """``network`` without the hidden units that are zero on every row of ``X``.

    Such a unit changes nothing on the training data, and as a starting point
    for gradient descent it is a dead ReLU that never trains.
    """
    live = (network.hidden_activations(X) > 0).any(axis=0)
    (W, W_out), (b, b_out) = network.coefs, network.intercepts
    return FeedForwardNetwork(
        [W[:, live], W_out[live]], [b[live], b_out], network.activations
    )


def _embed_constructive(
    network, coefs, intercepts, input_offset, input_scale, y_offset, y_scale
):
    """Place a ReLU ``network`` inside ``coefs``/``intercepts``.

    ``network`` maps raw inputs to raw targets; the returned layers map
    scaled inputs to scaled targets and compute the same function (see the
    module docstring).
    """
    if not isinstance(network, FeedForwardNetwork):
        raise TypeError(
            f"init_from must give a FeedForwardNetwork; got {type(network).__name__}."
        )
    depth = len(network.coefs) - 1
    if depth < 1 or network.activations != ["relu"] * depth + ["identity"]:
        raise ValueError(
            "init_from needs a ReLU network: one hidden ReLU layer or more and "
            "a linear output (activations ['relu', ..., 'identity']); got "
            f"{network.activations}."
        )
    n_features, n_outputs = coefs[0].shape[0], coefs[-1].shape[1]
    if network.n_features_in != n_features or network.n_outputs != n_outputs:
        raise ValueError(
            f"init_from's network maps {network.n_features_in} inputs to "
            f"{network.n_outputs} outputs; this data has {n_features} inputs "
            f"and {n_outputs} targets."
        )
    # Hidden layers beyond the network's carry its last one: weight 1 (exact
    # on non-negative ReLU values).
    widths = [W.shape[1] for W in coefs[:-1]]
    if depth > len(widths):
        raise ValueError(
            f"init_from's network has {depth} hidden layers but this one has "
            f"{len(widths)}; give hidden_layer_sizes at least {depth} layers."
        )
    sizes = [*network.hidden_layer_sizes]
    sizes += sizes[-1:] * (len(widths) - depth)
    if any(k > width for k, width in zip(sizes, widths)):
        raise ValueError(
            f"init_from's network has hidden layers {tuple(sizes[:depth])} but "
            f"hidden_layer_sizes is {tuple(widths)}; set hidden_layer_sizes to "
            f"at least {max(sizes)} units per layer, or use a smaller "
            "constructive network."
        )
    coefs = [W.copy() for W in coefs]
    intercepts = [b.copy() for b in intercepts]
    W_raw, b_raw = network.coefs[0], network.intercepts[0]
    k = sizes[0]
    coefs[0][:, :k] = W_raw * input_scale[:, None]
    intercepts[0][:k] = b_raw + input_offset @ W_raw
    for layer in range(1, len(coefs) - 1):
        k_in, k = sizes[layer - 1], sizes[layer]
        inner = network.coefs[layer] if layer < depth else np.eye(k)
        coefs[layer][:, :k] = 0.0
        coefs[layer][:k_in, :k] = inner
        intercepts[layer][:k] = network.intercepts[layer] if layer < depth else 0.0
    coefs[-1][:] = 0.0
    coefs[-1][:k] = network.coefs[-1] / y_scale
    intercepts[-1][:] = (network.intercepts[-1] - y_offset) / y_scale
    return coefs, intercepts
