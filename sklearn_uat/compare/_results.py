"""The results of :func:`~sklearn_uat.compare.compare`: records, tables, files.

A record is one (dataset, estimator) pair; :class:`ComparisonResult` holds
them with the splits every estimator used, and turns them into a table that
fits a terminal of 100 columns, a wide table with every column, a pandas
DataFrame, or a CSV, JSON or Markdown file. Every time names its unit.
"""

import csv
import json
import math
import textwrap
from dataclasses import dataclass, field

#: The keys of every record of :class:`ComparisonResult`, in table order.
COLUMNS = (
    "dataset",
    "estimator",
    "cv_rmse_mean",
    "cv_rmse_std",
    "cv_r2_mean",
    "test_rmse",
    "test_max_abs_error",
    "fit_time_s",
    "predict_time_s",
    "n_parameters",
    "best_params",
    "warnings",
    "error",
)

#: The width of a terminal that the default table fits.
TABLE_WIDTH = 100


def _short_name(name, names):
    """A grid parameter's name without the prefixes of nested estimators.

    ``regressor__C`` becomes ``C`` and ``spline__n_knots`` becomes
    ``n_knots``, unless another parameter of the same grid ends the same way.
    """
    last = name.rsplit("__", 1)[-1]
    clashes = sum(other.rsplit("__", 1)[-1] == last for other in names)
    return last if clashes == 1 else name


def format_params(params):
    """``{"regressor__C": 10.0}`` as ``"C=10.0"``; ``""`` for no parameters.

    Examples
    --------
    >>> from sklearn_uat.compare._results import format_params
    >>> format_params({"regressor__C": 10.0, "spline__n_knots": 20})
    'C=10.0, n_knots=20'
    """
    if not params:
        return ""
    return ", ".join(f"{_short_name(k, params)}={v}" for k, v in params.items())


def _short_warnings(summary, sep="; "):
    """``"ConvergenceWarning x5"`` as ``"Convergence x5"``, for the narrow table."""
    parts = []
    for part in filter(None, summary.split("; ")):
        category, _, count = part.rpartition(" x")
        if category.endswith("Warning") and category != "Warning":
            category = category.removesuffix("Warning")
        parts.append(f"{category} x{count}")
    return sep.join(parts)


@dataclass
class ComparisonResult:
    """The tidy outcome of :func:`~sklearn_uat.compare.compare`.

    Attributes
    ----------
    records : list of dict
        One dict per (dataset, estimator) with the keys of :data:`COLUMNS`:
        cross-validated RMSE (mean and standard deviation over folds) and R²,
        held-out test RMSE and maximum absolute error, the refit time and
        the test-set prediction time in seconds (``fit_time_s``,
        ``predict_time_s``), number of network parameters (None for models
        that are not networks), the grid search's best parameters (the
        names that ``set_params`` takes), the warnings raised while fitting
        (counted by category, wherever the fits ran), and the error message
        if the estimator failed (metrics are then NaN).
    splits : dict
        Per dataset name: ``{"train": indices, "test": indices, "folds":
        [(train, validation), ...]}``, the folds being positions within the
        training split. Every estimator used exactly these.

    Examples
    --------
    >>> from sklearn_uat.compare import ComparisonResult
    >>> record = dict(
    ...     dataset="sine", estimator="KNN", cv_rmse_mean=0.01, cv_rmse_std=0.001,
    ...     cv_r2_mean=0.99, test_rmse=0.012, test_max_abs_error=0.05,
    ...     fit_time_s=0.001, predict_time_s=0.002, n_parameters=None,
    ...     best_params=None, warnings="", error="",
    ... )
    >>> print(ComparisonResult([record]).format_table())
    dataset  estimator  CV RMSE  test RMSE  max err  fit s  predict ms  warnings
    -------  ---------  -------  ---------  -------  -----  ----------  --------
    sine     KNN*       0.01     0.012      0.05     0.00   2.0
    """

    records: list = field(default_factory=list)
    splits: dict = field(default_factory=dict)

    def to_frame(self):
        """The records as a :class:`pandas.DataFrame` (requires pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is a dev extra
            raise ImportError(
                "ComparisonResult.to_frame requires pandas: pip install pandas"
            ) from exc
        return pd.DataFrame.from_records(self.records, columns=list(COLUMNS))

    def best(self):
        """Per dataset, the estimator with the lowest held-out test RMSE."""
        best = {}
        for rec in self.records:
            score = rec["test_rmse"]
            if score is None or not math.isfinite(score):
                continue
            current = best.get(rec["dataset"])
            if current is None or score < current[1]:
                best[rec["dataset"]] = (rec["estimator"], score)
        return {dataset: name for dataset, (name, _) in best.items()}

    def format_table(self, tablefmt="simple", wide=False):
        """A printable table; ``*`` marks the best test RMSE of each dataset.

        Parameters
        ----------
        tablefmt : str, default="simple"
            A table format of ``tabulate`` (``"github"`` for Markdown).
        wide : bool, default=False
            False gives the columns that fit a terminal of 100 columns
            (on the default datasets): CV and test RMSE, the maximum test
            error, times and warnings, with the grid's choices and any
            errors listed below the table. True adds the folds' standard
            deviation, R², the network's number of parameters, and puts the
            notes in the table.

        Returns
        -------
        table : str
            Where the narrow table would otherwise be wider than 100
            columns, warning categories lose their ``Warning`` suffix, then
            take one line each.
        """
        best = self.best()
        # Warnings as they are; else without the "Warning" suffix; else also
        # one category a line.
        for shorten in (None, "; ", "\n"):
            table, notes = self._tabulate(best, tablefmt, wide, shorten)
            if wide or max(map(len, table.splitlines())) <= TABLE_WIDTH:
                break
        if notes:
            lines = [
                textwrap.fill(
                    note, TABLE_WIDTH, subsequent_indent="    ", break_long_words=False
                )
                for note in notes
            ]
            table += "\n\ngrid choices and errors:\n" + "\n".join(lines)
        return table

    def _tabulate(self, best, tablefmt, wide, shorten):
        """The table and the notes to print below it."""
        import tabulate

        rows, notes = [], []
        for rec in self.records:
            name = rec["estimator"] + (
                "*" if best.get(rec["dataset"]) == rec["estimator"] else ""
            )
            params = format_params(rec["best_params"])
            if rec["error"]:
                if wide:
                    rows.append(
                        [rec["dataset"], name]
                        + [None] * 7
                        + [f"failed: {rec['error'][:60]}"]
                    )
                else:
                    rows.append([rec["dataset"], name] + [None] * 5 + ["failed"])
                    notes.append(
                        f"{rec['dataset']} / {rec['estimator']} failed: {rec['error']}"
                    )
                continue
            times = [f"{rec['fit_time_s']:.2f}", f"{rec['predict_time_s'] * 1e3:.1f}"]
            if wide:
                note = "; ".join(filter(None, [params and "best: " + params]))
                note = "; ".join(filter(None, [note, rec["warnings"]]))
                rows.append(
                    [
                        rec["dataset"],
                        name,
                        f"{rec['cv_rmse_mean']:.3g} ± {rec['cv_rmse_std']:.2g}",
                        f"{rec['cv_r2_mean']:.4f}",
                        f"{rec['test_rmse']:.3g}",
                        f"{rec['test_max_abs_error']:.3g}",
                        *times,
                        rec["n_parameters"],
                        note,
                    ]
                )
            else:
                warned = rec["warnings"]
                rows.append(
                    [
                        rec["dataset"],
                        name,
                        f"{rec['cv_rmse_mean']:.3g}",
                        f"{rec['test_rmse']:.3g}",
                        f"{rec['test_max_abs_error']:.3g}",
                        *times,
                        _short_warnings(warned, shorten) if shorten else warned,
                    ]
                )
                if params:
                    notes.append(f"{rec['dataset']} / {rec['estimator']}: {params}")
        if wide:
            headers = [
                "dataset",
                "estimator",
                "CV RMSE",
                "CV R²",
                "test RMSE",
                "test max err",
                "fit s",
                "predict ms",
                "params",
                "warnings / note",
            ]
        else:
            headers = [
                "dataset",
                "estimator",
                "CV RMSE",
                "test RMSE",
                "max err",
                "fit s",
                "predict ms",
                "warnings",
            ]
        # The cells are formatted already: tabulate must not parse them again.
        # Headers get no padding beyond the columns' gap, which saves two
        # characters a column; tabulate only offers that as a module setting.
        padding = tabulate.MIN_PADDING
        tabulate.MIN_PADDING = padding if wide else 0
        try:
            table = tabulate.tabulate(
                rows,
                headers=headers,
                tablefmt=tablefmt,
                missingval="",
                disable_numparse=True,
            )
        finally:
            tabulate.MIN_PADDING = padding
        return table, notes

    def write(self, path):
        """Write the records to ``path``: ``.csv``, ``.json`` or ``.md``.

        CSV and JSON hold every column of :data:`COLUMNS` (times in seconds,
        as their names say); Markdown holds the wide table.
        """
        path = str(path)
        suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if suffix not in ("csv", "json", "md"):
            raise ValueError(
                f"Cannot tell the format of {path!r}: use a .csv, .json or .md file."
            )
        records = [
            {
                k: (json.dumps(v) if k == "best_params" and v is not None else v)
                for k, v in rec.items()
            }
            for rec in self.records
        ]
        with open(path, "w", newline="", encoding="utf-8") as fh:
            if suffix == "csv":
                writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
                writer.writeheader()
                writer.writerows(records)
            elif suffix == "json":
                clean = [
                    {
                        k: (
                            None if isinstance(v, float) and not math.isfinite(v) else v
                        )
                        for k, v in rec.items()
                    }
                    for rec in records
                ]
                json.dump(clean, fh, indent=2)
            else:
                fh.write(self.format_table(tablefmt="github", wide=True) + "\n")
                fh.write("\n\\* lowest held-out test RMSE of the dataset\n")
        return path
