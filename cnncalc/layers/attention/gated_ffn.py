"""A gated feed-forward layer: `{type: gated_ffn, hidden: 11008}` (SwiGLU, as Llama's MLP).

`down(gate_act(gate(x)) * up(x))`: three `nn.Linear` projections without bias by default,
`gate` and `up` (D -> H) and `down` (H -> D), so `3*D*H` parameters and `3*L*D*H` MACs over
a sequence of L vectors. The gate's activation (SiLU: SwiGLU; GELU: GeGLU) and the product
count 0 MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.layers.api import Extra, Footprint, Inputs, Layer, Linear, Parts, Shape, Tensor, Work, linear_tensors, prod


class GatedFFN(Layer):
    """A feed-forward layer whose hidden units are gated elementwise by a second projection."""

    traits: ClassVar[frozenset[str]] = frozenset({"has-bias"})
    accepts: ClassVar[frozenset[str]] = frozenset({"LD", "F"})
    type: Literal["gated_ffn"]
    hidden: PositiveInt = Field(description="Width H of the gate and up projections.")
    gate: Literal["silu", "gelu"] = Field("silu", description="The gate's activation: silu (SwiGLU) or gelu (GeGLU).")
    bias: bool = Field(False, description="Biases on the three projections (Llama has none).")

    def parts(self, inputs: Inputs) -> Parts:
        x = inputs[0]
        rows, width = prod(x[:-1]), x[-1]
        return Parts(
            linears=(
                Linear(rows, width, self.hidden, self.bias),
                Linear(rows, width, self.hidden, self.bias),
                Linear(rows, self.hidden, width, self.bias),
            ),
            activations=rows * self.hidden,
        )

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        width = inputs[0][-1]
        return [
            *linear_tensors("gate_proj", width, self.hidden, self.bias),
            *linear_tensors("up_proj", width, self.hidden, self.bias),
            *linear_tensors("down_proj", self.hidden, width, self.bias),
        ]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        parts = self.parts(inputs)
        # The gate's activation, then the product: one operation each per hidden unit.
        return Work(macs=parts.macs, bias=parts.bias, elementwise=2 * parts.activations)

    def summary(self, inputs: Inputs) -> str:
        return f"{self.hidden} {self.gate}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # gate_proj and up_proj keep the input; the gate's activation its input, the
        # product both factors, down_proj the product: four tensors of H per position.
        # Without gradients the gate, its activation and the up projection are alive at
        # once, until the product is made (three of H).
        # Frozen (`trainable: false`), down_proj keeps no product, and the input is kept
        # for gate_proj's and up_proj's weights alone (measured on peft's frozen LlamaMLP).
        hidden = prod(inputs[0][:-1]) * self.hidden
        if not training:
            return Footprint(passing=(Extra(3 * hidden),))
        backward: tuple[Extra, ...]
        if self.trainable:
            kept, backward = (Extra(4 * hidden),), (Extra(2 * hidden),)
        else:  # the product's gradient, and both factors', alive at once beside what it kept
            kept, backward = (Extra(3 * hidden),), (Extra(2 * hidden), Extra(hidden))
        return Footprint(keeps_inputs=(0,), kept=kept, backward=backward, inputs_for_weights=True)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        width, hidden, bias, gate = inputs[0][-1], self.hidden, self.bias, self.gate

        class GatedFeedForward(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.gate_proj = nn.Linear(width, hidden, bias=bias)
                self.up_proj = nn.Linear(width, hidden, bias=bias)
                self.down_proj = nn.Linear(hidden, width, bias=bias)
                self.act = nn.SiLU() if gate == "silu" else nn.GELU()

            def forward(self, x: Any) -> Any:
                return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))

        return GatedFeedForward()
