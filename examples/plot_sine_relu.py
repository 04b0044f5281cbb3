"""
================================================
A sine from four ReLUs: initialisation and depth
================================================

Two small experiments with ReLU networks on ``sin(x)`` raise the question of
this example. In the first, a network of four ReLU units, initialised with
small uniform weights, returns something that looks like a single ReLU
rather than a sine; the suggested fix is He initialisation and a bigger
network. In the second, a deep and narrow ReLU network trained by SGD
learns slowly, with accuracy that "propagates out from 0" epoch after epoch,
and a wide network seems better.

With :class:`~sklearn_uat.TrainedMLPRegressor` each of these knobs is a
parameter. This example measures what the initialisation does to four ReLU
units over several seeds, adds a third option that neither experiment had
-- starting gradient descent from the closed-form network of a
:class:`~sklearn_uat.ReluKnotRegressor` (``init_from="knots"``) -- and
watches a deep-narrow and a wide network learn.
"""

# %%
# Four ReLUs with small uniform weights
# -------------------------------------
# ``weight_init="uniform"`` draws the weights from [-0.05, 0.05] with zero
# biases (Keras' ``"uniform"`` initializer). Every hinge of the hidden layer
# then starts at the same point, the centre of the (internally scaled)
# input range, and the output weights are tiny: gradient descent moves them
# together, and the fit ends as one bent line: units whose hinge leaves the
# data range on the wrong side are dead (zero everywhere, no gradient).
import matplotlib.pyplot as plt
import numpy as np

from sklearn_uat import ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.datasets import SeedFunction, make_function
from sklearn_uat.plotting import (
    ApproximationDisplay,
    DecompositionDisplay,
    TrainingDisplay,
)

X, y = make_function("sine", 1000, sampling="grid")
X_test, y_test = make_function("sine", 3001, sampling="grid")


def four_relus(weight_init="default", init_from=None, random_state=0):
    return TrainedMLPRegressor(
        (4,),
        activation="relu",
        weight_init=weight_init,
        init_from=init_from,
        batch_size=32,
        max_epochs=60,
        random_state=random_state,
    )


def rmse(model):
    return float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))


stuck = four_relus("uniform").fit(X, y)
print(f"uniform init: test RMSE {rmse(stuck):.3f}")
hinges = -stuck.intercepts_[0] / stuck.coefs_[0][0]
print("hinge positions of the 4 units:", np.round(hinges, 2))
alive = (stuck.network_.hidden_activations(X) > 0).any(axis=0)
print(f"units that are non-zero somewhere on [0, 2 pi]: {alive.sum()} of 4")
display = DecompositionDisplay.from_estimator(stuck, "sine")
display.figure_.suptitle("weight_init='uniform': the four units after training")

# %%
# Initialisation over several seeds
# ---------------------------------
# One run proves little: each initialisation is trained from four seeds.
# He initialisation (``"he_uniform"``) spreads the hinges and scales the
# weights for ReLUs; the constructive start places four hinges where a
# least-squares piecewise-linear fit of the data wants them, so that
# gradient descent starts from a network that already is a sine.
# Five knots make four live hinges on the data (the fifth unit faces left of
# the first knot and is zero on the whole range: ``init_from`` leaves it out).
knots_alone = ReluKnotRegressor(n_knots=5).fit(X, y)
print(f"ReluKnotRegressor, 4 live units, no training: RMSE {rmse(knots_alone):.3f}")
inits = {
    "uniform": {"weight_init": "uniform"},
    "he_uniform": {"weight_init": "he_uniform"},
    'init_from="knots"': {"init_from": "knots"},
}
scores = {name: [] for name in inits}
models = {}
for name, params in inits.items():
    for seed in range(4):
        model = four_relus(random_state=seed, **params).fit(X, y)
        scores[name].append(rmse(model))
        models.setdefault(name, model)
    print(f"{name:>18}: test RMSE " + " ".join(f"{s:.3f}" for s in scores[name]))

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for i, values in enumerate(scores.values()):
    axes[0].plot([i] * len(values), values, "o", ms=7, alpha=0.7)
axes[0].axhline(rmse(knots_alone), color="grey", ls="--", lw=1)
axes[0].text(0, rmse(knots_alone) * 1.1, "4 hinges, no training", color="grey")
axes[0].set_xticks(range(len(scores)), list(scores))
axes[0].set_xlim(-0.5, len(scores) - 0.5)
axes[0].set_ylabel("test RMSE (4 seeds each)")
axes[0].set_yscale("log")
axes[0].set_title("Four ReLU units, 60 epochs of Adam")
x = X_test[:, 0]
axes[1].plot(x, y_test, "k--", lw=1, label="sin(x)")
for name, model in models.items():
    axes[1].plot(x, model.predict(X_test), lw=1.5, label=name)
axes[1].set_xlabel("x")
axes[1].legend(fontsize="small")
axes[1].set_title("Seed 0 of each")

# %%
# Deep and narrow versus wide
# ---------------------------
# Four hidden layers of five ReLUs against one layer of 64, both trained by
# SGD (learning rate 0.01, momentum 0.9) on ``sin(x)`` over ``[-pi, pi]``.
# The snapshots show the deep network's fit after chosen epochs: it starts
# flat, fits the middle of the range first and reaches the extremes late,
# the "accuracy propagates out from 0" of the original experiment. The wide
# network gets the whole curve in a few epochs.
centred_sine = SeedFunction(
    "sine", lambda X: np.sin(X[:, 0]), np.array([[-np.pi, np.pi]]), "sin(x)", ""
)
rng = np.random.RandomState(0)
X_c = rng.uniform(-np.pi, np.pi, size=(2000, 1))
y_c = np.sin(X_c[:, 0])
epochs = [0, 2, 5, 10, 20, 40]
for hidden in [(5, 5, 5, 5), (64,)]:
    sgd = TrainedMLPRegressor(
        hidden,
        activation="relu",
        weight_init="he_uniform",
        optimizer="sgd",
        learning_rate=1e-2,
        batch_size=32,
        max_epochs=40,
        lr_schedule=None,
        random_state=0,
    )
    display = TrainingDisplay.from_training(
        sgd, X_c, y_c, epochs=epochs, target=centred_sine
    )
    fitted = display.estimator_
    error = np.abs(fitted.predict(X_c) - y_c).max()
    print(
        f"hidden {hidden}: {fitted.n_parameters_} parameters, final loss "
        f"{fitted.loss_curve_[-1]:.2e}, max abs error {error:.3f}"
    )
    display.figure_.suptitle(f"hidden_layer_sizes={hidden}, SGD")

# %%
# The best of the four-unit networks against the target, with its error.
best = min(models, key=lambda name: rmse(models[name]))
ApproximationDisplay.from_estimator(
    models[best], "sine", X_train=X[::10], y_train=y[::10], estimator_name=best
)
plt.show()
