"""Segment (token type) embeddings: `{type: segment_embedding, segments: 2}`, BERT's.

BERT adds a learned vector per segment ("sentence A" or "sentence B") to each token:
`nn.Embedding(2, D)(token_type_ids)`. A spec reads one sequence, so every token is in
one segment, `segment` (0 unless given), as BERT's `token_type_ids` default to all
zeros. The table is `segments * D` parameters whichever rows are read; no MACs (the add
is elementwise). Neither an `embedding` (it reads the token ids, not segment ids) nor a
`position_embedding` (row i added at position i) is this function.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.api import Extra, Footprint, Inputs, Layer, Shape, Tensor, Work, prod


class SegmentEmbedding(Layer):
    """Adds row `segment` of a learned (segments, D) table to every vector of (L, D)."""

    type: Literal["segment_embedding"]
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})
    segments: PositiveInt = Field(default=2, description="Rows in the table (BERT's type_vocab_size, 2).")
    segment: NonNegativeInt = Field(default=0, description="The segment every token is in (its token type id).")

    def output_shape(self, inputs: Inputs) -> Shape:
        if self.segment >= self.segments:
            raise LayerError(f"segment {self.segment} is not a row of a table of {self.segments} segments", "segment")
        return inputs[0]

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        # As nn.Embedding(segments, D) names its table.
        return [Tensor("weight", (self.segments, inputs[0].size("D")))]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))  # one add per value

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # `x + table(ids)` with (N, L) int64 ids: the lookup keeps the ids for backward; the
        # looked-up (N, L, D) rows live until the add is done, which keeps nothing. At inference
        # the ids too live only while the layer runs.
        rows, ids = Extra(prod(output)), Extra(inputs[0].size("L"), itemsize=8)
        if not training:
            return Footprint(passing=(rows, ids))
        return Footprint(kept=(ids,), passing=(rows,), grad_through=True)

    def summary(self, inputs: Inputs) -> str:
        return f"segments={self.segments} segment={self.segment}"

    def to_torch(self, inputs: Inputs) -> Any:
        import torch
        from torch import nn

        class SegmentEmbeddingModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """x + table(ids), the ids all `segment`, as BERT's token_type_ids."""

            def __init__(self, segments: int, width: int, segment: int) -> None:
                super().__init__()
                self.table = nn.Embedding(segments, width)
                self.segment = segment

            def forward(self, x: Any) -> Any:
                # (N, L) ids, as BERT's token_type_ids, so the leaf is the model's leaf for --against.
                ids = torch.full(x.shape[:2], self.segment, dtype=torch.long, device=x.device)
                return x + self.table(ids)

        return SegmentEmbeddingModule(self.segments, inputs[0].size("D"), self.segment)
