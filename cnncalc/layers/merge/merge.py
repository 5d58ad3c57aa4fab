"""Merges of two or more earlier outputs: `{type: add, from: [a, b]}`, `concat`, `multiply`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import Extra, Footprint, Inputs, Layer, Shape, Work, prod


class Merge(Layer):
    """Combines its inputs elementwise or by stacking; no parameters, no MACs."""

    traits: ClassVar[frozenset[str]] = frozenset({"merge"})
    arity: ClassVar[tuple[int, int | None]] = (2, None)

    def to_torch(self, inputs: Inputs) -> Any:
        x = inputs[0]
        return _module(self.kind, x.dim(x.layout.channels))


class Add(Merge):
    """Elementwise sum of inputs of one shape (a residual connection)."""

    type: Literal["add"]
    inplace: bool = Field(
        False,
        description="Summed into the first input (`out += x`, as torchvision's ResNet blocks): no new tensor.",
    )

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output) * (len(inputs) - 1))

    def to_torch(self, inputs: Inputs) -> Any:
        x = inputs[0]
        return _module("add_" if self.inplace else "add", x.dim(x.layout.channels))

    def memory_forms(self) -> tuple[tuple[str, bool], ...]:
        return (("sums", self.inplace),)

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        if self.inplace:  # the first input's storage holds the sum
            return Footprint(view=True, grad_through=training)
        # Summed in turn (`out = out + x`): past two inputs, a partial sum lives until the next.
        partial = (Extra(prod(output)),) if len(inputs) > 2 else ()
        return Footprint(passing=partial, grad_through=training)

    def output_shape(self, inputs: Inputs) -> Shape:
        if len({(x.axes, *x) for x in inputs}) > 1:
            raise LayerError("add needs inputs of one shape", "from")
        return inputs[0]


class Concat(Merge):
    """Stacks inputs along the channel axis (features when flat); other axes must agree."""

    type: Literal["concat"]
    # One input is `torch.cat([x], 1)`: a copy, as DenseNet's layer makes of its features.
    arity: ClassVar[tuple[int, int | None]] = (1, None)

    def output_shape(self, inputs: Inputs) -> Shape:
        first = inputs[0]
        axis = first.layout.channels
        if len({x.axes for x in inputs}) > 1 or len({x.replace(**{axis: 0}) for x in inputs}) > 1:
            raise LayerError("concat needs inputs that differ only in channels", "from")
        return first.replace(**{axis: sum(x.size(axis) for x in inputs)})


class Multiply(Merge):
    """Elementwise product with broadcasting (size-1 axes stretch), as in squeeze-and-excitation."""

    traits: ClassVar[frozenset[str]] = frozenset({"merge", "gating"})
    type: Literal["multiply"]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output) * (len(inputs) - 1))

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # Multiplied in turn (`out = out * x`): each product keeps both its factors, so
        # past two inputs the partial products are kept too.
        partial = tuple(Extra(prod(output)) for _ in inputs[2:])
        if not training:
            return Footprint(passing=partial[:1])
        return Footprint(keeps_inputs=tuple(range(len(inputs))), kept=partial)

    def output_shape(self, inputs: Inputs) -> Shape:
        # Equal ranks only: with the batch axis in front, PyTorch would otherwise align a
        # feature axis with the batch axis.
        if len({len(x) for x in inputs}) > 1:
            raise LayerError("multiply needs inputs of one rank", "from")
        if len({x.axes for x in inputs}) > 1:
            raise LayerError("multiply needs inputs of one layout", "from")
        out = []
        for sizes in zip(*inputs, strict=True):
            wide = {s for s in sizes if s != 1}
            if len(wide) > 1:
                raise LayerError("multiply cannot broadcast: axes differ and neither is 1", "from")
            out.append(wide.pop() if wide else 1)
        return Shape(out, inputs[0].axes)


def _module(kind: str, dim: int) -> Any:
    from torch import nn

    class MergeModule(nn.Module):
        """forward(*inputs), in `from` order."""

        def forward(self, *xs: Any) -> Any:
            import torch

            if kind == "concat":
                return torch.cat(xs, dim=dim)
            out = xs[0]
            for x in xs[1:]:
                if kind == "add_":
                    out += x  # in place: `out` is the first input, overwritten
                else:
                    out = out + x if kind == "add" else out * x
            return out

    return MergeModule()
