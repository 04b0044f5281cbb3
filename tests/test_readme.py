"""Every Python block of the README and the docs runs as pasted.

Each block is run on its own in a fresh interpreter, as a user pasting it
into a file would, from a folder outside the repository. A line
``print(...)  # text`` shows what it prints: each such text must be a line
of the block's output, in order (prints without the comment, such as a
whole table, are not compared).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]

_MARKDOWN_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_RST_BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?: {4}.*)?\n)+)", re.M)


def python_blocks(path):
    """The Python blocks of a Markdown or reStructuredText file, with lines."""
    text = path.read_text(encoding="utf-8")
    pattern = _MARKDOWN_BLOCK if path.suffix == ".md" else _RST_BLOCK
    blocks = []
    for match in pattern.finditer(text):
        code = match.group(1)
        if path.suffix == ".rst":
            code = "\n".join(line[4:] for line in code.splitlines()) + "\n"
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(pytest.param(code, id=f"{path.name}:{line}"))
    return blocks


def expected_output(code):
    """The texts of the ``print(...)  # text`` lines, in order."""
    expected = []
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("print(") and "  # " in stripped:
            expected.append(stripped.split("  # ", 1)[1])
    return expected


def test_the_documents_have_python_blocks():
    assert len(python_blocks(ROOT / "README.md")) >= 8
    assert python_blocks(ROOT / "docs" / "index.rst")


def test_the_readme_has_no_prompts_left():
    # Prompts cannot be pasted into a file; the blocks are plain Python.
    assert ">>> " not in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "code", [block for path in DOCUMENTS for block in python_blocks(path)]
)
def test_block_runs_on_its_own(code, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="error::RuntimeWarning")
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    printed = iter(" ".join(line.split()) for line in completed.stdout.splitlines())
    for text in expected_output(code):
        text = " ".join(text.split())
        assert any(line == text for line in printed), (text, completed.stdout)
