"""
========================================
Bumps from sigmoid pairs: a visual proof
========================================

The constructive proof of the universal approximation theorem (Nielsen,
*Neural Networks and Deep Learning*, chapter 4) builds a network by hand:

1. a sigmoid unit with a large input weight ``w`` is nearly a step at
   ``s = -b / w``;
2. two such steps with opposite output weights make a *bump*;
3. a row of bumps whose heights follow the target approximates it, and more
   bumps approximate it better.

This example follows that story on the function
``0.2 + 0.4 x^2 + 0.3 x sin(15 x) + 0.05 cos(50 x)`` on ``[0, 1]`` with
:class:`~sklearn_uat.BumpNetRegressor`, which builds exactly this network
without any gradient descent, and then measures what the textbook leaves
out: how the error falls as the bumps multiply, and what softer, overlapping
sigmoids with least-squares heights do instead.
"""

# %%
# One bump, two sigmoids
# ----------------------
# A step at ``s`` is ``sigma(w (x - s))``; the difference of the steps at
# 0.4 and 0.6 is a bump on ``[0.4, 0.6)``. The steeper the sigmoids, the
# squarer the bump: at ``w = 500`` (the weight of the classic construction)
# it is an indicator function to the eye.
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit

x = np.linspace(0, 1, 1000)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True, layout="constrained")
for ax, w in zip(axes, [10, 50, 500]):
    left, right = expit(w * (x - 0.4)), expit(w * (x - 0.6))
    ax.plot(x, left, color="tab:blue", lw=1, label="sigma(w (x - 0.4))")
    ax.plot(x, -right, color="tab:green", lw=1, label="-sigma(w (x - 0.6))")
    ax.plot(x, left - right, color="black", lw=2, label="bump = sum")
    ax.set_title(f"w = {w}")
    ax.set_xlabel("x")
axes[0].legend(fontsize="small", loc="lower left")
fig.suptitle("Two sigmoid units with opposite output weights make a bump")

# %%
# The classic network, built by a regressor
# -----------------------------------------
# Five bumps 0.2 wide, ``w = 500`` (``steepness`` is the input weight per bump
# width, so ``steepness=100`` here), each bump's height the mean of the
# target inside it (``heights="mean"``). The classic construction puts a
# sigmoid on the output too, so the hidden layer's weighted sum must equal
# the *inverse sigmoid* of the target; ``output_activation="sigmoid"``
# does that. The decomposition shows each bump, their sum against the
# inverse-sigmoid target, and the output against the target.
from sklearn_uat import BumpNetRegressor
from sklearn_uat.datasets import get_function, make_function
from sklearn_uat.plotting import ApproximationDisplay, DecompositionDisplay

X, y = make_function("multiscale", 4000, sampling="grid")
seed_net = BumpNetRegressor(
    n_bumps=5, steepness=100, heights="mean", output_activation="sigmoid"
).fit(X, y)
print("input weights:", seed_net.coefs_[0].round(1).ravel())
print("steps at     :", seed_net.edges_.round(2).ravel())
print("layers       :", [W.shape for W in seed_net.coefs_], seed_net.activations_)

display = DecompositionDisplay.from_estimator(seed_net, "multiscale")
display.figure_.suptitle("Five steep bumps with a sigmoid output")

# %%
# The decomposition is exact: the bumps plus the output bias are the
# pre-activation of the output unit, and the sigmoid of that (mapped back by
# the last 1x1 layer) is the prediction.
f = get_function("multiscale")
X_test = np.linspace(0, 1, 10007)[1:-1, None]
y_test = f.func(X_test)
parts = seed_net.decompose(X_test)
pre = parts.sum(axis=1) + seed_net.intercepts_[-2][0]
w_back, b_back = seed_net.coefs_[-1][0, 0], seed_net.intercepts_[-1][0]
print(
    "max |output - w sigma(pre) - b|:",
    np.abs(seed_net.predict(X_test) - (w_back * expit(pre) + b_back)).max(),
)
print(
    "max abs error of five bumps   :", np.abs(seed_net.predict(X_test) - y_test).max()
)

# %%
# More bumps, lower error
# -----------------------
# With steep bumps and mean heights the model is a piecewise-constant
# approximation: its maximum error is about ``h / 2 max|f'|`` for bumps
# ``h`` wide, so it halves each time the bumps double. Softer sigmoids
# (``steepness=0.5``, one of the layouts the default chooses from) overlap
# their neighbours, and with least-squares heights they reproduce smooth
# functions far more closely: the same number of units, orders of magnitude
# less error.
sizes = [5, 10, 20, 40, 80, 160, 320]
errors = {"steep, mean heights (textbook)": [], "soft, least-squares heights": []}
for n in sizes:
    steep = BumpNetRegressor(n_bumps=n, steepness=100, heights="mean").fit(X, y)
    soft = BumpNetRegressor(n_bumps=n, steepness=0.5).fit(X, y)
    errors["steep, mean heights (textbook)"].append(
        np.abs(steep.predict(X_test) - y_test).max()
    )
    errors["soft, least-squares heights"].append(
        np.abs(soft.predict(X_test) - y_test).max()
    )
print(f"{'bumps':>6} {'steep, mean':>12} {'soft, lstsq':>12}")
for i, n in enumerate(sizes):
    print(
        f"{n:6d} {errors['steep, mean heights (textbook)'][i]:12.2e} "
        f"{errors['soft, least-squares heights'][i]:12.2e}"
    )

fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
for (label, err), marker in zip(errors.items(), "os"):
    ax.loglog(sizes, err, marker + "-", label=label)
n = np.array(sizes, dtype=float)
max_slope = np.abs(np.gradient(y_test, X_test[:, 0])).max()
ax.loglog(n, max_slope / (2 * n), "k--", lw=1, label="h/2 max|f'| (h = 1/n)")
ax.set_xlabel("bumps")
ax.set_ylabel("max abs error")
ax.set_title("Error falls as the bumps multiply")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize="small")

# %%
# Forty bumps of each kind against the target: the steep staircase and the
# smooth least-squares fit, with their errors below.
fig, axes = plt.subplots(
    2,
    2,
    figsize=(11, 5.5),
    sharex=True,
    layout="constrained",
    gridspec_kw={"height_ratios": [3, 1]},
)
for col, model in enumerate(
    [
        BumpNetRegressor(n_bumps=40, steepness=100, heights="mean"),
        BumpNetRegressor(n_bumps=40, steepness=0.5),
    ]
):
    model.fit(X, y)
    disp = ApproximationDisplay.from_estimator(
        model,
        "multiscale",
        ax=axes[:, col],
        estimator_name=f"40 bumps, steepness {model.steepness_:g}",
    )
plt.show()
