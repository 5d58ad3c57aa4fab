"""A learned scale per channel: `{type: scale}`, ConvNeXt's layer scale.

Multiplies channel c by its own learned number (`gamma * x`, torchvision's
`layer_scale`, a (C, 1, 1) parameter on a (C, H, W) map). C parameters; the multiplies
are one per element and not multiply-accumulates of a weighted sum, so they count 0 MACs,
as a batchnorm's do.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.layers.api import Inputs, Layer, Shape, Tensor, Work, prod


class Scale(Layer):
    """Each channel times its own learned factor (initialized to 1)."""

    type: Literal["scale"]
    # `parameter`: a bare nn.Parameter on the block, as torchvision's CNBlock.layer_scale.
    forms: ClassVar[frozenset[str]] = frozenset({"module", "subclass", "parameter"})

    @property
    def tensor_name(self) -> str:
        return "layer_scale" if self.form == "parameter" else "weight"

    def weight_shape(self, x: Shape) -> tuple[int, ...]:
        """The channels, with 1 on every other axis: it broadcasts over the positions."""
        return tuple(n if a == x.layout.channels else 1 for a, n in zip(x.axes, x, strict=True))

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return [Tensor(self.tensor_name, self.weight_shape(inputs[0]))]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def to_torch(self, inputs: Inputs) -> Any:
        import torch
        from torch import nn

        shape = self.weight_shape(inputs[0])
        name = self.tensor_name  # torchinfo charges a leaf's `weight`, not a bare `layer_scale`

        class ScaleModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """`weight * x`, written as an operator as torchvision's CNBlock writes it."""

            def __init__(self) -> None:
                super().__init__()
                self.register_parameter(name, nn.Parameter(torch.ones(shape)))

            def forward(self, x: Any) -> Any:
                return getattr(self, name) * x

        return ScaleModule()
