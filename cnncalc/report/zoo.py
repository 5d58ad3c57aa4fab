"""`cnncalc zoo`: the bundled specs, one row each, laid out as the human table is."""

from __future__ import annotations

from cnncalc.fit import Step
from cnncalc.report import count, short
from cnncalc.report.table import Cell, layout, note_lines
from cnncalc.zoo import Entry

# What goes first when the list is wider than the terminal; name and params always stay.
STEPS = (
    Step("description", to=20),
    Step("input (H, W, C)"),
    Step("description"),
    Step("MACs"),
)


def render(entries: list[Entry], color: bool = False, width: int | None = None) -> str:
    from cnncalc.figures import hwc

    header = ["name", "description", "input (H, W, C)", "params", "MACs"]
    body: list[tuple[list[Cell], str]] = []
    for entry in entries:
        dims = "×".join(str(v) for v in hwc(entry.input))
        macs = f"{count(entry.macs)} ({short(entry.macs)})"
        texts = [entry.name, entry.description, dims, count(entry.params), macs]
        body.append(([[(text, "")] for text in texts], ""))
    lines, fitted = layout(header, {3, 4}, body, color, width, STEPS)
    lines += note_lines(width, color, fitted.left_out, fitted.shortened)
    return "\n".join(lines) + "\n"
