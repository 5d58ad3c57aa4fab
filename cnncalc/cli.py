"""The command line: parses options, calls the library, prints, and picks the exit code.

Exit codes: 0 success; 1 findings (a refuted claim, a lint error, a crossed threshold);
2 unusable input or usage (missing file, YAML error, invalid spec, impossible shape);
3 a bug in cnncalc itself (reported without a traceback; please file it).
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import Annotated, NoReturn

import typer

from cnncalc import __version__
from cnncalc.errors import SpecError

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_BUG = 0, 1, 2, 3

app = typer.Typer(
    name="cnncalc",
    help="Exact shapes, parameters and MACs of neural networks from a YAML spec; no framework needed.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Layout(str, Enum):
    hwc = "hwc"
    chw = "chw"


class DType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"


def _fail(error: SpecError) -> NoReturn:
    for diagnostic in error.diagnostics:
        print(diagnostic, file=sys.stderr)
    raise typer.Exit(EXIT_UNUSABLE)


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _resolve(spec: str) -> str:
    from cnncalc import zoo
    from cnncalc.errors import did_you_mean

    found = zoo.resolve(spec)
    if found is None:
        hint = did_you_mean(spec, zoo.names())
        print(f"{spec}:1:1: no such file, and no bundled spec of that name{hint}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE)
    return str(found)


def _version(value: bool) -> None:
    if value:
        print(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """cnncalc: a static, exact shape and parameter calculator for neural networks."""


def _format_choice(value: str) -> str:
    from cnncalc.report import FORMATS

    if value not in FORMATS:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(FORMATS)}")
    return value


@app.command()
def table(
    spec: Annotated[str, typer.Argument(help="A spec file, or the name of a bundled one (lenet, resnet50).")],
    output_format: Annotated[
        str, typer.Option("--format", "-f", callback=_format_choice, help="table, json, csv or markdown.")
    ] = "table",
    layout: Annotated[Layout, typer.Option(help="Show shapes as (H, W, C), the course's, or (C, H, W).")] = Layout.hwc,
    batch: Annotated[int | None, typer.Option(min=1, help="Batch size for MACs and activations.")] = None,
    dtype: Annotated[DType, typer.Option(help="Element type for weight and activation bytes.")] = DType.float32,
    depth: Annotated[
        int | None, typer.Option(min=0, help="Show blocks nested deeper than this as one roll-up row each.")
    ] = None,
) -> None:
    """Print a spec's per-layer shapes, parameters, MACs and totals; exit 1 if a claim is refuted."""
    from cnncalc.engine import propagate
    from cnncalc.figures import check_claims, totals
    from cnncalc.report import Report, renderer
    from cnncalc.spec import load_spec

    path = _resolve(spec)
    try:
        trace = propagate(load_spec(path), path, batch=batch, dtype=dtype.value)
        claims, unknown = check_claims(trace)
    except SpecError as error:
        _fail(error)
    if unknown:
        _fail(SpecError(unknown))
    color = _color() and output_format == "table"
    width = os.get_terminal_size().columns if color else None
    report = Report(trace, totals(trace), claims, layout=layout.value, color=color, width=width, depth=depth)
    sys.stdout.write(renderer(output_format)(report))
    if not all(c.confirmed for c in claims):
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def layers() -> None:
    """List the layer kinds and their fields (every layer also takes name, from and repeat)."""
    from cnncalc.layers import registry
    from cnncalc.layers._base import Layer

    common = set(Layer.model_fields)
    for kind, cls in sorted(registry().items()):
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"{kind:<18} {doc}")
        fields = []
        for name, info in cls.model_fields.items():
            if name in common:
                continue
            if info.is_required():
                fields.append(f"{name} (required)")
            else:
                default = info.default
                shown = str(default).lower() if isinstance(default, bool) else default
                fields.append(f"{name}={shown}")
        if fields:
            print(f"{'':<18} {', '.join(fields)}")


@app.command()
def zoo() -> None:
    """List the bundled specs (use a name with `table`, e.g. `cnncalc table resnet50`)."""
    import io

    from rich.console import Console
    from rich.table import Table

    from cnncalc import zoo as bundled
    from cnncalc.figures import hwc
    from cnncalc.report import count, short

    try:
        found = bundled.entries()
    except SpecError as error:
        _fail(error)
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False, padding=(0, 1))
    for heading in ("name", "description", "input (H, W, C)"):
        table.add_column(heading)
    table.add_column("params", justify="right")
    table.add_column("MACs", justify="right")
    for entry in found:
        dims = "×".join(str(v) for v in hwc(entry.input))
        macs = f"{count(entry.macs)} ({short(entry.macs)})"
        table.add_row(entry.name, entry.description, dims, count(entry.params), macs)
    out = io.StringIO()
    color = _color()
    Console(file=out, force_terminal=color, no_color=not color, width=240, highlight=False, emoji=False).print(table)
    # rich pads every cell; a pipe or a file wants no trailing blanks.
    sys.stdout.write("\n".join(line.rstrip() for line in out.getvalue().split("\n")))


def main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, never a traceback
        print(f"cnncalc: internal error: {type(exc).__name__}: {exc} (please report it)", file=sys.stderr)
        sys.exit(EXIT_BUG)
