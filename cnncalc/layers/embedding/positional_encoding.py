"""Fixed sinusoidal positions, as in "Attention Is All You Need": `{type: positional_encoding}`.

Adds `sin(pos / 10000^(2i/D))` and `cos(...)` to the vector at each position of a
sequence (L, D): computed from the position, nothing learned, so 0 parameters and, as
cnncalc builds it (from the length it is given, not a stored table), 0 buffers. No MACs:
the add is elementwise.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.layers.api import Extra, Footprint, Inputs, Layer, Shape, Work, prod


class PositionalEncoding(Layer):
    """Adds the fixed sinusoidal encoding of each position to a sequence of vectors (L, D)."""

    type: Literal["positional_encoding"]
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))  # one add per value

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # The sinusoid table, L x D for the whole batch, is made at every forward and
        # lives until it is added; the add keeps nothing (the table needs no gradient).
        length, width = inputs[0].size("L"), inputs[0].size("D")
        table = Extra(length * width + length + width // 2, per_sample=False)  # with its positions and rates
        return Footprint(passing=(table,), grad_through=training)

    def to_torch(self, inputs: Inputs) -> Any:
        import math

        import torch
        from torch import nn

        class SinusoidalModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """x + PE(pos), PE(pos, 2i) = sin(pos / 10000^(2i/D)), PE(pos, 2i+1) = cos(...)."""

            def forward(self, x: Any) -> Any:
                length, width = x.shape[1], x.shape[2]
                position = torch.arange(length, device=x.device, dtype=x.dtype).unsqueeze(1)
                rate = torch.exp(
                    torch.arange(0, width, 2, device=x.device, dtype=x.dtype) * (-math.log(10000.0) / width)
                )
                table = torch.zeros(length, width, device=x.device, dtype=x.dtype)
                table[:, 0::2] = torch.sin(position * rate)
                table[:, 1::2] = torch.cos(position * rate[: width // 2])
                return x + table

        return SinusoidalModule()
