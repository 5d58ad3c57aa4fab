"""Blocks with several named outputs (`outputs: [residual, skip]`, read as `l0.skip`), and
the error for a name local to a block. WaveNet's (residual, skip) pair as one block with
`repeat:`, against a hand-written PyTorch module and hand arithmetic.

Fixtures mark where an error must be reported with `@@` (removed before parsing).
"""

from __future__ import annotations

from pathlib import Path

from helpers import assert_error_at_mark, trace_of
from needs import needs_module

# WaveNet (van den Oord et al., 2016): each layer a causal dilated conv pair (kernel 2,
# left-padded by the dilation), gated tanh * sigmoid, a 1x1 conv to the residual (added to
# the layer's input) and a 1x1 conv to the skip; the skips of every layer are summed.
WAVENET = """\
name: wavenet
input: {l: 64, c: 16}
blocks:
  wavenet_layer:
    args: {dilation: 1}
    outputs: [residual, skip]
    layers:
      - {name: padded, type: pad, padding: [$dilation, 0]}
      - {name: filter, type: conv1d, filters: 16, kernel: 2, dilation: $dilation, activation: tanh}
      - {name: gate, type: conv1d, from: padded, filters: 16, kernel: 2, dilation: $dilation, activation: sigmoid}
      - {name: gated, type: multiply, from: [filter, gate]}
      - {name: skip, type: conv1d, filters: 32, kernel: 1}
      - {name: res_out, type: conv1d, from: gated, filters: 16, kernel: 1}
      - {name: residual, type: add, from: [input, res_out]}
layers:
  - {name: l, type: wavenet_layer, dilation: "${2 ** i}", repeat: 4}
  - {name: skips, type: add, from: [l.1.skip, l.2.skip, l.3.skip, l.4.skip]}
  - {type: relu}
  - {name: head, type: conv1d, filters: 8, kernel: 1}
expect:
  l.2.skip: {params: 544}
  total: {params: 7752, macs: 475136}
"""
# Per layer, L = 64 (the pad of d then a kernel-2 conv of dilation d keeps 64):
#   filter and gate: 2*16*16 + 16 = 528 params, 64*16*16*2 = 32,768 MACs each
#   skip 1x1 16->32: 16*32 + 32 = 544 params, 64*16*32 = 32,768 MACs
#   res  1x1 16->16: 16*16 + 16 = 272 params, 64*16*16 = 16,384 MACs
#   one layer: 2*528 + 544 + 272 = 1,872 params; 2*32,768 + 32,768 + 16,384 = 114,688 MACs
# head 1x1 32->8: 32*8 + 8 = 264 params, 64*32*8 = 16,384 MACs
# total: 4*1,872 + 264 = 7,752 params; 4*114,688 + 16,384 = 475,136 MACs
PARAMS, MACS = 7752, 475136


def test_wavenet_layers_are_one_block_with_two_outputs() -> None:
    trace = trace_of(WAVENET)
    assert sum(n.params.total for n in trace.nodes) == PARAMS
    assert sum(n.macs for n in trace.nodes) == MACS
    skips = trace.nodes[trace.names["skips"]]  # type: ignore[index]
    # the sum reads each copy's skip conv, (64, 32)
    assert [trace.nodes[s].name for s in skips.sources] == [f"l.{k}.skip" for k in (1, 2, 3, 4)]
    assert skips.output == (32, 64)  # (C, L), PyTorch's order
    # each copy after the first reads the copy before's residual: its first output
    pads = [n for n in trace.nodes if n.kind == "pad"]
    assert [trace.nodes[p.sources[0]].name for p in pads] == ["input", "l.1.residual", "l.2.residual", "l.3.residual"]


def test_wavenet_matches_a_hand_written_torch_module() -> None:
    torch = needs_module("torch")
    from torch import nn
    from torch.nn import functional

    from cnncalc.verify import verify

    class Layer(nn.Module):  # type: ignore[misc]
        def __init__(self, dilation: int) -> None:
            super().__init__()
            self.dilation = dilation
            self.filter = nn.Conv1d(16, 16, 2, dilation=dilation)
            self.gate = nn.Conv1d(16, 16, 2, dilation=dilation)
            self.skip = nn.Conv1d(16, 32, 1)
            self.res = nn.Conv1d(16, 16, 1)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            padded = functional.pad(x, (self.dilation, 0))
            gated = torch.tanh(self.filter(padded)) * torch.sigmoid(self.gate(padded))
            return x + self.res(gated), self.skip(gated)

    class WaveNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(Layer(2**i) for i in range(4))
            self.head = nn.Conv1d(32, 8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            skips = []
            for layer in self.layers:
                x, skip = layer(x)
                skips.append(skip)
            return self.head(torch.relu(sum(skips)))

    module = WaveNet()
    macs: list[int] = []

    def count(conv: nn.Conv1d, _: object, out: torch.Tensor) -> None:
        macs.append(out.shape[1] * out.shape[2] * conv.in_channels * conv.kernel_size[0])

    for conv in module.modules():
        if isinstance(conv, nn.Conv1d):
            conv.register_forward_hook(count)
    out = module(torch.zeros(1, 16, 64))
    assert tuple(out.shape) == (1, 8, 64)
    assert sum(p.numel() for p in module.parameters()) == PARAMS
    assert sum(macs) == MACS

    trace = trace_of(WAVENET)
    assert trace.nodes[-1].output == tuple(out.shape[1:])
    assert verify(trace, "cpu").agrees


def test_claims_name_a_blocks_output(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cnncalc.cli import app

    spec = tmp_path / "wavenet.yaml"
    spec.write_text(WAVENET, encoding="utf-8")
    result = CliRunner().invoke(app, ["table", str(spec)], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "3/3 confirmed" in result.output  # l.2.skip params, total params, total MACs


FIRST = """\
name: t
input: {h: 4, w: 4, c: 2}
blocks:
  two:
    outputs: [wide, narrow]
    layers:
      - {name: wide, type: conv, filters: 6, kernel: 1}
      - {name: narrow, type: conv, filters: 3, kernel: 1}
layers:
  - {name: b, type: two}
  - {type: conv, filters: 5, kernel: 1}
  - {type: concat, from: [b.narrow, b.wide]}
"""


def test_the_first_output_is_what_the_next_layer_and_the_blocks_name_read() -> None:
    trace = trace_of(FIRST)
    after = trace.nodes[3]
    # the conv after the block reads `wide` (6 channels): 6*5 + 5 = 35 params, not 3*5 + 5 = 20
    assert trace.nodes[after.sources[0]].name == "b.wide"
    assert after.params.total == 35
    # concat of narrow (3) and wide (6): 9 channels
    assert trace.nodes[-1].output == (9, 4, 4)


LOCAL = """\
name: t
input: {h: 4, w: 4, c: 2}
blocks:
  two:
    outputs: [wide]
    layers:
      - {name: wide, type: conv, filters: 6, kernel: 1}
      - {name: narrow, type: conv, filters: 3, kernel: 1}
layers:
  - {name: b, type: two}
"""


def test_a_name_local_to_a_block_is_an_error_that_says_so() -> None:
    marked = LOCAL + "  - {type: concat, from: [b.wide, @@b.narrow]}\n"
    assert_error_at_mark(
        marked,
        "'narrow' is local to block 'b' (two)",
        "declare it in the block's outputs (outputs: [wide, narrow]) and read it as b.narrow",
    )


def test_a_bare_name_local_to_a_block_is_an_error_that_says_so() -> None:
    marked = LOCAL + "  - {type: conv, filters: 2, kernel: 1, from: @@narrow}\n"
    assert_error_at_mark(marked, "'narrow' is local to block 'b' (two)", "read it as b.narrow")


def test_a_name_inside_a_block_without_outputs_is_local_too() -> None:
    marked = LOCAL.replace("    outputs: [wide]\n", "") + "  - {type: conv, filters: 2, kernel: 1, from: @@b.wide}\n"
    assert_error_at_mark(marked, "'wide' is local to block 'b' (two)", "(outputs: [wide])")


def test_a_repeated_blocks_outputs_are_read_per_copy_and_by_its_name_for_the_last() -> None:
    text = LOCAL.replace("  - {name: b, type: two}\n", "  - {name: b, type: two, repeat: 2}\n")
    trace = trace_of(text + "  - {type: concat, from: [b.1.wide, b.wide]}\n")
    concat = trace.nodes[-1]
    assert [trace.nodes[s].name for s in concat.sources] == ["b.1.wide", "b.2.wide"]
    assert concat.output == (12, 4, 4)  # 6 + 6 channels


def test_an_output_that_names_no_layer_is_an_error_at_the_definition() -> None:
    marked = LOCAL.replace("outputs: [wide]", "outputs: [wide, @@narow]")
    assert_error_at_mark(marked, "block 'two': outputs: 'narow' names none of its layers", "narrow")


def test_an_output_named_twice_is_refused() -> None:
    marked = LOCAL.replace("outputs: [wide]", "outputs: @@[wide, wide]")
    assert_error_at_mark(marked, "the output 'wide' is named twice")


def test_the_schema_takes_outputs() -> None:
    jsonschema = needs_module("jsonschema")
    import yaml

    from cnncalc.schema import spec_schema

    validator = jsonschema.Draft202012Validator(spec_schema())
    assert validator.is_valid(yaml.safe_load(WAVENET))
