"""Random specs against PyTorch: chains and small graphs over every layer kind drawn on
channels-first inputs, and random transformer stacks on (L, D); every node's shape,
parameters, buffers and MACs must equal PyTorch's.

The drawing is valid by construction (nothing is drawn and thrown away) and reads each
kind's ranges from its case file (`RANDOM` in tests/cases/<kind>.py): no kind is named here.
tests/randomness.py says when the draws are new and how to replay them, and
CNNCALC_VERIFY_EXAMPLES raises the example count for a longer run (default 60).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import randomness
from cases import case_files
from cases._random import Draw, Drawer, Random, activation, divisors, smallest
from helpers import assert_agrees, trace_of
from needs import needs_module

torch = needs_module("torch")

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cnncalc.errors import SpecError  # noqa: E402
from cnncalc.layers import registry  # noqa: E402
from cnncalc.layers.api import Composite, Layer  # noqa: E402

EXAMPLES = randomness.EXAMPLES


# Random specs: chains and small graphs over every layer kind.


def _input(shape: tuple[int, ...]) -> dict[str, int]:
    if len(shape) == 1:
        return {"features": shape[0]}
    axes = {2: ("l",), 3: ("h", "w"), 4: ("d", "h", "w")}[len(shape)]
    return {"c": shape[0], **dict(zip(axes, shape[1:], strict=True))}


def _with_tap(value: Any, tap: str) -> Any:
    """`segment` with the placeholder `$tap` (the segment's input) named `tap`."""
    if isinstance(value, dict):
        return {k: _with_tap(v, tap) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_tap(v, tap) for v in value]
    return tap if value == "$tap" else value


def spec_text(shape: tuple[int, ...], layers: list[Any], blocks: dict[str, Any] | None = None) -> str:
    spec: dict[str, Any] = {"name": "random", "input": _input(shape), "layers": layers}
    if blocks:
        spec["blocks"] = blocks
    return json.dumps(spec)  # JSON is YAML: through the real loader


def shape_after(shape: tuple[int, ...], segment: list[Any], blocks: dict[str, Any]) -> tuple[int, ...] | None:
    """The shape a segment turns `shape` into; None when the engine refuses it."""
    try:
        trace = trace_of(spec_text(shape, _with_tap(segment, "input"), blocks))
    except SpecError:
        return None
    return trace.nodes[-1].output


MAX_ELEMENTS = 2_048  # per sample, to keep every forward pass tiny


def random_of(kind: str) -> Random:
    """The ranges random specs draw `kind` from: its case file's `RANDOM`."""
    random: Random = case_files()[kind].RANDOM
    return random


def kinds_drawn(way: str) -> tuple[str, ...]:
    """The kinds whose case files say they are drawn this way ("layer", "merge", "stack", ...)."""
    return tuple(kind for kind in case_files() if way in random_of(kind).ways)


def drawers() -> dict[str, Drawer]:
    """The layer drawer of every kind drawn as one layer on a channels-first input."""
    return {kind: drawer for kind in kinds_drawn("layer") if (drawer := random_of(kind).layer) is not None}


def sequence_only(kind: str) -> bool:
    """A kind that reads only sequences, token ids (L,) or vectors (L, D): the random networks
    of tests/verify/test_verify_sequences.py draw it, not the channels-first ones here."""
    return registry()[kind].accepts <= {"L", "LD"}


def fits(kind: str, rank: int) -> bool:
    """Whether `kind` can read an input of `rank` axes (channels included)."""
    return random_of(kind).fits(rank)


MERGES = kinds_drawn("merge")
# Kinds on a sequence of vectors (L, D): transformer_spec below draws them.
TRANSFORMER_KINDS = kinds_drawn("stack")
COMPOSITES = kinds_drawn("composite")


def _merge_for(shapes: list[tuple[int, ...]], draw: Draw) -> str | None:
    """A merge that can join `shapes`, if any."""
    fits = _merges_fitting(shapes)
    return draw(st.sampled_from(fits)) if fits else None


def _merges_fitting(shapes: list[tuple[int, ...]]) -> list[str]:
    """The merges that can join `shapes`, as their case files say."""
    return [kind for kind in MERGES if (joins := random_of(kind).merge) is not None and joins(shapes)]


def _smallest(layer: dict[str, Any]) -> dict[str, Any]:
    return smallest(layer, random_of(layer["type"]))


class Builder:
    """Draws a spec segment by segment, each checked by the engine before the next."""

    def __init__(self, draw: Draw, shape: tuple[int, ...]) -> None:
        self.draw = draw
        self.shape = shape
        self.layers: list[Any] = []
        self.blocks: dict[str, Any] = {}
        self.tap = "input"
        self.names = 0
        self.kinds: set[str] = set()
        self.table = drawers()

    def name(self) -> str:
        self.names += 1
        return f"n{self.names}"

    def forced(self, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
        """A layer of `kind` the engine accepts on `shape`: drawn, and where the draw does not
        fit (a kernel over the input, too many elements), the same layer at its smallest."""
        layer = self.one(shape, kind)
        assert layer is not None, f"{kind} cannot read {shape}: random_spec picks a rank it fits"
        for candidate in (layer, _smallest(layer)):
            after = shape_after(shape, [candidate], self.blocks)
            if after is not None and _elements(after) <= MAX_ELEMENTS:
                return candidate
        raise AssertionError(f"no valid {kind} for {shape}, even {_smallest(layer)}: teach _smallest")

    def one(self, shape: tuple[int, ...], kind: str | None = None) -> dict[str, Any] | None:
        """A primitive layer for `shape`, of `kind` or of any kind that fits."""
        if kind is None:
            # Hypothesis leans to the first option: make that the rank's plain conv.
            options = sorted((k for k in self.table if fits(k, len(shape))), key=lambda k: (not random_of(k).plain, k))
            # Half the time a layer with a window or weights: they hold the arithmetic.
            heavy = [k for k in options if random_of(k).heavy]
            kind = self.draw(st.sampled_from(heavy if heavy and self.draw(st.booleans()) else options))
        return self.table[kind](self.draw, shape, kind)

    def fitting(self, shape: tuple[int, ...]) -> tuple[dict[str, Any], tuple[int, ...]] | None:
        """A layer the engine accepts on `shape`: drawn, or where its kernel does not fit the
        input, the same layer at its smallest (no second draw, which would waste the data)."""
        layer = self.one(shape)
        if layer is None:
            return None
        for candidate in (layer, _smallest(layer)):
            after = shape_after(shape, [candidate], self.blocks)
            if after is not None and _elements(after) <= MAX_ELEMENTS:
                return candidate, after
        return None

    def chain(self, shape: tuple[int, ...], length: int) -> tuple[list[Any], tuple[int, ...]] | None:
        layers: list[Any] = []
        for _ in range(length):
            found = self.fitting(shape)
            if found is not None:
                layers.append(found[0])
                shape = found[1]
        return (layers, shape) if layers else None

    def segment(self, form: str, kind: str | None = None) -> list[Any] | None:
        """One piece of the network reading the current output as `$tap`."""
        draw, shape = self.draw, self.shape
        if form == "layer":
            if kind is None:
                found = self.fitting(shape)
                return None if found is None else [found[0]]
            return [self.forced(shape, kind)]
        if form in ("merge", "parallel"):
            branches = []
            for _ in range(draw(st.integers(2, 3))):
                drawn = self.chain(shape, draw(st.integers(0, 2))) if draw(st.booleans()) else None
                branches.append(drawn or ([], shape))
            if kind is None and form == "parallel" and not _merges_fitting([s for _, s in branches]):
                kind = draw(st.sampled_from(MERGES))
            if kind is not None:
                # The merge asked for: a branch it cannot join becomes the identity, which it
                # always can (the input joined with itself).
                kept: list[tuple[list[Any], tuple[int, ...]]] = []
                for branch in branches:
                    fits_it = kind in _merges_fitting([shape, *(s for _, s in kept), branch[1]])
                    kept.append(branch if fits_it else ([], shape))
                branches = kept
            merge = kind or _merge_for([s for _, s in branches], draw)
            if merge is None:
                return None
            if form == "parallel" or (kind is None and draw(st.booleans())):
                return [{"type": "parallel", "merge": merge, "branches": [b for b, _ in branches], **activation(draw)}]
            layers: list[Any] = []
            sources = []
            for body, _ in branches:
                if not body:
                    sources.append("$tap")
                    continue
                name = self.name()
                layers += [{**body[0], "from": "$tap"}, *body[1:]]
                layers[-1] = {**layers[-1], "name": name}
                sources.append(name)
            return [*layers, {"type": merge, "from": sources}]
        if form == "residual":
            # A body that keeps the shape (an identity shortcut) where no drawn chain fits.
            drawn = self.chain(shape, draw(st.integers(1, 3))) or ([self.forced(shape, "relu")], shape)
            body, after = drawn
            if after == shape:
                shortcut: Any = draw(st.sampled_from(["identity", "projection"]))
            elif len(shape) == 3:
                shortcut = "projection"
            elif len(after) == len(shape) and after[:-1] == shape[:-1]:
                shortcut = [{"type": "dense", "units": after[-1]}]
            elif len(after) == len(shape) and after[1:] == shape[1:]:
                shortcut = [{"type": {2: "conv1d", 4: "conv3d"}[len(shape)], "filters": after[0], "kernel": 1}]
            else:
                body, shortcut = [self.forced(shape, "relu")], "identity"
            residual = {"type": "residual", "body": body, "shortcut": shortcut}
            if shape_after(shape, [residual], self.blocks) is None:  # no 1x1 projection reaches the body's size
                body, shortcut = [self.forced(shape, "relu")], "identity"
            return [{"type": "residual", "body": body, "shortcut": shortcut, **activation(draw)}]
        if form == "crop2":
            drawn = self.chain(shape, draw(st.integers(1, 2)))
            if drawn is None:
                return None
            body, _ = drawn
            name = self.name()
            return [*body[:-1], {**body[-1], "name": name}, {"type": "crop", "from": ["$tap", name]}]
        # A block: a chain with one number made an argument, used with repeat.
        drawn = self.chain(shape, draw(st.integers(1, 3)))
        if drawn is None:
            return None
        body, _ = drawn
        block = f"b{len(self.blocks) + 1}"
        args: dict[str, Any] = {}
        for i, layer in enumerate(body):
            for key in ("filters", "units"):
                if key in layer and not args:
                    args[key] = layer[key]
                    body[i] = {**layer, key: f"${key}"}
        self.blocks[block] = {"args": args, "layers": body}
        call = {"type": block, "repeat": draw(st.integers(1, 2))}
        call.update({k: draw(st.integers(1, 4)) for k in args if draw(st.booleans())})
        return [call]

    def add(self, segment: list[Any] | None, limit: int = MAX_ELEMENTS) -> bool:
        if segment is None:
            return False
        after = shape_after(self.shape, segment, self.blocks)
        if after is None or _elements(after) > limit:
            return False
        segment = _with_tap(segment, self.tap)
        self.tap = self.name()
        if isinstance(segment[-1], dict) and "name" not in segment[-1]:
            segment[-1] = {**segment[-1], "name": self.tap}
        else:
            self.tap = segment[-1]["name"]
        self.layers += segment
        self.shape = after
        return True

    def text(self) -> str:
        return spec_text(self.start, self.layers, self.blocks)

    start: tuple[int, ...] = ()


def _elements(shape: tuple[int, ...]) -> int:
    size = 1
    for v in shape:
        size *= v
    return size


@st.composite
def input_shapes(draw: Draw, rank: int | None = None) -> tuple[int, ...]:
    rank = rank or draw(st.sampled_from([1, 2, 3, 3, 3, 4]))
    channels = draw(st.integers(1, 6))
    if rank == 1:
        return (draw(st.integers(1, 24)),)
    hi = {2: 24, 3: 12, 4: 5}[rank]
    return (channels, *(draw(st.integers(1, hi)) for _ in range(rank - 1)))


FORMS = ("layer", "layer", "layer", "merge", "residual", "crop2", "block")


def random_spec(draw: Draw, first: tuple[str, str | None] | None = None) -> str:
    rank = None
    if first is not None and first[0] == "layer" and first[1] is not None:
        # Start at a rank the kind reads (windowed kinds read one only).
        kind = first[1]
        rank = draw(st.sampled_from([r for r in (1, 2, 3, 4) if fits(kind, r)]))
    shape = draw(input_shapes(rank))
    multiple = random_of(first[1]).channels_multiple if first is not None and first[1] is not None else 1
    # Rounded up, not multiplied: the input stays within MAX_ELEMENTS.
    shape = (shape[0] + -shape[0] % multiple, *shape[1:])
    builder = Builder(draw, shape)
    builder.start = builder.shape
    if first is not None:
        # A concat of three branches may triple the input: still small.
        added = builder.add(builder.segment(*first), limit=3 * MAX_ELEMENTS)
        assert added, f"random_spec could not start with {first} on {builder.shape}"
    for _ in range(draw(st.integers(1, 8))):
        form = draw(st.sampled_from(FORMS))
        builder.add(builder.segment(form))
    if not builder.layers:
        builder.add([builder.forced(builder.shape, "identity")])
    return builder.text()


def check_random(text: str) -> None:
    # Each segment was checked as it was drawn: a spec the engine refuses is a bug in the
    # drawing (or in the engine), and fails here with the spec.
    trace = trace_of(text)
    assert_agrees(trace, spec=text)


PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=randomness.SEED is None,
)


@seed(randomness.SEED)
@PROPERTY
@given(st.data())
def test_random_specs_agree_with_pytorch(data: st.DataObject) -> None:
    check_random(random_spec(data.draw))


def primitive_kinds() -> list[str]:
    return sorted(k for k, cls in registry().items() if not issubclass(cls, Composite))


def test_every_registered_kind_has_a_generator() -> None:
    known = set(drawers()) | set(MERGES) | set(TRANSFORMER_KINDS)
    missing = [k for k in primitive_kinds() if k not in known and not sequence_only(k)]
    assert not missing, f"give these kinds' case files (tests/cases/<kind>.py) a RANDOM that draws them: {missing}"
    assert {k for k, cls in registry().items() if issubclass(cls, Composite)} <= set(COMPOSITES)
    assert not [kind for kind in case_files() if not random_of(kind).ways], "case files whose RANDOM draws nothing"


@pytest.mark.parametrize(
    "kind", [*(k for k in primitive_kinds() if k not in TRANSFORMER_KINDS and not sequence_only(k)), *COMPOSITES]
)
@seed(randomness.SEED)
@settings(PROPERTY, max_examples=max(3, EXAMPLES // 10))
@given(data=st.data())
def test_each_kind_agrees_with_pytorch(kind: str, data: st.DataObject) -> None:
    if kind in MERGES:
        first: tuple[str, str | None] = ("merge", kind)
    elif kind in COMPOSITES:
        first = (kind, None)
    else:
        first = ("layer", kind)

    text = random_spec(data.draw, first)
    assert f'"{kind}"' in text
    check_random(text)


def test_layer_base_has_a_torch_builder_for_every_primitive_kind() -> None:
    for kind in primitive_kinds():
        cls: type[Layer] = registry()[kind]
        assert cls.to_torch is not Layer.to_torch, f"{kind} has no to_torch"


# Random transformer stacks on a sequence of vectors (L, D): a generator of their own, as
# the drawers above build channels-first inputs. Every draw is valid by construction: the
# heads are drawn as divisors of the width, the memory of a decoder layer is as wide as
# its target, a rotary head is even.


def _draw_sequence_layer(draw: Draw, kind: str, width: int, memories: dict[str, int], tap: str) -> dict[str, Any]:
    """One layer of `kind` on a (L, width) input `tap`; `memories` are named outputs by width."""
    heads = draw(st.sampled_from(divisors(width)))
    stack = random_of(kind).stack
    assert stack is not None, f"tests/cases/{kind}.py draws no layer of a transformer stack"
    return stack(draw, width, heads, memories, tap)


def transformer_spec(draw: Draw, first: str | None = None) -> str:
    """A random stack: attention and transformer layers, norms, gated feed-forwards, dense
    changes of width, and pre-norm residual blocks (Llama's), on a random (L, D) input."""
    width = draw(st.sampled_from([2, 4, 6, 8, 12]))
    length = draw(st.integers(1, 6))
    layers: list[Any] = []
    memories = {"input": width}
    tap = "input"
    kinds = [first] if first else []
    kinds += [draw(st.sampled_from([*TRANSFORMER_KINDS, "dense", "residual"])) for _ in range(draw(st.integers(1, 4)))]
    for i, kind in enumerate(kinds):
        name = f"s{i}"
        if kind == "dense":
            width = draw(st.sampled_from([2, 4, 6, 8]))
            layer: dict[str, Any] = {"type": "dense", "units": width}
        elif kind == "residual":
            body_kind = draw(st.sampled_from(["attention", "gated_ffn"]))
            body = _draw_sequence_layer(draw, body_kind, width, {}, tap)
            layer = {"type": "residual", "body": [{"type": "rmsnorm"}, body], "shortcut": "identity"}
        else:
            layer = _draw_sequence_layer(draw, kind, width, memories, tap)
        layers.append({**layer, "name": name})
        memories[name] = width
        tap = name
    return json.dumps({"name": "random", "input": {"l": length, "d": memories["input"]}, "layers": layers})


@seed(randomness.SEED)
@settings(PROPERTY, max_examples=max(3, EXAMPLES // 4))
@given(st.data())
def test_random_transformer_stacks_agree_with_pytorch(data: st.DataObject) -> None:
    check_random(transformer_spec(data.draw))


@pytest.mark.parametrize("kind", TRANSFORMER_KINDS)
@seed(randomness.SEED)
@settings(PROPERTY, max_examples=max(3, EXAMPLES // 10))
@given(data=st.data())
def test_each_sequence_kind_agrees_with_pytorch(kind: str, data: st.DataObject) -> None:
    text = transformer_spec(data.draw, kind)
    assert f'"{kind}"' in text
    check_random(text)
