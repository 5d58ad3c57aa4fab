"""RMS normalization over the last axis: `{type: rmsnorm}`, as `nn.RMSNorm(D)` (Llama's norm).

Divides each vector by the root mean square of its values (no mean subtracted, no shift),
then scales it: `D` learned parameters (none without `affine`), no buffers, no MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveFloat

from cnncalc.layers.api import Extra, Footprint, Inputs, Layer, Shape, Tensor, Work, prod


class RMSNorm(Layer):
    """Scales each vector (the last axis) to unit root mean square, then by a learned weight."""

    traits: ClassVar[frozenset[str]] = frozenset({"normalizing"})
    accepts: ClassVar[frozenset[str]] = frozenset({"LD", "F"})
    # What `cnncalc layers` says a None default stands for: nn.RMSNorm's own eps=None.
    none_means: ClassVar[dict[str, str]] = {"eps": "torch.finfo(dtype).eps"}
    type: Literal["rmsnorm"]
    affine: bool = Field(True, description="Learn a scale per feature (PyTorch's elementwise_affine).")
    eps: PositiveFloat | None = Field(
        None, description="Added to the mean square; default PyTorch's, the dtype's machine epsilon."
    )

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return [Tensor("weight", (inputs[0][-1],))] if self.affine else []

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # nn.RMSNorm on the CPU runs as ops: the reciprocal RMS, one per position, and with
        # a learned weight the normalised input before it is scaled; backward keeps both
        # and the input. A frozen weight (`trainable: false`) needs no normalised input kept.
        rows = prod(inputs[0][:-1])
        normalised = self.affine and (self.trainable or not training)
        made = (Extra(rows), Extra(prod(inputs[0]))) if normalised else (Extra(rows),)
        if not training:
            return Footprint(passing=made)
        # An input that needs no gradient: only the weight's product is recorded, keeping the
        # normalised input (nothing when frozen: the pass then keeps nothing at all).
        alone = Footprint(kept=(Extra(prod(inputs[0])),)) if normalised else None
        return Footprint(keeps_inputs=(0,), kept=made, no_input_gradient=alone)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.RMSNorm(inputs[0][-1], eps=self.eps, elementwise_affine=self.affine)
