"""Fits beyond memory: streamed partial_fit and Dask fits against fit in memory.

Prints, measured in one run:

1. ``ReluKnotRegressor.partial_fit`` over ``--rows`` rows of one input (1e8
   by default) and ``--rows-5`` rows of five inputs (1e7), streamed from a
   generator in chunks of ``--chunk`` rows: the peak RSS of the process and
   the rows per second of the partial_fit calls, against ``fit`` in memory on
   one chunk (the data generation is timed apart, in neither figure).
2. The same one-input rows as a Dask array on a ``LocalCluster`` of 2
   single-threaded worker processes (each block generated on a worker from
   the same seed as the stream's chunk): the wall time of ``fit`` against
   the streamed fit's wall time, generation included in both; each
   worker's peak RSS; and the largest difference between the Dask fit's
   output weights and the streamed fit's, relative to their size.
   The workers allocate memory as the single process does, with glibc's
   defaults: ``distributed`` sets ``MALLOC_TRIM_THRESHOLD_=65536`` for its
   workers (``distributed.nanny.pre-spawn-environ``), which hands freed
   memory back to the system at once, so that every block's arrays are
   faulted in afresh. The fit under that default is printed as well.

Each streamed measurement runs in a fresh process, so that its peak RSS is
its own, with one thread for BLAS as each Dask worker has: the 2 workers are
then twice the single process's compute, no more. The package is imported
before any clock starts, in the process and on the workers alike.

Targets (from the issue this benchmark answers): peak RSS < 1 GiB,
throughput >= 0.5x the in-memory fit's rows per second; on Dask the same
coefficients to 1e-10, wall time <= 0.7x the single-process stream on 2
workers, no worker above 1 GiB. Run with ``--rows 1e7`` for a quicker look.
"""

import argparse
import multiprocessing
import resource
import time

import numpy as np

DOMAIN_ONE = [(0.0, 1.0)]


def make_chunk(seed, index, rows, n_features):
    """Chunk ``index`` of the stream: ``[X, y]`` of shape (rows, n_features + 1)."""
    rng = np.random.default_rng([seed, index])
    X = rng.uniform(0.0, 1.0, size=(rows, n_features))
    if n_features == 1:
        truth = np.sin(12.0 * X[:, 0]) * np.exp(-X[:, 0])
    else:
        truth = np.sin(3.0 * X[:, 0] * X[:, 1]) + X[:, 2] ** 2 - np.cos(2 * X[:, 3])
        truth += 0.5 * X[:, 4]
    y = truth + 0.1 * rng.standard_normal(rows)
    return np.column_stack([X, y])


def _estimator(n_features):
    from sklearn_uat import ReluKnotRegressor

    domain = [(0.0, 1.0)] * n_features
    return ReluKnotRegressor(domain=domain, random_state=0)


def _peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _one_thread():
    """Limit BLAS and OpenMP to one thread; returns the largest count left."""
    from threadpoolctl import threadpool_info, threadpool_limits

    import sklearn_uat  # noqa: F401  (loads the BLAS that scipy uses)

    threadpool_limits(1)
    return max((pool["num_threads"] for pool in threadpool_info()), default=1)


def _stream(queue, n_rows, chunk, n_features, seed):
    """partial_fit over the stream; runs in its own process."""
    threads = _one_thread()
    model = _estimator(n_features)
    n_chunks = int(np.ceil(n_rows / chunk))
    fitting = generating = 0.0
    start = time.perf_counter()
    for k in range(n_chunks):
        rows = min(chunk, n_rows - k * chunk)
        t0 = time.perf_counter()
        data = make_chunk(seed, k, rows, n_features)
        t1 = time.perf_counter()
        model.partial_fit(data[:, :-1], data[:, -1])
        generating += t1 - t0
        fitting += time.perf_counter() - t1
    wall = time.perf_counter() - start
    queue.put(
        {
            "fit_s": fitting,
            "generate_s": generating,
            "wall_s": wall,
            "peak_mib": _peak_rss_mib(),
            "coef": model.coefs_[-1],
            "alpha": model.alpha_,
            "threads": threads,
        }
    )


def _in_memory(queue, chunk, n_features, seed):
    """fit on one chunk held in memory; runs in its own process."""
    _one_thread()
    data = make_chunk(seed, 0, chunk, n_features)
    model = _estimator(n_features)
    t0 = time.perf_counter()
    model.fit(data[:, :-1], data[:, -1])
    queue.put({"fit_s": time.perf_counter() - t0, "peak_mib": _peak_rss_mib()})


def _in_process(target, *args):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(queue, *args))
    process.start()
    result = queue.get()
    process.join()
    return result


def streamed(n_rows, chunk, n_features, seed):
    stream = _in_process(_stream, n_rows, chunk, n_features, seed)
    memory = _in_process(_in_memory, min(chunk, n_rows), n_features, seed)
    stream_rate = n_rows / stream["fit_s"]
    memory_rate = min(chunk, n_rows) / memory["fit_s"]
    print(
        f"partial_fit, {n_features} input(s), {n_rows:.0e} rows in chunks of "
        f"{chunk:.0e}: {stream['fit_s']:.1f} s fitting ({stream_rate:.3g} rows/s), "
        f"{stream['generate_s']:.1f} s generating; peak RSS "
        f"{stream['peak_mib']:.0f} MiB; {stream['threads']} BLAS thread(s)"
    )
    print(
        f"  fit in memory on {min(chunk, n_rows):.0e} rows: {memory['fit_s']:.2f} s "
        f"({memory_rate:.3g} rows/s), peak RSS {memory['peak_mib']:.0f} MiB; "
        f"throughput ratio streamed / in memory = {stream_rate / memory_rate:.2f} "
        "(target >= 0.5)"
    )
    return stream


def _cluster(trim):
    """A LocalCluster of 2 single-threaded workers; ``trim``: distributed's
    default MALLOC_TRIM_THRESHOLD_, else glibc's allocator as is."""
    import dask
    from distributed import LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if not trim:
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )


def on_dask(n_rows, chunk, seed, stream, trim=False):
    import dask
    import dask.array as da
    from distributed import Client

    cluster = _cluster(trim)
    with Client(cluster) as client:
        sizes = [min(chunk, n_rows - k) for k in range(0, n_rows, chunk)]
        blocks = [
            da.from_delayed(
                dask.delayed(make_chunk)(seed, k, rows, 1),
                shape=(rows, 2),
                dtype=np.float64,
            )
            for k, rows in enumerate(sizes)
        ]
        data = da.concatenate(blocks, axis=0)
        model = _estimator(1)
        # As in the streamed process: imports done, one BLAS thread each,
        # and one here, where the summed statistics are solved.
        threads = client.run(_one_thread)
        _one_thread()
        t0 = time.perf_counter()
        model.fit(data[:, :1], data[:, 1])
        wall = time.perf_counter() - t0
        peaks = client.run(_peak_rss_mib)
    cluster.close()
    coef, reference = model.coefs_[-1], stream["coef"]
    difference = np.max(np.abs(coef - reference)) / np.max(np.abs(reference))
    ratio = wall / stream["wall_s"]
    if trim:
        print(
            "  with distributed's default MALLOC_TRIM_THRESHOLD_=65536 on the "
            f"workers: {wall:.1f} s wall, ratio {ratio:.2f}; peak RSS per worker "
            + ", ".join(f"{p:.0f} MiB" for p in peaks.values())
        )
        return
    print(
        f"Dask fit, LocalCluster of 2 workers, the same {n_rows:.0e} rows in "
        f"blocks of {chunk:.0e}: {wall:.1f} s wall, against {stream['wall_s']:.1f} s "
        f"for the streamed fit (generation included in both): ratio "
        f"{ratio:.2f} (target <= 0.7); BLAS threads per "
        "worker: " + ", ".join(str(t) for t in threads.values())
    )
    print(
        "  peak RSS per worker: "
        + ", ".join(f"{p:.0f} MiB" for p in peaks.values())
        + " (target < 1024 MiB); output weights against the streamed fit: max "
        f"difference {difference:.1e} of their largest (target 1e-10)"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e8, help="rows of one input")
    parser.add_argument("--rows-5", type=float, default=1e7, help="rows of five inputs")
    parser.add_argument("--chunk", type=float, default=1e6, help="rows per chunk")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask part")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows, rows_5, chunk = int(args.rows), int(args.rows_5), int(args.chunk)
    stream = streamed(rows, chunk, 1, args.seed)
    if rows_5 > 0:
        streamed(rows_5, chunk, 5, args.seed)
    if not args.no_dask:
        on_dask(rows, chunk, args.seed, stream)
        on_dask(rows, chunk, args.seed, stream, trim=True)


if __name__ == "__main__":
    main()
