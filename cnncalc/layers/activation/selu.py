"""`{type: selu}`: ELU with fixed constants, scaled: self-normalizing networks."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import InPlaceActivation


class SELU(InPlaceActivation):
    """ELU with fixed constants, scaled: self-normalizing networks."""

    type: Literal["selu"]
    torch_class: ClassVar[str] = "SELU"
    inplace_keeps_result: ClassVar[bool] = True
