"""Paths in the CI formats (GitHub annotations, JUnit, SARIF) are relative to the repository
root, as GitHub, GitLab and Jenkins place files, whichever folder `check` runs in; run from
outside any repository, the root is the repository holding the specs. JUnit fails only
on error-level findings, as `check`'s exit code does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import invoke

# CNC104 (a warning) at line 4, column 5; CNC112 (an error) at line 8, column 16.
SPEC = """\
name: mixed
input: {h: 7, w: 7, c: 3}
layers:
  - {name: pool, type: maxpool, kernel: 2}
  - {type: flatten}
  - {name: fc, type: dense, units: 10}
expect:
  fc: {params: 99}
"""
WARN_ONLY = SPEC.split("expect:")[0]  # CNC104 only
WANT = "models/sub/net.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "models" / "sub").mkdir(parents=True)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=60)
    else:
        (root / ".git").mkdir()
    (root / "models" / "sub" / "net.yaml").write_text(SPEC)
    (root / "models" / "sub" / "warn.yaml").write_text(WARN_ONLY)
    return root


def check(*args: str, cwd: Path) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = invoke(["check", *args])
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    return result.exit_code, result.stdout


def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    if any((f / ".git").exists() for f in [folder, *folder.parents]):
        pytest.skip("the temporary folder is inside a repository")
    return folder


def places(repo: Path, tmp_path: Path) -> list[tuple[Path, str]]:
    """(current folder, the path named): a subfolder of the repository, and outside it."""
    return [(repo / "models", "sub/net.yaml"), (outside(tmp_path), "../repo/models/sub/net.yaml")]


def test_github_annotations_name_the_file_from_the_repository_root(repo: Path, tmp_path: Path) -> None:
    for cwd, named in places(repo, tmp_path):
        code, out = check("-f", "github", named, cwd=cwd)
        assert code == 1
        lines = out.splitlines()
        assert lines[0].startswith(f"::warning file={WANT},line=4,col=5,title=CNC104 floor-drops-pixels::"), cwd
        assert lines[1].startswith(f"::error file={WANT},line=8,col=16,title=CNC112 false-claim::"), cwd


def test_junit_paths_from_the_repository_root(repo: Path, tmp_path: Path) -> None:
    for cwd, named in places(repo, tmp_path):
        _, out = check("-f", "junit", named, cwd=cwd)
        suite = ET.fromstring(out).find("testsuite")
        assert suite is not None
        assert suite.get("name") == WANT, cwd
        cases = suite.findall("testcase")
        assert [(c.get("classname"), c.get("file"), c.get("line")) for c in cases] == [
            (WANT, WANT, "4"),
            (WANT, WANT, "8"),
        ]
        assert cases[0].get("name") == f"CNC104 floor-drops-pixels at {WANT}:4:5 (warning)"
        failure = cases[1].find("failure")
        assert failure is not None and failure.text == f"{WANT}:8:16: CNC112 fc params: claimed 99, computed 280"


def test_sarif_root_is_the_repository_from_a_subfolder_and_from_outside(repo: Path, tmp_path: Path) -> None:
    for cwd, named in places(repo, tmp_path):
        _, out = check("-f", "sarif", named, cwd=cwd)
        run = json.loads(out)["runs"][0]
        assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file://" + str(repo.resolve()) + "/"}}, cwd
        uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
        assert uris == [{"uri": WANT, "uriBaseId": "%SRCROOT%"}] * 2, cwd


def test_junit_warnings_are_not_failures(repo: Path) -> None:
    code, out = check("-f", "junit", "sub/warn.yaml", cwd=repo / "models")
    assert code == 0  # a warning does not fail `check`, so it fails no test either
    suites = ET.fromstring(out)
    assert suites.get("failures") == "0" and suites.get("tests") == "1"
    case = suites.find("testsuite/testcase")
    assert case is not None and case.find("failure") is None
    shown = case.find("system-out")
    assert shown is not None and shown.text is not None
    assert shown.text.startswith("warning: models/sub/warn.yaml:4:5: CNC104 maxpool 'pool':")
