"""Dropout: `{type: dropout, rate: 0.5}`. No parameters, no shape change."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.layers._base import Inputs, Layer


class Dropout(Layer):
    """Zeroes each element with probability `rate` while training."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only", "stochastic"})
    type: Literal["dropout"]
    rate: float = Field(0.5, ge=0, lt=1, description="Probability of zeroing an element.")

    def summary(self, inputs: Inputs) -> str:
        return f"p={self.rate:g}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Dropout(self.rate)
