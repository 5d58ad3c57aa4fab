"""`cnncalc zoo`: the bundled specs, one row each, laid out as the human table is."""

from __future__ import annotations

from cnncalc.fit import Step
from cnncalc.report import count, input_text, short
from cnncalc.report.table import Cell, layout, note_lines
from cnncalc.shape import TOKEN_IDS, Shape
from cnncalc.zoo import Entry

IMAGE = "CHW"  # shown bare, as the course writes an image's size

# What goes first when the list is wider than the terminal; name and params always stay.
STEPS = (
    Step("description", to=20),
    Step("input"),
    Step("description"),
    Step("MACs"),
)


def input_cell(shape: Shape) -> str:
    """An image's `224×224×3` (the course's H×W×C), `128 tokens` of ids; any other input
    with its axes named: `128×256 (L, D)`."""
    text = input_text(shape)
    return text if shape.axes in (IMAGE, TOKEN_IDS) else f"{text} {shape.axis_names()}"


def render(entries: list[Entry], color: bool = False, width: int | None = None) -> str:
    header = ["name", "description", "input", "params", "MACs"]
    body: list[tuple[list[Cell], str]] = []
    for entry in entries:
        dims = input_cell(entry.input)
        if entry.named:  # several inputs, in order: `10×512, 20×512 (L, D)`, the axes once if shared
            shapes = [shape for _, shape in entry.named]
            if len({shape.axes for shape in shapes}) == 1:
                dims = f"{', '.join(input_text(shape) for shape in shapes)} {shapes[0].axis_names()}"
            else:
                dims = ", ".join(input_cell(shape) for shape in shapes)
        macs = f"{count(entry.macs)} ({short(entry.macs)})"
        texts = [entry.name, entry.description, dims, count(entry.params), macs]
        body.append(([[(text, "")] for text in texts], ""))
    lines, fitted = layout(header, {3, 4}, body, color, width, STEPS)
    lines += note_lines(width, color, fitted.left_out, fitted.shortened)
    return "\n".join(lines) + "\n"
