"""What a case file's `RANDOM` is made of: the ranges random specs draw a kind's fields from,
and the shared helpers those ranges are written with (sizes, paddings, divisors, an
`activation:`). The generic random tests (tests/verify/test_verify_random.py,
tests/verify/test_verify_sequences.py) read `RANDOM` and never name a kind's fields themselves.

A kind is drawn in one or more of these ways:
- `layer`: one layer on a channels-first input of one of `layouts` (F, CL, CHW, CDHW);
  called with the input's shape (channels first), it returns the layer, or None where it
  cannot read that input;
- `merge`: joins branches (the `merge` form) of the shapes it says it can; `composite`: a
  form of its own;
- `start`, `step`, `finish`: a sequence network (token ids or vectors), where `start` reads
  the token ids, `step` adds layers to the current (L, D), and `finish` reduces it to a vector;
- `stack`: a layer of a transformer stack on (L, width), given the heads (a divisor of the
  width), the named outputs by width (memories) and the name of its input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

Draw = Callable[..., Any]  # hypothesis's draw: a strategy in, a value out
Drawer = Callable[[Draw, tuple[int, ...], str], "dict[str, Any] | None"]

# Channels-first layouts by the rank of their shape, the flat features (N,) being rank 1.
RANKS = {"F": 1, "CL": 2, "CHW": 3, "CDHW": 4}
EVERY_LAYOUT = tuple(RANKS)
SPATIAL = ("CL", "CHW", "CDHW")
MAX_WIDTH = 12  # the widest (L, D) a sequence network draws


@dataclass
class Network:
    """A sequence network being drawn: its layers, the current shape and what can be tied."""

    ids: bool  # the input is token ids
    length: int
    width: int  # D of the current (L, D); 0 once the sequence is reduced to a vector
    layers: list[dict[str, Any]] = field(default_factory=list)
    embeddings: list[tuple[str, int, int]] = field(default_factory=list)  # name, vocab, width
    names: int = 0
    features: int = 0  # the vector's size once reduced

    def name(self) -> str:
        self.names += 1
        return f"s{self.names}"

    def add(self, layer: dict[str, Any]) -> str:
        named = {"name": self.name(), **layer}
        self.layers.append(named)
        return str(named["name"])


SequenceDrawer = Callable[[Draw, Network], None]
StackDrawer = Callable[[Draw, int, int, "dict[str, int]", str], "dict[str, Any]"]


@dataclass(frozen=True)
class Random:
    """How random specs draw one kind (see the module's docstring)."""

    layouts: tuple[str, ...] = EVERY_LAYOUT
    layer: Drawer | None = None
    # A layer with a window or weights (they hold the arithmetic): drawn half the time.
    heavy: bool = False
    # Hypothesis leans to the first option: the plain conv of each rank, and dense, come first.
    plain: bool = False
    # The layer at its smallest where a drawn one does not fit: every window, pad, crop and
    # growth set to what any input of a rank it reads takes (see `smallest` below); a kind
    # with fields of its own to shrink says how.
    smallest: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # A merge: whether it can join branches of these shapes (channels first).
    merge: Callable[[list[tuple[int, ...]]], bool] | None = None
    composite: bool = False
    # The input channels of a network that starts with this kind are rounded up to a
    # multiple of this (glu halves the channels: 2).
    channels_multiple: int = 1
    start: SequenceDrawer | None = None
    step: SequenceDrawer | None = None
    finish: SequenceDrawer | None = None
    stack: StackDrawer | None = None

    def fits(self, rank: int) -> bool:
        """Whether a `layer` of this kind can read a channels-first input of `rank` axes."""
        return self.layer is not None and rank in {RANKS[layout] for layout in self.layouts}

    @property
    def ways(self) -> tuple[str, ...]:
        names = ("layer", "merge", "composite", "start", "step", "finish", "stack")
        return tuple(name for name in names if getattr(self, name))


SMALLEST = {"kernel": 1, "stride": 1, "dilation": 1, "padding": 0, "output_padding": 0, "cropping": 0}


def smallest(layer: dict[str, Any], random: Random) -> dict[str, Any]:
    """`layer` with every window, pad, crop and growth at its smallest: valid on any input
    of a rank it reads, and no larger than it."""
    small = {key: SMALLEST.get(key, value) for key, value in layer.items()}
    for key in ("filters", "units"):
        if key in small:
            small[key] = small.get("groups", 1)
    return random.smallest(small) if random.smallest else small


# Helpers for the ranges.


def size(draw: Draw, ndim: int, lo: int, hi: int) -> int | list[int]:
    """One size for every axis, or one per axis."""
    if ndim > 1 and draw(st.booleans()):
        return [draw(st.integers(lo, hi)) for _ in range(ndim)]
    value: int = draw(st.integers(lo, hi))
    return value


def padding(draw: Draw, ndim: int, hi: int) -> Any:
    per_dim = st.lists(st.integers(0, hi), min_size=ndim, max_size=ndim)
    per_side = st.lists(st.integers(0, hi), min_size=2 * ndim, max_size=2 * ndim)  # [before, after] per axis
    return draw(st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, hi), per_dim, per_side))


def divisor(draw: Draw, n: int) -> int:
    value: int = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    return value


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def activation(draw: Draw) -> dict[str, Any]:
    """An `activation:` field half the time."""
    kinds = ["relu", "relu6", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "softmax"]
    kinds += ["hardsigmoid", "hardtanh", "elu", "selu", "mish", "softplus", "log_softmax"]
    return {"activation": draw(st.sampled_from(kinds))} if draw(st.booleans()) else {}


def simple(min_rank: int = 1, **fields: st.SearchStrategy[Any]) -> Drawer:
    """A layer whose fields are drawn from `fields`, each on its own."""

    def draw_it(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
        if len(shape) < min_rank:
            return None
        return {"type": kind, **{k: draw(v) for k, v in fields.items()}}

    return draw_it


def spatial(shape: tuple[int, ...], ndim: int) -> bool:
    return len(shape) == ndim + 1


def recurrent(draw: Draw, kind: str, last: bool = False) -> dict[str, Any]:
    """An RNN, GRU or LSTM layer (the fields they share, and each one's own)."""
    hidden = draw(st.integers(1, 8))
    layer: dict[str, Any] = {
        "type": kind,
        "hidden": hidden,
        "num_layers": draw(st.integers(1, 3)),
        "bidirectional": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "dropout": draw(st.sampled_from([0.0, 0.2])),
        "output": "last" if last else "sequence",
    }
    if kind == "rnn":
        layer["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    if kind == "lstm" and hidden > 1 and draw(st.booleans()):
        layer["proj_size"] = draw(st.integers(1, hidden - 1))
    return layer


def recurrent_width(layer: dict[str, Any]) -> int:
    width = int(layer.get("proj_size") or layer["hidden"])
    return width * (2 if layer["bidirectional"] else 1)


def recurrent_step(kind: str) -> SequenceDrawer:
    def step(draw: Draw, net: Network) -> None:
        layer = recurrent(draw, kind)
        net.add(layer)
        net.width = recurrent_width(layer)

    return step


def recurrent_finish(kind: str) -> SequenceDrawer:
    def finish(draw: Draw, net: Network) -> None:
        layer = recurrent(draw, kind, last=True)
        net.add(layer)
        net.features = recurrent_width(layer)

    return finish


Fields = Mapping[str, st.SearchStrategy[Any]]


# The ranges of families whose kinds differ only in their number of spatial axes.


def conv(ndim: int) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
        if not spatial(shape, ndim):
            return None
        groups = divisor(draw, shape[0])
        return {
            "type": kind,
            "filters": groups * draw(st.integers(1, 3)),
            "kernel": size(draw, ndim, 1, 4),
            "stride": size(draw, ndim, 1, 3),
            "padding": padding(draw, ndim, 2),
            "dilation": size(draw, ndim, 1, 2),
            "groups": groups,
            "bias": draw(st.booleans()),
            **activation(draw),
        }

    return draw_it


def conv_transpose(ndim: int) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
        if not spatial(shape, ndim):
            return None
        groups = divisor(draw, shape[0])
        stride = draw(st.integers(1, 3))
        dilation = draw(st.integers(1, 2))
        return {
            "type": kind,
            "filters": groups * draw(st.integers(1, 3)),
            "kernel": size(draw, ndim, 1, 4),
            "stride": stride,
            "padding": size(draw, ndim, 0, 1),
            "output_padding": draw(st.integers(0, max(stride, dilation) - 1)),
            "dilation": dilation,
            "groups": groups,
            "bias": draw(st.booleans()),
            **activation(draw),
        }

    return draw_it


def depthwise(pointwise: bool) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
        if not spatial(shape, 2):
            return None
        layer = {
            "type": kind,
            "kernel": size(draw, 2, 1, 4),
            "stride": size(draw, 2, 1, 2),
            "padding": padding(draw, 2, 1),
            "dilation": size(draw, 2, 1, 2),
            "multiplier": draw(st.integers(1, 2)),
            "bias": draw(st.booleans()),
            **activation(draw),
        }
        if pointwise:
            layer["filters"] = draw(st.integers(1, 6))
        return layer

    return draw_it


def pool(ndim: int, maximum: bool) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
        if not spatial(shape, ndim):
            return None
        kernel = draw(st.integers(1, 3))
        layer: dict[str, Any] = {
            "type": kind,
            "kernel": kernel,
            "stride": draw(st.one_of(st.none(), st.integers(1, 3))),
            "padding": draw(st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, kernel // 2))),
            "ceil_mode": draw(st.booleans()),
        }
        if maximum:
            layer["dilation"] = draw(st.integers(1, 2))
        else:
            layer["count_include_pad"] = draw(st.booleans())
        return layer

    return draw_it
