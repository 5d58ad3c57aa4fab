"""Stochastic depth: `{type: stochastic_depth, rate: 0.1}` (also `drop_path`), as
torchvision.ops.StochasticDepth.

While training it drops a whole sample's branch (`row` mode) or the whole batch's
(`batch`) with probability `rate`, scaling what is kept by 1 / (1 - rate); at inference
it is the identity. No parameters, no MACs, no shape change. It belongs on a residual
branch, before the add.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.layers.api import Extra, Footprint, Inputs, Layer, Shape


class DropsBranch(Layer):
    """Drops the branch it sits on with probability `rate` while training."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only", "stochastic"})
    rate: float = Field(ge=0, lt=1, description="Probability of dropping the branch while training (0 <= rate < 1).")
    mode: Literal["row", "batch"] = Field("row", description="Drop per sample (`row`) or the whole batch (`batch`).")

    def summary(self, inputs: Inputs) -> str:
        return f"p={self.rate:g}" + ("" if self.mode == "row" else " batch")

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # Training multiplies by a noise tensor, one value per sample (row) or one in all
        # (batch), and keeps that noise; inference returns the input itself.
        if not training:
            return Footprint(view=True)
        return Footprint(kept=(Extra(1, per_sample=self.mode == "row"),))

    def to_torch(self, inputs: Inputs) -> Any:
        return stochastic_depth(self.rate, self.mode)


class StochasticDepth(DropsBranch):
    """Drops a residual branch with probability `rate` while training; the identity at inference."""

    type: Literal["stochastic_depth"]


class DropPath(DropsBranch):
    """stochastic_depth under timm's name: the identity at inference."""

    type: Literal["drop_path"]


def stochastic_depth(rate: float, mode: str) -> Any:
    """torchvision.ops.StochasticDepth, written out (torchvision is not a dependency)."""
    import torch
    from torch import nn

    class StochasticDepthModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
        def forward(self, x: Any) -> Any:
            if not self.training or rate == 0.0:
                return x
            survival = 1.0 - rate
            size = [x.shape[0]] + [1] * (x.ndim - 1) if mode == "row" else [1] * x.ndim
            keep = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
            return x * keep.div_(survival)

        def extra_repr(self) -> str:
            return f"p={rate}, mode={mode}"

    return StochasticDepthModule()
