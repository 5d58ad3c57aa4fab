"""`{type: hardtanh}`: x clipped to [min_val, max_val]."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from cnncalc.layers.activation._activation import InPlaceActivation
from cnncalc.layers.api import Inputs


class Hardtanh(InPlaceActivation):
    """x clipped to [min_val, max_val]."""

    type: Literal["hardtanh"]
    min_val: float = Field(-1.0, description="The lower clip.")
    max_val: float = Field(1.0, description="The upper clip; above min_val.")

    @model_validator(mode="after")
    def _ordered(self) -> Hardtanh:
        if self.max_val <= self.min_val:
            raise ValueError(f"max_val={self.max_val:g} must be above min_val={self.min_val:g}")
        return self

    def summary(self, inputs: Inputs) -> str:
        return f"[{self.min_val:g}, {self.max_val:g}]"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Hardtanh(self.min_val, self.max_val, inplace=self.inplace)
