"""The layer kinds. Each module here defines one kind (or one family, such as conv in
1, 2 and 3 dimensions); importing it registers the kind by its `type` name."""

from __future__ import annotations

import importlib
import pkgutil

from cnncalc.layers._base import REGISTRY, Layer

_loaded: list[bool] = []


def registry() -> dict[str, type[Layer]]:
    """Every layer kind by its `type` name, importing the kind modules on first use."""
    # A flag, not `if not REGISTRY`: importing one kind's module first (residual imports
    # conv) registers some kinds, and the rest must still be loaded.
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")
        _loaded.append(True)
    return REGISTRY
