"""The network's own `args:`: named values its top-level layers use in `$name` and
`${expression}` (cnncalc.spec.blocks.network_environment). Numbers worked by hand.

Fixtures mark where an error must be reported with `@@` (removed before parsing).
"""

from __future__ import annotations

from helpers import assert_error_at_mark, trace_of
from needs import needs_module

WIDTHS = """\
name: t
input: {h: 8, w: 8, c: 4}
args: {width: 8, wide: "${width * 2}"}
blocks:
  unit:
    args: {filters: required}
    layers:
      - {type: conv, filters: $filters, kernel: 3, padding: 1, bias: false}
layers:
  - {type: conv, filters: $width, kernel: 1}
  - {type: conv, filters: "${wide + 1}", kernel: 1}
  - {type: unit, filters: "${width // 2}"}
  - {type: conv, filters: "${width * (i + 1)}", kernel: 1, repeat: 2}
"""


def test_top_level_layers_read_the_networks_args() -> None:
    trace = trace_of(WIDTHS)
    # width 8; wide = 8 * 2 = 16, so 17 filters; the block gets 8 // 2 = 4; the repeat 8 then 16
    assert [n.output[0] for n in trace.nodes[1:]] == [8, 17, 4, 8, 16]
    # 4*8 + 8 = 40; 8*17 + 17 = 153; 3*3*17*4 = 612 (no bias); 4*8 + 8 = 40; 8*16 + 16 = 144
    assert [n.params.total for n in trace.nodes[1:]] == [40, 153, 612, 40, 144]


def test_the_networks_args_build_the_same_network_in_torch() -> None:
    torch = needs_module("torch")
    from cnncalc.verify import build_module, verify

    trace = trace_of(WIDTHS)
    assert verify(trace, "cpu").agrees
    nn = torch.nn
    reference = nn.Sequential(
        nn.Conv2d(4, 8, 1),
        nn.Conv2d(8, 17, 1),
        nn.Conv2d(17, 4, 3, padding=1, bias=False),
        nn.Conv2d(4, 8, 1),
        nn.Conv2d(8, 16, 1),
    )
    expected = sum(p.numel() for p in reference.parameters())
    assert expected == 40 + 153 + 612 + 40 + 144
    assert sum(p.numel() for p in build_module(trace).parameters()) == expected


def test_a_block_does_not_see_the_networks_args() -> None:
    marked = """\
name: t
input: {h: 8, w: 8, c: 4}
args: {width: 8}
blocks:
  unit:
    layers:
      - {type: conv, filters: @@$width, kernel: 1}
layers:
  - {type: unit}
"""
    assert_error_at_mark(marked, "block 'unit' has no argument 'width'")


def test_a_misspelt_arg_has_a_did_you_mean() -> None:
    marked = """\
name: t
input: {h: 8, w: 8, c: 4}
args: {width: 8}
layers:
  - {type: conv, filters: "${2 * @@widht}", kernel: 1}
"""
    assert_error_at_mark(marked, "no name 'widht'", "width")


def test_an_arg_reads_only_the_ones_before_it() -> None:
    marked = """\
name: t
input: {h: 8, w: 8, c: 4}
args: {wide: "${@@width * 2}", width: 8}
layers:
  - {type: conv, filters: $wide, kernel: 1}
"""
    assert_error_at_mark(marked, "no name 'width'")


def test_without_args_the_top_level_names_none() -> None:
    marked = """\
name: t
input: {h: 8, w: 8, c: 4}
layers:
  - {type: conv, filters: @@$width, kernel: 1}
"""
    assert_error_at_mark(marked, "the network's layers have no argument 'width'")


def test_the_schema_takes_args() -> None:
    jsonschema = needs_module("jsonschema")
    import yaml

    from cnncalc.schema import spec_schema

    validator = jsonschema.Draft202012Validator(spec_schema())
    assert validator.is_valid(yaml.safe_load(WIDTHS))
