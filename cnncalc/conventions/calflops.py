"""calflops 0.3.2: `calculate_flops(model, input_shape=(1, C, H, W))`, FLOPs (its headline).

It wraps `torch.nn.functional` calls (after DeepSpeed's flops profiler) and sums them per
module:
- `F.conv*d`: 2 per MAC plus 1 per output element with a bias;
- `F.conv_transpose*d`: 2 per MAC by input positions, the MACs reading the weight's
  second axis (already C_out/g) divided by g again, plus `C_out/g` bias adds per position
  of the conv formula applied to the input (the wrong output size);
- `F.linear`: 2 per MAC, bias ignored;
- `F.relu`, `leaky_relu`, `silu`, `gelu`, `softmax`, `elu`, `prelu`: 1 per element; ReLU6
  and hardtanh (`F.hardtanh`), sigmoid, tanh, hardswish, hardsigmoid, SELU, Mish, softplus,
  log-softmax, GLU: 0; a layer scale's `weight * x`: 0;
- every pooling (max, average, adaptive, global): 1 per input element;
- `F.batch_norm` in eval 2 per element (1 without affine), with batch statistics 5 (4);
  `F.layer_norm`, `F.group_norm` 5 (4);
- `F.interpolate`: the product of `size` (spatial only, not times channels); with a
  per-axis scale it crashes (not defined here) unless the scale has as many entries as
  the batch has samples (a 1-D upsample at batch 1), when it counts the input's elements;
- dropout, merges written as operators, flatten and padding: 0; so is `a @ b` (matmul),
  an operator it does not wrap, and `F.embedding`;
- RNN, GRU, LSTM (a module hook): per step and layer 2 per element of weight_ih and
  weight_hh plus H (RNN), 7H (GRU) or 10H (LSTM), doubled when bidirectional; no bias adds
  (without biases, 2 * gates * H fewer: each matmul's adds are one fewer per row), no
  projection.
- `F.scaled_dot_product_attention` and `F.rms_norm`: not wrapped, 0; so attention counts
  its projections (2 per MAC), not `QK^T` and `AV`. `calculate_flops` runs the model in
  eval() with gradients on, so nn.MultiheadAttention never takes its fused inference path
  (that needs no_grad): its four projections always go through the wrapped `F.linear`. A
  transformer layer's activation is the `F.relu`/`F.gelu` it captured when built, before
  calflops wraps them: 0; its layer norms 5 per element. A gated feed-forward's
  `nn.SiLU`/`nn.GELU` gate: 1 per element.
It wraps functions, not modules, so a layer written as F.* or as a subclass counts the
same; a tensor method (`form: method`, `x.mean([2, 3])`) is not wrapped: 0.
The count depends on how the model is written; these are the `--verify` builder's choices
(torchvision's): merges as `x + y` operators, activations as modules, and a pool whose
padding is asymmetric (or wider than PyTorch lets a pool pad) as a pad layer then the
pool, which then counts the padded input's elements.
Its MACs are cnncalc's (conv, linear and matmul multiply-accumulates, grouped transposed
conv aside).
"""

from __future__ import annotations

import math

from cnncalc.conventions import _windowed as windowed
from cnncalc.conventions._facts import Facts
from cnncalc.conventions._kinds import (
    ADAPTIVE,
    AVGPOOL,
    CONV,
    GLOBAL,
    MAXPOOL,
    MERGE,
    RECURRENT,
    SEQUENCE,
    SHAPE_ONLY,
    TRANSFORMER,
    TRANSPOSED,
    WINDOWED,
)
from cnncalc.conventions._preset import Count, NotDefined, Preset, Rule, unseen, zero
from cnncalc.conventions._recurrent import stack


def _conv(f: Facts) -> int:
    return 2 * f.macs + (f.y if f.bias else 0)


def _transposed(f: Facts) -> int:
    groups = int(f.get("groups", 1))
    per_group = f.channels_out // groups  # the weight's second axis
    macs = math.prod(f.kernel) * f.channels_in * (per_group // groups) * f.spatial_in
    if not f.bias:
        return 2 * macs
    # calflops sizes the bias adds with the (forward) conv formula on the input.
    sizes = zip(f.inputs[0][1:], f.kernel, f.sizes("stride"), f.sizes("padding", 0), f.sizes("dilation"), strict=True)
    positions = math.prod((n + 2 * p - (d * (k - 1) + 1)) // s + 1 for n, k, s, p, d in sizes)
    return 2 * macs + per_group * positions


def _batchnorm(f: Facts) -> int:
    affine = bool(f.get("affine", True))
    if not f.get("track_running_stats", True):
        return f.x * (5 if affine else 4)
    return f.x * (2 if affine else 1)


def _norm(f: Facts) -> int:
    return f.x * (5 if f.get("affine", True) else 4)


CRASH_ON_SCALE = (
    "calflops 0.3.2 raises TypeError: unsupported operand type(s) for ** or pow(): 'tuple' and 'int' "
    "(its interpolate hook raises a per-axis scale to a power unless it has as many axes as the batch)"
)


def _upsample(f: Facts) -> Count:
    if f.get("size") is not None:
        return math.prod(f.output[1:])
    if len(f.inputs[0]) - 1 != 1:  # the builder passes one scale per axis; batch 1 matches 1-D only
        return NotDefined(CRASH_ON_SCALE)
    return f.x


def _transformer(f: Facts) -> int:
    parts = f.parts
    # Gradients are on in calculate_flops: no fused attention path, every projection is seen.
    seen = [p for a in parts.attentions for p in a.projections] + list(parts.linears)
    # A gate's nn.SiLU (in each expert a token runs, for moe), or an nn.GELU module between the
    # feed-forward layers, calls the wrapped F.*.
    called = f.kind in ("gated_ffn", "moe") or f.get("feedforward_activation_form") == "module"
    gate = parts.activations if called else 0
    return 2 * sum(p.macs for p in seen) + 5 * sum(parts.norms) + gate


def _windowed(f: Facts) -> int:
    # F.linear on the qkv and proj weights (Swin) or through the nn.Linears (MaxViT): 2 per MAC.
    attention = 2 * windowed.products(f) if windowed.swin(f) else 2 * int(windowed.numpy_einsum(f))
    return 2 * windowed.projections(f) + attention + windowed.softmax(f)


_element = Rule(lambda f: f.x, "1 per element")

# The element-wise operations DeepSpeed's `_rnn_flops` adds per step: RNN H, GRU 7H, LSTM 10H.
_RNN_EXTRA = {"rnn": 1, "gru": 7, "lstm": 10}


def _recurrent(f: Facts) -> int:
    """Per step and layer, `2 * elements - rows` for each of weight_ih and weight_hh (a row's
    adds are one fewer than its multiplies) plus the element-wise extra, and with biases
    their 2 * g*H elements: so 2 FLOPs per gate weight with biases, 2 * g*H fewer without.
    An LSTM's projection weight_hr is not counted."""
    s = stack(f)
    gated = s.gates * s.hidden
    unbiased = 0 if s.bias else 2 * gated  # the two `- rows` that no bias adds back
    per_layer = (2 * gated * (i + s.recurrent) + _RNN_EXTRA[s.kind] * s.hidden - unbiased for i in s.widths)
    return s.steps * s.directions * sum(per_layer)


RULES: dict[str, Rule] = {
    **{k: Rule(_conv, "bias 1 per output element") for k in CONV},
    **{k: Rule(_transposed, "bias adds on the conv formula's size") for k in TRANSPOSED},
    "dense": Rule(lambda f: 2 * f.macs),
    "batchnorm": Rule(_batchnorm, "2 per element"),
    "groupnorm": Rule(_norm, "5 per element"),
    "layernorm": Rule(_norm, "5 per element"),
    **{k: _element for k in ("relu", "leaky_relu", "silu", "gelu", "softmax", "elu", "prelu")},
    **{k: zero() for k in ("relu6", "sigmoid", "tanh", "hardswish")},
    # Their F.* calls are not among those it wraps.
    **{k: zero() for k in ("hardsigmoid", "hardtanh", "selu", "mish", "softplus", "log_softmax", "glu")},
    # A padded pool is built as pad + pool: F.max_pool2d sees the padded input.
    **{k: Rule(lambda f: f.x_built, "1 per input element") for k in (*MAXPOOL, *AVGPOOL)},
    **{k: Rule(lambda f: f.x, "1 per input element") for k in (*GLOBAL, *ADAPTIVE)},
    "upsample": Rule(_upsample, "its size's product, or the input's elements"),
    **{k: zero() for k in (*MERGE, *SHAPE_ONLY)},
    **{k: Rule(_recurrent, "2 per gate weight and the element-wise gates per step, no bias") for k in RECURRENT},
    "matmul": zero("`a @ b` as an operator: not wrapped"),
    **{k: zero() for k in SEQUENCE},
    "scale": zero("`weight * x` is an operator it does not wrap"),
    **{k: Rule(_transformer, "projections 2 per MAC, no QK^T or AV") for k in TRANSFORMER},
    "gated_ffn": Rule(_transformer, "2 per MAC; the gate's F.silu/F.gelu 1 per element"),
    "moe": Rule(_transformer, "2 per MAC of the experts run; their F.silu/F.gelu 1 per element"),
    "rmsnorm": zero(),
    **{
        k: Rule(
            _windowed,
            "projections 2 per MAC, QK^T and AV by Tensor.matmul 2 per MAC (torch.einsum by numpy's "
            "count to 4 figures), F.softmax 1 per element",
            lambda f: (
                (
                    "QK^T and AV by Tensor.matmul 2 per MAC"
                    if windowed.swin(f)
                    else "QK^T and AV by torch.einsum, numpy's count to 4 figures"
                )
                + "; projections 2 per MAC, F.softmax 1 per element"
            ),
        )
        for k in WINDOWED
    },
}

PRESET = Preset(
    name="calflops",
    tool="calflops 0.3.2 calculate_flops",
    unit="FLOPs",
    rules=RULES,
    summary="2 FLOPs per MAC plus bias, norms, activations and pooling",
    doc=__doc__ or "",
    forms={"method": unseen("a tensor method: not wrapped")},
)
