"""Blocks: the spec's reusable groups of layers, and how a use of one becomes layers.

A block is defined once under `blocks:` (`BlockDef`: its parameters, its inputs, its
layers) and used like a layer kind (`BlockCall`: `{type: basic, filters: 128}`).
Instantiating a use takes three steps, each its own function so that what comes next
(expressions in arguments, required arguments, `when:`, several inputs) lands in one
of them and not in the engine:

- `bind(call, definition)`: the call's arguments over the definition's defaults, an
  `Environment`; an argument declared `required` must be given, and a default may be an
  expression over the other arguments (`hidden: "${make_divisible(c * 4, 8)}"`);
- `instantiate(...)`: the block's layers with the environment substituted, and the
  `Frame` they are walked in (the names they see, the prefix of the names they make);
- `Expansion.enter(...)`: the chain of blocks being instantiated, refusing a block that
  uses itself and nesting past `MAX_BLOCK_DEPTH`.

The engine walks frames: the network's own, then one per block instance. A block reads
its inputs by the names it declares (`inputs: [x, skip]`, `input` by default) and sees
only those and its own layers.

Values are substituted by `substitute`: `$name` (a whole value) is an argument as it
is, `"${expression}"` (a whole value) the expression's number or boolean, and
`${expression}` inside longer text its value written out (`cnncalc.spec.expr`).

A repeated layer or block call whose own fields use `i` or `n` (`rate: "${0.1 * i / (n - 1)}"`)
is kept as a `PerCopy`: the fields that decide what its copies are (`_ONCE`) are worked out
at once, the others once per copy, with `i` the copy's 0-based index and `n` the number of
copies over the names around it (an argument of the same name is shadowed).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NonNegativeInt

from cnncalc.errors import Diagnostic, Mark, SpecError, did_you_mean
from cnncalc.layers.api import TRAINABLE_HELP, Condition, LayerList, Name
from cnncalc.spec.expr import ExpressionError, evaluate, names_in
from cnncalc.spec.loader import LocatedDict, LocatedList, mark_of, text_col

MAX_BLOCK_DEPTH = 32

# Inside a block that declares no `inputs:`, the name its one input is read by (`from: input`).
INPUT = "input"
# The default of an argument that every call must give: `args: {filters: required}`.
REQUIRED = "required"


def _unique_names(value: list[str] | None) -> list[str] | None:
    if value is not None:
        if not value:
            raise ValueError("a block reads at least one input")
        repeated = sorted({n for n in value if value.count(n) > 1})
        if repeated:
            raise ValueError(f"the input '{repeated[0]}' is named twice")
    return value


def _unique_outputs(value: list[str] | None) -> list[str] | None:
    if value is not None:
        if not value:
            raise ValueError("a block with outputs: names at least one")
        repeated = sorted({n for n in value if value.count(n) > 1})
        if repeated:
            raise ValueError(f"the output '{repeated[0]}' is named twice")
    return value


class BlockDef(BaseModel):
    """A reusable, parameterised group of layers, used like a layer kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = None
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Arguments and their defaults (`required`: no default, every call gives it); "
        "`$name` or `${expression}` uses them.",
    )
    declared_inputs: Annotated[list[Name] | None, AfterValidator(_unique_names)] = Field(
        None,
        alias="inputs",
        description="The names the block reads its inputs by, in the order a call's `from:` lists them "
        "(default: one input, `input`).",
    )
    declared_outputs: Annotated[list[Name] | None, AfterValidator(_unique_outputs)] = Field(
        None,
        alias="outputs",
        description="Names of layers inside the block that a caller named `b` reads as `b.<name>`; "
        "the first is what the next layer reads (default: the last layer's output alone).",
    )
    layers: LayerList
    keeps_argument: bool = Field(
        False,
        description="The block's inputs stay alive until its last layer has run, as a Python "
        "`forward(self, x)` keeps `x` until it returns (memory only).",
    )

    @property
    def outputs(self) -> tuple[str, ...]:
        """The block's layers read from outside it, the first its own output; () for its last layer alone."""
        return tuple(self.declared_outputs or ())

    @property
    def parameters(self) -> dict[str, Any]:
        """Each parameter's name -> its default, or REQUIRED."""
        return self.args

    @property
    def required(self) -> list[str]:
        """The parameters every call must give."""
        return [name for name, default in self.args.items() if isinstance(default, str) and default == REQUIRED]

    @property
    def inputs(self) -> tuple[str, ...]:
        """The names the block's layers read its inputs by, in the order a call passes them."""
        return tuple(self.declared_inputs) if self.declared_inputs else (INPUT,)

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
    repeat: NonNegativeInt = 1
    when: Condition = True
    holds: list[Name] | None = None  # as a layer's `holds:`: earlier outputs kept alive until it has run
    trainable: bool = Field(True, description=TRAINABLE_HELP)
    checkpoint: bool = Field(
        False,
        description="Activation checkpointing: run the block under `torch.utils.checkpoint` (use_reentrant=False), "
        "which keeps only its inputs for backward and runs its forward again there (memory and training MACs).",
    )

    @property
    def block(self) -> str:
        """The name of the block used (the YAML `type`)."""
        return self.type

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


# A block's arguments by name, as its layers see them.
Environment = dict[str, Any]


def bind(call: BlockCall, definition: BlockDef, raw: Any, path: str, context: str, declared: Any = None) -> Environment:
    """The call's arguments over the definition's defaults; an unknown argument, or a
    required one not given, is a positioned error at the call. `declared` is the block's
    located `args:` mapping, for the positions of its defaults' expressions."""
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
    problems += [
        Diagnostic(
            path,
            mark_of(raw) or raw.mark,
            f"{context}: block '{call.block}' needs the argument '{name}' (it has no default)",
        )
        for name in definition.required
        if name not in call.args
    ]
    if problems:
        raise SpecError(problems)
    environment: Environment = dict(call.args)
    # Defaults in the order declared: each may use the call's arguments and the defaults before it.
    for name, default in definition.parameters.items():
        if name not in environment:
            holder = declared if isinstance(declared, dict) and name in declared else {name: default}
            environment[name] = _one(default, holder, name, environment, path, call.block)
    return {name: environment[name] for name in definition.parameters}


def network_environment(args: dict[str, Any], declared: Any, path: str) -> Environment:
    """The network's own `args:`, as its layers see them: each value worked out over the
    ones before it. `declared` is the located `args:` mapping, for positions."""
    environment: Environment = {}
    for name, value in args.items():
        holder = declared if isinstance(declared, dict) and name in declared else {name: value}
        environment[name] = _one(value, holder, name, environment, path, None)
    return environment


@dataclass
class Frame:
    """Where the walk is: the names its layers can read, the prefix of the names they make,
    and the block instance it walks (None for the network's own layers)."""

    names: dict[str, int]
    prefix: str
    block: str | None = None
    # The frame the block was used in, to tell a name from outside it from an unknown one.
    outer: Frame | None = None
    # Where each name was given, so that a repeated layer is not taken for a duplicate.
    marks: dict[str, Mark | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # unnamed blocks so far, per kind
    # The block instances used here: (label, the call's name, the block, the names made
    # inside), to tell a `from:` naming one of those (`l0.skip`) that it is local to it.
    instances: list[tuple[str, str | None, str, Collection[str]]] = field(default_factory=list)

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
    frame = Frame(names, f"{outer.prefix}{label}.", call.block, outer)
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


# The names a repeated layer's own fields read: its copy's 0-based index and the number of copies.
COPY_INDEX = "i"
COPY_COUNT = "n"
_PER_COPY = frozenset({COPY_INDEX, COPY_COUNT})
# The fields worked out once for all the copies of a layer: they decide what the copies are.
_ONCE = ("type", "name", "from", "repeat", "when")


class PerCopy(LocatedDict):
    """A repeated layer whose fields use its copy's index (`i`) or count (`n`): the fields
    in `_ONCE` are worked out, the others wait for `copy_at()`, in `environment`."""

    __slots__ = ("block", "environment", "path")
    environment: Environment
    block: str | None
    path: str

    @property
    def count(self) -> int:
        """The number of copies as written (1 while `repeat:` is not yet a valid count: validation says why)."""
        repeat = self.get("repeat", 1)
        return repeat if isinstance(repeat, int) and not isinstance(repeat, bool) and repeat >= 0 else 1

    def copy_at(self, index: int) -> Any:
        """The layer as copy `index` of `count` sees it: every expression worked out."""
        names = _CopyNames({**self.environment, COPY_INDEX: index, COPY_COUNT: self.count})
        return _substitute_mapping(self, names, self.path, self.block)


def _uses_copy_index(value: Any) -> bool:
    """Whether an expression or `$name` anywhere in `value` reads `i` or `n`."""
    if isinstance(value, str):
        if "$" not in value:
            return False
        whole = _WHOLE_NAME.fullmatch(value)
        if whole:
            return whole[1] in _PER_COPY
        return any(names_in(m[1]) & _PER_COPY for m in _EXPRESSION.finditer(value))
    if isinstance(value, dict):
        return any(_uses_copy_index(v) for v in value.values())
    if isinstance(value, list):
        return any(_uses_copy_index(v) for v in value)
    return False


def _per_copy(value: dict[str, Any], args: Environment, path: str, block: str | None) -> PerCopy:
    """`value`, a repeated layer using `i` or `n`, with its `_ONCE` fields worked out."""
    deferred = PerCopy(value)
    deferred.mark = mark_of(value) or getattr(value, "mark", None)  # type: ignore[assignment]
    deferred.marks = value.marks if isinstance(value, LocatedDict) else []
    deferred.environment, deferred.block, deferred.path = args, block, path
    for key in _ONCE:
        if key in value:
            given = value[key]
            deferred[key] = (
                _one(given, value, key, args, path, block)
                if isinstance(given, str)
                else (substitute(given, args, path, block))
            )
    return deferred


_WHOLE_NAME = re.compile(r"\$(\w+)")
_EXPRESSION = re.compile(r"\$\{([^}]*)\}")


def _one(value: Any, where: Any, key: Any, names: Environment, path: str, block: str | None) -> Any:
    """One value with `$name`, `"${expression}"` or text holding `${expression}` worked out."""
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = _WHOLE_NAME.fullmatch(value)
    if whole:
        if whole[1] not in names:
            hint = did_you_mean(whole[1], list(names)) or _copy_hint(whole[1])
            owner = f"block '{block}' has" if block else "the network's layers have"
            raise SpecError.at(path, mark_of(where, key), f"{owner} no argument '{whole[1]}'{hint}")
        return names[whole[1]]

    def value_of(match: re.Match[str]) -> Any:
        try:
            return evaluate(match[1], names)
        except ExpressionError as exc:
            mark = mark_of(where, key)
            at = Mark(mark.line, text_col(mark) + match.start(1) + exc.offset) if mark else None
            inside = f"in block '{block}': " if block else ""
            copy = ""
            if COPY_INDEX in names and COPY_COUNT in names and isinstance(names, _CopyNames):
                copy = f" (copy i={names[COPY_INDEX]} of n={names[COPY_COUNT]})"
            hint = next((_copy_hint(n) for n in _PER_COPY if exc.message.startswith(f"no name '{n}'")), "")
            message = f"{inside}expression '{match[1].strip()}'{copy}: {exc.message}{hint}"
            raise SpecError.at(path, at, message) from None

    single = _EXPRESSION.fullmatch(value)
    if single:
        return value_of(single)
    return _EXPRESSION.sub(lambda m: str(value_of(m)), value)


def substitute(value: Any, args: Environment, path: str, block: str | None) -> Any:
    """`value` with `$arg` (a whole value), `"${expression}"` (a whole value: its number or
    boolean) and `${expression}` (inside text) worked out; located like `value`. Returns
    `value` itself when nothing in it changes, so a network's own layers cost no copy (the
    walk is kept lean: the engine runs it over every layer of the network). A repeated
    layer whose fields read `i` or `n` comes back as a `PerCopy`, worked out copy by copy."""
    if isinstance(value, dict):
        if "repeat" in value and any(_uses_copy_index(v) for k, v in value.items() if k not in _ONCE):
            return _per_copy(value, args, path, block)
        return _substitute_mapping(value, args, path, block)
    if isinstance(value, list):
        items: LocatedList | None = None
        for i, v in enumerate(value):
            if type(v) is str:
                if "$" not in v:
                    continue
                new = _one(v, value, i, args, path, block)
            elif type(v) is LocatedDict and "repeat" not in v:  # a layer, as substitute() takes it, one call less
                new = _substitute_mapping(v, args, path, block)
            elif isinstance(v, (dict, list)):
                new = substitute(v, args, path, block)
            else:
                continue
            if new is not v:
                if items is None:
                    items = LocatedList(value)
                    items.mark = getattr(value, "mark", None)  # type: ignore[assignment]
                    items.item_marks = getattr(value, "item_marks", [])
                items[i] = new
        return value if items is None else items
    return value


def _substitute_mapping(value: dict[str, Any], args: Environment, path: str, block: str | None) -> Any:
    """`substitute` of one mapping, field by field; `value` itself when nothing changes."""
    out: LocatedDict | None = None
    for k, v in value.items():
        if type(v) is str:
            if "$" not in v:
                continue
            new = _one(v, value, k, args, path, block)
        elif isinstance(v, (dict, list)):
            new = substitute(v, args, path, block)
        else:
            continue
        if new is not v:
            if out is None:
                out = LocatedDict(value)
                out.mark = mark_of(value) or getattr(value, "mark", None)  # type: ignore[assignment]
                # The same keys, in the same order: the marks stay aligned with them.
                out.marks = value.marks if isinstance(value, LocatedDict) else []
            out[k] = new
    return value if out is None else out


class _CopyNames(dict[str, Any]):
    """The names one copy of a `PerCopy` layer is worked out in: errors say which copy."""


def _copy_hint(name: str) -> str:
    if name not in _PER_COPY:
        return ""
    return (
        f"; '{COPY_INDEX}' and '{COPY_COUNT}' (a copy's index and the number of copies) are known "
        f"only in the fields of a layer with `repeat:`, other than {', '.join(_ONCE)}"
    )
