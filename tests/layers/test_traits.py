"""Traits: the vocabulary rules ask for instead of kind names (cnncalc/layers/_traits.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import cnncalc.rules
from cnncalc.layers import kinds, registry
from cnncalc.layers.api import TRAITS, Layer

ROOT = Path(__file__).resolve().parents[2]
RULES = Path(cnncalc.rules.__path__[0])


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings (of the module, classes or functions)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def kind_names_in(path: Path) -> list[str]:
    """Where a rule's code names a layer kind: a string equal to a kind's name, or a
    node's `.kind` compared with anything but another `.kind` (docstrings, whose
    examples are specs, are fine)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and node.value in kinds()
        ):
            found.append(f"{path.name}:{node.lineno}: {node.value!r}")
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            kind_sides = [s for s in sides if isinstance(s, ast.Attribute) and s.attr == "kind"]
            # Two nodes' kinds compared with each other (counting alike layers) names no kind.
            if kind_sides and len(kind_sides) < len(sides):
                found.append(f"{path.name}:{node.lineno}: compares .kind")
    return found


def test_no_rule_names_a_layer_kind() -> None:
    found = [hit for path in sorted(RULES.glob("*.py")) for hit in kind_names_in(path)]
    assert found == []


def test_the_kind_name_check_finds_what_the_rules_used_to_do(tmp_path: Path) -> None:
    path = tmp_path / "old_rule.py"
    path.write_text(
        '"""A rule about dense layers."""\n'
        'TRANSPARENT = {"dropout", "identity"}\n'
        "def check(node):\n"
        '    """The dense layer."""\n'
        '    return node.kind != "batchnorm" and node.kind in TRANSPARENT\n',
        encoding="utf-8",
    )
    assert sorted(kind_names_in(path)) == [
        "old_rule.py:2: 'dropout'",
        "old_rule.py:2: 'identity'",
        "old_rule.py:5: 'batchnorm'",
        "old_rule.py:5: compares .kind",
        "old_rule.py:5: compares .kind",
    ]
    path.write_text("def same(a, b):\n    return a.kind == b.kind\n", encoding="utf-8")
    assert kind_names_in(path) == []


def test_every_trait_is_described_and_declared_by_some_kind() -> None:
    declared = {trait for cls in registry().values() for trait in cls.traits}
    assert declared == set(TRAITS)
    for trait, description in TRAITS.items():
        assert description.endswith("."), trait


def test_an_unknown_trait_is_an_error_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="declares unknown trait"):

        class Typo(Layer):
            traits = frozenset({"shape_only"})


@pytest.mark.parametrize("kind", sorted(kinds()))
def test_traits_that_promise_fields_have_them(kind: str) -> None:
    cls = registry()[kind]
    assert ("has-bias" in cls.traits) == ("bias" in cls.model_fields)
    if "windowed" in cls.traits:
        assert {"kernel", "stride", "padding"} <= set(cls.model_fields)


def test_a_new_kind_joins_the_rules_by_declaring_its_traits(tmp_path: Path) -> None:
    # A `reshape` that is not in cnncalc: declared shape-only, it sits between two dense
    # layers without separating them, as flatten does (CNC107).
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: mlp\ninput: {features: 64}\nlayers:\n"
        "  - {type: dense, units: 32}\n  - {type: reshape_for_test}\n  - {type: dense, units: 10}\n",
        encoding="utf-8",
    )
    program = (
        "from typing import ClassVar, Literal\n"
        "from cnncalc.layers.api import Layer\n"
        "class Reshape(Layer):\n"
        "    traits: ClassVar[frozenset[str]] = frozenset({'shape-only'})\n"
        "    type: Literal['reshape_for_test']\n"
        "from cnncalc.check import Config, check_file\n"
        f"print([f.code for f in check_file({str(spec)!r}, Config())])\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "['CNC107']", done.stderr
