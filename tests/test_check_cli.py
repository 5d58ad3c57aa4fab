"""`cnncalc check` and `cnncalc rules` through the command line: files, folders, exit codes,
configuration, and the promise never to write to the files it reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli

GOOD = "name: good\ninput: {features: 16}\nlayers:\n  - {type: dense, units: 8, activation: relu}\n"
WARN = "name: warn\ninput: {h: 7, w: 7, c: 3}\nlayers:\n  - {type: maxpool, kernel: 2}\n"
BAD = "name: bad\ninput: {h: 4, w: 4, c: 3}\nlayers:\n  - {type: conv, filters: 6, kernel: 5}\n"
BROKEN = "name: broken\ninput: {h: 4, w: 4, c: 3\nlayers:\n  - {type: conv}\n"
NOT_A_SPEC = "jobs:\n  build: {runs-on: ubuntu-latest}\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "models" / "sub").mkdir(parents=True)
    (tmp_path / "models" / ".hidden").mkdir()
    (tmp_path / "models" / "a_broken.yaml").write_text(BROKEN)
    (tmp_path / "models" / "good.yaml").write_text(GOOD)
    (tmp_path / "models" / "sub" / "bad.yml").write_text(BAD)
    (tmp_path / "models" / "sub" / "warn.yaml").write_text(WARN)
    (tmp_path / "models" / "ci.yaml").write_text(NOT_A_SPEC)
    (tmp_path / "models" / "notes.txt").write_text(GOOD)
    (tmp_path / "models" / ".hidden" / "x.yaml").write_text(BAD)
    return tmp_path


def test_exit_codes(tree: Path) -> None:
    models = tree / "models"
    assert cli("check", str(models / "good.yaml"))[0] == 0
    code, out, _ = cli("check", str(models / "sub" / "warn.yaml"))
    assert code == 0 and "CNC104" in out and out.endswith("1 warning in 1 of 1 file\n")
    assert cli("check", str(models / "sub" / "bad.yml"))[0] == 1
    assert cli("check", str(models / "sub" / "bad.yml"), "--exit-zero")[0] == 0
    code, _, err = cli("check", str(models / "missing.yaml"))
    assert code == 2 and err == f"{models / 'missing.yaml'}: no such file or folder\n"
    assert cli("check", str(models), "--format", "xml")[0] == 2
    assert cli("check", str(models), "--select", "CNC999")[0] == 2
    assert cli("check")[0] == 2


def test_a_folder_every_spec_never_stopping_at_the_first_bad_one(tree: Path) -> None:
    code, out, _ = cli("check", "models", cwd=tree)
    assert code == 1
    lines = out.splitlines()
    # The broken file comes first; the files after it are checked all the same.
    assert lines[0].startswith("models/a_broken.yaml:3:") and "CNC001 YAML syntax error" in lines[0]
    assert "models/sub/bad.yml:4:" in out and "CNC101" in out
    assert "models/sub/warn.yaml:4:5: CNC104 maxpool: input rows and columns 6 (0-based, of 7)" in out
    assert ".hidden" not in out and "ci.yaml" not in out and "notes.txt" not in out
    assert lines[-1] == "2 errors, 1 warning in 3 of 4 files"


def test_named_files_are_always_checked_unless_specs_only(tree: Path) -> None:
    models = tree / "models"
    assert cli("check", str(models / "ci.yaml"))[0] == 1  # not a spec: invalid-spec
    code, out, _ = cli("check", "--specs-only", str(models / "ci.yaml"), str(models / "good.yaml"))
    assert code == 0 and out == "no problems in 1 file\n"


def test_output_formats_on_the_command_line(tree: Path) -> None:
    code, out, _ = cli("check", "models", "--format", "json", cwd=tree)
    data = json.loads(out)
    assert code == 1 and len(data["files"]) == 4 and data["summary"]["errors"] == 2
    code, out, _ = cli("check", "models", "-f", "github", cwd=tree)
    assert "::warning file=models/sub/warn.yaml,line=4,col=5,title=CNC104 floor-drops-pixels::" in out
    report = tree / "report.sarif"
    code, out, _ = cli("check", "models", "-f", "sarif", "-o", str(report), cwd=tree)
    assert code == 1 and out == "" and json.loads(report.read_text())["version"] == "2.1.0"


def test_pyproject_configuration_and_command_line_overrides(tree: Path) -> None:
    (tree / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cnncalc]\nignore = ["CNC101"]\nexclude = ["a_*"]\n'
        '[tool.cnncalc.levels]\nfloor-drops-pixels = "error"\n[tool.cnncalc.limits]\nparams = "100"\n'
    )
    code, out, _ = cli("check", "models", cwd=tree)
    assert "a_broken" not in out and "CNC101" not in out
    assert "warn.yaml:4:5: CNC104" in out
    # good.yaml: 16*8 + 8 = 136 params, over the default limit of 100.
    assert "good.yaml:1:1: CNC114 params 136 exceed the limit of 100" in out
    assert out.splitlines()[-1] == "2 errors in 2 of 3 files"
    code, out, _ = cli("check", "models", "--select", "CNC104", cwd=tree)
    assert out.splitlines()[-1] == "1 error in 1 of 3 files"
    code, out, _ = cli("check", "models", "--no-config", cwd=tree)
    assert "a_broken" in out and "CNC114" not in out
    (tree / "pyproject.toml").write_text("[tool.cnncalc]\nlevels = {CNC104 = 'loud'}\n")
    code, _, err = cli("check", "models", cwd=tree)
    assert code == 2 and "use error, warning, info or off" in err
    (tree / "pyproject.toml").write_text("[tool.cnncalc\n")
    code, _, err = cli("check", "models", cwd=tree)
    assert code == 2 and "pyproject.toml:1:14: not valid TOML" in err  # a broken header is not skipped
    code, _, err = cli("check", "models", "--config", str(tree / "pyproject.toml"), cwd=tree)
    assert code == 2 and "not valid TOML" in err


def test_check_never_writes_to_what_it_reads(tree: Path) -> None:
    files = sorted(p for p in tree.rglob("*") if p.is_file())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    for fmt in ("text", "json", "sarif", "junit", "github"):
        cli("check", "models", "--format", fmt, cwd=tree)
    assert sorted(p for p in tree.rglob("*") if p.is_file()) == files
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before


def test_rules_command_and_fresh_docs() -> None:
    code, out, _ = cli("rules")
    assert code == 0 and out.startswith("CNC001  invalid-spec")
    code, out, _ = cli("rules", "--markdown")
    committed = (Path(__file__).parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    assert out == committed, "docs/rules.md is stale: run `cnncalc rules --markdown > docs/rules.md`"


def test_the_check_path_never_imports_torch(tree: Path) -> None:
    code = (
        "import sys\n"
        "from cnncalc.cli import app\n"
        "try:\n"
        "    app(['check', 'models', '--format', 'sarif'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('torch' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr


def test_a_control_character_in_a_name_is_one_positioned_finding(tmp_path: Path) -> None:
    # A newline in a layer's name split its finding over two lines; names are one line.
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        'name: x\ninput: {h: 4, w: 4, c: 1}\nlayers:\n  - {type: conv, filters: 2, kernel: 1, name: "a\\nb"}\n'
        '  - {type: dense, units: 3, name: "c\\u2028d"}\n'
    )
    code, out, _ = cli("check", str(spec))
    lines = out.splitlines()
    assert code == 1 and len(lines) == 3, out
    assert lines[0].startswith(f"{spec}:4:47: CNC001 ") and "U+000A" in lines[0]
    assert lines[1].startswith(f"{spec}:5:35: CNC001 ") and "U+2028" in lines[1]
    assert lines[2] == "2 errors in 1 of 1 file"
