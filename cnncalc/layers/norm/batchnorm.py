"""Batch normalization: `{type: batchnorm}`, per channel (or per feature when flat).

Trainable: gamma and beta, 2C. Buffers, not parameters: running mean and variance (2C)
plus PyTorch's one-element `num_batches_tracked` counter.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.layers.activation._activation import WithActivation
from cnncalc.layers.api import SPATIAL_LAYOUTS, Extra, Footprint, Inputs, Shape, Tensor, Work, prod


class BatchNorm(WithActivation):
    """Normalizes each channel with batch statistics, then scales and shifts it."""

    traits: ClassVar[frozenset[str]] = frozenset({"normalizing", "batch-statistics"})
    type: Literal["batchnorm"]
    # Per channel, or per feature when flat; a sequence of vectors (L, D) takes a layernorm.
    accepts: ClassVar[frozenset[str]] = SPATIAL_LAYOUTS | {"F"}
    affine: bool = Field(True, description="Learn a scale (gamma) and shift (beta) per channel.")
    track_running_stats: bool = Field(True, description="Keep running mean and variance as buffers.")
    eps: float = Field(1e-5, gt=0, description="Added to the variance for numerical stability.")
    momentum: float = Field(0.1, ge=0, le=1, description="Update rate of the running statistics.")

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        channels = (inputs[0].channels,)
        found = [Tensor("weight", channels), Tensor("bias", channels)] if self.affine else []
        if self.track_running_stats:
            found += [
                Tensor("running_mean", channels, "buffer"),
                Tensor("running_var", channels, "buffer"),
                Tensor("num_batches_tracked", (), "buffer"),  # one element, as in PyTorch
            ]
        return found

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output), activation=self.activated(output))

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        if not training:
            return Footprint()
        # Its input, and the batch's mean and inverse deviation per channel (float32).
        stats = Extra(inputs[0].channels, 4, per_sample=False)
        return Footprint(keeps_inputs=(0,), kept=(stats, stats))

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        cls = getattr(nn, f"BatchNorm{max(len(x) - 1, 1)}d")  # (N,) and (C, L) both take BatchNorm1d
        return cls(x.channels, self.eps, self.momentum, self.affine, self.track_running_stats)
