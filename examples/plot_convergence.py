"""
============================================
Error against units: the rates of the proofs
============================================

The universal approximation theorem promises that *some* network
approximates a continuous function as closely as we like; the constructive
proofs also say how fast the error falls as the hidden units multiply:

- steep bumps with mean heights are a piecewise-constant approximation:
  on cells ``h`` wide the maximum error is about ``h/2 max|f'|``, a rate of
  ``n^-1`` (Nielsen, *Neural Networks and Deep Learning*, ch. 4);
- ReLUs at knots ``h`` apart are a piecewise-linear one, whose interpolant
  errs by at most ``h^2/8 max|f''|``, a rate of ``n^-2``;
- soft, overlapping sigmoids with least-squares heights come with no proven
  rate: inside the range they beat the ReLUs once they resolve the
  function, but near its ends their error falls more slowly;
- gradient descent comes with no rate: whether a trained network of a given
  width gets near the best one depends on the optimiser.

:func:`sklearn_uat.compare.convergence` fits each method at growing sizes on
a noise-free grid and measures the test error;
:class:`~sklearn_uat.plotting.ConvergenceDisplay` draws it on log-log axes
with each method's theoretical slope.
"""

# %%
# Measure
# -------
# The function is ``0.2 + 0.4 x^2 + 0.3 x sin(15 x) + 0.05 cos(50 x)`` on
# ``[0, 1]``, trained on 10,240 grid points and tested on 10,005 points
# between them. The trained network (one hidden ReLU layer, Adam, 60
# epochs) gets three widths, as each costs seconds.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_uat.compare import convergence
from sklearn_uat.datasets import get_function
from sklearn_uat.plotting import ConvergenceDisplay

result = convergence(
    "multiscale", units=(8, 16, 32, 64, 128, 256, 512), mlp_widths=(8, 32, 128)
)
print(result.format_table())

# %%
# The fitted slopes beside the theory: -1.0 for the steep bumps, -2 for the
# knots, steeper than -2 for the soft bumps on this function once the bumps
# resolve its wiggles (about 30 of them), and a trained network that stalls.
for method, slope in result.slopes().items():
    theory = result.theory[method]
    print(f"{method:>14}: fitted {slope:6.2f}, theory {theory if theory else 'none'}")

# %%
# Draw, with the bounds themselves
# --------------------------------
# The dashed lines are each method's theoretical slope through its largest
# network's error (the rates are asymptotic). The dotted lines are the
# absolute bounds, computed from the function's derivatives:
# ``h/2 max|f'|`` for cells ``h = 1/n`` and ``h^2/8 max|f''|`` for knots
# ``h = 1/(n - 1)`` apart. The measured errors of the steep bumps and of the
# knots sit just below them.
f = get_function("multiscale")
x = np.linspace(0, 1, 200001)
fx = f.func(x[:, None])
d1 = np.abs(np.gradient(fx, x)).max()
d2 = np.abs(np.gradient(np.gradient(fx, x), x)).max()
print(f"max|f'| = {d1:.2f}, max|f''| = {d2:.1f}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
display = ConvergenceDisplay.from_result(result, ax=axes[0])
n = np.geomspace(8, 520, 50)
axes[0].loglog(n, d1 / (2 * n), ":", color="k", lw=1.2, label="h/2 max|f'|")
axes[0].loglog(
    n, d2 / (8 * (n - 1) ** 2), ":", color="grey", lw=1.2, label="h²/8 max|f''|"
)
axes[0].legend(fontsize="x-small", ncol=2)
ConvergenceDisplay.from_result(result, ax=axes[1], metric="rmse")
axes[1].legend(fontsize="x-small", ncol=2)
plt.show()

# %%
# What the figure says
# --------------------
# Doubling the units halves the steep bumps' error and quarters the knots',
# as the bounds promise, all the way down; the soft bumps overtake both
# beyond about 30 units. The trained network of 128 units is no better than
# that of 32: at this budget of epochs, gradient descent, not the width,
# limits it -- the theorem's "there exists" is not "training finds".
