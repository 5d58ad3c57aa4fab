"""What many test files need, written once: a spec's trace, its one error, and a run of the
command line, in this process or as a user runs it. Imported as `from helpers import ...` (tests/ is on the path,
as for `needs` and `randomness`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.engine import Trace, propagate
from cnncalc.errors import SpecError
from cnncalc.spec import loads_spec

if TYPE_CHECKING:
    from cnncalc.verify import Verification

ROOT = Path(__file__).resolve().parents[1]
# The file name a spec given as text is reported under.
SPEC_NAME = "net.yaml"
# A wide terminal without colour: rows that do not wrap and no escape codes to match.
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


def trace_of(text: str, path: str = SPEC_NAME, batch: int = 1) -> Trace:
    """The trace of a spec given as text, as `cnncalc table` propagates it."""
    return propagate(loads_spec(text, path), path, batch=batch)


def error_of(text: str, path: str = SPEC_NAME) -> str:
    """The one diagnostic of a spec that cannot be used: `file:line:col: message`."""
    with pytest.raises(SpecError) as caught:
        trace_of(text, path)
    assert len(caught.value.diagnostics) == 1, caught.value.diagnostics
    return str(caught.value.diagnostics[0])


def errors_of(text: str, path: str = SPEC_NAME) -> str:
    """Every diagnostic of a spec that cannot be used, one a line."""
    with pytest.raises(SpecError) as caught:
        trace_of(text, path)
    return str(caught.value)


@contextmanager
def working_directory(cwd: Path | None) -> Iterator[None]:
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(old)


def invoke(args: Sequence[str], *, cwd: Path | None = None, **options: Any) -> Result:
    """`cnncalc ARGS` run in this process (typer's CliRunner), from `cwd` when given;
    `options` go to CliRunner.invoke (env, input, ...)."""
    with working_directory(cwd):
        return CliRunner().invoke(app, list(args), **options)


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`cnncalc ARGS` in this process: the exit code, stdout and stderr."""
    result = invoke(args, cwd=cwd, env=env)
    return result.exit_code, result.stdout, result.stderr


def wide_cli(*args: str) -> tuple[int, str, str]:
    """`cli` on a wide terminal without colour (`WIDE`)."""
    return cli(*args, env=WIDE)


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m cnncalc ARGS` in a process of its own, as a user runs it, importing this
    checkout; `env` is added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "cnncalc", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        check=False,
        timeout=120,
    )


def kinds_the_kinds_specs_use() -> set[str]:
    """The kinds (and `activation:` kinds) of the specs in tests/data/kinds, which
    tests/conventions/test_conventions_tools.py runs through the real tools."""
    from cnncalc.spec import load_spec

    used: set[str] = set()
    for path in sorted((ROOT / "tests" / "data" / "kinds").glob("*.yaml")):
        trace = propagate(load_spec(path), str(path))
        used |= {n.kind for n in trace.nodes}
        used |= {a for n in trace.nodes if isinstance(a := getattr(n.layer, "activation", None), str)}
    return used


def explain(result: Verification, spec: str = "") -> str:
    """Each difference `--verify` found, one a line, then the spec."""
    rows = [f"{d.label} {d.field}: cnncalc {d.computed!r}, torch {d.torch!r}" for d in result.differences()]
    return "\n".join([*rows, spec])


def assert_agrees(trace: Trace, device: str = "cpu", spec: str = "") -> Verification:
    """`--verify`: every node built in PyTorch and run gives cnncalc's numbers."""
    from cnncalc.verify import verify  # torch, only for the tests that need it

    result = verify(trace, device)
    assert result.agrees, explain(result, spec)
    assert result.checked == len(trace.layer_nodes)  # every node was built and run
    return result


# Fixtures mark where an error must be reported with `@@` (removed before parsing).
MARK = "@@"


def position(text: str) -> tuple[str, int, int]:
    """The fixture without its `@@` mark, and the 1-based line and column of the mark."""
    index = text.index(MARK)
    before = text[:index]
    return text.replace(MARK, "", 1), before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def assert_error_at_mark(marked: str, *words: str) -> str:
    """The one message of the spec `marked`, at its `@@` mark, holding each of `words`."""
    import pytest

    from cnncalc.errors import SpecError

    text, line, col = position(marked)
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    message = str(caught.value)
    assert message.startswith(f"{SPEC_NAME}:{line}:{col}: "), (message, (line, col))
    for word in words:
        assert word in message, (word, message)
    return message


def tracker_training_peak(trace: Trace, batch: int, optimizer: str) -> int:
    """The tracker's peak of the second training step of the module cnncalc builds for
    `trace`, on the CPU (cnncalc/memory_tracker.py)."""
    from needs import needs_module

    torch = needs_module("torch")
    from cnncalc.memory_tracker import training_peak as measured_training
    from cnncalc.verify import build_module, sample_input

    torch.manual_seed(0)
    peak: int = measured_training(build_module(trace), sample_input(trace, batch, "cpu"), optimizer).peak
    return peak


def assert_trains_within_5_percent(trace: Trace, batch: int, optimizer: str) -> None:
    """cnncalc's training-step peak for `trace` within 5% of the tracker's on its built module."""
    from cnncalc.analysis.memory import training_peak

    ours, theirs = training_peak(trace.nodes, batch, optimizer).total, tracker_training_peak(trace, batch, optimizer)
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, PyTorch {theirs:,} B"


def check_readme_block(block: str) -> int:
    """Run each `$ cnncalc ...` line of a README code block (paths under tests/data/ taken
    from this checkout) and assert that every other line is a line the command before it
    printed (piped: unwrapped); the number of lines so checked."""
    printed: list[str] = []
    shown = 0
    for line in block.strip().splitlines():
        if line.startswith("$ cnncalc "):
            args = line.removeprefix("$ cnncalc ").replace("tests/data/", f"{ROOT}/tests/data/").split()
            result = invoke(args)
            assert result.exit_code == 0, result.output
            printed = result.output.splitlines()
        else:
            assert line in printed, line
            shown += 1
    return shown
