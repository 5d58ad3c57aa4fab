"""`{type: softplus}`: log(1 + exp(beta * x)) / beta, linear above `threshold`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cnncalc.layers.activation._activation import Activation
from cnncalc.layers.api import Inputs


class Softplus(Activation):
    """log(1 + exp(beta * x)) / beta, linear above `threshold`."""

    type: Literal["softplus"]
    beta: float = Field(1.0, gt=0, description="Sharpness.")
    threshold: float = Field(20.0, description="Above beta * x = threshold, the identity.")

    def summary(self, inputs: Inputs) -> str:
        return "" if self.beta == 1.0 else f"beta={self.beta:g}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Softplus(self.beta, self.threshold)
