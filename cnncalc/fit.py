"""Fitting human output to a terminal's width.

A table names its columns and a fixed order of steps (`Step`): leave a column out, or cut its
cells to a floor width. Steps apply in order only until the table fits, so a wide terminal
sees everything; the columns a table is read for are in no step and always stay. One line
under the table says what was left out. Text that is not a table (titles, totals, findings)
wraps at spaces, continuation lines indented.

Piped output passes no width (None) and comes out as it always did. The standard library's
textwrap is imported only when something needs wrapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

GAP = 2  # spaces between two columns
ELLIPSIS = "…"


@dataclass(frozen=True)
class Step:
    """Leave `column` out; or, with `to`, cut its cells to as few as `to` characters, only as
    far as the table needs (`middle`: keep both ends, for names whose tail tells them apart)."""

    column: str
    to: int | None = None
    middle: bool = False


@dataclass
class Fitted:
    """What one table shows at one width: the kept columns and their widths."""

    shown: list[int]  # indices of the columns kept, in order
    widths: list[int]  # every column's width, cut where a step cut it
    left_out: list[str] = field(default_factory=list)
    shortened: list[str] = field(default_factory=list)
    middle: set[int] = field(default_factory=set)  # columns cut in the middle rather than at the end

    def cut(self, i: int, text: str) -> str:
        return cut(text, self.widths[i], middle=i in self.middle)


def fit(headers: Sequence[str], widths: Sequence[int], width: int | None, steps: Sequence[Step]) -> Fitted:
    """Apply `steps` in order until the columns, `GAP` apart, fit in `width` (None: no limit)."""
    fitted = Fitted(list(range(len(headers))), list(widths))
    if width is None:
        return fitted
    shown, cut_widths = fitted.shown, fitted.widths
    for step in steps:
        over = sum(cut_widths[i] for i in shown) + GAP * (len(shown) - 1) - width
        if over <= 0:
            break
        if step.column not in headers or headers.index(step.column) not in shown:
            continue
        i = headers.index(step.column)
        if step.to is None:
            shown.remove(i)
            fitted.left_out.append(step.column)
            if step.column in fitted.shortened:
                fitted.shortened.remove(step.column)
            continue
        narrower = max(step.to, len(headers[i]), cut_widths[i] - over)
        if narrower < cut_widths[i]:
            cut_widths[i] = narrower
            if step.middle:
                fitted.middle.add(i)
            if step.column not in fitted.shortened:
                fitted.shortened.append(step.column)
    return fitted


def cut(text: str, width: int, middle: bool = False) -> str:
    """`text` in at most `width` characters, an ellipsis marking what was cut; leading spaces
    (a name's nesting) are kept while room for the name remains."""
    if len(text) <= width:
        return text
    name = text.lstrip(" ")
    indent = text[: len(text) - len(name)]
    if width - len(indent) < 4:
        indent = ""  # deep nesting: the name matters more than its indentation
    room = width - len(indent)
    if len(name) <= room:
        return indent + name
    if room < 2:
        return ELLIPSIS[:room]
    if not middle:
        return indent + name[: room - 1] + ELLIPSIS
    head = (room - 1) // 2
    tail = room - 1 - head
    return indent + name[:head] + ELLIPSIS + name[len(name) - tail :]


def note(width: int, left_out: Sequence[str], shortened: Sequence[str] = ()) -> str:
    """The one line that says what a fitted table does not show; "" when it shows everything."""
    if not left_out and not shortened:
        return ""
    parts = []
    if left_out:
        parts.append("left out " + ", ".join(left_out))
    if shortened:
        parts.append("shortened " + ", ".join(shortened))
    return f"fitted to {width} columns: {'; '.join(parts)}; --wide shows all"


def wrap(text: str, width: int | None, indent: str = "", first: str = "") -> list[str]:
    """`first + text` in lines of at most `width`, broken at spaces, continuation lines starting
    with `indent`; `first` (a heading, a `file:line:col:` location) is never broken."""
    if width is None or len(first) + len(text) <= width:
        return [first + text]
    import textwrap  # only when something needs wrapping

    lines = textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return lines or [first.rstrip()]


def order(steps: Sequence[Step]) -> str:
    """The steps as a person reads them, for --help and the README."""
    return ", ".join(f"'{s.column}'" if s.to is None else f"'{s.column}' cut to {s.to}" for s in steps)
