"""Graphs and blocks: from/name, merges, residual and parallel composites, blocks."""

from __future__ import annotations

import pytest
from helpers import error_of, trace_of

from cnncalc.analysis.receptive_field import receptive_fields
from cnncalc.errors import SpecError
from cnncalc.figures import figures, hwc


def position(text: str, needle: str, occurrence: int = 1) -> str:
    """line:col (1-based) of the n-th occurrence of needle in text."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return f"{line}:{col}"


SKIP = """
name: skip
input: {h: 8, w: 8, c: 4}
layers:
  - {name: a, type: conv, filters: 4, kernel: 3, padding: 1}
  - {name: b, type: conv, filters: 4, kernel: 3, padding: 1}
  - {name: sum, type: add, from: [a, b]}
  - {name: cat, type: concat, from: [input, sum]}
"""


def test_from_and_merges() -> None:
    trace = trace_of(SKIP)
    add, cat = trace.nodes[3], trace.nodes[4]
    assert add.sources == (1, 2) and add.output == (4, 8, 8)
    assert cat.sources == (0, 3) and cat.output == (8, 8, 8)
    assert add.params.total == 0 and cat.macs == 0


def test_merge_mismatch_names_both_inputs_and_points_at_from() -> None:
    text = SKIP.replace("{name: b, type: conv, filters: 4,", "{name: b, type: conv, filters: 6,")
    message = error_of(text)
    assert message.startswith(f"net.yaml:{position(text, '[a, b]')}: ")
    assert "add needs inputs of one shape" in message
    assert "a (8, 8, 4)" in message and "b (8, 8, 6)" in message


def test_unknown_or_later_from_gets_did_you_mean() -> None:
    text = SKIP.replace("from: [a, b]", "from: [a, bb]")
    message = error_of(text)
    assert message.startswith(f"net.yaml:{position(text, 'bb]')}: ")
    assert "from 'bb' names no earlier layer; did you mean 'b'?" in message
    later = SKIP.replace(
        "{name: a, type: conv, filters: 4, kernel: 3, padding: 1}",
        "{name: a, type: conv, filters: 4, kernel: 3, padding: 1, from: cat}",
    )
    assert "from 'cat' names no earlier layer" in error_of(later)


def test_multiply_broadcasts_like_squeeze_and_excitation() -> None:
    text = """
name: se
input: {h: 7, w: 7, c: 16}
layers:
  - {type: adaptive_avgpool, size: 1}
  - {type: conv, filters: 4, kernel: 1, activation: relu}
  - {type: conv, filters: 16, kernel: 1, activation: sigmoid, name: scale}
  - {type: multiply, from: [input, scale]}
"""
    trace = trace_of(text)
    assert trace.nodes[-1].output == (16, 7, 7)
    # The two 1x1 convs: 16*4 + 4 and 4*16 + 16 parameters.
    assert sum(n.params.total for n in trace.nodes) == 68 + 80


RESNET_BLOCK = """
name: r
input: {h: 56, w: 56, c: 64}
blocks:
  basic:
    args: {filters: 64, stride: 1}
    layers:
      - type: residual
        body:
          - {type: conv, filters: $filters, kernel: 3, stride: $stride, padding: 1, bias: false}
          - {type: batchnorm, activation: relu}
          - {type: conv, filters: $filters, kernel: 3, padding: 1, bias: false}
          - {type: batchnorm}
        shortcut: projection
        activation: relu
layers:
  - {type: basic, repeat: 2, name: layer1}
  - {type: basic, filters: 128, stride: 2, name: down}
"""


def test_residual_blocks_count_like_torchvision_basic_blocks() -> None:
    trace = trace_of(RESNET_BLOCK)
    # torchvision BasicBlock(64, 64): two 3x3 convs without bias + two BNs:
    # 2 * 3*3*64*64 + 2 * 2*64 = 73,984 params, 2 * (2*64 + 1) = 258 buffers.
    one = figures(trace, "layer1.1")
    assert one is not None and (one.params.total, one.params.buffers) == (73_984, 258)
    # BasicBlock(64, 128, stride 2) with downsample: 3*3*64*128 + 3*3*128*128 + 1*1*64*128
    # convs + three BNs of 128: 73,728 + 147,456 + 8,192 + 3 * 256 = 230,144.
    down = figures(trace, "down")
    assert down is not None and down.params.total == 230_144 and down.params.buffers == 3 * 257
    assert hwc(down.output) == (28, 28, 128)
    kinds = [n.kind for n in trace.nodes[1:]]
    assert kinds.count("add") == 3 and kinds.count("relu") == 3


def test_parallel_branches_concat_and_identity_branch() -> None:
    text = """
name: p
input: {h: 10, w: 10, c: 8}
layers:
  - type: parallel
    branches:
      - []
      - [{type: conv, filters: 4, kernel: 3, padding: 1}]
      - [{type: maxpool, kernel: 3, stride: 1, padding: 1}, {type: conv, filters: 2, kernel: 1}]
"""
    trace = trace_of(text)
    assert trace.nodes[-1].kind == "concat" and trace.nodes[-1].output == (8 + 4 + 2, 10, 10)


def test_block_arguments_substitute_and_unknown_ones_are_errors() -> None:
    text = """
name: b
input: {features: 10}
blocks:
  mlp:
    args: {units: 4, tag: x}
    layers:
      - {type: dense, units: $units, name: "fc_${tag}"}
layers:
  - {type: mlp, units: 5, tag: one, name: first}
  - {type: mlp, unts: 6}
"""
    message = error_of(text)
    assert message.startswith(f"net.yaml:{position(text, 'unts')}: ")
    assert "block 'mlp' takes no argument 'unts'; did you mean 'units'?" in message
    good = trace_of(text.replace("  - {type: mlp, unts: 6}\n", ""))
    assert good.nodes[1].name == "first.fc_one" and good.nodes[1].output == (5,)


def test_a_block_that_uses_itself_is_an_error_not_a_hang() -> None:
    text = """
name: loop
input: {features: 4}
blocks:
  a:
    layers: [{type: b}]
  b:
    layers: [{type: relu}, {type: a}]
layers:
  - {type: a}
"""
    message = error_of(text)
    assert "block 'a' uses itself (a -> b -> a)" in message


def test_repeat_stacks_copies_and_names_them() -> None:
    text = """
name: r
input: {features: 4}
layers:
  - {type: dense, units: 4, repeat: 3, name: fc}
  - {type: relu, from: fc.2}
"""
    trace = trace_of(text)
    assert [n.name for n in trace.nodes[1:4]] == ["fc.1", "fc.2", "fc.3"]
    assert trace.nodes[4].sources == (2,)
    assert not trace.duplicate_names


def test_duplicate_names_are_recorded() -> None:
    text = "name: d\ninput: {features: 4}\nlayers:\n  - {type: relu, name: x}\n  - {type: relu, name: x}\n"
    assert [name for name, _ in trace_of(text).duplicate_names] == ["x"]


def test_receptive_field_across_branches_takes_the_largest() -> None:
    text = """
name: rf
input: {h: 32, w: 32, c: 1}
layers:
  - type: parallel
    merge: add
    branches:
      - [{type: conv, filters: 1, kernel: 3, padding: 1}]
      - [{type: conv, filters: 1, kernel: 5, padding: 2}]
"""
    rf = receptive_fields(trace_of(text).nodes)[-1]
    assert rf is not None and rf.size == (5, 5) and rf.note == ""


def test_a_name_given_to_repeated_blocks_claims_the_last_copy() -> None:
    text = """
name: r
input: {h: 8, w: 8, c: 3}
blocks:
  cbr:
    args: {filters: 8}
    layers:
      - {type: conv, filters: $filters, kernel: 3, padding: 1, bias: false}
      - {type: batchnorm, activation: relu}
layers:
  - {name: s1, type: cbr, filters: 32, repeat: 3}
"""
    trace = trace_of(text)
    last = figures(trace, "s1")
    # The last copy: a 3x3 conv 32 -> 32 without bias (9,216) and a batchnorm of 32 (64).
    assert last is not None and last.params.total == 3 * 3 * 32 * 32 + 2 * 32
    labels = [g.label for g in trace.groups]
    assert labels == ["s1.1", "s1.2", "s1.3"]


def test_unnamed_blocks_get_numbered_labels() -> None:
    trace = trace_of(RESNET_BLOCK.replace(", name: layer1}", "}").replace(", name: down}", "}"))
    assert [g.label for g in trace.groups if g.block == "basic"] == ["basic.1", "basic.2", "basic.3"]


def test_repeat_on_a_merge_chains_its_first_input_and_keeps_the_others() -> None:
    text = SKIP.replace("{name: sum, type: add, from: [a, b]}", "{name: sum, type: add, from: [a, b], repeat: 3}")
    trace = trace_of(text)
    # sum.1 = a + b (nodes 1, 2), sum.2 = sum.1 + b, sum.3 = sum.2 + b
    assert [n.sources for n in trace.nodes[3:6]] == [(1, 2), (3, 2), (4, 2)]
    assert trace.nodes[6].sources == (0, 5)  # cat reads `sum`, the last copy


def test_input_is_a_reserved_name() -> None:
    text = SKIP.replace("{name: a, type: conv,", "{name: input, type: conv,")
    message = error_of(text)
    assert message.startswith(f"net.yaml:{position(text, 'input, type')}: ")
    assert "the name 'input' is reserved" in message


def test_from_a_later_layer_says_where_it_is() -> None:
    text = SKIP.replace("{name: a, type: conv,", "{name: a, from: cat, type: conv,")
    assert f"'cat' comes later, at line {position(text, '{name: cat').split(':')[0]}" in error_of(text)


def test_yaml_merge_keys_override_like_yaml_says() -> None:
    text = """
name: m
input: {h: 8, w: 8, c: 3}
layers:
  - &x {type: conv, filters: 4, kernel: 1}
  - {<<: *x, filters: 8}
  - <<: *x
    kernel: 3
"""
    trace = trace_of(text)
    assert [n.output for n in trace.nodes[1:]] == [(4, 8, 8), (8, 8, 8), (4, 6, 6)]
    with pytest.raises(SpecError, match="duplicate key 'filters'"):
        trace_of(text.replace("{<<: *x, filters: 8}", "{<<: *x, filters: 8, filters: 9}"))


def test_every_bad_top_level_layer_is_reported_at_once() -> None:
    text = """
name: many
input: {h: 32, w: 32, c: 3}
layers:
  - {type: conv, filters: 6, kernal: 5}
  - {type: maxpol, kernel: 2}
  - {type: dense, units: ten}
"""
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    found = [f"{d.mark.line}:{d.mark.col}" for d in caught.value.diagnostics]
    assert found == [position(text, "kernal"), position(text, "maxpol"), position(text, "ten")]
