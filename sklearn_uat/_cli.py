"""The ``sklearn-uat`` command line."""

import argparse
import sys

from . import __version__
from .datasets import get_function, list_functions


def _split_names(values):
    """Names given space- or comma-separated: ``a b`` or ``a,b``."""
    names = []
    for value in values:
        names.extend(part for part in value.split(",") if part)
    return names


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
    return 0


def _compare(parser, args):
    """Run :func:`sklearn_uat.compare.compare` and print its table."""
    from .compare import DEFAULT_DATASETS, compare, default_estimators

    datasets = _split_names(args.datasets) if args.datasets else list(DEFAULT_DATASETS)
    _check_names(parser, "--datasets", datasets, list_functions())
    estimators = default_estimators(args.random_state)
    if args.estimators:
        chosen = _split_names(args.estimators)
        _check_names(parser, "--estimators", chosen, list(estimators))
        estimators = {name: estimators[name] for name in chosen}
    if args.output and not args.output.lower().endswith((".csv", ".json", ".md")):
        parser.error("--output: use a file name ending in .csv, .json or .md.")
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
    print(result.format_table())
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
    kwargs = {}
    if args.units:
        kwargs["units"] = [int(u) for u in _split_names(args.units)]
    result = convergence(
        args.function,
        methods=methods,
        n_samples=args.n_samples,
        random_state=args.random_state,
        progress=not args.quiet,
        **kwargs,
    )
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
        help="benchmark functions (default: those of one and two inputs)",
    )
    compare.add_argument(
        "--estimators",
        nargs="+",
        metavar="NAME",
        help="estimators of the default line-up (default: all)",
    )
    compare.add_argument("--n-samples", type=int, default=2000)
    compare.add_argument("--noise", type=float, default=0.0)
    compare.add_argument("--cv", type=int, default=5, help="number of folds")
    compare.add_argument(
        "--grid",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="grid-search each estimator over a small grid (default: off)",
    )
    compare.add_argument("--n-jobs", type=int, default=None)
    compare.add_argument("--random-state", type=int, default=0)
    compare.add_argument(
        "--output", metavar="FILE", help="also write the results (.csv, .json, .md)"
    )
    compare.add_argument("--quiet", action="store_true", help="no progress bar")
    compare.set_defaults(handler=_compare)

    conv = commands.add_parser(
        "convergence",
        help="test error against hidden units, with the theoretical rates",
        description=(
            "Fit the constructive networks (8 to 1024 units) and a trained MLP "
            "(a few widths) to a one-input function; print max error and RMSE "
            "per size, and each method's fitted log-log slope beside theory."
        ),
    )
    conv.add_argument("--function", default="multiscale")
    conv.add_argument("--methods", nargs="+", metavar="NAME")
    conv.add_argument(
        "--units",
        nargs="+",
        metavar="N",
        help="sizes of the constructive networks (default: 8 16 ... 1024)",
    )
    conv.add_argument("--n-samples", type=int, default=None)
    conv.add_argument("--random-state", type=int, default=0)
    conv.add_argument("--plot", metavar="FILE.png", help="save the figure")
    conv.add_argument("--quiet", action="store_true", help="no progress bar")
    conv.set_defaults(handler=_convergence)

    functions = commands.add_parser(
        "functions", help="list the benchmark functions of sklearn_uat.datasets"
    )
    functions.set_defaults(handler=_functions)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.handler(parser, args)
