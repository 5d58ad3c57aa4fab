"""What `cnncalc diff` found, as a Mermaid flowchart for the Markdown summary of a pull request.

Each added, removed or changed layer is a box coloured by its status, with its parameter and
MAC changes; each run of unchanged layers between them is one grey box. Arrows follow the new
version's graph (its nodes' sources); a removed layer hangs, dashed, after its old neighbour.
"""

from __future__ import annotations

from cnncalc.diff import Diff, LayerChange
from cnncalc.draw.mermaid import text
from cnncalc.report import count

COLOURS = {
    "added": "fill:#d4edda,stroke:#2e7d32",
    "removed": "fill:#f8d7da,stroke:#c62828,stroke-dasharray:4 3",
    "changed": "fill:#fff3cd,stroke:#b8860b",
    "same": "fill:#f2f2f2,stroke:#9e9e9e,color:#666666",
}
MAX_BOXES = 150  # past this a diagram helps nobody (and Mermaid's size limit nears)


def _signed(n: int) -> str:
    return f"+{n:,}" if n > 0 else f"{n:,}"


def _label(row: LayerChange) -> str:
    old_kind = row.old.kind if row.old else ""
    new_kind = row.new.kind if row.new else ""
    kind = new_kind or old_kind
    if old_kind and new_kind and old_kind != new_kind:
        kind = f"{old_kind} → {new_kind}"
    lines = [f"<b>{text(row.label)}</b>", f"{text(kind)} · {row.status}"]
    lines.append(f"params {count(row.params.new if row.new else row.params.old)} ({_signed(row.params.delta)})")
    lines.append(f"MACs {count(row.macs.new if row.new else row.macs.old)} ({_signed(row.macs.delta)})")
    return '"' + "<br>".join(lines) + '"'


def mermaid(diff: Diff, rankdir: str = "TB") -> str | None:
    """The flowchart, or None when nothing changed or the change is too large to draw."""
    if all(row.status == "same" for row in diff.layers):
        return None
    boxes: list[tuple[str, str, str]] = []  # id, label, status
    owner: dict[int, str] = {}  # new node index -> box id
    removed_after: list[tuple[str, str | None]] = []  # removed box, the box before it
    run: list[LayerChange] = []

    def close_run() -> None:
        if run:
            box = f"u{len(boxes)}"
            what = f"{len(run)} unchanged layer{'s' if len(run) != 1 else ''}"
            boxes.append((box, f'"{text(run[0].label)} … {text(run[-1].label)}<br>{what}"', "same"))
            if len(run) == 1:
                boxes[-1] = (box, f'"{text(run[0].label)}<br>unchanged"', "same")
            for row in run:
                if row.new is not None:
                    owner[row.new.index] = box
            run.clear()

    for row in diff.layers:
        if row.status == "same":
            run.append(row)
            continue
        close_run()
        box = f"c{len(boxes)}"
        previous = boxes[-1][0] if boxes else None
        boxes.append((box, _label(row), row.status))
        if row.new is None:
            removed_after.append((box, previous))
        else:
            owner[row.new.index] = box
    close_run()
    if len(boxes) > MAX_BOXES:
        return None
    for index in range(diff.new.input_count):  # one box for the inputs
        owner.setdefault(index, "input")
    lines = [f"flowchart {rankdir}", '  input(["input"])']
    lines += [f"  {box}[{label}]" for box, label, _ in boxes]
    arrows: set[tuple[str, str]] = set()
    for node in diff.new.layer_nodes:
        for source in node.sources:
            a, b = owner[source], owner[node.index]
            if a != b and (a, b) not in arrows:
                arrows.add((a, b))
                lines.append(f"  {a} --> {b}")
    for box, previous in removed_after:
        lines.append(f"  {previous or 'input'} -.-> {box}")
    lines += [f"  style {box} {COLOURS[status]}" for box, _, status in boxes]
    return "\n".join(lines) + "\n"
