"""cnncalc's presets and memory peak against the real tools on torchvision's OWN modules.

    python benchmarks/real_models.py                        # every torchvision zoo spec
    python benchmarks/real_models.py resnet18 vit_b_16      # some of them
    python benchmarks/real_models.py --tools ptflops,thop --no-memory

A measurement, not a test (issue 22 lists the drifts it shows; the tests hold cnncalc to
the `--verify` builder's modules, which are written the way the presets assume). For each
zoo spec that is a torchvision model it builds torchvision's module (weights=None, as
tests/torchvision_models.py imports it), runs every preset's real tool on it at batch 1 at
the spec's input size, and prints the preset's count minus the tool's ("=" where equal);
then the peaks at batch 8, float32, CPU: inference and a training step with SGD and with
Adam, cnncalc's against the tensor-level tracker (cnncalc/memory_tracker.py, the protocol
tests/test_memory.py uses). `--memory-only` skips the tools.

Each tool runs as a user runs it by default: FlopCounterMode as docs/conventions says
(gradients on, math attention, oneDNN off); fvcore's FlopCountAnalysis(...).total();
ptflops' get_model_complexity_info (default backend, with count_functional off, and the
aten backend: its three presets); thop.profile; torchinfo.summary's total_mult_adds;
calflops' calculate_flops(model, input_shape=...), which runs with gradients on.
The presets' numbers are `cnncalc counters SPEC -f json`.

Needs the test requirements (requirements-test.txt); takes a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import torch  # noqa: E402
from real_tools import TOOLS, quiet  # noqa: E402
from torchvision_models import ZOO, build, import_torchvision  # noqa: E402

from cnncalc.engine import Trace, propagate  # noqa: E402
from cnncalc.spec import load_spec  # noqa: E402

BATCH_MEMORY = 8


def trace_of(name: str, batch: int = 1) -> Trace:
    path = str(ROOT / "specs" / f"{name}.yaml")
    return propagate(load_spec(path), path, batch=batch)


def preset_counts(name: str) -> dict[str, int]:
    """`cnncalc counters SPEC -f json`, as a user gets it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "cnncalc", "counters", str(ROOT / "specs" / f"{name}.yaml"), "-f", "json"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env, cwd=ROOT, timeout=120).stdout
    return {c["name"]: int(c["count"]) for c in json.loads(out)["counters"]}


MEMORY = ("inference", "sgd", "adam")  # the peaks measured: one forward, and a training step with each


def memory(name: str, tv: Any) -> list[tuple[int, int]]:
    """cnncalc's peaks and the tracker's on torchvision's module, batch 8: inference, then a
    training step with SGD and with Adam (the second of two, as tests/test_memory.py)."""
    from cnncalc.analysis.memory import inference_peak, training_peak
    from cnncalc.memory_tracker import inference_peak as measured_inference
    from cnncalc.memory_tracker import training_peak as measured_training

    trace = trace_of(name, BATCH_MEMORY)
    torch.manual_seed(0)
    module = build(name, tv)
    x = torch.randn(BATCH_MEMORY, *trace.nodes[0].output)
    found = [(inference_peak(trace.nodes, BATCH_MEMORY).total, measured_inference(module, x).peak)]
    for optimizer in MEMORY[1:]:
        found.append(
            (training_peak(trace.nodes, BATCH_MEMORY, optimizer).total, measured_training(module, x, optimizer).peak)
        )
    return found


def memory_cell(ours: int, theirs: int) -> str:
    return f"{ours:,} / {theirs:,} ({(ours - theirs) / theirs:+.1%})"


def cell(preset: int, real: int) -> str:
    if preset == real:
        return "="
    return f"{preset - real:+,} ({(preset - real) / real:+.2%})" if real else f"{preset - real:+,} (tool 0)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=list(ZOO), help="zoo specs (default: every torchvision one)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated presets to check")
    parser.add_argument("--no-memory", action="store_true", help="skip the batch-8 memory peaks")
    parser.add_argument("--memory-only", action="store_true", help="only the batch-8 memory peaks, no tools")
    options = parser.parse_args()
    tools = [] if options.memory_only else [t for t in options.tools.split(",") if t]
    tv = import_torchvision()
    torch.set_grad_enabled(True)

    print(f"torch {torch.__version__}, torchvision {tv.__version__}; cells: preset - real tool, '=' when equal\n")
    peaks = [] if options.no_memory else [f"{what} peak b8: cnncalc / tracker" for what in MEMORY]
    print("| model | " + " | ".join([*tools, *peaks]) + " |")
    print("|---" * (len(tools) + 1 + len(peaks)) + "|")
    for name in options.models:
        presets = preset_counts(name) if tools else {}
        shape = tuple(trace_of(name).nodes[0].output)
        cells = []
        for tool in tools:
            torch.manual_seed(0)
            module = build(name, tv).eval()  # a fresh one per tool: some leave hooks or buffers behind
            try:
                with quiet():
                    real = TOOLS[tool](module, shape)
                cells.append(cell(presets[tool], real))
            except Exception as error:  # a tool that fails on a model is a finding too
                cells.append(f"fails: {type(error).__name__}")
        if not options.no_memory:
            cells += [memory_cell(ours, theirs) for ours, theirs in memory(name, tv)]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
