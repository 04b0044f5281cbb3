"""
==============================================
Depth versus width: deep ReLU networks by hand
==============================================

Two of the questions the package grew out of are about depth. A deep and
narrow ReLU network trained on ``sin(x)`` "doesn't seem to work so well";
and for the distance ``|(x1, x2) - (x3, x4)|`` one answer proposes a layer
of ReLUs for the squared differences and another for the square root, and
guesses "thousands of ReLUs". Theory answers both. Yarotsky (2017) builds
``x^2`` on [0, 1] from ``m`` layers of three ReLUs with a maximum error of
``2^(-2m-2)``, where one hidden layer needs about ``2^m`` units; products
and distances follow, because networks compose.

:mod:`sklearn_uat.construct` builds these networks in closed form as
:class:`~sklearn_uat.FeedForwardNetwork` objects. This example looks at the
sawtooth inside the square, counts parameters against one hidden layer,
builds the distance, and asks what the deep narrow shape of the sine
example can hold, and whether training keeps it.
"""

# %%
# The sawtooth inside the square
# ------------------------------
# The tooth ``g(x) = 2 relu(x) - 4 relu(x - 1/2) + 2 relu(x - 1)`` rises and
# falls once on [0, 1]; composed with itself ``s`` times it is a sawtooth of
# ``2^(s-1)`` teeth, one layer per composition. Subtracting ``g_s / 4^s``
# from ``x`` for ``s = 1..m`` gives the piecewise-linear interpolant of
# ``x^2`` on ``2^m + 1`` nodes.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_uat import ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.construct import compose, deepen, distance, square, stack
from sklearn_uat.plotting import ApproximationDisplay

x = np.linspace(0, 1, 4097)[:, None]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
g = x[:, 0]
for s in range(1, 4):
    g = 2 * np.maximum(g, 0) - 4 * np.maximum(g - 0.5, 0) + 2 * np.maximum(g - 1, 0)
    axes[0].plot(x[:, 0], g, label=f"g_{s}: {2 ** (s - 1)} teeth")
axes[0].set_title("The sawtooth g o g o ... o g")
axes[0].legend(fontsize="small")
for m in [1, 2, 3]:
    axes[1].plot(x[:, 0], square(m).forward(x), label=f"square({m})")
axes[1].plot(x[:, 0], x[:, 0] ** 2, "k--", lw=1, label="x^2")
axes[1].set_title("Interpolants of x^2 on 2^m + 1 nodes")
axes[1].legend(fontsize="small")

# %%
# The error bound, measured
# -------------------------
# On an interval of width ``h = 2^-m`` the interpolant exceeds the parabola
# by ``(x - u)(u + h - x) <= h^2 / 4``, so the maximum error is exactly
# ``2^(-2m-2)``, reached halfway between the nodes. At the dyadic points
# ``k / 2^21`` the network's float64 arithmetic is exact (its weights are
# powers of two), so the measured error is the construction's own.
dyadic = np.arange(2**21 + 1)[::7] / 2.0**21
midpoints = lambda m: (2 * np.arange(2**m) + 1) / 2.0 ** (m + 1)  # noqa: E731
levels = np.arange(1, 21)
measured = []
for m in levels:
    points = np.concatenate([dyadic, midpoints(m)[:: max(1, 2**m // 20_000)]])
    measured.append(np.max(square(m).forward(points[:, None]) - points**2))
bounds = 2.0 ** (-2 * levels - 2)
print("max error / bound, m = 1..20:", np.round(np.array(measured) / bounds, 6))

# %%
# Parameters against one hidden layer
# -----------------------------------
# With one hidden layer, a network of one input with ``K`` ReLUs is
# piecewise linear with at most ``K + 1`` pieces, and the best such
# approximation of ``x^2`` on [0, 1] errs by at least ``1 / (8 (K + 1)^2)``:
# no one-hidden-layer network does better than that curve. A
# :class:`~sklearn_uat.ReluKnotRegressor` with ``tol`` (least squares on
# uniform knots) comes close to it. The deep square's parameter count grows
# with ``log(1 / eps)``, the shallow one's with ``eps^(-1/2)``.
deep_params = [square(m).n_parameters for m in levels]
eps = np.logspace(-1, -13, 50)
shallow_fewest = 3 * (np.ceil(1 / np.sqrt(8 * eps)) - 1) + 1
knot_counts = []
tols = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7]
grid = np.linspace(0, 1, 200_001)
for tol in tols:
    knots = ReluKnotRegressor(tol=tol, alpha=0, max_knots=10_000)
    knot_counts.append(knots.fit(grid[:, None], grid**2).n_parameters_)
fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
ax.loglog(deep_params, measured, "o-", label="deep square(m), measured")
ax.loglog(shallow_fewest, eps, "k--", label="one hidden layer, fewest possible")
ax.loglog(knot_counts, tols, "s", label="ReluKnotRegressor(tol)")
ax.set_xlabel("parameters")
ax.set_ylabel("max error on [0, 1]")
ax.set_title("x^2: depth against width")
ax.legend(fontsize="small")
for target in [1e-6, 1e-12]:
    m = int(np.ceil((np.log2(1 / target) - 2) / 2))
    fewest = 3 * (np.ceil(1 / np.sqrt(8 * target)) - 1) + 1
    print(
        f"max error {target:.0e}: deep {square(m).n_parameters} parameters, one "
        f"hidden layer at least {fewest:,.0f} ({fewest / square(m).n_parameters:,.0f}x)"
    )

# %%
# The distance: squares, then a square root
# -----------------------------------------
# :func:`~sklearn_uat.construct.distance` stacks two deep squares of the
# differences, sums them, and composes a square root made of ReLU knots: a
# :class:`~sklearn_uat.ReluKnotRegressor` interpolating ``sqrt`` on knots that
# crowd towards 0, where its slope is infinite. The levels and knots are
# chosen for the fewest ReLUs whose error bound is ``tol``. With the same
# bound, the answer's design (one hidden layer of equally spaced knots per
# squared difference) needs thousands (``benchmarks/bench_depth.py`` builds
# it: 4,147 ReLUs at ``tol=1e-3``).
rng = np.random.default_rng(0)
X4 = rng.uniform(size=(50_000, 4))
truth = np.hypot(X4[:, 0] - X4[:, 2], X4[:, 1] - X4[:, 3])
for tol in [1e-2, 1e-3, 1e-4]:
    net = distance(tol)
    error = np.abs(net.forward(X4) - truth).max()
    print(
        f"distance(tol={tol:.0e}): {sum(net.hidden_layer_sizes)} ReLUs in "
        f"{len(net.hidden_layer_sizes)} hidden layers, max error {error:.2e}"
    )
net = distance(1e-3)
fig, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
ax.bar(range(1, len(net.hidden_layer_sizes) + 1), net.hidden_layer_sizes)
ax.set_xlabel("hidden layer")
ax.set_ylabel("ReLUs")
ax.set_title("distance(tol=1e-3): 12 levels of two squares, then the square root")

# %%
# The deep narrow sine
# --------------------
# Four hidden layers of five ReLUs: :func:`~sklearn_uat.construct.deepen`
# rewrites a one-hidden-layer spline into that shape. Each layer carries the
# input and a running sum, so the shape holds 13 kinks; a
# :class:`~sklearn_uat.ReluKnotRegressor` with 15 adaptive knots places them.
# Trained for 60 epochs of Adam from random starts, the same shape gets the
# rough shape of the sine at best (seed 0, below), and ends flat, every unit
# dead, from two seeds out of three in ``benchmarks/bench_depth.py``; trained
# from the construction with a small learning rate, it keeps the
# construction's accuracy.
xs = np.linspace(-np.pi, np.pi, 4001)[:, None]
sine = np.sin(xs[:, 0])
knots = ReluKnotRegressor(15, knots="adaptive", alpha=0).fit(xs, sine)
deep = deepen(knots.network_, 5, domain=(-np.pi, np.pi))
print("deep narrow shape:", deep.hidden_layer_sizes)
print(f"constructed: max error {np.abs(deep.forward(xs) - sine).max():.2e}")
X_train = rng.uniform(-np.pi, np.pi, size=(2000, 1))
y_train = np.sin(X_train[:, 0])
common = dict(hidden_layer_sizes=(5, 5, 5, 5), activation="relu", random_state=0)
from_random = TrainedMLPRegressor(**common).fit(X_train, y_train)
from_deep = TrainedMLPRegressor(**common, init_from=deep, learning_rate=1e-4)
from_deep.fit(X_train, y_train)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
for ax, (name, values) in zip(
    axes,
    [
        ("constructed", deep.forward(xs)),
        ("trained from random", from_random.predict(xs)),
        ("trained from the construction", from_deep.predict(xs)),
    ],
):
    ApproximationDisplay(xs, values, y_true=sine, estimator_name=name).plot(ax=ax)
    ax.set_title(
        f"{name}: max error {np.abs(values - sine).max():.1e}", fontsize="medium"
    )

# %%
# Networks are built from networks
# --------------------------------
# The constructions are plain networks: they compose, stack, export to
# torch and start gradient descent. Here ``(x^2)^2 = x^4`` as the
# composition of two squares, side by side with ``x^2``.
both = stack(compose(square(8), square(8)), square(8), shared_input=True)
print("x^4 and x^2 side by side:", both.hidden_layer_sizes)
module = both.to_torch()
print(module[:3])
plt.show()
