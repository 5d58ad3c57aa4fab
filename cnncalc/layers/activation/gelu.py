"""`{type: gelu}`: Gaussian error linear unit (exact erf form, PyTorch's default)."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import Activation


class GELU(Activation):
    """Gaussian error linear unit (exact erf form, PyTorch's default)."""

    type: Literal["gelu"]
    torch_class: ClassVar[str] = "GELU"
