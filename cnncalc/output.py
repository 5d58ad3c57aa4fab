"""Every output format, in one registry: (what is rendered, format name) -> its renderer.

What is rendered, and the renderer's signature for it:

- `trace`: a propagated spec's analysis (`cnncalc table`): `render(analysis: Analysis, view: View) -> str`.
- `findings`: lint results (`cnncalc check`): `render(result: CheckResult) -> str`.
- `diff`: two versions of a spec (`cnncalc diff`):
  `render(diff: Diff, color: bool = False, everything: bool = False, width: int | None = None) -> str`.
- `verification`: specs checked in PyTorch (`cnncalc verify`):
  `render(checked: Iterable[Checked], layout: str) -> Iterator[str]`, a generator, so
  that a text format can print each spec as soon as it is checked.
- `counters`: every counting preset's total for one spec (`cnncalc counters`):
  `render(trace: Trace, rows: list[Row]) -> str`.
- `drawing`: a diagram of a propagated spec (`cnncalc draw`):
  `render(analysis: Analysis, view: View, rankdir: str) -> str`, or `bytes` for a picture (png, pdf).
- `sweep`: a spec's totals at several inputs (`cnncalc table --input l=128,1024`):
  `render(sweep: Sweep) -> str`.
- `memory`: specs' memory peaks checked in PyTorch (`cnncalc verify --memory`):
  `render(checked: Iterable[MemoryChecked], width: int | None = None) -> Iterator[str]`.
- `kinds`, `zoo`, `rules`, `schema`: the listings of `cnncalc layers`, `zoo`, `rules` and
  `schema`.

A format a person reads (the first of each, table or text) takes `width`, a keyword, where
it fits a terminal. `SUFFIXES` says which format `-o FILE`'s suffix names.

A renderer is named here as `module:function` and imported only when chosen (JSON output
never loads rich, the plain path never loads the others). Adding a format touches its
renderer's module and one line here; the CLI's `--format` choices come from this table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, TextIO, overload

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis
    from cnncalc.conventions.compare import Row
    from cnncalc.diff import Diff
    from cnncalc.engine import Trace
    from cnncalc.findings import CheckResult
    from cnncalc.report import View
    from cnncalc.report.sweep import Sweep
    from cnncalc.report.verification import Checked

What = Literal[
    "trace",
    "findings",
    "diff",
    "verification",
    "memory",
    "counters",
    "drawing",
    "sweep",
    "kinds",
    "zoo",
    "rules",
    "schema",
]

RENDERERS: dict[str, dict[str, str]] = {
    "trace": {
        "table": "cnncalc.report.table:render",
        "json": "cnncalc.report.json_report:render",
        "csv": "cnncalc.report.csv_report:render",
        "markdown": "cnncalc.report.markdown:render",
    },
    "findings": {
        "text": "cnncalc.findings.text:render",
        "json": "cnncalc.findings.json_format:render",
        "sarif": "cnncalc.findings.sarif:render",
        "junit": "cnncalc.findings.junit:render",
        "github": "cnncalc.findings.github:render",
    },
    "diff": {
        "table": "cnncalc.report.diff:render_table",
        "json": "cnncalc.report.diff:render_json",
        "markdown": "cnncalc.report.diff:render_markdown",
    },
    "verification": {
        "text": "cnncalc.report.verification:render_text",
        "json": "cnncalc.report.verification:render_json",
    },
    "memory": {"text": "cnncalc.report.verification:render_memory"},
    "counters": {
        "table": "cnncalc.report.counters:text",
        "json": "cnncalc.report.counters:json_text",
        "markdown": "cnncalc.report.counters:markdown",
    },
    "drawing": {
        "dot": "cnncalc.draw.dot:render",
        "mermaid": "cnncalc.draw.mermaid:render",
        "svg": "cnncalc.draw.svg:render",
        "png": "cnncalc.draw.svg:png",
        "pdf": "cnncalc.draw.svg:pdf",
        "html": "cnncalc.draw.html:render",
    },
    "sweep": {
        "table": "cnncalc.report.sweep:table",
        "json": "cnncalc.report.sweep:json_text",
        "csv": "cnncalc.report.sweep:csv_text",
        "markdown": "cnncalc.report.sweep:markdown",
    },
    "kinds": {"text": "cnncalc.report.kinds:render"},
    "zoo": {"text": "cnncalc.report.zoo:render"},
    "rules": {"text": "cnncalc.rules._docs:listing", "markdown": "cnncalc.rules._docs:markdown"},
    "schema": {"json": "cnncalc.schema:render"},
}

# What `-o FILE`'s suffix names when --format is not given, by what is rendered.
SUFFIXES: dict[What, dict[str, str]] = {
    "drawing": {
        ".dot": "dot",
        ".gv": "dot",
        ".mmd": "mermaid",
        ".mermaid": "mermaid",
        ".svg": "svg",
        ".html": "html",
        ".htm": "html",
        ".png": "png",
        ".pdf": "pdf",
    },
}


def formats(what: What) -> list[str]:
    """The format names for `what`, the first being the default."""
    return list(RENDERERS[what])


def format_named(what: What, output: str | None) -> str | None:
    """The format `what` is written in to `output` when none is named: `what`'s default with
    no file, else the one its suffix names (None where it names none)."""
    if output is None:
        return formats(what)[0]
    from pathlib import PurePath

    return SUFFIXES.get(what, {}).get(PurePath(output).suffix.lower())


class UnknownFormat(ValueError):
    """A format name that `what` has no renderer for; the message lists the choices."""


def check_format(what: What, name: str) -> str:
    """`name` if `what` can be rendered in it, else UnknownFormat."""
    if name not in RENDERERS[what]:
        raise UnknownFormat(f"'{name}' is not one of {', '.join(RENDERERS[what])}")
    return name


@overload
def renderer(what: Literal["trace"], name: str) -> Callable[[Analysis, View], str]: ...
@overload
def renderer(what: Literal["findings"], name: str) -> Callable[[CheckResult], str]: ...
@overload
def renderer(what: Literal["diff"], name: str) -> Callable[[Diff, bool, bool, int | None], str]: ...
@overload
def renderer(what: Literal["verification"], name: str) -> Callable[[Iterable[Checked], str], Iterator[str]]: ...
@overload
def renderer(what: Literal["counters"], name: str) -> Callable[[Trace, list[Row]], str]: ...
@overload
def renderer(what: Literal["drawing"], name: str) -> Callable[[Analysis, View, str], str | bytes]: ...
@overload
def renderer(what: Literal["sweep"], name: str) -> Callable[[Sweep], str]: ...
@overload
def renderer(what: What, name: str) -> Callable[..., Any]: ...
def renderer(what: What, name: str) -> Any:
    """The function rendering `what` in format `name`, importing only its module."""
    module, function = RENDERERS[what][check_format(what, name)].split(":")
    return getattr(importlib.import_module(module), function)


def writer(name: str) -> Callable[[Analysis, View, TextIO], None]:
    """A trace format's streaming writer, `write(analysis, view, out)`, where its module has one (a big
    network's text is then never held whole), else its renderer's text written at once."""
    module, function = RENDERERS["trace"][check_format("trace", name)].split(":")
    loaded = importlib.import_module(module)
    write: Callable[[Analysis, View, TextIO], None] | None = getattr(loaded, "write", None)
    if write is not None:
        return write
    render: Callable[[Analysis, View], str] = getattr(loaded, function)

    def write_whole(analysis: Analysis, view: View, out: TextIO) -> None:
        out.write(render(analysis, view))

    return write_whole
