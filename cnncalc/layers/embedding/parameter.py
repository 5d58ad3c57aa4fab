"""A named learned tensor: `{name: pos, type: parameter, shape: {l: 197, d: 768}}`.

A bare `nn.Parameter` (or, with `buffer: true`, a registered buffer) of the model, which a
later layer adds or multiplies in: ViT's position embedding (`x + pos_embedding`, read as
`{type: add, from: [x, pos]}`), ConvNeXt's layer scale (`layer_scale * x`, a `{c: 96}`
parameter read by `{type: multiply, from: [gamma, x]}`). Its sizes are named by axis as a
spec's input is; an axis it does not name is 1, so that it broadcasts there. It reads the
layer before it (or its `from:`) for that layer's layout and the batch alone: its output is
the tensor itself, expanded over the batch (a view: no bytes of its own, no gradient to the
layer it read). Its elements are parameters (buffers), and it computes nothing: 0 MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers._base import Form
from cnncalc.layers.api import Footprint, Inputs, Layer, Shape, Tensor

# A spec's dimension names (as `input:` writes them) -> the axes of cnncalc.shape.
AXES = {"h": "H", "w": "W", "c": "C", "l": "L", "d": "D", "features": "F"}


class Parameter(Layer):
    """A learned tensor of its own (trainable, or a buffer), for a later layer to add or use."""

    type: Literal["parameter"]
    # The sizes of the layout it reads, from the input it reads: not integer token ids.
    accepts: ClassVar[frozenset[str]] = frozenset({"F", "CL", "LD", "CHW", "CDHW"})
    value_inputs: ClassVar[int | None] = 0  # what it reads gives only the layout and the batch
    # Always a bare tensor on the enclosing module: what the tools see of it (docs: conventions).
    forms: ClassVar[frozenset[str]] = frozenset({"parameter"})
    form: Form = Field("parameter", description="A bare nn.Parameter (or buffer) on the enclosing module.")
    shape: dict[Literal["h", "w", "c", "l", "d", "features"], PositiveInt] = Field(
        description="Its sizes by axis, named as in `input:` (`{l: 197, d: 768}`, `{c: 96}`); "
        "an axis of the layout it reads that it does not name is 1 (it broadcasts there).",
        min_length=1,
    )
    buffer: bool = Field(False, description="A buffer (register_buffer), not a trainable parameter.")

    def sizes(self, x: Shape) -> Shape:
        """Its own shape, in the layout of `x` (what it reads); LayerError for an axis `x` lacks."""
        given = {AXES[name]: size for name, size in self.shape.items()}
        missing = [name for name, axis in AXES.items() if axis in given and axis not in x.axes]
        if missing:
            names = ", ".join(name for name, axis in AXES.items() if axis in x.axes)
            raise LayerError(
                f"shape names {', '.join(missing)}, which the layout it reads {x.axis_names()} lacks; it has {names}",
                "shape",
            )
        return Shape((given.get(axis, 1) for axis in x.axes), x.axes)

    def output_shape(self, inputs: Inputs) -> Shape:
        return self.sizes(inputs[0])

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return [Tensor("parameter", tuple(self.sizes(inputs[0])), "buffer" if self.buffer else "trainable")]

    def summary(self, inputs: Inputs) -> str:
        return "buffer" if self.buffer else ""

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # The tensor expanded over the batch: a view, with no bytes of its own (as the memory
        # pass has no other word for it, a view of what it read, which its readers read too).
        return Footprint(view=True)

    def to_torch(self, inputs: Inputs) -> Any:
        import torch
        from torch import nn

        sizes = tuple(self.sizes(inputs[0]))
        buffer = self.buffer

        class ParameterModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """The tensor, expanded over the batch of what it reads; named neither weight nor
            bias, as a bare parameter's is not, which is what tools see of it."""

            def __init__(self) -> None:
                super().__init__()
                value = torch.zeros(sizes)  # as ViT starts its position embedding
                if buffer:
                    self.register_buffer("parameter", value)
                else:
                    self.parameter = nn.Parameter(value)

            def forward(self, x: Any) -> Any:
                return self.parameter.expand(x.shape[0], *sizes)

        return ParameterModule()
