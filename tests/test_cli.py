import subprocess
import sys

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
    for name in ["sine", "multiscale", "poly_tan", "distance"]:
        assert name in out


def test_python_dash_m_runs():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_uat", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert __version__ in result.stdout
