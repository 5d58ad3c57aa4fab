"""Token embedding: `{type: embedding, vocab: 10000, width: 256}` on token ids `{l: 35}`.

A learned table of `vocab` vectors of `width` values; each token id picks its row, so
(L,) ids become (L, width) vectors, as `nn.Embedding` does. `vocab * width` parameters
and no MACs: a lookup multiplies nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.layers.api import Inputs, Layer, Shape, Tensor
from cnncalc.shape import TOKEN_IDS


class Embedding(Layer):
    """A lookup table of `vocab` learned vectors of `width` values, one row per token id."""

    type: Literal["embedding"]
    accepts: ClassVar[frozenset[str]] = frozenset({TOKEN_IDS})
    vocab: PositiveInt = Field(description="Number of distinct token ids (nn.Embedding's num_embeddings).")
    width: PositiveInt = Field(description="Values per vector (nn.Embedding's embedding_dim).")

    def output_shape(self, inputs: Inputs) -> Shape:
        return Shape((inputs[0].size("L"), self.width), "LD")

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return [Tensor("weight", (self.vocab, self.width))]

    def summary(self, inputs: Inputs) -> str:
        return f"{self.vocab}x{self.width}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Embedding(self.vocab, self.width)
