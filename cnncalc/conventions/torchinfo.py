"""torchinfo 1.8.0: `summary(model, input_size=(1, C, H, W)).total_mult_adds`.

`LayerInfo.calculate_macs`, summed over leaf modules, from parameters and the output size:
- a module whose class name contains "Conv" (conv, transposed conv, depthwise): its weight
  and bias elements times `N * prod(output spatial)`: the bias counted, and transposed conv
  charged on output positions (stride^2 times the input rule);
- any other leaf with parameters (linear, batchnorm, layernorm, groupnorm, PReLU, a layer
  scale): `N * params`,
  where N is the output's first axis: a linear layer on a (L, F) input counts F*M + M once,
  not L times;
- parameter-free leaves (activations, pooling, upsampling) and operators: 0;
- RNN, GRU, LSTM: their weight_ih_l0-style parameters times `N * L` (the output's first
  two axes, batch first); an embedding `N * params`, the builder's position table (which
  reads `arange(L)`, no batch axis) `L * params`, or `params` once where it reads a (1, L)
  row of positions (`positions: row`, Hugging Face's `position_ids[:, :L]`); a class token's parameter is named
  neither weight nor bias: 0. A tied output layer counts the shared weight again.
- a bare nn.Parameter (`form: parameter`: ConvNeXt's layer scale, ViT's position embedding,
  and the `parameter` kind, always one) belongs to no leaf module: 0. A subclass
  (`form: subclass`) counts as its module; a function or a tensor method holds no
  parameters: 0.
- nn.MultiheadAttention is not a leaf (its `out_proj` child is never called as a module),
  so it counts 0: a transformer layer counts its feed-forward and norms' parameters once,
  attention written with `nn.Linear` projections (grouped-query, rotary) their parameters.
"""

from __future__ import annotations

from cnncalc.conventions._facts import Facts
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
    SHAPE_ONLY,
    TRANSFORMER,
    TRANSPOSED,
    WINDOWED,
)
from cnncalc.conventions._preset import Preset, Rule, unseen, zero
from cnncalc.conventions._windowed import linear_params, swin
from cnncalc.conventions._words import multihead


def _conv(f: Facts) -> int:
    return f.params.total * f.spatial_out


def _dense(f: Facts) -> int:
    # A tied weight is the embedding's, counted there, yet nn.Linear still holds it.
    shared = f.inputs[0][-1] * int(f.get("units")) if f.get("tie") else 0
    return f.params.total + shared


def _transformer(f: Facts) -> int:
    hidden = sum(a.params for a in f.parts.attentions if a.multihead)
    return f.params.total - hidden


def _weights(f: Facts) -> str:
    """`weights and bias`, or `weights` for a layer specified without a bias."""
    return "weights and bias" if f.bias else "weights"


RULES: dict[str, Rule] = {
    **{
        k: Rule(_conv, "weights and bias per output position", lambda f: f"{_weights(f)} per output position")
        for k in (*CONV, *TRANSPOSED)
    },
    "dense": Rule(_dense, "weights and bias once per sample", lambda f: f"{_weights(f)} once per sample"),
    **{k: Rule(lambda f: f.inputs[0][0] * f.params.total, "parameters per time step") for k in RECURRENT},
    "embedding": Rule(lambda f: f.params.total, "parameters once per sample"),
    # The builder's table reads arange(L), without a batch axis: L rows; Hugging Face's
    # position_ids[:, :L] is one row of L positions: the table once.
    "position_embedding": Rule(
        lambda f: f.params.total * (1 if f.get("positions") == "row" else f.inputs[0][0]),
        "parameters per position",
        lambda f: "parameters once per row of positions" if f.get("positions") == "row" else "parameters per position",
    ),
    "segment_embedding": Rule(lambda f: f.params.total, "parameters once per sample"),  # (N, L) ids
    **{k: zero() for k in ("positional_encoding", "class_token", "select", "token_mean", "matmul")},
    **{k: Rule(lambda f: f.params.total, "parameters once per sample") for k in NORMS},
    **{k: zero() for k in (*ACTIVATIONS, *MAXPOOL, *AVGPOOL, *GLOBAL, *ADAPTIVE, *MERGE, *SHAPE_ONLY)},
    "upsample": zero(),
    "scale": Rule(lambda f: f.params.total, "parameters once per sample"),  # a leaf with parameters
    # A bare nn.Parameter or buffer of the model (the builder's module names it neither
    # weight nor bias, which is what torchinfo sees either way).
    "parameter": zero("a bare nn.Parameter: in no leaf module"),
    "prelu": Rule(lambda f: f.params.total, "parameters once per sample"),
    "glu": zero(),
    **{
        k: Rule(
            _transformer,
            "leaf parameters once per sample; MultiheadAttention 0",
            lambda f: "leaf parameters once per sample" + ("; MultiheadAttention 0" if multihead(f) else ""),
        )
        for k in TRANSFORMER
    },
    "gated_ffn": Rule(_transformer, "its projections' parameters once per sample"),
    # Each expert's nn.Linear is called on its routed tokens, (rows, D): rows times its weights.
    "moe": Rule(lambda f: f.macs, "each expert's weights per token routed to it"),
    "rmsnorm": Rule(lambda f: f.params.total, "parameters once per sample"),
    # MaxViT's nn.Linears run on (B, groups, N, C): their parameters times B; Swin's
    # F.linear calls no leaf; the bias table is no leaf's weight.
    **{
        k: Rule(
            lambda f: 0 if swin(f) else linear_params(f),
            "its nn.Linears' parameters once per sample when called as modules (MaxViT), else 0",
            lambda f: (
                "F.linear on the weights: no leaf, 0" if swin(f) else "its nn.Linears' parameters once per sample"
            ),
        )
        for k in WINDOWED
    },
}

PRESET = Preset(
    name="torchinfo",
    tool="torchinfo 1.8.0 summary total_mult_adds",
    unit="MACs",
    rules=RULES,
    summary="parameters times output positions",
    doc=__doc__ or "",
    forms={"parameter": unseen("a bare nn.Parameter: in no leaf module")},
)
