"""The command line: parses options, calls the library, prints, and picks the exit code.

Exit codes: 0 success; 1 findings (a refuted claim, a lint error, a crossed threshold);
2 unusable input or usage (missing file, YAML error, invalid spec, impossible shape);
3 a bug in cnncalc itself (reported without a traceback; please file it).
"""

from __future__ import annotations

import gc
import os
import sys
from enum import Enum
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from cnncalc import __version__
from cnncalc.errors import SpecError

if TYPE_CHECKING:
    from cnncalc.engine import Trace
    from cnncalc.verify import Verification

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


class Device(str, Enum):
    auto = "auto"
    cuda = "cuda"
    cpu = "cpu"
    meta = "meta"


DeviceOption = Annotated[
    Device,
    typer.Option(help="Where PyTorch runs the check: auto (cuda if there, else cpu), cuda, cpu or meta (no memory)."),
]


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
        from pathlib import Path

        stem = Path(spec).stem
        if stem in zoo.names():  # a path to a bundled spec, from another folder
            message = f"no such file; did you mean the bundled spec '{stem}' (cnncalc table {stem})?"
        else:
            message = f"no such file, and no bundled spec of that name{did_you_mean(spec, zoo.names())}"
        print(f"{spec}:1:1: {message}", file=sys.stderr)
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
    verify: Annotated[
        bool, typer.Option("--verify", help="Build the spec in PyTorch and check every number (needs torch).")
    ] = False,
    device: DeviceOption = Device.auto,
) -> None:
    """Print a spec's per-layer shapes, parameters, MACs and totals; exit 1 if a claim is refuted."""
    from cnncalc.engine import propagate
    from cnncalc.figures import check_claims, totals
    from cnncalc.report import Report, writer
    from cnncalc.spec import load_spec

    path = _resolve(spec)
    try:
        trace = propagate(load_spec(path), path, batch=batch, dtype=dtype.value)
        claims, unknown = check_claims(trace)
    except SpecError as error:
        _fail(error)
    if unknown:
        _fail(SpecError(unknown))
    checked = _verified(trace, device.value) if verify else None
    color = _color() and output_format == "table"
    report = Report(trace, totals(trace), claims, layout=layout.value, color=color, depth=depth, verification=checked)
    writer(output_format)(report, sys.stdout)
    if not all(c.confirmed for c in claims) or (checked is not None and not checked.agrees):
        raise typer.Exit(EXIT_FINDINGS)


def _verified(trace: Trace, device: str) -> Verification:
    """The trace checked in PyTorch; exit 2 where that cannot run (no torch, no CUDA)."""
    from cnncalc.verify import VerifyUnavailable, verify

    try:
        return verify(trace, device)
    except VerifyUnavailable as exc:
        print(f"cnncalc: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None


class VerifyFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("verify")
def verify_command(
    specs: Annotated[list[str], typer.Argument(help="Spec files, or names of bundled ones; each is checked.")],
    device: DeviceOption = Device.auto,
    against: Annotated[
        str | None,
        typer.Option(
            metavar="MODULE:FACTORY",
            help="Compare with your own model instead (package.module:factory, called with no arguments): "
            "parameter and buffer counts, total MACs and the output shapes of its weighted leaf modules.",
        ),
    ] = None,
    batch: Annotated[int | None, typer.Option(min=1, help="Batch size to run at (at least 2 is used).")] = None,
    layout: Annotated[Layout, typer.Option(help="Show shapes as (H, W, C) or (C, H, W).")] = Layout.hwc,
    output_format: Annotated[VerifyFormat, typer.Option("--format", "-f", help="text or json.")] = VerifyFormat.text,
    specs_only: Annotated[
        bool,
        typer.Option("--specs-only", help="Skip named files that do not look like specs (for pre-commit)."),
    ] = False,
) -> None:
    """Build each spec in PyTorch and check every shape, parameter, buffer and MAC count.

    Exit 1 if PyTorch disagrees anywhere, 2 if a spec is unusable or PyTorch cannot run.
    """
    import json
    from pathlib import Path

    from cnncalc import zoo
    from cnncalc.check import looks_like_spec
    from cnncalc.engine import propagate
    from cnncalc.errors import did_you_mean
    from cnncalc.report import verification as shown
    from cnncalc.spec import load_spec
    from cnncalc.verify import FactoryError, VerifyUnavailable, compare_with_model, import_torch, resolve_device, verify

    if specs_only:
        # As `check --specs-only`: an existing file without a top-level `layers:` is skipped;
        # bundled names and missing files are still resolved (and reported) below.
        specs = [s for s in specs if not Path(s).is_file() or looks_like_spec(Path(s))]
        if not specs:
            if output_format is VerifyFormat.json:
                sys.stdout.write("[]\n")
            raise typer.Exit(EXIT_OK)
    try:
        import_torch()
        resolve_device(device.value)
    except VerifyUnavailable as exc:
        print(f"cnncalc: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None
    code = EXIT_OK
    documents = []
    for spec in specs:
        found = zoo.resolve(spec)
        if found is None:
            hint = did_you_mean(spec, zoo.names())
            print(f"{spec}:1:1: no such file, and no bundled spec of that name{hint}", file=sys.stderr)
            code = EXIT_UNUSABLE
            continue
        path = str(found)
        try:
            trace = propagate(load_spec(path), path, batch=batch)
        except SpecError as error:
            for diagnostic in error.diagnostics:
                print(diagnostic, file=sys.stderr)
            code = EXIT_UNUSABLE
            continue
        try:
            if against is None:
                result = verify(trace, device.value)
                text = shown.render(trace.spec.name, path, result, layout.value)
                document = {"name": trace.spec.name, "path": path, **shown.document(result)}
            else:
                compared = compare_with_model(trace, against, device.value)
                text = shown.render_comparison(trace.spec.name, path, compared, layout.value)
                document = {"name": trace.spec.name, "path": path, **shown.comparison_document(compared)}
        except (VerifyUnavailable, FactoryError) as exc:
            print(f"cnncalc: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_UNUSABLE) from None
        if not document["agrees"] and code == EXIT_OK:
            code = EXIT_FINDINGS
        documents.append(document)
        if output_format is VerifyFormat.text:
            sys.stdout.write(text)
    if output_format is VerifyFormat.json:
        sys.stdout.write(json.dumps(documents, indent=2) + "\n")
    raise typer.Exit(code)


@app.command()
def layers() -> None:
    """List the layer kinds and their fields (every layer also takes name, from and repeat)."""
    from cnncalc.layers import registry
    from cnncalc.layers._base import Layer

    common = set(Layer.model_fields)
    for kind, cls in sorted(registry().items()):
        # The whole first paragraph, on one line: a first sentence may run over several.
        doc = " ".join(line.strip() for line in (cls.__doc__ or "").strip().split("\n\n")[0].splitlines())
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
    """List the bundled specs, usable by name: `cnncalc table resnet50`."""
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


def _finding_format(value: str) -> str:
    from cnncalc.findings import FORMATS

    if value not in FORMATS:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(FORMATS)}")
    return value


def _codes(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value is not None else None


@app.command()
def check(
    paths: Annotated[list[str], typer.Argument(help="Spec files, or folders searched for *.yaml/*.yml specs.")],
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", callback=_finding_format, help="text, json, sarif, junit or github."),
    ] = "text",
    select: Annotated[
        str | None, typer.Option(help="Run only these rules: codes, code prefixes or names, comma-separated.")
    ] = None,
    ignore: Annotated[str | None, typer.Option(help="Skip these rules: codes, code prefixes or names.")] = None,
    config: Annotated[
        str | None, typer.Option(help="Read [tool.cnncalc] from this pyproject.toml instead of the nearest one.")
    ] = None,
    no_config: Annotated[bool, typer.Option("--no-config", help="Ignore every pyproject.toml.")] = False,
    specs_only: Annotated[
        bool,
        typer.Option("--specs-only", help="Skip named files that do not look like specs (for pre-commit)."),
    ] = False,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report here, not stdout.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when errors are found.")] = False,
) -> None:
    """Lint specs: validation, shapes and the rules (cnncalc rules); exit 1 on any error finding."""
    from pathlib import Path

    from cnncalc.check import UsageError, check_paths, discover, find_pyproject, load_config, progress_bar
    from cnncalc.findings import formatter

    try:
        if no_config:
            settings = load_config(None)
        elif config is not None:
            if not Path(config).is_file():
                raise UsageError(f"{config}: no such file")
            settings = load_config(Path(config))
        else:
            existing = [Path(p).resolve() for p in paths if Path(p).exists()]
            base = Path(os.path.commonpath(existing)) if existing else Path.cwd()
            settings = load_config(find_pyproject(base if base.is_dir() else base.parent))
        settings.select = _codes(select) or settings.select
        settings.ignore = [*settings.ignore, *(_codes(ignore) or [])]
        settings.specs_only = settings.specs_only or specs_only
        settings.validate()
        files = discover(paths, settings)
    except UsageError as error:
        print(f"cnncalc check: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None
    for warning in settings.warnings:
        print(f"cnncalc check: warning: {warning}", file=sys.stderr)
    advance, stop = progress_bar(len(files))
    try:
        result = check_paths(files, settings, advance)
    finally:
        stop()
    text = formatter(output_format)(result)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"cnncalc check: cannot write {output}: {exc.strerror}", file=sys.stderr)
            raise typer.Exit(EXIT_UNUSABLE) from None
    if any(f.code == "CNC000" for f in result.findings):
        raise typer.Exit(EXIT_BUG)
    if result.count("error") and not exit_zero:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def rules(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print docs/rules.md, every rule with examples.")
    ] = False,
) -> None:
    """List the lint rules of `cnncalc check`: code, name, default level, what each finds."""
    from cnncalc.rules import rules as registry

    if markdown:
        from cnncalc.rules._docs import markdown as render

        sys.stdout.write(render())
        return
    for code, module in registry().items():
        print(f"{code}  {module.rule.name:<26} {module.rule.level:<8} {module.summary}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec format (docs/spec.schema.json), for editor completion."""
    from cnncalc.schema import render

    sys.stdout.write(render())


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The spec before (a file, or a bundled name).")],
    new: Annotated[str, typer.Argument(help="The spec after.")],
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json or markdown.")] = "table",
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            help="METRIC:+AMOUNT, repeatable: exit 1 when a total grows by more, e.g. params:+5%, "
            "macs:+1G, memory:+64MiB. Metrics: params, macs, flops, memory, weights.",
        ),
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="List unchanged layers too.")] = False,
    batch: Annotated[int | None, typer.Option(min=1, help="Batch size for MACs and activations.")] = None,
    dtype: Annotated[DType, typer.Option(help="Element type for weight and activation bytes.")] = DType.float32,
) -> None:
    """Per-layer and total changes in params, MACs and memory between two specs; exit 1 past a --fail-on."""
    from cnncalc.diff import ThresholdError, compare, parse_threshold
    from cnncalc.engine import propagate
    from cnncalc.report.diff import DIFF_FORMATS
    from cnncalc.spec import load_spec

    if output_format not in DIFF_FORMATS:
        raise typer.BadParameter(f"'{output_format}' is not one of {', '.join(DIFF_FORMATS)}", param_hint="--format")
    try:
        thresholds = [parse_threshold(t) for t in fail_on or []]
    except ThresholdError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fail-on") from None
    traces = []
    for spec in (old, new):
        path = _resolve(spec)
        try:
            traces.append(propagate(load_spec(path), path, batch=batch, dtype=dtype.value))
        except SpecError as error:
            _fail(error)
    result = compare(traces[0], traces[1], thresholds)
    color = _color() and output_format == "table"
    sys.stdout.write(DIFF_FORMATS[output_format](result, color=color, everything=everything))
    if result.failed:
        raise typer.Exit(EXIT_FINDINGS)


def main() -> None:
    # A short-lived process that builds large acyclic structures: the cyclic garbage
    # collector only costs time here (20-25% on a 100,000-layer spec).
    gc.disable()
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
