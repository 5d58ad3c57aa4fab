"""`{type: leaky_relu}`: x for x > 0, else negative_slope * x."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.layers.activation._activation import InPlaceActivation
from cnncalc.layers.api import Inputs


class LeakyReLU(InPlaceActivation):
    """x for x > 0, else negative_slope * x."""

    type: Literal["leaky_relu"]
    negative_slope: float = Field(0.01, description="Slope for negative inputs.")

    inplace_keeps_result: ClassVar[bool] = True  # for a positive slope, the result's sign is the input's

    def summary(self, inputs: Inputs) -> str:
        return f"slope={self.negative_slope:g}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.LeakyReLU(self.negative_slope, inplace=self.inplace)
