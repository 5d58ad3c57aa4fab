"""`cnncalc import` on every torchvision classification builder: exact, gaps, or an error.

    python benchmarks/import_sweep.py                  # every builder (swin_* and maxvit_t aside)
    python benchmarks/import_sweep.py convnext_tiny vgg11_bn
    python benchmarks/import_sweep.py --all            # swin_* and maxvit_t too

A survey, not a test (tests/test_import_torch.py holds one model of each family that
imports to a round trip). Each builder (`torchvision.models.list_models(module=torchvision.models)`,
weights=None) is imported, as `cnncalc import torchvision.models:NAME --shape ...` does, in a
subprocess of its own (a bounded time, and memory given back), at the smallest input its
code takes where that is quick to find (the counts are exact at any size: the importer
checks its spec against PyTorch's params, buffers, MACs and every layer's shape). Prints one
row per builder: `exact` (with the spec's line count), `gaps` (each distinct op and reason,
with how many times), or `error` (the message import exits 2 with).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

# Builders another piece of work covers (window attention), left out unless --all.
ELSEWHERE = ("swin_", "maxvit_")
# The input each family needs: ViT's position table is for its image size; Inception v3's
# stem and GoogLeNet's pools need 75 and more; the rest take 64x64 (32x32 where quick).
SHAPES: dict[str, tuple[int, ...]] = {"vit_": (3, 224, 224), "inception_v3": (3, 75, 75), "maxvit_t": (3, 224, 224)}
DEFAULT_SHAPE = (3, 64, 64)
# GoogLeNet and Inception v3 as the zoo builds them: no auxiliary heads, no slow init.
ARGS: dict[str, dict[str, Any]] = {
    "googlenet": {"aux_logits": False, "init_weights": False},
    "inception_v3": {"aux_logits": False, "init_weights": False},
}


def shape_of(name: str) -> tuple[int, ...]:
    return next((s for prefix, s in SHAPES.items() if name.startswith(prefix)), DEFAULT_SHAPE)


def one(name: str) -> dict[str, Any]:
    """Import one builder in this process: {"status", "detail", "lines"}."""
    from torchvision_models import import_torchvision

    import_torchvision()
    from cnncalc.importers.torch_code import ImportFailed, ImportGaps, import_source

    try:
        text = import_source(f"torchvision.models:{name}", shape_of(name), None, ARGS.get(name, {}))
    except ImportGaps as gaps:
        # Each gap without its module path, and a parameter's path inside the reason shortened,
        # so that one kind of gap counts once.
        reasons = Counter(re.sub(r"\S*\.\d+\.\S*\w", "…", g.split(": ", 1)[1]) for g in gaps.gaps)
        return {"status": "gaps", "detail": "; ".join(f"{n} x {r}" for r, n in reasons.items())}
    except ImportFailed as failed:
        return {"status": "error", "detail": str(failed)}
    return {"status": "exact", "detail": "", "lines": len(text.splitlines())}


def run(name: str, timeout: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", name]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"status": "error", "detail": f"no answer in {timeout} s"}
    if done.returncode != 0 or not done.stdout.strip():
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"status": "error", "detail": f"a crash (a bug): {last}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("names", nargs="*", help="builders (default: every one)")
    parser.add_argument("--all", action="store_true", help="swin_* and maxvit_t too")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per builder")
    options = parser.parse_args()
    if options.one:
        print(json.dumps(one(options.one)))
        return
    from torchvision_models import import_torchvision

    tv = import_torchvision()
    names = options.names or [
        n for n in tv.models.list_models(module=tv.models) if options.all or not n.startswith(ELSEWHERE)
    ]
    print(f"{'model':<20} {'input':<10} {'result':<6} detail")
    for name in names:
        result = run(name, options.timeout)
        detail = f"{result['lines']} lines" if result["status"] == "exact" else result["detail"]
        size = "x".join(map(str, shape_of(name)))
        print(f"{name:<20} {size:<10} {result['status']:<6} {detail}", flush=True)


if __name__ == "__main__":
    main()
