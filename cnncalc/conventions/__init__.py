"""Counting conventions: one module each, mapping the facts layers state to the numbers shown.

A convention module has a `NAME`, a `LINE` that every human report prints to say what was
counted, and `macs(work)` / `flops(work)` over a layer's `Work`. cnncalc's own is
`default`. Other tools' conventions (fvcore, ptflops, thop, ...) are presets, one module
each, listed in `registry.py`: a per-kind table of rules over a node's facts.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# A multiply and an add per multiply-accumulate: FLOPs = 2 x MACs in every report, here only.
FLOPS_PER_MAC = 2


def flops(macs: int) -> int:
    """The FLOPs of `macs` multiply-accumulates."""
    return FLOPS_PER_MAC * macs


# Convention name -> module, imported only when used.
CONVENTIONS: dict[str, str] = {"cnncalc": "cnncalc.conventions.default"}
DEFAULT = "cnncalc"


def convention(name: str = DEFAULT) -> ModuleType:
    """The module of the convention called `name`."""
    return importlib.import_module(CONVENTIONS[name])
