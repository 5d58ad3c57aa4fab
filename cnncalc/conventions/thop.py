"""thop 0.1.1.post2209072238 (`pip install thop`): `thop.profile(model, (x,))`, MACs.

Forward hooks on leaf modules of its `register_hooks` table; anything else counts 0:
- conv (and depthwise, separable): cnncalc's MACs, bias ignored; transposed conv charged
  on the *output* positions, `N*C_out*O_out*(C_in/g)*K`, stride^2 times the input rule;
- linear: `in_features` per output element, cnncalc's MACs;
- BatchNorm, LayerNorm: 2 per input element, doubled with `affine`; GroupNorm is not
  registered: 0;
- AvgPool: 1 per output element; AdaptiveAvgPool (global too): `(window + 1)` per output
  element, the window `prod(in / out)` in floating point, truncated;
- Softmax: `3*C - 1` per position; Upsample: 1 per output element, 11 when bilinear;
- PReLU: 1 per element (in eval);
- ReLU, ReLU6, LeakyReLU, max pooling, dropout: registered as 0; Sigmoid, Tanh, GELU, SiLU,
  Hardswish, Flatten, padding and merges: unregistered, 0;
- RNN, GRU, LSTM: per step its own cell formulas (rnn_hooks.py): the gate matmuls plus an
  add and both biases per gate, plus the element-wise products (GRU 4H, LSTM 4H); layers
  after the first read `hidden_size` even with `proj_size`, and the projection is not
  counted; Embedding, matmul written as an operator: unregistered, 0.
- nn.MultiheadAttention, nn.RMSNorm: not registered, 0 (nor are the projections inside
  MultiheadAttention, which it runs as functions); a transformer layer counts its
  feed-forward `nn.Linear`s and 4 per element of each layer norm; attention written with
  `nn.Linear` projections (grouped-query, rotary) counts them, not `QK^T` and `AV`.
A layer written as a function (`form: function`), a tensor method (`form: method`) or a
subclass of the module (`form: subclass`, `LayerNorm2d(nn.LayerNorm)`: its table matches
the exact type) has no hook: 0.
Counts include the batch and come back as a float; exact below 2^53.
(Its maintained fork, ultralytics-thop 2.x, counts transposed conv by input positions and
average pooling by the window; this preset reproduces the `thop` package.)
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
    SEQUENCE,
    SHAPE_ONLY,
    TRANSFORMER,
    TRANSPOSED,
    WINDOWED,
)
from cnncalc.conventions._preset import Preset, Rule, unseen, zero
from cnncalc.conventions._recurrent import stack
from cnncalc.conventions._windowed import projections, swin
from cnncalc.conventions._words import multihead, norms


def _transposed(f: Facts) -> int:
    return f.y * (f.channels_in // int(f.get("groups", 1))) * math.prod(f.kernel)


def _norm(f: Facts) -> int:
    return 2 * f.x * (2 if f.get("affine", True) else 1)


def _adaptive_avg(f: Facts) -> int:
    # torch.prod(DoubleTensor(in) / DoubleTensor(out)) + 1, times the output elements, int().
    window = 1.0
    for n, o in zip(f.inputs[0][1:], (f.output[1:] or (1,) * (len(f.inputs[0]) - 1)), strict=True):
        window *= n / o
    return int((window + 1) * f.y)


def _softmax(f: Facts) -> int:
    features = f.inputs[0][0]  # nn.Softmax(dim=1): channels, or the features when flat
    return (f.x // features) * (3 * features - 1)


def _cell(kind: str, i: int, h: int, bias: bool) -> int:
    """thop's `_count_rnn_cell`, `_count_gru_cell`, `_count_lstm_cell` (rnn_hooks.py): per step."""
    gate = (i + h) * h + h + (2 * h if bias else 0)  # W_ih x + W_hh h, an add and the two biases
    if kind == "rnn":
        return gate
    if kind == "gru":
        return 3 * gate + h + 3 * h  # r, z and n gates; r * (W_hn h + b_hn); (1 - z) * n + z * h
    return 4 * gate + 3 * h + h  # i, f, g, o gates; c = f * c + i * g; h = o * tanh(c)


def _recurrent(f: Facts) -> int:
    # Layer 2 and later read hidden_size (times 2 when bidirectional): thop ignores proj_size.
    s = stack(f)
    widths = [s.widths[0], *[s.directions * s.hidden] * (len(s.widths) - 1)]
    return s.steps * s.directions * sum(_cell(s.kind, i, s.hidden, s.bias) for i in widths)


def _transformer(f: Facts) -> int:
    # Leaf nn.Linear modules only: nn.MultiheadAttention is not registered.
    parts = f.parts
    linears = [p for a in parts.attentions if not a.multihead for p in a.projections] + list(parts.linears)
    return sum(p.macs for p in linears) + 4 * sum(parts.norms)


_unregistered = zero("not registered, 0")

RULES: dict[str, Rule] = {
    **{k: Rule(lambda f: f.macs) for k in (*CONV, "dense")},
    **{k: Rule(_transposed, "on output positions") for k in TRANSPOSED},
    "batchnorm": Rule(_norm, "4 per element"),
    "layernorm": Rule(_norm, "4 per element"),
    "groupnorm": _unregistered,
    **{k: Rule(lambda f: f.y, "1 per output element") for k in AVGPOOL},
    "global_avgpool": Rule(_adaptive_avg, "(window + 1) per output"),
    "adaptive_avgpool": Rule(_adaptive_avg, "(window + 1) per output"),
    "global_maxpool": zero(),
    "adaptive_maxpool": zero(),
    **{k: zero() for k in MAXPOOL},
    **{k: _unregistered for k in ACTIVATIONS if k != "softmax"},
    "softmax": Rule(_softmax, "3C - 1 per position"),
    "upsample": Rule(lambda f: f.y * (11 if f.get("mode") == "bilinear" else 1), "1 per output (bilinear 11)"),
    **{k: zero() for k in (*MERGE, *SHAPE_ONLY)},
    **{
        k: Rule(_recurrent, "its own cell formulas per step (gates, biases, products; no projection)")
        for k in ("rnn", "gru", "lstm")
    },
    "matmul": _unregistered,  # an operator, not a module
    **{k: _unregistered for k in SEQUENCE},
    "scale": _unregistered,
    "prelu": Rule(lambda f: f.x, "1 per element (in eval)"),
    "glu": _unregistered,
    **{
        k: Rule(
            _transformer,
            "nn.Linear leaves and norms 4 per element; MultiheadAttention 0",
            lambda f: (
                "nn.Linear leaves"
                + (" and norms 4 per element" if norms(f) else "")
                + ("; MultiheadAttention 0" if multihead(f) else "")
            ),
        )
        for k in TRANSFORMER
    },
    "gated_ffn": Rule(_transformer, "its three nn.Linear leaves; SiLU, GELU unregistered"),
    "rmsnorm": _unregistered,
    **{
        k: Rule(
            lambda f: 0 if swin(f) else projections(f),
            "its nn.Linear leaves when called as modules (MaxViT), Swin's F.linear 0",
            lambda f: "F.linear on the weights: no hook, 0" if swin(f) else "its two nn.Linear leaves",
        )
        for k in WINDOWED
    },
}

PRESET = Preset(
    name="thop",
    tool="thop 0.1.1.post2209072238 profile",
    unit="MACs",
    rules=RULES,
    summary="MACs plus norms 4 per element and pooling",
    doc=__doc__ or "",
    forms={
        "function": unseen("an F.* call: no hook"),
        "method": unseen("a tensor method: no hook"),
        "subclass": unseen("a subclass: not in its table (exact type)"),
    },
)
