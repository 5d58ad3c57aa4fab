"""Keras 3 `model.summary()`: parameter counts (Keras reports no compute).

Every layer counts its weights as PyTorch does, except BatchNormalization: its moving mean
and moving variance are weights (non-trainable parameters), so a batchnorm over C channels
holds 4C parameters, 2C of them trainable; PyTorch keeps those 2C (and a one-element batch
counter) as buffers. (Keras' LSTM and GRU with one bias vector differ too; cnncalc has no
recurrent kinds yet.)
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
)
from cnncalc.conventions._preset import Preset, Rule


def _batchnorm(f: Facts) -> int:
    moving = 2 * f.channels_in if f.get("track_running_stats", True) else 0
    return f.params.total + moving


_same = Rule(lambda f: f.params.total)

RULES: dict[str, Rule] = {
    **{k: _same for k in (*CONV, *TRANSPOSED, "dense", *NORMS, *TRANSFORMER, "rmsnorm")},
    "batchnorm": Rule(_batchnorm, "moving mean and variance as non-trainable parameters"),
    **{k: _same for k in (*ACTIVATIONS, *MAXPOOL, *AVGPOOL, *GLOBAL, *ADAPTIVE, *MERGE, *SHAPE_ONLY, "upsample")},
}

PRESET = Preset(
    name="keras",
    tool="Keras 3 model.summary() parameters",
    unit="params",
    rules=RULES,
    summary="counts batchnorm's moving statistics as parameters",
    doc=__doc__ or "",
)
