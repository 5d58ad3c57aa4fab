"""`cnncalc verify`: each spec's numbers (or, with --memory, its memory peaks) against PyTorch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc import emit
from cnncalc.emit import Emission
from cnncalc.errors import SpecError
from cnncalc.options import (
    Device,
    DeviceOption,
    Layout,
    LayoutOption,
    Options,
    SpecsOnlyOption,
    batch_option,
    format_option,
)

if TYPE_CHECKING:
    from cnncalc.engine import Trace
    from cnncalc.report.verification import Checked, MemoryChecked

AGAINST = (
    "Compare with your own model instead (package.module:factory, path/to/file.py:factory, or "
    "factory(key=value, ...) with literal values; its code runs): parameter and buffer counts, "
    "total MACs and the output shapes of its weighted leaf modules."
)
ARG = "With --against: a keyword argument of the factory, a Python literal (repeat for more)."
MEMORY = (
    "Check the memory peaks instead: inference, and a training step with sgd and with adam, "
    "against PyTorch's own tensors on the CPU (within 5%; batch 8 unless --batch)."
)


class Outcome:
    """The exit code of a run whose specs are checked as they are written out."""

    def __init__(self) -> None:
        self.code = emit.EXIT_OK

    def found(self, code: int) -> None:
        """An unusable spec (2) outranks a disagreement (1), which outranks none."""
        if code == emit.EXIT_UNUSABLE or self.code == emit.EXIT_OK:
            self.code = code

    def __call__(self) -> int:
        return self.code


def verify(
    specs: Annotated[
        list[str], typer.Argument(metavar="SPEC...", help="Spec files, or names of bundled ones; each is checked.")
    ],
    device: DeviceOption = Device.auto,
    against: Annotated[str | None, typer.Option(metavar="SOURCE", help=AGAINST)] = None,
    arg: Annotated[list[str] | None, typer.Option("--arg", metavar="NAME=VALUE", help=ARG)] = None,
    batch: Annotated[int | None, batch_option("Batch size to run at (at least 2 is used).")] = None,
    layout: LayoutOption = Layout.hwc,
    output_format: Annotated[str, format_option("verification")] = "text",
    specs_only: SpecsOnlyOption = False,
    memory: Annotated[bool, typer.Option("--memory", help=MEMORY)] = False,
) -> Emission:
    """Check each spec's numbers against PyTorch.

    Builds each spec in PyTorch and checks every shape, parameter, buffer and MAC count.
    Exit 1 if PyTorch disagrees anywhere, 2 if a spec is unusable or PyTorch cannot run.
    """
    from pathlib import Path

    from cnncalc.check import looks_like_spec
    from cnncalc.verify import MIN_BATCH, FactoryError, VerifyUnavailable, import_torch, parse_factory, resolve_device

    options = Options(format=output_format, batch=batch, layout=layout.value, device=device.value)
    arguments: dict[str, object] = {}
    if against is not None:
        from cnncalc.importers.torch_code import ImportFailed, parse_arguments

        try:
            parse_factory(against)  # a malformed --against is a usage error before anything runs
            arguments = parse_arguments(arg or [])
        except (FactoryError, ImportFailed) as exc:
            emit.unusable(f"cnncalc: {exc}")
    elif arg:
        emit.usage("--arg goes with --against SOURCE")
    if specs_only:
        # As `check --specs-only`: an existing file without a top-level `layers:` is skipped;
        # bundled names and missing files are still resolved (and reported) below.
        specs = [s for s in specs if not Path(s).is_file() or looks_like_spec(Path(s))]
        if not specs:
            return Emission("verification", options.format, ([], options.layout))
    try:
        import_torch()
        resolve_device(options.device)
    except VerifyUnavailable as exc:
        emit.unusable(f"cnncalc: {exc}")
    outcome = Outcome()
    if memory:
        batch = max(options.batch or 8, MIN_BATCH)
        checked = memory_checked(specs, batch, outcome)
        # One format: the lines of text, whatever --format says.
        return Emission("memory", "text", (checked,), outcome, width=emit.width(False))
    found = each_checked(specs, options, against, outcome, arguments)
    return Emission("verification", options.format, (found, options.layout), outcome, width=emit.width(False))


def traced_or_reported(spec: str, batch: int | None, outcome: Outcome) -> Trace | None:
    """`spec`'s trace; None, its diagnostics on stderr and exit code 2 noted, if it is unusable."""
    from cnncalc import zoo
    from cnncalc.engine import propagate
    from cnncalc.spec import load_spec

    try:
        path = zoo.locate(spec, "verify")
        return propagate(load_spec(path), path, batch=batch)
    except SpecError as error:
        for diagnostic in error.diagnostics:
            emit.note(diagnostic)
        outcome.found(emit.EXIT_UNUSABLE)
        return None


def each_checked(
    specs: list[str], options: Options, against: str | None, outcome: Outcome, arguments: dict[str, object]
) -> Iterator[Checked]:
    """Each spec as it is checked; an unusable one is reported and skipped."""
    from cnncalc.report.verification import Checked
    from cnncalc.verify import Comparison, FactoryError, Verification, VerifyUnavailable, compare_with_model, verify

    for spec in specs:
        trace = traced_or_reported(spec, options.batch, outcome)
        if trace is None:
            continue
        try:
            if against is None:
                result: Verification | Comparison = verify(trace, options.device)
            else:
                result = compare_with_model(trace, against, options.device, arguments)
        except (VerifyUnavailable, FactoryError) as exc:
            emit.unusable(f"cnncalc: {exc}")
        if not result.agrees:
            outcome.found(emit.EXIT_FINDINGS)
        yield Checked(trace.spec.name, trace.path, result)


def memory_checked(specs: list[str], batch: int, outcome: Outcome) -> Iterator[MemoryChecked]:
    """`verify --memory`: each spec's peaks beside the tracker's, as it is checked."""
    from cnncalc.memory_tracker import check_memory
    from cnncalc.report.verification import MemoryChecked

    for spec in specs:
        trace = traced_or_reported(spec, batch, outcome)
        if trace is None:
            continue
        checks = check_memory(trace, batch)
        if not all(check.agrees for check in checks):
            outcome.found(emit.EXIT_FINDINGS)
        yield MemoryChecked(trace.path, batch, checks)
