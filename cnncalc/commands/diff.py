"""`cnncalc diff`: two specs' params, MACs and memory compared, layer by layer."""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc import emit
from cnncalc.commands import analysed, traced
from cnncalc.emit import Emission
from cnncalc.options import (
    WIDE_HELP,
    BatchOption,
    DType,
    DTypeOption,
    Optimizer,
    Options,
    checked_format,
    count_option,
    format_option,
    train_option,
    wide_option,
)

FAIL_ON = (
    "Exit 1 when a total grows by more than AMOUNT (repeatable), e.g. params:+5%, "
    "macs:+1G, memory:+64MiB. Metrics: params, macs, flops (counts: AMOUNT in %, or K, M, G, T); "
    "memory, weights, peak (inference), train_peak (one --train step) (bytes: also B, KiB, MiB, GiB, TiB)."
)
WIDE = WIDE_HELP.format(
    order="'Δ activation bytes', 'type', 'MACs', 'params', 'layer' cut to 20, 'layer' cut to 8; "
    "in the totals 'old', '%'",
    kept="layer, status, Δ params and Δ MACs",
)
COUNT = (
    "Count both sides as another tool does (fvcore, ptflops, thop...; see cnncalc counters); "
    "--fail-on then compares that tool's numbers."
)


def diff(
    old: Annotated[str, typer.Argument(metavar="OLD", help="The spec before (a file, or a bundled name).")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The spec after.")],
    output_format: Annotated[str, format_option("diff", checked=False)] = "table",
    fail_on: Annotated[list[str] | None, typer.Option("--fail-on", metavar="METRIC:+AMOUNT", help=FAIL_ON)] = None,
    everything: Annotated[bool, typer.Option("--all", help="List unchanged layers too.")] = False,
    batch: BatchOption = None,
    dtype: DTypeOption = DType.float32,
    wide: Annotated[bool, wide_option(WIDE)] = False,
    count: Annotated[str | None, count_option(COUNT)] = None,
    train: Annotated[Optimizer, train_option("The optimizer of the training peak compared (train_peak).")] = (
        Optimizer.adam
    ),
) -> Emission:
    """Compare two specs' params, MACs and memory, layer by layer.

    Per-layer and total changes; exit 1 past a --fail-on threshold.
    """
    from cnncalc.diff import ThresholdError, compare, parse_threshold

    options = Options(format=output_format, wide=wide, count=count, batch=batch, dtype=dtype.value, train=train.value)
    checked_format("diff", options.format, param_hint="--format")  # after the other options are parsed
    try:
        thresholds = [parse_threshold(t) for t in fail_on or []]
    except ThresholdError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fail-on") from None
    traces = [traced(spec, options)[1] for spec in (old, new)]
    before, after = (analysed(trace, options, claims=False) for trace in traces)
    result = compare(before, after, thresholds, train.value)
    if options.count is not None:
        result.count, result.convention = options.count, after.convention
    human = options.format == "table"
    shown = (result, emit.color() and human, everything, emit.width(options.wide) if human else None)
    return Emission("diff", options.format, shown, emit.EXIT_FINDINGS if result.failed else emit.EXIT_OK)
