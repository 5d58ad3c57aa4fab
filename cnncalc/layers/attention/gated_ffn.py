"""A gated feed-forward layer: `{type: gated_ffn, hidden: 11008}` (SwiGLU, as Llama's MLP).

`down(gate_act(gate(x)) * up(x))`: three `nn.Linear` projections without bias by default,
`gate` and `up` (D -> H) and `down` (H -> D), so `3*D*H` parameters and `3*L*D*H` MACs over
a sequence of L vectors. The gate's activation (SiLU: SwiGLU; GELU: GeGLU) and the product
count 0 MACs. `lora: {rank: 8, targets: [gate, up, down]}` adds peft's adapters to the
projections named and freezes all three.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.layers.api import (
    FFN_PROJECTIONS,
    Extra,
    FeedForwardLoRA,
    Footprint,
    Inputs,
    Layer,
    Linear,
    Parts,
    Shape,
    Tensor,
    Work,
    linear_tensors,
    lora_linear_module,
    prod,
)


class GatedFFN(Layer):
    """A feed-forward layer whose hidden units are gated elementwise by a second projection."""

    traits: ClassVar[frozenset[str]] = frozenset({"has-bias"})
    accepts: ClassVar[frozenset[str]] = frozenset({"LD", "F"})
    type: Literal["gated_ffn"]
    hidden: PositiveInt = Field(description="Width H of the gate and up projections.")
    gate: Literal["silu", "gelu"] = Field("silu", description="The gate's activation: silu (SwiGLU) or gelu (GeGLU).")
    bias: bool = Field(False, description="Biases on the three projections (Llama has none).")
    lora: FeedForwardLoRA | None = Field(
        None,
        description="Low-rank adapters on the projections, `{rank: 8, targets: [gate, up, down]}` (peft's "
        "LoraConfig): the three projections frozen, r * (in + out) adapter parameters for each one targeted the "
        "only trainable ones, and their MACs. Default targets: all three.",
    )
    lora_projections: ClassVar[tuple[str, ...]] = FFN_PROJECTIONS

    def _projections(self, inputs: Inputs) -> dict[str, Linear]:
        x = inputs[0]
        rows, width = prod(x[:-1]), x[-1]
        return {
            "gate": Linear(rows, width, self.hidden, self.bias),
            "up": Linear(rows, width, self.hidden, self.bias),
            "down": Linear(rows, self.hidden, width, self.bias),
        }

    def _adapted(self, inputs: Inputs) -> list[tuple[str, Linear]]:
        projections = self._projections(inputs)
        return [(t, projections[t]) for t in self.lora.targets] if self.lora else []

    def parts(self, inputs: Inputs) -> Parts:
        # Each adapter is two nn.Linears without bias, A (in -> r) and B (r -> out), as peft's.
        rank = self.lora.rank if self.lora else 0
        adapters = [
            linear
            for _, p in self._adapted(inputs)
            for linear in (Linear(p.rows, p.fan_in, rank, False), Linear(p.rows, rank, p.fan_out, False))
        ]
        linears = (*self._projections(inputs).values(), *adapters)
        return Parts(linears=linears, activations=prod(inputs[0][:-1]) * self.hidden)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        width = inputs[0][-1]
        found = [
            *linear_tensors("gate_proj", width, self.hidden, self.bias),
            *linear_tensors("up_proj", width, self.hidden, self.bias),
            *linear_tensors("down_proj", self.hidden, width, self.bias),
        ]
        if self.lora is None:
            return found
        # As peft freezes the model: every projection frozen, the adapters alone trained.
        adapted = self._adapted(inputs)
        adapters = [t for name, p in adapted for t in self.lora.tensors(p.fan_in, p.fan_out, f"{name}_proj.")]
        return [replace(t, role="frozen") for t in found] + adapters

    def work(self, inputs: Inputs, output: Shape) -> Work:
        parts = self.parts(inputs)
        # The gate's activation, then the product: one operation each per hidden unit.
        return Work(macs=parts.macs, bias=parts.bias, elementwise=2 * parts.activations)

    def summary(self, inputs: Inputs) -> str:
        lora = f" lora r={self.lora.rank} {','.join(self.lora.targets)}" if self.lora else ""
        return f"{self.hidden} {self.gate}{lora}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # gate_proj and up_proj keep the input; the gate's activation its input, the
        # product both factors, down_proj the product: four tensors of H per position.
        # Without gradients the gate, its activation and the up projection are alive at
        # once, until the product is made (three of H).
        # Frozen (`trainable: false`), down_proj keeps no product, and the input is kept
        # for gate_proj's and up_proj's weights alone (measured on peft's frozen LlamaMLP).
        hidden = prod(inputs[0][:-1]) * self.hidden
        if not training:
            # An adapted up_proj adds its base's output and B(A(x)) * scaling beside the sum.
            up = self.lora is not None and "up" in self.lora.targets
            return Footprint(passing=(Extra((4 if up else 3) * hidden),))
        backward: tuple[Extra, ...]
        if self.lora is not None:
            # The base frozen: the three tensors the product's gradient needs; the product too
            # where down_proj's A keeps it, the input where gate's or up's A does, and each
            # A's output (rows x r) for its B's gradient.
            adapted = dict(self._adapted(inputs))
            low = sum(p.rows * self.lora.rank for p in adapted.values())
            # At the product's backward the same six tensors of H are alive either way: an
            # adapted down_proj's kept product is gone by then, a frozen one's product gradient
            # not (measured).
            down = "down" in adapted
            kept = (Extra((4 if down else 3) * hidden + low),)
            keeps = (0,) if {"gate", "up"} & adapted.keys() else ()
            backward = (Extra(2 * hidden),) if down else (Extra(2 * hidden), Extra(hidden))
            # down_proj adapted alone, its input needing no gradient: the gate, its activation
            # and the up projection are not recorded; down's A keeps the product, its B A's
            # output. The peak is as the product is made, beside its two factors, before the
            # output and A's output exist (the pass counts both from the start: taken off).
            factors = max(0, 2 * hidden - prod(output) - low)
            alone = Footprint(kept=(Extra(hidden + low),), passing=(Extra(factors),))
            return Footprint(
                keeps_inputs=keeps,
                kept=kept,
                backward=backward,
                no_input_gradient=alone if adapted.keys() == {"down"} else None,
            )
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

        module = GatedFeedForward()
        if self.lora is not None:  # as peft's get_peft_model: the base frozen, the adapters trained
            module.requires_grad_(False)
            for name in self.lora.targets:
                base = getattr(module, f"{name}_proj")
                fan_out, fan_in = base.weight.shape
                setattr(module, f"{name}_proj", lora_linear_module(fan_in, fan_out, bias, self.lora))
        return module
