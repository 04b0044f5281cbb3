"""Benchmark of BumpNetRegressor: rates, accuracy against references, speed.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_bump.py

Every figure is printed next to its reference, measured in the same run, and
its target, with PASS or FAIL. About two to three minutes on two cores.

1. The theorem's rate: steep bumps with mean heights on ``multiscale``, max
   error against n_bumps (16 to 1024); the log-log slope must lie in
   [-1.1, -0.9].
2. Beyond the textbook: least-squares heights at the default steepness; the
   slope must be at most -1.9, and at 256 bumps the max error at most 0.2x
   that of a linear spline with 256 uniform knots (``ReluKnotRegressor``).
   A table over steepness at 256 bumps shows why the default is 0.5.
3. 2-D towers on ``sinc`` and ``poly_tan`` (10,000 samples, 80/20 split):
   test RMSE at most 0.2x that of HistGradientBoostingRegressor, both in
   Pipeline(MinMaxScaler(), ...).
4. Speed: predict on 1e6 one-input samples with 4096 bumps, against the dense
   forward pass of the same network (timed on the first 50,000 rows and
   scaled to 1e6, since the forward pass is linear in the rows); at
   steepness 100 at least 50x faster and equal to 1e-9.
"""

import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor
from sklearn_uat.datasets import get_function, make_function

MULTISCALE = get_function("multiscale")
BUMPS = [16, 32, 64, 128, 256, 512, 1024]


def verdict(ok):
    return "PASS" if ok else "FAIL"


def slope(ns, errors):
    return float(np.polyfit(np.log(ns), np.log(errors), 1)[0])


def spline_reference(n_knots):
    """The linear-spline reference: ReluKnotRegressor on uniform knots."""
    return ReluKnotRegressor(n_knots=n_knots, knots="uniform"), "ReluKnotRegressor"


def max_error(model, X_test):
    return float(np.abs(model.predict(X_test) - MULTISCALE(X_test)).max())


def one_input_studies():
    X, y = make_function("multiscale", n_samples=2**16, sampling="grid")
    X_test = np.random.default_rng(0).uniform(0, 1, size=(200_000, 1))

    print("1. The theorem's rate: heights='mean', steepness=1000 (multiscale)")
    errors = []
    for n in BUMPS:
        model = BumpNetRegressor(n, steepness=1000, heights="mean").fit(X, y)
        errors.append(max_error(model, X_test))
        print(f"   n_bumps={n:5d}  max error {errors[-1]:.3e}")
    s = slope(BUMPS, errors)
    print(
        f"   log-log slope {s:.3f}  (reference: the theorem's n^-1 rate, slope -1; "
        f"target [-1.1, -0.9])  {verdict(-1.1 <= s <= -0.9)}"
    )

    print("\n2. Beyond the textbook: heights='lstsq', default steepness 0.5")
    errors = []
    for n in BUMPS:
        start = time.perf_counter()
        model = BumpNetRegressor(n).fit(X, y)
        fit_s = time.perf_counter() - start
        errors.append(max_error(model, X_test))
        print(f"   n_bumps={n:5d}  max error {errors[-1]:.3e}  (fit {fit_s:.2f} s)")
    s = slope(BUMPS, errors)
    print(f"   log-log slope {s:.3f}  (target <= -1.9)  {verdict(s <= -1.9)}")
    reference, name = spline_reference(256)
    ref_error = max_error(reference.fit(X, y), X_test)
    bump_error = errors[BUMPS.index(256)]
    ratio = bump_error / ref_error
    print(
        f"   256 bumps: max error {bump_error:.3e} vs {name} with 256 uniform "
        f"knots {ref_error:.3e}: ratio {ratio:.3f}  (target <= 0.2)  "
        f"{verdict(ratio <= 0.2)}"
    )
    print("   steepness at 256 bumps (lstsq), the choice of the default:")
    for steepness in [0.25, 0.5, 1.0, 2.0, 4.0, 100.0]:
        model = BumpNetRegressor(256, steepness=steepness).fit(X, y)
        print(
            f"     steepness={steepness:7.2f}  max error {max_error(model, X_test):.3e}"
        )


def rmse(estimator, split):
    """Test RMSE of ``estimator`` in Pipeline(MinMaxScaler(), estimator)."""
    X_train, X_test, y_train, y_test = split
    pipe = make_pipeline(MinMaxScaler(), estimator).fit(X_train, y_train)
    return float(np.sqrt(np.mean((pipe.predict(X_test) - y_test) ** 2)))


def tower_studies():
    print("\n3. 2-D towers, 10,000 samples, 80/20 split, test RMSE")
    for name in ["sinc", "poly_tan"]:
        X, y = make_function(name, n_samples=10_000, random_state=0)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.2, random_state=0
        )
        split = (X_train, X_test, y_train, y_test)

        start = time.perf_counter()
        bump = rmse(BumpNetRegressor(), split)
        bump_s = time.perf_counter() - start
        hgb = rmse(HistGradientBoostingRegressor(random_state=0), split)
        steep = rmse(
            BumpNetRegressor(32, steepness=100, tower_steepness=100, heights="mean"),
            split,
        )
        ratio = bump / hgb
        print(
            f"   {name:8s} BumpNetRegressor() {bump:.2e} ({bump_s:.1f} s) vs "
            f"HistGradientBoostingRegressor {hgb:.2e}: ratio {ratio:.3f}  "
            f"(target <= 0.2)  {verdict(ratio <= 0.2)}"
        )
        print(f"            steep mean towers 32 x 32 (Nielsen) {steep:.2e}")


def best_time(func, repeat=3):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def speed_studies():
    print("\n4. Fast exact predict: 1e6 samples, 4096 bumps")
    X, y = make_function("multiscale", n_samples=100_000, random_state=0)
    X_new = np.random.default_rng(1).uniform(0, 1, size=(1_000_000, 1))
    n_dense = 50_000
    for steepness, heights, target in [(100.0, "mean", 50.0), (0.5, "lstsq", None)]:
        model = BumpNetRegressor(4096, steepness=steepness, heights=heights)
        model.fit(X, y)
        fast_s, fast = best_time(lambda m=model: m.predict(X_new))
        dense_part_s, dense = best_time(
            lambda m=model: m.network_.forward(X_new[:n_dense]), repeat=1
        )
        dense_s = dense_part_s * len(X_new) / n_dense
        gap = float(np.abs(fast[:n_dense] - dense).max())
        speedup = dense_s / fast_s
        line = (
            f"   steepness={steepness:5.1f} ({heights}): predict {fast_s:.3f} s vs "
            f"dense forward {dense_s:.1f} s (timed on {n_dense} rows, scaled): "
            f"{speedup:.0f}x, max |difference| {gap:.1e}"
        )
        if target is not None:
            ok = speedup >= target and gap <= 1e-9
            line += f"  (target >= {target:.0f}x and <= 1e-9)  {verdict(ok)}"
        else:
            line += "  (reported: the default's wider band)"
        print(line)


if __name__ == "__main__":
    start = time.perf_counter()
    one_input_studies()
    tower_studies()
    speed_studies()
    print(f"\nTotal {time.perf_counter() - start:.0f} s")
