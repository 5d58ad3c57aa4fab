"""Reshape: `{type: reshape, shape: [196, -1]}`, as `x.reshape(N, 196, -1)` in PyTorch.

`shape` is one sample's (no batch axis); one entry may be -1, worked out from the
element count. The result is named by its number of axes: (F,) for one, a sequence for
two ((C, L), or (L, D) with `layout: LD`; an (L, D) or (C, L) input keeps its own), and
channels first for three or four. Values keep their order: no parameters, no MACs.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from cnncalc.errors import LayerError
from cnncalc.layers.api import EVERYTHING, Everything, Footprint, Inputs, Layer, Shape, prod
from cnncalc.shape import regrouped


class Reshape(Layer):
    """The same values in a new shape."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only"})
    type: Literal["reshape"]
    shape: list[int] = Field(description="One sample's new sizes, PyTorch's order; one may be -1.")
    layout: Literal["CL", "LD"] | None = Field(
        None, description="For two axes: channels over positions (CL) or a sequence of vectors (LD)."
    )

    @field_validator("shape", mode="after")
    @classmethod
    def _sizes(cls, value: list[int]) -> list[int]:
        if not 1 <= len(value) <= 4:
            raise ValueError(f"a sample has 1 to 4 axes, not {len(value)}")
        if value.count(-1) > 1:
            raise ValueError("at most one size may be -1")
        if any(v == 0 or v < -1 for v in value):
            raise ValueError("each size is positive, or -1 once")
        return value

    def sizes(self, x: Shape) -> tuple[int, ...]:
        total = prod(x)
        known = math.prod(v for v in self.shape if v != -1)
        if -1 in self.shape:
            if total % known:
                raise LayerError(
                    f"{total} elements do not divide into {self.shape} ({total} / {known} = {total / known:g})", "shape"
                )
            return tuple(total // known if v == -1 else v for v in self.shape)
        if known != total:
            raise LayerError(f"{self.shape} holds {known} elements, the input {x.text('chw')} {total}", "shape")
        return tuple(self.shape)

    def output_shape(self, inputs: Inputs) -> Shape:
        sizes = self.sizes(inputs[0])
        if self.layout is not None and len(sizes) != 2:
            raise LayerError(f"layout {self.layout} is for two axes; {list(sizes)} has {len(sizes)}", "layout")
        result = regrouped(sizes, inputs[0], self.layout)
        assert result is not None  # every rank from 1 to 4 has a name
        return result

    def window(self, inputs: Inputs) -> Everything | None:
        return None if tuple(self.sizes(inputs[0])) == tuple(inputs[0]) else EVERYTHING

    def summary(self, inputs: Inputs) -> str:
        return "x".join(str(v) for v in self.shape)

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # A view of a tensor in storage order; of a permuted one, `x.reshape` copies.
        return replace(super().footprint(inputs, output, training), reshapes=True)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        sizes = self.sizes(inputs[0])

        class ReshapeModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            def forward(self, x: Any) -> Any:
                return x.reshape(x.shape[0], *sizes)

            def extra_repr(self) -> str:
                return f"shape={list(sizes)}"

        return ReshapeModule()
