"""`cnncalc check`: lint specs (validation, shapes and the rules) in any findings format."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc import emit
from cnncalc.emit import Emission
from cnncalc.options import (
    Options,
    SpecsOnlyOption,
    count_option,
    format_option,
    output_option,
    wide_option,
)

if TYPE_CHECKING:
    from cnncalc.check import Config
    from cnncalc.findings import CheckResult

WIDE = (
    "One line per finding. At a terminal, or with COLUMNS set, text findings wrap at that "
    "width, continuation lines indented under their file:line:col:. Piped, one line each."
)
COUNT = (
    "Measure limits: as another tool counts (fvcore, ptflops, thop...; see cnncalc counters), "
    "where a spec's limits name no count: of their own."
)
ROOT = "SARIF, JUnit and GitHub paths relative to this folder (default: the repository's top level)."


# --input: the dimensions every spec is checked at instead of its own (limits only).
InputsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--input",
        metavar="NAME=VALUE",
        help="Check every spec at other input dimensions (l=4096; repeat the option for several "
        "dimensions): limits: are measured there, expect: claims are not checked.",
    ),
]


def check(
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH...", help="Spec files, or folders searched for *.yaml/*.yml specs.")
    ],
    output_format: Annotated[str, format_option("findings")] = "text",
    select: Annotated[
        str | None,
        typer.Option(metavar="CODES", help="Run only these rules: codes, code prefixes or names, comma-separated."),
    ] = None,
    ignore: Annotated[
        str | None, typer.Option(metavar="CODES", help="Skip these rules: codes, code prefixes or names.")
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            metavar="PYPROJECT", help="Read [tool.cnncalc] from this pyproject.toml instead of the nearest one."
        ),
    ] = None,
    no_config: Annotated[bool, typer.Option("--no-config", help="Ignore every pyproject.toml.")] = False,
    specs_only: SpecsOnlyOption = False,
    output: Annotated[str | None, output_option("Write the report here, not stdout.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when errors are found.")] = False,
    root: Annotated[str | None, typer.Option(metavar="DIR", help=ROOT)] = None,
    wide: Annotated[bool, wide_option(WIDE)] = False,
    count: Annotated[str | None, count_option(COUNT)] = None,
    inputs: InputsOption = None,
) -> Emission:
    """Lint specs: validation, shapes and the rules.

    The rules are listed by `cnncalc rules`. Exit 1 on any error finding.
    """
    from pathlib import Path

    from cnncalc.check import PathError, UsageError, discover

    options = Options(format=output_format, output=output, wide=wide, count=count)
    try:
        settings = configured(paths, config, no_config)
        settings.select = _codes(select) or settings.select
        settings.ignore = [*settings.ignore, *(_codes(ignore) or [])]
        settings.specs_only = settings.specs_only or specs_only
        settings.count, settings.inputs = options.count or settings.count, _inputs(inputs or [])
        settings.validate()
        files = discover(paths, settings)
        if root is not None and not Path(root).is_dir():
            raise PathError(root, "--root: no such folder")
    except UsageError as error:
        emit.unusable(error if isinstance(error, PathError) else f"cnncalc check: {error}")
    for warning in settings.warnings:
        emit.note(f"cnncalc check: warning: {warning}")
    result = checked(files, settings)
    result.root = root
    code = emit.EXIT_FINDINGS if result.count("error") and not exit_zero else emit.EXIT_OK
    code = emit.EXIT_BUG if any(f.code == "CNC000" for f in result.findings) else code
    inputs = [*paths, *files, *([settings.source] if settings.source else [])]
    width = emit.width(options.wide)
    return Emission("findings", options.format, (result,), code, width, options.output, inputs, "cnncalc check")


def checked(files: list[str], settings: Config) -> CheckResult:
    """`files` linted, with a progress bar on a terminal for a long run."""
    from cnncalc.check import check_paths, progress_bar

    advance, stop = progress_bar(len(files))
    try:
        return check_paths(files, settings, advance)
    finally:
        stop()


def configured(paths: list[str], config: str | None, no_config: bool) -> Config:
    """The [tool.cnncalc] settings: none, `config`'s, or the nearest pyproject.toml's to `paths`."""
    from pathlib import Path

    from cnncalc.check import UsageError, find_pyproject, load_config

    if no_config:
        return load_config(None)
    if config is not None:
        if not Path(config).is_file():
            raise UsageError(f"{config}: no such file")
        return load_config(Path(config))
    existing = [Path(p).resolve() for p in paths if Path(p).exists()]
    base = Path(os.path.commonpath(existing)) if existing else Path.cwd()
    return load_config(find_pyproject(base if base.is_dir() else base.parent))


def _inputs(texts: list[str]) -> dict[str, int]:
    """`--input l=4096` as {"l": 4096}: one value per dimension (check reports at one input)."""
    from cnncalc.check import UsageError
    from cnncalc.inputs import InputError, parse

    try:
        overrides = parse(texts)
    except InputError as exc:
        raise UsageError(str(exc).removeprefix("cnncalc check: ")) from None
    for override in overrides:
        if len(override.values) > 1:
            raise UsageError(f"--input {override.name}: check runs at one input; give one value per dimension")
    return {o.name: o.values[0] for o in overrides}


def _codes(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value is not None else None
