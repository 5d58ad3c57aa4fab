"""A preset: one tool's count of a network, as a table of per-kind rules over node facts.

A rule returns the tool's number for one node, or `NotDefined` quoting what the tool does
with that kind (it crashes, or refuses). Every rule carries a phrase that says, in words,
what the tool charges for the kind; `cnncalc counters` builds its "why" from them. A kind
whose layers differ in what the tool sees (attention with or without bias, as
nn.MultiheadAttention or as nn.Linear projections) words it from the layer (`says`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cnncalc.conventions._facts import Facts, activation, facts

if TYPE_CHECKING:
    from cnncalc.engine import Node, Trace


@dataclass(frozen=True)
class NotDefined:
    """The tool has no number for this kind; `behaviour` quotes what it does instead."""

    behaviour: str


Count = int | NotDefined


@dataclass(frozen=True)
class Rule:
    """A tool's count for one kind, and what it charges in words (`2 per batchnorm element`)."""

    count: Callable[[Facts], Count]
    phrase: str = ""
    says: Callable[[Facts], str] | None = None  # the phrase for one layer as specified, where it depends on it


@dataclass(frozen=True)
class Form:
    """How a tool counts a layer written other than as its module (`form: function`):
    `count` turns the module form's count into this form's; `phrase` says why in words."""

    count: Callable[[Facts, int], Count]
    phrase: str


def unseen(phrase: str) -> Form:
    """A form the tool does not see at all: 0."""
    return Form(lambda f, count: 0, phrase)


def zero(phrase: str = "") -> Rule:
    """A kind the tool counts as 0 (ignored, unregistered or a zero-op)."""
    return Rule(lambda f: 0, phrase)


def not_defined(behaviour: str) -> Rule:
    return Rule(lambda f: NotDefined(behaviour), behaviour)


class Rules(Mapping[str, Rule]):
    """A preset's table: its own rules, then 0 for any other kind that declares `shape-only`.

    A layer that only moves values computes nothing in every tool's count (none of them
    has a handler for a permutation or a reshape), so a new shape-only kind is counted
    without an entry in each preset; a preset that charges one lists it.
    """

    def __init__(self, own: Mapping[str, Rule]) -> None:
        self.own = own

    def __getitem__(self, kind: str) -> Rule:
        if kind in self.own:
            return self.own[kind]
        if _moves_values_only(kind):
            return MOVES_VALUES
        raise KeyError(kind)

    def __iter__(self) -> Iterator[str]:
        from cnncalc.layers import kinds

        yield from self.own
        yield from (kind for kind in kinds() if kind not in self.own and _moves_values_only(kind))

    def __len__(self) -> int:
        return sum(1 for _ in self)


MOVES_VALUES = zero()


def _moves_values_only(kind: str) -> bool:
    from cnncalc.layers import layer_class  # imports that kind's module alone

    cls = layer_class(kind)
    return cls is not None and "shape-only" in cls.traits


@dataclass(frozen=True)
class Preset:
    """One tool's convention: its name, version, unit and a rule for every layer kind."""

    name: str
    tool: str  # the tool and the call it reproduces
    unit: str  # "MACs", "FLOPs" or "params"
    rules: Mapping[str, Rule]
    summary: str  # one line: what the tool counts
    doc: str = field(default="", repr=False)
    # form -> how the tool counts a layer written so; a form not listed counts as the module.
    forms: Mapping[str, Form] = field(default_factory=dict)
    # The tool counts a traced graph from which the ops whose results never reach the output
    # are gone (TorchScript's dead code elimination): such layers count 0.
    output_only: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.rules, Rules):
            object.__setattr__(self, "rules", Rules(self.rules))

    def rule(self, kind: str) -> Rule:
        return self.rules[kind]

    def count(self, f: Facts) -> Count:
        """The tool's number for one layer (or activation), as its code writes it."""
        count = self.rules[f.kind].count(f)
        form = self.forms.get(f.form)
        if form is None or isinstance(count, NotDefined):
            return count
        return form.count(f, count)

    def says(self, f: Facts) -> str:
        """What the tool charges for this layer, in words, as it is specified and written."""
        rule = self.rules[f.kind]
        said = rule.says(f) if rule.says is not None else rule.phrase
        form = self.forms.get(f.form)
        if form is None or self.rules[f.kind].count(f) == self.count(f):
            return said
        return form.phrase

    def node(self, node: Node) -> list[tuple[str, Count]]:
        """The tool's number for one node, split into the layer's own and its activation's."""
        parts: list[tuple[str, Count]] = [(node.kind, self.count(facts(node)))]
        act = activation(node)
        if act is not None:
            parts.append((act.kind, self.count(act)))
        return parts


def default_count(node: Node, unit: str) -> int:
    """cnncalc's own number for a node in `unit`: MACs, FLOPs (2 per MAC) or parameters."""
    if unit == "params":
        return node.params.total
    return node.macs * (2 if unit == "FLOPs" else 1)


@dataclass(frozen=True)
class Tally:
    """A preset applied to a whole trace (per sample)."""

    preset: Preset
    per_node: list[Count]  # one per node, the input included
    by_kind: dict[str, int]  # the tool's count minus cnncalc's, per kind (activations on their own)
    undefined: dict[str, str]  # kind -> the tool's behaviour, where it has no number
    default_total: int  # cnncalc's own total in the preset's unit
    phrases: dict[str, list[str]] = field(default_factory=dict)  # kind -> its layers' `says`, each once

    def phrase(self, kind: str) -> str:
        """What the tool charges for `kind`, in words, as this network's layers of it are specified."""
        said = self.phrases.get(kind)
        return " / ".join(said) if said else self.preset.rule(kind).phrase

    @property
    def defined(self) -> bool:
        return not self.undefined

    @property
    def total(self) -> int | None:
        if self.undefined:
            return None
        return sum(c for c in self.per_node if isinstance(c, int))


def _reaching_the_output(trace: Trace) -> set[int]:
    """The nodes the network's output is computed from (itself included)."""
    final = len(trace.nodes) - 1
    reaching, todo = {final}, [final]
    while todo:
        for source in trace.nodes[todo.pop()].sources:
            if source not in reaching:
                reaching.add(source)
                todo.append(source)
    return reaching


def tally(preset: Preset, trace: Trace) -> Tally:
    per_node: list[Count] = []
    by_kind: dict[str, int] = {}
    undefined: dict[str, str] = {}
    phrases: dict[str, list[str]] = {}
    reaching = _reaching_the_output(trace) if preset.output_only else None
    for node in trace.nodes:
        if reaching is not None and node.index not in reaching:
            own = default_count(node, preset.unit)
            if own:
                by_kind[node.kind] = by_kind.get(node.kind, 0) - own
            per_node.append(0)
            continue
        parts = preset.node(node)
        for f in (facts(node), activation(node)):
            # Words per layer: as specified (`says`) and as written (`form:`), each once.
            if f is None:
                continue
            said = phrases.setdefault(f.kind, [])
            phrase = preset.says(f)
            if phrase and phrase not in said:
                said.append(phrase)
        own = default_count(node, preset.unit)
        total = 0
        missing: NotDefined | None = None
        for i, (kind, count) in enumerate(parts):
            if isinstance(count, NotDefined):
                undefined.setdefault(kind, count.behaviour)
                missing = count
                continue
            total += count
            by_kind[kind] = by_kind.get(kind, 0) + count - (own if i == 0 else 0)
        per_node.append(missing if missing is not None else total)
    default_total = sum(default_count(n, preset.unit) for n in trace.nodes)
    return Tally(preset, per_node, {k: v for k, v in by_kind.items() if v}, undefined, default_total, phrases)
