"""A recurrent layer's sizes as the tools read them off `nn.RNN`/`nn.GRU`/`nn.LSTM`."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.conventions._facts import Facts


@dataclass(frozen=True)
class Stack:
    """One rnn, gru or lstm layer of a spec: every stacked layer's input width and the rest."""

    kind: str
    gates: int  # 1, 3, 4
    hidden: int  # H
    projection: int  # P, 0 for none
    directions: int
    steps: int  # L
    bias: bool
    widths: tuple[int, ...]  # the input width I of each stacked layer

    @property
    def recurrent(self) -> int:
        """R: what each step reads of the previous state, P with a projection, else H."""
        return self.projection or self.hidden


def stack(f: Facts) -> Stack:
    layer = f.layer
    return Stack(
        kind=f.kind,
        gates=layer.gates,
        hidden=layer.hidden,
        projection=layer.projection,
        directions=layer.directions,
        steps=f.inputs[0][0],
        bias=layer.bias,
        widths=tuple(layer.input_widths(f.inputs[0])),
    )
