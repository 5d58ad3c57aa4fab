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

Frozen parameters (`trainable: false`) get no gradient and no optimizer state, and a layer
that keeps its input only for its weights' gradient (a dense layer) keeps none when they
are frozen. Autograd records only what leads to a trainable parameter (`training_footprints`):
a layer that needs no gradient (a frozen prefix) holds what it holds without gradients, and
one whose input needs none keeps only what its own parameters' gradients need (an adapter on
`o` or `down` alone). A checkpointed block (`checkpoint: true`, torch.utils.checkpoint with
use_reentrant=False) keeps only its inputs in the forward; backward runs its forward again
on reaching it and keeps then what a plain forward keeps (`_Segments`).

Counted at the level of tensors, as PyTorch's own storages are (`cnncalc.memory_tracker`
measures them); an allocator's rounding and library workspaces come on top.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cnncalc.engine import input_count
from cnncalc.layers.api import Extra, Footprint, prod
from cnncalc.shape import DTYPE_BYTES as DTYPE_BYTES  # re-exported: reports and tests read it here
from cnncalc.shape import TOKEN_IDS

if TYPE_CHECKING:
    from cnncalc.engine import Node
    from cnncalc.layers.api import Layer

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
# bitsandbytes' 8-bit optimizers (Adam8bit, SGD8bit, ...): a tensor of at least
# `min_8bit_size` elements keeps each state in one byte an element, quantized in blocks of
# 256 with a float32 absmax each, and shares one 256-entry float32 map per state with every
# other tensor; a smaller tensor keeps its state in float32.
MIN_8BIT_SIZE = 4096
BLOCK_8BIT = 256
QMAP_BYTES = 256 * 4


def optimizer_state_bytes(nodes: Sequence[Node], optimizer: str, precision: Precision) -> int:
    """The optimizer state's bytes for the trainable tensors of `nodes`: `state_bytes` an
    element each, or bitsandbytes' 8-bit layout (`precision.state == 1`), tensor by tensor."""
    tensors, _ = OPTIMIZER_STATE[optimizer]
    if precision.state != 1:
        return tensors * sum(n.params.trainable for n in nodes) * precision.state_bytes
    sizes = [
        t.size
        for n in nodes
        if n.params.trainable and n.layer
        for t in n.layer.tensors(n.inputs)
        if t.role == "trainable"
    ]
    small = sum(size for size in sizes if size < MIN_8BIT_SIZE)
    large = [size for size in sizes if size >= MIN_8BIT_SIZE]
    quantized = sum(size + 4 * -(-size // BLOCK_8BIT) for size in large)
    return tensors * (small * 4 + quantized + (QMAP_BYTES if large else 0))


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


def _input_bytes(node: Node, batch: int, itemsize: int) -> int:
    """An input's bytes: in its own dtype where its spec gives one; token ids are int64
    whatever the activations' dtype."""
    if node.dtype is not None:
        itemsize = TOKEN_ID_BYTES if node.dtype == "int64" else DTYPE_BYTES[node.dtype]
    elif node.output.axes == TOKEN_IDS:
        itemsize = TOKEN_ID_BYTES
    return _node_bytes(node, batch, itemsize)


def _inputs_bytes(nodes: Sequence[Node], batch: int, itemsize: int) -> dict[int, int]:
    """Each input's bytes, by node: the caller holds them all throughout."""
    return {i: _input_bytes(nodes[i], batch, itemsize) for i in range(input_count(nodes))}


def _extra_bytes(extras: Sequence[Extra], batch: int, itemsize: int) -> int:
    return sum(e.elements * (batch if e.per_sample else 1) * (e.itemsize or itemsize) for e in extras)


def kernelled(layer: Layer, kernel: str | None, done: dict[int, Layer]) -> Layer:
    """`layer` with its attention kernel set to `kernel` (`--attention`), where it has that
    choice and allows it; `done` keeps one copy per layer object."""
    if kernel is None or layer.attention_kernel() in (None, kernel):
        return layer
    copy = done.get(id(layer))
    if copy is None:
        try:
            copy = type(layer).model_validate({**layer.model_dump(exclude_unset=True), "kernel": kernel})
        except ValueError:  # a layout that has no such kernel keeps its own
            copy = layer
        done[id(layer)] = copy
    return copy


def as_frozen(layer: Layer, done: dict[int, Layer]) -> Layer:
    """`layer` as its footprint should see it inside a frozen block call (`trainable: false`
    around it, `Node.frozen`): written `trainable: false` itself; `done` keeps one copy per
    layer object (so a repeated layer is asked once)."""
    if not layer.trainable:
        return layer
    copy = done.get(id(layer))
    if copy is None:
        copy = done[id(layer)] = layer.model_copy(update={"trainable": False})
    return copy


def footprints(nodes: Sequence[Node], training: bool, kernel: str | None = None) -> list[Footprint]:
    """Each node's footprint, the inputs holding nothing of their own; attention run with
    `kernel` where given (else as each layer says)."""
    inputs = input_count(nodes)
    found = [Footprint()] * inputs
    copies: dict[int, Layer] = {}
    reordered: set[int] = set()  # nodes whose output is out of storage order
    # A long network repeats a few layers on a few shapes, shared as one object each by the
    # engine: each pair is asked once (ids are stable while `nodes` holds them).
    asked: dict[tuple[int, int], Footprint] = {}
    frozen_copies: dict[int, Layer] = {}
    for node in nodes[inputs:]:
        assert node.layer is not None
        layer = as_frozen(node.layer, frozen_copies) if node.frozen and training else node.layer
        key = (id(layer), id(node.inputs))
        footprint = asked.get(key)
        if footprint is None:
            layer = kernelled(layer, kernel, copies)
            footprint = asked[key] = layer.memory_footprint(node.inputs, node.output, training)
        source = node.sources[0] if node.sources else None
        if source in reordered and footprint.if_reordered is not None:
            footprint = footprint.if_reordered
        keeps_order = (footprint.view or footprint.same_layout) and not footprint.reshapes
        if footprint.reorders or (keeps_order and source in reordered):
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


def inference_peak(nodes: Sequence[Node], batch: int, dtype: str = "float32", kernel: str | None = None) -> Peak:
    """The peak of one forward without gradients, and the layer where it happens; attention
    run with `kernel` where given."""
    itemsize = DTYPE_BYTES[dtype]
    prints = footprints(nodes, training=False, kernel=kernel)
    trainable, frozen, buffers = weights_bytes(nodes, itemsize)
    fixed = trainable + frozen + buffers
    best, at = _forward(nodes, prints, batch, itemsize)
    return Peak(fixed + best, at, "forward", {"weights": fixed, "activations": best}, _unknown(nodes, prints))


def _forward(nodes: Sequence[Node], prints: Sequence[Footprint], batch: int, itemsize: int) -> tuple[int, int]:
    """The most activation bytes alive in one forward without gradients, and at which node."""
    storage = _storages(nodes, prints)
    last = _LastReaders(nodes, storage)
    first, following = last.first, last.next
    live = _inputs_bytes(nodes, batch, itemsize)  # storage -> bytes; the caller holds the inputs
    inputs = len(live)
    alive = sum(live.values())
    best, at = alive, 0
    final = len(nodes) - 1
    for node, fp in zip(nodes[inputs:], prints[inputs:], strict=True):
        i = node.index
        if storage[i] == i:
            live[i] = made = math.prod(node.output) * batch * itemsize  # (_node_bytes, inline: once a layer)
            alive += made
        acts = alive + _extra_bytes(fp.passing, batch, itemsize) if fp.passing else alive
        if acts > best:
            best, at = acts, i
        s = first[i]  # the storages read last here (last.of(i), without a generator a layer)
        while s >= 0:
            if s >= inputs and s != storage[final]:
                alive -= live.pop(s, 0)
            s = following[s]
    return best, at


class _LastReaders:
    """For each node, the storages whose last reader it is (a view's readers read its source;
    a node that holds an output, `Node.holds`, counts as its reader).

    Kept as two flat arrays, a linked list per node, rather than a dict of lists: a network
    of 200,000 layers would otherwise spend some 35 MiB on this index alone.
    """

    def __init__(self, nodes: Sequence[Node], storage: Sequence[int]) -> None:
        count = len(nodes)
        last = array("q", [-1]) * count  # storage -> its last reader
        for node in nodes:
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
    for each kind of op that can run in place, (how many do, how many there are); how
    many outputs are held past their last reader (a block's argument, `holds:`); and how
    many attention layers run each kernel (`kernel:`, `--attention`)."""

    in_place: dict[str, tuple[int, int]]
    held: int
    kernels: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        """One line for the table: `activations in place 17 of 17 · 12 outputs held ...`."""
        parts = [f"{what} in place {done:,} of {total:,}" for what, (done, total) in self.in_place.items()]
        if self.held:
            parts.append(f"{self.held:,} outputs held to a block's end (`keeps_argument`, `holds`)")
        every = sum(self.kernels.values())
        for kernel, count in sorted(self.kernels.items(), key=lambda item: item[0] != "fused"):
            parts.append(f"attention {kernel} {count:,} of {every:,} ({KERNELS[kernel]})")
        return " · ".join(parts)


# What each attention kernel holds, in the report's words.
KERNELS = {
    "fused": "flash: no L × L scores kept",
    "eager": "L × L scores and probabilities made, the probabilities kept for backward",
}


def forms(nodes: Sequence[Node], kernel: str | None = None) -> Forms:
    """Which forms the spec says its ops run in (in place or not), counted by what they are;
    attention kernels as `kernel` sets them where given."""
    in_place: dict[str, tuple[int, int]] = {}
    kernels: dict[str, int] = {}
    copies: dict[int, Layer] = {}
    # Asked of each layer object once: a long network repeats a few (ids are stable while `nodes` holds them).
    asked: dict[int, tuple[tuple[str, bool], ...]] = {}
    runs_by_layer: dict[int, str | None] = {}
    for node in nodes[input_count(nodes) :]:
        assert node.layer is not None
        said = asked.get(id(node.layer))
        if said is None:
            said = asked[id(node.layer)] = node.layer.memory_forms()
        for what, inplace in said:
            done, total = in_place.get(what, (0, 0))
            in_place[what] = (done + inplace, total + 1)
        key = id(node.layer)
        if key not in runs_by_layer:
            runs_by_layer[key] = kernelled(node.layer, kernel, copies).attention_kernel()
        runs = runs_by_layer[key]
        if runs is not None:
            kernels[runs] = kernels.get(runs, 0) + 1
    return Forms(in_place, sum(len(node.holds) for node in nodes), kernels)


def _unknown(nodes: Sequence[Node], prints: Sequence[Footprint]) -> tuple[str, ...]:
    from cnncalc.labels import numbered

    return tuple(f"{numbered(n)}: {fp.unknown}" for n, fp in zip(nodes, prints, strict=True) if fp.unknown)


def _needs_grad(nodes: Sequence[Node]) -> list[bool]:
    """Whether autograd records each node: it holds trainable weights or reads one that does."""
    needs = [False] * input_count(nodes)
    for node in nodes[len(needs) :]:
        needs.append(node.params.trainable > 0 or any(needs[s] for s in node.sources))
    return needs


def training_footprints(nodes: Sequence[Node], kernel: str | None = None) -> list[Footprint]:
    """Each node's footprint in a training step: footprints(training=True), except where
    autograd records less. A layer none of whose value inputs needs a gradient keeps only
    what its own parameters' gradients need (`Footprint.no_input_gradient`, where its kind
    says what that is); a layer that needs no gradient at all (a frozen prefix: nothing
    before it, nor it, trains) is not recorded and holds what its forward without gradients
    holds (its inference footprint, where that is laid out as in training)."""
    prints = footprints(nodes, training=True, kernel=kernel)
    needs = _needs_grad(nodes)
    unrecorded = None
    if not all(needs[input_count(nodes) :]):
        unrecorded = footprints(nodes, training=False, kernel=kernel)
    return given_gradients(nodes, prints, needs, unrecorded)


def given_gradients(
    nodes: Sequence[Node],
    prints: Sequence[Footprint],
    needs: Sequence[bool],
    unrecorded: Sequence[Footprint] | None = None,
) -> list[Footprint]:
    """`prints` as autograd runs each node given `needs` (`_needs_grad`): the
    `no_input_gradient` form where its value inputs need no gradient, and where the node
    needs none either, `unrecorded[node]` (its footprint without gradients) where it is laid
    out as `prints[node]`, else what that keeps counted as made and freed in the forward."""
    found = list(prints)
    for node, fp in zip(nodes, prints, strict=True):
        if node.layer is None:
            continue
        if not needs[node.index]:
            if unrecorded is not None:
                found[node.index] = _without_autograd(fp, unrecorded[node.index])
        elif fp.no_input_gradient is not None and not any(needs[s] for s in node.sources[: node.layer.value_inputs]):
            found[node.index] = fp.no_input_gradient
    return found


def _without_autograd(trained: Footprint, plain: Footprint) -> Footprint:
    """A footprint for a node autograd does not record: `plain` (its inference footprint)
    where laid out as `trained`; else `trained` with what it would keep made and freed."""
    layout = ("view", "reorders", "reshapes", "same_layout")
    if all(getattr(trained, name) == getattr(plain, name) for name in layout):
        return plain
    return replace(trained, passing=(*trained.passing, *trained.kept))


def training_peak(
    nodes: Sequence[Node],
    batch: int,
    optimizer: str,
    precision: Precision | None = None,
    per_gpu: Callable[[dict[str, int]], dict[str, int]] | None = None,
    *,
    kernel: str | None = None,
) -> Peak:
    """The peak of one training step, broken into weights, gradients, optimizer state,
    activations (saved for backward, or alive in the forward) and the step's temporaries;
    with `per_gpu` (cnncalc.analysis.sharding), of one GPU's share of each part."""
    precision = precision or Precision(4, 4)
    act = precision.activations
    prints = training_footprints(nodes, kernel)
    storage = _storages(nodes, prints)
    needs = _needs_grad(nodes)
    trainable = sum(n.params.trainable for n in nodes)
    others = sum(n.params.non_trainable + n.params.buffers for n in nodes)
    weights = (trainable + others) * precision.weights + trainable * precision.master
    _, temporaries = OPTIMIZER_STATE[optimizer]
    if precision.state == 1:
        temporaries = 0  # 8-bit state (bitsandbytes) is updated in one fused kernel
    state = optimizer_state_bytes(nodes, optimizer, precision)
    all_grads = trainable * precision.weights
    held_inputs = _inputs_bytes(nodes, batch, act)
    inputs = len(held_inputs)
    input_bytes = sum(held_inputs.values())
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
    # The same, leaving out a checkpointed block's nodes keeping the block's own tensors
    # (they keep them only when the block is rerun in backward).
    forward_keeper: dict[int, int] = {}
    first: dict[int, int] = {}  # checkpointed block -> its first node
    savers: set[int] = set()  # the nodes that keep anything for backward
    for node, fp in zip(nodes[inputs:], prints[inputs:], strict=True):
        start = first.setdefault(node.checkpoint, node.index) if node.checkpoint >= 0 else -1
        if needs[node.index]:
            # Frozen weights need no saved inputs where only their gradients would read them.
            keeps = () if fp.inputs_for_weights and not node.params.trainable else fp.keeps_inputs
            kept = [storage[node.sources[k]] for k in keeps]
            for s in [*kept, storage[node.index]] if fp.keeps_output else kept:
                keeper.setdefault(s, node.index)
                if s < start or start < 0:
                    forward_keeper.setdefault(s, node.index)
            if kept or fp.keeps_output or fp.kept:
                savers.add(node.index)
    segments = _Segments(nodes, needs, storage, savers, keeper, forward_keeper)
    released: dict[int, list[int]] = {}  # node -> the storages its backward lets go
    for s, k in keeper.items():
        released.setdefault(k, []).append(s)
    for s, k in segments.held.items():
        if keeper.get(s) != k:  # held longer or shorter than its keeper keeps it (a checkpoint's)
            released.setdefault(k, []).append(s)
    last = _LastReaders(nodes, storage)
    final = len(nodes) - 1

    # Forward: outputs live to their last reader, or to their keeper's backward.
    live = _Bytes(held_inputs)  # storage -> bytes; the inputs are held by the caller throughout
    extras = _Bytes()  # node -> bytes it made only to keep for backward

    def run_forward(span: Sequence[int], grads: int, held: Callable[[], int], rerun_at: int | None = None) -> None:
        """Make the outputs of the nodes in `span` and what they keep, each alive to its last
        reader or its keeper's backward (a checkpointed block's only to its inputs')."""
        for i in span:
            node, fp = nodes[i], prints[i]
            if storage[i] == i:
                live.put(i, _node_bytes(node, batch, act))
            saving = rerun_at is not None or node.checkpoint < 0  # rerun, or not checkpointed
            if saving and needs[i] and fp.kept:
                extras.put(i, _extra_bytes(fp.kept, batch, act))
            phase = "forward" if rerun_at is None else "backward"
            consider(i, phase, grads, held() + _extra_bytes(fp.passing, batch, act))
            for s in last.of(i):
                if s >= inputs and s != storage[final] and not segments.kept(s, rerun_at):
                    live.drop(s)

    run_forward(range(inputs, len(nodes)), 0, lambda: live.total + extras.total)
    if storage[final] not in keeper and storage[final] >= inputs:
        live.drop(storage[final])  # model(x).sum(): the output goes once summed

    # Backward, in reverse. Gradients in flight are storages of their own (negative ids);
    # the loss's gradient reaches the output as a view of one element: no bytes.
    grads = 0
    tied: dict[int, int] = {}  # node holding a tied weight -> bytes of its gradients made by later users
    waiting: dict[int, int] = {final: -1}  # node -> the gradient of its output
    gradient = _Bytes({-1: 0})  # gradient storage -> bytes
    fresh = itertools.count(-2, -1)

    def held() -> int:
        return live.total + extras.total + gradient.total

    for node, fp in zip(reversed(nodes[inputs:]), reversed(prints[inputs:]), strict=True):
        i = node.index
        if not needs[i]:
            continue
        assert node.layer is not None
        if i in segments.rerun_at:  # a checkpointed block's forward runs again, keeping what it keeps
            span = segments.rerun_at.pop(i)
            run_forward(span, grads, held, rerun_at=i)
            for j in span:  # what the rerun made and nothing keeps goes once it has run
                if storage[j] == j and not segments.kept(j, rerun_at=i):
                    live.drop(j)
        g_out = waiting.pop(i, None)
        values = node.sources[: node.layer.value_inputs]
        sources = [s for s in values if needs[s]]
        made = 0 if fp.grad_through else sum(_node_bytes(nodes[s], batch, act) for s in sources)
        own = node.params.trainable * precision.weights
        for holder, size in _tied(nodes, node):  # a tied weight's gradient, made here too, waits for its holder's
            own += size * precision.weights
            tied[holder] = tied.get(holder, 0) + size * precision.weights
        temporary = _extra_bytes(fp.backward, batch, act)
        if temporary:
            # A first stage (the attached activation's backward, the conv's before its pad
            # layer's) turns the output's gradient into another, which then stands in for
            # it; what that stage's part kept goes with it.
            consider(i, "backward", grads, held() + temporary, own if fp.weights_first else 0)
            extras.put(i, extras.get(i, 0) - _extra_bytes(_common(fp.kept, fp.backward), batch, act))
            _drop_unused(gradient, waiting, g_out)
        # A backward in parts (a stacked recurrent layer's, layer by layer; a transformer
        # layer's last sub-layers, op by op): each part makes its parameters' gradients and
        # its input's, then lets go of what it kept and of the gradients it consumed.
        handed = 0
        for stage in fp.stages:
            part = min(own, stage.params * precision.weights)
            at_peak = part if stage.peak_params is None or not part else stage.peak_params * precision.weights
            passed = _extra_bytes((stage.gradient,), batch, act)
            consider(i, "backward", grads, held() + handed + passed + temporary, at_peak)
            grads, own = grads + part, own - part
            consumed = handed if stage.consumes is None else _extra_bytes(stage.consumes, batch, act)
            handed += passed - consumed
            extras.put(i, extras.get(i, 0) - _extra_bytes(stage.frees, batch, act))
            if not stage.holds_output_gradient:
                _drop_unused(gradient, waiting, g_out)  # the output's gradient, used by the first part
        consider(i, "backward", grads, held() + handed + made + temporary, own)
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
        waited = tied.pop(i, 0)
        if waited:
            # The tied weight's gradients, the later layers' and this one's, are summed into
            # a new tensor (autograd's buffer for the one parameter), then both go.
            consider(i, "backward", grads, held(), waited)
            grads -= waited
        # What this node kept goes now.
        extras.drop(i)
        for s in released.get(i, ()):
            if s >= inputs:
                live.drop(s)

    # The optimizer step: every gradient, and the update's temporaries.
    largest = 0
    if temporaries:
        asked: set[tuple[int, int]] = set()
        for n in nodes:
            if n.layer is not None and not n.frozen and (id(n.layer), id(n.inputs)) not in asked:
                asked.add((id(n.layer), id(n.inputs)))
                sizes = [t.size for t in n.layer.tensors(n.inputs) if t.role == "trainable"]
                largest = max([largest, *sizes])
    consider(final, "step", all_grads, input_bytes, temporaries * largest * precision.state_bytes)
    return best


def reruns(nodes: Sequence[Node], macs: Callable[[Node], int]) -> tuple[int, int]:
    """How many checkpointed blocks backward runs again (those with anything to train), and
    the MACs per sample of that rerun (`macs` of each of their nodes)."""
    needs = _needs_grad(nodes)
    blocks: dict[int, list[Node]] = {}
    for node in nodes[1:]:
        if node.checkpoint >= 0:
            blocks.setdefault(node.checkpoint, []).append(node)
    rerun = [block for block in blocks.values() if any(needs[n.index] for n in block)]
    return len(rerun), sum(macs(n) for block in rerun for n in block)


def _tied(nodes: Sequence[Node], node: Node) -> list[tuple[int, int]]:
    """(holder node, elements) of each trainable tensor `node` uses from an earlier node
    (a tied weight): autograd makes its gradient here too, apart from the holder's."""
    if not node.shares or node.layer is None:
        return []
    sizes = {t.name: t.size for t in node.layer.tensors(node.inputs) if t.role == "shared"}
    return [(holder, sizes[name]) for name, holder in node.shares if name in sizes and not nodes[holder].frozen]


class _Segments:
    """The checkpointed block instances (`Node.checkpoint`, under torch.utils.checkpoint with
    use_reentrant=False): in the forward their nodes keep nothing for backward, and the
    checkpoint holds the block's inputs until the block's backward is done; the backward,
    on reaching the block, runs its forward again up to the last node that keeps anything
    (torch's early stop), and what that rerun makes is kept as a plain forward keeps it.

    A storage then has two lives: the forward's, to its last reader or, when held, to the
    first backward (in forward order) of its keeper outside a checkpoint or of a
    checkpoint holding it (`held`); and a rerun's, to its keeper's backward."""

    def __init__(
        self,
        nodes: Sequence[Node],
        needs: Sequence[bool],
        storage: Sequence[int],
        savers: set[int],
        keeper: dict[int, int],
        forward_keeper: dict[int, int],
    ) -> None:
        members: dict[int, list[int]] = {}
        for node in nodes[1:]:
            if node.checkpoint >= 0:
                members.setdefault(node.checkpoint, []).append(node.index)
        self.start = [-1] * len(nodes)  # node -> the first node of its checkpointed block
        self.rerun_at: dict[int, list[int]] = {}  # the node whose backward comes first -> the nodes rerun
        self.keeper = keeper
        holders: dict[int, int] = {}  # storage -> the checkpoint's node whose backward lets it go
        for span in members.values():
            start = span[0]
            for i in span:
                self.start[i] = start
            trained = [i for i in span if needs[i]]
            saving = [i for i in span if i in savers]
            if not trained or not saving:
                continue  # nothing saved: the checkpoint keeps nothing and reruns nothing
            self.rerun_at[trained[-1]] = span[: span.index(saving[-1]) + 1]
            for i in span:
                for s in (*nodes[i].sources, *nodes[i].holds):
                    if storage[s] < start:
                        holders[storage[s]] = min(holders.get(storage[s], trained[0]), trained[0])
        # Storages the forward holds past their last reader, and the node whose backward lets
        # them go: the earliest of a checkpoint holding them and their keeper outside one.
        self.held: dict[int, int] = {}
        for s, k in forward_keeper.items():
            self.held[s] = min(k, holders.get(s, k))
        for s, k in holders.items():
            self.held[s] = min(k, self.held.get(s, k))

    def kept(self, s: int, rerun_at: int | None = None) -> bool:
        """Whether storage `s` outlives its last reader: in the forward, when held; in the
        rerun before node `rerun_at`'s backward, when made before the block (its input) or
        while its keeper's backward is still to come."""
        if rerun_at is None:
            return s in self.held
        keeper = self.keeper.get(s)
        return s < self.start[rerun_at] or (keeper is not None and keeper <= rerun_at)


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


# Generation: a prompt's prefill, then one token at a time with a KV cache.

# Bytes an element of the KV cache may take (`--kv-dtype`): the activations' dtypes, and
# the one-byte float8 caches (vLLM's, TensorRT-LLM's) beside int8.
KV_DTYPE_BYTES = {**DTYPE_BYTES, "float8": 1}


@dataclass(frozen=True)
class Generation:
    """The peaks of generating `new_tokens` after a `prompt` at a batch: the KV cache
    allocated for the whole context at the start (a static cache, as transformers'
    `cache_implementation="static"`, vLLM and TensorRT-LLM allocate it), then the prefill
    (one forward over the prompt, writing its keys and values into the cache) and decode
    steps (one token each). Each call's queries attend to the cache's positions, the ones
    not written yet masked, as transformers' static cache runs: what only the eager kernel
    holds (scores) grows with the context. Each peak is weights + KV cache + that forward's
    activations."""

    prompt: int
    new_tokens: int
    kv_dtype: str
    cache_per_token: int  # bytes, one sample, every cached layer
    prefill: Peak
    decode: Peak
    prefill_macs: int  # one sample's prefill, the whole prompt
    decode_macs: int  # one sample's last decode step: one token over the whole context

    @property
    def context(self) -> int:
        return self.prompt + self.new_tokens

    @property
    def peak(self) -> Peak:
        """The larger of the two peaks: what generating needs."""
        return self.decode if self.decode.total > self.prefill.total else self.prefill


def _asked(layer: Any, method: str, *args: Any) -> Any:
    """What a method only some kinds have (a causal self-attention's) says."""
    return getattr(layer, method)(*args)


def _cached(nodes: Sequence[Node]) -> list[int]:
    """Each node's KV cache elements per token and sample (a causal self-attention's; 0 for
    the rest), asked once per layer object and shape."""
    asked: dict[tuple[int, int], int] = {}
    found = []
    for node in nodes:
        key = (id(node.layer), id(node.inputs))
        if key not in asked:
            asked[key] = (
                _asked(node.layer, "kv_cache_per_token", node.inputs)
                if hasattr(node.layer, "kv_cache_per_token")
                else 0
            )
        found.append(asked[key])
    return found


def generation_peaks(
    prompt_nodes: Sequence[Node],
    step_nodes: Sequence[Node],
    batch: int,
    dtype: str,
    new_tokens: int,
    kv_dtype: str,
    kernel: str | None = None,
) -> Generation:
    """Generating `new_tokens` after the prompt `prompt_nodes` (the network at the prompt's
    length) at `batch`: the prefill's peak and the last decode step's (`step_nodes`: the
    network at one position), each with the weights and the KV cache in `kv_dtype` for the
    whole context; attention run with `kernel` where given (else as each layer says). A
    cached layer that does not say how it attends to a cache (`cached_passing`, the
    transformer layer kinds) holds what its forward holds."""
    itemsize = DTYPE_BYTES[dtype]
    prompt = prompt_nodes[0].output.size("L")
    context = prompt + new_tokens
    cache_per_token = sum(_cached(prompt_nodes)) * KV_DTYPE_BYTES[kv_dtype]
    cache = cache_per_token * context * batch
    weights = sum(weights_bytes(prompt_nodes, itemsize))
    prompt_prints = footprints(prompt_nodes, training=False, kernel=kernel)
    unknown = _unknown(prompt_nodes, prompt_prints)

    def peak(nodes: Sequence[Node], prints: list[Footprint], attends_to: int) -> Peak:
        copies: dict[int, Layer] = {}
        for node, per_token in zip(nodes, _cached(nodes), strict=True):
            if per_token and hasattr(node.layer, "cached_passing"):  # attending to the cache's positions
                layer = kernelled(node.layer, kernel, copies)  # type: ignore[arg-type]
                passing = _asked(layer, "cached_passing", node.inputs, attends_to)
                prints[node.index] = replace(prints[node.index], passing=passing)
        best, at = _forward(nodes, prints, batch, itemsize)
        parts = {"weights": weights, "kv cache": cache, "activations": best}
        return Peak(sum(parts.values()), at, "forward", parts, unknown)

    step_macs = 0
    for node, per_token in zip(step_nodes, _cached(step_nodes), strict=True):
        cached = per_token and hasattr(node.layer, "cached_macs")
        step_macs += _asked(node.layer, "cached_macs", node.inputs, context) if cached else node.macs
    step_prints = footprints(step_nodes, training=False, kernel=kernel)
    return Generation(
        prompt,
        new_tokens,
        kv_dtype,
        cache_per_token,
        prefill=peak(prompt_nodes, prompt_prints, context),
        decode=peak(step_nodes, step_prints, context),
        prefill_macs=sum(n.macs for n in prompt_nodes),
        decode_macs=step_macs,
    )
