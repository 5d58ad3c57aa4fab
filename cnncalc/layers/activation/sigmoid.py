"""`{type: sigmoid}`: 1 / (1 + exp(-x)); a logistic unit when after a one-unit dense layer."""

from __future__ import annotations

from typing import ClassVar, Literal

from cnncalc.layers.activation._activation import Activation
from cnncalc.layers.api import Keeps


class Sigmoid(Activation):
    """1 / (1 + exp(-x)); a logistic unit when after a one-unit dense layer."""

    traits: ClassVar[frozenset[str]] = frozenset({"activation", "elementwise", "probabilities"})
    type: Literal["sigmoid"]
    torch_class: ClassVar[str] = "Sigmoid"
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result
