"""specs/transformer.yaml: PyTorch's nn.Transformer with its source and target as two named
inputs, exact against torch's own module (params, buffers, MACs by FlopCounterMode under
verify's settings: gradients on, the math attention kernel, oneDNN off)."""

from __future__ import annotations

from pathlib import Path

from helpers import assert_agrees
from needs import needs_module

from cnncalc.engine import Trace, propagate
from cnncalc.figures import totals
from cnncalc.spec import load_spec

SPEC = Path(__file__).resolve().parents[1] / "specs" / "transformer.yaml"
# By hand (E = 512, F = 2048), as the spec's comments work them: encoder layer 3,152,384,
# decoder layer 4,204,032, six of each and two final norms of 1,024.
PARAMS = 6 * 3_152_384 + 6 * 4_204_032 + 2 * 1_024  # 44,140,544
# Encoder layer at 10 positions 31,559,680; decoder layer at 20 over a memory of 10 79,257,600.
MACS = 6 * 31_559_680 + 6 * 79_257_600  # 664,903,680


def trace_of_spec() -> Trace:
    return propagate(load_spec(SPEC), str(SPEC))


def test_source_and_target_are_two_named_inputs() -> None:
    trace = trace_of_spec()
    assert [(n.name, tuple(n.output)) for n in trace.nodes[: trace.input_count]] == [
        ("src", (10, 512)),
        ("tgt", (20, 512)),
    ]
    decoders = [n for n in trace.nodes if n.kind == "transformer_decoder_layer"]
    memory = trace.names["memory"]
    # the first decoder layer reads the target, each one the memory
    assert trace.nodes[decoders[0].sources[0]].name == "tgt"
    assert all(n.sources[1] == memory for n in decoders)
    total = totals(trace)
    assert (total.params.total, total.params.buffers, total.macs) == (PARAMS, 0, MACS)
    assert total.output == (20, 512)


def test_it_matches_torchs_nn_transformer() -> None:
    torch = needs_module("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from cnncalc.verify import counting

    torch.manual_seed(0)
    model = torch.nn.Transformer(batch_first=True)  # d_model 512, 8 heads, 6 + 6 layers, ff 2048
    assert sum(p.numel() for p in model.parameters()) == PARAMS
    assert sum(b.numel() for b in model.buffers()) == 0
    counter = FlopCounterMode(display=False)
    with counting(torch), counter:
        out = model(torch.randn(2, 10, 512), torch.randn(2, 20, 512))
    assert tuple(out.shape) == (2, 20, 512)
    assert counter.get_total_flops() == 2 * 2 * MACS  # FLOPs = 2 x MACs, batch 2
    assert_agrees(trace_of_spec())
