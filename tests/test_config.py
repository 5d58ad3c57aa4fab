"""`[tool.cnncalc]` in pyproject.toml is read by a TOML parser: a malformed file is an error
at its line and column, never a silent fallback to the defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli

BAD = "name: bad\ninput: {h: 4, w: 4, c: 3}\nlayers:\n  - {type: conv, filters: 6, kernel: 5}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root: the search for pyproject.toml stops here
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "bad.yaml").write_text(BAD)
    return tmp_path


# (the file, the line and column of its error: where a person must look)
MALFORMED = {
    # The header's `]` is missing: expected right after `[tool.cnncalc`, 13 characters.
    "broken-header": ('[project]\nname = "x"\n\n[tool.cnncalc\nignore = ["CNC101"]\n', 4, 14),
    # An array never closed: the parser reaches the end of the document, line 3 column 1.
    "unclosed-array": ('[tool.cnncalc]\nignore = ["CNC101"\n', 3, 1),
    # A key given twice: the parser stops just past the value it cannot store on line 3,
    # `ignore = ["CNC104"]`, 19 characters.
    "duplicate-key": ('[tool.cnncalc]\nignore = ["CNC101"]\nignore = ["CNC104"]\n', 3, 20),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_pyproject_is_an_error_at_its_position(project: Path, name: str) -> None:
    text, line, col = MALFORMED[name]
    (project / "pyproject.toml").write_text(text)
    for explicit in ((), ("--config", "pyproject.toml")):
        code, out, err = cli("check", "models", *explicit, cwd=project)
        assert code == 2 and out == "", (explicit, out)
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        path, at_line, at_col, message = lines[0].split(":", 3)
        assert (project / path).resolve() == (project / "pyproject.toml").resolve()
        assert (at_line, at_col) == (str(line), str(col)), lines[0]
        assert message.startswith(" not valid TOML: ") and "(at " not in message


def test_a_malformed_pyproject_that_cannot_configure_cnncalc_is_not_ours(project: Path) -> None:
    # No mention of cnncalc: whatever it means, no [tool.cnncalc] can be in it.
    (project / "pyproject.toml").write_text("[project\nname = 'x'\n")
    code, out, _ = cli("check", "models", cwd=project)
    assert code == 1 and "CNC101" in out


def test_a_wellformed_config_is_read(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.cnncalc]\nignore = ["CNC101"]\n')
    code, out, _ = cli("check", "models", cwd=project)
    assert (code, out) == (0, "no problems in 1 file\n")


def test_toml_is_read_only_when_a_pyproject_is(project: Path) -> None:
    code = (
        "import sys\n"
        "from cnncalc.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('tomllib', 'tomli') if m in sys.modules), file=sys.stderr)\n"
    )

    def toml_modules(*args: str) -> str:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        run = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
            env=env,
            timeout=120,
        )
        return run.stderr.strip().splitlines()[-1]

    assert toml_modules("table", "models/bad.yaml") == "[]"  # table never reads configuration
    assert toml_modules("check", "models") == "[]"  # no pyproject.toml at all
    (project / "pyproject.toml").write_text('[tool.cnncalc]\nignore = ["CNC101"]\n')
    assert toml_modules("check", "models") != "[]"
