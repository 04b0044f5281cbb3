"""
=========================================================
Functions of two inputs: a trained network and built ones
=========================================================

"Can a neural network approximate any function?" was once answered with a
small Keras network: a linear layer of 32 units, then 64 and 32 ``tanh``
units, one linear output, trained for 50 epochs of RMSprop (learning rate
1e-3, batches of 128) on 10,000 random points of three functions on
``[-1, 1]^2``:

- ``x1^2 + x2^2 + x1 x2^2 + tan(x1)``,
- ``x1^2 + x2^2`` where both inputs are positive, else ``2 x1 + 2 x2``
  (discontinuous along the positive axes),
- ``sinc(x1 + x2)``.

The answer was a picture of test points coloured by the target and by the
prediction, which looked alike. This example trains that network with
:class:`~sklearn_uat.TrainedMLPRegressor`, builds the two constructive
networks beside it -- :class:`~sklearn_uat.BumpNetRegressor` with towers,
:class:`~sklearn_uat.ReluKnotRegressor` with ReLUs along random directions
-- and draws target, prediction and error on a grid, where the differences
that scatter plots hide become visible.
"""

# %%
# The networks
# ------------
# ``activation=["identity", "tanh", "tanh"]`` gives the first hidden layer
# no non-linearity, as in the original; ``lr_schedule=None`` keeps the
# learning rate constant, as Keras does.
import time

import matplotlib.pyplot as plt
import numpy as np

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.datasets import get_function, make_function
from sklearn_uat.plotting import ApproximationDisplay


def networks():
    return {
        "Keras-style MLP": TrainedMLPRegressor(
            (32, 64, 32),
            activation=["identity", "tanh", "tanh"],
            optimizer="rmsprop",
            learning_rate=1e-3,
            batch_size=128,
            max_epochs=50,
            lr_schedule=None,
            random_state=0,
        ),
        "BumpNet towers": BumpNetRegressor(n_bumps=32, layout="tower"),
        "ReluKnot, 16 directions": ReluKnotRegressor(
            n_knots=32, directions=16, random_state=0
        ),
        "BumpNet additive": BumpNetRegressor(n_bumps=32, layout="additive"),
    }


# %%
# Fit and test
# ------------
# 10,000 random training points and 1,000 test points per function, as in
# the original. The additive BumpNet sums rows of soft bumps along the two
# axes and twelve further directions, so it represents interactions such as
# ``x1 x2^2`` or ``sinc(x1 + x2)`` as sums of ridge functions: in this run
# it was the most accurate on both smooth functions (1.7e-6 on ``poly_tan``,
# 2.2e-7 on ``sinc``), with the fewest parameters.
names = ["poly_tan", "piecewise", "sinc"]
fitted = {}
print(
    f"{'function':>10} {'network':>24} {'params':>7} {'test RMSE':>10} "
    f"{'max error':>10} {'fit s':>6}"
)
for name in names:
    X, y = make_function(name, 10000, random_state=0)
    X_test, y_test = make_function(name, 1000, random_state=1)
    for label, model in networks().items():
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        error = model.predict(X_test) - y_test
        fitted[name, label] = model
        print(
            f"{name:>10} {label:>24} {model.n_parameters_:7d} "
            f"{np.sqrt(np.mean(error**2)):10.2e} {np.abs(error).max():10.2e} "
            f"{seconds:6.1f}"
        )

# %%
# Target, prediction and error
# ----------------------------
# One figure per function: a row per network with the target, the
# prediction and the error (prediction minus target, each row on its own
# symmetric colour scale; read the colour bars). On the smooth functions
# the constructive networks' errors are one to two orders of magnitude
# below the trained network's; on the discontinuous one every network errs
# along the jump, and the trained network also away from it.
shown = ["Keras-style MLP", "BumpNet towers", "ReluKnot, 16 directions"]
for name in names:
    fig, axes = plt.subplots(3, 3, figsize=(11, 10), layout="constrained")
    for row, label in zip(axes, shown):
        display = ApproximationDisplay.from_estimator(
            fitted[name, label], name, n_points=80, ax=row, estimator_name=label
        )
    fig.suptitle(get_function(name).description)
plt.show()
