"""What changed between two versions of a network: per layer and in total, with thresholds.

Layers are matched by name where both versions name them, the rest by position in the
trace; a layer only in one version is added or removed. Figures are those of `table`
(per sample unless a batch is given): parameters, MACs and activation bytes.

Thresholds (`--fail-on`) are `METRIC:+AMOUNT`: the METRIC's total may grow by at most
AMOUNT, a percentage of the old total (`params:+5%`) or an absolute count with an
optional K, M, G or T (`macs:+1G`, `memory:+64MiB`; the byte metrics, BYTE_METRICS,
also take B, KiB, MiB, GiB, TiB). METRIC is one of params, macs, flops, memory (activation bytes: every output),
weights (weight bytes), peak (the inference peak, cnncalc.analysis.memory) or train_peak
(the peak of one training step, with `--train`'s optimizer, Adam by default). A `+` is
implied; `:0` fails on any growth.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from cnncalc.analysis import Analysis
from cnncalc.engine import Node, Trace

METRICS = ("params", "macs", "flops", "memory", "weights", "peak", "train_peak")
# The metrics in bytes, whose amounts also take B, KB... and KiB, MiB, GiB, TiB.
BYTE_METRICS = ("memory", "weights", "peak", "train_peak")
_THRESHOLD = re.compile(
    r"^\s*(?P<metric>[a-z_]+)\s*:\s*\+?\s*(?P<amount>[0-9]*\.?[0-9]+)\s*(?P<unit>%|[KMGT]i?B?|B)?\s*$", re.IGNORECASE
)
_SCALE = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_SCALE |= {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_SCALE |= {"ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


class ThresholdError(ValueError):
    """A `--fail-on` value that cannot be read."""


@dataclass(frozen=True)
class Threshold:
    """The most a total may grow: by `amount` (absolute) or by `amount` percent."""

    text: str
    metric: str
    amount: float
    percent: bool


def parse_threshold(text: str) -> Threshold:
    match = _THRESHOLD.match(text)
    if not match:
        raise ThresholdError(f"'{text}' is not METRIC:+AMOUNT, such as params:+5% or macs:+1G")
    metric = match["metric"].lower()
    if metric not in METRICS:
        from cnncalc.errors import did_you_mean

        raise ThresholdError(f"'{metric}' is not one of {', '.join(METRICS)}{did_you_mean(metric, METRICS)}")
    unit = (match["unit"] or "").lower()
    if unit == "%":
        return Threshold(text, metric, float(match["amount"]), True)
    if unit not in _SCALE:
        raise ThresholdError(f"'{match['unit']}' is not a unit: use %, K, M, G, T (or KiB, MiB, GiB for bytes)")
    if unit.endswith(("b", "i")) and metric not in BYTE_METRICS:
        raise ThresholdError(f"{metric} is a count, not bytes: use K, M, G or T")
    # Decimal, not float: 4.1 * 10**9 in binary floating point is 4,099,999,999.99...
    return Threshold(text, metric, float(Decimal(match["amount"]) * _SCALE[unit]), False)


@dataclass(frozen=True)
class Change:
    """One figure before and after."""

    old: int
    new: int

    @property
    def delta(self) -> int:
        return self.new - self.old

    @property
    def percent(self) -> float | None:
        """Relative change in percent; None when there was nothing before."""
        if self.old == 0:
            return None if self.new == 0 else math.inf
        return 100.0 * self.delta / self.old


@dataclass(frozen=True)
class LayerChange:
    """One layer, matched across the versions (None on the side it is missing from)."""

    label: str
    old: Node | None
    new: Node | None
    params: Change
    macs: Change
    memory: Change

    @property
    def status(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        same = (
            self.params.delta == 0
            and self.macs.delta == 0
            and self.memory.delta == 0
            and self.old.kind == self.new.kind
            and self.old.output == self.new.output
        )
        return "same" if same else "changed"


@dataclass(frozen=True)
class Verdict:
    threshold: Threshold
    change: Change
    limit: float

    @property
    def crossed(self) -> bool:
        return self.change.delta > self.limit


@dataclass
class Diff:
    old: Trace
    new: Trace
    layers: list[LayerChange]
    total: dict[str, Change]
    verdicts: list[Verdict] = field(default_factory=list)
    count: str | None = None  # the preset both sides were counted by (`--count`); None: cnncalc's own
    convention: str | None = None  # the report's line naming that preset

    @property
    def failed(self) -> bool:
        return any(v.crossed for v in self.verdicts)


def _figures(node: Node | None, analysis: Analysis) -> tuple[int, int, int]:
    if node is None:
        return 0, 0, 0
    trace = analysis.trace
    batch = trace.batch
    return analysis.params(node).total, analysis.macs(node) * batch, node.output_size * batch * trace.bytes_per_element


def _memory_nodes(analysis: Analysis) -> Sequence[Node]:
    """The nodes the peaks are measured on: the trace's; under a preset that counts parameters
    (`--count keras`), with the preset's parameters, as `diff` has always measured them."""
    shown = analysis.shown
    if shown is None or shown.params is None:
        return analysis.trace.nodes
    return [dataclasses.replace(n, params=p) for n, p in zip(analysis.trace.nodes, shown.params, strict=True)]


def match(old: Trace, new: Trace) -> list[tuple[Node | None, Node | None]]:
    """Pairs of nodes, in the new version's order with removed ones after their old neighbour."""
    old_nodes, new_nodes = old.layer_nodes, new.layer_nodes  # not the inputs
    old_labels = {old.labels[n.index]: n for n in old_nodes}
    new_labels = set(new.labels)
    paired: dict[int, Node] = {}  # new index -> old node
    used: set[int] = set()
    for node in new_nodes:
        partner = old_labels.get(new.labels[node.index])
        if partner is not None and partner.index not in used:
            paired[node.index] = partner
            used.add(partner.index)
    old_by_index = {n.index: n for n in old_nodes}
    for node in new_nodes:
        if node.index in paired:
            continue
        partner = old_by_index.get(node.index)
        # by position only where the old layer's label is not found elsewhere in the new version
        if partner is not None and partner.index not in used and old.labels[partner.index] not in new_labels:
            paired[node.index] = partner
            used.add(partner.index)
    pairs: list[tuple[Node | None, Node | None]] = []
    removed = [n for n in old_nodes if n.index not in used]
    for node in new_nodes:
        partner = paired.get(node.index)
        while removed and partner is not None and removed[0].index < partner.index:
            pairs.append((removed.pop(0), None))
        pairs.append((partner, node))
    pairs.extend((n, None) for n in removed)
    return pairs


def compare(
    old_version: Trace | Analysis,
    new_version: Trace | Analysis,
    thresholds: list[Threshold] | None = None,
    optimizer: str = "adam",
) -> Diff:
    """Every layer's and the totals' change, and each threshold's verdict; the training
    peak is one step's with `optimizer`. The figures are the analyses' (a preset's under
    `--count`); a trace is compared in cnncalc's own count."""
    from cnncalc.analysis.memory import Precision, inference_peak, training_peak

    before = old_version if isinstance(old_version, Analysis) else Analysis(old_version)
    after = new_version if isinstance(new_version, Analysis) else Analysis(new_version)
    old, new = before.trace, after.trace
    rows = []
    for a, b in match(old, new):
        pa, ma, ba = _figures(a, before)
        pb, mb, bb = _figures(b, after)
        label = new.labels[b.index] if b is not None else old.labels[a.index] if a is not None else ""
        rows.append(LayerChange(label, a, b, Change(pa, pb), Change(ma, mb), Change(ba, bb)))
    ot, nt = before.totals, after.totals
    measured = [(t, _memory_nodes(a)) for t, a in ((old, before), (new, after))]
    total = {
        "params": Change(ot.params.total, nt.params.total),
        "macs": Change(ot.macs, nt.macs),
        "flops": Change(ot.flops, nt.flops),
        "memory": Change(ot.activation_bytes, nt.activation_bytes),
        "weights": Change(ot.weights_bytes, nt.weights_bytes),
        "peak": Change(*(inference_peak(nodes, t.batch, t.dtype).total for t, nodes in measured)),
        "train_peak": Change(
            *(
                training_peak(nodes, t.batch, optimizer, Precision(t.bytes_per_element, t.bytes_per_element)).total
                for t, nodes in measured
            )
        ),
    }
    verdicts = []
    for t in thresholds or []:
        change = total[t.metric]
        limit = change.old * t.amount / 100 if t.percent else t.amount
        verdicts.append(Verdict(t, change, limit))
    return Diff(old, new, rows, total, verdicts)
