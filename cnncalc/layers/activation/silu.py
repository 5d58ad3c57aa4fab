"""`{type: silu}`: x * sigmoid(x), also called swish."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import InPlaceActivation


class SiLU(InPlaceActivation):
    """x * sigmoid(x), also called swish."""

    type: Literal["silu"]
    torch_class: ClassVar[str] = "SiLU"
