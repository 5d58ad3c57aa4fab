"""Activations: `{type: relu}` as a layer, or `activation: relu` on conv, dense and norms.

They change no shape and hold no parameters; under the default convention they cost
no MACs (elementwise work is not multiply-accumulate).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.layers._base import Inputs, Keeps, Layer, Shape, Work, prod

ActivationName = Literal["relu", "relu6", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "softmax"]


class Activation(Layer):
    """An elementwise (or, for softmax, per-position) nonlinearity."""

    traits: ClassVar[frozenset[str]] = frozenset({"activation", "elementwise"})
    torch_class: ClassVar[str] = ""
    # Backward reads the input (relu6 through hardtanh, leaky_relu, gelu, silu, hardswish);
    # those that read their result instead say so.
    keeps: ClassVar[Keeps] = "inputs"

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return getattr(nn, self.torch_class)()


class ReLU(Activation):
    """max(0, x)."""

    type: Literal["relu"]
    torch_class: ClassVar[str] = "ReLU"
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result


class ReLU6(Activation):
    """min(max(0, x), 6), as in MobileNet."""

    type: Literal["relu6"]
    torch_class: ClassVar[str] = "ReLU6"


class LeakyReLU(Activation):
    """x for x > 0, else negative_slope * x."""

    type: Literal["leaky_relu"]
    negative_slope: float = Field(0.01, description="Slope for negative inputs.")

    def summary(self, inputs: Inputs) -> str:
        return f"slope={self.negative_slope:g}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.LeakyReLU(self.negative_slope)


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


class SiLU(Activation):
    """x * sigmoid(x), also called swish."""

    type: Literal["silu"]
    torch_class: ClassVar[str] = "SiLU"


class Hardswish(Activation):
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


class WithActivation(Layer):
    """A layer that may apply an activation to its own output (`activation: relu`)."""

    # Layer.describe() and Layer.build_torch() apply it, for every kind alike.
    activation: ActivationName | None = Field(None, description="Activation applied to the output.")

    def activated(self, output: Shape) -> int:
        """Output elements the attached activation passes through (0 without one)."""
        return 0 if self.activation is None else prod(output)
