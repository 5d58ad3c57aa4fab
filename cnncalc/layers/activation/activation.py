"""Activations: `{type: relu}` as a layer, or `activation: relu` on conv, dense and norms.

They change no shape and hold no parameters; under the default convention they cost
no MACs (elementwise work is not multiply-accumulate). Two are layers only, never an
`activation:`: `prelu` learns its negative slopes (1 or C parameters) and `glu` halves
the channels.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from cnncalc.errors import LayerError
from cnncalc.layers._base import REGISTRY
from cnncalc.layers.api import Extra, Footprint, Inputs, Keeps, Layer, Shape, Tensor, Work, prod

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


class ReLU(InPlaceActivation):
    """max(0, x)."""

    type: Literal["relu"]
    torch_class: ClassVar[str] = "ReLU"
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result
    inplace_keeps_result: ClassVar[bool] = True


class ReLU6(InPlaceActivation):
    """min(max(0, x), 6), as in MobileNet."""

    type: Literal["relu6"]
    torch_class: ClassVar[str] = "ReLU6"


class LeakyReLU(InPlaceActivation):
    """x for x > 0, else negative_slope * x."""

    type: Literal["leaky_relu"]
    negative_slope: float = Field(0.01, description="Slope for negative inputs.")

    inplace_keeps_result: ClassVar[bool] = True  # for a positive slope, the result's sign is the input's

    def summary(self, inputs: Inputs) -> str:
        return f"slope={self.negative_slope:g}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.LeakyReLU(self.negative_slope, inplace=self.inplace)


class Sigmoid(Activation):
    """1 / (1 + exp(-x)); a logistic unit when after a one-unit dense layer."""

    traits: ClassVar[frozenset[str]] = frozenset({"activation", "elementwise", "probabilities"})
    type: Literal["sigmoid"]
    torch_class: ClassVar[str] = "Sigmoid"
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result


class Tanh(Activation):
    """Hyperbolic tangent."""

    type: Literal["tanh"]
    torch_class: ClassVar[str] = "Tanh"
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result


class GELU(Activation):
    """Gaussian error linear unit (exact erf form, PyTorch's default)."""

    type: Literal["gelu"]
    torch_class: ClassVar[str] = "GELU"


class SiLU(InPlaceActivation):
    """x * sigmoid(x), also called swish."""

    type: Literal["silu"]
    torch_class: ClassVar[str] = "SiLU"


class Hardswish(InPlaceActivation):
    """x * relu6(x + 3) / 6, as in MobileNetV3."""

    type: Literal["hardswish"]
    torch_class: ClassVar[str] = "Hardswish"


class Softmax(Activation):
    """exp(x) / sum(exp(x)) over the channel (or feature) axis."""

    traits: ClassVar[frozenset[str]] = frozenset({"activation", "probabilities"})
    type: Literal["softmax"]
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        return nn.Softmax(dim=x.dim(x.layout.channels))  # channels; features when flat or a sequence


class Hardsigmoid(InPlaceActivation):
    """relu6(x + 3) / 6: MobileNetV3's squeeze-and-excitation gate."""

    type: Literal["hardsigmoid"]
    torch_class: ClassVar[str] = "Hardsigmoid"


class Hardtanh(InPlaceActivation):
    """x clipped to [min_val, max_val]."""

    type: Literal["hardtanh"]
    min_val: float = Field(-1.0, description="The lower clip.")
    max_val: float = Field(1.0, description="The upper clip; above min_val.")

    @model_validator(mode="after")
    def _ordered(self) -> Hardtanh:
        if self.max_val <= self.min_val:
            raise ValueError(f"max_val={self.max_val:g} must be above min_val={self.min_val:g}")
        return self

    def summary(self, inputs: Inputs) -> str:
        return f"[{self.min_val:g}, {self.max_val:g}]"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Hardtanh(self.min_val, self.max_val, inplace=self.inplace)


class ELU(InPlaceActivation):
    """x for x > 0, else alpha * (exp(x) - 1)."""

    type: Literal["elu"]
    alpha: float = Field(1.0, description="The value negative inputs saturate towards is -alpha.")
    inplace_keeps_result: ClassVar[bool] = True

    def summary(self, inputs: Inputs) -> str:
        return "" if self.alpha == 1.0 else f"alpha={self.alpha:g}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.ELU(self.alpha, inplace=self.inplace)


class SELU(InPlaceActivation):
    """ELU with fixed constants, scaled: self-normalizing networks."""

    type: Literal["selu"]
    torch_class: ClassVar[str] = "SELU"
    inplace_keeps_result: ClassVar[bool] = True


class Mish(InPlaceActivation):
    """x * tanh(softplus(x))."""

    type: Literal["mish"]
    torch_class: ClassVar[str] = "Mish"


class Softplus(Activation):
    """log(1 + exp(beta * x)) / beta, linear above `threshold`."""

    type: Literal["softplus"]
    beta: float = Field(1.0, gt=0, description="Sharpness.")
    threshold: float = Field(20.0, description="Above beta * x = threshold, the identity.")

    def summary(self, inputs: Inputs) -> str:
        return "" if self.beta == 1.0 else f"beta={self.beta:g}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Softplus(self.beta, self.threshold)


class LogSoftmax(Activation):
    """log(softmax(x)) over the channel (or feature) axis, as a classifier trained with NLL ends."""

    traits: ClassVar[frozenset[str]] = frozenset({"activation"})
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result
    type: Literal["log_softmax"]

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        return nn.LogSoftmax(dim=x.dim(x.layout.channels))


class PReLU(Activation):
    """Leaky ReLU with learned negative slopes: one shared, or one per channel (`num_parameters: C`)."""

    traits: ClassVar[frozenset[str]] = frozenset({"elementwise"})  # learned: not an `activation:`
    type: Literal["prelu"]
    forms: ClassVar[frozenset[str]] = frozenset({"module", "subclass"})  # learned: a module holds them
    num_parameters: PositiveInt = Field(1, description="Learned slopes: 1, or one per channel.")

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        # nn.PReLU's slopes run along torch dim 1: the channels, or the features when flat.
        if self.num_parameters != 1 and (x.layout.channels != x.axes[0] or self.num_parameters != x[0]):
            raise LayerError(
                f"num_parameters={self.num_parameters}: it is 1 or one per channel along PyTorch's dim 1, "
                f"and the {x.axis_names()} input {x.text()} has {x[0]} {AXIS_NAMES.get(x.axes[0], x.axes[0])} there",
                "num_parameters",
            )
        return x

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return [Tensor("weight", (self.num_parameters,))]

    def summary(self, inputs: Inputs) -> str:
        return "" if self.num_parameters == 1 else f"n={self.num_parameters}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.PReLU(self.num_parameters)


AXIS_NAMES = {"C": "channels", "F": "features", "L": "positions"}


class GLU(Layer):
    """Gated linear unit: the channels' first half times the sigmoid of the second, so half as many."""

    type: Literal["glu"]

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        axis = x.layout.channels
        if x.size(axis) % 2:
            raise LayerError(f"it halves the {x.size(axis)} channels, which must be even")
        return x.replace(**{axis: x.size(axis) // 2})

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        return nn.GLU(dim=x.dim(x.layout.channels))


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
    from cnncalc.layers import layer_class

    kind = layer_class(activation)
    if kind is None or not issubclass(kind, InPlaceActivation):
        able = ", ".join(sorted(k for k, c in REGISTRY.items() if issubclass(c, InPlaceActivation)))
        raise ValueError(f"{activation} has no in-place form in PyTorch; these do: {able}")
