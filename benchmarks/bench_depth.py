"""Depth versus width: constructed deep ReLU networks against one hidden layer.

For x^2, the product x1 * x2 and the distance |(x1, x2) - (x3, x4)|, prints
the maximum error against the parameter (or ReLU) count of the deep
constructions of ``sklearn_uat.construct``, beside the best one-hidden-layer
ReLU network (``ReluKnotRegressor`` with ``tol``, and for x^2 the proven
minimum) and ``TrainedMLPRegressor`` of the same shape trained from random
starts and from the construction; then what a constructed network of the
deep narrow shape of the sine example (four hidden layers of five ReLUs)
reaches. Each target is printed MET or MISSED with its ratio. Run from the
repository root:

    PYTHONPATH=$PWD python benchmarks/bench_depth.py

Takes two to three minutes on 2 CPU cores.
"""

import math
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_uat import ReluKnotRegressor, TrainedMLPRegressor
from sklearn_uat.construct import (
    affine,
    compose,
    deepen,
    distance,
    product,
    square,
    stack,
)

RESULTS = []


def report(label, value, reference, target, passed):
    RESULTS.append(passed)
    flag = "MET" if passed else "MISSED"
    print(f"  {label:<50} {value:<24} ref {reference:<30} target {target:<12} {flag}")


def max_error(network, X, truth):
    return float(np.abs(network.forward(X) - truth).max())


def knot_network(x, y, tol, max_knots=1_000_000):
    """The one-hidden-layer ReluKnotRegressor that reaches tol, and its count."""
    model = ReluKnotRegressor(tol=tol, alpha=0.0, max_knots=max_knots)
    return model.fit(x[:, None], y)


def trained(network, X, y, X_test, truth, seeds=(0, 1, 2)):
    """Max errors of the same shape from random starts and from the network."""
    shape = network.hidden_layer_sizes
    common = dict(hidden_layer_sizes=shape, activation="relu")
    random_errors = []
    for seed in seeds:
        model = TrainedMLPRegressor(**common, random_state=seed).fit(X, y)
        random_errors.append(np.abs(model.predict(X_test) - truth).max())
    from_construction = {}
    for lr in [1e-2, 1e-4]:
        model = TrainedMLPRegressor(
            **common, init_from=network, learning_rate=lr, random_state=0
        ).fit(X, y)
        from_construction[lr] = np.abs(model.predict(X_test) - truth).max()
    return random_errors, from_construction


def print_trained(network, X, y, X_test, truth):
    start = max_error(network, X_test, truth)
    random_errors, from_construction = trained(network, X, y, X_test, truth)
    print(
        f"  TrainedMLPRegressor {network.hidden_layer_sizes[:3]}... x"
        f"{len(network.hidden_layer_sizes)} layers, {len(X)} samples, 60 epochs:"
    )
    print(
        "    random starts (3 seeds): max error "
        + ", ".join(f"{e:.2e}" for e in random_errors)
    )
    print(
        f"    from the construction (max error {start:.2e}): "
        f"{from_construction[1e-2]:.2e} at learning_rate=1e-2, "
        f"{from_construction[1e-4]:.2e} at 1e-4"
    )


# --------------------------------------------------------------------- x^2


def squares():
    print("x^2 on [0, 1]: Yarotsky's square(m), error bound 2^(-2m-2)")
    rng = np.random.default_rng(0)
    dense = np.linspace(0.0, 1.0, 1_000_001)
    anywhere = rng.integers(0, 2**21 + 1, 200_000) / 2.0**21
    print(
        f"  {'m':>3} {'params':>7} {'bound':>10} {'at midpoints':>13} "
        f"{'max dyadic':>11} {'max / bound':>12} {'1e6 grid / bound':>17}"
    )
    all_below, worst_dense = True, 0.0
    for m in range(1, 21):
        net = square(m)
        bound = 2.0 ** (-2 * m - 2)
        n_mid = 2**m
        picked = (
            np.arange(n_mid) if n_mid <= 200_000 else rng.integers(0, n_mid, 200_000)
        )
        midpoints = (2 * picked + 1) / 2.0 ** (m + 1)
        points = np.concatenate([anywhere, midpoints])
        # Dyadic points: the network's float64 arithmetic is exact there.
        exact = net.forward(points[:, None]) - points**2
        at_mid = (net.forward(midpoints[:, None]) - midpoints**2).min()
        on_dense = np.abs(net.forward(dense[:, None]) - dense**2).max()
        all_below &= bool(exact.min() >= 0 and exact.max() <= bound)
        worst_dense = max(worst_dense, on_dense / bound)
        print(
            f"  {m:>3} {net.n_parameters:>7} {bound:>10.3e} {at_mid:>13.3e} "
            f"{exact.max():>11.3e} {exact.max() / bound:>12.6f} "
            f"{on_dense / bound:>17.6f}"
        )
    report(
        "square(m), m = 1..20: max error <= 2^(-2m-2)",
        "max/bound = 1.000000",
        "bound attained at midpoints",
        "<= bound",
        all_below,
    )
    print(
        f"  (on 1,000,001 equally spaced decimal points, float64 rounding of x "
        f"and x^2 adds at most {worst_dense - 1:.1e} of the bound)"
    )

    print("Parameters for a max error eps: deep square vs one hidden layer")
    for eps, n_samples in [(1e-6, 100_001), (1e-12, 2_000_001)]:
        m = math.ceil((math.log2(1 / eps) - 2) / 2)
        net = square(m)
        deep_error = max_error(net, dense[:, None], dense**2)
        x = np.linspace(0.0, 1.0, n_samples)
        start = time.perf_counter()
        shallow = knot_network(x, x**2, eps)
        seconds = time.perf_counter() - start
        shallow_error = float(np.abs(shallow.predict(dense[:, None]) - dense**2).max())
        # Any one-hidden-layer ReLU network of one input with K units is
        # piecewise linear with at most K + 1 pieces; on [0, 1] the best with
        # P pieces errs by at least 1 / (8 P^2) (a line errs by h^2 / 8 on an
        # interval of width h), so K >= 1 / sqrt(8 eps) - 1 and at least
        # 3 K + 1 parameters.
        k_min = math.ceil(1 / math.sqrt(8 * eps)) - 1
        p_min = 3 * k_min + 1
        print(
            f"  eps={eps:.0e}: deep m={m}: {net.n_parameters} parameters "
            f"({sum(net.hidden_layer_sizes)} ReLUs), max error {deep_error:.2e}; "
            f"ReluKnotRegressor(tol) on {n_samples:,} samples: "
            f"{shallow.n_units_:,} ReLUs, {shallow.n_parameters_:,} parameters, "
            f"max error {shallow_error:.2e} ({seconds:.1f} s); fewest possible "
            f"with one hidden layer: {k_min:,} ReLUs, {p_min:,} parameters"
        )
        needed = 4 if eps == 1e-6 else 100
        ratio = p_min / net.n_parameters
        report(
            f"eps={eps:.0e}: fewer parameters than one hidden layer",
            f"{ratio:,.0f}x (vs fewest)",
            f"{shallow.n_parameters_ / net.n_parameters:,.0f}x vs ReluKnot(tol)",
            f">= {needed}x",
            ratio >= needed and deep_error <= eps,
        )

    X = np.random.default_rng(1).uniform(size=(2000, 1))
    print_trained(square(9), X, X[:, 0] ** 2, dense[::10, None], dense[::10] ** 2)


# ----------------------------------------------------------------- product


def ridge_pair(m_eps):
    """One hidden layer for x1 x2 on [0, 1]^2: knots along x1 + x2 and x1 - x2."""
    u = np.linspace(0.0, 2.0, 200_001)
    v = np.linspace(-1.0, 1.0, 200_001)
    # Each square to 2 eps gives |error| <= (2 eps + 2 eps) / 4 = eps.
    sum_sq = knot_network(u, u**2, 2 * m_eps).network_
    diff_sq = knot_network(v, v**2, 2 * m_eps).network_
    both = stack(sum_sq, diff_sq)
    net = compose(both, affine([[1.0, 1.0], [1.0, -1.0]]))
    return compose(affine([[0.25], [-0.25]]), net)


def products():
    print("x1 * x2 on [0, 1]^2: product(m) from two squares, bound 2^(-2m-2)")
    g = np.linspace(0.0, 1.0, 1025)
    X = np.column_stack([a.ravel() for a in np.meshgrid(g, g)])
    truth = X[:, 0] * X[:, 1]
    for eps in [1e-3, 1e-6]:
        m = math.ceil((math.log2(1 / eps) - 2) / 2)
        net = product(m)
        shallow = ridge_pair(eps)
        assert len(shallow.hidden_layer_sizes) == 1
        deep_error, shallow_error = (
            max_error(net, X, truth),
            max_error(shallow, X, truth),
        )
        print(
            f"  eps={eps:.0e}: deep m={m}: {net.n_parameters} parameters, "
            f"{sum(net.hidden_layer_sizes)} ReLUs, max error {deep_error:.2e} "
            f"(bound {2.0 ** (-2 * m - 2):.2e}); one hidden layer of ReLU knots "
            f"along x1 + x2 and x1 - x2: {shallow.n_parameters:,} parameters, "
            f"{sum(shallow.hidden_layer_sizes):,} ReLUs, max error {shallow_error:.2e}"
        )
        report(
            f"product, eps={eps:.0e}: error <= bound",
            f"{deep_error / 2.0 ** (-2 * m - 2):.4f} of bound",
            f"deep {shallow.n_parameters / net.n_parameters:.1f}x fewer params",
            "<= 1",
            deep_error <= 2.0 ** (-2 * m - 2) * (1 + 1e-9),
        )
    rng = np.random.default_rng(2)
    X_train = rng.uniform(size=(2000, 2))
    X_test = rng.uniform(size=(20_000, 2))
    print_trained(
        product(5),
        X_train,
        X_train[:, 0] * X_train[:, 1],
        X_test,
        X_test[:, 0] * X_test[:, 1],
    )


# ---------------------------------------------------------------- distance


def hypot4(X):
    return np.hypot(X[:, 0] - X[:, 2], X[:, 1] - X[:, 3])


def distance_samples(n, scale, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 4))
    near = X.copy()
    near[:, 2:] = np.clip(X[:, :2] + rng.normal(scale=scale, size=(n, 2)), 0, 1)
    return np.vstack([X, near])


def two_stage_design(tol):
    """The classic two-stage design: one hidden layer of uniform knots per squared
    difference, then the same square root; knot spacing h and square-root
    error e chosen for the fewest ReLUs with h / sqrt(2) + e <= tol (the bound
    of construct.distance's Notes, with the interpolant's h^2 / 4)."""
    from sklearn_uat.construct import _sqrt_knots, _sqrt_network

    best = None
    for n_intervals in 2 ** np.arange(4, 16):
        h = 2.0 / n_intervals
        e = tol - h / math.sqrt(2)
        if e <= 0:
            continue
        count = 2 * (n_intervals + 1) + _sqrt_knots(e, 2.0 + h * h / 2).size + 1
        if best is None or count < best[0]:
            best = (count, n_intervals, e)
    _, n_intervals, e = best
    knots = np.linspace(-1.0, 1.0, n_intervals + 1)
    sq = ReluKnotRegressor(knots=knots, alpha=0.0).fit(knots[:, None], knots**2)
    squares_ = stack(sq.network_, sq.network_)
    diffs = affine([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    stage1 = compose(affine([[1.0], [1.0]]), compose(squares_, diffs))
    h = 2.0 / n_intervals
    return compose(_sqrt_network(e, 2.0 + h * h / 2), stage1)


def distances():
    print("|(x1, x2) - (x3, x4)| on [0, 1]^4: construct.distance(tol)")
    X = distance_samples(100_000, 1e-3, 3)
    truth = hypot4(X)
    for tol in [1e-2, 1e-3, 1e-4]:
        start = time.perf_counter()
        net = distance(tol)
        build = time.perf_counter() - start
        error = max_error(net, X, truth)
        relus = sum(net.hidden_layer_sizes)
        staged_net = two_stage_design(tol)
        staged_error = max_error(staged_net, X[:20_000], truth[:20_000])
        staged_relus = sum(staged_net.hidden_layer_sizes)
        print(
            f"  tol={tol:.0e}: deep {relus} ReLUs in {len(net.hidden_layer_sizes)} "
            f"hidden layers ({net.n_parameters:,} parameters, built in "
            f"{build:.2f} s), max error {error:.2e} on 200,000 points; the two-stage "
            f"design (one hidden layer per stage): {staged_relus:,} ReLUs "
            f"({staged_net.n_parameters:,} parameters), max error {staged_error:.2e}"
        )
        if tol == 1e-3:
            report(
                "distance(tol=1e-3): max error <= 1e-3",
                f"{error:.2e}, {relus} ReLUs",
                f"{staged_relus:,} ReLUs, one layer/stage",
                "<= 1e-3",
                error <= tol,
            )
    print(
        "  (a single hidden layer on all four inputs, ReluKnotRegressor with "
        "random directions, has no bound to compare and is not shown)"
    )
    X_train = distance_samples(2500, 1e-2, 4)
    X_test = distance_samples(10_000, 1e-2, 5)
    print_trained(distance(1e-2), X_train, hypot4(X_train), X_test, hypot4(X_test))


# -------------------------------------------------------- deep narrow sine


def deep_narrow_sine():
    print("sin on [-pi, pi] with 4 hidden layers of 5 ReLUs (the sine example)")
    x = np.linspace(-np.pi, np.pi, 20_001)[:, None]
    truth = np.sin(x[:, 0])
    rows = []
    for placement in ["uniform", "adaptive"]:
        # 15 knots: 13 inside the range, what deepen fits into (5, 5, 5, 5).
        knots = ReluKnotRegressor(15, knots=placement, alpha=0.0).fit(x, truth)
        deep = deepen(knots.network_, 5, domain=(-np.pi, np.pi))
        assert deep.hidden_layer_sizes == (5, 5, 5, 5)
        rows.append((placement, deep, max_error(deep, x, truth)))
        print(
            f"  constructed, {placement} knots: max error {rows[-1][2]:.2e} "
            f"({deep.n_parameters} parameters)"
        )
    best = min(rows, key=lambda row: row[2])[1]
    rng = np.random.default_rng(6)
    X = rng.uniform(-np.pi, np.pi, size=(2000, 1))
    print_trained(best, X, np.sin(X[:, 0]), x, truth)


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    squares()
    products()
    distances()
    deep_narrow_sine()
    print(
        f"{sum(RESULTS)}/{len(RESULTS)} targets met in "
        f"{time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
