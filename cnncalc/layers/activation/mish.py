"""`{type: mish}`: x * tanh(softplus(x))."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import InPlaceActivation


class Mish(InPlaceActivation):
    """x * tanh(softplus(x))."""

    type: Literal["mish"]
    torch_class: ClassVar[str] = "Mish"
