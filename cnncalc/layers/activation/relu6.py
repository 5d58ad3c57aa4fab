"""`{type: relu6}`: min(max(0, x), 6), as in MobileNet."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import InPlaceActivation


class ReLU6(InPlaceActivation):
    """min(max(0, x), 6), as in MobileNet."""

    type: Literal["relu6"]
    torch_class: ClassVar[str] = "ReLU6"
