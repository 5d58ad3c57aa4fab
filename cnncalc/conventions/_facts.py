"""What a preset may read about a node: the one place that touches the engine's Node.

Presets see shapes (per sample, channels first, as PyTorch holds them without the batch
axis), element counts, the layer's own fields and cnncalc's default MAC count. Keeping
this in one small module lets the node's internals change without touching any preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnncalc.layers.api import Params, Shape, per_dim, prod

if TYPE_CHECKING:
    from cnncalc.engine import Node
    from cnncalc.layers.api import Parts


@dataclass(frozen=True)
class Facts:
    """One node (or the activation a layer applies to its own output), as presets see it."""

    kind: str
    inputs: tuple[Shape, ...]
    output: Shape
    macs: int  # cnncalc's default count: conv, transposed conv and dense multiply-accumulates
    params: Params
    layer: Any = None
    # How the PyTorch code writes it (`form:`, or `activation_form:` for the activation a
    # layer applies): module, function, method, subclass or parameter.
    form: str = "module"

    @property
    def x(self) -> int:
        """Elements of the first input."""
        return prod(self.inputs[0]) if self.inputs else 0

    @property
    def y(self) -> int:
        """Elements of the output."""
        return prod(self.output)

    @property
    def channels_in(self) -> int:
        return self.inputs[0][0]

    @property
    def channels_out(self) -> int:
        return self.output[0]

    @property
    def spatial_in(self) -> int:
        """Product of the input's spatial sizes (1 when flat)."""
        return prod(self.inputs[0][1:])

    @property
    def spatial_out(self) -> int:
        return prod(self.output[1:])

    @property
    def x_built(self) -> int:
        """Elements of the input as the `--verify` builder's module receives it: a pool with
        asymmetric padding (or more than PyTorch lets it pad itself) is built as a pad
        layer and then the pool, which sees the padded input."""
        pads_of = self.get("pads")
        if not callable(pads_of):
            return self.x
        pads = pads_of(self.inputs[0])
        outside = any(2 * before > f for (before, _), f in zip(pads, self.kernel, strict=True))
        if not outside and all(before == after for before, after in pads):
            return self.x
        return self.channels_in * prod([n + b + a for n, (b, a) in zip(self.inputs[0][1:], pads, strict=True)])

    def get(self, name: str, default: Any = None) -> Any:
        """A field of the layer (`bias`, `affine`, `groups`), or `default`."""
        return getattr(self.layer, name, default) if self.layer is not None else default

    @property
    def bias(self) -> bool:
        return bool(self.get("bias", False))

    @property
    def kernel(self) -> tuple[int, ...]:
        return per_dim(self.get("kernel"), len(self.inputs[0]) - 1, "kernel")

    @property
    def parts(self) -> Parts:
        """What an attention or transformer layer runs inside (layers/_attention_parts.py)."""
        parts: Parts = self.layer.parts(self.inputs)
        return parts

    def sizes(self, name: str, default: int = 1) -> tuple[int, ...]:
        """A per-dimension field (`stride`, `padding`) expanded to every spatial axis."""
        return per_dim(self.get(name, default), len(self.inputs[0]) - 1, name)


def facts(node: Node) -> Facts:
    form = getattr(node.layer, "form", "module") if node.layer is not None else "module"
    return Facts(node.kind, node.inputs, node.output, node.macs, node.params, node.layer, form)


def activation(node: Node) -> Facts | None:
    """The activation a layer applies to its own output (`activation: relu`), as its own node."""
    name = getattr(node.layer, "activation", None) if node.layer is not None else None
    if not isinstance(name, str):
        return None
    return Facts(name, (node.output,), node.output, 0, Params(), form=getattr(node.layer, "activation_form", "module"))
