"""`repeat:` with the copy's index: `i` (0-based) and `n` (the number of copies) in a
repeated layer's or block call's own fields, worked out copy by copy
(cnncalc.spec.blocks.PerCopy). Expected numbers are worked by hand in the comments.

Fixtures mark where an error must be reported with `@@` (removed before parsing).
"""

from __future__ import annotations

from helpers import assert_error_at_mark, trace_of
from needs import needs_module

from cnncalc.engine import Trace

WIDENING = """\
name: t
input: {h: 8, w: 8, c: 4}
layers:
  - {name: widen, type: conv, filters: "${4 * (i + 1)}", kernel: 1, repeat: 3}
"""


def test_a_repeated_layer_reads_its_copy_index() -> None:
    trace = trace_of(WIDENING)
    convs = trace.nodes[1:]
    assert [n.name for n in convs] == ["widen.1", "widen.2", "widen.3"]
    # filters 4 * (i + 1): 4, 8, 12 channels on an 8x8 map
    assert [n.output for n in convs] == [(4, 8, 8), (8, 8, 8), (12, 8, 8)]
    # 1x1 convs with bias: 4*4 + 4 = 20; 4*8 + 8 = 40; 8*12 + 12 = 108
    assert [n.params.total for n in convs] == [20, 40, 108]
    # MACs 64 positions x in x out: 64*16 = 1024; 64*32 = 2048; 64*96 = 6144
    assert [n.macs for n in convs] == [1024, 2048, 6144]


STOCHASTIC = """\
name: t
input: {h: 8, w: 8, c: 4}
blocks:
  unit:
    args: {rate: 0.0}
    layers:
      - type: residual
        body:
          - {type: conv, filters: 4, kernel: 3, padding: 1}
          - {type: stochastic_depth, rate: $rate}
layers:
  - {name: stage, type: unit, rate: "${0.1 * i / (n - 1)}", repeat: 3}
"""


def rates(trace: Trace) -> list[float]:
    return [n.layer.rate for n in trace.nodes if n.kind == "stochastic_depth"]  # type: ignore[union-attr]


def test_a_repeated_block_call_passes_its_copy_index_to_an_argument() -> None:
    trace = trace_of(STOCHASTIC)
    # 0.1 * i / (3 - 1) for i = 0, 1, 2
    assert rates(trace) == [0.0, 0.05, 0.1]
    group = trace.names["stage"]  # the name stands for the last copy, as before
    assert isinstance(group, tuple) and trace.groups[group[1]].label == "stage.3"
    # each copy: 3*3*4*4 + 4 = 148 params
    assert sum(n.params.total for n in trace.nodes) == 3 * 148


NESTED = """\
name: t
input: {h: 4, w: 4, c: 2}
blocks:
  stage:
    args: {first: 0}
    layers:
      - {type: conv, filters: "${2 + first + i}", kernel: 1, bias: false, repeat: 2}
layers:
  - {type: stage, first: "${10 * i}", repeat: 2}
"""


def test_nested_repeats_each_read_their_own_index() -> None:
    trace = trace_of(NESTED)
    # outer copy 0 passes first = 0: widths 2 + 0 + 0 = 2, 2 + 0 + 1 = 3;
    # outer copy 1 passes first = 10: widths 12, 13
    assert [n.output[0] for n in trace.nodes[1:]] == [2, 3, 12, 13]
    # no bias: 2*2 = 4, 2*3 = 6, 3*12 = 36, 12*13 = 156
    assert [n.params.total for n in trace.nodes[1:]] == [4, 6, 36, 156]


SHADOWED = """\
name: t
input: {h: 4, w: 4, c: 2}
blocks:
  stage:
    args: {i: 5}
    layers:
      - {type: conv, filters: "${i}", kernel: 1, bias: false}
      - {type: conv, filters: "${i + 1}", kernel: 1, bias: false, repeat: 2}
layers:
  - {type: stage}
"""


def test_a_repeated_layers_index_shadows_an_argument_of_the_same_name() -> None:
    trace = trace_of(SHADOWED)
    # the unrepeated conv reads the argument i = 5; the repeated one its copy index: 0 + 1, 1 + 1
    assert [n.output[0] for n in trace.nodes[1:]] == [5, 1, 2]


def test_a_layer_without_repeat_has_no_index() -> None:
    marked = """\
name: t
input: {h: 4, w: 4, c: 2}
layers:
  - {type: conv, filters: "${4 * @@i}", kernel: 1}
"""
    assert_error_at_mark(marked, "no name 'i'", "a layer with `repeat:`")


def test_the_fields_that_decide_the_copies_have_no_index() -> None:
    marked = """\
name: t
input: {h: 4, w: 4, c: 2}
layers:
  - {type: conv, filters: "${4 * i}", kernel: 1, repeat: 2, when: "${@@i > 0}"}
"""
    assert_error_at_mark(marked, "no name 'i'", "other than type, name, from, repeat, when")


def test_an_error_in_one_copy_says_which_copy() -> None:
    marked = """\
name: t
input: {h: 4, w: 4, c: 2}
layers:
  - {type: dropout, rate: "${0.1 * i @@/ (n - 1)}", repeat: 1}
"""
    assert_error_at_mark(marked, "(copy i=0 of n=1)", "'/' by zero")


def test_a_bad_value_in_a_later_copy_is_positioned_at_its_field() -> None:
    # copy i = 2 asks for rate 1.0, which dropout refuses (0 <= rate < 1)
    marked = """\
name: t
input: {h: 4, w: 4, c: 2}
layers:
  - {type: dropout, rate: @@"${0.5 * i}", repeat: 3}
"""
    assert_error_at_mark(marked, "copy i=2 of n=3", "rate")


def test_a_per_copy_repeat_past_the_limit_is_refused_before_it_expands() -> None:
    marked = """\
name: t
input: {features: 4}
layers:
  - {type: dense, units: "${1 + i % 2}", repeat: @@2000000}
"""
    assert_error_at_mark(marked, "a spec expands to at most 1,000,000 layers")


def test_per_copy_widths_and_rates_build_the_same_network_in_torch() -> None:
    torch = needs_module("torch")
    from cnncalc.verify import build_module, verify

    trace = trace_of(WIDENING)
    result = verify(trace, "cpu")
    assert result.agrees
    # by hand, as PyTorch writes it
    reference = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 1), torch.nn.Conv2d(4, 8, 1), torch.nn.Conv2d(8, 12, 1))
    assert sum(p.numel() for p in reference.parameters()) == 20 + 40 + 108
    assert sum(p.numel() for p in build_module(trace).parameters()) == 168

    stochastic = trace_of(STOCHASTIC)
    assert verify(stochastic, "cpu").agrees
    shown = [m.extra_repr() for m in build_module(stochastic).modules() if type(m).__name__ == "StochasticDepthModule"]
    assert shown == ["p=0.0, mode=row", "p=0.05, mode=row", "p=0.1, mode=row"]


def test_the_schema_takes_a_layer_with_an_expression_and_stays_strict_without() -> None:
    jsonschema = needs_module("jsonschema")
    import yaml

    from cnncalc.schema import spec_schema

    validator = jsonschema.Draft202012Validator(spec_schema())
    assert validator.is_valid(yaml.safe_load(WIDENING))
    misspelt = WIDENING.replace('filters: "${4 * (i + 1)}"', "filterz: 4")
    assert not validator.is_valid(yaml.safe_load(misspelt))
