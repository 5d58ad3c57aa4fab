"""`lstm`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, recurrent_finish, recurrent_step

CASES = """
# Per layer and direction: g gates (RNN 1, GRU 3, LSTM 4), params g*H*(I + H) + 2*g*H
# (PyTorch's b_ih and b_hh), MACs per step g*H*(I + H).
- about: LSTM 10 -> 20 over 5 steps, presets.md's measured layer
  input: {l: 5, d: 10}
  layer: {type: lstm, hidden: 20}
  shape: [5, 20]
  trainable: 2560       # 4*20*(10 + 20) + 8*20 = 2400 + 160
  macs: 12000           # 5 * 4*20*30
- about: LSTM with a projection, 2 bidirectional layers
  input: {l: 5, d: 10}
  layer: {type: lstm, hidden: 20, proj_size: 7, num_layers: 2, bidirectional: true}
  shape: [5, 14]        # 2 directions * P = 7
  # layer 1 per direction: w_ih 80*10 + w_hh 80*7 + biases 2*80 + w_hr 7*20 = 800 + 560 + 160 + 140 = 1660;
  # layer 2 reads 14: 80*14 + 560 + 160 + 140 = 1980; (1660 + 1980) * 2 = 7280
  trainable: 7280
  # per step: layer 1 80*(10 + 7) + 20*7 = 1500, layer 2 80*(14 + 7) + 140 = 1820; (1500 + 1820) * 2 * 5 steps
  macs: 33200
- about: bidirectional LSTM, last state of both directions
  input: {l: 6, d: 4}
  layer: {type: lstm, hidden: 3, bidirectional: true, output: last}
  shape: [6]            # forward and backward final states, 3 each
  trainable: 216        # 2 * (4*3*(4 + 3) + 8*3) = 2 * (84 + 24)
  macs: 1008            # 6 steps * 2 directions * 4*3*7
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import LastState, Output0

    return {
        "LSTM 10 -> 20 over 5 steps, presets.md's measured layer": lambda: Output0(nn.LSTM(10, 20, batch_first=True)),
        "LSTM with a projection, 2 bidirectional layers": lambda: Output0(
            nn.LSTM(10, 20, 2, batch_first=True, bidirectional=True, proj_size=7)
        ),
        "bidirectional LSTM, last state of both directions": lambda: LastState(
            nn.LSTM(4, 3, batch_first=True, bidirectional=True)
        ),
    }


RANDOM = Random(step=recurrent_step("lstm"), finish=recurrent_finish("lstm"))
