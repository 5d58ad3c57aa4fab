"""The layer kinds. Each module here defines one kind (or one family, such as conv in
1, 2 and 3 dimensions); importing it registers the kind by its `type` name.

A run imports only the modules of the kinds its spec uses: which module declares which
kind is read from the modules' source (`type: Literal["conv"]`) without importing them,
since importing every kind costs about as much as the rest of a small run.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache
from pathlib import Path

from cnncalc.layers._base import REGISTRY, Layer

_DECLARATION = re.compile(r'^\s+type: Literal\["(\w+)"\]', re.MULTILINE)
_loaded: list[bool] = []


def _modules() -> list[str]:
    return [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]


@cache
def kinds() -> dict[str, str]:
    """Every kind's name -> the module that declares it, found without importing anything."""
    found: dict[str, str] = {}
    for name in _modules():
        try:
            source = (Path(__path__[0]) / f"{name}.py").read_text(encoding="utf-8")
        except OSError:  # not a plain file (a zip import): fall back to importing
            return {kind: cls.__module__ for kind, cls in registry().items()}
        for kind in _DECLARATION.findall(source):
            found[kind] = name
    return found


def layer_class(kind: str) -> type[Layer] | None:
    """The class of one kind, importing only its module; None for an unknown kind."""
    if kind not in REGISTRY and kind in kinds():
        importlib.import_module(f"{__name__}.{kinds()[kind]}")
    return REGISTRY.get(kind)


def registry() -> dict[str, type[Layer]]:
    """Every layer kind by its `type` name, importing every kind module."""
    # A flag, not `if not REGISTRY`: importing one kind's module first (residual imports
    # conv) registers some kinds, and the rest must still be loaded.
    if not _loaded:
        for name in _modules():
            importlib.import_module(f"{__name__}.{name}")
        _loaded.append(True)
    return REGISTRY
