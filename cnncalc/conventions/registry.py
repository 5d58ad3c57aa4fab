"""Every counting preset by name; a preset's module is imported only when it is asked for."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnncalc.conventions._preset import Preset

# name -> (module, attribute), in the order `cnncalc counters` lists them.
PRESETS: dict[str, tuple[str, str]] = {
    "flopcounter": ("cnncalc.conventions.flopcounter", "PRESET"),
    "fvcore": ("cnncalc.conventions.fvcore", "PRESET"),
    "ptflops": ("cnncalc.conventions.ptflops", "PRESET"),
    "ptflops-nofunc": ("cnncalc.conventions.ptflops", "NO_FUNCTIONAL"),
    "ptflops-aten": ("cnncalc.conventions.ptflops", "ATEN"),
    "thop": ("cnncalc.conventions.thop", "PRESET"),
    "torchinfo": ("cnncalc.conventions.torchinfo", "PRESET"),
    "calflops": ("cnncalc.conventions.calflops", "PRESET"),
    "keras": ("cnncalc.conventions.keras", "PRESET"),
}


def names() -> list[str]:
    return list(PRESETS)


def get(name: str) -> Preset:
    """The preset called `name`; KeyError for an unknown one."""
    module, attribute = PRESETS[name]
    preset: Preset = getattr(importlib.import_module(module), attribute)
    return preset


def every() -> list[Preset]:
    return [get(name) for name in PRESETS]
