"""Peak memory: a pass over the trace, from what each layer says its op holds.

Inference (`inference_peak`): one forward in execution order. Weights and buffers are
there throughout, and so is the input (its caller holds it); each layer makes its
output (nothing when the output is a view of its input) and any tensor it makes only
while it runs; a tensor lives from the layer that makes it to its last reader, so skips
and concatenations stay alive as long as someone will read them.

A training step (`training_peak`): the second of `zero_grad(set_to_none=True);
model(x).sum().backward(); optimizer.step()`. It starts holding weights, buffers, the
input, last step's gradients and the optimizer's state; zero_grad drops the gradients.
The forward keeps, besides what inference keeps, what autograd saves for backward
(`Layer.footprint`: a conv its input, a ReLU its output, max pooling its indices).
Backward runs the layers in reverse: each makes its inputs' gradients (or hands on views
of its own, `grad_through`) and its parameters' gradients, and drops what it saved. The
optimizer step adds its own temporaries (Adam: two tensors the size of the largest
parameter, for `sqrt(v) / bias_correction`). The peak is the largest sum over that
timeline, with its parts.

Counted at the level of tensors, as PyTorch's own storages are (`cnncalc.memory_tracker`
measures them); an allocator's rounding and library workspaces come on top.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cnncalc.layers.api import Extra, Footprint, prod
from cnncalc.shape import DTYPE_BYTES as DTYPE_BYTES  # re-exported: reports and tests read it here
from cnncalc.shape import TOKEN_IDS

if TYPE_CHECKING:
    from cnncalc.engine import Node

TOKEN_ID_BYTES = 8  # token ids are int64, as nn.Embedding wants them
# Tensors of optimizer state per trainable parameter (Adam's one-element step counts,
# 4 bytes a parameter tensor, are left out), and whether the update makes temporaries:
# Adam's `exp_avg_sq.sqrt() / bias_correction2_sqrt`, two tensors of one parameter's size.
OPTIMIZER_STATE: dict[str, tuple[int, int]] = {
    "sgd": (0, 0),
    "momentum": (1, 0),
    "adam": (2, 2),
    "adamw": (2, 2),
}
OPTIMIZERS = tuple(OPTIMIZER_STATE)


@dataclass(frozen=True)
class Peak:
    """The largest sum of bytes alive at once, where it happens, and its parts."""

    total: int
    at: int  # the node whose step holds the peak (0: before the first layer)
    phase: str  # "forward", "backward", "step" or "start"
    parts: dict[str, int] = field(default_factory=dict)  # what the total is made of
    unknown: tuple[str, ...] = ()  # layers whose saved tensors are not known statically


@dataclass(frozen=True)
class Precision:
    """Bytes per element of each kind of tensor in a training step."""

    activations: int
    weights: int
    master: int = 0  # 0: no separate master copy of the weights
    state: int = 0  # optimizer state; 0: as the master weights, else as the weights

    @property
    def state_bytes(self) -> int:
        return self.state or self.master or self.weights


def _node_bytes(node: Node, batch: int, itemsize: int) -> int:
    return prod(node.output) * batch * itemsize


def _input_bytes(nodes: Sequence[Node], batch: int, itemsize: int) -> int:
    """The input's bytes: token ids are int64 whatever the activations' dtype."""
    return _node_bytes(nodes[0], batch, TOKEN_ID_BYTES if nodes[0].output.axes == TOKEN_IDS else itemsize)


def _extra_bytes(extras: Sequence[Extra], batch: int, itemsize: int) -> int:
    return sum(e.elements * (batch if e.per_sample else 1) * (e.itemsize or itemsize) for e in extras)


def footprints(nodes: Sequence[Node], training: bool) -> list[Footprint]:
    """Each node's footprint, node 0 (the input) holding nothing of its own."""
    found = [Footprint()]
    reordered: set[int] = set()  # nodes whose output is out of storage order
    # A long network repeats a few layers on a few shapes, shared as one object each by the
    # engine: each pair is asked once (ids are stable while `nodes` holds them).
    asked: dict[tuple[int, int], Footprint] = {}
    for node in nodes[1:]:
        assert node.layer is not None
        key = (id(node.layer), id(node.inputs))
        footprint = asked.get(key)
        if footprint is None:
            footprint = asked[key] = node.layer.memory_footprint(node.inputs, node.output, training)
        source = node.sources[0] if node.sources else None
        if source in reordered and footprint.if_reordered is not None:
            footprint = footprint.if_reordered
        if footprint.reorders or (footprint.view and source in reordered and not footprint.reshapes):
            reordered.add(node.index)
        found.append(footprint)
    return found


def _storages(nodes: Sequence[Node], prints: Sequence[Footprint]) -> list[int]:
    """The storage each node's output lives in: its own index, or its view's source's."""
    storage: list[int] = []
    reordered: set[int] = set()  # nodes whose output is a view out of storage order
    for node, fp in zip(nodes, prints, strict=True):
        source = node.sources[0] if node.sources else None
        copies = fp.reshapes and source in reordered  # a reshape of a permuted view copies
        if fp.view and source is not None and not copies:
            storage.append(storage[source])
            if fp.reorders or source in reordered:
                reordered.add(node.index)
        else:
            storage.append(node.index)
    return storage


def weights_bytes(nodes: Sequence[Node], itemsize: int) -> tuple[int, int, int]:
    """(trainable, frozen, buffers) bytes."""
    trainable = sum(n.params.trainable for n in nodes) * itemsize
    frozen = sum(n.params.non_trainable for n in nodes) * itemsize
    buffers = sum(n.params.buffers for n in nodes) * itemsize
    return trainable, frozen, buffers


def inference_peak(nodes: Sequence[Node], batch: int, dtype: str = "float32") -> Peak:
    """The peak of one forward without gradients, and the layer where it happens."""
    itemsize = DTYPE_BYTES[dtype]
    prints = footprints(nodes, training=False)
    storage = _storages(nodes, prints)
    last = _LastReaders(nodes, storage)
    first, following = last.first, last.next
    trainable, frozen, buffers = weights_bytes(nodes, itemsize)
    fixed = trainable + frozen + buffers
    live = {0: _input_bytes(nodes, batch, itemsize)}  # storage -> bytes; the caller holds the input
    alive = live[0]  # their sum
    best, at = alive, 0
    final = len(nodes) - 1
    for node, fp in zip(nodes[1:], prints[1:], strict=True):
        i = node.index
        if storage[i] == i:
            live[i] = made = math.prod(node.output) * batch * itemsize  # (_node_bytes, inline: once a layer)
            alive += made
        acts = alive + _extra_bytes(fp.passing, batch, itemsize) if fp.passing else alive
        if acts > best:
            best, at = acts, i
        s = first[i]  # the storages read last here (last.of(i), without a generator a layer)
        while s >= 0:
            if s not in (0, storage[final]):
                alive -= live.pop(s, 0)
            s = following[s]
    return Peak(fixed + best, at, "forward", {"weights": fixed, "activations": best}, _unknown(nodes, prints))


class _LastReaders:
    """For each node, the storages whose last reader it is (a view's readers read its source;
    a node that holds an output, `Node.holds`, counts as its reader).

    Kept as two flat arrays, a linked list per node, rather than a dict of lists: a network
    of 200,000 layers would otherwise spend some 35 MiB on this index alone.
    """

    def __init__(self, nodes: Sequence[Node], storage: Sequence[int]) -> None:
        count = len(nodes)
        last = array("q", [-1]) * count  # storage -> its last reader
        for node in nodes[1:]:
            for s in (*node.sources, *node.holds):  # a held argument lives as if read
                last[storage[s]] = node.index
        self.first = array("q", [-1]) * count  # node -> one storage it reads last
        self.next = array("q", [-1]) * count  # storage -> another storage of the same node
        for s in range(count):
            reader = last[s]
            if reader >= 0:
                self.next[s] = self.first[reader]
                self.first[reader] = s

    def of(self, node: int) -> Iterator[int]:
        """The storages whose last reader is `node`."""
        s = self.first[node]
        while s >= 0:
            yield s
            s = self.next[s]


@dataclass(frozen=True)
class Forms:
    """The forms the peaks assumed where a spec may say how the code runs (issue 22):
    for each kind of op that can run in place, (how many do, how many there are); and how
    many outputs are held past their last reader (a block's argument, `holds:`)."""

    in_place: dict[str, tuple[int, int]]
    held: int

    def text(self) -> str:
        """One line for the table: `activations in place 17 of 17 · 12 outputs held ...`."""
        parts = [f"{what} in place {done:,} of {total:,}" for what, (done, total) in self.in_place.items()]
        if self.held:
            parts.append(f"{self.held:,} outputs held to a block's end (`keeps_argument`, `holds`)")
        return " · ".join(parts)


def forms(nodes: Sequence[Node]) -> Forms:
    """Which forms the spec says its ops run in (in place or not), counted by what they are."""
    in_place: dict[str, tuple[int, int]] = {}
    # Asked of each layer object once: a long network repeats a few (ids are stable while `nodes` holds them).
    asked: dict[int, tuple[tuple[str, bool], ...]] = {}
    for node in nodes[1:]:
        assert node.layer is not None
        said = asked.get(id(node.layer))
        if said is None:
            said = asked[id(node.layer)] = node.layer.memory_forms()
        for what, inplace in said:
            done, total = in_place.get(what, (0, 0))
            in_place[what] = (done + inplace, total + 1)
    return Forms(in_place, sum(len(node.holds) for node in nodes))


def _unknown(nodes: Sequence[Node], prints: Sequence[Footprint]) -> tuple[str, ...]:
    from cnncalc.labels import numbered

    return tuple(f"{numbered(n)}: {fp.unknown}" for n, fp in zip(nodes, prints, strict=True) if fp.unknown)


def _needs_grad(nodes: Sequence[Node]) -> list[bool]:
    """Whether autograd records each node: it holds trainable weights or reads one that does."""
    needs = [False]
    for node in nodes[1:]:
        needs.append(node.params.trainable > 0 or any(needs[s] for s in node.sources))
    return needs


def training_peak(
    nodes: Sequence[Node],
    batch: int,
    optimizer: str,
    precision: Precision | None = None,
    per_gpu: Callable[[dict[str, int]], dict[str, int]] | None = None,
) -> Peak:
    """The peak of one training step, broken into weights, gradients, optimizer state,
    activations (saved for backward, or alive in the forward) and the step's temporaries;
    with `per_gpu` (cnncalc.analysis.sharding), of one GPU's share of each part."""
    precision = precision or Precision(4, 4)
    act = precision.activations
    prints = footprints(nodes, training=True)
    storage = _storages(nodes, prints)
    needs = _needs_grad(nodes)
    trainable = sum(n.params.trainable for n in nodes)
    others = sum(n.params.non_trainable + n.params.buffers for n in nodes)
    weights = (trainable + others) * precision.weights + trainable * precision.master
    tensors, temporaries = OPTIMIZER_STATE[optimizer]
    if precision.state == 1:
        temporaries = 0  # 8-bit state (bitsandbytes) is updated in one fused kernel
    state = tensors * trainable * precision.state_bytes
    all_grads = trainable * precision.weights
    input_bytes = _input_bytes(nodes, batch, act)
    unknown = _unknown(nodes, prints)
    fixed = {"weights": weights, "optimizer state": state}
    best = Peak(-1, 0, "start")

    def consider(at: int, phase: str, grads: int, acts: int, temporary: int = 0) -> None:
        nonlocal best
        if per_gpu is not None:  # each part divided first: the largest share may be elsewhere
            if phase == "backward":  # what backward passes as temporary is a layer's new gradients
                grads, temporary = grads + temporary, 0
            shares = {**fixed, "gradients": grads, "activations": acts}
            shares = per_gpu({**shares, "temporaries": temporary} if temporary else shares)
            if sum(shares.values()) > best.total:
                best = Peak(sum(shares.values()), at, phase, shares, unknown)
            return
        total = weights + state + grads + acts + temporary
        if total > best.total:
            parts = {**fixed, "gradients": grads, "activations": acts}
            if temporary:
                parts["temporaries"] = temporary
            best = Peak(total, at, phase, parts, unknown)

    # The step starts with last step's gradients, until zero_grad drops them.
    consider(0, "start", all_grads, input_bytes)
    # Each storage kept for backward lives until the first of its keepers (in forward
    # order) has run its backward: in reverse order, the last.
    keeper: dict[int, int] = {}
    for node, fp in zip(nodes[1:], prints[1:], strict=True):
        if needs[node.index]:
            kept = [storage[node.sources[k]] for k in fp.keeps_inputs]
            for s in [*kept, storage[node.index]] if fp.keeps_output else kept:
                keeper.setdefault(s, node.index)
    released: dict[int, list[int]] = {}  # node -> the storages its backward lets go
    for s, k in keeper.items():
        released.setdefault(k, []).append(s)
    last = _LastReaders(nodes, storage)
    final = len(nodes) - 1

    # Forward: outputs live to their last reader, or to their keeper's backward.
    live = _Bytes({0: input_bytes})  # storage -> bytes; the input is held by the caller throughout
    extras = _Bytes()  # node -> bytes it made only to keep for backward
    for node, fp in zip(nodes[1:], prints[1:], strict=True):
        i = node.index
        if storage[i] == i:
            live.put(i, _node_bytes(node, batch, act))
        if needs[i] and fp.kept:
            extras.put(i, _extra_bytes(fp.kept, batch, act))
        consider(i, "forward", 0, live.total + extras.total + _extra_bytes(fp.passing, batch, act))
        for s in last.of(i):
            if s not in (0, storage[final]) and s not in keeper:
                live.drop(s)
    if storage[final] not in keeper and storage[final] != 0:
        live.drop(storage[final])  # model(x).sum(): the output goes once summed

    # Backward, in reverse. Gradients in flight are storages of their own (negative ids);
    # the loss's gradient reaches the output as a view of one element: no bytes.
    grads = 0
    waiting: dict[int, int] = {final: -1}  # node -> the gradient of its output
    gradient = _Bytes({-1: 0})  # gradient storage -> bytes
    fresh = itertools.count(-2, -1)

    def held() -> int:
        return live.total + extras.total + gradient.total

    for node, fp in zip(reversed(nodes[1:]), reversed(prints[1:]), strict=True):
        i = node.index
        if not needs[i]:
            continue
        assert node.layer is not None
        g_out = waiting.pop(i, None)
        values = node.sources[: node.layer.value_inputs]
        sources = [s for s in values if needs[s]]
        made = 0 if fp.grad_through else sum(_node_bytes(nodes[s], batch, act) for s in sources)
        own = node.params.trainable * precision.weights
        temporary = _extra_bytes(fp.backward, batch, act)
        if temporary:
            # A first stage (the attached activation's backward, the conv's before its pad
            # layer's) turns the output's gradient into another, which then stands in for
            # it; what that stage's part kept goes with it.
            consider(i, "backward", grads, held() + temporary, own if fp.weights_first else 0)
            extras.put(i, extras.get(i, 0) - _extra_bytes(_common(fp.kept, fp.backward), batch, act))
            _drop_unused(gradient, waiting, g_out)
        consider(i, "backward", grads, held() + made + temporary, own)
        grads += own
        for s in sources:
            if fp.grad_through and g_out is not None:
                incoming = g_out  # the same tensor, or views of it
            else:
                incoming = next(fresh)
                gradient.put(incoming, _node_bytes(nodes[s], batch, act))
            if s in waiting:  # a second reader's gradient: summed into a new tensor, both still alive
                summed = next(fresh)
                gradient.put(summed, _node_bytes(nodes[s], batch, act))
                consider(i, "backward", grads, held())
                previous, waiting[s] = waiting[s], summed
                _drop_unused(gradient, waiting, previous)
                _drop_unused(gradient, waiting, incoming)
            else:
                waiting[s] = incoming
        _drop_unused(gradient, waiting, g_out)
        # What this node kept goes now.
        extras.drop(i)
        for s in released.get(i, ()):
            if s != 0:
                live.drop(s)

    # The optimizer step: every gradient, and the update's temporaries.
    largest = 0
    if temporaries:
        asked: set[tuple[int, int]] = set()
        for n in nodes[1:]:
            if n.layer is not None and (id(n.layer), id(n.inputs)) not in asked:
                asked.add((id(n.layer), id(n.inputs)))
                sizes = [t.size for t in n.layer.tensors(n.inputs) if t.role == "trainable"]
                largest = max([largest, *sizes])
    consider(final, "step", all_grads, input_bytes, temporaries * largest * precision.state_bytes)
    return best


class _Bytes(dict[int, int]):
    """Bytes by key, with their running sum: summing a long network's live tensors at
    every layer would cost a pass over them each time."""

    def __init__(self, items: dict[int, int] | None = None) -> None:
        super().__init__(items or {})
        self.total = sum(self.values())

    def put(self, key: int, size: int) -> None:
        self.total += size - self.get(key, 0)
        self[key] = size

    def drop(self, key: int) -> None:
        self.total -= self.pop(key, 0)


def _common(kept: Sequence[Extra], made: Sequence[Extra]) -> list[Extra]:
    """The tensors listed in both (as many times as in both)."""
    left = list(kept)
    found = []
    for extra in made:
        if extra in left:
            left.remove(extra)
            found.append(extra)
    return found


def _drop_unused(gradient: _Bytes, waiting: dict[int, int], tensor: int | None) -> None:
    """Free a gradient no node waits on any more."""
    if tensor is not None and tensor not in waiting.values():
        gradient.drop(tensor)
