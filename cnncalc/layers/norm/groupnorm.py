"""Group normalization: `{type: groupnorm, groups: 32}`.

Splits the C channels into `groups` groups and normalizes each sample's group with
its own statistics (independent of the batch). With `affine`, a scale and shift per
channel: 2C parameters. No buffers, no MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.activation._activation import WithActivation
from cnncalc.layers.api import SPATIAL_LAYOUTS, Extra, Footprint, Inputs, Shape, Tensor, Work, prod


class GroupNorm(WithActivation):
    """Normalizes groups of channels within each sample, then scales and shifts per channel."""

    traits: ClassVar[frozenset[str]] = frozenset({"normalizing"})
    type: Literal["groupnorm"]
    accepts: ClassVar[frozenset[str]] = SPATIAL_LAYOUTS | {"F"}
    groups: PositiveInt = Field(description="Number of channel groups; must divide the channels.")
    affine: bool = Field(True, description="Learn a scale (gamma) and shift (beta) per channel.")
    eps: float = Field(1e-5, gt=0, description="Added to the variance for numerical stability.")

    def output_shape(self, inputs: Inputs) -> Shape:
        channels = inputs[0].channels
        if channels % self.groups:
            raise LayerError(
                f"groups={self.groups} does not divide the {channels} channels "
                f"({channels} / {self.groups} = {channels / self.groups:g})",
                "groups",
            )
        return inputs[0]

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        channels = (inputs[0].channels,)
        return [Tensor("weight", channels), Tensor("bias", channels)] if self.affine else []

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output), activation=self.activated(output))

    def summary(self, inputs: Inputs) -> str:
        return f"g={self.groups}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        if not training:
            return Footprint()
        stats = Extra(self.groups)  # mean and inverse deviation per sample and group
        return Footprint(keeps_inputs=(0,), kept=(stats, stats))

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.GroupNorm(self.groups, inputs[0].channels, eps=self.eps, affine=self.affine)
