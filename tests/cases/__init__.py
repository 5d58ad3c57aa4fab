"""One case file per layer kind: `tests/cases/<kind>.py`, named by the kind's `type:`.

Worked examples for every layer kind, computed by hand from the formulas in
docs/conventions (the course's `floor((n + 2p - d(f - 1) - 1) / s) + 1` and friends).
tests/layers/test_layer_kinds.py checks each one against cnncalc, runs it through the
engine, and checks it against PyTorch itself.

A case file holds:
- `CASES`: its hand-worked cases, YAML as in a spec (a list; to add one, copy one and
  change it). Each case has:
  about:   what it shows, in a few words
  input:   one sample's dimensions, as in a spec's `input:` ({h, w, c}, {l, c},
           {d, h, w, c} or {features}); `inputs:` with a list for two-input layers
  layer:   the layer exactly as written in a spec
  shape:   the output in the course's order: [H, W, C], [L, C], [D, H, W, C] or [N]
  trainable, non_trainable, buffers: parameter and buffer counts (the last two
           default to 0)
  macs:    multiply-accumulates for one sample
  Write the arithmetic beside each number: the numbers must come from the formulas,
  never from cnncalc's output.
- `torch_modules()`: the PyTorch module a user would write for each case, by its `about`
  (torch imported inside; never cnncalc's own builders); a composite instead has
  `torch_networks()`: spec layers, an input and the PyTorch for each.
- `RANDOM`: the ranges random specs draw the kind from, and the layouts it reads
  (tests/cases/_random.py).

The presets meet the real tools on the specs in tests/data/kinds; a kind none of them
uses meets them on its cases instead (tests/conventions/test_conventions_tools.py).

The generic tests (tests/layers/test_layer_kinds.py, tests/layers/test_torch_reference.py,
tests/layers/test_passes.py, the random tests against PyTorch) read every case file through
`case_files()` and `all_cases()`; tests/layers/test_layer_kinds.py checks that every registered
kind has a case file and every case file names a registered kind.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

HERE = Path(__file__).parent


@cache
def case_files() -> dict[str, ModuleType]:
    """kind -> its case file (module), for every `tests/cases/<kind>.py`."""
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_"))
    return {name: importlib.import_module(f"cases.{name}") for name in names}


@cache
def cases_of(kind: str) -> tuple[dict[str, Any], ...]:
    """One kind's hand-worked cases, parsed from its case file's YAML."""
    parsed = yaml.safe_load(case_files()[kind].CASES) or []
    for case in parsed:
        assert case["layer"]["type"] == kind, f"tests/cases/{kind}.py has a case of {case['layer']['type']}"
    return tuple(parsed)


def all_cases() -> list[dict[str, Any]]:
    """Every kind's cases, kind by kind."""
    return [case for kind in case_files() for case in cases_of(kind)]


def case_id(case: dict[str, Any]) -> str:
    return f"{case['layer']['type']}: {case['about']}"


def one_layer_spec(case: dict[str, Any]) -> str:
    """A spec of one case's layer alone on its input (a case with one `input:`)."""
    dims = ", ".join(f"{k}: {v}" for k, v in case["input"].items())
    layer = yaml.safe_dump(case["layer"], default_flow_style=True, width=1000).strip()
    return f"name: case\ninput: {{{dims}}}\nlayers:\n  - {layer}\n"
