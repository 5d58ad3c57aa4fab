"""cnncalc.spec.blocks: binding a use of a block, instantiating it, and the limits on nesting."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import assert_error_at_mark, position, trace_of

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


# --- Arguments, conditions, repeat 0 and several inputs (issue 10) ----------------------


REQUIRED = """\
name: t
input: {h: 8, w: 8, c: 3}
blocks:
  unit:
    args: {filters: required, kernel: 3}
    layers:
      - {type: conv, filters: $filters, kernel: $kernel, padding: 1}
layers:
"""


def test_a_required_argument_given_is_used() -> None:
    trace = trace_of(REQUIRED + "  - {type: unit, filters: 5}\n")
    assert trace.nodes[-1].output == (5, 8, 8)


def test_a_required_argument_left_out_is_an_error_at_the_call_naming_it() -> None:
    assert_error_at_mark(
        REQUIRED + "  - {type: unit, filters: 5}\n  - @@{type: unit, kernel: 1}\n",
        "layer 2 (unit)",
        "block 'unit' needs the argument 'filters'",
    )


def test_an_unknown_argument_at_a_call_has_a_did_you_mean() -> None:
    assert_error_at_mark(
        REQUIRED + "  - {type: unit, filters: 5, @@kernal: 1}\n", "takes no argument 'kernal'", "did you mean 'kernel'"
    )


WHEN = """\
name: t
input: {h: 8, w: 8, c: 3}
blocks:
  unit:
    args: {filters: 4, stride: 1}
    layers:
      - {name: conv, type: conv, filters: $filters, kernel: 3, stride: $stride, padding: 1}
      - {name: pool, type: maxpool, kernel: 2, when: "${stride == 1}"}
      - {name: relu, type: relu}
layers:
"""


def test_when_false_leaves_a_layer_out_and_the_next_reads_what_it_would_have() -> None:
    trace = trace_of(WHEN + "  - {type: unit, stride: 2}\n  - {type: unit}\n")
    kinds = [node.kind for node in trace.nodes[1:]]
    assert kinds == ["conv", "relu", "conv", "maxpool", "relu"]
    first_relu = trace.nodes[2]
    assert trace.nodes[first_relu.sources[0]].name == "unit.1.conv"  # it read the conv
    assert trace.nodes[-1].output == (4, 2, 2)  # 8 -> 4 (stride 2) -> 4 -> 2 (pool)


def test_when_on_a_block_call_and_at_the_top_level() -> None:
    text = WHEN + "  - {type: unit, when: false}\n  - {type: relu, when: true}\n"
    assert [node.kind for node in trace_of(text).nodes[1:]] == ["relu"]


def test_a_left_out_layer_is_not_validated() -> None:
    # filters: 0 is invalid; left out, it is never checked.
    text = WHEN + "  - {type: conv, filters: 0, kernel: 3, when: false}\n  - {type: relu}\n"
    assert [node.kind for node in trace_of(text).nodes[1:]] == ["relu"]


def test_when_must_be_a_boolean() -> None:
    assert_error_at_mark(
        WHEN.replace('when: "${stride == 1}"', 'when: @@"${stride + 1}"') + "  - {type: unit}\n",
        "when: must be true or false",
        "got 2",
    )


def test_when_in_a_residual_shortcut_makes_the_projection_conditional() -> None:
    body = """\
  - type: residual
    body: [{type: conv, filters: $f, kernel: 3, stride: $s, padding: 1}]
    shortcut:
      - {type: conv, filters: $f, kernel: 1, stride: $s, when: "${s != 1}"}
"""
    text = (
        "name: t\ninput: {h: 8, w: 8, c: 4}\nblocks:\n  stage:\n    args: {f: 4, s: 1}\n    layers:\n"
        + "\n".join("    " + line for line in body.splitlines())
        + "\nlayers:\n  - {type: stage}\n  - {type: stage, s: 2}\n"
    )
    trace = trace_of(text)
    convs = [node for node in trace.nodes if node.kind == "conv"]
    # The first use has no projection (identity shortcut); the second has its 1x1 conv.
    assert [node.layer.kernel for node in convs] == [3, 3, 1]  # type: ignore[union-attr]
    assert trace.nodes[-1].output == (4, 4, 4)


def test_repeat_0_leaves_a_layer_or_a_block_out() -> None:
    text = WHEN + "  - {type: unit, repeat: 0}\n  - {type: relu, repeat: 0}\n  - {name: last, type: unit}\n"
    trace = trace_of(text)
    assert [node.kind for node in trace.nodes[1:]] == ["conv", "maxpool", "relu"]


def test_repeat_from_an_expression_and_a_block_repeats_its_sequence() -> None:
    text = """\
name: t
input: {h: 8, w: 8, c: 3}
blocks:
  pair:
    layers:
      - {type: conv, filters: 3, kernel: 3, padding: 1}
      - {type: relu}
  stage:
    args: {extra: 0}
    layers:
      - {type: pair, repeat: "${extra}"}
layers:
  - {type: stage}
  - {type: stage, extra: 2}
"""
    assert [node.kind for node in trace_of(text).nodes[1:]] == ["conv", "relu", "conv", "relu"]


UP = """\
name: t
input: {h: 16, w: 16, c: 4}
blocks:
  up:
    inputs: [x, skip]
    args: {filters: required}
    layers:
      - {name: upconv, type: conv_transpose, filters: $filters, kernel: 2, stride: 2}
      - {name: cropped, type: crop, from: [skip, upconv]}
      - {type: concat, from: [cropped, upconv]}
layers:
  - {name: down1, type: conv, filters: 8, kernel: 3}
  - {name: down2, type: maxpool, kernel: 2}
"""


def test_a_block_with_two_inputs_reads_them_by_name_in_the_order_of_from() -> None:
    trace = trace_of(UP + "  - {name: up1, type: up, filters: 8, from: [down2, down1]}\n")
    # down1 14x14x8; down2 7x7x8; the up-conv 14x14x8; the crop of down1 to it 14x14x8; concat 16.
    assert trace.nodes[-1].output == (16, 14, 14)
    upconv = trace.names["up1.upconv"]
    assert trace.nodes[upconv].sources == (trace.names["down2"],)  # the first layer reads `x`


def test_a_block_with_two_inputs_declares_them() -> None:
    spec = loads_spec(UP + "  - {type: up, filters: 8, from: [down2, down1]}\n", "net.yaml")
    assert spec.blocks["up"].inputs == ("x", "skip")
    assert spec.blocks["up"].arity == (2, 2)


def test_calling_a_two_input_block_with_one_is_an_error_at_from() -> None:
    assert_error_at_mark(
        UP + "  - {type: up, filters: 8, from: @@down2}\n", "reads 1 input(s), up takes 2 (x, skip", "layer 3"
    )


def test_a_from_inside_a_block_naming_a_layer_outside_it_says_so() -> None:
    text = UP.replace("from: [skip, upconv]", "from: [@@down1, upconv]") + (
        "  - {type: up, filters: 8, from: [down2, down1]}\n"
    )
    assert_error_at_mark(text, "'down1' is outside block 'up': pass it as an input")


def test_input_inside_a_block_that_names_its_inputs_says_what_they_are() -> None:
    text = UP.replace("from: [skip, upconv]", "from: [@@input, upconv]") + (
        "  - {type: up, filters: 8, from: [down2, down1]}\n"
    )
    assert_error_at_mark(text, "block 'up' reads its inputs as x, skip, not as 'input'")


def test_an_input_named_twice_is_refused() -> None:
    with pytest.raises(SpecError, match="the input 'x' is named twice"):
        loads_spec(UP.replace("inputs: [x, skip]", "inputs: [x, x]") + "  - {type: relu}\n", "net.yaml")


def test_repeat_0_with_from_is_left_out_as_when_false_is() -> None:
    # `mid` reads `first`; left out, `last` reads what it would without it: `second`, not `first`.
    head = WHEN + "  - {name: first, type: unit}\n  - {name: second, type: conv, filters: 6, kernel: 1}\n"
    tail = "  - {name: last, type: relu}\n"
    for leave_out in ("repeat: 0", "when: false"):
        trace = trace_of(
            head + f"  - {{name: mid, type: conv, filters: 2, kernel: 1, from: first, {leave_out}}}\n" + tail
        )
        assert "mid" not in trace.names, leave_out
        assert [node.kind for node in trace.nodes[1:]] == ["conv", "maxpool", "relu", "conv", "relu"], leave_out
        last = trace.nodes[-1]
        assert trace.nodes[last.sources[0]].name == "second", leave_out
        assert last.output == (6, 4, 4), leave_out  # 8x8 pooled to 4x4 by unit; 6 filters from `second`


# --- The bound on what a spec expands to (issue 19) --------------------------------------

REPEAT = """\
name: t
input: {features: 16}
blocks:
  inner:
    args: {k: 1000}
    layers:
      - {type: dense, units: 16, repeat: @@$k}
  outer:
    args: {n: 1}
    layers:
      - {type: relu}
      - {type: inner, repeat: $n}
layers:
"""


def count_layers_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A one-item list counting the layers the engine makes from here on."""
    from cnncalc import engine

    made = [0]
    add = engine._Builder.add

    def counting(self: Any, *args: Any, **kwargs: Any) -> int:
        made[0] += 1
        return add(self, *args, **kwargs)

    monkeypatch.setattr(engine._Builder, "add", counting)
    return made


@pytest.mark.parametrize(
    ("layers", "words"),
    [
        # A plain repeat: 10**9 copies of one layer.
        (
            "  - {type: dense, units: 16, activation: relu, repeat: @@1000000000}\n",
            ["layer 1 (dense): repeat: 1,000,000,000 makes at least 1,000,000,000"],
        ),
        # An expression's repeat, after a few layers.
        (
            '  - {type: relu, repeat: 3}\n  - {type: dense, units: 16, repeat: @@"${10**9}"}\n',
            ["repeat: 1,000,000,000 after 3 layers makes at least 1,000,000,003"],
        ),
        # Nested: 1,000 dense layers in a block used 2,000 times makes 2,000,000; refused at
        # the inner repeat before any of the dense layers is made.
        (
            "  - {type: outer, n: 2000}\n",
            ["layer 1 (dense) in block 'inner': repeat: 1,000 in 2,000 copies of the blocks around it"],
        ),
    ],
)
def test_a_repeat_past_the_limit_is_refused_before_it_expands(
    monkeypatch: pytest.MonkeyPatch, layers: str, words: list[str]
) -> None:
    made = count_layers_made(monkeypatch)
    marked = REPEAT + layers if "@@" not in layers else REPEAT.replace("@@", "") + layers
    text, line, col = position(marked)
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    message = str(caught.value)
    assert message.startswith(f"net.yaml:{line}:{col}: "), (message, (line, col))
    for word in [*words, "a spec expands to at most 1,000,000 layers"]:
        assert word in message, (word, message)
    assert made[0] <= 3  # the layers before the repeat, never the copies it would make


def test_repeats_each_under_the_limit_are_refused_where_their_sum_passes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc import engine

    monkeypatch.setattr(engine, "MAX_NODES", 1000)  # at the real limit the test would make a million layers first
    made = count_layers_made(monkeypatch)
    # 600 relus, one more in `outer`, then `inner`'s 1,000 dense layers: 1,601 in all.
    text, line, col = position(REPEAT + "  - {type: relu, repeat: 600}\n  - {type: outer}\n")
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    message = str(caught.value)
    assert message.startswith(f"net.yaml:{line}:{col}: "), (message, (line, col))
    assert "repeat: 1,000 after 601 layers makes at least 1,601; a spec expands to at most 1,000 layers" in message
    assert made[0] == 601


def test_the_limit_is_in_the_docs() -> None:
    from pathlib import Path

    from cnncalc import engine

    docs = (Path(__file__).parent.parent / "docs" / "spec-format.md").read_text(encoding="utf-8")
    assert f"{engine.MAX_NODES:,} layers" in docs
