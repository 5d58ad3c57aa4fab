"""Receptive field per node: a pass over the trace, from the window facts layers state.

The standard recurrence `r_out = r_in + (f - 1) * d * j_in`, `j_out = j_in * s`, with
start the centre of the first unit in input pixels. A layer says what it slides
(`Layer.window`: a Window, EVERYTHING for a layer whose every output sees the whole
input, None for a pointwise one); only its `value_inputs` feed the field. Where
branches meet the largest field is kept, noted when their jumps or centres differ;
where one of them has seen the whole input (a squeeze-and-excitation's global
pooling), so has the merge and everything after it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.layers.api import EVERYTHING, Window

if TYPE_CHECKING:
    from cnncalc.engine import Node
    from cnncalc.shape import Shape


@dataclass(frozen=True, slots=True)  # slots: a big network holds many
class ReceptiveField:
    """Per spatial axis: size, jump (effective stride) and start (centre of the first unit)."""

    size: tuple[int, ...]
    jump: tuple[float, ...]
    start: tuple[float, ...]
    note: str = ""  # set where merged branches disagree on jump or centre


class _Whole:
    """The field of a node that has seen the whole input; shown as no local field."""


WHOLE = _Whole()
Field = ReceptiveField | _Whole | None


def receptive_fields(nodes: Sequence[Node]) -> list[ReceptiveField | None]:
    """Each node's field, in order; None where it has no spatial axes or sees the whole input."""
    fields: list[Field] = []
    for node in nodes:
        if node.layer is None:  # the network's input: each pixel sees itself
            spatial = len(node.output.layout.spatial)
            fields.append(ReceptiveField((1,) * spatial, (1.0,) * spatial, (0.5,) * spatial) if spatial else None)
            continue
        incoming = [fields[s] for s in node.sources[: node.layer.value_inputs]]
        fields.append(_step(incoming, node.layer.window(node.inputs), node.output))
    return [field if isinstance(field, ReceptiveField) else None for field in fields]


def _step(incoming: list[Field], window: Window | object | None, output: Shape) -> Field:
    spatial = len(output.layout.spatial)
    if spatial < 1:
        return None
    if window is EVERYTHING or any(field is WHOLE for field in incoming):
        return WHOLE
    known = [field for field in incoming if isinstance(field, ReceptiveField)]
    if not known or any(len(rf.size) != spatial for rf in known):
        return None
    rf = known[0]
    if len(known) > 1:
        size = tuple(max(r.size[i] for r in known) for i in range(spatial))
        differ = any(r.jump != rf.jump or r.start != rf.start for r in known)
        note = "branches differ in jump or centre; largest field shown" if differ else ""
        rf = ReceptiveField(size, rf.jump, rf.start, note or next((r.note for r in known if r.note), ""))
    if not isinstance(window, Window):
        return rf
    spans = tuple(
        r + (f - 1) * d * j for r, f, d, j in zip(rf.size, window.kernel, window.dilation, rf.jump, strict=True)
    )
    jump = tuple(j * s for j, s in zip(rf.jump, window.stride, strict=True))
    start = tuple(
        c + ((f - 1) * d / 2 - p) * j
        for c, f, d, p, j in zip(rf.start, window.kernel, window.dilation, window.pad_before, rf.jump, strict=True)
    )
    # After an upsample the jump is fractional; a field spans whole input pixels, so round up.
    return ReceptiveField(tuple(math.ceil(v - 1e-9) for v in spans), jump, start, rf.note)
