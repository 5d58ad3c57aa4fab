"""`{type: elu}`: x for x > 0, else alpha * (exp(x) - 1)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.layers.activation._activation import InPlaceActivation
from cnncalc.layers.api import Inputs


class ELU(InPlaceActivation):
    """x for x > 0, else alpha * (exp(x) - 1)."""

    type: Literal["elu"]
    alpha: float = Field(1.0, description="The value negative inputs saturate towards is -alpha.")
    inplace_keeps_result: ClassVar[bool] = True

    def summary(self, inputs: Inputs) -> str:
        return "" if self.alpha == 1.0 else f"alpha={self.alpha:g}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.ELU(self.alpha, inplace=self.inplace)
