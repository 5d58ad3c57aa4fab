"""Blocks: the spec's reusable groups of layers, and how a use of one becomes layers.

A block is defined once under `blocks:` (`BlockDef`: its parameters, its inputs, its
layers) and used like a layer kind (`BlockCall`: `{type: basic, filters: 128}`).
Instantiating a use takes three steps, each its own function so that what comes next
(expressions in arguments, required arguments, `when:`, several inputs) lands in one
of them and not in the engine:

- `bind(call, definition)`: the call's arguments over the definition's defaults, an
  `Environment`;
- `instantiate(...)`: the block's layers with the environment substituted, and the
  `Frame` they are walked in (the names they see, the prefix of the names they make);
- `Expansion.enter(...)`: the chain of blocks being instantiated, refusing a block that
  uses itself and nesting past `MAX_BLOCK_DEPTH`.

The engine walks frames: the network's own, then one per block instance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from cnncalc.errors import Diagnostic, Mark, SpecError, did_you_mean
from cnncalc.layers._base import LayerList, Name
from cnncalc.spec.loader import LocatedDict, LocatedList, mark_of

MAX_BLOCK_DEPTH = 32

# Inside a block, the name its (one) input is read by (`from: input`).
INPUT = "input"


class BlockDef(BaseModel):
    """A reusable, parameterised group of layers, used like a layer kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = None
    args: dict[str, Any] = Field(default_factory=dict, description="Arguments and their defaults; `$name` uses one.")
    layers: LayerList

    @property
    def parameters(self) -> dict[str, Any]:
        """Each parameter's name -> its default (every parameter has one today)."""
        return self.args

    @property
    def inputs(self) -> tuple[str, ...]:
        """The names the block's layers read its inputs by, in the order a call passes them."""
        return (INPUT,)

    @property
    def arity(self) -> tuple[int, int | None]:
        """How many inputs a use reads: (fewest, most), as a layer kind's `arity`."""
        return (len(self.inputs), len(self.inputs))


class BlockCall(BaseModel):
    """A use of a spec block: `{type: basic, filters: 128, stride: 2}`; other keys are its args."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    type: str
    name: Name | None = None
    source: str | list[str] | None = Field(None, alias="from")
    repeat: PositiveInt = 1

    @property
    def block(self) -> str:
        """The name of the block used (the YAML `type`)."""
        return self.type

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


# A block's arguments by name, as its layers see them.
Environment = dict[str, Any]


def bind(call: BlockCall, definition: BlockDef, raw: Any, path: str, context: str) -> Environment:
    """The call's arguments over the definition's defaults; an unknown one is a positioned error."""
    known = list(definition.parameters)
    problems = [
        Diagnostic(
            path,
            mark_of(raw, key, of_key=True) or mark_of(raw) or raw.mark,
            f"{context}: block '{call.block}' takes no argument '{key}'{did_you_mean(key, known)}",
        )
        for key in call.args
        if key not in definition.parameters
    ]
    if problems:
        raise SpecError(problems)
    return {**definition.parameters, **call.args}


@dataclass
class Frame:
    """Where the walk is: the names its layers can read, the prefix of the names they make,
    and the block instance it walks (None for the network's own layers)."""

    names: dict[str, int]
    prefix: str
    block: str | None = None
    # Where each name was given, so that a repeated layer is not taken for a duplicate.
    marks: dict[str, Mark | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # unnamed blocks so far, per kind

    def qualified(self, name: str) -> str:
        """A name made in this frame as reports show it: `layer2.1.conv1`."""
        return f"{self.prefix}{name}" if name else ""

    def unnamed(self, kind: str) -> str:
        """`bottleneck.1`, `bottleneck.2`: labels for unnamed blocks, numbered per frame."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return f"{kind}.{self.counts[kind]}"


@dataclass(frozen=True)
class Instance:
    """One use of a block, ready to walk: its layers in the frame they are walked in."""

    block: str
    layers: Any  # located YAML, arguments substituted
    frame: Frame
    start: int  # the node the first layer reads


def instantiate(
    call: BlockCall,
    definition: BlockDef,
    environment: Environment,
    sources: list[int],
    outer: Frame,
    label: str,
    path: str,
) -> Instance:
    """The layers of one use of `definition`, named under `label` inside `outer`."""
    layers = substitute(definition.layers, environment, path, call.block)
    names = dict(zip(definition.inputs, sources, strict=True))
    frame = Frame(names, f"{outer.prefix}{label}.", call.block)
    return Instance(call.block, layers, frame, sources[0])


def copies(name: str | None, repeat: int) -> Iterator[str]:
    """The name of each copy of a repeated layer or block: `conv`, or `conv.1`, `conv.2`..."""
    for copy in range(repeat):
        if name and repeat > 1:
            yield f"{name}.{copy + 1}"
        else:
            yield name or ""


class BlockError(Exception):
    """A use of a block that cannot be instantiated; the engine adds the position.

    `field` names the spec field to point at, as LayerError's does.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Expansion:
    """The chain of block instances being walked, innermost last."""

    def __init__(self) -> None:
        self.chain: list[str] = []

    @property
    def innermost(self) -> str | None:
        return self.chain[-1] if self.chain else None

    @contextmanager
    def enter(self, block: str) -> Iterator[None]:
        """Walk inside one use of `block`; BlockError if it uses itself or nests too deep."""
        if block in self.chain:
            cycle = " -> ".join([*self.chain[self.chain.index(block) :], block])
            raise BlockError(f"block '{block}' uses itself ({cycle})", "type")
        if len(self.chain) >= MAX_BLOCK_DEPTH:
            raise BlockError(f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", "type")
        self.chain.append(block)
        try:
            yield
        finally:
            self.chain.pop()


_WHOLE = re.compile(r"^\$(\w+)$")
_INNER = re.compile(r"\$\{(\w+)\}")


def substitute(value: Any, args: Environment, path: str, block: str) -> Any:
    """A located copy of `value` with `$arg` (a whole value) and `${arg}` (inside text) replaced."""

    def one(text: str, where: Any, key: Any) -> Any:
        def lookup(name: str) -> Any:
            if name not in args:
                hint = did_you_mean(name, list(args))
                raise SpecError.at(path, mark_of(where, key), f"block '{block}' has no argument '{name}'{hint}")
            return args[name]

        whole = _WHOLE.match(text)
        if whole:
            return lookup(whole[1])
        return _INNER.sub(lambda m: str(lookup(m[1])), text)

    if isinstance(value, dict):
        out = LocatedDict()
        out.mark = mark_of(value) or getattr(value, "mark", None)  # type: ignore[assignment]
        # The same keys, in the same order: the marks stay aligned with them.
        out.marks = value.marks if isinstance(value, LocatedDict) else []
        for k, v in value.items():
            out[k] = one(v, value, k) if isinstance(v, str) else substitute(v, args, path, block)
        return out
    if isinstance(value, list):
        items = LocatedList()
        items.mark = getattr(value, "mark", None)  # type: ignore[assignment]
        items.item_marks = getattr(value, "item_marks", [])
        for i, v in enumerate(value):
            items.append(one(v, value, i) if isinstance(v, str) else substitute(v, args, path, block))
        return items
    return value
