"""Shapes with named axes: one sample's sizes in PyTorch's order, and what each axis holds.

A layer asks for an axis by name (`x.size("C")`, `x.dim("C")` for torch's dim with the
batch axis in front) instead of taking the first element to be channels. The layouts:

- `F`: a flat feature vector (`{features: 784}`, a flatten's output), `(F,)`.
- `CL`: channels over a 1-D sequence (`{l: 100, c: 8}`), as `nn.Conv1d` holds it.
- `CHW`: an image (`{h: 32, w: 32, c: 3}`), as `nn.Conv2d` holds it.
- `CDHW`: a volume (`{d: 16, h: 112, w: 112, c: 3}`), as `nn.Conv3d` holds it.
- `LD`: a sequence of L vectors of width D (`{l: 128, d: 768}`), batch first as
  transformers hold it; layers that act on features act on D, as `nn.Linear` does.
- `L`: a sequence of L integer token ids (`{l: 35}`), what `nn.Embedding` reads. Only
  layers that take ids accept it (`TOKEN_IDS`); the rest want float features.

Shapes are tuples (equal to a plain tuple of the same sizes), so totals and torch
calls take them as they are; `text()` is the one way to show one to a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Layout:
    """What each axis of a layout is, and the order a person reads it in."""

    axes: str  # PyTorch's order without the batch axis: "CHW"
    spatial: str  # the axes windows slide over (and receptive fields span): "HW"
    channels: str  # the axis channel-wise layers (normalization, concat) act on
    course: str  # the course's reading order, channels last: "HWC"


LAYOUTS: dict[str, Layout] = {
    "F": Layout("F", "", "F", "F"),
    "CL": Layout("CL", "L", "C", "LC"),
    "CHW": Layout("CHW", "HW", "C", "HWC"),
    "CDHW": Layout("CDHW", "DHW", "C", "DHWC"),
    "LD": Layout("LD", "L", "D", "LD"),
    # Token ids have no channel axis; `channels` names L only because a Layout needs one.
    "L": Layout("L", "L", "L", "L"),
}

# The layout of integer token ids: not float features, so no layer takes it unless it says so.
TOKEN_IDS = "L"
# Bytes per element of each --dtype: the one table (the trace, memory and reports read it).
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}

# Where each layout's spatial axes sit, looked up once (a long network asks per layer).
_SPATIAL_POSITIONS = {name: tuple(layout.axes.index(a) for a in layout.spatial) for name, layout in LAYOUTS.items()}

# The layouts with channels and 1, 2 or 3 spatial axes, which windowed layers take.
CHANNELS_FIRST = {1: "CL", 2: "CHW", 3: "CDHW"}

# How an axis is labelled where a person reads it (a flat vector is `(N,)`).
AXIS_LABELS = {"F": "N"}


class Shape(tuple[int, ...]):
    """One sample's sizes in PyTorch's order, with the name of each axis: `Shape((6, 28, 28), "CHW")`."""

    axes: str

    def __new__(cls, sizes: Iterable[int], axes: str) -> Shape:
        self = super().__new__(cls, sizes)
        if axes not in LAYOUTS or len(axes) != len(self):
            raise ValueError(f"no layout {axes!r} for {tuple(self)}")
        self.axes = axes
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (tuple(self), self.axes)

    def __repr__(self) -> str:
        return f"Shape({tuple(self)!r}, {self.axes!r})"

    @property
    def layout(self) -> Layout:
        return LAYOUTS[self.axes]

    def size(self, axis: str) -> int:
        """The size of one axis by name: `size("C")`."""
        return self[self._position(axis)]

    def dim(self, axis: str) -> int:
        """The axis' dim in a PyTorch tensor, with the batch axis in front."""
        return self._position(axis) + 1

    @property
    def spatial(self) -> tuple[int, ...]:
        """The sizes of the axes windows slide over, in order ((H, W) of an image)."""
        return tuple(self[i] for i in _SPATIAL_POSITIONS[self.axes])

    @property
    def channels(self) -> int:
        """The size of the axis channel-wise layers act on (C; F when flat; D in a sequence)."""
        return self.size(self.layout.channels)

    def replace(self, **sizes: int) -> Shape:
        """This shape with some axes resized: `x.replace(C=16)`."""
        for axis in sizes:
            self._position(axis)
        return Shape((sizes.get(a, n) for a, n in zip(self.axes, self, strict=True)), self.axes)

    def with_spatial(self, sizes: Iterable[int], channels: int | None = None) -> Shape:
        """This shape with new spatial sizes (and, given, a new channel count)."""
        resized = dict(zip(self.layout.spatial, sizes, strict=True))
        if channels is not None:
            resized[self.layout.channels] = channels
        return self.replace(**resized)

    def _position(self, axis: str) -> int:
        position = self.axes.find(axis)
        if position < 0 or len(axis) != 1:
            raise KeyError(f"{self.axes} has no axis {axis!r}")
        return position

    def ordered(self, order: str = "hwc") -> tuple[int, ...]:
        """The sizes in the course's order (`hwc`: channels last) or PyTorch's (`chw`)."""
        if order == "chw":
            return tuple(self)
        return tuple(self.size(a) for a in self.layout.course)

    def axis_names(self, order: str = "hwc") -> str:
        """`(H, W, C)`: the axes in the order `ordered` gives them."""
        names = self.layout.course if order == "hwc" else self.axes
        return text(AXIS_LABELS.get(a, a) for a in names)

    def text(self, order: str = "hwc") -> str:
        """`(28, 28, 6)`: the one way a shape is shown to a person."""
        return text(self.ordered(order))


def text(values: Iterable[object]) -> str:
    """`(28, 28, 6)`, and `(400,)` with Python's comma for one value."""
    items = [str(v) for v in values]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def layouts_text(layouts: Iterable[str], order: str = "hwc") -> str:
    """`(L, C), (H, W, C) or (D, H, W, C)`: layouts by name, fewest axes first."""
    names = [Shape((0,) * len(a), a).axis_names(order) for a in sorted(layouts, key=lambda a: (len(a), a))]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def flat(size: int) -> Shape:
    """A flat feature vector of `size` elements."""
    return Shape((size,), "F")


def channels_first(channels: int, spatial: Iterable[int]) -> Shape:
    """A (C, *spatial) shape: CL, CHW or CDHW by the number of spatial axes."""
    sizes = (channels, *spatial)
    return Shape(sizes, CHANNELS_FIRST[len(sizes) - 1])


# Reordering and regrouping axes (permute, transpose, reshape, flatten): which named
# layout the result is, if any. cnncalc names the layouts its layers read; a result with
# none (an image held channels last) is refused by the layer that would make it, with the
# reason, rather than passed on to layers that would misread its axes.


def permuted(x: Shape, order: tuple[int, ...]) -> Shape | None:
    """`x` with its axes in `order` (positions in `x`, no batch axis); None without a name.

    The two axes of a sequence swap between (C, L) and (L, D): the channels of one are
    the features of the other, which is how a patch embedding's (768, 196) becomes the
    (196, 768) a transformer reads. With channels first, the spatial axes may be reordered.
    """
    sizes = tuple(x[i] for i in order)
    if list(order) == sorted(order):
        return x
    if x.axes in ("CL", "LD"):
        return Shape(sizes, "LD" if x.axes == "CL" else "CL")
    if x.axes in CHANNELS_FIRST.values() and order[0] == 0:
        return Shape(sizes, x.axes)  # (C, W, H): still channels and a plane
    return None


def regrouped(sizes: tuple[int, ...], like: Shape, layout: str | None = None) -> Shape | None:
    """A shape of `sizes` named by its number of axes: (F,), channels first, or the
    sequence layout `layout` (CL or LD, default `like`'s when it is one, else CL)."""
    if len(sizes) == 1:
        return flat(sizes[0])
    if len(sizes) == 2:
        name = layout or (like.axes if like.axes in ("CL", "LD") else "CL")
        return Shape(sizes, name)
    if len(sizes) - 1 in CHANNELS_FIRST and layout is None:
        return Shape(sizes, CHANNELS_FIRST[len(sizes) - 1])
    return None
