"""cnncalc's own convention (docs: conventions): MACs of the weighted products only.

Conv, dense and their kin count the multiply-accumulates of their weights, bias
excluded; norms, activations, pooling, merges and upsampling count 0 whatever elements
they touch (`Work.bias`, `Work.elementwise`, `Work.activation` are for other
conventions). FLOPs are 2 x MACs. This is what torchvision publishes as "GFLOPS" and
what fvcore and thop report; `FlopCounterMode` reports twice it.
"""

from __future__ import annotations

from cnncalc.conventions import flops as flops_of
from cnncalc.layers.api import Work

NAME = "cnncalc"
LINE = (
    "MACs count the multiply-accumulates of weighted layers (conv, dense), bias excluded; "
    "norms, activations, pooling and merges count 0; FLOPs = 2 × MACs."
)


def macs(work: Work) -> int:
    """Multiply-accumulates of one layer for one sample."""
    return work.macs


def flops(work: Work) -> int:
    """FLOPs: a multiply and an add per MAC."""
    return flops_of(work.macs)
