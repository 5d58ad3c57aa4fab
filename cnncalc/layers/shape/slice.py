"""A range of channels: `{type: slice, start: 0, end: 58}`, or one of n equal parts,
`{type: slice, chunk: 2, index: 1}` (ShuffleNetV2's `x.chunk(2, dim=1)[1]`).

Takes channels `start` up to, not including, `end` along the channel axis (C of a
channels-first map, the features of a flat vector, D of a sequence), as `x[:, start:end]`
does. The other values are dropped, so it is not `shape-only`; it computes nothing: no
parameters, no MACs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from cnncalc.errors import LayerError
from cnncalc.layers.api import Footprint, Inputs, Layer, Shape


class Slice(Layer):
    """Channels `start:end` (Python's half-open range), or part `index` of `chunk` equal parts."""

    type: Literal["slice"]
    start: NonNegativeInt | None = Field(None, description="First channel kept (0-based).")
    end: PositiveInt | None = Field(None, description="One past the last channel kept.")
    chunk: PositiveInt | None = Field(None, description="Split the channels into this many equal parts ...")
    index: NonNegativeInt | None = Field(None, description="... and keep this one (0-based), as `x.chunk(n)[i]`.")

    @model_validator(mode="after")
    def _one_spelling(self) -> Slice:
        ranged = self.start is not None or self.end is not None
        chunked = self.chunk is not None or self.index is not None
        if ranged == chunked:
            raise ValueError("give either start and end, or chunk and index")
        if ranged and (self.start is None or self.end is None):
            raise ValueError("a range needs both start and end")
        if chunked and (self.chunk is None or self.index is None):
            raise ValueError("a chunk needs both chunk (how many parts) and index (which one)")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end={self.end} must be above start={self.start}")
        if self.chunk is not None and self.index is not None and self.index >= self.chunk:
            raise ValueError(f"index={self.index} is not one of the {self.chunk} parts (0 to {self.chunk - 1})")
        return self

    def bounds(self, x: Shape) -> tuple[int, int]:
        """(start, end) of the kept channels of `x`."""
        channels = x.channels
        if self.chunk is not None and self.index is not None:
            if channels % self.chunk:
                raise LayerError(
                    f"chunk={self.chunk} does not split the {channels} channels into equal parts "
                    f"({channels} / {self.chunk} = {channels / self.chunk:g})",
                    "chunk",
                )
            part = channels // self.chunk
            return self.index * part, (self.index + 1) * part
        assert self.start is not None and self.end is not None
        if self.end > channels:
            raise LayerError(f"end={self.end} is past the {channels} channels", "end")
        return self.start, self.end

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        start, end = self.bounds(x)
        return x.replace(**{x.layout.channels: end - start})

    def summary(self, inputs: Inputs) -> str:
        start, end = self.bounds(inputs[0])
        return f"{start}:{end}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # `x.narrow` (or a chunk): a view keeping all of its input alive, saving nothing;
        # backward writes the gradient into a zero tensor of the input's size.
        return Footprint(view=True)

    def to_torch(self, inputs: Inputs) -> Any:
        x = inputs[0]
        start, end = self.bounds(x)
        return _narrow(x.dim(x.layout.channels), start, end - start)


def _narrow(dim: int, start: int, length: int) -> Any:
    from torch import nn

    class Narrow(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
        """`x.narrow(dim, start, length)`: a view of the kept channels."""

        def forward(self, x: Any) -> Any:
            return x.narrow(dim, start, length)

        def extra_repr(self) -> str:
            return f"dim={dim}, start={start}, length={length}"

    return Narrow()
