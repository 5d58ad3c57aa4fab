"""The manifest of layer kinds (cnncalc/layers/__init__.py) against the modules themselves."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest

import cnncalc.layers as layers
from cnncalc.layers import MANIFEST, kinds, layer_class, modules, registry
from cnncalc.layers._base import Layer

ROOT = Path(__file__).resolve().parents[1]
LAYERS = Path(layers.__path__[0])


def declared(module: str) -> set[str]:
    """The `type: Literal[...]` names a module's classes declare, read from its syntax tree
    (any quoting), independent of the manifest and of the registry."""
    tree = ast.parse((LAYERS / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "type"
            and isinstance(node.annotation, ast.Subscript)
            and isinstance(node.annotation.value, ast.Name)
            and node.annotation.value.id == "Literal"
            and isinstance(node.annotation.slice, ast.Constant)
            and isinstance(node.annotation.slice.value, str)
        ):
            found.add(node.annotation.slice.value)
    return found


def test_every_module_in_layers_is_listed_in_the_manifest() -> None:
    on_disk = {m.name for m in pkgutil.iter_modules(layers.__path__) if not m.name.startswith("_")}
    assert on_disk == set(modules())


def test_the_manifest_lists_exactly_the_kinds_each_module_declares() -> None:
    for family in MANIFEST.values():
        for module, listed in family.items():
            assert set(listed) == declared(module), module


def test_the_manifest_matches_the_imported_registry() -> None:
    assert {kind: cls.__module__.rsplit(".", 1)[1] for kind, cls in registry().items()} == kinds()


def test_the_families_are_the_planned_ones() -> None:
    planned = {"conv", "linear", "pool", "norm", "activation", "shape", "merge", "composite"}
    assert planned | {"recurrent", "attention", "embedding"} == set(MANIFEST)


def test_a_kind_listed_twice_in_the_manifest_is_an_error_at_import() -> None:
    program = (
        "import cnncalc.layers as layers\n"
        "try:\n"
        "    layers._index({'conv': {'conv': ('conv',)}, 'pool': {'pool': ('maxpool', 'conv')}})\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "layer kind 'conv' is listed twice: in conv and in pool", done.stderr


def test_a_second_class_declaring_a_taken_type_is_an_error() -> None:
    layer_class("relu")
    with pytest.raises(TypeError, match="layer kind 'relu' is declared twice"):

        class Other(Layer):
            type: Literal["relu"]

    assert layer_class("relu") is not None and layer_class("relu").__name__ == "ReLU"  # type: ignore[union-attr]


def test_a_kind_imports_only_its_own_module() -> None:
    program = (
        "import sys\n"
        "from cnncalc.layers import layer_class\n"
        "layer_class('maxpool')\n"
        "print(sorted(m for m in sys.modules if m.startswith('cnncalc.layers.') and '._' not in m))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "['cnncalc.layers.pool']", done.stderr
