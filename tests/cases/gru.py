"""`gru`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, recurrent_finish, recurrent_step

CASES = """
# Per layer and direction: g gates (RNN 1, GRU 3, LSTM 4), params g*H*(I + H) + 2*g*H
# (PyTorch's b_ih and b_hh), MACs per step g*H*(I + H).
- about: GRU 10 -> 20 over 5 steps
  input: {l: 5, d: 10}
  layer: {type: gru, hidden: 20}
  shape: [5, 20]
  trainable: 1920       # 3*20*(10 + 20) + 6*20 = 1800 + 120
  macs: 9000            # 5 * 3*20*30
- about: GRU, 3 bidirectional layers without bias
  input: {l: 5, d: 10}
  layer: {type: gru, hidden: 20, num_layers: 3, bidirectional: true, bias: false, dropout: 0.1}
  shape: [5, 40]        # 2 directions * 20
  trainable: 18000      # layer 1: 2 * 3*20*(10 + 20) = 3600; layers 2, 3 read 40: 2 * 3*20*(40 + 20) = 7200 each
  macs: 90000           # 5 steps * 18000 weights (each weight once per step)
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import Output0

    return {
        "GRU 10 -> 20 over 5 steps": lambda: Output0(nn.GRU(10, 20, batch_first=True)),
        "GRU, 3 bidirectional layers without bias": lambda: Output0(
            nn.GRU(10, 20, 3, bias=False, batch_first=True, dropout=0.1, bidirectional=True)
        ),
    }


RANDOM = Random(step=recurrent_step("gru"), finish=recurrent_finish("gru"))
