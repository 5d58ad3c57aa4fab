"""Merges of two or more earlier outputs: `{type: add, from: [a, b]}`, `concat`, `multiply`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.errors import LayerError
from cnncalc.layers._base import Inputs, Layer, Shape


class Merge(Layer):
    """Combines its inputs elementwise or by stacking; no parameters, no MACs."""

    traits: ClassVar[frozenset[str]] = frozenset({"merge"})
    arity: ClassVar[tuple[int, int | None]] = (2, None)

    def to_torch(self, inputs: Inputs) -> Any:
        return _module(self.kind)


class Add(Merge):
    """Elementwise sum of inputs of one shape (a residual connection)."""

    type: Literal["add"]

    def output_shape(self, inputs: Inputs) -> Shape:
        if len(set(inputs)) > 1:
            raise LayerError("add needs inputs of one shape", "from")
        return inputs[0]


class Concat(Merge):
    """Stacks inputs along the channel axis (features when flat); other axes must agree."""

    type: Literal["concat"]

    def output_shape(self, inputs: Inputs) -> Shape:
        rest = {x[1:] for x in inputs}
        if len(rest) > 1 or len({len(x) for x in inputs}) > 1:
            raise LayerError("concat needs inputs that differ only in channels", "from")
        return (sum(x[0] for x in inputs), *inputs[0][1:])


class Multiply(Merge):
    """Elementwise product with broadcasting (size-1 axes stretch), as in squeeze-and-excitation."""

    traits: ClassVar[frozenset[str]] = frozenset({"merge", "gating"})
    type: Literal["multiply"]

    def output_shape(self, inputs: Inputs) -> Shape:
        # Equal ranks only: with the batch axis in front, PyTorch would otherwise align a
        # feature axis with the batch axis.
        if len({len(x) for x in inputs}) > 1:
            raise LayerError("multiply needs inputs of one rank", "from")
        out = []
        for sizes in zip(*inputs, strict=True):
            wide = {s for s in sizes if s != 1}
            if len(wide) > 1:
                raise LayerError("multiply cannot broadcast: axes differ and neither is 1", "from")
            out.append(wide.pop() if wide else 1)
        return tuple(out)


def _module(kind: str) -> Any:
    from torch import nn

    class MergeModule(nn.Module):
        """forward(*inputs), in `from` order."""

        def forward(self, *xs: Any) -> Any:
            import torch

            if kind == "concat":
                return torch.cat(xs, dim=1)
            out = xs[0]
            for x in xs[1:]:
                out = out + x if kind == "add" else out * x
            return out

    return MergeModule()
