"""The human table: the course's columns first, then what the course leaves out.

Colour only at a terminal without NO_COLOR; piped, the same table in plain characters.
At a terminal (or with COLUMNS set) the table fits its width: `STEPS` leave out or cut the
least needed columns first; layer, output and params always stay.
Laid out here rather than with rich's Table, which costs about 0.5 ms a row (5 s for a
10,000-layer network) and a sizeable import on the plain path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from cnncalc.collecting import collector_paused
from cnncalc.engine import Node
from cnncalc.fit import Fitted, Step, fit, note, wrap
from cnncalc.layers.api import prod
from cnncalc.report import Row, View, claims_for, count, rows, source_of, summary_lines, title

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis
    from cnncalc.verify import Verification

# A cell is a list of (text, SGR style) parts; "" is unstyled.
Cell = list[tuple[str, str]]
BOLD, DIM, GREEN, YELLOW, RED, CYAN = "1", "2", "32", "33", "1;31", "36"

BAR_WIDTH = 6
_ALIKE_LIMIT = 4096  # distinct rows the table remembers
_EIGHTHS = " ▏▎▍▌▋▊▉█"

# What goes first when the table is wider than the terminal, in order, as far as needed.
STEPS = (
    Step("params·MACs share"),
    Step("RF"),
    Step("size"),
    Step("hyperparameters", to=15),
    Step("hyperparameters"),
    Step("type"),
    Step("#"),
    Step("layer", to=16, middle=True),
    Step("MACs"),
    Step("layer", to=8, middle=True),
)


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells filled to `share` (0..1), in eighths of a cell."""
    eighths = round(max(0.0, min(share, 1.0)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text.ljust(width)


def _claimed(text: str, row: Row, field: str, analysis: Analysis) -> Cell:
    """A number, with ✓ or ✗ when the spec claims it."""
    cell: Cell = [(text, "")]
    claim = claims_for(analysis, row).get(field)
    if claim is not None:
        # Under --count a cell may show the preset's number while claims are cnncalc's count: say so.
        recounted = analysis.count is not None and field != "shape" and text != count(claim.actual)
        if claim.confirmed:
            cell.append((f" ✓ cnncalc's {count(claim.actual)}" if recounted else " ✓", GREEN))
        elif field == "shape":
            cell.append((" ✗", RED))
        else:
            ours = f" (cnncalc's {count(claim.actual)})" if recounted else ""
            cell.append((f" ✗ claimed {count(claim.claimed)}{ours}", RED))
    return cell


def _verified(checked: Verification, node: Node | None) -> Cell:
    from cnncalc.report.verification import row_mark

    mark = row_mark(checked, node.index) if node is not None else ""
    return [(mark, GREEN if mark == "✓" else RED)]


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{style}m{text}\x1b[0m" if color and style and text else text


def _cut(cell: Cell, fitted: Fitted, i: int) -> Cell:
    """A cell no wider than its column, cut in one style (the columns cut hold one part)."""
    text = "".join(text for text, _ in cell)
    return cell if len(text) <= fitted.widths[i] else [(fitted.cut(i, text), cell[0][1])]


# A body row: its first cell (each row's own: the index), the others (shared by rows
# alike: a long network repeats a few), and the row's style.
BodyRow = tuple[Cell, list[Cell], str]


def layout(
    header: list[str],
    right: set[int],
    body: list[tuple[list[Cell], str]],
    color: bool,
    width: int | None = None,
    steps: tuple[Step, ...] = (),
) -> tuple[list[str], Fitted]:
    """Columns two spaces apart, numbers right-aligned; each body row has a row style.
    Within `width`, `steps` leave out or cut columns (`note_lines` says which)."""
    lines, fitted = laid_out(
        header, right, [(cells[0], cells[1:], style) for cells, style in body], color, width, steps
    )
    return list(lines), fitted


def laid_out(
    header: list[str],
    right: set[int],
    body: list[BodyRow],
    color: bool,
    width: int | None = None,
    steps: tuple[Step, ...] = (),
) -> tuple[Iterator[str], Fitted]:
    """`layout` of rows whose cells after the first may be shared (one list for rows alike),
    its lines made one at a time as they are read."""
    widths = [len(h) for h in header]
    # Each distinct list of cells, and each distinct cell in it, is measured once (by id:
    # `body` keeps every one alive while this runs, so no id is reused).
    measured: dict[int, int] = {}
    seen: set[int] = set()
    for first, others, _ in body:
        size = len(first[0][0]) if len(first) == 1 else sum(len(text) for text, _ in first)
        if size > widths[0]:
            widths[0] = size
        if id(others) in seen:
            continue
        seen.add(id(others))
        for i, cell in enumerate(others, 1):
            known = measured.get(id(cell))
            if known is None:
                known = measured[id(cell)] = sum(len(text) for text, _ in cell)
            if known > widths[i]:
                widths[i] = known
    fitted = fit(header, widths, width, steps)
    return _lines(header, right, body, color, fitted), fitted


def _lines(header: list[str], right: set[int], body: list[BodyRow], color: bool, fitted: Fitted) -> Iterator[str]:
    shown, widths = fitted.shown, fitted.widths
    cut = {header.index(column) for column in fitted.shortened}
    head = [header[i].rjust(widths[i]) if i in right else header[i].ljust(widths[i]) for i in shown]
    yield _paint("  ".join(head).rstrip(), BOLD, color)

    def draw(cell: Cell, i: int, row_style: str) -> str:
        if not color and len(cell) == 1 and i not in cut:  # the common case, plainly
            text = cell[0][0]
            pad = " " * (widths[i] - len(text))
            return pad + text if i in right else text + pad
        if i in cut:
            cell = _cut(cell, fitted, i)
        pad = " " * (widths[i] - sum(len(text) for text, _ in cell))
        shown_text = "".join(_paint(text, ";".join(filter(None, (row_style, style))), color) for text, style in cell)
        return pad + shown_text if i in right else shown_text + pad

    first_shown = bool(shown) and shown[0] == 0
    plain_first = not color and 0 not in cut
    others_shown = [i for i in shown if i]
    drawn: dict[tuple[int, int, str], str] = {}  # each distinct cell, per column and row style
    joined: dict[tuple[int, str], str] = {}  # each distinct list of cells, per row style (up to _ALIKE_LIMIT)
    for first, others, row_style in body:
        key = (id(others), row_style)
        rest = joined.get(key)
        if rest is None:
            parts = []
            for i in others_shown:
                cell_key = (id(others[i - 1]), i, row_style)
                text = drawn.get(cell_key)
                if text is None:
                    text = drawn[cell_key] = draw(others[i - 1], i, row_style)
                parts.append(text)
            rest = "  ".join(parts)
            if len(joined) < _ALIKE_LIMIT:
                joined[key] = rest
        if not first_shown:
            yield rest.rstrip()
            continue
        if plain_first and len(first) == 1:  # the common case, plainly (draw's, without the call)
            index = first[0][0]
            drawn_first = " " * (widths[0] - len(index)) + index if 0 in right else index.ljust(widths[0])
        else:
            drawn_first = draw(first, 0, row_style)
        yield (drawn_first + "  " + rest).rstrip() if others_shown else drawn_first.rstrip()


def note_lines(width: int | None, color: bool, left_out: list[str], shortened: list[str]) -> list[str]:
    """The line that says what a fitted table leaves out (wrapped, dimmed); none if nothing."""
    said = note(width, left_out, shortened) if width is not None else ""
    return [_paint(line, DIM, color) for line in wrap(said, width, indent="  ")] if said else []


def render(analysis: Analysis, view: View) -> str:
    return "\n".join(render_lines(analysis, view)) + "\n"


def write(analysis: Analysis, view: View, out: TextIO) -> None:
    """Line by line: a big network's text is never held whole."""
    with collector_paused():  # a long network's rows are many objects, and no cycles
        for line in _render(analysis, view):
            out.write(line + "\n")


def render_lines(analysis: Analysis, view: View) -> list[str]:
    return list(_render(analysis, view))


def _render(analysis: Analysis, view: View) -> Iterator[str]:
    trace, totals = analysis.trace, analysis.totals
    batch = trace.batch
    checked = analysis.verification
    header = ["#", "layer", "type", "hyperparameters", f"output {view.layout_label(trace)}", "size", "params", "MACs"]
    header += ["RF", "params·MACs share", *([] if checked is None else ["PyTorch"])]
    right = {0, 5, 6, 7, 8}
    total_params = max(totals.params.total, 1)
    total_macs = max(sum(map(analysis.macs, trace.nodes)), 1)
    claimed = analysis.claims_by_target
    body: list[BodyRow] = []
    shared: dict[tuple[tuple[str, str], ...], Cell] = {}  # equal cells as one list: big networks repeat them
    # (body row, level, node) of each unnamed layer, for a fitted table that drops `type`
    unnamed: list[tuple[int, int, int]] = []
    # A long network repeats the same rows but for their index: a row without claims is
    # built once per distinct content (up to a bound, so that a long list of named layers
    # does not grow a second copy of itself), its cells shared by the rows alike.
    alike: dict[tuple[object, ...], tuple[list[Cell], str]] = {}  # -> the cells after the index, the style
    for row in rows(analysis, view):  # not kept: the rows of a long network are a large share of its memory
        node = row.node
        if view.width is not None and not row.name and node is not None:
            unnamed.append((len(body), row.level, node.index))
        key: tuple[object, ...] | None = None
        if checked is None and (not claimed or not claims_for(analysis, row)):
            # id(row.output): shapes live in the trace, equal ones mostly as one object.
            key = (row.level, row.name, row.kind, row.summary, id(row.output), row.params.total, row.macs, row.rf)
            key += (node is None, source_of(trace, node))  # the input's shape decides a reorder's display
            known = alike.get(key)
            if known is not None:
                body.append(([(row.index, DIM)], *known))
                continue
        p_share, m_share = row.params.total / total_params, row.macs / total_macs
        # Roll-ups stand out as headings; a layer holding a quarter of the parameters or MACs in yellow.
        style = BOLD if node is None else (YELLOW if max(p_share, m_share) >= 0.25 else "")
        cells: list[Cell] = [
            [("  " * row.level + row.name, "")],
            [(row.kind, "")],
            [(row.summary, "")],
            _claimed(view.output_text(trace, row.node, row.output), row, "shape", analysis),
            [(count(prod(row.output)), "")],
            _claimed(count(row.params.total), row, "params", analysis),
            # Claims are per sample: with a batch, the column no longer shows the claimed number.
            _claimed(count(row.macs * batch), row, "macs", analysis) if batch == 1 else [(count(row.macs * batch), "")],
            [(row.rf, "")],
            [(bar(p_share) + " " + bar(m_share), CYAN)],
        ]
        if checked is not None:
            cells.append(_verified(checked, node))
        kept = [shared.setdefault(tuple(cell), cell) for cell in cells]
        if key is not None and len(alike) < _ALIKE_LIMIT:
            alike[key] = (kept, style)
        body.append(([(row.index, DIM)], kept, style))
    color, width = view.color, view.width
    summary = summary_lines(analysis, view)  # all worked out before the first line goes out
    table, fitted = laid_out(header, right, body, color, width, STEPS)
    if "type" in fitted.left_out:
        # An unnamed layer would show no name at all: it shows its label in its block instead
        # (`conv#2`, as diff and check name it), dimmed, since no spec gave it.
        labels = trace.labels
        for at, level, index in unnamed:
            first, others, style = body[at]
            body[at] = (first, [[("  " * level + labels[index].rsplit("/", 1)[-1], DIM)], *others[1:]], style)
        table, fitted = laid_out(header, right, body, color, width, STEPS)
    yield from (_paint(line, BOLD, color) for line in wrap(title(analysis, view), width, indent="  "))
    yield ""
    yield from table
    yield from note_lines(width, color, fitted.left_out, fitted.shortened)
    yield ""
    for heading, text in summary:
        # Wrapped under its text at a narrow terminal; piped, one line each.
        shown = wrap(text, width, indent=" " * 9, first=f"{heading:<8} ")
        yield (_paint(f"{heading:<8}", BOLD, color) + shown[0][8:]).rstrip()
        yield from (line.rstrip() for line in shown[1:])
