"""The command line: parses options, calls the library, prints, and picks the exit code.

Exit codes: 0 success; 1 findings (a refuted claim, a lint error, a crossed threshold);
2 unusable input or usage (missing file, YAML error, invalid spec, impossible shape);
3 a bug in cnncalc itself (reported without a traceback; please file it).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from cnncalc import __version__
from cnncalc.errors import SpecError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from cnncalc.engine import Trace
    from cnncalc.inputs import Variant
    from cnncalc.output import What
    from cnncalc.spec.model import Spec
    from cnncalc.verify import Comparison, Verification

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_BUG = 0, 1, 2, 3

# The commands in `cnncalc --help`, most used first (typer lists them as defined).
COMMAND_ORDER = ("table", "check", "diff", "draw", "verify", "counters", "zoo", "layers", "rules", "schema")


class _Commands(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: COMMAND_ORDER.index(n) if n in COMMAND_ORDER else len(COMMAND_ORDER))


class _Command(TyperCommand):
    """A command whose help names each argument by its metavar alone: `table [OPTIONS] SPEC`
    and `SPEC  A spec file...`, where typer writes `{spec}` and `SPEC <str>`."""

    def get_short_help_str(self, limit: int = 45) -> str:
        """The docstring's first paragraph, whole, for `cnncalc --help`: click would cut it at
        `limit` mid-sentence; each command's is one short sentence, wrapped if need be."""
        return " ".join((self.help or "").split("\n\n")[0].split())

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            named = isinstance(param, TyperArgument) and param.metavar
            pieces += [str(param.metavar)] if named else param.get_usage_pieces(ctx)
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((str(param.metavar), record[1]) if param.metavar else record)
            else:
                options.append(record)
        for heading, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(heading):
                    formatter.write_dl(records)


app = typer.Typer(
    name="cnncalc",
    help="Exact shapes, parameters and MACs of neural networks from a YAML spec; no framework needed.",
    cls=_Commands,
    # inherited by every command; up to 100 columns, so that `counters` leaves room for whole summaries
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Option values are parsed here rather than by typer, whose messages come from pydantic
# ("Value error, 'fp16' is not one of 'float32', ..."; "Input should be greater than ...").
E = TypeVar("E", bound=Enum)


def _choice(kind: type[E], aliases: dict[str, str] | None = None) -> Callable[[Any], E]:
    """A parser for one of `kind`'s values, or of the other `aliases` of one (`fp16`);
    anything else is a usage error listing them."""
    names = [str(member.value) for member in kind]

    def parse(value: Any) -> E:
        if isinstance(value, kind):
            return value
        if value in names:
            return kind(value)
        if aliases and str(value).lower() in aliases:
            return kind(aliases[str(value).lower()])
        from cnncalc.errors import did_you_mean

        raise typer.BadParameter(f"'{value}' is not one of {', '.join(names)}{did_you_mean(str(value), names)}")

    return parse


def _choices(kind: type[Enum]) -> str:
    """`[hwc|chw]`: how help shows an option that takes one of `kind`'s values."""
    return "[" + "|".join(str(member.value) for member in kind) + "]"


def _whole(minimum: int) -> Callable[[Any], int]:
    """A parser for a whole number of at least `minimum`."""

    def parse(value: Any) -> int:
        try:
            number = int(value)
        except ValueError:
            raise typer.BadParameter(f"'{value}' is not a whole number") from None
        if number < minimum:
            raise typer.BadParameter(f"{number} is less than {minimum}")
        return number

    return parse


class Layout(str, Enum):
    hwc = "hwc"
    chw = "chw"


class DType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"


# The short names people write for a dtype (PyTorch's, papers'); each reads as the long one.
DTYPE_ALIASES = {"fp32": "float32", "f32": "float32", "float": "float32", "single": "float32"}
DTYPE_ALIASES |= {"fp16": "float16", "f16": "float16", "half": "float16", "bf16": "bfloat16", "i8": "int8"}
_dtype = _choice(DType, DTYPE_ALIASES)


class Optimizer(str, Enum):
    sgd = "sgd"
    momentum = "momentum"
    adam = "adam"
    adamw = "adamw"


class Device(str, Enum):
    auto = "auto"
    cuda = "cuda"
    cpu = "cpu"
    meta = "meta"


DeviceOption = Annotated[
    Device,
    typer.Option(
        parser=_choice(Device),
        metavar=_choices(Device),
        help="Where PyTorch runs the check: auto (cuda if there, else cpu), cuda, cpu or meta (no memory).",
    ),
]
LayoutOption = Annotated[
    Layout,
    typer.Option(parser=_choice(Layout), metavar=_choices(Layout), help="Show shapes as (H, W, C) or (C, H, W)."),
]
DTypeOption = Annotated[
    DType,
    typer.Option(parser=_dtype, metavar=_choices(DType), help="Element type for weight and activation bytes."),
]
SpecArgument = Annotated[
    str, typer.Argument(metavar="SPEC", help="A spec file, or the name of a bundled one (lenet, resnet50).")
]
BatchOption = Annotated[
    int | None, typer.Option(parser=_whole(1), metavar="N", help="Batch size for MACs and activations.")
]


def _fail(error: SpecError) -> NoReturn:
    for diagnostic in error.diagnostics:
        print(diagnostic, file=sys.stderr)
    raise typer.Exit(EXIT_UNUSABLE)


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _width(wide: bool) -> int | None:
    """The columns human output must fit in: COLUMNS when set, else the terminal's; None (every
    column, nothing wrapped) with --wide, or piped, where logs and CI want the whole table."""
    import shutil

    if wide or ("COLUMNS" not in os.environ and not sys.stdout.isatty()):
        return None
    columns = shutil.get_terminal_size((0, 0)).columns  # honours COLUMNS; 0 where the size is unknown
    return columns if columns > 0 else None


WIDE_HELP = (
    "Show every column. At a terminal, or with COLUMNS set, the output fits that width: "
    "columns go, in this order and only as far as needed: {order}; "
    "{kept} always stay, and a line says what was left out. Piped, every column shows."
)


def _resolve(spec: str) -> str:
    from cnncalc import zoo

    try:
        return zoo.locate(spec)
    except SpecError as error:
        _fail(error)


def _format_choice(what: What) -> Callable[[str | None], str | None]:
    """A --format callback that accepts the formats cnncalc.output has for `what` (None, an
    option left out that has no default, passes)."""

    def choice(value: str | None) -> str | None:
        from cnncalc.output import UnknownFormat, check_format

        if value is None:
            return None
        try:
            return check_format(what, value)
        except UnknownFormat as exc:
            raise typer.BadParameter(str(exc)) from None

    return choice


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


def _preset_choice(value: str | None) -> str | None:
    if value is None:
        return None
    from cnncalc.conventions.registry import names

    if value not in names():
        from cnncalc.errors import did_you_mean

        raise typer.BadParameter(f"'{value}' is not one of {', '.join(names())}{did_you_mean(value, names())}")
    return value


@app.command(cls=_Command)
def table(
    spec: SpecArgument,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            callback=_format_choice("trace"),
            metavar="[table|json|csv|markdown]",
            help="table, json, csv or markdown.",
        ),
    ] = "table",
    layout: Annotated[
        Layout,
        typer.Option(
            parser=_choice(Layout),
            metavar=_choices(Layout),
            help="Show shapes as (H, W, C), the course's, or (C, H, W).",
        ),
    ] = Layout.hwc,
    batch: BatchOption = None,
    dtype: DTypeOption = DType.float32,
    depth: Annotated[
        int | None,
        typer.Option(
            parser=_whole(0), metavar="N", help="Show blocks nested deeper than this as one roll-up row each."
        ),
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Build the spec in PyTorch and check every number (needs torch).")
    ] = False,
    device: DeviceOption = Device.auto,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help=WIDE_HELP.format(
                order="'params·MACs share', 'RF', 'size', 'hyperparameters' cut to 15, 'hyperparameters', "
                "'type', '#', 'layer' cut to 16, 'MACs', 'layer' cut to 8",
                kept="layer, output and params",
            ),
        ),
    ] = False,
    count: Annotated[
        str | None,
        typer.Option(
            "--count",
            callback=_preset_choice,
            metavar="PRESET",
            help="Count as another tool does: flopcounter, fvcore, ptflops, ptflops-nofunc, ptflops-aten, "
            "thop, torchinfo, calflops or keras (cnncalc counters compares them all).",
        ),
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            metavar="NAME=VALUE[,VALUE...]",
            help="Run at other input dimensions: l=512, or h=224,384 for one totals row per value "
            "(repeat the option for several dimensions). The spec's expect: claims are then not checked.",
        ),
    ] = None,
    train: Annotated[
        Optimizer | None,
        typer.Option(
            parser=_choice(Optimizer),
            metavar=_choices(Optimizer),
            help="Also the peak memory of one training step with this optimizer, in parts.",
        ),
    ] = None,
    master_weights: Annotated[
        DType | None,
        typer.Option(
            parser=_dtype,
            metavar=_choices(DType),
            help="With --train: mixed precision, a copy of the weights (and the optimizer state) in this dtype.",
        ),
    ] = None,
) -> None:
    """Print each layer's shape, parameters and MACs, and the totals.

    Exit 1 if a claim of the spec's `expect:` is refuted.
    """
    from cnncalc.engine import propagate
    from cnncalc.figures import check_claims, totals
    from cnncalc.output import writer
    from cnncalc.report import Report
    from cnncalc.spec import load_spec

    if master_weights is not None and train is None:
        raise typer.BadParameter("--master-weights needs --train", param_hint="'--master-weights'")
    path = _resolve(spec)
    try:
        loaded = load_spec(path)
    except SpecError as error:
        _fail(error)
    if inputs:
        # The claims are about the spec's own input: at another one they are not checked.
        variants = _input_variants(loaded, path, inputs)
        if len(variants) > 1:
            for given, option in ((verify, "--verify checks"), (depth is not None, "--depth shows the layers of")):
                if given:
                    _usage(f"{option} one input; give --input one value per dimension")
            _sweep(
                variants,
                path,
                output_format,
                batch=batch,
                dtype=dtype.value,
                count=count,
                layout=layout.value,
                train=None if train is None else train.value,
                master=None if master_weights is None else master_weights.value,
                width=_width(wide) if output_format == "table" else None,
            )
            return
        loaded = variants[0].spec
        if loaded.expect:
            print(f"note: at --input {variants[0].label} the spec's expect: claims are not checked", file=sys.stderr)
    try:
        trace = propagate(loaded, path, batch=batch, dtype=dtype.value)
        claims, unknown = check_claims(trace) if not inputs else ([], [])
    except SpecError as error:
        _fail(_at_input(error, variants[0].label) if inputs else error)
    if unknown:
        _fail(SpecError(unknown))
    checked = _verified(trace, device.value) if verify else None
    color = _color() and output_format == "table"
    convention: dict[str, Any] = {}
    if count is not None:
        uncounted = trace
        trace, line = _recounted(trace, count)
        convention = {**line, "count": count, "uncounted": uncounted}
    width = _width(wide) if output_format == "table" else None
    report = Report(
        trace,
        totals(trace),
        claims,
        layout=layout.value,
        color=color,
        depth=depth,
        verification=checked,
        width=width,
        train=None if train is None else train.value,
        master=None if master_weights is None else master_weights.value,
        **convention,
    )
    writer(output_format)(report, sys.stdout)
    if not all(c.confirmed for c in claims) or (checked is not None and not checked.agrees):
        raise typer.Exit(EXIT_FINDINGS)


def _at_input(error: SpecError, label: str) -> SpecError:
    """`error` saying which `--input` value the network failed at."""
    from dataclasses import replace

    return SpecError([replace(d, message=f"{d.message} (at --input {label})") for d in error.diagnostics])


def _usage(message: str) -> NoReturn:
    print(f"Error: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_UNUSABLE)


def _input_variants(spec: Spec, path: str, texts: list[str]) -> list[Variant]:
    """The spec at every combination of `--input` values; exit 2 with the reason otherwise."""
    from cnncalc.inputs import InputError, parse, variants

    try:
        overrides = parse(texts)
    except InputError as exc:
        _usage(str(exc))
    try:
        return variants(spec, path, overrides)
    except InputError as exc:  # positioned at the spec's input
        print(exc, file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None


def _sweep(
    variants: list[Variant],
    path: str,
    output_format: str,
    *,
    batch: int | None,
    dtype: str,
    count: str | None,
    layout: str,
    train: str | None,
    master: str | None,
    width: int | None,
) -> None:
    """One totals row per input (`--input l=128,1024`); a value the network refuses is a row
    saying why (and its diagnostic on stderr). Exit 2 when it refuses every value."""
    from cnncalc.engine import propagate
    from cnncalc.figures import totals
    from cnncalc.output import renderer
    from cnncalc.report import Report, convention_line
    from cnncalc.report.sweep import Row, Sweep

    rows = []
    batch_used, convention = batch or 1, ""
    for variant in variants:
        try:
            trace = propagate(variant.spec, path, batch=batch, dtype=dtype)
        except SpecError as error:
            for diagnostic in _at_input(error, variant.label).diagnostics:
                print(diagnostic, file=sys.stderr)
            rows.append(Row(variant.label, variant.values, None, error.diagnostics[0]))
            continue
        recount: dict[str, Any] = {}
        if count is not None:
            uncounted = trace
            trace, line = _recounted(trace, count)
            recount = {**line, "count": count, "uncounted": uncounted}
        batch_used = trace.batch
        report = Report(trace, totals(trace), [], layout=layout, train=train, master=master, **recount)
        convention = report.convention or convention_line(trace)
        rows.append(Row(variant.label, variant.values, report))
    spec = variants[0].spec
    sweep = Sweep(
        spec.name,
        path,
        batch_used,
        dtype,
        layout,
        convention,
        count,
        train,
        master,
        rows,
        width,
        _color() and output_format == "table",
    )
    sys.stdout.write(renderer("sweep", output_format)(sweep))
    if all(row.report is None for row in rows):
        raise typer.Exit(EXIT_UNUSABLE)


def _recounted(trace: Trace, name: str) -> tuple[Trace, dict[str, str]]:
    """`trace` with a preset's numbers, and the report's convention line naming it; exit 2
    where the preset has no number for this network."""
    from cnncalc.conventions.compare import RecountError, convention, recount
    from cnncalc.conventions.registry import get

    preset = get(name)
    try:
        return recount(trace, preset), {"convention": convention(preset)}
    except RecountError as exc:
        print(f"{trace.path}:1:1: --count {name}: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None


@app.command(cls=_Command)
def counters(
    spec: SpecArgument,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="[table|json|markdown]",
            callback=_format_choice("counters"),
            help="table, json or markdown.",
        ),
    ] = "table",
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="One line per counter. At a terminal, or with COLUMNS set, the table fits that width: "
            "the why wraps in its column, or under each row where the column would be narrow. Piped, one line each.",
        ),
    ] = False,
) -> None:
    """Show what fvcore, ptflops, thop and others count, and why.

    Every other counter's total for a spec beside cnncalc's, and, kind by kind, why it differs.
    """
    from cnncalc.conventions.compare import rows
    from cnncalc.engine import propagate
    from cnncalc.output import renderer
    from cnncalc.spec import load_spec

    path = _resolve(spec)
    try:
        trace = propagate(load_spec(path), path)
    except SpecError as error:
        _fail(error)
    if output_format == "table":
        from cnncalc.report.counters import text

        sys.stdout.write(text(trace, rows(trace), _width(wide)))
        return
    sys.stdout.write(renderer("counters", output_format)(trace, rows(trace)))


def _verified(trace: Trace, device: str) -> Verification:
    """The trace checked in PyTorch; exit 2 where that cannot run (no torch, no CUDA)."""
    from cnncalc.verify import VerifyUnavailable, verify

    try:
        return verify(trace, device)
    except VerifyUnavailable as exc:
        print(f"cnncalc: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None


@app.command("verify", cls=_Command)
def verify_command(
    specs: Annotated[
        list[str], typer.Argument(metavar="SPEC...", help="Spec files, or names of bundled ones; each is checked.")
    ],
    device: DeviceOption = Device.auto,
    against: Annotated[
        str | None,
        typer.Option(
            metavar="MODULE:FACTORY",
            help="Compare with your own model instead (package.module:factory, or factory(key=value, ...) "
            "with literal values): parameter and buffer counts, total MACs and the output shapes of its "
            "weighted leaf modules.",
        ),
    ] = None,
    batch: Annotated[
        int | None, typer.Option(parser=_whole(1), metavar="N", help="Batch size to run at (at least 2 is used).")
    ] = None,
    layout: LayoutOption = Layout.hwc,
    output_format: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="[text|json]", callback=_format_choice("verification"), help="text or json."
        ),
    ] = "text",
    specs_only: Annotated[
        bool,
        typer.Option("--specs-only", help="Skip named files that do not look like specs (for pre-commit)."),
    ] = False,
    memory: Annotated[
        bool,
        typer.Option(
            "--memory",
            help="Check the memory peaks instead: inference, and a training step with sgd and with adam, "
            "against PyTorch's own tensors on the CPU (within 5%; batch 8 unless --batch).",
        ),
    ] = False,
) -> None:
    """Check each spec's numbers against PyTorch.

    Builds each spec in PyTorch and checks every shape, parameter, buffer and MAC count.
    Exit 1 if PyTorch disagrees anywhere, 2 if a spec is unusable or PyTorch cannot run.
    """
    from pathlib import Path

    from cnncalc import zoo
    from cnncalc.check import looks_like_spec
    from cnncalc.engine import propagate
    from cnncalc.output import renderer
    from cnncalc.report.verification import Checked
    from cnncalc.spec import load_spec
    from cnncalc.verify import (
        FactoryError,
        VerifyUnavailable,
        compare_with_model,
        import_torch,
        parse_factory,
        resolve_device,
        verify,
    )

    if against is not None:
        try:
            parse_factory(against)  # a malformed --against is a usage error before anything runs
        except FactoryError as exc:
            print(f"cnncalc: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_UNUSABLE) from None

    render = renderer("verification", output_format)
    if specs_only:
        # As `check --specs-only`: an existing file without a top-level `layers:` is skipped;
        # bundled names and missing files are still resolved (and reported) below.
        specs = [s for s in specs if not Path(s).is_file() or looks_like_spec(Path(s))]
        if not specs:
            sys.stdout.writelines(render([], layout.value))
            raise typer.Exit(EXIT_OK)
    try:
        import_torch()
        resolve_device(device.value)
    except VerifyUnavailable as exc:
        print(f"cnncalc: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None
    if memory:
        raise typer.Exit(_verify_memory(specs, batch or 8))
    code = EXIT_OK

    def checked() -> Iterator[Checked]:
        """Each spec as it is checked; an unusable one is reported and skipped."""
        nonlocal code
        for spec in specs:
            try:
                path = zoo.locate(spec, "verify")
                trace = propagate(load_spec(path), path, batch=batch)
            except SpecError as error:
                for diagnostic in error.diagnostics:
                    print(diagnostic, file=sys.stderr)
                code = EXIT_UNUSABLE
                continue
            try:
                if against is None:
                    result: Verification | Comparison = verify(trace, device.value)
                else:
                    result = compare_with_model(trace, against, device.value)
            except (VerifyUnavailable, FactoryError) as exc:
                print(f"cnncalc: {exc}", file=sys.stderr)
                raise typer.Exit(EXIT_UNUSABLE) from None
            if not result.agrees and code == EXIT_OK:
                code = EXIT_FINDINGS
            yield Checked(trace.spec.name, path, result)

    # A text format prints each spec as soon as it is checked; JSON prints once, at the end.
    if output_format == "text":
        from functools import partial

        from cnncalc.report.verification import render_text

        render = partial(render_text, width=_width(False))
    for chunk in render(checked(), layout.value):
        sys.stdout.write(chunk)
    raise typer.Exit(code)


def _verify_memory(specs: list[str], batch: int) -> int:
    """`verify --memory`: each spec's peaks beside the tracker's, one line each; the exit code."""
    from cnncalc import zoo
    from cnncalc.engine import propagate
    from cnncalc.memory_tracker import check_memory
    from cnncalc.report import size_text
    from cnncalc.report.verification import fitted
    from cnncalc.spec import load_spec
    from cnncalc.verify import MIN_BATCH

    code = EXIT_OK
    batch = max(batch, MIN_BATCH)
    for spec in specs:
        try:
            path = zoo.locate(spec, "verify")
            trace = propagate(load_spec(path), path, batch=batch)
        except SpecError as error:
            for diagnostic in error.diagnostics:
                print(diagnostic, file=sys.stderr)
            code = EXIT_UNUSABLE
            continue
        for check in check_memory(trace, batch):
            mark = "✓" if check.agrees else "✗ more than 5% off"
            what = "inference" if check.what == "inference" else f"training step ({check.what})"
            line = (
                f"{path}: {what} peak at batch {batch}: cnncalc {size_text(check.computed)} "
                f"({check.computed:,} B), PyTorch {size_text(check.torch)} ({check.torch:,} B), "
                f"{100 * check.error:+.2f}% {mark}"
            )
            sys.stdout.write(fitted(line + "\n", _width(False)))
            if not check.agrees and code == EXIT_OK:
                code = EXIT_FINDINGS
    return code


@app.command(cls=_Command)
def layers(
    names: Annotated[
        list[str] | None, typer.Argument(metavar="[KIND]...", help="Show only these kinds (attention, conv...).")
    ] = None,
) -> None:
    """List the layer kinds and their fields.

    Every layer also takes name, from, repeat and when. At a terminal, or with COLUMNS set,
    the list wraps at its width.
    """
    from cnncalc.layers import registry
    from cnncalc.layers._base import Layer
    from cnncalc.report.kinds import render

    every = dict(sorted(registry().items()))
    unknown = [name for name in names or [] if name not in every]
    if unknown:
        from cnncalc.errors import did_you_mean

        _usage(f"unknown layer kind '{unknown[0]}' (cnncalc layers lists them){did_you_mean(unknown[0], list(every))}")
    chosen = {kind: every[kind] for kind in dict.fromkeys(names)} if names else every
    sys.stdout.write(render(chosen, set(Layer.model_fields), _width(False)))


@app.command(cls=_Command)
def zoo(
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help=WIDE_HELP.format(
                order="'description' cut to 20, 'input', 'description', 'MACs'", kept="name and params"
            ),
        ),
    ] = False,
) -> None:
    """List the bundled specs, usable by name: `cnncalc table resnet50`."""
    from cnncalc import zoo as bundled
    from cnncalc.report.zoo import render

    try:
        found = bundled.entries()
    except SpecError as error:
        _fail(error)
    sys.stdout.write(render(found, color=_color(), width=_width(wide)))


def _codes(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value is not None else None


@app.command(cls=_Command)
def check(
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH...", help="Spec files, or folders searched for *.yaml/*.yml specs.")
    ],
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            callback=_format_choice("findings"),
            metavar="[text|json|sarif|junit|github]",
            help="text, json, sarif, junit or github.",
        ),
    ] = "text",
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
    specs_only: Annotated[
        bool,
        typer.Option("--specs-only", help="Skip named files that do not look like specs (for pre-commit)."),
    ] = False,
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write the report here, not stdout.")
    ] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when errors are found.")] = False,
    root: Annotated[
        str | None,
        typer.Option(
            metavar="DIR",
            help="SARIF, JUnit and GitHub paths relative to this folder (default: the repository's top level).",
        ),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="One line per finding. At a terminal, or with COLUMNS set, text findings wrap at that "
            "width, continuation lines indented under their file:line:col:. Piped, one line each.",
        ),
    ] = False,
    count: Annotated[
        str | None,
        typer.Option(
            "--count",
            callback=_preset_choice,
            metavar="PRESET",
            help="Measure limits: as another tool counts (fvcore, ptflops, thop...; see cnncalc counters), "
            "where a spec's limits name no count: of their own.",
        ),
    ] = None,
) -> None:
    """Lint specs: validation, shapes and the rules.

    The rules are listed by `cnncalc rules`. Exit 1 on any error finding.
    """
    from pathlib import Path

    from cnncalc.check import PathError, UsageError, check_paths, discover, find_pyproject, load_config, progress_bar
    from cnncalc.output import renderer

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
        settings.count = count or settings.count
        settings.validate()
        files = discover(paths, settings)
        if root is not None and not Path(root).is_dir():
            raise PathError(root, "--root: no such folder")
    except UsageError as error:
        print(error if isinstance(error, PathError) else f"cnncalc check: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None
    for warning in settings.warnings:
        print(f"cnncalc check: warning: {warning}", file=sys.stderr)
    advance, stop = progress_bar(len(files))
    try:
        result = check_paths(files, settings, advance)
    finally:
        stop()
    result.root = root
    if output_format == "text" and output is None:
        from cnncalc.findings import text as findings_text

        text = findings_text.render(result, width=_width(wide))
    else:
        text = renderer("findings", output_format)(result)
    if output is None:
        sys.stdout.write(text)
    else:
        from cnncalc.files import InputClash, write_report

        try:
            write_report(output, text, [*paths, *files, *([settings.source] if settings.source else [])])
        except InputClash as clash:
            print(clash, file=sys.stderr)
            raise typer.Exit(EXIT_UNUSABLE) from None
        except OSError as exc:
            print(f"cnncalc check: cannot write {output}: {exc.strerror}", file=sys.stderr)
            raise typer.Exit(EXIT_UNUSABLE) from None
    if any(f.code == "CNC000" for f in result.findings):
        raise typer.Exit(EXIT_BUG)
    if result.count("error") and not exit_zero:
        raise typer.Exit(EXIT_FINDINGS)


@app.command(cls=_Command)
def rules(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print docs/rules.md, every rule with examples.")
    ] = False,
) -> None:
    """List the lint rules of `cnncalc check`.

    Each rule's code, name, default level and what it finds; at a terminal, or with COLUMNS
    set, wrapped at its width.
    """
    from cnncalc.rules._docs import listing
    from cnncalc.rules._docs import markdown as render

    sys.stdout.write(render() if markdown else listing(_width(False)))


@app.command(cls=_Command)
def schema() -> None:
    """Print the JSON Schema of the spec format, for editors.

    The same as docs/spec.schema.json, which editors read for completion.
    """
    from cnncalc.schema import render

    sys.stdout.write(render())


@app.command(cls=_Command)
def diff(
    old: Annotated[str, typer.Argument(metavar="OLD", help="The spec before (a file, or a bundled name).")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The spec after.")],
    output_format: Annotated[
        str, typer.Option("--format", "-f", metavar="[table|json|markdown]", help="table, json or markdown.")
    ] = "table",
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            metavar="METRIC:+AMOUNT",
            help="Exit 1 when a total grows by more than AMOUNT (repeatable), e.g. params:+5%, "
            "macs:+1G, memory:+64MiB. Metrics: params, macs, flops (counts: AMOUNT in %, or K, M, G, T); "
            "memory, weights, peak (inference), train_peak (one --train step) (bytes: also B, KiB, MiB, GiB, TiB).",
        ),
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="List unchanged layers too.")] = False,
    batch: BatchOption = None,
    dtype: DTypeOption = DType.float32,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help=WIDE_HELP.format(
                order="'Δ activation bytes', 'type', 'MACs', 'params', 'layer' cut to 20, 'layer' cut to 8; "
                "in the totals 'old', '%'",
                kept="layer, status, Δ params and Δ MACs",
            ),
        ),
    ] = False,
    count: Annotated[
        str | None,
        typer.Option(
            "--count",
            callback=_preset_choice,
            metavar="PRESET",
            help="Count both sides as another tool does (fvcore, ptflops, thop...; see cnncalc counters); "
            "--fail-on then compares that tool's numbers.",
        ),
    ] = None,
    train: Annotated[
        Optimizer,
        typer.Option(
            parser=_choice(Optimizer),
            metavar=_choices(Optimizer),
            help="The optimizer of the training peak compared (train_peak).",
        ),
    ] = Optimizer.adam,
) -> None:
    """Compare two specs' params, MACs and memory, layer by layer.

    Per-layer and total changes; exit 1 past a --fail-on threshold.
    """
    from cnncalc.diff import ThresholdError, compare, parse_threshold
    from cnncalc.engine import propagate
    from cnncalc.output import UnknownFormat, check_format, renderer
    from cnncalc.spec import load_spec

    try:
        check_format("diff", output_format)
    except UnknownFormat as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from None
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
    convention: dict[str, str] = {}
    if count is not None:
        traces[0], convention = _recounted(traces[0], count)
        traces[1], convention = _recounted(traces[1], count)
    result = compare(traces[0], traces[1], thresholds, train.value)
    if count is not None:
        result.count, result.convention = count, convention["convention"]
    color = _color() and output_format == "table"
    width = _width(wide) if output_format == "table" else None
    sys.stdout.write(renderer("diff", output_format)(result, color, everything, width))
    if result.failed:
        raise typer.Exit(EXIT_FINDINGS)


class RankDir(str, Enum):
    TB = "TB"
    LR = "LR"


@app.command(cls=_Command)
def draw(
    spec: SpecArgument,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            callback=_format_choice("drawing"),
            metavar="[dot|mermaid|svg|png|pdf|html]",
            help="dot, mermaid, svg, png, pdf (these three need Graphviz) or html (the SVG and the table in "
            "one page); default: from -o's suffix, else dot.",
        ),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write the diagram here, not stdout.")
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(parser=_whole(0), metavar="N", help="Draw blocks nested deeper than this as one box each."),
    ] = None,
    rankdir: Annotated[
        RankDir,
        typer.Option(parser=_choice(RankDir), metavar=_choices(RankDir), help="Top to bottom or left to right."),
    ] = RankDir.TB,
    layout: LayoutOption = Layout.hwc,
) -> None:
    """Draw a spec's layers with their shapes, parameters and MACs.

    Every layer a box, shaded by its share of the MACs.
    """
    from dataclasses import replace
    from pathlib import Path

    from cnncalc.draw import SUFFIXES, DrawUnavailable, drawer
    from cnncalc.draw.graph import depth_hint
    from cnncalc.engine import propagate
    from cnncalc.figures import check_claims, totals
    from cnncalc.report import Report
    from cnncalc.spec import load_spec

    if output_format is None and output is not None and Path(output).suffix.lower() not in SUFFIXES:
        # Never DOT text in a file whose name says something else (x.png, x.jpg): refuse.
        print(
            f"cnncalc draw: cannot tell a format from the name {output} (known suffixes: {', '.join(SUFFIXES)}); "
            "name one with --format",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_UNUSABLE)
    chosen = output_format or SUFFIXES.get(Path(output or "").suffix.lower(), "dot")
    path = _resolve(spec)
    try:
        trace = propagate(load_spec(path), path, batch=1)  # a drawing's figures are per sample
        claims, _ = check_claims(trace)  # the page marks the claims; `table` and `check` report bad ones
    except SpecError as error:
        _fail(error)
    # A page is shared: it names the spec as given, never by an absolute path of this machine.
    given = spec
    if os.path.isabs(spec):
        inside = os.path.relpath(spec) if os.path.splitdrive(spec)[0] == os.path.splitdrive(os.getcwd())[0] else ".."
        given = os.path.basename(spec) if inside.startswith("..") else inside
    trace = replace(trace, path=given)
    report = Report(trace, totals(trace), claims, layout=layout.value, depth=depth)
    try:
        text = drawer(chosen)(report, rankdir.value)
    except DrawUnavailable as exc:
        print(f"cnncalc draw: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None
    hint = depth_hint(report)
    if hint is not None:
        print(f"cnncalc draw: note: {hint}", file=sys.stderr)
    if output is None:
        if isinstance(text, bytes):  # a picture, as `dot -Tpng` writes it
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        return
    from cnncalc.files import InputClash, write_report

    try:
        write_report(output, text, [spec, path])
    except InputClash as clash:
        print(clash, file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None
    except OSError as exc:
        print(f"cnncalc draw: cannot write {output}: {exc.strerror}", file=sys.stderr)
        raise typer.Exit(EXIT_UNUSABLE) from None


from cnncalc.importers.command import import_command  # noqa: E402 (one module per command at merge)

app.command("import", cls=_Command)(import_command)


def _without_pydantic_plugins() -> None:
    """Run without pydantic plugins, as PYDANTIC_DISABLE_PLUGINS=__all__ would, and without
    importing their loader: it imports importlib.metadata and scans every installed
    distribution for them, a tenth of a small run's time. cnncalc's models use none."""
    if "pydantic.plugin._loader" not in sys.modules:
        import types

        def get_plugins() -> tuple[()]:
            return ()

        loader = types.ModuleType("pydantic.plugin._loader")
        loader.get_plugins = get_plugins  # type: ignore[attr-defined]
        sys.modules["pydantic.plugin._loader"] = loader


def main() -> None:
    # A short-lived process that builds large acyclic structures: the cyclic garbage
    # collector only costs time here (20-25% on a 100,000-layer spec).
    gc.disable()
    _without_pydantic_plugins()
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
