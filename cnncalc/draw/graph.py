"""An Analysis as a diagram: boxes, arrows and clusters, ready for a renderer to write out.

A box is a layer, or a block or composite collapsed at `view.depth` into one box with
its totals (the table's roll-up rows, drawn). Blocks and composites that stay open are
clusters around their layers. Arrows follow the nodes' `sources`, so merges, skips and
branches are drawn as the graph they are, and carry the shape that flows along them.
Collapsed blocks of one kind and size in a row (ResNet's 35 like bottlenecks of one stage,
DenseNet's dense layers), and at any `--depth` the copies of one `repeat:`ed layer (ViT's
encoder layers), fold into one box marked `×n`, so that a deep network still fits a page.
A block of two layers in a row (a conv and its batchnorm) is drawn as its two boxes, not as a
cluster of its own. Boxes and clusters are listed in the spec's order, so that branches are
drawn in the order they are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from cnncalc.engine import Node, Trace
from cnncalc.layers.api import Params
from cnncalc.report import View, count, short

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis


@dataclass
class Box:
    """One box: a layer, or a collapsed block (`layers` > 1)."""

    id: str  # made here (`n12`, `g3`), never from a user's name: renderers need not escape it
    name: str
    kind: str
    summary: str
    shape: str
    params: int
    macs: int  # per sample
    share: float  # of the network's MACs, 0..1
    cluster: str | None  # the innermost open cluster around it
    layers: int = 1  # primitive layers inside
    copies: int = 1  # blocks of one kind in a row, folded into this box
    repeated: int | None = None  # for a copy of a `repeat:`ed layer, the first copy's node index

    @property
    def figures(self) -> str:
        """`params 456 · MACs 352,800 (353 k)`; nothing for the input."""
        if self.kind == "input":
            return ""
        macs = f"MACs {count(self.macs)}" + (f" ({short(self.macs)})" if self.macs >= 1000 else "")
        return f"params {count(self.params)} · {macs}"

    @property
    def heading(self) -> str:
        return f"{self.name} ×{self.copies}" if self.copies > 1 else self.name

    @property
    def detail(self) -> str:
        """`conv · 5x5, s1, 6 filters` (kind, then the layer's hyperparameters)."""
        if self.kind == "input":
            return ""
        return f"{self.kind} · {self.summary}" if self.summary else self.kind


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    shape: str  # the shape flowing along it


@dataclass
class Cluster:
    id: str
    name: str
    kind: str
    parent: str | None
    boxes: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # box and cluster ids, in the spec's order

    @property
    def heading(self) -> str:
        return f"{self.name} ({self.kind})" if self.kind and self.kind != self.name else self.name


@dataclass
class Diagram:
    title: str  # two lines, "\n" between
    boxes: list[Box]
    arrows: list[Arrow]
    clusters: dict[str, Cluster]
    heaviest: float  # the largest share of MACs of any box, for shading
    top: list[str] = field(default_factory=list)  # box and cluster ids in no cluster, in the spec's order
    folded: dict[str, str] = field(default_factory=dict)  # a box folded away -> the box that holds it

    @property
    def top_clusters(self) -> list[Cluster]:
        return [c for c in self.clusters.values() if c.parent is None]

    def loose_boxes(self) -> list[Box]:
        """Boxes in no cluster."""
        return [b for b in self.boxes if b.cluster is None]

    def branches(self) -> list[tuple[str | None, list[str]]]:
        """(cluster, the first boxes of the branches in the spec's order) for every box whose
        arrows all go to boxes of one cluster that nothing else feeds: an Inception block's
        four branches, which a renderer keeps side by side in this order."""
        into: dict[str, int] = {}
        out_of: dict[str, list[str]] = {}
        for arrow in self.arrows:  # in the order of the nodes they reach, the spec's order
            into[arrow.target] = into.get(arrow.target, 0) + 1
            out_of.setdefault(arrow.source, []).append(arrow.target)
        cluster = {b.id: b.cluster for b in self.boxes}
        found = []
        for heads in out_of.values():
            if len(heads) > 1 and all(into[h] == 1 for h in heads) and len({cluster[h] for h in heads}) == 1:
                found.append((cluster[heads[0]], heads))
        return found

    def shade(self, box: Box) -> float:
        """0..1: the box's share of the MACs, relative to the heaviest box's."""
        return box.share / self.heaviest if self.heaviest > 0 else 0.0


def build(analysis: Analysis, view: View) -> Diagram:
    """The diagram of `analysis.trace` with blocks deeper than `view.depth` collapsed."""
    trace, limit = analysis.trace, view.depth
    macs_of, params_of = analysis.macs, analysis.params
    members: dict[int, list[Node]] = {}
    for node in trace.nodes:
        for g in node.groups:
            members.setdefault(g, []).append(node)

    def same_as_parent(g: int) -> bool:
        # A block that is one composite (a bottleneck that is one residual) says nothing its parent does not.
        parent = trace.groups[g].parent
        return parent is not None and len(members[parent]) == len(members[g])

    def pair(g: int) -> bool:
        # Two layers in a row (a conv and its batchnorm): a cluster around them would only add a frame.
        inside = members[g]
        return len(inside) == 2 and inside[1].sources == (inside[0].index,)

    owner: dict[int, str] = {}  # node index -> box id
    collapsed: dict[str, int] = {}  # box id -> group
    open_groups: dict[int, list[int]] = {}  # node index -> the clusters around its box, outermost first
    pairs: dict[int, int] = {}  # node index -> the pair it is drawn in without a cluster
    for node in trace.nodes:
        groups = list(node.groups)
        shown = groups
        if limit is not None and len(groups) > limit:
            keep = limit
            while keep > 0 and same_as_parent(groups[keep]):
                keep -= 1
            shown = groups[:keep]
            g = groups[keep]
            if len(members[g]) > 1:
                owner[node.index] = f"g{g}"
                collapsed[f"g{g}"] = g
        owner.setdefault(node.index, f"n{node.index}")
        open_groups[node.index] = [g for g in shown if len(members[g]) > 1 and not same_as_parent(g) and not pair(g)]
        paired = [g for g in shown if pair(g)]
        if paired:
            pairs[node.index] = paired[0]

    first_copy: dict[int, int] = {}  # id of a repeated layer's parsed Layer -> its first copy's node index

    total_macs = max(sum(macs_of(n) for n in trace.nodes), 1)
    boxes: dict[str, Box] = {}
    clusters: dict[str, Cluster] = {}
    top: list[str] = []
    for node in trace.nodes:
        box_id = owner[node.index]
        around = open_groups[node.index]
        for outer, g in zip([None, *around], around, strict=False):
            cid = f"c{g}"
            if cid not in clusters:
                group = trace.groups[g]
                parent = f"c{outer}" if outer is not None else None
                clusters[cid] = Cluster(cid, group.label, group.block, parent)
                if parent is not None:
                    clusters[parent].children.append(cid)
                    clusters[parent].items.append(cid)
                else:
                    top.append(cid)
        cluster = f"c{around[-1]}" if around else None
        if box_id in boxes:
            continue
        if box_id in collapsed:
            g = collapsed[box_id]
            inside = members[g]
            macs = sum(macs_of(n) for n in inside)
            group = trace.groups[g]
            box = Box(
                box_id,
                group.label,
                group.block,
                f"{len(inside)} layers",
                view.shape_text(inside[-1].output),
                sum((params_of(n) for n in inside), Params()).total,
                macs,
                macs / total_macs,
                cluster,
                layers=len(inside),
            )
        else:
            repeated = None
            if limit is not None and node.layer is not None and node.layer.repeat > 1:
                repeated = first_copy.setdefault(id(node.layer), node.index)
            box = Box(
                box_id,
                _name(trace, node, clusters[cluster].name if cluster else None, pairs.get(node.index)),
                node.kind,
                node.summary,
                view.output_text(trace, node, node.output),
                params_of(node).total,
                macs_of(node),
                macs_of(node) / total_macs,
                cluster,
                repeated=repeated,
            )
        boxes[box_id] = box
        if cluster is not None:
            clusters[cluster].boxes.append(box_id)
            clusters[cluster].items.append(box_id)
        else:
            top.append(box_id)

    arrows: dict[tuple[str, str], Arrow] = {}
    for node in trace.nodes:
        target = owner[node.index]
        for s in node.sources:
            source = owner[s]
            if source != target and (source, target) not in arrows:
                arrows[source, target] = Arrow(source, target, view.shape_text(trace.nodes[s].output))
    ordered = list(boxes.values())
    diagram = Diagram(_title(analysis, view), ordered, list(arrows.values()), clusters, 0.0, top)
    _fold_repeats(diagram)
    diagram.heaviest = max((b.share for b in diagram.boxes), default=0.0)
    return diagram


BUSY = 100  # boxes past which a drawing is more than a page can show


def depth_hint(analysis: Analysis, view: View) -> str | None:
    """A line for stderr when the drawing has more than BUSY boxes and a smaller `--depth`
    would draw fewer: the largest depth that fits in BUSY boxes, else 0."""
    boxes = len(build(analysis, view).boxes)
    deepest = max((g.depth for g in analysis.trace.groups), default=-1)
    shallower = deepest + 1 if view.depth is None else min(view.depth, deepest + 1)
    if boxes <= BUSY or shallower == 0:
        return None
    for depth in range(shallower - 1, -1, -1):
        fewer = len(build(analysis, replace(view, depth=depth)).boxes)
        if fewer <= BUSY:
            break
    return (
        f"{boxes:,} boxes make a large drawing; --depth {depth} draws blocks nested deeper than {depth} "
        f"as one box each ({fewer:,} boxes)"
    )


def _title(analysis: Analysis, view: View) -> str:
    """`lenet · input 32×32×3`, then `params 62,006 · MACs 651,720 (652 k) per sample`: no path, so that a
    drawing is the same from any folder."""
    trace, totals = analysis.trace, analysis.totals
    inputs = trace.nodes[: trace.input_count]
    dims = ", ".join(
        ("" if len(inputs) == 1 else f"{node.name} ") + "×".join(str(v) for v in view.shape(node.output))
        for node in inputs
    )
    batch = f" · batch {trace.batch}" if trace.batch != 1 else ""
    macs = sum(analysis.macs(n) for n in trace.nodes)  # totals.macs is for the whole batch
    return (
        f"{trace.spec.name} · input{'s' if len(inputs) > 1 else ''} {dims}{batch}\n"
        f"params {count(totals.params.total)} · MACs {count(macs)} ({short(macs)}) per sample"
    )


def _name(trace: Trace, node: Node, cluster: str | None, pair: int | None) -> str:
    """The layer's name, else its label (`block/conv#2`); inside the block's cluster, which
    names the block, `conv#2` says it. A layer of a pair drawn without a cluster (`pair`, its
    group) keeps the pair's name, less the cluster's: `basic.1/conv#1` in `inception3a`."""
    if node.name:
        return node.name
    label = trace.labels[node.index]
    if pair is None:
        return label.rsplit("/", 1)[-1] if cluster is not None else label
    group = trace.groups[pair].label
    if cluster is not None and group.startswith(cluster + "."):
        group = group[len(cluster) + 1 :]
    return f"{group}/{label.rsplit('/', 1)[-1]}"


def _fold_repeats(diagram: Diagram) -> None:
    """Fold a run of collapsed blocks of one kind and layer count, or of copies of one
    `repeat:`ed layer, each fed only by the one before, into its first box: `bottleneck ×35`,
    with the run's totals and its last output."""
    into: dict[str, list[Arrow]] = {}
    out_of: dict[str, list[Arrow]] = {}
    for arrow in diagram.arrows:
        into.setdefault(arrow.target, []).append(arrow)
        out_of.setdefault(arrow.source, []).append(arrow)
    by_id = {b.id: b for b in diagram.boxes}
    gone: dict[str, str] = {}  # folded box -> the box it folded into
    for box in diagram.boxes:
        if box.id in gone or (box.layers == 1 and box.repeated is None):
            continue
        head, last = box, box
        while True:
            nexts = out_of.get(last.id, [])
            if len(nexts) != 1:
                break
            follower = by_id[nexts[0].target]
            fed = into.get(follower.id, [])
            if not (
                len(fed) == 1
                and follower.layers == last.layers
                and follower.kind == head.kind
                and follower.summary == head.summary
                and follower.cluster == head.cluster
                and follower.repeated == head.repeated
            ):
                break
            gone[follower.id] = head.id
            head.copies += 1
            head.params += follower.params
            head.macs += follower.macs
            head.share += follower.share
            head.shape = follower.shape  # what leaves the run
            last = follower
        if head.copies > 1:
            if head.layers > 1:  # a layer's own summary says what each copy is
                head.summary = f"{head.copies} × {head.layers} layers"
            head.name = f"{head.name} … {_tail(head.name, last.name)}"
    if not gone:
        return
    diagram.folded = gone
    diagram.boxes = [b for b in diagram.boxes if b.id not in gone]
    arrows: dict[tuple[str, str], Arrow] = {}
    for arrow in diagram.arrows:
        source, target = gone.get(arrow.source, arrow.source), gone.get(arrow.target, arrow.target)
        if source != target and (source, target) not in arrows:
            arrows[source, target] = Arrow(source, target, arrow.shape)
    diagram.arrows = list(arrows.values())
    for cluster in diagram.clusters.values():
        cluster.boxes = [b for b in cluster.boxes if b not in gone]
        cluster.items = [b for b in cluster.items if b not in gone]
    diagram.top = [b for b in diagram.top if b not in gone]


def _tail(first: str, last: str) -> str:
    """`layer1.block.3` after `layer1.block.2`: `3`, the part after what they share."""
    shared = 0
    for i, (a, b) in enumerate(zip(first, last, strict=False)):
        if a != b:
            break
        if a in "./":
            shared = i + 1
    return last[shared:]


def fill(shade: float) -> str:
    """A fill colour from white (no MACs) to orange (the heaviest box), as `#rrggbb`."""
    light, heavy = (255, 255, 255), (244, 162, 97)
    mixed = (round(a + (b - a) * max(0.0, min(shade, 1.0))) for a, b in zip(light, heavy, strict=True))
    return "#" + "".join(f"{v:02x}" for v in mixed)
