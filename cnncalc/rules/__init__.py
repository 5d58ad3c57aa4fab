"""Lint rules: one module each, discovered here.

A rule module holds `RULE = Rule(code, name, level)`, a docstring (its first line is the
summary; `PASS:` and `FAIL:` each introduce an indented example spec) and
`check(ctx: Context) -> Iterable[Finding]`. A rule inspects layers generically through
the trace: their traits (`has(node, "fully-connected")`, the vocabulary in
`cnncalc/layers/_traits.py`) and their fields (`getattr(node.layer, "bias", None)`); it
never names a layer kind, so that a new kind joins the rules by declaring its traits.

Rules about specs that cannot be propagated (invalid YAML or fields, impossible shapes,
merge mismatches) define `owns(failure) -> bool` too: each positioned error the loader
or the engine raises becomes a finding of the first rule that owns it, else CNC001.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from cnncalc.engine import Node, Trace
from cnncalc.errors import START, Diagnostic, LayerError, Mark
from cnncalc.findings import LEVELS, Finding
from cnncalc.labels import label as label  # how a message names a layer (re-exported for the rules)
from cnncalc.labels import subject as subject  # what a finding is about
from cnncalc.layers import layer_class
from cnncalc.layers.api import TRAITS, Layer
from cnncalc.spec.model import Spec


@dataclass(frozen=True)
class Rule:
    """A rule's identity: a stable code, a kebab-case name and its default level."""

    code: str
    name: str
    level: str

    def __post_init__(self) -> None:
        assert re.fullmatch(r"CNC\d{3}", self.code), self.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.name), self.name
        assert self.level in LEVELS, self.level

    def at(self, ctx: Context, mark: Mark | None, message: str, subject: str = "") -> Finding:
        where = mark or START
        return Finding(self.code, self.name, self.level, ctx.path, where.line, where.col, message, subject)


@dataclass(frozen=True)
class Failure:
    """A positioned error from the loader or the engine, and what raised it."""

    diagnostic: Diagnostic
    stage: str  # "load" (YAML and spec validation) or "propagate"
    cause: LayerError | None = None  # set when a layer's shape rule refused its inputs
    kind: str | None = None  # the layer kind at fault, when there is one


@dataclass
class Context:
    """What a rule may look at: the file, its located YAML, the spec and its trace.

    `spec` is None when the file did not validate, `trace` when it did not propagate;
    `failures` then hold the positioned errors.
    """

    path: str
    raw: Any = None
    spec: Spec | None = None
    trace: Trace | None = None
    failures: list[Failure] = field(default_factory=list)
    owners: dict[int, str] = field(default_factory=dict)  # failure index -> rule code
    limits: dict[str, int] = field(default_factory=dict)  # defaults from the configuration
    count: str | None = None  # the preset limits are measured by, where a spec's names none (--count)
    run_imports: bool = False  # pyproject's run-imports: a spec's PyTorch code may be imported again

    def consumers(self) -> dict[int, list[Node]]:
        """For each node, the nodes that read it."""
        out: dict[int, list[Node]] = {}
        if self.trace is not None:
            for node in self.trace.nodes:
                for s in node.sources:
                    out.setdefault(s, []).append(node)
        return out

    def owned(self, code: str) -> Iterable[Failure]:
        return (f for i, f in enumerate(self.failures) if self.owners.get(i) == code)


@dataclass(frozen=True)
class RuleModule:
    rule: Rule
    check: Callable[[Context], Iterable[Finding]]
    doc: str
    owns: Callable[[Failure], bool] | None = None

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""

    def section(self, heading: str) -> str | None:
        """The example spec under `PASS:` or `FAIL:` in the docstring, dedented."""
        match = re.search(rf"^{heading}:\n((?:\n|    .*\n?)+)", textwrap.dedent(self.doc), re.MULTILINE)
        return textwrap.dedent(match[1]).strip("\n") + "\n" if match else None

    def description(self) -> str:
        """The docstring's prose after the summary, before the examples."""
        text = textwrap.dedent(self.doc).strip()
        body = text.split("\n", 1)[1] if "\n" in text else ""
        body = re.split(r"^(PASS|FAIL):", body, flags=re.MULTILINE)[0]
        return body.strip()


_RULES: dict[str, RuleModule] = {}


def _load(module: ModuleType) -> RuleModule:
    rule = getattr(module, "RULE", None)
    # Every public module here is a rule; helpers live elsewhere (cnncalc/explain.py) or
    # start with an underscore (_docs.py).
    assert isinstance(rule, Rule), f"{module.__name__} defines no RULE: not a rule, so not in cnncalc/rules/"
    return RuleModule(rule, module.check, module.__doc__ or "", getattr(module, "owns", None))


def rules() -> dict[str, RuleModule]:
    """Every rule by code, in code order, importing the rule modules on first use."""
    if not _RULES:
        found = []
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                found.append(_load(importlib.import_module(f"{__name__}.{info.name}")))
        codes = [r.rule.code for r in found]
        names = [r.rule.name for r in found]
        assert len(set(codes)) == len(codes) and len(set(names)) == len(names), "rule codes and names are unique"
        _RULES.update((r.rule.code, r) for r in sorted(found, key=lambda r: r.rule.code))
    return _RULES


# Helpers shared by the rules.


def has(node: Node, trait: str) -> bool:
    """Whether the node's layer kind declares `trait` (the input node has none)."""
    assert trait in TRAITS, f"unknown trait {trait!r}"
    return node.layer is not None and trait in node.layer.traits


def applied_activation(node: Node) -> type[Layer] | None:
    """The kind of the activation a layer applies to its own output (`activation: relu`), if any."""
    name = getattr(node.layer, "activation", None)
    return layer_class(name) if isinstance(name, str) else None


def fed_directly(trace: Trace, trait: str) -> Iterator[tuple[Node, Node]]:
    """(the layer that feeds it, a layer with `trait`) for each such layer reading exactly one input."""
    for node in trace.layer_nodes:
        if has(node, trait) and len(node.sources) == 1:
            yield trace.nodes[node.sources[0]], node


def count(n: int) -> str:
    return f"{n:,}"
