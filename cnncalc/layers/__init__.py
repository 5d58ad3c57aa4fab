"""The layer kinds, one package per family (`conv/`, `pool/`, `norm/`, ...), one module
per kind (or per family of sizes, such as conv in 1, 2 and 3 dimensions); importing a
kind's module registers the kind by its `type` name. `cnncalc.layers.api` is what a kind,
and the rest of cnncalc, imports from here; the `_` modules are private to this package.

`MANIFEST` lists every kind, grouped by family (the package) with the module that defines
it. A run imports only the modules of the kinds its spec uses (importing every kind costs
about as much as the rest of a small run), so the manifest is read from the family
packages' source text, never by importing them: each module's `type: Literal["..."]`
lines, in the order it declares them. Adding a kind is writing its module in its family's
package (and its case file, tests/cases/<kind>.py); nothing here changes. A new family is
a new package and a name in `FAMILIES`, which orders them.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from cnncalc.layers._base import REGISTRY, Layer

# The families (packages), in the order the docs' kind table lists them.
FAMILIES = (
    "conv",
    "linear",
    "pool",
    "norm",
    "activation",
    "shape",
    "merge",
    "composite",
    "recurrent",
    "attention",
    "embedding",
)
# A kind's declaration in its module: `type: Literal["conv"]` (either quote), indented on a
# line of its own. Written from the newline before it rather than `^` in MULTILINE mode: a
# pattern that starts with a literal character is searched for that character, where `^`
# is tried at every position (the manifest is read on every run: 2% of `table lenet` that way).
_DECLARED = re.compile(r"""\n\s+type:\s*Literal\[\s*["']([A-Za-z0-9_]+)["']\s*\]""")


def _read_manifest(root: Path) -> dict[str, dict[str, tuple[str, ...]]]:
    """family -> module -> the kinds that module declares, read from the sources under `root`
    (modules by name within a family; `_` modules are helpers, never kinds)."""
    return {
        family: {
            path.stem: tuple(_DECLARED.findall(path.read_text(encoding="utf-8")))
            for path in sorted((root / family).glob("*.py"))
            if not path.name.startswith("_")
        }
        for family in FAMILIES
    }


# family (the package) -> module -> the kinds (`type:` names) that module defines.
MANIFEST: dict[str, dict[str, tuple[str, ...]]] = _read_manifest(Path(__file__).parent)


def _index(manifest: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, tuple[str, str]]:
    """kind -> (family, module); a kind listed twice is an error, here at import rather than a silent overwrite."""
    found: dict[str, tuple[str, str]] = {}
    for family, modules_of_family in manifest.items():
        for module, kinds_of_module in modules_of_family.items():
            for kind in kinds_of_module:
                if kind in found:
                    raise ImportError(f"layer kind '{kind}' is listed twice: in {found[kind][1]} and in {module}")
                found[kind] = (family, module)
    return found


_PLACES = _index(MANIFEST)
_KINDS = {kind: module for kind, (_, module) in _PLACES.items()}
_loaded: list[bool] = []


def kinds() -> dict[str, str]:
    """Every kind's name -> the module that defines it, from the manifest (nothing imported)."""
    return _KINDS


def family(kind: str) -> str | None:
    """The family (package) of one kind, from the manifest (nothing imported); None for an unknown kind."""
    place = _PLACES.get(kind)
    return place[0] if place else None


def of_family(*families: str) -> tuple[str, ...]:
    """The kinds of these families, in the manifest's order (nothing imported)."""
    unknown = [name for name in families if name not in MANIFEST]
    if unknown:
        raise KeyError(f"no layer family '{unknown[0]}'")
    return tuple(kind for kind, (name, _) in _PLACES.items() if name in families)


def of_module(*names: str) -> tuple[str, ...]:
    """The kinds these modules define, in the manifest's order (nothing imported)."""
    unknown = [name for name in names if name not in set(_KINDS.values())]
    if unknown:
        raise KeyError(f"no layer module '{unknown[0]}'")
    return tuple(kind for kind, module in _KINDS.items() if module in names)


def modules() -> list[str]:
    """Every module of the manifest, in its order."""
    return [module for modules in MANIFEST.values() for module in modules]


def _path(family_name: str, module: str) -> str:
    return f"{__name__}.{family_name}.{module}"


def layer_class(kind: str) -> type[Layer] | None:
    """The class of one kind, importing only its module; None for an unknown kind."""
    if kind not in REGISTRY and kind in _PLACES:
        importlib.import_module(_path(*_PLACES[kind]))
    return REGISTRY.get(kind)


def registry() -> dict[str, type[Layer]]:
    """Every layer kind by its `type` name, importing every kind module."""
    # A flag, not `if not REGISTRY`: importing one kind's module first (residual imports
    # conv) registers some kinds, and the rest must still be loaded.
    if not _loaded:
        for family_name, modules_of_family in MANIFEST.items():
            for module in modules_of_family:
                importlib.import_module(_path(family_name, module))
        _loaded.append(True)
    return REGISTRY
