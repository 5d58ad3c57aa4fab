"""The `cnncalc` pre-commit hook, run for real by pre-commit on a temporary git repository.

The hook definition comes from the repository's .pre-commit-hooks.yaml. By default it
runs as a `repo: local` hook against the installed cnncalc, so nothing is installed at
test time; with CNNCALC_PRECOMMIT_REMOTE=1 the config names this checkout at its HEAD
commit instead, and pre-commit clones and installs it as a user's would (network).
"""

from __future__ import annotations

import os
import re
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


# The README's snippet and the one in .pre-commit-hooks.yaml's comment: one config, word for word.
PLACEHOLDER_URL = "<the URL of this repository>"
PLACEHOLDER_REV = "PIN-ME"  # what `pre-commit autoupdate` replaces (one word: it rewrites one)
CPU_INDEX = "--extra-index-url=https://download.pytorch.org/whl/cpu"


def _readme_snippet() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("```yaml\n# .pre-commit-config.yaml\n", 1)[1].split("```", 1)[0]


def _hooks_file_snippet() -> str:
    comment = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8").split("\n- id:", 1)[0]
    lines = [line[4:] for line in comment.splitlines() if line.startswith("#   ")]
    return "".join(f"{line}\n" for line in lines)


def _rev_line(config: str) -> str:
    return next(line for line in config.splitlines() if line.strip().startswith("rev:"))


def test_the_snippets_are_one_config_naming_hooks_that_exist() -> None:
    readme, hooks_file = _readme_snippet(), _hooks_file_snippet()
    assert readme == hooks_file, "README.md and .pre-commit-hooks.yaml show different snippets"
    config = yaml.safe_load(readme)
    (repo,) = config["repos"]
    assert repo["repo"] == PLACEHOLDER_URL
    named = re.findall(r"- id: ([\w-]+)", readme)  # the commented-out one too
    defined = [hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))]
    assert named == defined
    manual = "pre-commit run --hook-stage manual cnncalc-verify"
    assert manual in readme and "manual" in _hook("cnncalc-verify")["stages"]


def test_the_snippets_rev_is_a_real_one_or_what_autoupdate_fills_in() -> None:
    rev = yaml.safe_load(_readme_snippet())["repos"][0]["rev"]
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True, timeout=60
    )
    assert rev == PLACEHOLDER_REV or found.returncode == 0, f"rev: {rev} is no tag or commit of this repository"


def test_autoupdate_pins_the_snippets_rev_to_a_commit_then_to_a_tag(tmp_path: Path) -> None:
    # The hook repository as a user's pre-commit fetches it: this checkout's hook file, committed,
    # no tag (none is pushed yet). A local path, so that nothing is fetched from the network.
    hooks = tmp_path / "cnncalc"
    hooks.mkdir()
    _git(hooks, "init", "-q")
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks / ".pre-commit-hooks.yaml")
    _git(hooks, "add", "-A")
    _git(hooks, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "hooks")
    user = tmp_path / "user"
    user.mkdir()
    _git(user, "init", "-q")
    config = user / ".pre-commit-config.yaml"
    config.write_text(_readme_snippet().replace(PLACEHOLDER_URL, str(hooks)), encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PRE_COMMIT_COLOR": "never"}

    def autoupdate() -> str:
        done = subprocess.run(
            [PRE_COMMIT, "autoupdate"], cwd=user, capture_output=True, text=True, env=env, timeout=600, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        valid = subprocess.run(
            [PRE_COMMIT, "validate-config", ".pre-commit-config.yaml"],
            cwd=user,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        assert valid.returncode == 0, valid.stdout + valid.stderr
        return str(yaml.safe_load(config.read_text(encoding="utf-8"))["repos"][0]["rev"])

    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True, text=True, check=True, timeout=60
    )
    assert autoupdate() == head.stdout.strip()
    # The rest of the line (its comment) survives the rewrite.
    assert (
        _rev_line(config.read_text(encoding="utf-8")).split("#", 1)[1] == _rev_line(_readme_snippet()).split("#", 1)[1]
    )
    _git(hooks, "tag", "v0.1.0")
    assert autoupdate() == "v0.1.0"


def test_the_verify_hook_installs_torch_from_pytorchs_cpu_index() -> None:
    # pre-commit runs `pip install . <additional_dependencies>` in the hook's environment.
    dependencies = _hook("cnncalc-verify")["additional_dependencies"]
    assert CPU_INDEX in dependencies, "without the CPU index pip takes PyPI's multi-GB CUDA build"
    # Each item is one argument to pip: an option and its value must be one word.
    assert all(" " not in item for item in dependencies)
    from pip._internal.commands import create_command

    options, requirements = create_command("install").parse_args([".", *dependencies])
    assert CPU_INDEX.split("=", 1)[1] in options.extra_index_urls
    # An extra index, not in place of PyPI, which serves cnncalc's own dependencies.
    assert not [item for item in dependencies if item.startswith(("--index-url", "-i"))]
    # The same torch range as the package's `torch` extra.
    extra = re.search(r'torch = \["([^"]+)"\]', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert extra and requirements == [".", extra[1]]


def test_the_hooks_arguments_are_options_of_their_commands() -> None:
    import typer.main

    from cnncalc.cli import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")):
        program, name = hook["entry"].split()
        assert program == "cnncalc"
        options = {o for p in commands[name].params for o in (*p.opts, *p.secondary_opts)}
        assert set(hook.get("args", [])) <= options, hook["id"]
