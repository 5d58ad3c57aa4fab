"""benchmarks/import_sweep.py, the survey of `cnncalc import` over torchvision's classification
builders, runs and reports a row per builder (the whole sweep takes minutes: one builder here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from torchvision_models import needs_torchvision

ROOT = Path(__file__).resolve().parent.parent


def test_the_sweep_reports_an_exact_import() -> None:
    needs_torchvision()
    command = [sys.executable, str(ROOT / "benchmarks" / "import_sweep.py"), "squeezenet1_1"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header.split() == ["model", "input", "result", "detail"]
    assert row.split()[:3] == ["squeezenet1_1", "3x64x64", "exact"]
