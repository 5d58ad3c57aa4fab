"""specs/wavenet.yaml: WaveNet's layers as one block with two outputs (residual, skip),
repeated twenty times with the dilation of each copy an expression of its index; exact
against a hand-written PyTorch module (params, buffers, MACs by FlopCounterMode, verify)."""

from __future__ import annotations

from pathlib import Path

from helpers import assert_agrees
from needs import needs_module

from cnncalc.engine import Trace, propagate
from cnncalc.figures import totals
from cnncalc.spec import load_spec

SPEC = Path(__file__).resolve().parents[1] / "specs" / "wavenet.yaml"
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
    from torch import nn
    from torch.nn import functional
    from torch.utils.flop_counter import FlopCounterMode

    from cnncalc.verify import counting

    class Layer(nn.Module):  # type: ignore[misc]
        def __init__(self, dilation: int) -> None:
            super().__init__()
            self.dilation = dilation
            self.filter = nn.Conv1d(64, 64, 2, dilation=dilation)
            self.gate = nn.Conv1d(64, 64, 2, dilation=dilation)
            self.skip = nn.Conv1d(64, 256, 1)
            self.res = nn.Conv1d(64, 64, 1)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            padded = functional.pad(x, (self.dilation, 0))  # causal: the past only
            gated = torch.tanh(self.filter(padded)) * torch.sigmoid(self.gate(padded))
            return x + self.res(gated), self.skip(gated)

    class WaveNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.start = nn.Conv1d(256, 64, 1)
            self.layers = nn.ModuleList(Layer(d) for d in DILATIONS)
            self.post = nn.Conv1d(256, 256, 1)
            self.logits = nn.Conv1d(256, 256, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.start(x)
            skips = []
            for layer in self.layers:
                x, skip = layer(x)
                skips.append(skip)
            return self.logits(torch.relu(self.post(torch.relu(sum(skips)))))

    module = WaveNet()
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
