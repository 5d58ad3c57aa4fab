"""A residual block: `{type: residual, body: [...], shortcut: identity | projection | [...]}`.

Expands to the body, the shortcut and an `add` (then the optional activation), so every
number comes from the primitive layers it is made of.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cnncalc.errors import LayerError
from cnncalc.layers.activation._activation import ActivationName, check_inplace_activation
from cnncalc.layers.api import Composite, GraphBuilder, LayerList, make
from cnncalc.layers.conv.conv import Conv
from cnncalc.layers.merge.merge import Add
from cnncalc.layers.norm.batchnorm import BatchNorm


class Residual(Composite):
    """output = body(x) + shortcut(x), as in ResNet.

    `projection` is torchvision's downsample: a 1x1 conv (no bias, stride to match) and
    batchnorm, used only when the body changes the shape; otherwise the identity.
    """

    type: Literal["residual"]
    body: LayerList
    shortcut: Literal["identity", "projection"] | LayerList = Field(
        "identity", description="identity, projection (1x1 conv + batchnorm when the shape changes) or layers."
    )
    activation: ActivationName | None = Field(None, description="Activation applied after the sum.")
    # How the code runs it, where memory depends on it (torchvision's BasicBlock and
    # Bottleneck: `out += identity; out = self.relu(out)` with ReLU(inplace=True), the
    # argument `x` alive until the block returns; the body first, then `downsample(x)`).
    add_inplace: bool = Field(False, description="The sum is `out += shortcut`: no new tensor.")
    activation_inplace: bool = Field(False, description="The activation after the sum runs in place.")
    keeps_argument: bool = Field(
        False,
        description="The block's input stays alive until the block returns, as a Python "
        "`forward(self, x)` keeps `x`, even after the shortcut's last read.",
    )
    shortcut_first: bool = Field(
        False, description="The shortcut's layers run before the body's (default: the body first, as torchvision)."
    )

    @model_validator(mode="after")
    def _inplace_needs_activation(self) -> Residual:
        check_inplace_activation(self.activation, self.activation_inplace)
        if self.shortcut_first and self.shortcut == "projection":
            raise ValueError("shortcut_first needs the shortcut's layers written out, not `projection`")
        return self

    def expand(self, graph: GraphBuilder, sources: list[int]) -> int:
        x = sources[0]
        if self.shortcut_first and isinstance(self.shortcut, list):
            short = graph.sequence(self.shortcut, x)
            out = graph.sequence(self.body, x)
        else:
            out = graph.sequence(self.body, x)
            if self.shortcut == "identity":
                short = x
            elif self.shortcut == "projection":
                short = self._projection(graph, x, out)
            else:
                short = graph.sequence(self.shortcut, x)
        merged = graph.add(Add.model_validate({"type": "add", "inplace": self.add_inplace}), [out, short])
        if self.activation is not None:
            act = make(self.activation, inplace=True) if self.activation_inplace else make(self.activation)
            merged = graph.add(act, [merged])
        if self.keeps_argument:
            graph.hold(x, merged)
        return merged

    @staticmethod
    def _projection(graph: GraphBuilder, x: int, out: int) -> int:
        given, wanted = graph.shape(x), graph.shape(out)
        if given == wanted:
            return x
        if given.axes != "CHW" or wanted.axes != "CHW":
            raise LayerError("a projection shortcut needs (C, H, W) inputs", "shortcut")
        # A 1x1 conv with stride s maps n to floor((n - 1) / s) + 1; find the s that lands on the body's size.
        strides = []
        for n, m in zip(given.spatial, wanted.spatial, strict=True):
            s = next((s for s in range(1, n + 1) if (n - 1) // s + 1 == m), None)
            if s is None:
                raise LayerError(f"no 1x1 projection maps size {n} to the body's {m}", "shortcut")
            strides.append(s)
        conv = Conv.model_validate(
            {"type": "conv", "filters": wanted.size("C"), "kernel": 1, "stride": strides, "bias": False}
        )
        return graph.add(BatchNorm.model_validate({"type": "batchnorm"}), [graph.add(conv, [x])])
