"""ReluKnotRegressor: exactness, convergence rate, adaptivity, 2-D, speed, memory.

Every figure is printed beside its reference, measured in the same run, with
PASS/FAIL against its target. Run from the repository root:

    PYTHONPATH=$PWD python benchmarks/bench_knots.py

Takes about a minute or two on a laptop CPU.
"""

import time
import tracemalloc

import numpy as np
from scipy.interpolate import make_lsq_spline
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_uat import ReluKnotRegressor
from sklearn_uat.datasets import get_function, make_function

RESULTS = []


def report(label, value, reference, target, passed):
    RESULTS.append(passed)
    flag = "PASS" if passed else "FAIL"
    print(f"  {label:<48} {value:<22} ref {reference:<26} target {target:<14} {flag}")


def best_time(func, *args, repeats=3):
    """Smallest wall time of ``repeats`` calls (the machine may be shared)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def lsq_spline(x, y, knots):
    """scipy's linear least-squares spline on the same knots (x sorted)."""
    return make_lsq_spline(x, y, np.r_[knots[0], knots, knots[-1]], k=1)


def exactness():
    print("Exact: uniform knots vs scipy make_lsq_spline(k=1), same knots and data")
    for name in ["sine", "multiscale"]:
        X, y = make_function(name, 100_000, random_state=0)
        order = np.argsort(X[:, 0])
        for n_knots in [16, 64, 256, 1024]:
            # alpha=0: the least-squares spline (the default's penalty,
            # chosen by REML, is small on noise-free data but not zero).
            model = ReluKnotRegressor(n_knots, alpha=0.0).fit(X, y)
            spline = lsq_spline(X[order, 0], y[order], model.knots_[0])
            grid = np.linspace(model.knots_[0][0], model.knots_[0][-1], 100_001)
            reference = spline(grid)
            diff = np.max(np.abs(model.predict(grid[:, None]) - reference))
            rel = diff / np.max(np.abs(reference))
            report(
                f"{name}, {n_knots} knots: max rel. difference",
                f"{rel:.1e}",
                "make_lsq_spline",
                "<= 1e-8",
                rel <= 1e-8,
            )


def multiscale_max_error(model, grid, truth):
    return np.max(np.abs(model.predict(grid) - truth))


def rate_and_adaptive():
    f = get_function("multiscale")
    X, y = make_function("multiscale", 200_000, random_state=0)
    grid = np.linspace(0.0, 1.0, 400_001)[:, None]
    truth = f(grid)

    print("Rate: max error of uniform knots on multiscale (200k samples)")
    counts = np.array([16, 32, 64, 128, 256, 512, 1024])
    errors = np.array(
        [
            multiscale_max_error(ReluKnotRegressor(n).fit(X, y), grid, truth)
            for n in counts
        ]
    )
    for n, e in zip(counts, errors):
        print(f"    {n:5d} knots: max error {e:.3e}")
    slope = np.polyfit(np.log(counts), np.log(errors), 1)[0]
    report(
        "log-log slope of max error, 16..1024 knots",
        f"{slope:.3f}",
        "-2 (h^2 |f''| / 8)",
        "[-2.1, -1.9]",
        -2.1 <= slope <= -1.9,
    )

    # The free-knot limit: max|f''| / (int |f''|^(1/2))^2, from f'' by finite
    # differences of the function itself.
    x = np.linspace(0.0, 1.0, 1_000_001)
    h = x[1] - x[0]
    fx = f(x[:, None])
    second = np.abs(np.diff(fx, 2)) / h**2
    limit = second.max() / (np.sqrt(second).sum() * h) ** 2
    print("Adaptive: max error, uniform / adaptive knots, multiscale (200k samples)")
    # The placement alone: least-squares splines (alpha=0) on both knots.
    for n in [64, 256]:
        uniform = ReluKnotRegressor(n, alpha=0.0).fit(X, y)
        uniform = multiscale_max_error(uniform, grid, truth)
        start = time.perf_counter()
        model = ReluKnotRegressor(n, knots="adaptive", alpha=0.0).fit(X, y)
        seconds = time.perf_counter() - start
        adaptive = multiscale_max_error(model, grid, truth)
        report(
            f"{n} knots: uniform / adaptive max error",
            f"{uniform / adaptive:.3f} ({seconds:.1f} s fit)",
            f"free-knot limit {limit:.2f}",
            ">= 2",
            uniform / adaptive >= 2.0,
        )


def x_squared_knots():
    print("The x^2 knots on [1e6, 1e7]: knots every 1e5, data every 1e4")
    start, stop, knot_spacing, data_spacing = 1e6, 1e7, 1e5, 1e4
    knots = np.arange(start, stop, knot_spacing)
    data = np.arange(start, stop, data_spacing)
    grad = (knots[1:] ** 2 - knots[:-1] ** 2) / knot_spacing
    grads = np.insert(grad[1:] - grad[:-1], 0, grad[0])
    seed = knots[0] ** 2 + np.maximum(
        grads[None, :] * (data[:, None] - knots[None, :-1]), 0
    ).sum(axis=1)
    seed_rmse = np.sqrt(np.mean((data**2 - seed) ** 2))
    X, y = data[:, None], data**2
    model = ReluKnotRegressor(knots=knots).fit(X, y)
    rmse = np.sqrt(np.mean((model.predict(X) - y) ** 2))
    report(
        "RMSE with the example's 90 knots",
        f"{rmse:.3e}",
        f"seed {seed_rmse:.3e}",
        "<= seed",
        rmse <= seed_rmse,
    )
    for rel in [1e-3, 1e-4, 1e-5]:
        model = ReluKnotRegressor(tol=rel * y.max()).fit(X, y)
        print(
            f"    tol = {rel:.0e} x max(y): {model.n_knots_} knots "
            f"({model.n_units_} ReLUs), max error {model.train_max_error_:.3e}"
        )


def two_d(directions=12, n_knots=64):
    print(
        f"2-D: test RMSE, 10,000 training samples, directions={directions}, "
        f"n_knots={n_knots}"
    )
    for name in ["poly_tan", "sinc"]:
        X, y = make_function(name, 12_500, random_state=0)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, train_size=10_000, random_state=0
        )
        knn = make_pipeline(MinMaxScaler(), KNeighborsRegressor()).fit(X_train, y_train)
        knn_rmse = np.sqrt(np.mean((knn.predict(X_test) - y_test) ** 2))
        model = ReluKnotRegressor(n_knots, directions=directions, random_state=0)
        seconds = best_time(model.fit, X_train, y_train, repeats=5)
        rmse = np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2))
        report(
            f"{name}: RMSE ({model.n_units_} ReLUs)",
            f"{rmse:.2e} = {rmse / knn_rmse:.3f}x",
            f"KNN {knn_rmse:.2e}",
            "<= 0.1x",
            rmse <= 0.1 * knn_rmse,
        )
        report(
            f"{name}: fit time (best of 5)",
            f"{seconds:.2f} s",
            "-",
            "< 2 s",
            seconds < 2.0,
        )


def speed():
    print("Speed: 1e6 one-input samples")
    X, y = make_function("multiscale", 1_000_000, random_state=0)
    order = np.argsort(X[:, 0])
    x_sorted, y_sorted = X[order, 0], y[order]
    knots = np.linspace(x_sorted[0], x_sorted[-1], 256)

    def ours():
        ReluKnotRegressor(256).fit(X, y).predict(X)

    def scipy_spline():
        lsq_spline(x_sorted, y_sorted, knots)(X[:, 0])

    t_ours = best_time(ours)
    t_scipy = best_time(scipy_spline)
    report(
        "256 knots: fit + predict",
        f"{t_ours:.3f} s = {t_ours / t_scipy:.3f}x",
        f"make_lsq_spline {t_scipy:.2f} s",
        "<= 0.1x",
        t_ours <= 0.1 * t_scipy,
    )

    model = ReluKnotRegressor(4096).fit(X, y)
    t_fast = best_time(model.predict, X)
    start = time.perf_counter()
    dense = model.network_.forward(X)
    t_dense = time.perf_counter() - start
    fast = model.predict(X)
    rel = np.max(np.abs(fast - dense)) / np.max(np.abs(dense))
    report(
        "4096 knots: predict speed-up over dense forward",
        f"{t_dense / t_fast:.0f}x ({t_fast:.3f} s)",
        f"forward {t_dense:.1f} s",
        ">= 50x",
        t_dense / t_fast >= 50,
    )
    report(
        "4096 knots: predict vs forward, max rel. diff",
        f"{rel:.1e}",
        "network_.forward",
        "<= 1e-9",
        rel <= 1e-9,
    )
    return model


def memory(model):
    print("Memory: predict on 1e7 samples, 4096 knots")
    X = np.random.default_rng(0).uniform(-0.5, 1.5, size=(10_000_000, 1))
    tracemalloc.start()
    tracemalloc.reset_peak()
    model.predict(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dense = X.shape[0] * model.n_units_ * 8
    report(
        "peak memory of predict (beyond X)",
        f"{peak / 2**20:.0f} MiB",
        f"X {X.nbytes / 2**20:.0f} MiB, dense {dense / 2**30:.0f} GiB",
        "< 1 GiB",
        peak < 2**30,
    )


def main():
    start = time.perf_counter()
    exactness()
    rate_and_adaptive()
    x_squared_knots()
    two_d()
    model = speed()
    memory(model)
    print(
        f"{sum(RESULTS)}/{len(RESULTS)} targets met in "
        f"{time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
