"""The ``sklearn-uat`` command line."""

import argparse
import sys

from . import __version__
from .datasets import get_function, list_functions


def _functions(args):
    """Print the registered benchmark functions."""
    from tabulate import tabulate

    rows = []
    for name in list_functions():
        f = get_function(name)
        rows.append((name, f.n_features, f.description, f.source))
    print(tabulate(rows, headers=["name", "inputs", "definition", "source"]))
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
    return args.handler(args)
