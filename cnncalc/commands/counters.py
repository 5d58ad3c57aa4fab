"""`cnncalc counters`: every counting preset's total for one spec, and why each differs."""

from __future__ import annotations

from typing import Annotated

from cnncalc import emit
from cnncalc.commands import traced
from cnncalc.emit import Emission
from cnncalc.options import Options, SpecArgument, format_option, wide_option

WIDE = (
    "One line per counter. At a terminal, or with COLUMNS set, the table fits that width: "
    "the why wraps in its column, or under each row where the column would be narrow. Piped, one line each."
)


def counters(
    spec: SpecArgument,
    output_format: Annotated[str, format_option("counters")] = "table",
    wide: Annotated[bool, wide_option(WIDE)] = False,
) -> Emission:
    """Show what fvcore, ptflops, thop and others count, and why.

    Every other counter's total for a spec beside cnncalc's, and, kind by kind, why it differs.
    """
    from cnncalc.conventions.compare import rows

    options = Options(format=output_format, wide=wide)
    _, trace = traced(spec, options)
    return Emission("counters", options.format, (trace, rows(trace)), width=emit.width(options.wide))
