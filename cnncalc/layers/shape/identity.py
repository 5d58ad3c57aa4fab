"""Identity: `{type: identity}`. Passes its input through: no parameters, no MACs.

Useful as a named tap (`name: features`) or a placeholder a block argument can swap.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.layers.api import Inputs, Layer


class Identity(Layer):
    """Returns its input unchanged."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only", "elementwise"})
    type: Literal["identity"]
    view: ClassVar[bool] = True  # PyTorch returns a view (or the input itself): no bytes of its own

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Identity()
