"""`moe`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

CASES = """
# A mixture of experts on vectors: a router (D -> E, no bias), E gated feed-forward experts
# (gate and up D*H each, down H*D: 3*D*H), each token through its top_k experts; shared
# experts run on every token. MACs: the router on every token, plus top_k experts a token.
- about: eight-wide tokens, four experts, two a token
  input: {l: 4, d: 8}
  layer: {type: moe, experts: 4, top_k: 2, hidden: 12}
  shape: [4, 8]
  trainable: 1184       # router 8*4 = 32; experts 4 * 3*8*12 = 4 * 288 = 1,152
  macs: 2432            # router 4*8*4 = 128; each token through 2 experts: 4*2*288 = 2,304
- about: one shared expert beside three routed, one a token
  input: {l: 6, d: 8}
  layer: {type: moe, experts: 3, top_k: 1, hidden: 6, gate: gelu, shared_experts: 1, shared_hidden: 10}
  shape: [6, 8]
  trainable: 696        # router 8*3 = 24; experts 3 * 3*8*6 = 432; shared 3*8*10 = 240
  macs: 2448            # router 6*8*3 = 144; routed 6*1*144 = 864; shared 6*240 = 1,440
- about: every expert chosen, on features
  input: {features: 5}
  layer: {type: moe, experts: 2, top_k: 2, hidden: 3}
  shape: [5]
  trainable: 100        # router 5*2 = 10; experts 2 * 3*5*3 = 90
  macs: 100             # router 10; both experts 2 * 45
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders:
    Mixtral's routing (softmax over the experts, the top k, their weights renormalised),
    written token by token so that each token runs exactly its k experts."""
    import torch
    from torch import nn

    from cases._torch import SwiGLU

    class MixtureOfExperts(nn.Module):  # type: ignore[misc]
        def __init__(self, width: int, experts: int, top_k: int, hidden: int, act: Any, shared: int = 0) -> None:
            super().__init__()
            self.gate = nn.Linear(width, experts, bias=False)
            self.experts = nn.ModuleList(SwiGLU(width, hidden, bias=False, act=act) for _ in range(experts))
            self.shared_experts = nn.ModuleList(SwiGLU(width, shared, bias=False, act=act) for _ in range(shared > 0))
            self.top_k = top_k

        def forward(self, x: Any) -> Any:
            flat = x.reshape(-1, x.shape[-1])
            weights, chosen = torch.topk(torch.softmax(self.gate(flat), dim=-1), self.top_k, dim=-1)
            weights = weights / weights.sum(dim=-1, keepdim=True)
            rows = []
            for token in range(flat.shape[0]):
                row = flat[token : token + 1]
                mixed = sum(w * self.experts[int(e)](row) for w, e in zip(weights[token], chosen[token], strict=True))
                rows.append(mixed + sum(expert(row) for expert in self.shared_experts))
            return torch.cat(rows).reshape(x.shape)

    return {
        "eight-wide tokens, four experts, two a token": lambda: MixtureOfExperts(8, 4, 2, 12, nn.SiLU()),
        "one shared expert beside three routed, one a token": lambda: MixtureOfExperts(
            8, 3, 1, 6, nn.GELU(), shared=10
        ),
        "every expert chosen, on features": lambda: MixtureOfExperts(5, 2, 2, 3, nn.SiLU()),
    }


def stack(draw: Draw, width: int, heads: int, memories: dict[str, int], tap: str) -> dict[str, Any]:
    experts = draw(st.integers(1, 5))
    return {
        "type": "moe",
        "experts": experts,
        "top_k": draw(st.integers(1, experts)),
        "hidden": draw(st.integers(1, 8)),
        "gate": draw(st.sampled_from(["silu", "gelu"])),
        "shared_experts": draw(st.integers(0, 2)),
    }


RANDOM = Random(stack=stack)
