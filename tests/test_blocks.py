"""cnncalc.spec.blocks: binding a use of a block, instantiating it, and the limits on nesting."""

from __future__ import annotations

import pytest

from cnncalc.errors import SpecError
from cnncalc.spec import loads_spec
from cnncalc.spec.blocks import (
    MAX_BLOCK_DEPTH,
    BlockCall,
    BlockError,
    Expansion,
    Frame,
    bind,
    copies,
    instantiate,
)

SPEC = """\
name: t
input: {h: 8, w: 8, c: 3}
blocks:
  unit:
    args: {filters: 4, kernel: 3}
    layers:
      - {name: conv, type: conv, filters: $filters, kernel: $kernel, padding: same}
layers:
  - {type: unit, filters: 8}
"""


def test_bind_puts_the_call_over_the_defaults_and_instantiate_substitutes_them() -> None:
    spec = loads_spec(SPEC, "net.yaml")
    definition = spec.blocks["unit"]
    call = BlockCall.model_validate(spec.layers[0])
    environment = bind(call, definition, spec.layers[0], "net.yaml", "layer 1")
    assert environment == {"filters": 8, "kernel": 3}
    outer = Frame({"input": 0}, "")
    instance = instantiate(call, definition, environment, [0], outer, "unit.1", "net.yaml")
    assert instance.block == "unit" and instance.start == 0
    assert dict(instance.layers[0]) == {"name": "conv", "type": "conv", "filters": 8, "kernel": 3, "padding": "same"}
    assert instance.frame.names == {"input": 0}  # a block reads its input as `input`
    assert instance.frame.qualified("conv") == "unit.1.conv"


def test_bind_refuses_an_argument_the_block_does_not_take() -> None:
    text = SPEC.replace("{type: unit, filters: 8}", "{type: unit, filtres: 8}")
    spec = loads_spec(text, "net.yaml")
    call = BlockCall.model_validate(spec.layers[0])
    with pytest.raises(SpecError) as error:
        bind(call, spec.blocks["unit"], spec.layers[0], "net.yaml", "layer 1")
    # `  - {type: unit, ` is 17 characters: the key starts in column 18.
    assert str(error.value).startswith("net.yaml:9:18: layer 1: block 'unit' takes no argument 'filtres'")


def test_a_block_takes_one_input_today() -> None:
    spec = loads_spec(SPEC, "net.yaml")
    assert spec.blocks["unit"].inputs == ("input",)
    assert spec.blocks["unit"].arity == (1, 1)


def test_expansion_refuses_a_cycle_and_nesting_too_deep() -> None:
    expansion = Expansion()
    with expansion.enter("a"), expansion.enter("b"):
        assert expansion.innermost == "b"
        with pytest.raises(BlockError, match=r"block 'a' uses itself \(a -> b -> a\)"), expansion.enter("a"):
            pass
    assert expansion.innermost is None
    names = [f"b{i}" for i in range(MAX_BLOCK_DEPTH + 1)]

    def nest(depth: int) -> None:
        with expansion.enter(names[depth]):
            nest(depth + 1)

    with pytest.raises(BlockError, match=f"deeper than {MAX_BLOCK_DEPTH}"):
        nest(0)


def test_copies_number_a_named_repeat_only() -> None:
    assert list(copies("conv", 3)) == ["conv.1", "conv.2", "conv.3"]
    assert list(copies("conv", 1)) == ["conv"]
    assert list(copies(None, 2)) == ["", ""]


def test_unnamed_uses_are_numbered_per_frame() -> None:
    frame = Frame({}, "layer1.")
    assert [frame.unnamed("basic"), frame.unnamed("basic"), frame.unnamed("fire")] == ["basic.1", "basic.2", "fire.1"]
