"""The `cnncalc` pre-commit hook, run for real by pre-commit on a temporary git repository.

The hook definition comes from the repository's .pre-commit-hooks.yaml. By default it
runs as a `repo: local` hook against the installed cnncalc, so nothing is installed at
test time; with CNNCALC_PRECOMMIT_REMOTE=1 the config names this checkout at its HEAD
commit instead, and pre-commit clones and installs it as a user's would (network).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from needs import needs_executable

ROOT = Path(__file__).parent.parent
GOOD = "name: good\ninput: {features: 16}\nlayers:\n  - {type: dense, units: 8, activation: relu}\n"
BAD = (
    "name: bad\ninput: {h: 4, w: 4, c: 3}\nlayers:\n"
    "  - {type: conv, filters: 8, kernel: 3}\n"
    "  - {type: conv, filters: 6, kernel: 5}\n"
)
WORKFLOW = "on: push\njobs:\n  test: {runs-on: ubuntu-latest, steps: [{run: pytest}]}\n"

PRE_COMMIT = needs_executable("pre-commit")  # a skip without it, a failure in CI


def _hook(hook_id: str) -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return next(h for h in hooks if h["id"] == hook_id)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def _config(remote: bool) -> dict[str, Any]:
    if remote:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
        )
        return {"repos": [{"repo": str(ROOT), "rev": head.stdout.strip(), "hooks": [{"id": "cnncalc"}]}]}
    hook = dict(_hook("cnncalc"))
    # The local hook runs the installed cnncalc: `language: system` instead of building a venv.
    hook["language"] = "system"
    hook.pop("additional_dependencies", None)
    if shutil.which("cnncalc") is None:
        hook["entry"] = hook["entry"].replace("cnncalc", f"{sys.executable} -m cnncalc", 1)
    return {"repos": [{"repo": "local", "hooks": [hook]}]}


def _run(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PRE_COMMIT, "run", "--all-files", "--color", "never"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_the_hook_passes_a_good_spec_and_fails_a_bad_one_with_its_position(tmp_path: Path) -> None:
    remote = os.environ.get("CNNCALC_PRECOMMIT_REMOTE") == "1"
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    (repo / ".github" / "workflows").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(_config(remote), sort_keys=False))
    (repo / "models" / "good.yaml").write_text(GOOD)
    (repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)  # YAML, but not a spec
    _git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PRE_COMMIT_COLOR": "never"}

    clean = _run(repo, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "cnncalc check" in clean.stdout and "Passed" in clean.stdout

    (repo / "models" / "bad.yaml").write_text(BAD)
    _git(repo, "add", "-A")
    failed = _run(repo, env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    # The second conv's 5x5 kernel on the first conv's 2x2 output: (2 + 0 - 5)/1 + 1 = -2.
    assert "models/bad.yaml:5:" in failed.stdout and "CNC101" in failed.stdout
    assert "good.yaml:" not in failed.stdout and "ci.yml" not in failed.stdout
    # pre-commit leaves the files as they were: check never writes.
    assert (repo / "models" / "bad.yaml").read_text() == BAD
