"""What every regressor of the package shares: it *is* a network.

An estimator stores its fitted network in ``network_``
(:class:`~sklearn_uat.FeedForwardNetwork`, on raw inputs and targets: input
and target scaling are folded into the first and last layers). This mixin
exposes it the way :class:`~sklearn.neural_network.MLPRegressor` does and
gives the default, exact ``predict``: the network's forward pass.
"""

from contextlib import contextmanager

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data


class NetworkRegressorMixin:
    """Inspection, export and prediction for estimators that hold ``network_``.

    Put it first among the bases:
    ``class MyRegressor(NetworkRegressorMixin, RegressorMixin, BaseEstimator)``.
    """

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[i]`` is layer ``i``'s (n_in, n_out) weights."""
        return self.network_.coefs

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[i]`` is layer ``i``'s bias vector."""
        return self.network_.intercepts

    @property
    def activations_(self):
        """list of str: the activation after each layer, output included."""
        return self.network_.activations

    @property
    def n_parameters_(self):
        """int: number of weights and biases of the fitted network."""
        return self.network_.n_parameters

    def network_on_scaled_inputs(self):
        """The network split into its input scaling and the rest.

        ``network_`` runs on raw inputs, with the input scaling folded into
        its first layer: a large weight times ``x`` minus a large bias for
        inputs far from zero. That is exact in float64, but in float32 both
        terms lose the digits that matter. Exports therefore run the scaling
        as its own step, in double precision, ahead of this network.

        Returns
        -------
        offset : ndarray of shape (`n_features_in_`,)
        scale : ndarray of shape (`n_features_in_`,)
        network : FeedForwardNetwork
            On ``(x - offset) / scale``: ``network.forward((X - offset) /
            scale)`` equals ``network_.forward(X)`` to rounding. The scaling
            is the one the estimator built its network on (about [0, 1] or
            [-1, 1] over the training data), or none (offset 0, scale 1)
            where the estimator records none.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_uat import ReluKnotRegressor
        >>> X = np.linspace(1000, 1001, 200).reshape(-1, 1)
        >>> model = ReluKnotRegressor(n_knots=16).fit(X, np.sin(X[:, 0]))
        >>> offset, scale, network = model.network_on_scaled_inputs()
        >>> offset, scale
        (array([1000.]), array([1.]))
        >>> Z = (X - offset) / scale
        >>> bool(np.allclose(network.forward(Z), model.predict(X), atol=1e-12))
        True
        """
        check_is_fitted(self)
        n_features = self.network_.n_features_in
        offset = getattr(self, "input_offset_", None)
        scale = getattr(self, "input_scale_", None)
        if offset is None or scale is None:
            offset, scale = np.zeros(n_features), np.ones(n_features)
        offset = np.asarray(offset, dtype=np.float64).reshape(n_features)
        scale = np.asarray(scale, dtype=np.float64).reshape(n_features)
        return offset, scale, self.network_.without_input_scaling(offset, scale)

    def to_torch(self, dtype=None):
        """Export the fitted network as a :class:`torch.nn.Sequential`.

        The first module scales the inputs, ``(x - offset) / scale`` in
        float64 whatever ``dtype`` is (see :meth:`network_on_scaled_inputs`);
        the layers after it run in ``dtype``. A float32 export fed float64
        inputs thus keeps its accuracy on inputs far from zero. Fed float32
        inputs, it cannot do better than the inputs: a float32 number near
        1000 is only resolved to about 6e-5.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64
            Dtype of the module's layers and of its output.

        Returns
        -------
        module : torch.nn.Sequential
            Maps a ``(n_samples, n_features_in_)`` tensor of raw inputs to
            (n_samples, n_outputs) predictions equal to :meth:`predict`.
        """
        import torch

        from ._torch_modules import InputScaling

        offset, scale, network = self.network_on_scaled_inputs()
        dtype = torch.float64 if dtype is None else dtype
        return torch.nn.Sequential(
            InputScaling(offset, scale, dtype), *network.to_torch(dtype)
        )

    def predict(self, X):
        """Predict with the network's forward pass.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Raw inputs, in the units the model was fitted on.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.network_.forward(X)


@contextmanager
def restored_on_error(estimator):
    """Put ``estimator``'s state back as it was if the block raises.

    ``fit`` validates and computes into locals, but scikit-learn's
    ``validate_data(reset=True)`` records ``n_features_in_`` on the way: a
    refused refit must leave the previous model whole, attributes included.
    """
    state = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(state)
        raise
