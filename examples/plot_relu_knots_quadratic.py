"""
==========================================
How many ReLUs does x² on [1e6, 1e7] need?
==========================================

A question about fitting ``x^2`` with a ReLU network for inputs between one
and ten million has a closed-form answer: one hidden layer of ReLUs at
*knots* ``t_k`` is the continuous piecewise-linear function
``c + sum_k w_k relu(x - t_k)``, whose output weights ``w_k`` are the
changes of slope at the knots. Place knots, set each weight to the change of
slope of the target there, and count how many knots a given error needs.

:class:`~sklearn_uat.ReluKnotRegressor` builds that network in closed form
(least-squares output weights, no gradient descent). This example
reproduces the hand-made construction, reads the slope changes off the
fitted network, asks ``tol`` for the number of knots an error needs, checks
it against the bound ``h^2/8 max|f''|``, and places knots adaptively for a
function whose curvature varies.
"""

# %%
# The hand-made construction
# --------------------------
# Knots every 1e5 from 1e6, data every 1e4, and ReLU weights equal to the
# change of the secant slope at each knot: this interpolates ``x^2`` at the
# knots.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_uat import ReluKnotRegressor

start, stop = 1e6, 1e7
knots = np.arange(start, stop, 1e5)
data = np.arange(start, stop, 1e4)
secants = (knots[1:] ** 2 - knots[:-1] ** 2) / 1e5
weights = np.insert(np.diff(secants), 0, secants[0])
by_hand = knots[0] ** 2 + (
    np.maximum(data[:, None] - knots[None, :-1], 0) * weights
).sum(axis=1)
rmse_hand = np.sqrt(np.mean((by_hand - data**2) ** 2))
print(f"by hand: {knots.size} knots, RMSE {rmse_hand:.3e}")

# %%
# The same knots given to :class:`~sklearn_uat.ReluKnotRegressor`. Its
# inputs and targets are scaled internally (``x^2`` reaches 1e14 here) and
# the scalings folded back into the weights, so the network works on the raw
# numbers. Least-squares output weights beat interpolation in RMSE (the line
# on each interval is shifted to balance the error above and below), and
# the network continues the last line beyond the last knot, where the
# construction by hand stops short.
X = data.reshape(-1, 1)
y = data**2
same_knots = ReluKnotRegressor(knots=knots).fit(X, y)
rmse_fit = np.sqrt(np.mean((same_knots.predict(X) - y) ** 2))
print(f"ReluKnotRegressor on the same knots: RMSE {rmse_fit:.3e}")
print(f"  {same_knots.n_units_} ReLU units, {same_knots.n_parameters_} parameters")

# %%
# The output weights are the slope changes
# ----------------------------------------
# For ``x^2`` the slope is ``2x``, so between knots ``h`` apart it changes by
# ``2h = 2e5`` at every inner knot. The hidden units work on the input scaled
# to [0, 1] (their input weight is ``1 / 9e6``), so the slope change a unit
# makes in raw units is its input weight times its output weight. The first
# unit faces left (``relu(t_0 - x)``) and carries the first line below the
# first knot, the second carries the first slope (about 2.1e6, the secant
# of ``x^2`` on the first interval), and each further unit
# bends the line by 2e5 (least squares adjusts the two end intervals).
in_w = same_knots.coefs_[0][0]
out_w = same_knots.coefs_[1][:, 0]
bends = in_w * out_w
print("input weights of the first units :", in_w[:3])
print("output weights of the first units:", out_w[:3])
print(f"slopes of units 0 and 1           : {bends[0]:.6g}, {bends[1]:.6g}")
print("slope changes at the inner knots   :", bends[2:7].round(1), "...")
print(f"median inner slope change          : {np.median(bends[2:]):.6g}")

model = ReluKnotRegressor(n_knots=6).fit(X, y)
from sklearn_uat.plotting import DecompositionDisplay

display = DecompositionDisplay.from_estimator(model, "square_large")
display.figure_.suptitle("Six knots: each hinge bends the line by 2h")

fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
ax.plot(same_knots.knots_[0][1:-1], bends[2:], "o", ms=3, label="input x output weight")
ax.axhline(2 * 1e5, color="k", ls="--", lw=1, label="f'' h = 2e5")
ax.set_xlabel("knot position")
ax.set_ylabel("change of slope (raw units)")
ax.set_title("Output weights at the inner knots")
ax.legend()

# %%
# How many knots for a given error?
# ---------------------------------
# Linear interpolation on knots ``h`` apart errs by at most
# ``h^2/8 max|f''|`` (here ``f'' = 2``), so a maximum error ``e`` needs
# ``h = 2 sqrt(e)``, about ``9e6 / (2 sqrt(e)) + 1`` knots. ``tol`` finds the
# smallest count whose training error meets it; least-squares weights halve
# the interpolant's error, so it needs about ``1/sqrt(2)`` as many.
rows = []
for relative in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6]:
    tol = relative * y.max()
    fitted = ReluKnotRegressor(tol=tol).fit(X, y)
    bound = int(np.ceil((stop - start) / (2 * np.sqrt(tol)))) + 1
    rows.append((relative, fitted.n_knots_, bound, fitted.train_max_error_ / tol))
print(f"{'rel. error':>10} {'knots (tol)':>12} {'interpolation':>14} {'err / tol':>10}")
for relative, found, bound, ratio in rows:
    print(f"{relative:10.0e} {found:12d} {bound:14d} {ratio:10.2f}")

fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
rel = np.array([r[0] for r in rows])
ax.loglog(rel, [r[1] for r in rows], "o-", label="ReluKnotRegressor(tol=...)")
ax.loglog(rel, [r[2] for r in rows], "k--", label="interpolation bound h²/8 max|f''|")
ax.set_xlabel("maximum error relative to max(y)")
ax.set_ylabel("knots needed")
ax.set_title("x² on [1e6, 1e7]: knots grow as error^(-1/2)")
ax.invert_xaxis()
ax.grid(True, which="both", alpha=0.3)
ax.legend()

# %%
# Adaptive knots
# --------------
# For ``x^2`` the curvature is the same everywhere, so equally spaced knots
# are already the best. The second layer of the same question needs a
# square root, whose curvature falls by a factor of 30 over ``[1e6, 1e7]``:
# ``knots="adaptive"`` places knots with density ``|f''|^(1/2)``, which
# spreads the error evenly, and reaches the same error with fewer knots.
y_root = np.sqrt(data)
print(f"{'knots':>6} {'uniform':>10} {'adaptive':>10}")
for n in [8, 16, 32, 64]:
    errs = []
    for placement in ["uniform", "adaptive"]:
        m = ReluKnotRegressor(n_knots=n, knots=placement).fit(X, y_root)
        errs.append(m.train_max_error_)
    print(f"{n:6d} {errs[0]:10.3e} {errs[1]:10.3e}")

uniform = ReluKnotRegressor(n_knots=12).fit(X, y_root)
adaptive = ReluKnotRegressor(n_knots=12, knots="adaptive").fit(X, y_root)
fig, axes = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True, layout="constrained")
for model, colour, name in [
    (uniform, "tab:blue", "uniform"),
    (adaptive, "tab:orange", "adaptive"),
]:
    axes[0].plot(data, model.predict(X), color=colour, lw=1.2, label=f"{name} knots")
    axes[0].plot(
        model.knots_[0],
        model.predict(model.knots_[0][:, None]),
        "o",
        color=colour,
        ms=4,
    )
    axes[1].plot(data, model.predict(X) - y_root, color=colour, lw=1, label=name)
axes[0].plot(data, y_root, "k--", lw=1, label="sqrt(x)")
axes[0].set_ylabel("y")
axes[0].legend(fontsize="small")
axes[0].set_title("sqrt(x) with 12 knots: adaptive knots crowd where it bends")
axes[1].set_ylabel("model - target")
axes[1].set_xlabel("x")
axes[1].legend(fontsize="small")
plt.show()
