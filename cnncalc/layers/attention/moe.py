"""A mixture of experts: `{type: moe, experts: 8, top_k: 2, hidden: 14336}` (Mixtral's layer).

A router, `nn.Linear(D, experts)` without bias, scores every token; each token goes to the
`top_k` experts it scores highest, their outputs weighted by the softmax of those scores
(renormalised over the k), and summed. Each expert is a gated feed-forward as `gated_ffn`:
gate and up (D -> H) and down (H -> D), no bias, so `3*D*H` parameters. `shared_experts`
more run on every token (DeepSeek's, without a gate of their own; width `shared_hidden`,
else H), and are added.

Parameters count every expert: `D*E + (E + S) * 3*D*H`. MACs count what runs, under the
routing assumption that every token reaches exactly `top_k` distinct experts (as top-k
routing does, with no capacity limit dropping tokens): the router for every token
(`L*D*E`), `top_k` experts per token (`L*top_k*3*D*H`) and the shared experts
(`L*S*3*D*H`). Which expert gets which tokens depends on the data, not the count.

Memory: the experts run one after another, as the module (and transformers') does, so at
inference only one expert's hidden tensors are alive at a time; how many tokens it has is
data, taken as balanced (`L*top_k/E` an expert).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.api import (
    Extra,
    Footprint,
    Inputs,
    Layer,
    Linear,
    Parts,
    Shape,
    Tensor,
    Work,
    linear_tensors,
    prod,
)

ROUTING = "routing is data-dependent: counted as if every token reached exactly top_k experts"


class MixtureOfExperts(Layer):
    """Gated feed-forward experts, each token routed to the `top_k` its router scores highest."""

    accepts: ClassVar[frozenset[str]] = frozenset({"LD", "F"})
    type: Literal["moe"]
    experts: PositiveInt = Field(description="Routed experts E, each a gated feed-forward.")
    top_k: PositiveInt = Field(description="Experts each token is routed to.")
    hidden: PositiveInt = Field(description="Width H of each expert's gate and up projections.")
    gate: Literal["silu", "gelu"] = Field("silu", description="The experts' gate activation: silu or gelu.")
    shared_experts: NonNegativeInt = Field(0, description="Experts every token runs through besides its top_k.")
    shared_hidden: PositiveInt | None = Field(None, description="Width of each shared expert (default: hidden).")

    def output_shape(self, inputs: Inputs) -> Shape:
        if self.top_k > self.experts:
            raise LayerError(f"top_k {self.top_k} is more than the {self.experts} experts", "top_k")
        return inputs[0]

    @property
    def _shared_width(self) -> int:
        return self.shared_hidden or self.hidden

    def parts(self, inputs: Inputs) -> Parts:
        x = inputs[0]
        rows, width = prod(x[:-1]), x[-1]
        routed = rows * self.top_k  # expert rows: every token through top_k experts
        linears = [Linear(rows, width, self.experts, False)]
        for _ in range(self.top_k):
            linears += _ffn(rows, width, self.hidden)
        for _ in range(self.shared_experts):
            linears += _ffn(rows, width, self._shared_width)
        return Parts(
            linears=tuple(linears),
            activations=routed * self.hidden + rows * self.shared_experts * self._shared_width,
        )

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        width = inputs[0][-1]
        found = linear_tensors("gate", width, self.experts, False)
        for i in range(self.experts):
            found += _expert_tensors(f"experts.{i}", width, self.hidden)
        for i in range(self.shared_experts):
            found += _expert_tensors(f"shared_experts.{i}", width, self._shared_width)
        return found

    def inactive_params(self, inputs: Inputs) -> int:
        """Parameters a token does not use: the routed experts it is not sent to."""
        return (self.experts - self.top_k) * 3 * inputs[0][-1] * self.hidden

    def work(self, inputs: Inputs, output: Shape) -> Work:
        parts = self.parts(inputs)
        # Each expert's gate activation and product, one operation a hidden unit each.
        return Work(macs=parts.macs, elementwise=2 * parts.activations)

    def summary(self, inputs: Inputs) -> str:
        shared = f" +{self.shared_experts} shared" if self.shared_experts else ""
        return f"{self.experts}x{self.hidden} top-{self.top_k}{shared}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # As gated_ffn over the routed rows (each keeps its gathered input, four tensors of H,
        # and its output for the routing weight's product), plus the router's scores and
        # softmax (E a token), the top-k weights and their int64 indices.
        x = inputs[0]
        rows, width = prod(x[:-1]), x[-1]
        routed = rows * self.top_k + rows * self.shared_experts
        hidden = rows * self.top_k * self.hidden + rows * self.shared_experts * self._shared_width
        router = (Extra(2 * rows * self.experts), Extra(rows * self.top_k), Extra(rows * self.top_k, 8))
        if not training:
            return Footprint(passing=self._inference_passing(rows, width), unknown=ROUTING)
        kept = (*router, Extra(2 * routed * width), Extra(4 * hidden))
        return Footprint(keeps_inputs=(0,), kept=kept, backward=(Extra(2 * hidden),), unknown=ROUTING)

    def _inference_passing(self, rows: int, width: int) -> tuple[Extra, ...]:
        """The most the forward holds at once besides its input and output, without autograd:
        the experts run one after another, each over its own tokens, so only one expert's
        hidden tensors are alive at a time. Which tokens an expert gets is data; counted as
        balanced routing, `rows * top_k / experts` tokens an expert (rounded up)."""
        experts, top_k = self.experts, self.top_k
        # The router: its scores and their softmax, then the softmax beside the top-k
        # weights and their int64 indices, which live until the forward returns.
        routing = (Extra(rows * top_k), Extra(rows * top_k, 8))
        phases = [(Extra(2 * rows * experts),), (Extra(rows * experts), *routing)]
        # A routed expert on its n tokens: where(chosen == e) gives two int64 index vectors
        # (one storage), the gathered n x D rows, then act(gate), up and their product, n x H
        # each; then its weighted n x D output beside index_add's new D-wide result.
        tokens = -(-rows * top_k // experts)
        indices = Extra(2 * tokens, 8)
        phases.append((*routing, indices, Extra(-(-rows * top_k * (width + 3 * self.hidden) // experts))))
        phases.append((*routing, indices, Extra(tokens * width + rows * width)))
        if self.shared_experts:
            # A shared expert on every token (the last routed expert's indices still held by
            # the loop): three H-wide tensors, then its output and the sum beside the old sum.
            shared = max(3 * self._shared_width, 2 * width)
            phases.append((*routing, indices, Extra(rows * shared)))
        # The largest, comparing as float32 (int64 indices are a small part of any phase).
        return max(phases, key=lambda phase: sum(e.elements * (e.itemsize or 4) for e in phase))

    def to_torch(self, inputs: Inputs) -> Any:
        import torch
        from torch import nn

        width, hidden, experts, top_k = inputs[0][-1], self.hidden, self.experts, self.top_k
        shared, shared_width, gate = self.shared_experts, self._shared_width, self.gate

        class Expert(nn.Module):
            def __init__(self, size: int) -> None:
                super().__init__()
                self.gate_proj = nn.Linear(width, size, bias=False)
                self.up_proj = nn.Linear(width, size, bias=False)
                self.down_proj = nn.Linear(size, width, bias=False)
                self.act = nn.SiLU() if gate == "silu" else nn.GELU()

            def forward(self, x: Any) -> Any:
                return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))

        class MixtureOfExperts(nn.Module):
            # transformers' MixtralSparseMoeBlock: each expert runs on the tokens routed to it.
            def __init__(self) -> None:
                super().__init__()
                self.gate = nn.Linear(width, experts, bias=False)
                self.experts = nn.ModuleList(Expert(hidden) for _ in range(experts))
                self.shared_experts = nn.ModuleList(Expert(shared_width) for _ in range(shared))

            def forward(self, x: Any) -> Any:
                flat = x.reshape(-1, width)
                weights = torch.softmax(self.gate(flat), dim=-1)
                weights, chosen = torch.topk(weights, top_k, dim=-1)
                weights = weights / weights.sum(dim=-1, keepdim=True)
                out = torch.zeros_like(flat)
                for e, expert in enumerate(self.experts):
                    token, slot = torch.where(chosen == e)
                    if token.numel():
                        out = out.index_add(0, token, expert(flat[token]) * weights[token, slot, None])
                for expert in self.shared_experts:
                    out = out + expert(flat)
                return out.reshape(x.shape)

        return MixtureOfExperts()


def _ffn(rows: int, width: int, hidden: int) -> list[Linear]:
    return [Linear(rows, width, hidden, False), Linear(rows, width, hidden, False), Linear(rows, hidden, width, False)]


def _expert_tensors(prefix: str, width: int, hidden: int) -> list[Tensor]:
    return [
        *linear_tensors(f"{prefix}.gate_proj", width, hidden, False),
        *linear_tensors(f"{prefix}.up_proj", width, hidden, False),
        *linear_tensors(f"{prefix}.down_proj", hidden, width, False),
    ]
