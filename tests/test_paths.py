"""Paths as given on the command line: one that yields no spec, a symbolic link loop, and
`-o` never writing over what was read (and always writing whole)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import cli
from needs import needs_module

GOOD = "name: good\ninput: {features: 16}\nlayers:\n  - {type: dense, units: 8, activation: relu}\n"
BAD = "name: bad\ninput: {h: 4, w: 4, c: 3}\nlayers:\n  - {type: conv, filters: 6, kernel: 5}\n"
NOT_A_SPEC = "jobs:\n  build: {runs-on: ubuntu-latest}\n"


def one_line(stderr: str, path: str, *words: str, at: str = "") -> str:
    """The single `path: message` line a bad path must give: about the file as a whole, so
    no position (`at`, `:1:1`, where one is given)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"{path}{at}: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# A named path that yields no spec.


@pytest.mark.parametrize("layout", ["empty", "no-spec-yaml", "only-hidden", "folder-named-yaml"])
def test_a_named_folder_without_a_spec_is_an_error(tmp_path: Path, layout: str) -> None:
    name = "x.yaml" if layout == "folder-named-yaml" else "typo_dir"
    folder = tmp_path / name
    folder.mkdir()
    if layout == "no-spec-yaml":
        (folder / "ci.yaml").write_text(NOT_A_SPEC)
        (folder / "notes.txt").write_text(GOOD)
    elif layout == "only-hidden":
        (folder / ".hidden").mkdir()
        (folder / ".hidden" / "net.yaml").write_text(GOOD)
    code, out, err = cli("check", name, cwd=tmp_path)
    assert code == 2 and out == ""
    one_line(err, name, "no spec")
    # Beside a folder that does hold specs, still an error: a CI path typo must not go green.
    (tmp_path / "good.yaml").write_text(GOOD)
    code, _, err = cli("check", "good.yaml", name, cwd=tmp_path)
    assert code == 2
    one_line(err, name, "no spec")


def test_specs_only_skips_what_holds_no_spec(tmp_path: Path) -> None:
    # pre-commit hands over every YAML file; skipping those that are not specs is the point.
    (tmp_path / "empty").mkdir()
    (tmp_path / "ci.yaml").write_text(NOT_A_SPEC)
    code, out, err = cli("check", "--specs-only", "empty", "ci.yaml", cwd=tmp_path)
    assert (code, err) == (0, "") and out == "no problems in 0 files\n"


# Symbolic link loops: said as such, for every command that reads a spec.


@pytest.fixture
def loop(tmp_path: Path) -> Path:
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    (tmp_path / "good.yaml").write_text(GOOD)
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("table", "loop.yaml"),
        ("check", "loop.yaml"),
        ("diff", "loop.yaml", "good.yaml"),
        ("diff", "good.yaml", "a.yaml"),
        ("verify", "loop.yaml"),
    ],
)
def test_a_symlink_loop_is_named_not_missing(loop: Path, args: tuple[str, ...]) -> None:
    if args[0] == "verify":
        needs_module("torch")
    code, _, err = cli(*args, cwd=loop)
    assert code == 2
    message = one_line(err, args[-1] if "a.yaml" in args else "loop.yaml", "symbolic link loop")
    assert "no such file" not in message


def test_a_broken_symlink_names_its_target(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").symlink_to("moved/net.yaml")
    for command in ("table", "check"):
        code, _, err = cli(command, "net.yaml", cwd=tmp_path)
        assert code == 2
        one_line(err, "net.yaml", "broken symbolic link", "moved/net.yaml")


def test_a_symlink_loop_inside_a_folder_is_a_finding_that_says_so(loop: Path) -> None:
    (loop / "models").mkdir()
    (loop / "models" / "good.yaml").write_text(GOOD)
    (loop / "models" / "loop.yaml").symlink_to("loop.yaml")
    code, out, _ = cli("check", "models", cwd=loop)
    assert code == 1
    assert "models/loop.yaml:1:1: CNC001" in out and "symbolic link loop" in out


# -o: never over an input, always whole.


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "good.yaml").write_text(GOOD)
    (tmp_path / "models" / "bad.yaml").write_text(BAD)
    (tmp_path / "pyproject.toml").write_text('[tool.cnncalc]\nignore = ["CNC104"]\n')
    (tmp_path / ".git").mkdir()  # the repository root: the config search stops here
    return tmp_path


def _snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.mark.parametrize(
    ("named", "output"),
    [
        ("models/good.yaml", "models/good.yaml"),
        ("models/good.yaml", "./models/../models/good.yaml"),
        ("models", "models/bad.yaml"),  # found in the folder, not named
        ("models/good.yaml", "link.yaml"),  # a symbolic link to it
        ("models/good.yaml", "hard.yaml"),  # a hard link to it
        ("models/good.yaml", "pyproject.toml"),  # the configuration read
    ],
)
def test_the_report_is_never_written_over_an_input(specs: Path, named: str, output: str) -> None:
    (specs / "link.yaml").symlink_to("models/good.yaml")
    os.link(specs / "models" / "good.yaml", specs / "hard.yaml")
    before = _snapshot(specs)
    for fmt in ("text", "sarif"):
        code, out, err = cli("check", named, "-f", fmt, "-o", output, cwd=specs)
        assert code == 2 and out == ""
        one_line(err, output, "input", at=":1:1")
        assert _snapshot(specs) == before


def test_the_report_is_written_whole_or_not_at_all(specs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = specs / "report.txt"
    code, _, _ = cli("check", "models", "-o", "report.txt", cwd=specs)
    assert code == 1 and report.read_text().endswith("1 error in 1 of 2 files\n")
    os.chmod(report, 0o640)
    before = _snapshot(specs)
    import cnncalc.output

    # A report that fails half-way through writing (a character UTF-8 cannot encode).
    monkeypatch.setattr(cnncalc.output, "renderer", lambda what, name: lambda result: "x" * 100_000 + "\ud800")
    code, _, _ = cli("check", "models", "-o", "report.txt", cwd=specs)
    assert code != 0
    assert _snapshot(specs) == before  # the old report as it was, no temporary file left
    monkeypatch.undo()
    code, _, _ = cli("check", "models/good.yaml", "-o", "report.txt", cwd=specs)
    assert code == 0 and report.read_text() == "no problems in 1 file\n"
    assert report.stat().st_mode & 0o777 == 0o640  # a rewritten report keeps its permissions
    code, _, _ = cli("check", "models/good.yaml", "-o", "new.txt", cwd=specs)
    umask = os.umask(0)
    os.umask(umask)
    assert (specs / "new.txt").stat().st_mode & 0o777 == 0o666 & ~umask  # a new one, as open() makes it
