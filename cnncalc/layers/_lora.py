"""Low-rank adapters (Hu et al., 2021, as peft's `LoraConfig` adds them): `lora:` on a dense
layer, and on the projections inside an attention layer (`targets`, peft's `target_modules`).

An adapted `nn.Linear` (in -> out) gains A (r, in) and B (out, r), no biases, and runs
`base(x) + B(A(x)) * alpha / r`: r * (in + out) parameters, the only trainable ones of the
layer, and rows * r * (in + out) MACs more.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, field_validator

from cnncalc.layers._base import Tensor

# peft's `target_modules` names for Llama's projections (q_proj, ..., gate_proj, ...), written
# without the `_proj`: attention's, and a gated feed-forward's.
Projection = Literal["q", "k", "v", "o"]
FFNProjection = Literal["gate", "up", "down"]
PROJECTIONS = ("q", "k", "v", "o")
FFN_PROJECTIONS: tuple[FFNProjection, ...] = ("gate", "up", "down")


class LoRA(BaseModel):
    """Low-rank adapters on a linear layer (Hu et al., 2021, as peft's `LoraConfig`): the
    layer's own weight and bias frozen, and `x @ A^T @ B^T * alpha / rank` added, A (rank,
    in) and B (out, rank) the only trainable parameters."""

    # defer_build, as the kinds: a run builds these schemas only where a layer it names takes
    # adapters (a plain spec pays nothing for them at start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    rank: PositiveInt = Field(description="r: A is (r, in), B is (out, r).")
    alpha: PositiveFloat | None = Field(None, description="The scale's numerator, alpha / r; no count depends on it.")

    def tensors(self, fan_in: int, fan_out: int, prefix: str = "") -> list[Tensor]:
        return [
            Tensor(f"{prefix}lora_A.weight", (self.rank, fan_in)),
            Tensor(f"{prefix}lora_B.weight", (fan_out, self.rank)),
        ]


def _each_once(targets: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, ...]:
    if not targets:
        raise ValueError(f"name at least one of {', '.join(names)}")
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ValueError(f"{twice[0]} is named twice")
    return targets


class ProjectionLoRA(LoRA):
    """Low-rank adapters on some of an attention layer's q, k, v and o projections."""

    targets: tuple[Projection, ...] = Field(
        ("q", "v"),
        strict=False,  # a YAML list
        description="The projections adapted, of q, k, v and o (peft's target_modules q_proj, k_proj, v_proj, "
        "o_proj). Default: q and v, peft's default for Llama.",
    )

    @field_validator("targets")
    @classmethod
    def _some_and_each_once(cls, targets: tuple[str, ...]) -> tuple[str, ...]:
        return _each_once(targets, PROJECTIONS)


class FeedForwardLoRA(LoRA):
    """Low-rank adapters on some of a gated feed-forward's gate, up and down projections."""

    targets: tuple[FFNProjection, ...] = Field(
        FFN_PROJECTIONS,
        strict=False,  # a YAML list
        description="The projections adapted, of gate, up and down (peft's target_modules gate_proj, up_proj, "
        "down_proj). Default: all three.",
    )

    @field_validator("targets")
    @classmethod
    def _some_and_each_once(cls, targets: tuple[str, ...]) -> tuple[str, ...]:
        return _each_once(targets, FFN_PROJECTIONS)


def lora_linear_module(fan_in: int, fan_out: int, bias: bool, lora: LoRA) -> Any:
    """An nn.Linear with adapters, laid out as peft's `lora.Linear` (dropout 0): the frozen
    `base_layer`, `lora_A` and `lora_B` nn.Linears without bias, `base(x) + B(A(x)) * scaling`
    written with operators as peft writes it (so the counting tools see three nn.Linears)."""
    from torch import nn

    class LoRALinear(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base_layer = nn.Linear(fan_in, fan_out, bias=bias).requires_grad_(False)
            self.lora_A = nn.Linear(fan_in, lora.rank, bias=False)
            self.lora_B = nn.Linear(lora.rank, fan_out, bias=False)
            nn.init.normal_(self.lora_B.weight)  # peft starts B at zero; any values count the same
            self.scaling = (lora.alpha or lora.rank) / lora.rank

        def forward(self, x: Any) -> Any:
            result = self.base_layer(x)
            return result + self.lora_B(self.lora_A(x)) * self.scaling

    return LoRALinear()
