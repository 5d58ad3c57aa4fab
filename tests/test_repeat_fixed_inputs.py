"""`repeat:` of a layer or block that reads several inputs: each copy after the first reads
the copy before it in place of the first input, and the others as written (six decoder
layers reading the one before and the encoder's memory). Numbers worked by hand.
"""

from __future__ import annotations

from helpers import trace_of
from needs import needs_module

DECODER = """\
name: t
input: {l: 10, d: 16}
layers:
  - {name: memory, type: dense, units: 16}
  - {name: target, type: dense, units: 16, from: input}
  - name: dec
    type: transformer_decoder_layer
    heads: 2
    feedforward: 32
    dropout: 0.0
    from: [target, memory]
    repeat: 3
"""
# One nn.TransformerDecoderLayer(16, 2, 32): self- and cross-attention each 3*16*16 + 3*16
# (in_proj) + 16*16 + 16 (out_proj) = 1,088; linear1 16*32 + 32 = 544; linear2 32*16 + 16
# = 528; three LayerNorms 3 * 2*16 = 96: 1,088*2 + 544 + 528 + 96 = 3,344 each.
LAYER_PARAMS = 3344


def test_each_decoder_copy_reads_the_one_before_and_the_memory() -> None:
    trace = trace_of(DECODER)
    decoders = [n for n in trace.nodes if n.kind == "transformer_decoder_layer"]
    names = [[trace.nodes[s].name for s in n.sources] for n in decoders]
    assert names == [["target", "memory"], ["dec.1", "memory"], ["dec.2", "memory"]]
    assert [n.params.total for n in decoders] == [LAYER_PARAMS] * 3


def test_a_repeated_block_keeps_its_second_input() -> None:
    text = """\
name: t
input: {h: 4, w: 4, c: 4}
blocks:
  mix:
    inputs: [x, side]
    layers:
      - {type: concat, from: [x, side]}
      - {type: conv, filters: 4, kernel: 1}
layers:
  - {name: side, type: conv, filters: 2, kernel: 1}
  - {name: m, type: mix, from: [input, side], repeat: 3}
"""
    trace = trace_of(text)
    side = trace.names["side"]
    concats = [n for n in trace.nodes if n.kind == "concat"]
    convs = [n for n in trace.nodes if n.kind == "conv"][1:]  # the blocks' own, after `side`
    # copy 1 reads (input, side); copies 2 and 3 the conv ending the copy before, and side
    assert [n.sources for n in concats] == [(0, side), (convs[0].index, side), (convs[1].index, side)]
    # each copy: concat of 4 + 2 = 6 channels, a 1x1 conv to 4: 6*4 + 4 = 28 params
    assert [n.params.total for n in convs] == [28, 28, 28]


def test_a_repeated_decoder_matches_pytorchs() -> None:
    torch = needs_module("torch")
    from cnncalc.verify import verify

    trace = trace_of(DECODER)
    layer = torch.nn.TransformerDecoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    reference = torch.nn.TransformerDecoder(layer, num_layers=3)
    assert sum(p.numel() for p in reference.parameters()) == 3 * LAYER_PARAMS
    decoders = sum(n.params.total for n in trace.nodes if n.kind == "transformer_decoder_layer")
    assert decoders == 3 * LAYER_PARAMS
    assert verify(trace, "cpu").agrees
