"""SARIF artifact URIs as GitHub code scanning maps them: relative to the repository root
(`%SRCROOT%` in `originalUriBaseIds`), whichever folder cnncalc runs in, percent-encoded
(RFC 3986), and valid against the OASIS SARIF 2.1.0 schema."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import invoke

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
WARN = "name: warn\ninput: {h: 7, w: 7, c: 3}\nlayers:\n  - {type: maxpool, kernel: 2}\n"


def sarif(*args: str, cwd: Path) -> dict[str, Any]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = invoke(["check", "-f", "sarif", *args])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(document, json.loads(SARIF_SCHEMA.read_text()), cls=jsonschema.Draft7Validator)
    return document


def locations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every artifact location: each result's, then the run's artifacts'."""
    run = document["runs"][0]
    found = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    return found + [a["location"] for a in run["artifacts"]]


def file_uri(folder: Path) -> str:
    """`file:///abs/folder/`, written out by hand: a base URI ends in a slash, as SARIF requires."""
    return "file://" + str(folder.resolve()) + "/"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "sub").mkdir()
    (root / "sub" / "my model,v1.yaml").write_text(WARN)
    (root / "sub" / "réseau.yaml").write_text(WARN)
    (root / "other").mkdir()
    return root


def test_uris_are_relative_to_the_repository_root_from_any_folder(repo: Path) -> None:
    # "my model,v1.yaml": space %20, comma %2C; "réseau.yaml": é is UTF-8 C3 A9.
    want = ["sub/my%20model%2Cv1.yaml", "sub/r%C3%A9seau.yaml"]
    for cwd, named in ((repo, "sub"), (repo / "other", "../sub"), (repo / "sub", ".")):
        document = sarif(named, cwd=cwd)
        run = document["runs"][0]
        assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": file_uri(repo)}}
        found = locations(document)
        assert sorted({f["uri"] for f in found}) == want, cwd
        assert all(f["uriBaseId"] == "%SRCROOT%" for f in found)


def test_a_git_file_marks_the_root_too(repo: Path) -> None:
    # A worktree or a submodule has a `.git` file, not a folder.
    (repo / ".git").rmdir()
    (repo / ".git").write_text("gitdir: /elsewhere\n")
    uris = {f["uri"] for f in locations(sarif(".", cwd=repo / "sub"))}
    assert uris == {"sub/my%20model%2Cv1.yaml", "sub/r%C3%A9seau.yaml"}


def test_root_option(repo: Path) -> None:
    document = sarif("../sub", "--root", "../sub", cwd=repo / "other")
    assert document["runs"][0]["originalUriBaseIds"] == {"%SRCROOT%": {"uri": file_uri(repo / "sub")}}
    assert {f["uri"] for f in locations(document)} == {"my%20model%2Cv1.yaml", "r%C3%A9seau.yaml"}


def test_a_file_outside_the_root_gets_an_absolute_uri(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "a b.yaml"
    outside.parent.mkdir()
    outside.write_text(WARN)
    found = locations(sarif(str(outside), cwd=repo))
    assert {f["uri"] for f in found} == {"file://" + str(outside.parent.resolve()) + "/a%20b.yaml"}
    assert all("uriBaseId" not in f for f in found)


def test_no_repository_the_current_folder_is_the_root(tmp_path: Path) -> None:
    if any((folder / ".git").exists() for folder in [tmp_path, *tmp_path.parents]):
        pytest.skip("the temporary folder is inside a repository")
    (tmp_path / "x.yaml").write_text(WARN)
    document = sarif("x.yaml", cwd=tmp_path)
    assert document["runs"][0]["originalUriBaseIds"] == {"%SRCROOT%": {"uri": file_uri(tmp_path)}}
    assert {f["uri"] for f in locations(document)} == {"x.yaml"}


def test_the_root_is_found_without_running_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("cnncalc ran a process")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    assert {f["uri"] for f in locations(sarif("sub", cwd=repo))} == {"sub/my%20model%2Cv1.yaml", "sub/r%C3%A9seau.yaml"}
