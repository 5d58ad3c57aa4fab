"""Reordering axes: `{type: permute, dims: [0, 2, 1]}` and `{type: transpose, dim0: 1, dim1: 2}`,
as `x.permute(*dims)` and `x.transpose(dim0, dim1)` in PyTorch.

Dims count PyTorch's, with the batch at 0 (which stays). A (C, L) map transposed is an
(L, D) sequence of vectors and back: ViT's patch embedding, `x.flatten(2).transpose(1, 2)`
of (768, 14, 14), is (768, 196) then (196, 768). On an image or a volume the channels
stay first and the spatial axes may be reordered; moving the channels elsewhere makes a
layout no layer here reads, and is refused (a norm or a dense on the channels take
`axis: channels` instead). Values move, none is computed: no parameters, no MACs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import EVERYTHING, Everything, Footprint, Inputs, Layer, Shape, TorchPermute
from cnncalc.shape import permuted


class Reorder(Layer):
    """A layer that reorders the axes of a sample."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only"})
    blame: ClassVar[str] = "dims"  # the field an error points at

    def order(self, x: Shape) -> tuple[int, ...]:
        """The new order as positions in the sample (no batch axis)."""
        raise NotImplementedError

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        order = self.order(x)
        result = permuted(x, order)
        if result is None:
            names = x.axes
            wanted = "(" + ", ".join(names[i] for i in order) + ")"
            raise LayerError(
                f"reordering the {x.axis_names('chw')} axes of {x.text('chw')} to {wanted} gives a layout no layer "
                "here reads: channels stay first on an image or a volume (use `axis: channels` on a norm or "
                "dense to act on them)",
                self.blame,
            )
        return result

    def window(self, inputs: Inputs) -> Everything | None:
        # (C, L) <-> (L, D) keeps the positions where they are; a reordered plane swaps
        # axes, which the receptive field's per-axis sizes cannot follow.
        x = inputs[0]
        return None if x.axes in ("CL", "LD") or list(self.order(x)) == sorted(self.order(x)) else EVERYTHING

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # `x.permute(...)` is a view with its strides reordered: no bytes, but a reshape of
        # it copies.
        return replace(super().footprint(inputs, output, training), view=True, reorders=True)

    def to_torch(self, inputs: Inputs) -> Any:
        return TorchPermute([0, *(i + 1 for i in self.order(inputs[0]))])


def _sample_dim(dim: int, rank: int, field: str) -> int:
    """A PyTorch dim (batch at 0, negative from the end) as a position in the sample."""
    full = rank + 1
    if not -full <= dim < full:
        raise LayerError(f"{field}={dim} is out of range for a {full}-dim tensor (batch included)", field)
    dim %= full
    if dim == 0:
        raise LayerError(f"{field}=0 is the batch axis, which stays where it is", field)
    return dim - 1


class Permute(Reorder):
    """All axes in a new order, as `x.permute(*dims)` (batch 0 first)."""

    type: Literal["permute"]
    dims: list[int] = Field(description="The new order of PyTorch's dims, batch (0) first: [0, 2, 1].")

    def order(self, x: Shape) -> tuple[int, ...]:
        if len(self.dims) != len(x) + 1:
            raise LayerError(f"dims lists {len(self.dims)} dims for a {len(x) + 1}-dim tensor (batch included)", "dims")
        if self.dims[0] != 0:
            raise LayerError("dims must start with 0: the batch axis stays first", "dims")
        order = tuple(_sample_dim(d, len(x), "dims") for d in self.dims[1:])
        if sorted(order) != list(range(len(x))):
            raise LayerError(f"dims {self.dims} is not a permutation of 0..{len(x)}", "dims")
        return order

    def summary(self, inputs: Inputs) -> str:
        return ",".join(str(d) for d in self.dims)


class Transpose(Reorder):
    """Two axes swapped, as `x.transpose(dim0, dim1)`."""

    type: Literal["transpose"]
    dim0: int = Field(1, description="One PyTorch dim (batch at 0; negative from the end).")
    dim1: int = Field(2, description="The other.")
    blame: ClassVar[str] = "dim0"

    def order(self, x: Shape) -> tuple[int, ...]:
        a, b = _sample_dim(self.dim0, len(x), "dim0"), _sample_dim(self.dim1, len(x), "dim1")
        order = list(range(len(x)))
        order[a], order[b] = order[b], order[a]
        return tuple(order)

    def summary(self, inputs: Inputs) -> str:
        return f"{self.dim0}<->{self.dim1}"

    def to_torch(self, inputs: Inputs) -> Any:
        return _transposer(self.dim0, self.dim1)


def _transposer(dim0: int, dim1: int) -> Any:
    from torch import nn

    class TransposeModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
        def forward(self, x: Any) -> Any:
            return x.transpose(dim0, dim1)

        def extra_repr(self) -> str:
            return f"dim0={dim0}, dim1={dim1}"

    return TransposeModule()
