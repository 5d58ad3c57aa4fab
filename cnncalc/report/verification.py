"""How a PyTorch verification reads: a line per spec, a mark per row, a table of differences.

Used by `cnncalc verify`, and by `cnncalc table --verify` through `summary_lines` and
the table's PyTorch column. Plain text; at a terminal (or with COLUMNS set) `cnncalc verify`
wraps its long lines at its width, continuation lines indented.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from cnncalc.findings import plural
from cnncalc.shape import CHANNELS_FIRST, Shape, flat, text
from cnncalc.verify import Comparison, Difference, Verification

if TYPE_CHECKING:
    from cnncalc.memory_tracker import MemoryCheck

FIELD_LABELS = {
    "shape": "output shape",
    "trainable_params": "trainable params",
    "non_trainable_params": "non-trainable params",
    "buffers": "buffers",
    "macs": "MACs",
    "error": "error",
}
MAX_LISTED = 30  # differences listed under a table; the verify command lists them all


def value_text(value: Any, layout: str = "hwc") -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Fraction):
        return f"{float(value):,.1f} (not a whole number)"
    if isinstance(value, Shape):
        return value.text(layout)
    if isinstance(value, tuple):
        return _measured(value).text(layout) if 1 <= len(value) <= 4 else text(value)
    return str(value)


def _measured(dims: tuple[int, ...]) -> Shape:
    """A shape PyTorch measured on a module of a person's own (no spec names its axes),
    read as PyTorch lays such tensors out: features, or channels first."""
    return flat(dims[0]) if len(dims) == 1 else Shape(dims, CHANNELS_FIRST[len(dims) - 1])


def where(v: Verification | Comparison) -> str:
    """`torch 2.13.0 on cpu, batch 2`: which torch, where, at what batch."""
    return f"torch {v.torch_version} on {v.device}, batch {v.batch}"


def row_mark(v: Verification, index: int) -> str:
    """The table's PyTorch cell for one node: ✓, ✗ and the fields that differ, or blank."""
    node = v.node(index)
    if node is None:
        return ""
    if node.error:
        return "✗ error"
    if node.agrees:
        return "✓"
    return "✗ " + ", ".join(FIELD_LABELS[c.field] for c in node.checks if not c.agrees)


def headline(v: Verification) -> str:
    if v.agrees:
        scope = "its 1 layer" if v.checked == 1 else f"all {v.checked} layers"
        return (
            f"{where(v)}: agrees on {scope} and the totals "
            "(output shapes, trainable and non-trainable params, buffers, MACs = FlopCounterMode / 2, per sample)"
        )
    found = v.differences()
    layers = {d.index for d in found if d.index is not None}
    return f"{where(v)}: {plural(len(found), 'difference')} in {plural(len(layers), 'layer')}" + (
        " and the totals" if any(d.index is None for d in found) else ""
    )


def difference_table(found: list[Difference], layout: str = "hwc", indent: str = "") -> list[str]:
    """Aligned lines: layer, field, cnncalc's value, PyTorch's."""
    rows = [("layer", "field", "cnncalc", "PyTorch")]
    for d in found:
        computed = "" if d.field == "error" else value_text(d.computed, layout)
        rows.append((d.label, FIELD_LABELS.get(d.field, d.field), computed, value_text(d.torch, layout)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return [(indent + "  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3]).rstrip() for r in rows]


def summary(v: Verification, layout: str = "hwc") -> list[tuple[str, str]]:
    """(heading, text) lines for the summary under a table."""
    lines = [("PyTorch", ("✓ " if v.agrees else "✗ ") + headline(v))]
    found = v.differences()
    if found:
        table = difference_table(found[:MAX_LISTED], layout)
        lines += [("", line) for line in table]
        if len(found) > MAX_LISTED:
            lines.append(("", f"... and {len(found) - MAX_LISTED} more (cnncalc verify lists them all)"))
    return lines


def render(name: str, path: str, v: Verification, layout: str = "hwc") -> str:
    """`cnncalc verify`'s text for one spec."""
    lines = [f"{'✓' if v.agrees else '✗'} {name} ({path}): {headline(v)}"]
    found = v.differences()
    if found:
        lines += difference_table(found, layout, indent="    ")
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Fraction):
        return float(value)
    return value


def document(v: Verification) -> dict[str, Any]:
    """The verification as JSON-ready data (shapes channels first, counts per sample)."""
    return {
        "torch_version": v.torch_version,
        "device": v.device,
        "batch": v.batch,
        "agrees": v.agrees,
        "layers_checked": v.checked,
        "differences": [
            {
                "index": d.index,
                "layer": d.label,
                "field": d.field,
                "cnncalc": _plain(d.computed),
                "torch": _plain(d.torch),
            }
            for d in v.differences()
        ],
    }


# --against


def render_comparison(name: str, path: str, c: Comparison, layout: str = "hwc") -> str:
    head = f"{name} ({path}) against {c.factory}, {where(c)}"
    if c.error:
        return f"✗ {head}: {c.error}\n"
    lines = [f"{'✓' if c.agrees else '✗'} {head}: {'agrees' if c.agrees else 'differs'}"]
    width = max(len(FIELD_LABELS[k.field]) for k in c.checks)
    for k in c.checks:
        mark = "✓" if k.agrees else "✗"
        text = f"    {mark} {FIELD_LABELS[k.field].ljust(width)}  spec {value_text(k.computed, layout)}"
        lines.append(text + ("" if k.agrees else f", model {value_text(k.torch, layout)}"))
    first = c.first_leaf_mismatch
    count = f"{len(c.spec_leaves)} spec, {len(c.model_leaves)} model"
    if first is None:
        lines.append(f"    ✓ weighted-leaf output shapes  {len(c.spec_leaves)} in the same order")
    else:
        lines.append(
            f"    ✗ weighted-leaf output shapes ({count}) first differ at position {first + 1} "
            "(leaves by depth in the graph, then by shape):"
        )
        rows = [("#", "spec", "model")]
        for i in range(max(0, first - 2), min(first + 3, max(len(c.spec_leaves), len(c.model_leaves)))):
            a = c.spec_leaves[i] if i < len(c.spec_leaves) else None
            b = c.model_leaves[i] if i < len(c.model_leaves) else None
            rows.append(
                (
                    str(i + 1) + (" <" if i == first else ""),
                    f"{a.label} {value_text(a.shape, layout)}" if a else "(none)",
                    f"{b.label} {value_text(b.shape, layout)}" if b else "(none)",
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(2)]
        lines += [f"      {r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2]}".rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def comparison_document(c: Comparison) -> dict[str, Any]:
    first = c.first_leaf_mismatch
    return {
        "against": c.factory,
        "torch_version": c.torch_version,
        "device": c.device,
        "batch": c.batch,
        "agrees": c.agrees,
        "error": c.error or None,
        "checks": [
            {"field": k.field, "spec": _plain(k.computed), "model": _plain(k.torch), "agrees": k.agrees}
            for k in c.checks
        ],
        "leaves": {
            "spec": len(c.spec_leaves),
            "model": len(c.model_leaves),
            "first_mismatch": None if first is None else first + 1,
        },
    }


# `cnncalc verify`'s formats (cnncalc.output): each takes the specs as they are checked.


@dataclass(frozen=True)
class Checked:
    """One spec as `cnncalc verify` checked it: against cnncalc's own PyTorch build, or a person's model."""

    name: str
    path: str
    result: Verification | Comparison


def _text(checked: Checked, layout: str) -> str:
    if isinstance(checked.result, Comparison):
        return render_comparison(checked.name, checked.path, checked.result, layout)
    return render(checked.name, checked.path, checked.result, layout)


def fitted(text: str, width: int | None) -> str:
    """`text` with each line longer than `width` wrapped at spaces, its continuation lines
    indented four more than it (None: as it is)."""
    if width is None:
        return text
    from cnncalc.fit import wrap

    lines = []
    for line in text.splitlines():
        indent = " " * (len(line) - len(line.lstrip(" ")) + 4)
        lines += [part.rstrip() for part in wrap(line.lstrip(" "), width, indent, first=line[: len(indent) - 4])]
    return "\n".join(lines) + "\n"


def _document(checked: Checked) -> dict[str, Any]:
    if isinstance(checked.result, Comparison):
        return {"name": checked.name, "path": checked.path, **comparison_document(checked.result)}
    return {"name": checked.name, "path": checked.path, **document(checked.result)}


def render_text(checked: Iterable[Checked], layout: str = "hwc", width: int | None = None) -> Iterator[str]:
    """Each spec's lines as soon as it is checked: a long run shows its progress; within
    `width` (a terminal's) long lines wrap."""
    for one in checked:
        yield fitted(_text(one, layout), width)


def render_json(checked: Iterable[Checked], layout: str = "hwc") -> Iterator[str]:
    """One JSON array of every spec's document, once all are checked (shapes channels first)."""
    yield json.dumps([_document(one) for one in checked], indent=2) + "\n"


@dataclass
class MemoryChecked:
    """One spec's memory peaks beside PyTorch's (`cnncalc verify --memory`)."""

    path: str
    batch: int
    checks: list[MemoryCheck]


def render_memory(checked: Iterable[MemoryChecked], width: int | None = None) -> Iterator[str]:
    """Each spec's peaks, one line each, as soon as it is checked; within `width`, wrapped."""
    from cnncalc.report import size_text

    for one in checked:
        for check in one.checks:
            mark = "✓" if check.agrees else "✗ more than 5% off"
            what = "inference" if check.what == "inference" else f"training step ({check.what})"
            line = (
                f"{one.path}: {what} peak at batch {one.batch}: cnncalc {size_text(check.computed)} "
                f"({check.computed:,} B), PyTorch {size_text(check.torch)} ({check.torch:,} B), "
                f"{100 * check.error:+.2f}% {mark}"
            )
            yield fitted(line + "\n", width)
