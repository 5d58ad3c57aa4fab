"""`{type: tanh}`: Hyperbolic tangent."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import Activation
from cnncalc.layers.api import Keeps


class Tanh(Activation):
    """Hyperbolic tangent."""

    type: Literal["tanh"]
    torch_class: ClassVar[str] = "Tanh"
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result
