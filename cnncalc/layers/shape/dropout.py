"""Dropout: `{type: dropout, rate: 0.5}`. No parameters, no shape change."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.layers.api import Extra, Footprint, Inputs, Layer, Shape, prod


class Dropout(Layer):
    """Zeroes each element with probability `rate` while training."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only", "stochastic"})
    type: Literal["dropout"]
    rate: float = Field(0.5, ge=0, lt=1, description="Probability of zeroing an element.")
    inplace: bool = Field(
        False,
        description="Runs in place, as `nn.Dropout(inplace=True)`: while training, the input's storage holds "
        "the result and only the noise is a new tensor.",
    )

    def summary(self, inputs: Inputs) -> str:
        return f"p={self.rate:g}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        """At inference, and at rate 0, PyTorch hands the input back itself. Training, on the
        CPU it draws a noise tensor of the input's size and dtype and multiplies: the
        product is the output, the noise what backward keeps. (On CUDA the fused kernel
        keeps a one-byte mask instead: this counts the CPU's, the larger.) Both are made
        with the input's strides: after a batch-first recurrent layer, out of storage order."""
        if not training or self.rate == 0:
            return Footprint(view=True, grad_through=True)
        if self.inplace:  # `input.mul_(noise)`: the product overwrites the input
            return Footprint(view=True, kept=(Extra(prod(output)),))
        return Footprint(kept=(Extra(prod(output)),), same_layout=True)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Dropout(self.rate, inplace=self.inplace)

    def memory_forms(self) -> tuple[tuple[str, bool], ...]:
        return (("dropouts", self.inplace),)
