"""A class token, as ViT and BERT's [CLS]: `{type: class_token}` on a sequence of vectors.

Prepends one learned vector to the sequence: (L, D) -> (L + 1, D), and D parameters
(ViT's `class_token` of shape (1, 1, D)). No MACs. `select` with `index: 0` reads it back
at the end of the network.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.layers.api import Footprint, Inputs, Layer, Shape, Tensor


class ClassToken(Layer):
    """Prepends one learned token to a sequence of vectors: (L, D) -> (L + 1, D)."""

    type: Literal["class_token"]
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})
    # torchvision's ViT holds it as a bare nn.Parameter; the builder's module names it
    # neither weight nor bias, which is what tools see either way.
    forms: ClassVar[frozenset[str]] = frozenset({"module", "subclass", "parameter"})

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        return x.replace(L=x.size("L") + 1)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return [Tensor("class_token", (1, 1, inputs[0].size("D")))]  # torchvision ViT's shape

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # A concatenation: it keeps nothing, and backward hands the input a view of the
        # output's gradient.
        return Footprint(grad_through=training)

    def to_torch(self, inputs: Inputs) -> Any:
        import torch
        from torch import nn

        class ClassTokenModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """cat([token expanded over the batch, x]) along the sequence, as torchvision's ViT."""

            def __init__(self, width: int) -> None:
                super().__init__()
                self.class_token = nn.Parameter(torch.zeros(1, 1, width))

            def forward(self, x: Any) -> Any:
                return torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)

        return ClassTokenModule(inputs[0].size("D"))
