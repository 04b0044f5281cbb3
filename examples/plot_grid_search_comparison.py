"""
===================================================
A fair comparison: the networks and standard models
===================================================

Are networks built from the theorem's constructions any good as regressors,
next to a trained network and the models people usually reach for?
:func:`sklearn_uat.compare.compare` answers with one protocol for all: each
estimator sits in ``Pipeline(MinMaxScaler(), estimator)``, is tuned by
:class:`~sklearn.model_selection.GridSearchCV` over the same
cross-validation folds, refitted on the training split, and scored on the
same held-out test split.

The datasets here are two of the benchmark functions, without noise:
``multiscale`` (one input, the wiggly function of the bump construction)
and ``sinc`` (``sinc(x1 + x2)`` on ``[-1, 1]^2``).
"""

# %%
# The line-up and the grids
# -------------------------
# :func:`~sklearn_uat.compare.default_estimators` holds the package's three
# networks and standard regressors. The grids are kept small so that the
# example runs in seconds; the two trained networks are cross-validated
# with their defaults instead of grid-searched, as each fit costs a second.
import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from sklearn_uat import ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.compare import compare, default_estimators

estimators = default_estimators(random_state=0)
estimators["ReluKnot"] = ReluKnotRegressor(random_state=0)
estimators["TrainedMLP"] = TrainedMLPRegressor(max_epochs=40, random_state=0)
del estimators["GaussianProcess"]
grids = {
    "BumpNet": {"n_bumps": [16, 32, 64]},
    # "axes": an additive model; 16: ReLUs along 16 random directions too.
    "ReluKnot": {"n_knots": [16, 32, 64], "directions": ["axes", 16]},
    "KNN": {"n_neighbors": [3, 5, 10], "weights": ["uniform", "distance"]},
    "SVR": {"regressor__C": [1.0, 10.0, 100.0], "regressor__epsilon": [0.01, 0.1]},
    "HistGB": {"learning_rate": [0.1, 0.2], "max_leaf_nodes": [15, 31]},
    "RandomForest": {"min_samples_leaf": [1, 3]},
    "Spline+Ridge": {"spline__n_knots": [10, 20, 40]},
}
print("estimators:", ", ".join(estimators))

# %%
# Run the comparison
# ------------------
# 1,200 samples per function, 20 % held out for the test, 3 folds. (Native
# thread pools are limited to one thread: on a shared machine,
# oversubscribed OpenMP threads make the gradient-boosting fits crawl.)
with threadpool_limits(limits=1):
    result = compare(
        ["multiscale", "sinc"],
        estimators,
        n_samples=1200,
        cv=3,
        grid=grids,
        random_state=0,
    )
print(result.format_table())

# %%
# The best parameters each grid search chose:
for record in result.records:
    if record["best_params"]:
        name = f"{record['dataset']:>10} {record['estimator']:>14}"
        print(f"{name}: {record['best_params']}")

# %%
# Test error, side by side
# ------------------------
# Held-out test RMSE on a log scale (lower is better). The soft bumps of
# :class:`~sklearn_uat.BumpNetRegressor` with least-squares heights are the
# most accurate model on both functions: on ``multiscale`` by nearly two
# orders of magnitude (the cubic spline comes next), on ``sinc`` by more
# than two. The ReLU knots, a piecewise-linear fit with at most 64 knots
# per direction, are ahead of k-nearest neighbours and the random forest on
# ``multiscale`` (by a factor of about two) and behind the cubic spline, a
# smoother basis of the same kind; on ``sinc`` they need random directions
# besides the axes (the grid picks them: an additive model cannot represent
# ``sinc(x1 + x2)``) and then come second. The two trained networks, with
# thousands of parameters, trail the constructive ones of similar size.
frame = result.to_frame()
table = frame.pivot(index="estimator", columns="dataset", values="test_rmse")
table = table.loc[list(estimators)]
print(table.map(lambda v: f"{v:.2e}"))

fig, ax = plt.subplots(figsize=(10, 4.2), layout="constrained")
positions = np.arange(len(table.index))
width = 0.38
for i, dataset in enumerate(table.columns):
    ax.bar(positions + (i - 0.5) * width, table[dataset], width, label=dataset)
ax.set_xticks(positions, table.index, rotation=30, ha="right")
ax.set_yscale("log")
ax.set_ylabel("test RMSE")
ax.set_title("Grid-searched regressors in MinMaxScaler pipelines")
ax.grid(True, axis="y", which="both", alpha=0.3)
ax.legend(title="dataset")

# %%
# Accuracy is not everything: the networks' parameter counts and fit times.
networks = frame[frame["n_parameters"].notna()]
for _, row in networks.iterrows():
    print(
        f"{row['dataset']:>10} {row['estimator']:>12}: {int(row['n_parameters']):5d} "
        f"parameters, refit {row['fit_time_s']:.3f} s, test RMSE {row['test_rmse']:.2e}"
    )
plt.show()
