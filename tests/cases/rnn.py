"""`rnn`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, recurrent_finish, recurrent_step

CASES = """
# Per layer and direction: g gates (RNN 1, GRU 3, LSTM 4), params g*H*(I + H) + 2*g*H
# (PyTorch's b_ih and b_hh), MACs per step g*H*(I + H).
- about: Elman RNN 10 -> 20 over 5 steps
  input: {l: 5, d: 10}
  layer: {type: rnn, hidden: 20}
  shape: [5, 20]
  trainable: 640        # 20*(10 + 20) + 2*20 = 600 + 40
  macs: 3000            # 5 steps * 20*(10 + 20)
- about: RNN with relu, no bias, last state
  input: {l: 4, d: 3}
  layer: {type: rnn, hidden: 5, nonlinearity: relu, bias: false, output: last}
  shape: [5]            # the final hidden state
  trainable: 40         # 5*(3 + 5)
  macs: 160             # 4 steps * 5*(3 + 5)
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import LastState, Output0

    return {
        # recurrent, batch first
        "Elman RNN 10 -> 20 over 5 steps": lambda: Output0(nn.RNN(10, 20, batch_first=True)),
        "RNN with relu, no bias, last state": lambda: LastState(
            nn.RNN(3, 5, nonlinearity="relu", bias=False, batch_first=True)
        ),
    }


RANDOM = Random(step=recurrent_step("rnn"), finish=recurrent_finish("rnn"))
