"""`{type: hardsigmoid}`: relu6(x + 3) / 6: MobileNetV3's squeeze-and-excitation gate."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import InPlaceActivation


class Hardsigmoid(InPlaceActivation):
    """relu6(x + 3) / 6: MobileNetV3's squeeze-and-excitation gate."""

    type: Literal["hardsigmoid"]
    torch_class: ClassVar[str] = "Hardsigmoid"
