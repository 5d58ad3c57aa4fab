"""Suite-wide settings and hooks: no inherited COLUMNS, say plainly what did not run, and how to
replay what ran at random."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import randomness


def pytest_configure(config: pytest.Config) -> None:
    """Make `import torchvision` work for every test, not only those that ask for it: the
    real counting tools (ptflops, and transformers under calflops) import it themselves when
    it is installed, and on this CPU build of torch its plain import fails (see
    tests/torchvision_models.py). Nothing to do where torch or torchvision is missing."""
    from torchvision_models import import_torchvision

    with contextlib.suppress(ImportError):
        import_torchvision()


# The skip reason of every test that needs a GPU (tests/verify/test_verify_zoo.py).
NEEDS_CUDA = "needs a CUDA device"


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """One line for the GPU tests skipped for want of a GPU, so a green run on a CPU-only
    machine (CI's) does not read as 'CUDA verified'; one for the property tests' seed."""
    skipped = terminalreporter.stats.get("skipped", [])
    cuda = [r for r in skipped if NEEDS_CUDA in _skip_reason(r)]
    if cuda:
        terminalreporter.write_sep("-", "not run here")
        terminalreporter.write_line(
            f"{len(cuda)} CUDA test{'s' if len(cuda) != 1 else ''} skipped: no CUDA device on this machine "
            "(torch.cuda.is_available() is False); `cnncalc verify --device cuda` is untested by this run."
        )
    # Always, so that a failing CI run shows how to replay its random examples.
    terminalreporter.write_sep("-", "random examples")
    terminalreporter.write_line(randomness.summary())


@pytest.fixture(autouse=True)
def _no_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # Piped output fits COLUMNS when it is set (see test_width.py); a shell that exports it
    # must not change what the other tests read. A test that wants a width passes it itself.
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
