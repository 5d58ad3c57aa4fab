"""`{type: hardswish}`: x * relu6(x + 3) / 6, as in MobileNetV3."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import InPlaceActivation


class Hardswish(InPlaceActivation):
    """x * relu6(x + 3) / 6, as in MobileNetV3."""

    type: Literal["hardswish"]
    torch_class: ClassVar[str] = "Hardswish"
