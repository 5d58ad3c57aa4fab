"""Activations: `{type: relu}` as a layer, or `activation: relu` on conv, dense and norms.

They change no shape and hold no parameters; under the default convention they cost
no MACs (elementwise work is not multiply-accumulate). Two are layers only, never an
`activation:`: `prelu` learns its negative slopes (1 or C parameters) and `glu` halves
the channels.

This module holds what the kinds share (`Activation`, `InPlaceActivation`) and what other
kinds attach (`WithActivation`, `ActivationName`); each kind is a module of its own beside
it, so that a spec pays for the activations it uses, not for all eighteen models.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from cnncalc.layers.api import Extra, Footprint, Inputs, Keeps, Layer, Shape, Work, prod

ActivationName = Literal[
    "relu",
    "relu6",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "gelu",
    "silu",
    "hardswish",
    "softmax",
    "hardsigmoid",
    "hardtanh",
    "elu",
    "selu",
    "mish",
    "softplus",
    "log_softmax",
]


class Activation(Layer):
    """An elementwise (or, for softmax, per-position) nonlinearity."""

    traits: ClassVar[frozenset[str]] = frozenset({"activation", "elementwise"})
    torch_class: ClassVar[str] = ""
    # Backward reads the input (relu6 through hardtanh, leaky_relu, gelu, silu, hardswish);
    # those that read their result instead say so.
    keeps: ClassVar[Keeps] = "inputs"
    forms: ClassVar[frozenset[str]] = frozenset({"module", "function", "subclass"})  # F.relu

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return getattr(nn, self.torch_class)()


INPLACE_HELP = (
    "Runs in place, as `nn.ReLU(inplace=True)` (torchvision's default): no new tensor, the input's "
    "storage holds the result."
)


class InPlaceActivation(Activation):
    """An activation PyTorch can run in place (`inplace=True`), overwriting its input.

    In place it makes no tensor: its output is its input's storage. In training, an
    activation whose backward reads its result (relu, leaky_relu, elu) keeps that, the same
    storage; one whose backward reads its input (relu6, silu, hardswish, ...) cannot, and
    autograd keeps a copy of the input made before it is overwritten (`clone`, then `silu_`).
    """

    inplace: bool = Field(False, description=INPLACE_HELP)
    # In place, backward reads the result (True) or a copy of the input taken first (False).
    inplace_keeps_result: ClassVar[bool] = False

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        if not self.inplace:
            return super().footprint(inputs, output, training)
        if not training:
            return Footprint(view=True)  # the input's storage, overwritten
        if self.inplace_keeps_result:
            return Footprint(view=True, keeps_output=True)
        return Footprint(view=True, kept=(Extra(prod(output)),))  # the copy of the input

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return getattr(nn, self.torch_class)(inplace=self.inplace)

    def memory_forms(self) -> tuple[tuple[str, bool], ...]:
        return (("activations", self.inplace),)


class WithActivation(Layer):
    """A layer that may apply an activation to its own output (`activation: relu`)."""

    # Layer.describe() and Layer.build_torch() apply it, for every kind alike.
    activation: ActivationName | None = Field(None, description="Activation applied to the output.")
    activation_form: Literal["module", "function"] = Field(
        "module",
        description="How the PyTorch code applies `activation`: `module` (nn.ReLU()) or `function` (F.relu, "
        "as torchvision's BasicConv2d), for other tools' counts.",
    )
    activation_inplace: bool = Field(
        False,
        description="The activation runs in place on this layer's output, as torchvision's "
        "`nn.ReLU(inplace=True)` after a conv or a norm: no tensor of its own.",
    )

    @model_validator(mode="after")
    def _inplace_needs_activation(self) -> WithActivation:
        check_inplace_activation(self.activation, self.activation_inplace)
        return self

    def activated(self, output: Shape) -> int:
        """Output elements the attached activation passes through (0 without one)."""
        return 0 if self.activation is None else prod(output)


def check_inplace_activation(activation: str | None, inplace: bool) -> None:
    """`activation_inplace: true` needs an activation PyTorch can run in place."""
    if not inplace:
        return
    if activation is None:
        raise ValueError("activation_inplace: true needs an `activation:`")
    from cnncalc.layers import layer_class, registry

    kind = layer_class(activation)
    if kind is None or not issubclass(kind, InPlaceActivation):
        able = ", ".join(sorted(k for k, c in registry().items() if issubclass(c, InPlaceActivation)))
        raise ValueError(f"{activation} has no in-place form in PyTorch; these do: {able}")
