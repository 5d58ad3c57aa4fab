"""What the trace's renderers share: the View they show an Analysis in, its rows and number
formats. The renderers themselves, one module per format, are listed in `cnncalc.output`;
each takes `(analysis, view)`: what was worked out (`cnncalc.analysis`), and how to show it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from cnncalc.engine import Node
from cnncalc.figures import ClaimResult
from cnncalc.layers.api import Params, Shape

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis
    from cnncalc.analysis.receptive_field import ReceptiveField
    from cnncalc.engine import Trace
    from cnncalc.spec.model import Limits

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class View:
    """How to show an analysis: none of it changes a number."""

    layout: str = "hwc"  # or "chw"
    color: bool = False
    depth: int | None = None  # deepest block level shown as rows; deeper ones roll up
    width: int | None = None  # columns the human table must fit in (a terminal's); None: every column

    def shape(self, shape: Shape) -> tuple[int, ...]:
        return shape.ordered(self.layout)

    def shape_text(self, shape: Shape) -> str:
        return shape.text(self.layout)

    def output_text(self, trace: Trace, node: Node | None, shape: Shape) -> str:
        """A row's output as `shape_text` shows it; where the row changes its input's axes
        and the sizes shown stay the same (a (C, L) map transposed to (L, D), shown channels
        last), with its axes after it, `(8, 6) (L, D)`, so that the reorder shows."""
        shown = self.shape_text(shape)
        if node is None or not node.sources:
            return shown
        source = trace.nodes[node.sources[0]].output
        if source.axes != shape.axes and self.shape(source) == self.shape(shape):
            return f"{shown} {shape.axis_names(self.layout)}"
        return shown

    def layout_label(self, trace: Trace) -> str:
        """`(H, W, C)` or `(C, H, W)`: the input's axes in the order shown; for token ids
        `(L,)`, the axes of the vectors they become (`(L, D)`), which most rows hold."""
        shapes = (node.output for node in trace.nodes)
        shown = next((s for s in shapes if s.axes != "L"), trace.nodes[0].output)
        return shown.axis_names(self.layout)


def source_of(trace: Trace, node: Node | None) -> int | None:
    """The identity of the shape a row's layer reads first (what `View.output_text` compares
    with), for caches of rows alike; None for a roll-up or an input."""
    if node is None or not node.sources:
        return None
    return id(trace.nodes[node.sources[0]].output)


def claims_for(analysis: Analysis, row: Row) -> dict[str, ClaimResult]:
    """Claims about this very row's layer or block, by field."""
    ref: int | tuple[str, int] = row.node.index if row.node is not None else ("group", row.group)
    return analysis.claims_by_target.get(ref, {})


class Row(NamedTuple):  # a tuple: one per layer, made fast (a dataclass's frozen fields are slow to set)
    """One line of a human table: a layer, or a block rolled up from its layers."""

    index: str  # type: ignore[assignment]  # (the field, over tuple's index(): a row is never searched)
    name: str
    kind: str
    summary: str
    output: Shape
    params: Params
    macs: int  # per sample
    rf: str
    level: int  # nesting: 0 at the top of the spec
    node: Node | None  # None for a block's roll-up
    group: int = -1  # the block's group index, for a roll-up


def rows(analysis: Analysis, view: View) -> Iterator[Row]:
    """Layers in order, each block announced by a roll-up row; blocks deeper than
    `view.depth` show only their roll-up. One at a time: a long network's rows are never
    held all at once."""
    trace, limit = analysis.trace, view.depth
    fields = analysis.receptive_fields
    macs, params = analysis.macs, analysis.params
    members: dict[int, list[Node]] = {}
    for node in trace.nodes:
        for g in node.groups:
            members.setdefault(g, []).append(node)
    opened: set[int] = set()
    for node in trace.nodes:
        for g in node.groups:
            group = trace.groups[g]
            if g in opened or (limit is not None and group.depth > limit):
                continue
            opened.add(g)
            inside = members[g]
            if len(inside) == 1 or (group.parent is not None and len(members[group.parent]) == len(inside)):
                continue  # one layer, or a block that is one composite: a row already says it all
            yield Row(
                index=f"{inside[0].index}-{inside[-1].index}",
                name=group.label,
                kind=group.block,
                summary=f"{len(inside)} layer{'s' if len(inside) != 1 else ''}",
                output=inside[-1].output,
                params=sum((params(n) for n in inside), Params()),
                macs=sum(macs(n) for n in inside),
                rf=rf_text(fields[inside[-1].index]),
                level=group.depth,
                node=None,
                group=g,
            )
        level = len(node.groups)
        if limit is None or level <= limit:
            yield Row(
                str(node.index),
                node.name,
                node.kind,
                node.summary,
                node.output,
                params(node),
                macs(node),
                rf_text(fields[node.index]),
                level,
                node,
            )


def rf_text(rf: ReceptiveField | None) -> str:
    """A receptive field's size as a column shows it: `7`, `7x3`, `7*` where branches differ."""
    if rf is None:
        return ""
    size = rf.size
    text = str(size[0]) if len(set(size)) == 1 else "x".join(str(v) for v in size)
    return text + ("*" if rf.note else "")


def count(n: int) -> str:
    return f"{n:,}"


count_text = count  # for functions with a local `count` (a preset's name)


def short(n: float) -> str:
    """4089184256 -> `4.09 G`, for a human's first glance beside the exact count."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:g}"


def size_text(n: int) -> str:
    """Bytes in binary units: `242.2 KiB`, `1.0 MiB` for 1,044,112 B.

    A unit is left once its figure would need four digits (as `df -h` does), so that no size
    reads `1019.6 KiB`: a person reads the first digits, and those should say "about 1 MiB".
    """
    if n < 1000:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024
        if round(value, 1) < 1000 or unit == "PiB":
            break
    return f"{value:.1f} {unit}"


def input_text(shape: Shape, layout: str = "hwc") -> str:
    """`32×32×3`: an input's sizes in the order shown; token ids `128 tokens`, a count of
    ids rather than the sizes of a tensor of features."""
    from cnncalc.shape import TOKEN_IDS

    dims = "×".join(str(v) for v in shape.ordered(layout))
    return f"{dims} tokens" if shape.axes == TOKEN_IDS else dims


def title(analysis: Analysis, view: View) -> str:
    trace = analysis.trace
    inputs = trace.nodes[: trace.input_count]
    if len(inputs) == 1:
        shown = f"input {input_text(inputs[0].output, view.layout)}"
    else:  # several, by name
        shown = "inputs " + ", ".join(f"{node.name} {input_text(node.output, view.layout)}" for node in inputs)
    return f"{trace.spec.name} · {trace.path} · {shown} · batch {trace.batch} · {trace.dtype}"


def summary_lines(analysis: Analysis, view: View) -> list[tuple[str, str]]:
    """(heading, text) lines under every human-readable table."""
    trace = analysis.trace
    t = analysis.totals
    per = "per sample" if trace.batch == 1 else f"for batch {trace.batch}"
    lines = [
        (
            "params",
            f"{count(t.params.total)}  (trainable {count(t.params.trainable)} · "
            f"non-trainable {count(t.params.non_trainable)} · buffers {count(t.params.buffers)}) "
            f"· weights {size_text(t.weights_bytes)}"
            + (
                f" · active per token {count(t.active_params)} (top-k routed experts only)" if t.inactive_params else ""
            ),
        ),
        (
            "compute",
            f"{count(t.macs)} MACs ({short(t.macs)}) · {count(t.flops)} FLOPs {per} · "
            f"activations {size_text(t.activation_bytes)} {per} (every output, input included)",
        ),
    ]
    if t.kv_cache_bytes_per_token:
        length = trace.nodes[0].output.size("L") if "L" in trace.nodes[0].output.axes else 0
        lines.append(
            (
                "kv cache",
                f"{size_text(t.kv_cache_bytes_per_token)} per token · {size_text(t.kv_cache_bytes)} "
                f"at {count(length)} tokens {per} (keys and values of every causal self-attention)",
            )
        )
    lines += memory_lines(analysis)
    if analysis.claims:
        good = sum(c.confirmed for c in analysis.claims)
        # Claims state cnncalc's convention (the spec format's): --count changes what is shown, not them.
        against = f", checked against cnncalc's own count, not {analysis.count}'s" if analysis.count else ""
        lines.append(("claims", f"{good}/{len(analysis.claims)} confirmed{against}"))
        for c in analysis.claims:
            if not c.confirmed:
                from cnncalc.explain import explain  # only once a claim is refuted

                why = explain(c, trace)
                text = f"✗ {c.target} {c.field}: claimed {_value(c.claimed)}, computed {_value(c.actual)}"
                lines.append(("", f"{text}; {why}" if why else text))
    limits = trace.spec.limits
    if limits is not None:
        lines.append(("limits", _limits_text(analysis, limits)))
    if analysis.verification is not None:
        from cnncalc.report.verification import summary

        lines += summary(analysis.verification, view.layout)
    notes = {rf.note for rf in analysis.receptive_fields if rf and rf.note}
    for note in sorted(notes):
        lines.append(("RF *", note))
    lines.append(("", analysis.convention))
    return lines


PARTS = ("weights", "master weights", "gradients", "optimizer state", "activations", "temporaries")


def memory_lines(analysis: Analysis) -> list[tuple[str, str]]:
    """The inference peak and where it is; under `--train`, the training step's, in parts."""
    from cnncalc.labels import numbered

    trace = analysis.trace
    # Never "per sample": the peaks hold the weights, which do not grow with the batch.
    per = f"at batch {trace.batch}" + (" per GPU" if analysis.parallel else "")
    peak = analysis.inference_memory
    where = f"at {numbered(trace.nodes[peak.at])}" if peak.at else "before the first layer"
    # The peak is one forward pass; a generating model's KV cache (its own line) is on top.
    cache = " · kv cache not included" if analysis.totals.kv_cache_bytes_per_token else ""
    lines = [
        (
            "memory",
            f"inference peak {size_text(peak.total)} {per}, {where} (weights and buffers "
            f"{size_text(peak.parts['weights'])} · activations alive {size_text(peak.parts['activations'])}{cache})",
        )
    ]
    assumed = analysis.memory_forms.text()
    if assumed:  # which forms the peaks assumed, where the spec may say (`inplace:`, `holds:`)
        lines.append(("", f"as run: {assumed}"))
    step = analysis.training_memory
    if step is not None:
        master = f", {analysis.master} master weights" if analysis.master else ""
        master += ", 8-bit optimizer state" if analysis.optimizer_bits == 8 else ""
        where = {"start": "at its start", "step": "in the optimizer's update"}.get(
            step.phase, f"in {step.phase} at {numbered(trace.nodes[step.at])}"
        )
        parts = " · ".join(f"{name} {size_text(step.parts[name])}" for name in PARTS if step.parts.get(name))
        lines.append(
            ("training", f"{analysis.train}{master}: step peak {size_text(step.total)} {per}, {where}: {parts}")
        )
        blocks, macs = analysis.reruns
        if blocks:  # activation checkpointing: what backward runs again
            lines.append(
                (
                    "",
                    f"checkpointed: {blocks:,} blocks run their forward again in backward, {macs:,} MACs "
                    f"a sample on top of the forward's {analysis.totals.macs // trace.batch:,}",
                )
            )
    lines += generation_lines(analysis)
    lines += parallel_lines(analysis)
    unknown = peak.unknown or (step.unknown if step else ())
    for note in unknown:
        lines.append(("", f"not known statically, counted as declared: {note}"))
    return lines


def generation_lines(analysis: Analysis) -> list[tuple[str, str]]:
    """Under `--new-tokens`: the KV cache for the whole context, the prefill's and the last
    decode step's peaks with their parts, and each one's MACs per token."""
    from cnncalc.labels import numbered

    made = analysis.generation
    if made is None:
        return []
    trace = analysis.trace
    per = f"at batch {trace.batch}" + (" per GPU" if analysis.parallel else "")
    cache = made.prefill.parts["kv cache"]
    text = (
        f"{count(made.prompt)}-token prompt + {count(made.new_tokens)} new {per}: kv cache {made.kv_dtype} "
        f"{size_text(cache)} for {count(made.context)} tokens, allocated at the start"
    )
    lines = [("generate", text)]
    assert analysis.step is not None
    for name, peak, nodes, what in (
        ("prefill", made.prefill, trace.nodes, f"the prompt's {count(made.prompt)} tokens"),
        ("decode", made.decode, analysis.step.nodes, f"one token over {count(made.context)}"),
    ):
        where = f"at {numbered(nodes[peak.at])}" if peak.at else "before the first layer"
        lines.append(
            (
                "",
                f"{name} peak {size_text(peak.total)}, {where}: weights {size_text(peak.parts['weights'])} · "
                f"kv cache {size_text(peak.parts['kv cache'])} · activations {size_text(peak.parts['activations'])} "
                f"({what})",
            )
        )
    prefill = made.prefill_macs // made.prompt
    lines.append(
        (
            "",
            f"MACs per token: prefill {count(prefill)} ({short(prefill)}) · decode {count(made.decode_macs)} "
            f"({short(made.decode_macs)}) at {count(made.context)} tokens of context",
        )
    )
    return lines


def parallel_lines(analysis: Analysis) -> list[tuple[str, str]]:
    """Under `--gpus` and the like, how the work is spread and the model states per GPU;
    under `--device-memory`, whether each peak fits and the largest batch that does."""
    lines = []
    if analysis.parallel is not None:
        text = f"{analysis.parallel.describe()}: memory per GPU"
        states = analysis.model_states
        if states is not None:
            parts = " · ".join(f"{name} {size_text(states[name])}" for name in PARTS if states.get(name))
            text += f"; model states {size_text(sum(states.values()))} ({parts})"
        # What sharding.py leaves out, said where its figures are shown.
        text += "; not counted: the layer gathered under ZeRO-3, gradient buckets, communication buffers"
        lines.append(("parallel", text))
    for fit in analysis.fits:
        batch = analysis.trace.batch
        if fit.fits:
            verdict = f"fits at batch {batch}, {size_text(fit.headroom)} headroom"
        else:
            verdict = f"does not fit at batch {batch}, over by {size_text(-fit.headroom)}"
        if fit.largest_batch is None:
            largest = "no batch fits"
        else:
            largest = f"largest batch {fit.largest_batch:,}" + (" (the most searched)" if fit.at_bound else "")
        lines.append(("fits", f"{fit.what} {size_text(fit.peak)} of {size_text(fit.device)}: {verdict}; {largest}"))
    if analysis.fits:
        lines.append(("", "tensors only: fragmentation, the CUDA context and library workspaces come on top"))
    return lines


def _limits_text(analysis: Analysis, limits: Limits) -> str:
    """Each budget beside its figure, measured as `cnncalc check` would (Analysis.budgets)."""
    actual = analysis.budgets()
    if isinstance(actual, str):
        return actual
    shown = []
    for field, limit in limits.budgets().items():
        show = (
            size_text
            if field in ("activation_memory", "weights_bytes", "memory", "train_memory", "device_memory")
            else count_text
        )
        mark = "✓" if actual[field] <= limit else "✗ over"
        shown.append(f"{field} {show(actual[field])} of {show(limit)} {mark}")
    count = limits.count or analysis.count
    by = f" (by {count}'s count)" if count else ""
    return " · ".join(shown) + by


def _value(v: object) -> str:
    if isinstance(v, int):
        return count(v)
    if isinstance(v, list):
        return "(" + ", ".join(str(x) for x in v) + ")"
    return str(v)
