"""
=============================================
A hidden layer that moves to fit the function
=============================================

The closed-form networks of the package fix their hidden layer before they
look at the target: :class:`~sklearn_uat.ReluKnotRegressor` lays its knots
out evenly, :class:`~sklearn_uat.BumpNetRegressor` its bumps, and only the
output layer is fitted. With ``refine=True`` the hidden layer is fitted too,
by variable projection: Levenberg-Marquardt steps move the knots (the bumps'
centres and steepness, the ridge directions), and at every step the output
layer is solved exactly by the same least-squares engine. This example
watches the knots move, the training objective fall, and a ridge direction
turn towards the one that the target varies along.
"""

# %%
# Twelve knots on a function whose curvature changes
# --------------------------------------------------
# ``multiscale`` wiggles fast on the right and is smooth on the left. Evenly
# spaced knots waste units on the smooth part; refinement moves them to
# where the function bends. With one input and no penalty (``alpha=0``) this
# is the free-knot least-squares problem, which has many local optima: the
# knots are searched globally (a segmentation by dynamic programming, scans
# that move knots between basins) and polished by variable projection.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor
from sklearn_uat.datasets import make_function

X, y = make_function("multiscale", 2000, random_state=0)
grid = np.linspace(0, 1, 1000)[:, None]
truth = make_function("multiscale", 1000, sampling="grid")[1]

start = ReluKnotRegressor(12, alpha=0.0).fit(X, y)
refined = ReluKnotRegressor(12, alpha=0.0, refine=100).fit(X, y)

fig, axes = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
for ax, model, title in [
    (axes[0], start, "constructive: even knots"),
    (axes[1], refined, "refined: free knots"),
]:
    error = np.abs(model.predict(grid) - truth).max()
    ax.plot(grid[:, 0], truth, color="0.6", lw=3, label="target")
    ax.plot(grid[:, 0], model.predict(grid), color="C1", label="network")
    knots = model.knots_[0]
    ax.plot(knots, model.predict(knots[:, None]), "o", color="C3", label="knots")
    ax.set_title(f"{title}, max error {error:.3f}")
    ax.legend(loc="upper left")
axes[1].set_xlabel("x")
fig.tight_layout()

# %%
# The training objective falls at every step
# ------------------------------------------
# Only moves (scans or steps) that lower the training objective (squared
# error plus the penalty) are kept, so it decreases monotonically and the
# refined network is never worse on the training data than its start.
# ``refine_objective_`` records it.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(refined.refine_objective_, marker=".")
ax.set_xlabel("move kept")
ax.set_ylabel("training objective")
ax.set_title(f"{refined.refine_n_iter_} iterations")
fig.tight_layout()
first, last = refined.refine_objective_[[0, -1]]
print(f"objective {first:.3g} -> {last:.3g}")

# %%
# Bumps that move and sharpen
# ---------------------------
# The same for 16 soft bumps on ``sine``: each step unit's centre and
# steepness move. The decomposition shows the bumps after refinement; the
# first layer's weights (the steepness per unit) are no longer all equal.
Xs, ys = make_function("sine", 2000, random_state=0)
bumps = BumpNetRegressor(16, margin=0.05).fit(Xs, ys)
moved = BumpNetRegressor(16, margin=0.05, refine=100).fit(Xs, ys)
xs = np.linspace(0, 2 * np.pi, 500)[:, None]
for model, name in [(bumps, "constructive"), (moved, "refined")]:
    rmse = np.sqrt(np.mean((model.predict(xs) - np.sin(xs[:, 0])) ** 2))
    print(f"{name:<13} bumps: RMSE {rmse:.2e}, {model.n_parameters_} parameters")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
for ax, model, title in [(axes[0], bumps, "constructive"), (axes[1], moved, "refined")]:
    ax.plot(xs[:, 0], model.decompose(xs), lw=1)
    ax.set_title(f"{title} bumps")
    ax.set_xlabel("x")
fig.tight_layout()

# %%
# A ridge direction turns towards the target's
# --------------------------------------------
# ``sinc(x1 + x2)`` varies along the diagonal only. With one random
# direction beside the two axes, the constructive network cannot follow it;
# refinement turns the directions towards the diagonal and the test error
# drops by orders of magnitude. The data are noise-free, so a small fixed
# penalty lets every knot and direction move (with a penalty chosen from
# the data, the one move on several inputs is a turn of all directions onto
# the principal directions of the fit's gradient, kept if GCV says so).
X2, y2 = make_function("sinc", 3000, random_state=0)
Xt, yt = make_function("sinc", 3000, random_state=1)
params = dict(directions=1, alpha=1e-8, random_state=0)
ridge = ReluKnotRegressor(24, **params).fit(X2, y2)
turned = ReluKnotRegressor(24, refine=300, **params)
turned.fit(X2, y2)
for model, name in [(ridge, "constructive"), (turned, "refined")]:
    rmse = np.sqrt(np.mean((model.predict(Xt) - yt) ** 2))
    print(f"{name:<13} directions: test RMSE {rmse:.2e}")
print("refined directions:\n", np.round(turned.directions_, 3))

fig, ax = plt.subplots(figsize=(4.5, 4.5))
for v, style in [(ridge.directions_, "--"), (turned.directions_, "-")]:
    for d in v:
        ax.plot([0, d[0]], [0, d[1]], style, color="C0" if style == "--" else "C3")
ax.plot([0, np.sqrt(0.5)], [0, np.sqrt(0.5)], ":", color="k", lw=3)
ax.set_title("directions: start (dashed), refined (solid)")
ax.set_aspect("equal")
plt.show()

# %%
# Smooth units along the learned direction
# ----------------------------------------
# Linear pieces along the right direction still leave an error that falls
# only as the square of the knots' spacing. Rows of soft bumps
# (:class:`~sklearn_uat.BumpNetRegressor`) with the same parameter budget are
# refined the same way: each row's direction, and the centre and steepness of
# every step unit. With several inputs the rows start turned onto the
# principal directions of the gradient of a coarse pilot fit, so one of them
# starts on the diagonal, and the error falls by more than three further
# orders of magnitude. (The ConvergenceWarning says that the 30 iterations
# ended while the training objective was still falling.) On these noise-free
# data all the bumps go over the data (``margin=0``; by default rows of
# several inputs reach half their range beyond it, which suits noisy data).
bumps = BumpNetRegressor(23, directions=1, margin=0.0, random_state=0, refine=30)
bumps.fit(X2, y2)
rmse = np.sqrt(np.mean((bumps.predict(Xt) - yt) ** 2))
print(f"refined bumps ({bumps.n_parameters_} parameters): test RMSE {rmse:.2e}")
print("their directions:\n", np.round(bumps.directions_, 3))
