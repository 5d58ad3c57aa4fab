"""Learned positions: `{type: position_embedding, max_len: 512}` on a sequence of vectors.

A learned table of `max_len` vectors, one per position; row i is added to the vector at
position i, as BERT and GPT-2 add `nn.Embedding(max_len, D)(arange(L))` to their token
embeddings. `max_len * D` parameters whatever the length (a table, not a per-token cost),
no MACs (the add is elementwise), and a sequence longer than the table is an error.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.api import Extra, Footprint, Inputs, Layer, Shape, Tensor, Work, prod


class PositionEmbedding(Layer):
    """Adds a learned vector per position to a sequence of vectors (L, D); L <= max_len."""

    type: Literal["position_embedding"]
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})
    max_len: PositiveInt = Field(description="Positions in the table: the longest sequence it can take.")
    positions: Literal["arange", "row"] = Field(
        "arange",
        description="How the table is looked up, for other tools' counts: `arange` (`table(arange(L))`, "
        "L positions with no batch axis) or `row` (`table(position_ids[:, :L])`, one (1, L) row of positions, "
        "as Hugging Face's BERT and GPT-2 write it): torchinfo counts the table once per looked-up row.",
    )
    # `parameter`: `x + pos_embedding` with a bare nn.Parameter, as torchvision's ViT.
    forms: ClassVar[frozenset[str]] = frozenset({"module", "subclass", "parameter"})

    def output_shape(self, inputs: Inputs) -> Shape:
        length = inputs[0].size("L")
        if length > self.max_len:
            raise LayerError(
                f"the sequence has {length} positions, more than the table's max_len={self.max_len}", "max_len"
            )
        return inputs[0]

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        # As nn.Embedding(max_len, D) names its table, or ViT its bare parameter.
        name = "pos_embedding" if self.form == "parameter" else "weight"
        return [Tensor(name, (self.max_len, inputs[0].size("D")))]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))  # one add per value

    def summary(self, inputs: Inputs) -> str:
        return f"max_len={self.max_len}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # `x + table(arange(L))`: the L int64 positions (one set for the batch) are what
        # the lookup keeps; the looked-up L x D rows live until the add is done. The add
        # keeps nothing and hands `x` the output's gradient.
        if self.form == "parameter":  # `x + pos_embedding[:L]`: a view of the table, nothing kept
            return Footprint(grad_through=training)
        length, width = inputs[0].size("L"), inputs[0].size("D")
        rows = Extra(length * width, per_sample=False)
        if not training:
            return Footprint(passing=(rows,))
        positions = Extra(length, itemsize=8, per_sample=False)
        return Footprint(kept=(positions,), passing=(rows,), grad_through=True)

    def to_torch(self, inputs: Inputs) -> Any:
        import torch
        from torch import nn

        row = self.positions == "row"

        class PositionEmbeddingModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """x + table(arange(L)), or of a (1, L) row of positions as Hugging Face writes it."""

            def __init__(self, max_len: int, width: int) -> None:
                super().__init__()
                self.table = nn.Embedding(max_len, width)

            def forward(self, x: Any) -> Any:
                positions = torch.arange(x.shape[1], device=x.device)
                return x + self.table(positions[None] if row else positions)

        class BareParameter(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """x + pos_embedding[:L], a bare nn.Parameter, as torchvision's ViT writes it."""

            def __init__(self, max_len: int, width: int) -> None:
                super().__init__()
                self.pos_embedding = nn.Parameter(torch.zeros(max_len, width))

            def forward(self, x: Any) -> Any:
                return x + self.pos_embedding[: x.shape[1]]

        built = BareParameter if self.form == "parameter" else PositionEmbeddingModule
        return built(self.max_len, inputs[0].size("D"))
