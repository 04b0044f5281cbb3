"""The README's two commands are run.sh's, and CI runs exactly them."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands(text):
    """Command lines of a shell text, comments and blank lines dropped."""
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def readme_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", quick_start, re.S).group(1)
    return _commands(block)


def test_the_quick_start_is_two_commands_of_run_sh():
    assert readme_commands() == ["./run.sh", "./run.sh test"]


def test_ci_runs_the_readme_commands_first():
    ci = _commands((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    start = ci.index(readme_commands()[0])
    assert ci[start : start + 2] == readme_commands()
    # Nothing installs or sets up before them: they must do it themselves.
    assert not any(re.search(r"\b(pip|venv)\b", line) for line in ci[:start])


def test_an_unknown_command_is_refused_before_any_set_up(tmp_path):
    completed = subprocess.run(
        ["bash", str(ROOT / "run.sh"), "fit"],
        env={"PATH": "/usr/bin:/bin", "UAT_VENV": str(tmp_path / "venv")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "unknown command fit: use compare (the default), test or setup" in (
        completed.stderr
    )
    assert not (tmp_path / "venv").exists()


def test_a_python_too_old_is_named(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Python 3.8.0'; fi\nexit 1\n"
    )
    fake.chmod(0o755)
    completed = subprocess.run(
        ["bash", str(ROOT / "run.sh"), "setup"],
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHON": str(fake),
            "UAT_VENV": str(tmp_path / "venv"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "needs Python >= 3.10" in completed.stderr
    assert "Python 3.8.0" in completed.stderr
    assert not (tmp_path / "venv").exists()
