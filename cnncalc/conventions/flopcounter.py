"""torch.utils.flop_counter.FlopCounterMode (torch 2.x): `get_total_flops()`.

FLOPs, 2 per multiply-accumulate, for the conv family (transposed conv by its input
positions, as cnncalc counts MACs), mm/addmm/bmm (bias ignored) and attention. Every other
op counts 0, silently: norms, activations, pooling, merges and upsampling. So its total
is exactly twice cnncalc's MACs, attention's `QK^T` and `AV` included. (Run it with
gradients enabled: under `inference_mode` it counts 0; on the CPU, fused scaled-dot-product
attention and oneDNN LSTMs hide from it unless it runs under
`sdpa_kernel(SDPBackend.MATH)` and `torch.backends.mkldnn.flags(enabled=False)`, as
`cnncalc verify` runs it: these are its numbers run that way.)
"""

from __future__ import annotations

from cnncalc.conventions import flops
from cnncalc.conventions._kinds import (
    ACTIVATIONS,
    ADAPTIVE,
    AVGPOOL,
    CONV,
    GLOBAL,
    MAXPOOL,
    MERGE,
    NORMS,
    RECURRENT,
    SEQUENCE,
    SHAPE_ONLY,
    TRANSFORMER,
    TRANSPOSED,
    WINDOWED,
)
from cnncalc.conventions._preset import Preset, Rule, zero

_twice = Rule(lambda f: flops(f.macs), "2 FLOPs per multiply-accumulate")

RULES: dict[str, Rule] = {
    **{k: _twice for k in (*CONV, *TRANSPOSED, "dense", "matmul", *TRANSFORMER, *WINDOWED)},
    # With oneDNN off (conventions.md); through oneDNN on the CPU an nn.LSTM without a
    # projection counts 0, nn.RNN and nn.GRU do not go through it.
    **{k: Rule(lambda f: flops(f.macs), "2 FLOPs per gate MAC, with oneDNN off") for k in RECURRENT},
    **{k: zero() for k in SEQUENCE},
    "rmsnorm": zero(),
    **{k: zero() for k in (*NORMS, *ACTIVATIONS, *MAXPOOL, *AVGPOOL, *GLOBAL, *ADAPTIVE, *MERGE, *SHAPE_ONLY)},
    "upsample": zero(),
    "scale": zero(),  # an elementwise multiply
    "prelu": zero(),
    "glu": zero(),
}

PRESET = Preset(
    name="flopcounter",
    tool="FlopCounterMode (torch 2.x)",
    unit="FLOPs",
    rules=RULES,
    summary="counts 2 FLOPs per MAC",
    doc=__doc__ or "",
)
