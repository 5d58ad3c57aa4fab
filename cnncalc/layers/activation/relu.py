"""`{type: relu}`: max(0, x)."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import InPlaceActivation
from cnncalc.layers.api import Keeps


class ReLU(InPlaceActivation):
    """max(0, x)."""

    type: Literal["relu"]
    torch_class: ClassVar[str] = "ReLU"
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result
    inplace_keeps_result: ClassVar[bool] = True
