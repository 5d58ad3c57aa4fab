"""Problems with a spec, each pinned to a place in its file."""

from __future__ import annotations

import re
from dataclasses import dataclass

# What breaks a one-line message: control characters (C0, DEL, C1: newline, tab, NEL...)
# and Unicode's line and paragraph separators.
LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with each line-breaking character escaped as Python writes it (`\\n`, `\\u2028`)."""
    return LINE_BREAKING.sub(lambda m: repr(m[0])[1:-1], text)


@dataclass(frozen=True, order=True, slots=True)  # slots: a big spec holds millions
class Mark:
    """A 1-based position in a file, as a person reads it."""

    line: int
    col: int


START = Mark(1, 1)


@dataclass(frozen=True)
class Diagnostic:
    """One message about one place in one file."""

    path: str
    mark: Mark
    message: str
    # False for a message about the file as a whole (there is none, it is a folder):
    # shown as `path: message`, with no position that would point at nothing.
    positioned: bool = True

    def __str__(self) -> str:
        # One line whatever a file name or an echoed value holds.
        where = f"{self.path}:{self.mark.line}:{self.mark.col}" if self.positioned else self.path
        return one_line(f"{where}: {self.message}")


class SpecError(Exception):
    """A spec that cannot be used: one or more positioned diagnostics.

    `kind` is the layer kind at fault, when one is; `cause` the LayerError of a shape
    rule that refused its inputs (so that a linter can tell a merge mismatch from an
    impossible window without reading the message).
    """

    def __init__(
        self, diagnostics: list[Diagnostic], *, kind: str | None = None, cause: LayerError | None = None
    ) -> None:
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics
        self.kind = kind
        self.cause = cause

    @classmethod
    def at(cls, path: str, mark: Mark | None, message: str) -> SpecError:
        return cls([Diagnostic(path, mark or START, message)])

    @classmethod
    def about(cls, path: str, message: str) -> SpecError:
        """A problem with the file as a whole (none there, a folder), shown with no position."""
        return cls([Diagnostic(path, START, message, positioned=False)])


class LayerError(Exception):
    """Raised by a layer's shape rule; the engine adds the file position.

    `field` names the spec field to point at (`kernel`, `from`), when one is to blame.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def closest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """The valid word a typo most likely meant, for did-you-mean hints."""
    import difflib

    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    guess = closest(word, choices)
    return f"; did you mean '{guess}'?" if guess else ""
