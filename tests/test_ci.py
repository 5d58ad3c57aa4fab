"""CI runs what the README tells a new user to run, in a virtual environment of its own."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_test_line() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line for line in readme.splitlines() if "python -m pytest" in line and line.startswith("pip install")]
    assert len(lines) == 1, lines
    return lines[0]


def test_ci_runs_the_readmes_test_line_in_a_fresh_venv() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert _readme_test_line() in steps
    made = next(i for i, s in enumerate(steps) if re.match(r"python3? -m venv ", s))
    entered = next(i for i, s in enumerate(steps) if re.match(r"(source|\.) .*bin/activate", s))
    tested = steps.index(_readme_test_line())
    assert made < entered < tested
