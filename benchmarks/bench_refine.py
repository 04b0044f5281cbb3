"""Refined hidden layers: variable projection against the constructive start.

Every figure is printed beside its reference, measured in the same run, with
PASS/FAIL against its target. Run from the repository root, on one core:

    pip install pwlf   # the free-knot reference; a benchmark dependency only
    PYTHONPATH=$PWD python benchmarks/bench_refine.py

Takes about six minutes on one core (most of it in pwlf's global search
and the cross-validation of the real-data section, both estimators).
``--noisy`` adds the noisy synthetic targets of ``bench_estimation.py``
(2,000 samples, noise 0.01 and 0.1 of std(f)), both estimators, much
longer: refinement of a thousand knots runs its iterations before the GCV
test returns the default network.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

from sklearn_uat import BumpNetRegressor, ReluKnotRegressor
from sklearn_uat.datasets import load_public, make_function

RESULTS = []


def report(label, value, reference, target, passed):
    RESULTS.append(passed)
    flag = "PASS" if passed else "FAIL"
    print(f"  {label:<44} {value:<26} ref {reference:<30} target {target:<12} {flag}")


def rmse(model, X, y):
    return float(np.sqrt(np.mean((model.predict(X) - y) ** 2)))


def timed_fit(model, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model, time.perf_counter() - start


def sine():
    print("sine, 10,000 samples: BumpNet with <= 105 parameters (test RMSE)")
    X, y = make_function("sine", 10_000, random_state=0)
    Xt, yt = make_function("sine", 10_000, random_state=1)
    start, _ = timed_fit(BumpNetRegressor(32, margin=0.05), X, y)
    refined, seconds = timed_fit(
        BumpNetRegressor(32, margin=0.05, refine=300, refine_tol=0.0), X, y
    )
    error = rmse(refined, Xt, yt)
    report(
        f"refined, {refined.n_parameters_} parameters, {seconds:.1f} s",
        f"{error:.2e}",
        f"constructive {rmse(start, Xt, yt):.2e}",
        "<= 2e-7",
        error <= 2e-7 and refined.n_parameters_ <= 105,
    )


def multiscale():
    print("multiscale, 32 knots: max error against 32 uniform knots (test grid)")
    X, y = make_function("multiscale", 20_000, sampling="grid")
    Xt, yt = make_function("multiscale", 100_001, sampling="grid")
    uniform, _ = timed_fit(ReluKnotRegressor(32, alpha=0.0), X, y)
    reference = np.abs(uniform.predict(Xt) - yt).max()
    for knots in ["uniform", "adaptive"]:
        refined, seconds = timed_fit(
            ReluKnotRegressor(32, knots=knots, alpha=0.0, refine=300), X, y
        )
        ratio = np.abs(refined.predict(Xt) - yt).max() / reference
        report(
            f"refined from {knots} knots, {seconds:.1f} s",
            f"{ratio:.4f}x",
            f"uniform max error {reference:.2e}",
            "<= 0.45x",
            ratio <= 0.45,
        )


def against_pwlf():
    print("Free knots against pwlf, same segments, same 1-D data (training SSE)")
    try:
        import pwlf
    except ImportError:
        print("  pwlf is not installed: pip install pwlf")
        return
    for name, n, segments in [("multiscale", 2000, 6), ("sine", 2000, 5)]:
        X, y = make_function(name, n, noise=0.01, random_state=0)
        # The fastest of three runs of each, so that a busy machine does not
        # decide the ratio.
        pwlf_seconds = np.inf
        for _ in range(3):
            start = time.perf_counter()
            reference = pwlf.PiecewiseLinFit(X[:, 0], y, seed=0)
            reference.fit(segments)
            pwlf_seconds = min(pwlf_seconds, time.perf_counter() - start)
        # Without a penalty, refine searches the knots globally itself: the
        # cheap equally spaced start is enough.
        seconds = np.inf
        for _ in range(3):
            model, run = timed_fit(
                ReluKnotRegressor(segments + 1, alpha=0.0, refine=200), X, y
            )
            seconds = min(seconds, run)
        best = float(np.sum((model.predict(X) - y) ** 2))
        report(
            f"{name}, {segments} segments: SSE / pwlf",
            f"{best / reference.ssr:.10f}x",
            f"pwlf SSE {reference.ssr:.4g}",
            "<= 1x",
            best <= reference.ssr * (1 + 1e-9),
        )
        report(
            f"{name}, {segments} segments: time / pwlf",
            f"{seconds / pwlf_seconds:.4f}x ({seconds:.2f} s)",
            f"pwlf fit {pwlf_seconds:.1f} s",
            "<= 0.01x",
            seconds <= 0.01 * pwlf_seconds,
        )


def ridge_functions():
    print("Two inputs, 10,000 samples: learned ridge directions (test RMSE)")
    # Smooth units along learned directions: rows of soft bumps whose
    # directions, centres and steepness are refined (the start turned onto
    # the principal directions of a pilot fit's gradient).
    # Each case: the refined model, its iterations, the knot network the
    # targets were first measured with, the target, the parameter budget
    # and the time limit (the issue sets one for sinc only). No margin: the
    # layout these targets were first met with (margin="auto" would lay half
    # of the bumps beyond the noise-free data).
    cases = [
        (
            "sinc",
            BumpNetRegressor(23, directions=1, margin=0.0),
            30,
            (24, 1),
            1e-5,
            300,
            10.0,
        ),
        (
            "poly_tan",
            BumpNetRegressor(16, directions=2, margin=0.0),
            30,
            (40, 4),
            1e-4,
            1000,
            None,
        ),
    ]
    for name, model, iterations, knots, target, budget, limit in cases:
        model.set_params(random_state=0)
        X, y = make_function(name, 10_000, random_state=0)
        Xt, yt = make_function(name, 10_000, random_state=1)
        start, _ = timed_fit(model, X, y)
        refined, seconds = timed_fit(clone(model).set_params(refine=iterations), X, y)
        relu, _ = timed_fit(
            ReluKnotRegressor(
                knots[0], directions=knots[1], random_state=0, refine=100
            ),
            X,
            y,
        )
        mlp, _ = timed_fit(
            MLPRegressor(
                hidden_layer_sizes=(4, 4), solver="lbfgs", max_iter=5000, random_state=0
            ),
            X,
            y,
        )
        error = rmse(refined, Xt, yt)
        in_time = limit is None or seconds <= limit
        report(
            f"{name}: BumpNet({model.n_bumps}, directions={model.directions}, "
            f"refine={iterations}), {refined.n_parameters_} parameters, "
            f"{seconds:.1f} s",
            f"{error:.2e}",
            f"start {rmse(start, Xt, yt):.2e}, ReluKnot({knots[0]}, "
            f"directions={knots[1]}, refine=100) {rmse(relu, Xt, yt):.1e}, "
            f"MLP(4,4) {rmse(mlp, Xt, yt):.1e}",
            f"<= {target:.0e}" + ("" if limit is None else f", {limit:g} s"),
            error <= target and refined.n_parameters_ <= budget and in_time,
        )


ESTIMATORS = {"ReluKnot": ReluKnotRegressor, "BumpNet": BumpNetRegressor}


def report_refined(label, scores, X):
    """Refined / default: within 2% for one input, better for several."""
    ratio = scores[True] / scores[False]
    several = X.shape[1] > 1
    report(
        f"{label} refined / default",
        f"{ratio:.4f}x",
        f"default RMSE {scores[False]:.4g}",
        "< 1x" if several else "<= 1.02x",
        ratio < 1.0 if several else ratio <= 1.02,
    )


def estimation():
    print("Real data, 5-fold CV RMSE: refine=True against the default")
    folds = KFold(5, shuffle=True, random_state=0)
    for name in ["faithful", "GAGurine", "co2", "airquality", "SLID"]:
        X, y = load_public(name, return_X_y=True)
        for label, estimator in ESTIMATORS.items():
            scores = {}
            for refine in [False, True]:
                model = make_pipeline(MinMaxScaler(), estimator(refine=refine))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    scores[refine] = -cross_val_score(
                        model, X, y, cv=folds, scoring="neg_root_mean_squared_error"
                    ).mean()
            report_refined(f"{name} ({X.shape[1]} inputs), {label}", scores, X)


def noisy_estimation():
    print(
        "Noisy targets, 2,000 samples, 5-fold CV RMSE against the noise-free "
        "function: refine=True against the default"
    )
    from bench_estimation import cv_rmse, noisy_data

    for name in ["sine", "multiscale", "doppler", "sinc", "poly_tan"]:
        for level in [0.01, 0.1]:
            X, y, truth = noisy_data(name, 2000, level)
            folds = list(KFold(5, shuffle=True, random_state=0).split(X))
            for label, estimator in ESTIMATORS.items():
                scores = {
                    refine: cv_rmse(estimator(refine=refine), X, y, truth, folds)[0]
                    for refine in [False, True]
                }
                report_refined(
                    f"{name} noise {level} ({X.shape[1]} inputs), {label}", scores, X
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--noisy",
        action="store_true",
        help="also the noisy synthetic targets of bench_estimation.py (~40 min)",
    )
    args = parser.parse_args()
    sections = [sine, multiscale, against_pwlf, ridge_functions, estimation]
    if args.noisy:
        sections.append(noisy_estimation)
    with threadpool_limits(1):
        for section in sections:
            section()
            print()
    print(f"{sum(RESULTS)} of {len(RESULTS)} targets met")


if __name__ == "__main__":
    main()
