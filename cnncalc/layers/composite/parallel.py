"""Parallel branches joined by one merge: `{type: parallel, branches: [[...], [...]], merge: concat}`.

The Inception pattern. An empty branch (`[]`) passes the input through unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from cnncalc.layers.activation._activation import ActivationName, check_inplace_activation
from cnncalc.layers.api import Composite, GraphBuilder, make


class Parallel(Composite):
    """Each branch reads the same input; their outputs are merged (concat by default)."""

    type: Literal["parallel"]
    branches: list[Any] = Field(description="Two or more lists of layers, each reading the input.")
    merge: Literal["concat", "add", "multiply"] = Field("concat", description="How the branch outputs are joined.")
    activation: ActivationName | None = Field(None, description="Activation applied after the merge.")
    activation_inplace: bool = Field(False, description="The activation after the merge runs in place.")
    keeps_argument: bool = Field(
        False,
        description="The input stays alive until the merge is done, as a Python `forward(self, x)` "
        "keeps `x` (an Inception block's input lives through its `torch.cat`).",
    )

    @model_validator(mode="after")
    def _inplace_needs_activation(self) -> Parallel:
        check_inplace_activation(self.activation, self.activation_inplace)
        return self

    @field_validator("branches", mode="after")
    @classmethod
    def _lists(cls, value: list[Any]) -> list[Any]:
        if len(value) < 2:
            raise ValueError("needs at least two branches")
        for branch in value:
            if not isinstance(branch, list) or not all(isinstance(layer, dict) for layer in branch):
                raise ValueError("each branch is a list of layers ([] for the input itself)")
        return value

    def expand(self, graph: GraphBuilder, sources: list[int]) -> int:
        x = sources[0]
        outputs = [graph.sequence(branch, x) if branch else x for branch in self.branches]
        merged = graph.add(make(self.merge), outputs)
        if self.activation is not None:
            act = make(self.activation, inplace=True) if self.activation_inplace else make(self.activation)
            merged = graph.add(act, [merged])
        if self.keeps_argument:
            graph.hold(x, merged)
        return merged
