"""Propagation: a validated spec -> a Trace of frozen facts, every layer's shapes and counts.

The engine walks the spec top to bottom, one frame per block instance
(`cnncalc.spec.blocks` binds a use of a block and instantiates its layers), expanding
blocks and composite layers as it meets them (a projection shortcut needs the shapes it
joins), and asks each layer for its own numbers. It never names a layer kind. A node is
never written after it is built: what is worked out from the whole trace (receptive fields,
memory, totals, claims, other tools' counts) is `cnncalc.analysis.analyse`'s, beside it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any, cast

from cnncalc.collecting import collector_paused
from cnncalc.conventions import DEFAULT, convention, flops
from cnncalc.errors import Diagnostic, LayerError, Mark, SpecError, did_you_mean
from cnncalc.layers.api import NO_WORK, Composite, Inputs, Layer, Params, Work, prod
from cnncalc.shape import DTYPE_BYTES, Shape
from cnncalc.spec.blocks import (
    INPUT,
    BlockCall,
    BlockError,
    Expansion,
    Frame,
    PerCopy,
    bind,
    copies,
    instantiate,
    network_environment,
    substitute,
)
from cnncalc.spec.loader import mark_of
from cnncalc.spec.model import Spec
from cnncalc.spec.parse import content_key, parse_layer

# The most layers a spec may expand to (each primitive layer once, blocks and composites
# opened): generous for real networks (ResNet-152 is about 500, the benchmarks' largest
# 200,000), and checked before a `repeat:` expands, so a typo fails at once.
MAX_NODES = 1_000_000
WORKED_LIMIT = 4096  # distinct (layer, inputs) pairs whose numbers add() remembers
# Whether each layer class expands into others (a Composite), asked once per class.
_COMPOSITE: dict[type, bool] = {}
# How reports label an unnamed layer (`conv#2`, `bottleneck.1/conv#2`), which a `from:` may copy.
_DISPLAY_LABEL = re.compile(r"(?:[^/]+/)*\w+#\d+")


@dataclass(frozen=True, slots=True)  # slots: a big network holds many
class Group:
    """A block instance or composite layer, for roll-ups in reports."""

    index: int
    label: str
    block: str  # the block's name, or the composite's kind
    parent: int | None
    depth: int
    mark: Mark | None


@dataclass(frozen=True, slots=True)  # slots: a big network holds many
class Node:
    """One primitive layer (or the input) with everything computed about it."""

    index: int
    name: str
    kind: str
    summary: str
    sources: tuple[int, ...]
    inputs: Inputs
    output: Shape
    params: Params
    macs: int
    groups: tuple[int, ...]  # enclosing groups, outermost first
    mark: Mark | None
    layer: Layer | None = None
    work: Work = NO_WORK  # what the layer computes, for conventions to price
    # Tensors used from earlier nodes (a tied weight): (tensor name, the node that holds it).
    shares: tuple[tuple[str, int], ...] = ()
    # Earlier nodes whose outputs stay alive until this node has run, though it does not
    # read them: a block's argument, which Python keeps until the block returns.
    holds: tuple[int, ...] = ()
    dtype: str | None = None  # an input's element type, where its spec gives one
    # `trainable: false` on the layer or around it: every parameter counted as non-trainable,
    # and the torch build freezes them (requires_grad False).
    frozen: bool = False
    # The checkpointed block instance (`checkpoint: true`, its group's index, the outermost
    # one) whose forward runs again in backward; -1 for none.
    checkpoint: int = -1

    @property
    def is_input(self) -> bool:
        return self.layer is None

    @property
    def output_size(self) -> int:
        return prod(self.output)

    @property
    def flops(self) -> int:
        return flops(self.macs)


# Node's slots, set directly: a frozen dataclass's __init__ sets each field through
# object.__setattr__, and a long network makes one Node per layer (2.5x as fast).
_new_object = object.__new__
(
    _set_index,
    _set_name,
    _set_kind,
    _set_summary,
    _set_sources,
    _set_inputs,
    _set_output,
    _set_params,
    _set_macs,
    _set_groups,
    _set_mark,
    _set_layer,
    _set_work,
    _set_shares,
    _set_holds,
    _set_dtype,
    _set_frozen,
    _set_checkpoint,
) = (Node.__dict__[f.name].__set__ for f in fields(Node))


def _new_node(
    index: int,
    name: str,
    kind: str,
    summary: str,
    sources: tuple[int, ...],
    inputs: Inputs,
    output: Shape,
    params: Params,
    macs: int,
    groups: tuple[int, ...],
    mark: Mark | None,
    layer: Layer | None,
    work: Work,
    shares: tuple[tuple[str, int], ...],
    holds: tuple[int, ...],
    dtype: str | None,
    frozen: bool,
    checkpoint: int,
) -> Node:
    """`Node(...)` with every field given, in the order of the fields, made faster."""
    node: Node = _new_object(Node)
    _set_index(node, index)
    _set_name(node, name)
    _set_kind(node, kind)
    _set_summary(node, summary)
    _set_sources(node, sources)
    _set_inputs(node, inputs)
    _set_output(node, output)
    _set_params(node, params)
    _set_macs(node, macs)
    _set_groups(node, groups)
    _set_mark(node, mark)
    _set_layer(node, layer)
    _set_work(node, work)
    _set_shares(node, shares)
    _set_holds(node, holds)
    _set_dtype(node, dtype)
    _set_frozen(node, frozen)
    _set_checkpoint(node, checkpoint)
    return node


@dataclass
class Trace:
    """The propagated network: nodes in order (the inputs first: node 0 is the first) and block groups."""

    spec: Spec
    path: str
    nodes: list[Node]
    groups: list[Group]
    names: dict[str, int | tuple[str, int]]  # name -> node, or ("group", index)
    batch: int = 1
    dtype: str = "float32"
    convention: str = DEFAULT  # the counting convention the nodes' MACs follow (cnncalc.conventions)
    duplicate_names: list[tuple[str, Mark | None]] = field(default_factory=list)

    @property
    def bytes_per_element(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @cached_property
    def input_count(self) -> int:
        """How many inputs the network takes: nodes 0 to input_count - 1."""
        return input_count(self.nodes)

    @property
    def layer_nodes(self) -> list[Node]:
        """The nodes after the inputs, each a layer."""
        return self.nodes[self.input_count :]

    @cached_property
    def labels(self) -> list[str]:
        """A key for every node, to match layers across versions of a spec (labels.keys)."""
        from cnncalc.labels import keys

        return keys(self)


def input_count(nodes: Sequence[Node]) -> int:
    """How many of `nodes` are the network's inputs (they come first, with no layer)."""
    count = 0
    while count < len(nodes) and nodes[count].layer is None:
        count += 1
    return count


class _Builder:
    """Implements the GraphBuilder protocol that composite layers expand through."""

    def __init__(self, spec: Spec, path: str) -> None:
        self.spec = spec
        self.path = path
        self.nodes: list[Node] = []
        self.groups: list[Group] = []
        self.names: dict[str, int | tuple[str, int]] = {}
        self.duplicates: list[tuple[str, Mark | None]] = []
        self.layers: Any = spec.layers  # the network's own layers, their expressions worked out in run()
        self.scope = Frame({}, "")  # the frame being walked: the network's, or a block instance's
        self.group_stack: list[int] = []
        self.group_tuple: tuple[int, ...] = ()  # group_stack as the nodes hold it, one tuple per change
        self.expansion = Expansion()
        self.parsed: dict[int, Layer | BlockCall] = {}  # top-level layers, validated up front
        self.validated: dict[Hashable, Layer | BlockCall] = {}  # every layer by content, validated once
        # Equal input tuples and Params as one object each: a big network repeats them.
        self.shared: dict[Any, Any] = {}
        # (id(layer), inputs) -> (layer, output, params, work, summary, macs): see add().
        self.worked: dict[tuple[int, Any], tuple[Layer, Shape, Params, Work, str, int]] = {}
        # (id(layer), id(its one input's shape)) -> (layer, shape, what worked() gave): see add().
        self.worked_on: dict[tuple[int, int], tuple[Layer, Shape, tuple[Inputs, Shape, Params, Work, str, int]]] = {}
        # Per open sequence: its layers and where the ones after the current one start.
        self.following: list[list[Any]] = []
        # Where the walk is, for messages (`context`): the enclosing text and the index of
        # the layer in its sequence, put into words only when a message needs them.
        self._outer = ""
        self._at: int | None = None
        self.mark: Mark | None = None
        self.raw: Any = None
        self.convention = convention(DEFAULT)
        # The copies the layers being walked are made in: the product of the enclosing
        # `repeat:`s (a block repeated 10 times, used in one repeated 5 times: 50).
        self.copies = 1
        self.frozen = 0  # how many enclosing layers or blocks say `trainable: false`
        self.checkpoint = -1  # the outermost checkpointed block instance being walked (its group)

    @property
    def context(self) -> str:
        """Where the walk is, for messages: `layer 3`, `layer 2, layer 1` inside a composite."""
        if self._at is None:
            return self._outer
        where = f"layer {self._at + 1}"
        return f"{self._outer}, {where}" if self._outer else where

    @context.setter
    def context(self, text: str) -> None:
        self._outer, self._at = text, None

    # The GraphBuilder protocol.

    def shape(self, node: int) -> Shape:
        return self.nodes[node].output

    def hold(self, value: int, until: int) -> None:
        if value != until and value not in self.nodes[until].sources:
            node = self.nodes[until]
            self.nodes[until] = replace(node, holds=(*node.holds, value))

    def sequence(self, layers: Any, start: int) -> int:
        current = start
        outer = self.context
        following = [layers, 0]  # the layers after the current one start at following[1]
        self.following.append(following)
        try:
            for index, raw in enumerate(layers):
                self._outer, self._at = outer, index
                following[1] = index + 1
                # The item's own mark where it has one (a mapping does); else its place in the list.
                current = self._layer(raw, current, getattr(raw, "mark", None) or mark_of(layers, index))
        finally:
            self.following.pop()
        self.context = outer
        return current

    def add(self, layer: Layer, sources: list[int], name: str = "") -> int:
        # One input (most layers) whose shape object was seen with this layer object: the
        # numbers found then, looked up by the two ids, as hashing the shapes costs more.
        # (Both objects are held by the trace and the validated layers: no id is reused.)
        only = self.nodes[sources[0]].output if len(sources) == 1 else None
        seen = self.worked_on.get((id(layer), id(only))) if only is not None else None
        if seen is not None and seen[0] is layer and seen[1] is only:
            inputs, output, params, work, summary, macs = seen[2]
            shares: tuple[tuple[str, int], ...] = ()
        else:
            inputs, output, params, work, summary, macs, shares = self._work_out(layer, sources)
            if only is not None and not shares and len(self.worked_on) < WORKED_LIMIT:
                self.worked_on[(id(layer), id(only))] = (layer, only, (inputs, output, params, work, summary, macs))
        if self.frozen and params.trainable:
            params = self.shared.setdefault(("frozen", params), _frozen(params))
        if len(self.nodes) >= MAX_NODES:
            self._fail(f"the network expands to more than {MAX_NODES:,} layers")
        index = len(self.nodes)
        node = _new_node(
            index,
            name,
            layer.kind,
            summary,
            tuple(sources),
            inputs,
            output,
            params,
            macs,
            self.group_tuple,
            self.mark,
            layer,
            work,
            shares,
            (),
            None,
            bool(self.frozen),
            self.checkpoint,
        )
        self.nodes.append(node)
        return index

    def _work_out(
        self, layer: Layer, sources: list[int]
    ) -> tuple[Inputs, Shape, Params, Work, str, int, tuple[tuple[str, int], ...]]:
        """`layer`'s inputs, output, parameters, work, summary, MACs and shared tensors, reading `sources`."""
        inputs = tuple(self.nodes[s].output for s in sources)
        # Shared by sizes and axes both: a Shape equals any tuple of the same sizes.
        key = (inputs, tuple(x.axes for x in inputs))
        inputs = self.shared.setdefault(key, inputs)
        # A layer's numbers depend on the layer and its inputs alone, and equal layers are one
        # object (parse_layer validates each content once): a long network repeats a few
        # (layer, inputs) pairs, worked out once each. Not a tied layer: it reads the scope.
        known = self.worked.get((id(layer), key))
        if known is not None and known[0] is layer:
            _, output, params, work, summary, macs = known
            return inputs, output, params, work, summary, macs, ()
        try:
            layer.check_layout(inputs)
            output = layer.output_shape(inputs)
            shares = self._shares(layer, inputs) if layer.shares() else ()
            params = layer.params(inputs)
            work = layer.work(inputs, output)
            # Equal values as one object: a long network repeats the same few shapes and counts.
            output = self.shared.setdefault((output, output.axes), output)
            params = self.shared.setdefault(params, params)
            work = self.shared.setdefault(work, work)
        except LayerError as exc:
            self._fail_layer(exc, sources)
        summary, macs = layer.describe(inputs), self.convention.macs(work)
        if not shares and len(self.worked) < WORKED_LIMIT:
            self.worked[(id(layer), key)] = (layer, output, params, work, summary, macs)
        return inputs, output, params, work, summary, macs, shares

    def _shares(self, layer: Layer, inputs: Inputs) -> tuple[tuple[str, int], ...]:
        """The nodes holding the tensors `layer` uses from earlier layers (`tie:`), each
        checked to hold a tensor of that name and shape; LayerError otherwise."""
        own = {t.name: t for t in layer.tensors(inputs)}
        found = []
        for tensor, name in layer.shares().items():
            if name not in self.scope.names:
                hint = did_you_mean(name, list(self.scope.names))
                raise LayerError(f"tie: '{name}' names no earlier layer{hint}", "tie")
            holder = self.nodes[self.scope.names[name]]
            theirs = {t.name: t for t in holder.layer.tensors(holder.inputs)} if holder.layer else {}
            if tensor not in theirs or theirs[tensor].role == "shared":
                raise LayerError(f"tie: '{name}' ({holder.kind}) holds no {tensor} of its own to share", "tie")
            if theirs[tensor].shape != own[tensor].shape:
                raise LayerError(
                    f"tie: '{name}' ({holder.kind}) holds a {tensor} of shape {theirs[tensor].shape}, "
                    f"this layer needs {own[tensor].shape}",
                    "tie",
                )
            found.append((tensor, holder.index))
        return tuple(found)

    # Building.

    def run(self) -> Trace:
        # The inputs first, in order (node 0 the first, which the first layer reads).
        raw_inputs = self.spec.raw.get("inputs") if isinstance(self.spec.raw, dict) else None
        for name, given in self.spec.named_inputs.items():
            mark = mark_of(raw_inputs, name) if raw_inputs is not None else None
            index = len(self.nodes)
            self.nodes.append(
                Node(index, name, "input", "", (), (), given.shape(), Params(), 0, (), mark, dtype=given.dtype)
            )
            self.scope.names[name] = index
        # Expressions in the network's own layers use the network's `args:`.
        declared = self.spec.raw.get("args") if isinstance(self.spec.raw, dict) else None
        environment = network_environment(self.spec.args, declared, self.path)
        self.layers = substitute(self.spec.layers, environment, self.path, None)
        self._validate_top_level()
        self.sequence(self.layers, 0)
        return Trace(self.spec, self.path, self.nodes, self.groups, self.names, duplicate_names=self.duplicates)

    def _validate_top_level(self) -> None:
        """Validate every top-level layer before propagating any, so that a spec with
        several bad fields gets every message at once (as a linter should), not one a run."""
        failed: list[SpecError] = []
        for index, raw in enumerate(self.layers):
            self._outer, self._at = "", index
            if isinstance(raw, dict) and "when" in raw and not self._included(raw):
                continue
            try:
                self.parsed[id(raw)] = self._parse(raw)
            except SpecError as error:
                failed.append(error)
        self.context = ""
        if len(failed) == 1:
            raise failed[0]
        if failed:
            raise SpecError([d for error in failed for d in error.diagnostics])

    def _included(self, raw: Any) -> bool:
        """False for a layer whose `when:` is false: it is left out, unvalidated."""
        if not isinstance(raw, dict) or "when" not in raw:
            return True
        when = raw["when"]
        if not isinstance(when, bool):
            raise SpecError.at(
                self.path,
                mark_of(raw, "when"),
                f"{self._label(raw)}: when: must be true or false (an expression such as "
                f'"${{stride == 1}}"), got {when!r}',
            )
        return when

    def _layer(self, raw: Any, previous: int, mark: Mark | None) -> int:
        """Walk one layer (all its copies) reading `previous`; `mark` is the layer's own
        mark, or its place in the list where it has none."""
        if isinstance(raw, dict) and "when" in raw and not self._included(raw):
            return previous  # the next layer reads what this one would have read
        outer_raw, outer_mark = self.raw, self.mark
        self.raw, self.mark = raw, mark
        layer = self.parsed.pop(id(raw), None) or self._parse(raw)
        if layer.repeat == 0:  # no copies: the layer vanishes, as `when: false` does
            self.raw, self.mark = outer_raw, outer_mark
            return previous
        sources = self._sources(layer, raw, previous)
        # What to walk, by the layer's class (its copies are all of one): `type() is` and a
        # table, as isinstance() with pydantic's classes costs a long network a while.
        composite = _COMPOSITE.get(type(layer))
        if composite is None:
            composite = _COMPOSITE[type(layer)] = isinstance(layer, Composite)
        if type(layer) is BlockCall:
            kind, arity = layer.block, self.spec.blocks[layer.block].arity
        else:
            kind, arity = cast(Layer, layer).kind, cast(Layer, layer).arity
        if not arity[0] <= len(sources) <= (arity[1] or len(sources)):
            want = f"{arity[0]}" if arity[0] == arity[1] else f"at least {arity[0]}"
            if type(layer) is BlockCall:
                want += f" ({', '.join(self.spec.blocks[layer.block].inputs)}, in the order of `from:`)"
            self._fail(f"{self._label(raw)}: reads {len(sources)} input(s), {kind} takes {want}", "from")
        if layer.repeat > 1:
            self._bound(layer.repeat)
        held = self._held(layer, raw) if layer.holds else []
        group: int | None = None
        outer_copies, self.copies = self.copies, self.copies * layer.repeat
        # One copy, the common case, without the generator of names.
        names = copies(layer.name, layer.repeat) if layer.repeat > 1 else (layer.name or "",)
        for copy, name in enumerate(names):
            if copy and isinstance(raw, PerCopy):  # its fields read the copy's index: each copy its own
                layer = self._parse(raw, copy)
            group = None
            freezes = not layer.trainable  # per copy: `trainable: "${i >= 8}"` trains the last copies
            self.frozen += freezes
            if type(layer) is BlockCall:
                out, group = self._block(layer, raw, sources, name or self.scope.unnamed(kind))
            elif composite:
                # (Labels number unnamed blocks and composites per kind; a primitive layer needs none.)
                with self._group(name or self.scope.unnamed(kind), kind) as group:
                    try:
                        out = cast(Composite, layer).expand(self, sources)
                    except LayerError as exc:  # the composite's own rule (a projection that cannot fit)
                        self._fail_layer(exc, sources)
            else:
                out = self.add(cast(Layer, layer), sources, self.scope.qualified(name))
            self.frozen -= freezes
            for value in held:  # `holds:`: alive until this copy has run
                self.hold(value, out)
            # The next copy reads this one in place of the first input; the others stay
            # (six decoder layers, each reading the one before and the encoder's memory).
            sources = [out, *sources[1:]]
            if name:
                self._register(name, out, group)
        self.copies = outer_copies
        if layer.name and layer.repeat > 1:
            self._register(layer.name, sources[0], group)  # the name stands for the last copy
        self.raw, self.mark = outer_raw, outer_mark
        return sources[0]

    def _parse(self, raw: Any, copy: int = 0) -> Layer | BlockCall:
        """Validate one layer; of a layer whose fields read its copy's index, copy `copy`."""
        if isinstance(raw, PerCopy):
            context = f"{self._label(raw)}, copy i={copy} of n={raw.count}"
            return parse_layer(raw.copy_at(copy), self.path, context, self.spec.blocks, self.validated)
        # A layer validated before (most of a long network) needs no label, which is for messages.
        known = self.validated.get(content_key(raw))
        if known is not None:
            return known
        return parse_layer(raw, self.path, self._label(raw), self.spec.blocks, self.validated)

    def _bound(self, repeat: int) -> None:
        """Refuse, before expanding it, a `repeat:` that makes more than MAX_NODES layers.

        Each copy makes at least one layer, so the layers made so far plus `repeat`, and
        `repeat` times the copies of the enclosing blocks, are both at most what it makes."""
        made = len(self.nodes) - len(self.spec.named_inputs)  # not the inputs
        if self.copies * repeat <= MAX_NODES and made + repeat <= MAX_NODES:
            return
        if self.copies * repeat > made + repeat:
            what = f"in {self.copies:,} copies of the blocks around it makes at least {self.copies * repeat:,}"
        elif made:
            what = f"after {made:,} layers makes at least {made + repeat:,}"
        else:
            what = f"makes at least {repeat:,}"
        self._fail(
            f"{self._label(self.raw)}: repeat: {repeat:,} {what}; a spec expands to at most {MAX_NODES:,} layers",
            "repeat",
        )

    def _label(self, raw: Any) -> str:
        name = raw.get("name") if isinstance(raw, dict) else None
        kind = raw.get("type") if isinstance(raw, dict) else None
        text = self.context or "layer"
        if isinstance(name, str):
            text += f" '{name}'"
        if isinstance(kind, str):
            text += f" ({kind})"
        if self.expansion.innermost is not None:
            text += f" in block '{self.expansion.innermost}'"
        return text

    def _register(self, name: str, node: int, group: int | None) -> None:
        if name == "input":
            self._fail(
                f"{self._label(self.raw)}: the name 'input' is reserved for the input of the network or block", "name"
            )
        if self.scope.outer is None and name in self.spec.named_inputs:
            self._fail(f"{self._label(self.raw)}: the name '{name}' is one of the network's inputs", "name")
        if name in self.scope.marks and self.scope.marks[name] != self.mark:
            self.duplicates.append((self.scope.qualified(name), self.mark))
        self.scope.names[name] = node
        self.scope.marks[name] = self.mark
        # A named block or composite stands for its whole group in claims and reports.
        self.names[self.scope.qualified(name)] = node if group is None else ("group", group)

    def _held(self, layer: Layer | BlockCall, raw: Any) -> list[int]:
        """The nodes a layer's `holds:` names (earlier layers kept alive until it has run)."""
        names = getattr(layer, "holds", None) or []
        found = []
        for i, name in enumerate(names):
            if name not in self.scope.names:
                hint = did_you_mean(name, list(self.scope.names))
                where = mark_of(raw["holds"], i) if isinstance(raw, dict) and "holds" in raw else self.mark
                raise SpecError.at(
                    self.path, where, f"{self._label(raw)}: holds '{name}', which names no earlier layer{hint}"
                )
            found.append(self.scope.names[name])
        return found

    def _sources(self, layer: Layer | BlockCall, raw: Any, previous: int) -> list[int]:
        if layer.source is None:
            return [previous]
        wanted = [layer.source] if isinstance(layer.source, str) else layer.source
        found = []
        for i, name in enumerate(wanted):
            if name not in self.scope.names:
                where = mark_of(raw["from"], i) if isinstance(layer.source, list) else mark_of(raw, "from")
                siblings, after = self.following[-1] if self.following else ([], 0)
                later = next(
                    (
                        mark_of(x)
                        for x in itertools.islice(siblings, after, None)
                        if isinstance(x, dict) and x.get("name") == name
                    ),
                    None,
                )
                outside = self._outside(name)
                if outside is not None:
                    raise SpecError.at(self.path, where, f"{self._label(raw)}: {outside}")
                local = self._local(name)
                if local is not None:
                    raise SpecError.at(self.path, where, f"{self._label(raw)}: from '{name}': {local}")
                if later is not None:
                    hint = f"; '{name}' comes later, at line {later.line}: a layer reads only earlier ones"
                elif name == INPUT and self.spec.inputs is not None and self.scope.block is None:
                    named = ", ".join(self.spec.inputs)
                    hint = f"; the network's inputs are named {named} (inputs:): read one by its name"
                elif _DISPLAY_LABEL.fullmatch(name):  # `upsample#1`, `stage.1/conv#2`: cnncalc.labels
                    hint = (
                        f"; '{name}' is how reports label an unnamed layer, not a name: "
                        "give that layer a `name:` and use that"
                    )
                else:
                    hint = did_you_mean(name, list(self.scope.names))
                raise SpecError.at(self.path, where, f"{self._label(raw)}: from '{name}' names no earlier layer{hint}")
            found.append(self.scope.names[name])
        return found

    def _local(self, name: str) -> str | None:
        """What to say of a `from:` naming a layer inside a block instance used here
        (`l0.skip`, or `skip` alone); None if it names none."""
        for label, called, block, names in reversed(self.scope.instances):
            definition = self.spec.blocks[block]
            prefixes = [label] if called is None else [label, called]
            for prefix in dict.fromkeys(prefixes):
                inner = name[len(prefix) + 1 :] if name.startswith(f"{prefix}.") else None
                if inner is None and "." not in name:
                    inner, prefix = name, called or label
                if inner is None or inner in definition.inputs or inner in definition.outputs:
                    continue
                if inner in names:
                    declared = ", ".join([*definition.outputs, inner])
                    return (
                        f"'{inner}' is local to block '{prefix}' ({block}): a layer outside a block reads only "
                        f"its outputs; declare it in the block's outputs (outputs: [{declared}]) "
                        f"and read it as {prefix}.{inner}"
                    )
        return None

    def _outside(self, name: str) -> str | None:
        """What to say of a `from:` in a block naming something only outside it; None if nothing."""
        block = self.scope.block
        if block is None:
            return None
        inputs = self.spec.blocks[block].inputs
        if name == INPUT and inputs != (INPUT,):
            return f"block '{block}' reads its inputs as {', '.join(inputs)}, not as 'input'"
        frame = self.scope.outer
        while frame is not None:
            if name in frame.names:
                return f"'{name}' is outside block '{block}': pass it as an input (inputs: {', '.join(inputs)})"
            frame = frame.outer
        return None

    def _block(self, call: BlockCall, raw: Any, sources: list[int], label: str) -> tuple[int, int]:
        """Walk one use of a block in a frame of its own; return its output node and group."""
        definition = self.spec.blocks[call.block]
        outer_scope, outer_context = self.scope, self.context
        try:
            with self.expansion.enter(call.block):
                blocks = self.spec.raw.get("blocks") if isinstance(self.spec.raw, dict) else None
                declared = blocks.get(call.block, {}).get("args") if isinstance(blocks, dict) else None
                environment = bind(call, definition, raw, self.path, self._label(raw), declared)
                instance = instantiate(call, definition, environment, sources, outer_scope, label, self.path)
                with self._group(label, call.block) as group:
                    self.scope, self.context = instance.frame, ""
                    outer_checkpoint = self.checkpoint
                    if call.checkpoint and outer_checkpoint < 0:  # inside one already: the outer one reruns it
                        self.checkpoint = group
                    last = self.sequence(instance.layers, instance.start)
                    self.checkpoint = outer_checkpoint
                    if definition.keeps_argument:  # a forward's argument, alive until it returns
                        for source in sources:
                            self.hold(source, last)
                self.scope, self.context = outer_scope, outer_context
                return self._export(call, instance.frame, label, last), group
        except BlockError as exc:
            return self._fail(exc.message, exc.field)  # type: ignore[no-any-return]
        finally:
            self.scope, self.context = outer_scope, outer_context

    def _export(self, call: BlockCall, frame: Frame, label: str, last: int) -> int:
        """Make a block instance's declared outputs readable where it was used (`l0.skip`;
        `l0` alone is the first), remember its other names as local to it, and return
        the node the next layer reads."""
        definition = self.spec.blocks[call.block]
        for index, output in enumerate(definition.outputs):
            if output not in frame.names:
                self._fail_at_output(
                    call.block,
                    index,
                    f"block '{call.block}': outputs: '{output}' names none of its layers"
                    f"{did_you_mean(output, list(frame.names))}",
                )
        # `l.2.skip` and, for the last copy of a repeat, `l.skip`, as `l` stands for the last copy.
        if call.name is not None:
            for prefix in dict.fromkeys([label, call.name]):
                for output in definition.outputs:
                    self.scope.names[f"{prefix}.{output}"] = frame.names[output]
                    self.names[self.scope.qualified(f"{prefix}.{output}")] = frame.names[output]
        # Its other names, only for the message of a `from:` that tries one (see _local).
        self.scope.instances.append((label, call.name, call.block, frame.names.keys()))
        return frame.names[definition.outputs[0]] if definition.outputs else last

    def _fail_at_output(self, block: str, index: int, message: str) -> Any:
        """A positioned error at one entry of a block's `outputs:`."""
        blocks = self.spec.raw.get("blocks") if isinstance(self.spec.raw, dict) else None
        definition = blocks.get(block) if isinstance(blocks, dict) else None
        outputs = definition.get("outputs") if isinstance(definition, dict) else None
        mark = mark_of(outputs, index) or mark_of(definition, "outputs") or self.mark or Mark(1, 1)
        raise SpecError([Diagnostic(self.path, mark, message)])

    @contextmanager
    def _group(self, label: str, block: str) -> Iterator[int]:
        parent = self.group_stack[-1] if self.group_stack else None
        group = Group(len(self.groups), f"{self.scope.prefix}{label}", block, parent, len(self.group_stack), self.mark)
        self.groups.append(group)
        self.group_stack.append(group.index)
        self.group_tuple = tuple(self.group_stack)
        try:
            yield group.index
        finally:
            self.group_stack.pop()
            self.group_tuple = tuple(self.group_stack)

    def _fail(self, message: str, key: str | None = None, cause: LayerError | None = None) -> Any:
        where = mark_of(self.raw, key, of_key=key == "type") if key and isinstance(self.raw, dict) else self.mark
        kind = self.raw.get("type") if isinstance(self.raw, dict) else None
        raise SpecError(
            [Diagnostic(self.path, where or self.mark or Mark(1, 1), message)],
            kind=kind if isinstance(kind, str) else None,
            cause=cause,
        )

    def _fail_layer(self, exc: LayerError, sources: list[int]) -> Any:
        # Name every input with its shape in the course's (H, W, C) order: a merge
        # mismatch must say which two layers disagree.
        known = {node: name for name, node in self.scope.names.items()}
        shown = []
        for s in sources:
            node = self.nodes[s]
            name = known.get(s) or node.name or f"#{s} {node.kind}"
            shown.append(f"{name} {node.output.text()}")
        key = exc.field if isinstance(self.raw, dict) and exc.field in self.raw else None
        self._fail(f"{self._label(self.raw)}: {exc.message}; reads {', '.join(shown)}", key, cause=exc)


def _frozen(params: Params) -> Params:
    """`params` with every parameter frozen (the buffers as they were)."""
    return Params(0, params.total, params.buffers)


def propagate(spec: Spec, path: str, *, batch: int | None = None, dtype: str = "float32") -> Trace:
    """Expand and propagate `spec`; SpecError, positioned, on any problem."""
    with collector_paused():  # a long network makes millions of objects, and no cycles
        trace = _Builder(spec, path).run()
    trace.batch = batch or spec.batch or 1
    trace.dtype = dtype
    return trace
