"""Channel shuffle, as in ShuffleNet: `{type: channel_shuffle, groups: 2}`.

Views the C channels as `groups` rows of C / groups and transposes them, so that the
next grouped convolution reads channels from every group. Only the order of the
channels changes: no parameters, no MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.api import Inputs, Keeps, Layer, Shape


class ChannelShuffle(Layer):
    """Interleaves the channels of `groups` groups: channel g * (C / groups) + i moves to i * groups + g."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only"})
    type: Literal["channel_shuffle"]
    keeps: ClassVar[Keeps] = "nothing"  # backward needs only the sizes
    accepts: ClassVar[frozenset[str]] = frozenset({"CHW"})
    groups: PositiveInt = Field(description="Number of channel groups; must divide the channels.")

    def output_shape(self, inputs: Inputs) -> Shape:
        channels = inputs[0].size("C")
        if channels % self.groups:
            raise LayerError(
                f"groups={self.groups} does not divide the {channels} channels "
                f"({channels} / {self.groups} = {channels / self.groups:g})",
                "groups",
            )
        return inputs[0]

    def summary(self, inputs: Inputs) -> str:
        return f"g={self.groups}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.ChannelShuffle(self.groups)
