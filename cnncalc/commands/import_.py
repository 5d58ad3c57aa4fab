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
from cnncalc.importers import is_code_source
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


def code_path(source: str, output: str | None) -> str:
    """PyTorch code's SOURCE as the spec will find it: a file relative to the spec's folder,
    a module as given."""
    file, _, attr = source.rpartition(":")
    return f"{recorded_path(file, output)}:{attr}" if file.endswith(".py") else source


def is_code(source: str) -> bool:
    """`package.module:callable` or `path/to/file.py:callable`, not a config file or folder
    (one that exists, whatever its name)."""
    return is_code_source(source) and not os.path.exists(source)


CODE_HELP = (
    "Or PyTorch code: package.module:callable or path/to/file.py:callable, a function or class "
    "that builds the model. Importing it runs that code, as `python` would."
)


NamedInputsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--input",
        metavar="NAME.DIM=SIZE",
        help="PyTorch code: one dimension of one of several named inputs, in forward's order "
        "(nn.Transformer: --input src.l=10 --input src.d=512 --input tgt.l=20 --input tgt.d=512).",
    ),
]


def import_(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE", help="A Hugging Face config.json, or a model folder that holds one. " + CODE_HELP
        ),
    ],
    tokens: Annotated[
        int | None,
        typer.Option(parser=whole(1), metavar="N", help="The input's length in token ids (a config: 128 by default)."),
    ] = None,
    shape: Annotated[
        str | None,
        typer.Option(metavar="CxHxW", help="PyTorch code: one sample's sizes in PyTorch's order (3x224x224)."),
    ] = None,
    arg: Annotated[
        list[str] | None,
        typer.Option(
            "--arg", metavar="NAME=VALUE", help="PyTorch code: a keyword argument of the callable, a literal."
        ),
    ] = None,
    input_: NamedInputsOption = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="PyTorch code: write what maps to kinds, each gap a comment, no expect:.")
    ] = False,
    output: Annotated[str | None, output_option("Write the spec here, not stdout.")] = None,
) -> Emission:
    """Write a spec from PyTorch code or a Hugging Face config.json.

    Families: llama, mistral, mixtral, gemma, phi3, qwen2, gpt2, bert, as transformers builds them; the
    config is read as JSON data, no network and no weights. PyTorch code is captured with
    torch.fx and checked: the spec's params, buffers and MACs are PyTorch's, or exit 2. An op
    with no layer kind is listed with its module path (exit 2, or --partial).
    """
    if is_code(source):
        return from_code(source, shape, tokens, arg or [], partial, output, input_ or [])
    if shape is not None or arg or partial or input_:
        emit.usage(
            "--shape, --arg and --partial are for PyTorch code (package.module:callable), not a config; so is --input"
        )
    from cnncalc.engine import propagate
    from cnncalc.importers.hf_config import spec_from_config
    from cnncalc.spec import loads_spec

    with emit.spec_errors():
        path, text = read_config(source)
        spec = spec_from_config(text, path, 128 if tokens is None else tokens, recorded=recorded_path(path, output))
    written = output or "<import>"
    try:
        propagate(loads_spec(spec, written), written)  # what is written must load, with its shapes
    except SpecError as error:  # a config whose sizes the format refuses
        emit.unusable(f"{path}: the spec written from this config does not load:", *error.diagnostics)
    return Emission(None, "yaml", (spec,), output=output, inputs=(path,), command="cnncalc import")


def from_code(
    source: str,
    shape: str | None,
    tokens: int | None,
    args: list[str],
    partial: bool,
    output: str | None,
    input_texts: list[str] | None = None,
) -> Emission:
    """`cnncalc import SOURCE` for PyTorch code: the spec, or exit 2 with the gaps or the reason."""
    from cnncalc.importers.torch_code import (
        ImportFailed,
        ImportGaps,
        import_model,
        parse_arguments,
        parse_inputs,
        parse_shape,
    )
    from cnncalc.verify import VerifyUnavailable, import_torch

    try:
        import_torch()
        sizes = parse_shape(shape) if shape is not None else None
        named = parse_inputs(input_texts or [])
        if (sizes is not None) + (tokens is not None) + bool(named) != 1:
            emit.usage(
                "PyTorch code needs the input: --shape CxHxW (one sample, PyTorch's order), --tokens N, "
                "or --input NAME.DIM=SIZE for each dimension of each named input"
            )
        recorded = code_path(source, output)
        arguments = parse_arguments(args)
        imported = import_model(source, sizes, tokens, arguments, partial, recorded=recorded, inputs=named or None)
    except VerifyUnavailable as exc:
        emit.unusable(f"cnncalc: {exc}")
    except ImportGaps as gaps:
        emit.unusable(
            f"cnncalc import: {source}: {len(gaps.gaps)} op(s) have no layer kind (--partial writes the rest):",
            *(f"  {gap}" for gap in gaps.gaps),
        )
    except ImportFailed as exc:
        emit.unusable(f"cnncalc import: {exc}")
    for gap in imported.gaps:
        emit.note(f"cnncalc import: gap: {gap}")
    file = source.partition(":")[0]
    inputs = (file,) if file.endswith(".py") else ()  # -o never overwrites the code
    return Emission(None, "yaml", (imported.text,), output=output, inputs=inputs, command="cnncalc import")
