"""TrainedMLPRegressor against its references, measured in the same run.

Prints each figure beside its reference with PASS/FAIL per target:

1. Throughput: training epochs per second against
   ``sklearn.neural_network.MLPRegressor`` with hidden sizes (64, 64), the
   same activation, adam, batch 128 and 10,000 samples (target: ratio >= 1).
   MLPRegressor is timed as it comes (BLAS threads on every core) and with
   its BLAS pinned to one core, the faster on a busy machine; each is a
   target. The lean epoch loop (no per-batch callback hooks) is timed
   against the same model forced through skorch's per-batch loop (target:
   a speed-up), and skorch's own DataLoader path is shown for context.
2. Accuracy: default TrainedMLPRegressor against
   ``Pipeline(MinMaxScaler(), MLPRegressor((64, 64), activation="tanh"))`` on
   sine, multiscale, poly_tan and sinc with 10,000 training samples, median
   test RMSE over 3 seeds (target: lower) and median fit-time ratio (target:
   at most 3), MLPRegressor timed in its faster threading of part 1.
3. Constructive initialisation: 8 ReLU units on sine started from a
   closed-form network end below the best of 5 random starts at the same
   epoch budget.
4. The example networks: a Keras-style tanh network on poly_tan, 4 ReLU
   units on sin (uniform versus He versus constructive start, early and
   final), a 4 x 5 deep ReLU network against one wide layer with SGD (the
   worst of 5 seeds: deep narrow nets get stuck).
5. GPU: with CUDA, a large-batch fit on the GPU against the CPU.

Run from the repository root: ``python benchmarks/bench_mlp.py`` (under 10
minutes on 2 cores). ``--quick`` runs smaller versions of every study.
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from skorch.callbacks import Callback
from threadpoolctl import threadpool_limits

from sklearn_uat import TrainedMLPRegressor
from sklearn_uat.datasets import make_function

warnings.filterwarnings("ignore", category=ConvergenceWarning)

RESULTS = []


def report(name, value, reference, passed, unit=""):
    status = "PASS" if passed else "FAIL"
    RESULTS.append((name, status))
    print(f"  {name:<52} {value:>12} vs {reference:<26} {status}{unit}", flush=True)


def rmse(predict, X, y):
    return float(np.sqrt(np.mean((predict(X) - y) ** 2)))


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


# ------------------------------------------------------------- throughput


def sklearn_epoch_time(X, y, activation, epochs, single_thread):
    model = MLPRegressor(
        hidden_layer_sizes=(64, 64),
        activation=activation,
        solver="adam",
        batch_size=128,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    if single_thread:
        with threadpool_limits(1):
            _, seconds = timed(lambda: model.fit(X, y))
    else:
        _, seconds = timed(lambda: model.fit(X, y))
    return seconds / model.n_iter_


class OnBatch(Callback):
    """A callback that listens to batches: training takes skorch's loop."""

    def on_batch_end(self, net, **kwargs):
        pass


def uat_epoch_time(X, y, activation, epochs, callbacks=None):
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(64, 64),
        activation=activation,
        optimizer="adam",
        batch_size=128,
        max_epochs=epochs,
        learning_rate=1e-3,
        lr_schedule=None,
        random_state=0,
        callbacks=callbacks,
    )
    _, seconds = timed(lambda: model.fit(X, y))
    return seconds / model.n_iter_


def skorch_dataloader_epoch_time(X, y, epochs):
    from skorch import NeuralNetRegressor

    module = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 1),
    )
    net = NeuralNetRegressor(
        module,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=128,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
        iterator_train__shuffle=True,
    )
    _, seconds = timed(
        lambda: net.fit(X.astype(np.float32), y.astype(np.float32)[:, None])
    )
    return seconds / epochs


def throughput(quick):
    print(
        "\n1. Throughput: epochs per second, (64, 64), adam, batch 128, 10,000 samples"
    )
    X, y = make_function("poly_tan", n_samples=10_000, random_state=0)
    epochs = 4 if quick else 10
    repeats = 2 if quick else 3
    skorch_time = skorch_dataloader_epoch_time(X, y, 2)
    print(f"  (context) skorch, default DataLoader: {1 / skorch_time:.1f} epochs/s")
    best_sklearn_single = None
    for activation in ["relu", "tanh"]:
        times = {"uat": [], "uat_loop": [], "sk_all_cores": [], "sk_one_core": []}
        for _ in range(repeats):  # interleaved, so load changes hit all four
            times["uat"].append(uat_epoch_time(X, y, activation, epochs))
            times["uat_loop"].append(
                uat_epoch_time(X, y, activation, epochs, callbacks=[OnBatch()])
            )
            times["sk_all_cores"].append(
                sklearn_epoch_time(X, y, activation, epochs, single_thread=False)
            )
            times["sk_one_core"].append(
                sklearn_epoch_time(X, y, activation, epochs, single_thread=True)
            )
        rate = {k: 1 / np.median(v) for k, v in times.items()}
        single = rate["sk_one_core"] >= rate["sk_all_cores"]
        if best_sklearn_single is None:
            best_sklearn_single = single
        print(
            f"  {activation}: TrainedMLPRegressor {rate['uat']:.1f} epochs/s; "
            f"MLPRegressor {rate['sk_all_cores']:.1f} (default threads), "
            f"{rate['sk_one_core']:.1f} (BLAS on one core)"
        )
        for label, key in [
            ("default", "sk_all_cores"),
            ("one-core BLAS", "sk_one_core"),
        ]:
            ratio = rate["uat"] / rate[key]
            report(
                f"throughput ratio, {activation}, vs {label} (>= 1)",
                f"{ratio:.2f}",
                f"MLPRegressor {rate[key]:.1f} ep/s",
                ratio >= 1,
            )
        ratio = rate["uat"] / rate["uat_loop"]
        report(
            f"lean epoch loop speed-up, {activation} (> 1)",
            f"{ratio:.2f}",
            f"skorch's loop {rate['uat_loop']:.1f} ep/s",
            ratio > 1,
        )
    return best_sklearn_single


# --------------------------------------------------------------- accuracy


def accuracy(quick, sklearn_single_thread):
    print(
        "\n2. Accuracy: default TrainedMLPRegressor vs MinMaxScaler + "
        "MLPRegressor((64, 64), tanh), 10,000 samples, median of 3 seeds"
    )
    names = (
        ["sine", "multiscale"] if quick else ["sine", "multiscale", "poly_tan", "sinc"]
    )
    seeds = [0] if quick else [0, 1, 2]
    n_train = 2_000 if quick else 10_000
    for name in names:
        X_test, y_test = make_function(name, n_samples=5_000, random_state=1000)
        ours, theirs, ratios = [], [], []
        for seed in seeds:
            X, y = make_function(name, n_samples=n_train, random_state=seed)
            reference = make_pipeline(
                MinMaxScaler(),
                MLPRegressor(
                    hidden_layer_sizes=(64, 64), activation="tanh", random_state=seed
                ),
            )
            if sklearn_single_thread:
                with threadpool_limits(1):
                    _, t_ref = timed(lambda: reference.fit(X, y))  # noqa: B023
            else:
                _, t_ref = timed(lambda: reference.fit(X, y))  # noqa: B023
            model = TrainedMLPRegressor(random_state=seed)
            _, t_uat = timed(lambda: model.fit(X, y))  # noqa: B023
            ours.append(rmse(model.predict, X_test, y_test))
            theirs.append(rmse(reference.predict, X_test, y_test))
            ratios.append(t_uat / t_ref)
        ours_m, theirs_m, ratio_m = (
            float(np.median(v)) for v in (ours, theirs, ratios)
        )
        report(
            f"{name}: test RMSE (target: lower)",
            f"{ours_m:.2e}",
            f"MLPRegressor {theirs_m:.2e}",
            ours_m < theirs_m,
        )
        report(
            f"{name}: fit-time ratio (target <= 3)",
            f"{ratio_m:.2f}",
            "MLPRegressor 1.00",
            ratio_m <= 3,
        )


# ---------------------------------------------------- constructive start


def constructive(quick):
    print("\n3. Constructive initialisation: 8 ReLU units on sine, same epoch budget")
    X, y = make_function("sine", n_samples=2_000 if quick else 10_000, random_state=0)
    X_test, y_test = make_function("sine", n_samples=5_000, random_state=1000)
    params = dict(
        hidden_layer_sizes=(8,), activation="relu", max_epochs=30 if quick else 60
    )
    random_rmse = []
    for seed in range(5):
        model = TrainedMLPRegressor(
            **params, weight_init="he_uniform", random_state=seed
        )
        random_rmse.append(rmse(model.fit(X, y).predict, X_test, y_test))
    start, label = "knots", "ReluKnotRegressor"
    model = TrainedMLPRegressor(**params, init_from=start, random_state=0).fit(X, y)
    ours = rmse(model.predict, X_test, y_test)
    print(f"  random starts (he_uniform): {np.round(random_rmse, 4).tolist()}")
    report(
        f"constructive start ({label}) RMSE",
        f"{ours:.2e}",
        f"best random {min(random_rmse):.2e}",
        ours < min(random_rmse),
    )


# ------------------------------------------------------------------ seeds


def seeds(quick):
    print("\n4. The example networks")
    # Keras-style: Dense 32 linear, 64 tanh, 32 tanh, 1 linear; RMSprop 1e-3.
    X, y = make_function("poly_tan", n_samples=10_000, random_state=0)
    X_test, y_test = make_function("poly_tan", n_samples=1_000, random_state=1)
    model = TrainedMLPRegressor(
        hidden_layer_sizes=(32, 64, 32),
        activation=["identity", "tanh", "tanh"],
        weight_init="xavier_uniform",
        optimizer="rmsprop",
        learning_rate=1e-3,
        batch_size=128,
        max_epochs=10 if quick else 50,
        lr_schedule=None,
        scale_target=False,
        random_state=0,
    ).fit(X, y)
    error = rmse(model.predict, X_test, y_test)
    report(
        "Keras-style network on poly_tan: test RMSE",
        f"{error:.3f}",
        f"std of y {np.std(y_test):.3f} (< 10%)",
        error < 0.1 * np.std(y_test),
    )

    # 4 ReLU units on sin over [0, 2 pi], adam, batch 32.
    X = np.linspace(0.0, 2 * np.pi, 10_000).reshape(-1, 1)
    y = np.sin(X[:, 0])
    params = dict(
        hidden_layer_sizes=(4,),
        activation="relu",
        batch_size=32,
        learning_rate=1e-3,
        max_epochs=10 if quick else 50,
        lr_schedule=None,
        random_state=0,
    )
    early, final = {}, {}
    short = 2 if quick else 5
    for label, extra in [
        ("uniform", dict(weight_init="uniform")),
        ("he_uniform", dict(weight_init="he_uniform")),
        ("constructive", dict(init_from="knots")),
    ]:
        model = TrainedMLPRegressor(**dict(params, max_epochs=short), **extra)
        early[label] = rmse(model.fit(X, y).predict, X, y)
        model.set_params(warm_start=True, max_epochs=params["max_epochs"] - short)
        final[label] = rmse(model.fit(X, y).predict, X, y)
    for when, errors in [
        (f"{short} epochs", early),
        (f"{params['max_epochs']} epochs", final),
    ]:
        print(
            f"  4 ReLU units on sin, RMSE after {when}: "
            + ", ".join(f"{k} {v:.3f}" for k, v in errors.items())
        )
    report(
        "4 ReLU units: he_uniform beats 'uniform' (final)",
        f"{final['he_uniform']:.3f}",
        f"uniform {final['uniform']:.3f}",
        final["he_uniform"] < final["uniform"],
    )
    report(
        f"4 ReLU units: constructive beats he ({short} ep)",
        f"{early['constructive']:.3f}",
        f"he_uniform {early['he_uniform']:.3f}",
        early["constructive"] < early["he_uniform"],
    )
    report(
        "4 ReLU units: constructive within 10% of he (final)",
        f"{final['constructive']:.3f}",
        f"he_uniform {final['he_uniform']:.3f}",
        final["constructive"] <= 1.1 * final["he_uniform"],
    )

    # A 4 x 5 deep ReLU net with SGD against one wide layer.
    rng = np.random.RandomState(0)
    X = rng.uniform(-np.pi, np.pi, (20_000 if quick else 100_000, 1))
    y = np.sin(X[:, 0])
    X_test = np.linspace(-np.pi, np.pi, 1_000).reshape(-1, 1)
    y_test = np.sin(X_test[:, 0])
    sgd = dict(
        activation="relu",
        optimizer="sgd",
        momentum=0.0,
        learning_rate=0.01,
        batch_size=32,
        max_epochs=5,
        lr_schedule=None,
        weight_init="xavier_uniform",
        scale_target=False,
    )
    results = {}
    n_seeds = 3 if quick else 5
    for label, hidden in [("deep 4 x 5", (5, 5, 5, 5)), ("wide 1 x 20", (20,))]:
        results[label] = [
            rmse(
                TrainedMLPRegressor(hidden, **sgd, random_state=s).fit(X, y).predict,
                X_test,
                y_test,
            )
            for s in range(n_seeds)
        ]
        stuck = sum(e > 0.1 for e in results[label])
        print(
            f"  {label}: RMSE per seed {np.round(results[label], 3).tolist()}"
            f" ({stuck} of {n_seeds} stuck above 0.1)"
        )
    deep, wide = (max(v) for v in results.values())
    report(
        "wide 1 x 20 beats deep 4 x 5 (worst seed RMSE)",
        f"{wide:.3f}",
        f"deep {deep:.3f}",
        wide < deep,
    )


# -------------------------------------------------------------------- GPU


def gpu(quick):
    print("\n5. GPU: large-batch training, CUDA against CPU")
    if not torch.cuda.is_available():
        print("  skipped: torch sees no CUDA device on this machine")
        return
    X, y = make_function("poly_tan", n_samples=200_000, random_state=0)
    params = dict(
        hidden_layer_sizes=(512, 512),
        batch_size=8192,
        max_epochs=3 if quick else 10,
        random_state=0,
    )
    TrainedMLPRegressor(**dict(params, max_epochs=1), device="cuda").fit(
        X, y
    )  # warm-up
    _, t_gpu = timed(lambda: TrainedMLPRegressor(**params, device="cuda").fit(X, y))
    _, t_cpu = timed(lambda: TrainedMLPRegressor(**params, device="cpu").fit(X, y))
    report(
        "GPU speed-up, (512, 512), batch 8192",
        f"{t_cpu / t_gpu:.1f}x",
        "CPU 1.0x",
        t_gpu < t_cpu,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller studies")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    # Pay torch's one-off imports (the optimizers load torch._dynamo) first.
    X, y = make_function("sine", n_samples=100, random_state=0)
    TrainedMLPRegressor(max_epochs=1).fit(X, y)
    single = throughput(args.quick)
    accuracy(args.quick, single)
    constructive(args.quick)
    seeds(args.quick)
    gpu(args.quick)
    failed = [name for name, status in RESULTS if status == "FAIL"]
    print(
        f"\n{len(RESULTS) - len(failed)} of {len(RESULTS)} targets met in "
        f"{time.perf_counter() - start:.0f} s"
    )
    for name in failed:
        print(f"  FAIL: {name}")


if __name__ == "__main__":
    main()
