"""`cnncalc import CONFIG`: write the spec of a Hugging Face config's model.

Registered by cnncalc/cli.py; kept apart from it so that it can move with the other
commands. Exit codes are the CLI's: 0 written, 2 unusable input (nothing written).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cnncalc.errors import SpecError

EXIT_UNUSABLE = 2


def _fail(error: SpecError) -> typer.Exit:
    for diagnostic in error.diagnostics:
        print(diagnostic, file=sys.stderr)
    return typer.Exit(EXIT_UNUSABLE)


def _tokens(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise typer.BadParameter(f"expected a positive whole number, got {value!r}")
    return number


def _read(source: str) -> tuple[str, str]:
    """(path, text) of the config: `source` itself, or the config.json in a model folder."""
    path = os.path.join(source, "config.json") if os.path.isdir(source) else source
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise SpecError.about(path, "no such file") from None
    except OSError as error:
        raise SpecError.about(path, f"cannot read: {error.strerror}") from None
    try:
        return path, data.decode("utf-8-sig")  # JSON is UTF-8; a byte-order mark is allowed
    except UnicodeDecodeError as error:
        raise SpecError.about(path, f"not UTF-8 text (byte {error.start})") from None


def import_command(
    source: Annotated[
        str,
        typer.Argument(metavar="CONFIG", help="A Hugging Face config.json, or a model folder that holds one."),
    ],
    tokens: Annotated[
        int,
        typer.Option(parser=_tokens, metavar="N", help="The input's length in token ids."),
    ] = 128,
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write the spec here, not stdout.")
    ] = None,
) -> None:
    """Write the spec of a Hugging Face model from its config.json.

    Families: llama, mistral, gemma, phi3, gpt2, bert, as transformers builds them; the
    config is read as JSON data, no network and no weights.
    """
    from cnncalc.engine import propagate
    from cnncalc.importers.hf_config import spec_from_config
    from cnncalc.spec import loads_spec

    try:
        path, text = _read(source)
        spec = spec_from_config(text, path, tokens)
    except SpecError as error:
        raise _fail(error) from None
    written = output or "<import>"
    try:
        propagate(loads_spec(spec, written), written)  # what is written must load, with its shapes
    except SpecError as error:  # a config whose sizes the format refuses (checked after writing)
        print(f"{path}: the spec written from this config does not load:", file=sys.stderr)
        raise _fail(error) from None
    if output is None:
        sys.stdout.write(spec)
        return
    from cnncalc.files import InputClash, write_report

    try:
        write_report(output, spec, [path])
    except InputClash as clash:
        print(clash, file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None
    except OSError as exc:
        print(f"cnncalc import: cannot write {output}: {exc.strerror}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None
