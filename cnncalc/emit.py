"""The one way out of a command: renderer lookup (through `cnncalc.output`'s table), stdout
or `-o FILE` (never over a file the run reads), colour and width, messages on stderr and the
exit code.

Exit codes: 0 success; 1 findings (a refuted claim, a lint error, a crossed threshold);
2 unusable input or usage (missing file, YAML error, invalid spec, impossible shape);
3 a bug in cnncalc itself (reported without a traceback; please file it).

A command returns an `Emission` (what was computed, in which format, and the exit code);
`emit` renders and writes it. Only this module prints or exits.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from cnncalc.errors import SpecError

if TYPE_CHECKING:
    from cnncalc.output import What

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_BUG = 0, 1, 2, 3


@dataclass
class Emission:
    """What a command hands back: `what` rendered in `format` from `args`, and the exit code.

    `width` reaches the format a person reads (the first of `what`'s formats: table, text)
    when it goes to stdout; `output` is `-o`'s file, never one of `inputs`; `code` may be a
    function, asked once the output is written (a streamed verification finds its code as
    it goes).
    """

    what: What | None  # None: `args` is the text itself, already rendered
    format: str
    args: tuple[Any, ...]
    code: int | Callable[[], int] = EXIT_OK
    width: int | None = None
    output: str | None = None
    inputs: Sequence[str] = field(default_factory=tuple)
    command: str = "cnncalc"


def note(message: object) -> None:
    """One line on stderr: a warning, a note, a diagnostic."""
    print(message, file=sys.stderr)


def unusable(*messages: object) -> NoReturn:
    """Each message on stderr, then exit 2: the input or the usage cannot be used."""
    for message in messages:
        note(message)
    raise typer.Exit(EXIT_UNUSABLE)


def usage(message: str) -> NoReturn:
    """A usage error in click's words (`Error: ...`), exit 2."""
    unusable(f"Error: {message}")


def fail(error: SpecError) -> NoReturn:
    """A spec that cannot be used: its diagnostics, exit 2."""
    unusable(*error.diagnostics)


@contextmanager
def spec_errors() -> Iterator[None]:
    """Exit 2 with the diagnostics of a SpecError raised inside."""
    try:
        yield
    except SpecError as error:
        fail(error)


def finish(code: int) -> None:
    """Exit with `code`, unless it is 0 (the command simply returns)."""
    if code != EXIT_OK:
        raise typer.Exit(code)


def color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def width(wide: bool) -> int | None:
    """The columns human output must fit in: COLUMNS when set, else the terminal's; None (every
    column, nothing wrapped) with --wide, or piped, where logs and CI want the whole table."""
    import shutil

    if wide or ("COLUMNS" not in os.environ and not sys.stdout.isatty()):
        return None
    columns = shutil.get_terminal_size((0, 0)).columns  # honours COLUMNS; 0 where the size is unknown
    return columns if columns > 0 else None


def write(text: str | bytes | Iterable[str], output: str | None, inputs: Sequence[str], command: str) -> None:
    """`text` on stdout (a picture's bytes as they are), or written whole to `output`: exit 2
    if that is one of `inputs` or cannot be written."""
    if output is None:
        if isinstance(text, bytes):  # a picture, as `dot -Tpng` writes it
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
        elif isinstance(text, str):
            sys.stdout.write(text)
        else:
            for chunk in text:  # each part as soon as it is made
                sys.stdout.write(chunk)
        return
    from cnncalc.files import InputClash, write_report

    whole = text if isinstance(text, str | bytes) else "".join(text)
    try:
        write_report(output, whole, inputs)
    except InputClash as clash:
        unusable(clash)
    except OSError as exc:
        unusable(f"{command}: cannot write {output}: {exc.strerror}")


def rendered(what: What, format: str, *args: Any, width: int | None = None) -> Any:
    """`args` rendered by the renderer table's function for `what` in `format`; `width` reaches
    it only when given (the formats a person reads take one)."""
    from cnncalc.output import renderer

    render: Callable[..., Any] = renderer(what, format)
    return render(*args) if width is None else render(*args, width=width)


def emit(emission: Emission) -> None:
    """Render `emission` through the renderer table, write it, and exit with its code."""
    from cnncalc.output import formats, writer

    if emission.what is None:
        write(emission.args[0], emission.output, emission.inputs, emission.command)
    elif emission.what == "trace" and emission.output is None:
        analysis, view = emission.args
        writer(emission.format)(analysis, view, sys.stdout)  # streamed: a big network's text is never whole
    else:
        human = emission.format == formats(emission.what)[0] and emission.output is None
        text = rendered(emission.what, emission.format, *emission.args, width=emission.width if human else None)
        write(text, emission.output, emission.inputs, emission.command)
    finish(emission.code if isinstance(emission.code, int) else emission.code())
