"""fvcore 0.1.5.post20221221: `FlopCountAnalysis(model, x).total()`; its "flop" is one MAC.

It traces the model with `torch.jit.trace` and counts the ops in `_DEFAULT_SUPPORTED_OPS`:
- conv, transposed conv (by input positions), linear, matmul, einsum: cnncalc's MACs,
  bias ignored;
- `aten::batch_norm` in eval: 2 per element (1 without affine); in training, and without
  running statistics (which batch-normalizes in eval too), 5 (4);
- `aten::group_norm`, `aten::layer_norm`: 5 per element (4 without affine);
- `aten::adaptive_avg_pool2d`: 1 per input element (so a 2-D global average pool too);
- `aten::upsample_nearest2d`: 1 per output element, `upsample_bilinear2d`: 4.
Everything else counts 0 with an "unsupported operator" warning: max and average pooling,
1-D and 3-D adaptive pooling and upsampling, activations, add, mul, softmax, `rms_norm`,
`scaled_dot_product_attention` (so attention counts its projections' MACs only, not
`QK^T` and `AV`, and a transformer layer adds 5 per element of each layer norm), and for
sequences `aten::rnn_tanh`, `gru`, `lstm` (0 for a whole recurrent layer), `embedding`,
`mean`; `aten::matmul` and `bmm` count cnncalc's MACs.
It sees ops, not modules, so how a layer is written does not matter, except a global
pool written as a tensor method (`form: method`, `x.mean([2, 3])`): `aten::mean`, 0.
The traced graph keeps only what the output is computed from: a layer whose result is
never used (the last WaveNet layer's residual) counts 0.
Counts include the batch; cnncalc's presets are per sample, as at batch 1.
"""

from __future__ import annotations

import math

from cnncalc.conventions._facts import Facts
from cnncalc.conventions._kinds import (
    ACTIVATIONS,
    AVGPOOL,
    CONV,
    MAXPOOL,
    MERGE,
    RECURRENT,
    SEQUENCE,
    SHAPE_ONLY,
    TRANSFORMER,
    TRANSPOSED,
    WINDOWED,
)
from cnncalc.conventions._preset import Preset, Rule, unseen, zero
from cnncalc.conventions._windowed import numpy_einsum, projections, swin
from cnncalc.conventions._words import norms


def _batchnorm(f: Facts) -> int:
    affine = bool(f.get("affine", True))
    if not f.get("track_running_stats", True):  # batch statistics: fvcore's training branch
        return f.x * (5 if affine else 4)
    return f.x * (2 if affine else 1)


def _norm(f: Facts) -> int:
    return f.x * (5 if f.get("affine", True) else 4)


def _adaptive_avg(f: Facts) -> int:
    return f.x if len(f.inputs[0]) == 3 else 0  # only aten::adaptive_avg_pool2d has a handle


def _upsample(f: Facts) -> int:
    if len(f.inputs[0]) != 3:
        return 0  # upsample_nearest1d/3d: unsupported
    return f.y * (4 if f.get("mode") == "bilinear" else 1)


def _transformer(f: Facts) -> int:
    parts = f.parts
    return parts.macs - parts.products + 5 * sum(parts.norms)


def _windowed(f: Facts) -> int:
    # aten::linear and aten::matmul (Swin) count exactly; aten::einsum (MaxViT) by numpy's
    # einsum_path figure halved and floored, once for QK^T and once for AV.
    if swin(f):
        return f.macs
    return projections(f) + 2 * math.floor(numpy_einsum(f) / 2)


_unsupported = zero("unsupported op, 0 with a warning")

RULES: dict[str, Rule] = {
    **{k: Rule(lambda f: f.macs) for k in (*CONV, *TRANSPOSED, "dense", "matmul")},
    **{k: _unsupported for k in (*RECURRENT, *SEQUENCE)},  # aten::lstm, embedding, mean: no handle
    "parameter": zero("aten::expand, which it ignores"),  # the tensor over the batch: a view
    "batchnorm": Rule(_batchnorm, "2 per element"),
    "groupnorm": Rule(_norm, "5 per element"),
    "layernorm": Rule(_norm, "5 per element"),
    "global_avgpool": Rule(_adaptive_avg, "1 per input element"),
    "adaptive_avgpool": Rule(_adaptive_avg, "1 per input element"),
    "global_maxpool": _unsupported,
    "adaptive_maxpool": _unsupported,
    "upsample": Rule(_upsample, "1 per output element (bilinear 4)"),
    **{
        k: Rule(
            _transformer,
            "projections only, no QK^T or AV; norms 5 per element",
            lambda f: "projections only, no QK^T or AV" + ("; norms 5 per element" if norms(f) else ""),
        )
        for k in TRANSFORMER
    },
    "gated_ffn": Rule(_transformer, "its three projections; the gate 0"),
    **{
        k: Rule(
            _windowed,
            "projections, QK^T and AV (torch.einsum by numpy's count to 4 figures)",
            lambda f: "projections, QK^T and AV" + ("" if swin(f) else " (torch.einsum by numpy's count to 4 figures)"),
        )
        for k in WINDOWED
    },
    "rmsnorm": _unsupported,
    **{k: _unsupported for k in (*ACTIVATIONS, *MAXPOOL, *AVGPOOL, *MERGE)},
    **{k: zero() for k in SHAPE_ONLY},
    "scale": _unsupported,  # aten::mul
    "prelu": _unsupported,
    "glu": _unsupported,
}

PRESET = Preset(
    name="fvcore",
    tool="fvcore 0.1.5.post20221221 FlopCountAnalysis",
    unit="MACs",
    rules=RULES,
    summary="MACs plus norms and adaptive pooling per element",
    doc=__doc__ or "",
    forms={"method": unseen("a tensor method (aten::mean): unsupported, 0")},
    output_only=True,
)
