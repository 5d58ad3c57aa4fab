"""The layer kinds. Each module here defines one kind (or one family, such as conv in
1, 2 and 3 dimensions); importing it registers the kind by its `type` name."""

from __future__ import annotations

import importlib
import pkgutil

from cnncalc.layers._base import REGISTRY, Layer


def registry() -> dict[str, type[Layer]]:
    """Every layer kind by its `type` name, importing the kind modules on first use."""
    if not REGISTRY:
        for module in pkgutil.iter_modules(__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY
