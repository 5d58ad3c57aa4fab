"""specs/wavenet.yaml: WaveNet's layers as one block with two outputs (residual, skip),
repeated twenty times with the dilation of each copy an expression of its index; exact
against a hand-written PyTorch module (params, buffers, MACs by FlopCounterMode, verify)."""

from __future__ import annotations

import runpy
from pathlib import Path

from helpers import assert_agrees
from needs import needs_module

from cnncalc.engine import Trace, propagate
from cnncalc.figures import totals
from cnncalc.spec import load_spec

SPEC = Path(__file__).resolve().parents[1] / "specs" / "wavenet.yaml"
WAVENET_CODE = Path(__file__).resolve().parent / "data" / "torch_code" / "wavenet.py"
# By hand, as the spec's comments work them (L = 1,024): start 16,448 params and 16,777,216
# MACs; each of 20 layers 37,312 and 37,748,736; post and logits 65,792 and 67,108,864 each.
PARAMS = 16_448 + 20 * 37_312 + 2 * 65_792  # 894,272
MACS = 16_777_216 + 20 * 37_748_736 + 2 * 67_108_864  # 905,969,664
DILATIONS = [2 ** (i % 10) for i in range(20)]  # 1, 2, ..., 512, twice


def trace_of_spec() -> Trace:
    return propagate(load_spec(SPEC), str(SPEC))


def test_each_layer_is_one_block_copy_with_its_own_dilation() -> None:
    trace = trace_of_spec()
    spec = load_spec(SPEC)
    assert spec.blocks["wavenet_layer"].outputs == ("residual", "skip")
    filters = [n for n in trace.nodes if n.name.endswith(".filter")]
    assert [n.layer.dilation for n in filters] == DILATIONS  # type: ignore[union-attr]
    skips = trace.nodes[trace.names["skips"]]  # type: ignore[index]
    assert [trace.nodes[s].name for s in skips.sources] == [f"l.{k}.skip" for k in range(1, 21)]
    total = totals(trace)
    assert (total.params.total, total.params.buffers, total.macs) == (PARAMS, 0, MACS)
    assert total.output == (256, 1024)  # (C, L): logits over 256 classes at every step


def test_it_matches_a_hand_written_torch_module() -> None:
    torch = needs_module("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from cnncalc.verify import counting

    # The hand-written module `cnncalc import` reads too (tests/test_import_zoo.py), at its
    # defaults: 2 stacks of 10 layers, 256 classes, 64 channels.
    module = runpy.run_path(str(WAVENET_CODE))["WaveNet"]()
    assert sum(p.numel() for p in module.parameters()) == PARAMS
    assert sum(b.numel() for b in module.buffers()) == 0
    counter = FlopCounterMode(display=False)
    with counting(torch), counter:
        out = module(torch.randn(2, 256, 1024))
    assert tuple(out.shape) == (2, 256, 1024)
    assert counter.get_total_flops() == 2 * 2 * MACS  # FLOPs = 2 x MACs, batch 2
    trace = trace_of_spec()
    assert trace.nodes[-1].output == tuple(out.shape[1:])
    assert_agrees(trace)
