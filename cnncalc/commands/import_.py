"""`cnncalc import CONFIG`: the spec of a Hugging Face model, written from its config.json.

The config is JSON data (never code); the spec is checked to load and propagate before it is
written, so a config whose sizes the format refuses writes nothing (exit 2).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cnncalc import emit
from cnncalc.emit import Emission
from cnncalc.errors import SpecError
from cnncalc.options import output_option, whole


def read_config(source: str) -> tuple[str, str]:
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


def recorded_path(source: str, output: str | None) -> str:
    """`source` as the spec will find it: relative to the folder the spec is written to (the
    working folder for stdout), in forward slashes."""
    folder = os.path.dirname(os.path.abspath(output)) if output else os.getcwd()
    try:
        relative = os.path.relpath(os.path.abspath(source), folder)
    except ValueError:  # another drive (Windows): no relative path exists
        relative = os.path.abspath(source)
    return relative.replace(os.sep, "/")


def import_(
    source: Annotated[
        str,
        typer.Argument(metavar="CONFIG", help="A Hugging Face config.json, or a model folder that holds one."),
    ],
    tokens: Annotated[int, typer.Option(parser=whole(1), metavar="N", help="The input's length in token ids.")] = 128,
    output: Annotated[str | None, output_option("Write the spec here, not stdout.")] = None,
) -> Emission:
    """Write the spec of a Hugging Face model from its config.json.

    Families: llama, mistral, mixtral, gemma, phi3, qwen2, gpt2, bert, as transformers builds them; the
    config is read as JSON data, no network and no weights.
    """
    from cnncalc.engine import propagate
    from cnncalc.importers.hf_config import spec_from_config
    from cnncalc.spec import loads_spec

    with emit.spec_errors():
        path, text = read_config(source)
        spec = spec_from_config(text, path, tokens, recorded=recorded_path(path, output))
    written = output or "<import>"
    try:
        propagate(loads_spec(spec, written), written)  # what is written must load, with its shapes
    except SpecError as error:  # a config whose sizes the format refuses
        emit.unusable(f"{path}: the spec written from this config does not load:", *error.diagnostics)
    return Emission(None, "yaml", (spec,), output=output, inputs=(path,), command="cnncalc import")
