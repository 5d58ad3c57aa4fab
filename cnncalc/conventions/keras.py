"""Keras 3 `model.summary()`: parameter counts (Keras reports no compute).

Every layer counts its weights as PyTorch does, except BatchNormalization: its moving mean
and moving variance are weights (non-trainable parameters), so a batchnorm over C channels
holds 4C parameters, 2C of them trainable; PyTorch keeps those 2C (and a one-element batch
counter) as buffers. Recurrent layers: Keras' LSTM and SimpleRNN keep one bias vector
(`4H(I+H) + 4H`, `H(I+H) + H`) where PyTorch keeps two (`b_ih`, `b_hh`); its GRU with
`reset_after=True` (the default) keeps two, as PyTorch does. Keras has no LSTM projection.
Embedding, class token and position tables hold what PyTorch's hold; a `parameter` that is
a buffer in PyTorch is a non-trainable weight, counted. (A tied output layer:
TODO, how `model.summary()` counts a weight shared by two layers is not confirmed here;
counted once, as PyTorch does.)
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
    SHAPE_ONLY,
    TRANSFORMER,
    TRANSPOSED,
    WINDOWED,
)
from cnncalc.conventions._preset import Count, NotDefined, Preset, Rule
from cnncalc.conventions._recurrent import stack


def _batchnorm(f: Facts) -> int:
    moving = 2 * f.channels_in if f.get("track_running_stats", True) else 0
    return f.params.total + moving


def _one_bias(f: Facts) -> int:
    # One bias vector per gate where PyTorch has two: per layer and direction g*H fewer.
    s = stack(f)
    return f.params.total - (s.gates * s.hidden * len(s.widths) * s.directions if s.bias else 0)


def _lstm(f: Facts) -> Count:
    if f.get("proj_size"):
        return NotDefined("Keras' LSTM has no projection (proj_size)")
    return _one_bias(f)


_same = Rule(lambda f: f.params.total)

RULES: dict[str, Rule] = {
    **{k: _same for k in (*CONV, *TRANSPOSED, "dense", *NORMS, *TRANSFORMER, *WINDOWED, "rmsnorm")},
    "batchnorm": Rule(_batchnorm, "moving mean and variance as non-trainable parameters"),
    "lstm": Rule(_lstm, "one bias vector per gate, not two"),
    "rnn": Rule(_one_bias, "one bias vector, not two"),
    "gru": _same,  # reset_after=True: two bias vectors, as PyTorch
    **{k: _same for k in ("embedding", "position_embedding", "positional_encoding", "class_token")},
    "segment_embedding": _same,
    # A Keras layer's add_weight: trainable, or (a PyTorch buffer) non-trainable, counted either way.
    "parameter": Rule(lambda f: f.params.total + f.params.buffers, "its tensor; a buffer as a non-trainable weight"),
    **{k: _same for k in ("select", "token_mean", "matmul")},
    **{
        k: _same
        for k in (
            *ACTIVATIONS,
            *MAXPOOL,
            *AVGPOOL,
            *GLOBAL,
            *ADAPTIVE,
            *MERGE,
            *SHAPE_ONLY,
            "upsample",
            "scale",
            "prelu",
            "glu",
        )
    },
}

PRESET = Preset(
    name="keras",
    tool="Keras 3 model.summary() parameters",
    unit="params",
    rules=RULES,
    summary="counts batchnorm's moving statistics as parameters",
    doc=__doc__ or "",
)
