"""Matrix product of two activations: `{type: matmul, from: [a, b]}`, as `a @ b`.

Two sequences of vectors: a (N, K) @ b (K, M) -> (N, M), or with `transpose_b: true`
a (N, K) @ b^T for b (M, K) -> (N, M), as attention's Q K^T. Nothing learned; N * K * M
MACs per sample, what FlopCounterMode counts for `bmm` (halved).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import EVERYTHING, Everything, Inputs, Layer, Shape, Work


class Matmul(Layer):
    """a @ b (or a @ b^T) of two (L, D) activations, per sample."""

    type: Literal["matmul"]
    arity: ClassVar[tuple[int, int | None]] = (2, 2)
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})
    transpose_b: bool = Field(False, description="Multiply by the second input transposed: a @ b^T.")

    def _sizes(self, inputs: Inputs) -> tuple[int, int, int]:
        (rows, inner), (b_rows, b_cols) = inputs[0], inputs[1]
        b_inner, columns = (b_cols, b_rows) if self.transpose_b else (b_rows, b_cols)
        if inner != b_inner:
            written = "a @ b^T" if self.transpose_b else "a @ b"
            b_shape = f"({b_rows}, {b_cols})"
            raise LayerError(
                f"{written} needs a's last axis equal to b's {'last' if self.transpose_b else 'first'}: "
                f"a is ({rows}, {inner}), b is {b_shape}",
                "transpose_b",
            )
        return rows, inner, columns

    def output_shape(self, inputs: Inputs) -> Shape:
        rows, _, columns = self._sizes(inputs)
        return Shape((rows, columns), "LD")

    def work(self, inputs: Inputs, output: Shape) -> Work:
        rows, inner, columns = self._sizes(inputs)
        return Work(macs=rows * inner * columns)

    def window(self, inputs: Inputs) -> Everything:
        return EVERYTHING  # every output reads a whole row and a whole column

    def summary(self, inputs: Inputs) -> str:
        return "a @ b^T" if self.transpose_b else "a @ b"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        transpose = self.transpose_b

        class MatmulModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """torch.matmul over the batch: a @ b, or a @ b.transpose(1, 2)."""

            def forward(self, a: Any, b: Any) -> Any:
                return a @ (b.transpose(1, 2) if transpose else b)

        return MatmulModule()
