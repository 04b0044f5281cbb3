"""What every regressor of the package shares: it *is* a network.

An estimator stores its fitted network in ``network_``
(:class:`~sklearn_uat.FeedForwardNetwork`, on raw inputs and targets: input
and target scaling are folded into the first and last layers). This mixin
exposes it the way :class:`~sklearn.neural_network.MLPRegressor` does and
gives the default, exact ``predict``: the network's forward pass.
"""

from contextlib import contextmanager

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

    def to_torch(self, dtype=None):
        """Export the fitted network as a :class:`torch.nn.Sequential`.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float64
            Dtype of the module's parameters.

        Returns
        -------
        module : torch.nn.Sequential
            Maps a ``(n_samples, n_features_in_)`` tensor of raw inputs to
            (n_samples, 1) predictions equal to :meth:`predict`.
        """
        check_is_fitted(self)
        return self.network_.to_torch(dtype)

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
