"""`--verify`: build a trace in PyTorch and check every number cnncalc computed.

The trace becomes one `nn.Module` (`build_module`) that runs the nodes in order, each
node's module being the one its layer builds (`Layer.build_torch`). One forward pass,
with gradients enabled, under `FlopCounterMode` gives each node's output shape and
MACs (its FLOPs / 2, read as the counter's growth while that node ran); each node's
module gives its parameter and buffer counts. `compare_with_model` checks a spec
against a person's own model instead (`--against package.module:factory`).

torch is imported inside functions only: importing this module costs nothing, and
the plain `cnncalc table` path never loads torch.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from cnncalc.labels import numbered as node_label
from cnncalc.shape import TOKEN_IDS, Shape

if TYPE_CHECKING:
    from cnncalc.engine import Node, Trace

EXTRA = "pip install 'cnncalc[torch]'"
DEVICES = ("auto", "cuda", "cpu", "meta")
# BatchNorm in training mode, and without running statistics in any mode, needs more
# than one value per channel; two samples give that even at 1x1. Counts are per
# sample, so the batch the check runs at changes nothing it compares.
MIN_BATCH = 2


class VerifyUnavailable(Exception):
    """Verification cannot run here (no torch, no such device): the CLI exits 2."""


class FactoryError(Exception):
    """`--against` names no usable model factory: the CLI exits 2."""


def import_torch() -> Any:
    """torch, or VerifyUnavailable naming the extra to install."""
    try:
        with warnings.catch_warnings():
            # torch warns on import when numpy is missing; verifying never needs numpy.
            warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)
            import torch
    except Exception as exc:  # ImportError, or a broken install failing on load
        raise VerifyUnavailable(f"verifying needs PyTorch, which cannot be imported ({exc}); {EXTRA}") from None
    return torch


def resolve_device(name: str) -> str:
    """`auto` -> cuda when torch sees a GPU, else cpu; `cuda` without one is refused."""
    torch = import_torch()
    if name not in DEVICES:
        raise VerifyUnavailable(f"--device {name}: choose one of {', '.join(DEVICES)}")
    cuda = bool(torch.cuda.is_available())
    if name == "auto":
        return "cuda" if cuda else "cpu"
    if name == "cuda" and not cuda:
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise VerifyUnavailable(
            f"--device cuda: no CUDA device is available to torch {torch.__version__} ({build}); "
            "use --device cpu, or auto to take CUDA only when it is there"
        )
    return name


@dataclass(frozen=True)
class Check:
    """One number (or shape) as cnncalc computed it beside what PyTorch measured."""

    field: str
    computed: Any
    torch: Any

    @property
    def agrees(self) -> bool:
        return bool(self.computed == self.torch)


@dataclass(frozen=True)
class NodeCheck:
    """Every check of one node; `error` when PyTorch could not build or run it."""

    index: int
    checks: tuple[Check, ...] = ()
    error: str = ""

    @property
    def agrees(self) -> bool:
        return not self.error and all(c.agrees for c in self.checks)

    def get(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.field == name), None)


@dataclass(frozen=True)
class Difference:
    """A row of the differences table."""

    index: int | None  # None for the totals
    label: str
    field: str
    computed: Any
    torch: Any


@dataclass
class Verification:
    """A trace checked against PyTorch, node by node and in total."""

    device: str
    torch_version: str
    batch: int  # the batch the forward pass ran at
    nodes: list[NodeCheck]  # one per node after the input, in order
    totals: list[Check]
    error: str = ""  # PyTorch failed before any node ran (or after all: totals)
    labels: dict[int, str] = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return not self.error and all(n.agrees for n in self.nodes) and all(c.agrees for c in self.totals)

    @property
    def checked(self) -> int:
        """Nodes PyTorch built and ran."""
        return sum(1 for n in self.nodes if not n.error and n.checks)

    def node(self, index: int) -> NodeCheck | None:
        return next((n for n in self.nodes if n.index == index), None)

    def differences(self) -> list[Difference]:
        found: list[Difference] = []
        if self.error:
            found.append(Difference(None, "model", "error", "", self.error))
        for n in self.nodes:
            label = self.labels.get(n.index, f"#{n.index}")
            if n.error:
                found.append(Difference(n.index, label, "error", "", n.error))
            found += [Difference(n.index, label, c.field, c.computed, c.torch) for c in n.checks if not c.agrees]
        found += [Difference(None, "total", c.field, c.computed, c.torch) for c in self.totals if not c.agrees]
        return found


def counting(torch: Any) -> contextlib.ExitStack:
    """What FlopCounterMode needs to see every matmul on the CPU (docs: conventions):
    gradients on (no inference fast path), the math attention kernel (the fused ones count
    0 for QK^T and AV) and oneDNN off (its LSTM counts 0)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    stack = contextlib.ExitStack()
    stack.enter_context(torch.enable_grad())
    stack.enter_context(sdpa_kernel(SDPBackend.MATH))
    stack.enter_context(warnings.catch_warnings())
    # Setting the flags also sets oneDNN's TF32 flag, which warns on a build without Intel GPUs.
    warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")
    stack.enter_context(torch.backends.mkldnn.flags(enabled=False))
    return stack


def _graph_module_class() -> Any:
    torch = import_torch()
    from torch import nn

    class GraphModule(nn.Module):
        """Runs a trace's nodes in order: outputs[i] = nodes[i](*outputs[sources])."""

        def __init__(
            self,
            modules: list[Any],
            sources: list[tuple[int, ...]],
            holds: list[tuple[int, ...]] | None = None,
            inputs: int = 1,
            segments: list[tuple[int, int]] | None = None,
        ) -> None:
            super().__init__()
            self.nodes = nn.ModuleList(modules)
            self.sources = sources
            self.inputs = inputs  # nodes 0 to inputs - 1: forward's arguments, in order
            # Drop each output after its last reader (or the node holding it: a block's
            # argument lives until the block returns), so that a long network holds only
            # the tensors still to be read.
            kept = holds or [() for _ in sources]
            last = {s: i for i, (srcs, held) in enumerate(zip(sources, kept, strict=True)) for s in (*srcs, *held)}
            self.release = [[s for s, i in last.items() if i == j] for j in range(len(sources))]
            # Checkpointed blocks (`checkpoint: true`): first node -> (last node, the nodes
            # before it that it reads, its nodes read after it).
            self.segments: dict[int, tuple[int, list[int], list[int]]] = {}
            for start, end in segments or []:
                inside = range(start, end + 1)
                reads = sorted({s for j in inside for s in (*sources[j], *kept[j]) if s < start})
                wanted = sorted({j for j in inside if j == end or last.get(j, j) > end})
                self.segments[start] = (end, reads, wanted)

        def forward(self, *inputs: Any, observe: Callable[[int, Any], None] | None = None) -> Any:
            if len(inputs) != self.inputs:
                raise TypeError(f"the network takes {self.inputs} input(s), got {len(inputs)}")
            outputs: dict[int, Any] = dict(enumerate(inputs))
            out = inputs[-1]
            i = self.inputs
            # Checkpointing as training code writes it (`if self.training`): only where a
            # backward will follow.
            checkpointing = self.training and torch.is_grad_enabled()
            while i < len(self.nodes):
                if checkpointing and i in self.segments:
                    i = self._checkpointed(i, outputs, observe)
                    out = outputs[i - 1]
                    continue
                try:
                    out = self.nodes[i](*(outputs[s] for s in self.sources[i]))
                except Exception as exc:
                    raise NodeFailed(i, exc) from exc
                if observe is not None:
                    observe(i, out)
                outputs[i] = out
                for s in self.release[i]:
                    del outputs[s]
                i += 1
            return out

        def _checkpointed(self, start: int, outputs: dict[int, Any], observe: Any) -> int:
            """Run a checkpointed block's nodes under torch.utils.checkpoint; the node after it."""
            from torch.utils.checkpoint import checkpoint

            end, reads, wanted = self.segments[start]

            def block(*args: Any) -> tuple[Any, ...]:
                local = dict(zip(reads, args, strict=True))
                for j in range(start, end + 1):
                    # Unwrapped: the rerun in backward stops early by raising through here.
                    local[j] = self.nodes[j](*[local[s] for s in self.sources[j]])
                    if observe is not None:
                        observe(j, local[j])
                    for s in self.release[j]:
                        if s >= start:
                            del local[s]
                return tuple(local[j] for j in wanted)

            results = checkpoint(block, *(outputs[s] for s in reads), use_reentrant=False)
            outputs.update(zip(wanted, results, strict=True))
            for j in range(start, end + 1):
                for s in self.release[j]:
                    if s < start:
                        del outputs[s]
            return end + 1

    return GraphModule


class NodeFailed(Exception):
    """PyTorch could not build or run node `index`."""

    def __init__(self, index: int, exc: BaseException) -> None:
        super().__init__(f"{type(exc).__name__}: {exc}".strip())
        self.index = index


def build_module(trace: Trace, device: str = "cpu") -> Any:
    """The whole trace as one `nn.Module`, built on `device`; forward(x) takes a batch
    (of each input in turn, forward(src, tgt), where the spec has several)."""
    torch = import_torch()
    modules: list[Any] = [torch.nn.Identity() for _ in range(trace.input_count)]  # the inputs
    with torch.device(device):
        for node in trace.layer_nodes:
            assert node.layer is not None
            try:
                modules.append(node.layer.build_torch(node.inputs))
            except Exception as exc:
                raise NodeFailed(node.index, exc) from exc
    for node in trace.nodes:
        if node.frozen:  # `trainable: false`, before tying: a tied weight stays its holder's
            modules[node.index].requires_grad_(False)
    for node in trace.nodes:
        for tensor, holder in node.shares:  # a tied weight: one Parameter in both modules
            _set_parameter(modules[node.index], tensor, _parameter(modules[holder], tensor))
    module = _graph_module_class()(
        [m.to(device) for m in modules],
        [n.sources for n in trace.nodes],
        [n.holds for n in trace.nodes],
        trace.input_count,
        _checkpointed(trace.nodes),
    )
    return module.eval()


def _checkpointed(nodes: list[Node]) -> list[tuple[int, int]]:
    """The (first, last) node of each checkpointed block instance (`checkpoint: true`)."""
    spans: dict[int, tuple[int, int]] = {}
    for node in nodes:
        if node.checkpoint >= 0:
            first, _ = spans.get(node.checkpoint, (node.index, node.index))
            spans[node.checkpoint] = (first, node.index)
    return list(spans.values())


def _parameter(module: Any, name: str) -> Any:
    """The first parameter called `name` in `module` or its submodules (a wrapper holds the layer)."""
    return next(p for full, p in module.named_parameters() if full.rsplit(".", 1)[-1] == name)


def _set_parameter(module: Any, name: str, parameter: Any) -> None:
    """Make `module`'s parameter called `name` be `parameter` itself, as `head.weight = emb.weight` does."""
    owner = next(m for m in module.modules() if name in dict(m.named_parameters(recurse=False)))
    setattr(owner, name, parameter)


def sample_input(trace: Trace, batch: int, device: str) -> Any:
    """A batch for the trace's input: random values, or token ids (all 0: valid for any
    vocabulary) for an input of integer ids; for several inputs, a tuple of one each."""
    found = sample_inputs(trace, batch, device)
    return found[0] if len(found) == 1 else found


def sample_inputs(trace: Trace, batch: int, device: str) -> tuple[Any, ...]:
    """A batch for each of the trace's inputs, in order: integer ids (all 0) where the input
    is int64 or token ids, else random values in the float32 the built module computes in
    (an input's float dtype sizes its bytes in the memory report alone)."""
    torch = import_torch()
    found = []
    for node in trace.nodes[: trace.input_count]:
        shape = node.output
        if node.dtype == "int64" or (node.dtype is None and shape.axes == TOKEN_IDS):
            found.append(torch.zeros(batch, *shape, dtype=torch.long, device=device))
        else:
            found.append(torch.randn(batch, *shape, device=device))
    return tuple(found)


def _counts(module: Any, seen: set[int] | None = None) -> tuple[int, int, int]:
    """Trainable and frozen parameters and buffers; with `seen`, parameters already counted
    there (a weight shared with an earlier node) are left out, and these are added to it."""
    params = list(module.parameters())
    if seen is not None:
        params = [p for p in params if id(p) not in seen]
        seen.update(id(p) for p in params)
    return (
        sum(p.numel() for p in params if p.requires_grad),
        sum(p.numel() for p in params if not p.requires_grad),
        sum(b.numel() for b in module.buffers()),
    )


def _per_sample(flops: int, batch: int) -> int | Fraction:
    """Torch's FLOPs for the batch as MACs per sample (cnncalc.conventions.FLOPS_PER_MAC)."""
    from cnncalc.conventions import FLOPS_PER_MAC

    value = Fraction(flops, FLOPS_PER_MAC * batch)
    return int(value) if value.denominator == 1 else value


def _shape_of(out: Any, batch: int, like: Shape | None = None) -> Any:
    """A tensor's per-sample shape, with the axes of `like` where the rank agrees;
    anything else described (it will not match)."""
    shape = getattr(out, "shape", None)
    if shape is None:
        return f"a {type(out).__name__}, not a tensor"
    dims = tuple(int(v) for v in shape)
    if not dims or dims[0] != batch:
        return f"batch axis {dims}"
    return _named(dims[1:], like)


def _named(measured: Any, like: Shape | None) -> Any:
    """PyTorch's measured sizes with the axes cnncalc expects there, where the rank agrees."""
    if like is not None and isinstance(measured, tuple) and len(measured) == len(like):
        return Shape(measured, like.axes)
    return measured


def verify(trace: Trace, device: str = "auto") -> Verification:
    """Check every node of `trace` against PyTorch on `device` (auto, cuda, cpu or meta)."""
    torch = import_torch()
    from torch.utils.flop_counter import FlopCounterMode

    device = resolve_device(device)
    batch = max(trace.batch, MIN_BATCH)
    result = Verification(
        device, str(torch.__version__), batch, [], [], labels={n.index: node_label(n) for n in trace.nodes}
    )
    try:
        module = build_module(trace, device)
    except NodeFailed as failed:
        result.nodes.append(NodeCheck(failed.index, error=f"PyTorch could not build it: {failed}"))
        return result
    flops_seen = 0
    counter = FlopCounterMode(display=False)
    counted: set[int] = set()  # parameters counted at an earlier node: a tied weight counts there

    def observe(index: int, out: Any) -> None:
        nonlocal flops_seen
        node = trace.nodes[index]
        total = int(counter.get_total_flops())
        flops, flops_seen = total - flops_seen, total
        trainable, frozen, buffers = _counts(module.nodes[index], counted)
        result.nodes.append(
            NodeCheck(
                index,
                (
                    Check("shape", node.output, _shape_of(out, batch, node.output)),
                    Check("trainable_params", node.params.trainable, trainable),
                    Check("non_trainable_params", node.params.non_trainable, frozen),
                    Check("buffers", node.params.buffers, buffers),
                    Check("macs", node.macs, _per_sample(flops, batch)),
                ),
            )
        )

    xs = sample_inputs(trace, batch, device)
    try:
        # Gradients on, math attention, no oneDNN: otherwise fused paths hide work from the counter.
        with counting(torch), counter:
            module(*xs, observe=observe)
    except NodeFailed as failed:
        result.nodes.append(NodeCheck(failed.index, error=f"PyTorch could not run it: {failed}"))
        return result
    trainable, frozen, buffers = _counts(module)
    result.totals = [
        Check("trainable_params", sum(n.params.trainable for n in trace.nodes), trainable),
        Check("non_trainable_params", sum(n.params.non_trainable for n in trace.nodes), frozen),
        Check("buffers", sum(n.params.buffers for n in trace.nodes), buffers),
        Check("macs", sum(n.macs for n in trace.nodes), _per_sample(int(counter.get_total_flops()), batch)),
    ]
    return result


# --against: the spec beside a person's own model.


@dataclass(frozen=True)
class Leaf:
    """One call of a weighted leaf module (one holding parameters or buffers).

    `depth` is the longest chain of weighted leaves that feeds it, itself included (1
    for a leaf nothing weighted feeds): a fact of the network's graph, unlike the order
    in which a forward pass happens to call the branches of a merge.
    """

    label: str
    shape: Any  # per-sample shape, or a description when not a tensor
    depth: int = 1


def in_graph_order(leaves: list[Leaf]) -> list[Leaf]:
    """Leaves by depth, then by shape: the same list for two runs of one network whatever
    order its forward calls independent branches in. Leaves of equal depth and shape
    are interchangeable for the comparison and keep their call order."""
    return sorted(leaves, key=lambda leaf: (leaf.depth, repr(leaf.shape)))


# Modules that act on each position's last axis alone: their output holds the same values
# whatever order, or grouping, the positions come in.
_PER_POSITION = ("LayerNorm", "Linear")


def _positions_regrouped(spec: Leaf, model: Leaf) -> bool:
    """The same nn.LayerNorm or nn.Linear on one map's positions, held by the spec's build as
    the map (H, W, C) and by the model cut into groups of positions (MaxViT's (groups, w*w,
    C)): the same channels, as many positions."""
    a, b = spec.shape, model.shape
    same_module = any(spec.label.endswith(f" {n}") and model.label.endswith(f"({n})") for n in _PER_POSITION)
    return (
        same_module
        and isinstance(a, tuple)
        and isinstance(b, tuple)
        and len(a) == len(b) == 3
        and a[-1] == b[-1]
        and a[0] * a[1] == b[0] * b[1]
    )


@dataclass
class Comparison:
    """A spec against a person's model: counts, total MACs and the weighted-leaf shapes."""

    factory: str
    device: str
    torch_version: str
    batch: int
    checks: list[Check]
    spec_leaves: list[Leaf]
    model_leaves: list[Leaf]
    error: str = ""  # the spec's input did not run through one of the two

    @property
    def first_leaf_mismatch(self) -> int | None:
        """The first position where the two leaf sequences (each in graph order, see
        `in_graph_order`) differ in shape; None if none."""
        for i, (a, b) in enumerate(zip(self.spec_leaves, self.model_leaves, strict=False)):
            if a.shape != b.shape and not _positions_regrouped(a, b):
                return i
        if len(self.spec_leaves) != len(self.model_leaves):
            return min(len(self.spec_leaves), len(self.model_leaves))
        return None

    @property
    def agrees(self) -> bool:
        return not self.error and all(c.agrees for c in self.checks) and self.first_leaf_mismatch is None


@dataclass(frozen=True)
class FactoryCall:
    """`package.module:factory(3, aux_logits=False)`, read: arguments are Python literals."""

    module: str
    attr: str  # dotted: `models.resnet50` is an attribute of an attribute
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


_FORM = (
    "package.module:factory, path/to/file.py:factory or package.module:factory(arguments), "
    "for example torchvision.models:inception_v3(aux_logits=False)"
)
_LITERALS = "numbers, strings, True, False, None, and lists, tuples, sets and dicts of them"


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of names, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _literal(node: ast.expr) -> Any:
    """The value of a literal node; ValueError for anything else (a call, a name, an operator).
    `ast.literal_eval` reads the tree and never runs code."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError("not a literal") from None


def parse_factory(text: str) -> FactoryCall:
    """`--against`'s text read without importing or running anything; FactoryError if it is
    not `package.module:factory`, optionally called with literal arguments."""
    module_name, colon, source = text.partition(":")
    source = source.strip()
    if not colon or not module_name or not source:
        raise FactoryError(f"--against {text!r}: write it as {_FORM}")
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        tree = None
    if tree is None or (_dotted(tree) is None and not (isinstance(tree, ast.Call) and _dotted(tree.func))):
        raise FactoryError(f"--against {text!r}: {source!r} is not a factory or a call of one; write {_FORM}")
    if not isinstance(tree, ast.Call):
        return FactoryCall(module_name, source)
    args: list[Any] = []
    for i, node in enumerate(tree.args, 1):
        try:
            args.append(_literal(node))
        except ValueError:
            shown = ast.get_source_segment(source, node)
            raise FactoryError(
                f"--against {text}: argument {i} ({shown}) is not a literal; write {_LITERALS}"
            ) from None
    kwargs: dict[str, Any] = {}
    for keyword in tree.keywords:
        try:
            if keyword.arg is None:  # **mapping
                raise ValueError("not a literal")
            kwargs[keyword.arg] = _literal(keyword.value)
        except ValueError:
            shown = ast.get_source_segment(source, keyword)
            raise FactoryError(f"--against {text}: argument {shown} is not a literal; write {_LITERALS}") from None
    return FactoryCall(module_name, str(_dotted(tree.func)), tuple(args), kwargs)


def _import(module_name: str) -> Any:
    """The module `module_name`, or the file `path/to/file.py` (its folder on sys.path while
    it loads, as `python path/to/file.py` would have it)."""
    if not module_name.endswith(".py"):
        return importlib.import_module(module_name)
    from importlib import util as import_util

    path = os.path.abspath(module_name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {module_name}")
    name = "_cnncalc_source_" + "".join(c if c.isalnum() else "_" for c in os.path.splitext(path)[0])
    spec = import_util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = import_util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up by name
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(folder)
    return module


def load_factory(text: str, arguments: dict[str, Any] | None = None, what: str = "against") -> Callable[[], Any]:
    """`package.module:factory(literal arguments)` (or `path/to/file.py:factory`) -> a
    callable that builds the model with those arguments and `arguments` (`--arg`);
    FactoryError with the reason otherwise."""
    parsed = parse_factory(text)
    shown = f"--against {text}" if what == "against" else text
    module_name, attr = parsed.module, parsed.attr
    # As `python -m` would: a module in the working directory is found.
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = _import(module_name)
    except Exception as exc:
        raise FactoryError(f"{shown}: cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    found: Any = module
    for part in attr.split("."):
        if not hasattr(found, part):
            raise FactoryError(f"{shown}: {module_name} has no attribute {attr!r}")
        found = getattr(found, part)
    if not callable(found):
        raise FactoryError(f"{shown}: {attr} is a {type(found).__name__}, not a callable that builds a model")
    factory: Callable[[], Any] = functools.partial(found, *parsed.args, **{**parsed.kwargs, **(arguments or {})})
    return factory


def _weighted_leaves(module: Any) -> list[tuple[str, Any]]:
    return [
        (name, m)
        for name, m in module.named_modules()
        if not any(True for _ in m.children())
        and (any(True for _ in m.parameters(recurse=False)) or any(True for _ in m.buffers(recurse=False)))
    ]


def _tensors(value: Any, torch: Any) -> list[Any]:
    """The tensors in a module's inputs or output (a tensor, or tuples and lists of them)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v, torch)]
    return []


class _LeafDepths:
    """The depth of each weighted-leaf call, read from the autograd graph of the forward
    pass: a call's depth is one more than the deepest leaf output its inputs derive from.
    The input is made to require gradients so that every tensor derived from it has a
    node in that graph, frozen weights or not."""

    def __init__(self) -> None:
        self.of_output: dict[Any, int] = {}  # autograd node of a leaf's output -> its depth
        self.reached: dict[Any, int] = {}  # autograd node -> deepest leaf output behind it

    def _deepest(self, start: Any) -> int:
        # Iterative post-order walk (a network may be thousands of nodes deep), memoised
        # so that the whole pass costs one visit per autograd node.
        stack = [(start, False)]
        while stack:
            node, done = stack.pop()
            if node is None or node in self.reached:
                continue
            if node in self.of_output:
                self.reached[node] = self.of_output[node]
                continue
            parents = [n for n, _ in node.next_functions if n is not None]
            if done:
                self.reached[node] = max((self.reached.get(n, 0) for n in parents), default=0)
            else:
                stack.append((node, True))
                stack += [(n, False) for n in parents if n not in self.reached]
        return self.reached.get(start, 0)

    def record(self, inputs: list[Any], outputs: list[Any]) -> int:
        depth = 1 + max((self._deepest(t.grad_fn) for t in inputs), default=0)
        for t in outputs:
            if t.grad_fn is not None:
                self.of_output[t.grad_fn] = depth
        return depth


def _run_recording(
    module: Any,
    x: Any,
    batch: int,
    torch: Any,
    label: Callable[[str, Any], str] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> tuple[list[Leaf], int, Any]:
    """Forward `x`: the weighted leaves' per-sample output shapes in graph order (see
    `in_graph_order`), the FLOPs and the output's per-sample shape; only the leaves `keep`
    takes by name, if given."""
    from torch.utils.flop_counter import FlopCounterMode

    leaves: list[Leaf] = []
    depths = _LeafDepths()
    handles = []
    for name, m in _weighted_leaves(module):
        if keep is not None and not keep(name):
            continue

        def hook(m: Any, args: Any, out: Any, name: str = name) -> None:
            text = label(name, m) if label else f"{name} ({type(m).__name__})"
            depth = depths.record(_tensors(args, torch), _tensors(out, torch))
            leaves.append(Leaf(text, _shape_of(out, batch), depth))

        handles.append(m.register_forward_hook(hook))
    counter = FlopCounterMode(display=False)
    try:
        with counting(torch):
            # A copy of a tensor that requires gradients: a model may change its input in place.
            xs = x if isinstance(x, tuple) else (x,)
            tracked = [t.detach().requires_grad_(t.is_floating_point()).clone() for t in xs]
            with counter:
                out = module(*tracked)
    finally:
        for h in handles:
            h.remove()
    return in_graph_order(leaves), int(counter.get_total_flops()), _shape_of(out, batch)


def compare_with_model(
    trace: Trace, factory_text: str, device: str = "auto", arguments: dict[str, Any] | None = None
) -> Comparison:
    """Compare `trace` with the model `factory_text` builds (called with `arguments` too):
    counts, MACs, leaf shapes."""
    torch = import_torch()
    factory = load_factory(factory_text, arguments)
    device = resolve_device(device)
    batch = max(trace.batch, MIN_BATCH)
    try:
        with torch.device(device):
            model = factory()
    except Exception as exc:
        raise FactoryError(f"--against {factory_text}: calling it failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(model, torch.nn.Module):
        raise FactoryError(f"--against {factory_text}: it returned a {type(model).__name__}, not a torch.nn.Module")
    model = model.to(device).eval()
    result = Comparison(factory_text, device, str(torch.__version__), batch, [], [], [])
    try:
        ours = build_module(trace, device)
    except NodeFailed as failed:
        result.error = f"the spec's node #{failed.index} does not build in PyTorch: {failed}"
        return result

    def label(name: str, module: Any) -> str:
        # `nodes.3.0` is part of node 3: name it as the spec does.
        return f"{node_label(trace.nodes[int(name.split('.')[1])])} {type(module).__name__}"

    def keep(name: str) -> bool:
        # A bare nn.Parameter (`form: parameter`: a class token, layer scale) is no module
        # of the person's model, so no leaf there; cnncalc builds it as one.
        layer = trace.nodes[int(name.split(".")[1])].layer
        return layer is None or getattr(layer, "form", "module") != "parameter"

    x = sample_input(trace, batch, device)
    try:
        result.spec_leaves, _, _ = _run_recording(ours, x, batch, torch, label, keep)
    except NodeFailed as failed:
        result.error = f"the spec's node #{failed.index} does not run in PyTorch: {failed}"
        return result
    try:
        result.model_leaves, flops, output = _run_recording(model, x, batch, torch)
    except Exception as exc:
        shapes = ", ".join(str(tuple(t.shape)) for t in (x if isinstance(x, tuple) else (x,)))
        result.error = f"the model cannot take the spec's input {shapes}: {type(exc).__name__}: {exc}"
        return result
    # The spec's side is cnncalc's own arithmetic; the model's is what PyTorch measures.
    trainable, frozen, buffers = _counts(model)
    result.checks = [
        Check("trainable_params", sum(n.params.trainable for n in trace.nodes), trainable),
        Check("non_trainable_params", sum(n.params.non_trainable for n in trace.nodes), frozen),
        Check("buffers", sum(n.params.buffers for n in trace.nodes), buffers),
        Check("macs", sum(n.macs for n in trace.nodes), _per_sample(flops, batch)),
        Check("shape", trace.nodes[-1].output, _named(output, trace.nodes[-1].output)),
    ]
    return result
