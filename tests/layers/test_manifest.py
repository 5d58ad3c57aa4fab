"""The manifest of layer kinds (cnncalc/layers/__init__.py) against the family packages and
their modules themselves."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest

import cnncalc.layers as layers
from cnncalc.layers import (
    FAMILIES,
    MANIFEST,
    _read_manifest,
    kinds,
    layer_class,
    modules,
    of_family,
    of_module,
    registry,
)
from cnncalc.layers.api import Layer

ROOT = Path(__file__).resolve().parents[2]
LAYERS = Path(layers.__path__[0])


def declared(family: str, module: str) -> set[str]:
    """The `type: Literal[...]` names a module's classes declare, read from its syntax tree
    (any quoting), independent of the manifest and of the registry."""
    tree = ast.parse((LAYERS / family / f"{module}.py").read_text(encoding="utf-8"))
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


def test_every_package_in_layers_is_a_family_of_the_manifest() -> None:
    on_disk = {m.name for m in pkgutil.iter_modules(layers.__path__) if not m.name.startswith("_")}
    assert {m.name for m in pkgutil.iter_modules(layers.__path__) if m.ispkg} == set(MANIFEST)
    assert on_disk == set(MANIFEST) | {"api"}


def test_every_module_in_a_family_package_is_listed_under_that_family() -> None:
    for family, listed in MANIFEST.items():
        on_disk = {m.name for m in pkgutil.iter_modules([str(LAYERS / family)]) if not m.name.startswith("_")}
        assert on_disk == set(listed), family
    assert sorted(modules()) == sorted(module for listed in MANIFEST.values() for module in listed)


def test_the_manifest_lists_exactly_the_kinds_each_module_declares() -> None:
    for family, listed_modules in MANIFEST.items():
        for module, listed in listed_modules.items():
            assert set(listed) == declared(family, module), module


def test_a_family_package_imports_none_of_its_kinds() -> None:
    # Lazy loading: importing `cnncalc.layers.conv` (the package) must not register a kind.
    for family in MANIFEST:
        tree = ast.parse((LAYERS / family / "__init__.py").read_text(encoding="utf-8"))
        assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)], family


def test_the_family_queries_read_the_manifest() -> None:
    assert of_family("merge") == ("add", "concat", "multiply")
    assert of_family("linear", "merge") == ("dense", "scale", "add", "concat", "multiply")
    assert of_module("global_pool") == ("global_avgpool", "global_maxpool", "adaptive_avgpool", "adaptive_maxpool")
    assert layers.family("lstm") == "recurrent" and layers.family("select") == "shape"
    assert layers.family("nope") is None
    with pytest.raises(KeyError, match="no layer family 'convs'"):
        of_family("convs")


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
    expected = "['cnncalc.layers.api', 'cnncalc.layers.pool', 'cnncalc.layers.pool.maxpool']"  # and `_` helpers
    assert done.stdout.strip() == expected, done.stderr


def layer_imports(path: Path) -> list[str]:
    """Every `cnncalc.layers...` module a file imports (`import a.b`, `from a.b import c`, and
    `from cnncalc.layers import _base` as the module it names), read from its syntax tree."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if node.module == "cnncalc.layers":
                found += [f"cnncalc.layers.{alias.name}" for alias in node.names]
    return [name for name in found if name == "cnncalc.layers" or name.startswith("cnncalc.layers.")]


def test_outside_the_layers_package_only_its_api_is_imported() -> None:
    # `cnncalc.layers` (the manifest, `layer_class`, the family queries) and `cnncalc.layers.api`
    # (Layer, Shape, Tensor, Work, ...) are the package's surface: its `_` modules and the
    # kinds' own modules are not, so that they can move without touching the rest.
    allowed = {"cnncalc.layers", "cnncalc.layers.api"}
    allowed |= {f"cnncalc.layers.{name}" for name in ("MANIFEST", "kinds", "modules", "layer_class", "registry")}
    allowed |= {f"cnncalc.layers.{name}" for name in ("family", "of_family", "of_module", "api")}
    outside = [p for p in (ROOT / "cnncalc").rglob("*.py") if LAYERS not in p.parents]
    outside += list((ROOT / "benchmarks").rglob("*.py"))
    assert len(outside) > 50
    reaching = {str(p.relative_to(ROOT)): sorted(set(layer_imports(p)) - allowed) for p in outside}
    assert {path: names for path, names in reaching.items() if names} == {}


def test_the_import_scan_sees_a_private_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from cnncalc.layers._base import Layer\nimport cnncalc.layers.conv.conv\n"
        "from cnncalc.layers import _traits, registry\nfrom cnncalc.layers.api import Shape\n"
    )
    assert layer_imports(module) == [
        "cnncalc.layers._base",
        "cnncalc.layers.conv.conv",
        "cnncalc.layers",
        "cnncalc.layers._traits",
        "cnncalc.layers.registry",
        "cnncalc.layers.api",
    ]


def test_a_new_module_in_a_family_package_is_in_the_manifest_with_no_line_elsewhere(tmp_path: Path) -> None:
    # Adding a kind is its module (and its case file): the manifest reads the packages.
    for family in FAMILIES:
        (tmp_path / family).mkdir()
    (tmp_path / "shape" / "twist.py").write_text(
        "class Twist(Layer):\n    type: Literal['twist']\n\n\nclass Turn(Layer):\n    type: Literal[\"turn\"]\n"
    )
    (tmp_path / "shape" / "_helpers.py").write_text('class Not(Layer):\n    type: Literal["not_a_kind"]\n')
    manifest = _read_manifest(tmp_path)
    assert manifest["shape"] == {"twist": ("twist", "turn")}
    assert list(manifest) == list(FAMILIES) and manifest["conv"] == {}
