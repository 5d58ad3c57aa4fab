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

import importlib
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from cnncalc.shape import Shape

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


def node_label(node: Node) -> str:
    return f"#{node.index} {node.name} ({node.kind})" if node.name else f"#{node.index} ({node.kind})"


def _graph_module_class() -> Any:
    import_torch()
    from torch import nn

    class GraphModule(nn.Module):
        """Runs a trace's nodes in order: outputs[i] = nodes[i](*outputs[sources])."""

        def __init__(self, modules: list[Any], sources: list[tuple[int, ...]]) -> None:
            super().__init__()
            self.nodes = nn.ModuleList(modules)
            self.sources = sources
            # Drop each output after its last reader, so that a long network holds
            # only the tensors still to be read.
            last = {s: i for i, srcs in enumerate(sources) for s in srcs}
            self.release = [[s for s, i in last.items() if i == j] for j in range(len(sources))]

        def forward(self, x: Any, observe: Callable[[int, Any], None] | None = None) -> Any:
            outputs: dict[int, Any] = {0: x}
            out = x
            for i in range(1, len(self.nodes)):
                try:
                    out = self.nodes[i](*(outputs[s] for s in self.sources[i]))
                except Exception as exc:
                    raise NodeFailed(i, exc) from exc
                if observe is not None:
                    observe(i, out)
                outputs[i] = out
                for s in self.release[i]:
                    del outputs[s]
            return out

    return GraphModule


class NodeFailed(Exception):
    """PyTorch could not build or run node `index`."""

    def __init__(self, index: int, exc: BaseException) -> None:
        super().__init__(f"{type(exc).__name__}: {exc}".strip())
        self.index = index


def build_module(trace: Trace, device: str = "cpu") -> Any:
    """The whole trace as one `nn.Module`, built on `device`; forward(x) takes a batch."""
    torch = import_torch()
    modules: list[Any] = [torch.nn.Identity()]  # node 0, the input
    with torch.device(device):
        for node in trace.nodes[1:]:
            assert node.layer is not None
            try:
                modules.append(node.layer.build_torch(node.inputs))
            except Exception as exc:
                raise NodeFailed(node.index, exc) from exc
    module = _graph_module_class()([m.to(device) for m in modules], [n.sources for n in trace.nodes])
    return module.eval()


def _counts(module: Any) -> tuple[int, int, int]:
    params = list(module.parameters())
    return (
        sum(p.numel() for p in params if p.requires_grad),
        sum(p.numel() for p in params if not p.requires_grad),
        sum(b.numel() for b in module.buffers()),
    )


def _per_sample(flops: int, batch: int) -> int | Fraction:
    value = Fraction(flops, 2 * batch)
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

    def observe(index: int, out: Any) -> None:
        nonlocal flops_seen
        node = trace.nodes[index]
        total = int(counter.get_total_flops())
        flops, flops_seen = total - flops_seen, total
        trainable, frozen, buffers = _counts(module.nodes[index])
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

    x = torch.randn(batch, *trace.nodes[0].output, device=device)
    try:
        # Gradients on: under no_grad some fused paths hide work from the counter.
        with torch.enable_grad(), counter:
            module(x, observe)
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
    """One call of a weighted leaf module (one holding parameters or buffers)."""

    label: str
    shape: Any  # per-sample shape, or a description when not a tensor


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
        """The first position where the two leaf sequences differ in shape; None if none."""
        for i, (a, b) in enumerate(zip(self.spec_leaves, self.model_leaves, strict=False)):
            if a.shape != b.shape:
                return i
        if len(self.spec_leaves) != len(self.model_leaves):
            return min(len(self.spec_leaves), len(self.model_leaves))
        return None

    @property
    def agrees(self) -> bool:
        return not self.error and all(c.agrees for c in self.checks) and self.first_leaf_mismatch is None


def load_factory(text: str) -> Callable[[], Any]:
    """`package.module:factory` -> the callable; FactoryError with the reason otherwise."""
    module_name, colon, attr = text.partition(":")
    if not colon or not module_name or not attr:
        raise FactoryError(
            f"--against {text!r}: write it as package.module:factory (for example torchvision.models:resnet50)"
        )
    # As `python -m` would: a module in the working directory is found.
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise FactoryError(f"--against {text}: cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    found: Any = module
    for part in attr.split("."):
        if not hasattr(found, part):
            raise FactoryError(f"--against {text}: {module_name} has no attribute {attr!r}")
        found = getattr(found, part)
    if not callable(found):
        raise FactoryError(f"--against {text}: {attr} is a {type(found).__name__}, not a callable that builds a model")
    factory: Callable[[], Any] = found
    return factory


def _weighted_leaves(module: Any) -> list[tuple[str, Any]]:
    return [
        (name, m)
        for name, m in module.named_modules()
        if not any(True for _ in m.children())
        and (any(True for _ in m.parameters(recurse=False)) or any(True for _ in m.buffers(recurse=False)))
    ]


def _run_recording(
    module: Any, x: Any, batch: int, torch: Any, label: Callable[[str, Any], str] | None = None
) -> tuple[list[Leaf], int, Any]:
    """Forward `x`: the weighted leaves' per-sample output shapes in call order, the FLOPs
    and the output's per-sample shape."""
    from torch.utils.flop_counter import FlopCounterMode

    leaves: list[Leaf] = []
    handles = []
    for name, m in _weighted_leaves(module):

        def hook(m: Any, args: Any, out: Any, name: str = name) -> None:
            text = label(name, m) if label else f"{name} ({type(m).__name__})"
            leaves.append(Leaf(text, _shape_of(out, batch)))

        handles.append(m.register_forward_hook(hook))
    counter = FlopCounterMode(display=False)
    try:
        with torch.enable_grad(), counter:
            out = module(x)
    finally:
        for h in handles:
            h.remove()
    return leaves, int(counter.get_total_flops()), _shape_of(out, batch)


def compare_with_model(trace: Trace, factory_text: str, device: str = "auto") -> Comparison:
    """Compare `trace` with the model `factory_text` builds: counts, MACs, leaf shapes."""
    torch = import_torch()
    factory = load_factory(factory_text)
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

    x = torch.randn(batch, *trace.nodes[0].output, device=device)
    try:
        result.spec_leaves, _, _ = _run_recording(ours, x, batch, torch, label)
    except NodeFailed as failed:
        result.error = f"the spec's node #{failed.index} does not run in PyTorch: {failed}"
        return result
    try:
        result.model_leaves, flops, output = _run_recording(model, x, batch, torch)
    except Exception as exc:
        result.error = f"the model cannot take the spec's input {tuple(x.shape)}: {type(exc).__name__}: {exc}"
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
