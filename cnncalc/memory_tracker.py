"""PyTorch's own memory, tensor by tensor: the ground truth the memory pass is checked against.

`StorageTracker` is a `TorchDispatchMode` that adds a storage's bytes when an op creates
it (an op's output whose storage it has not seen) and subtracts them when the storage is
freed (a weakref finalizer on the storage: a view or an in-place result keeps the same
storage, so it adds nothing, and the bytes go only when the last tensor using them dies).
Tensors that exist before the measured region (weights, buffers, the input, gradients,
optimizer state) are `hold()`-ed first and count from the start. The peak is exact at the
level of tensors; an allocator (CUDA's caching allocator, library workspaces) adds its
own rounding on top, which this does not see.

The protocol (`inference_peak`, `training_peak`): inference is one forward in `eval()`
under `no_grad`; training is the second of two steps of
`zero_grad(set_to_none=True); model(x).sum().backward(); opt.step()` in `train()` mode,
with the optimizer's default implementation on the device.

torch is imported inside functions only.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cnncalc.verify import import_torch

# What `--train` names, and the torch optimizer (with its arguments) each stands for.
OPTIMIZERS: dict[str, tuple[str, dict[str, float]]] = {
    "sgd": ("SGD", {"lr": 0.01}),
    "momentum": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
}


@dataclass
class Measured:
    """Bytes PyTorch held: at the start of the region and at its peak."""

    start: int
    peak: int


def _tracker_class() -> Any:
    import_torch()
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    class StorageTracker(TorchDispatchMode):  # type: ignore[misc, no-untyped-call, unused-ignore]  # torch's untyped
        """Live and peak bytes of every storage created under it (and those `hold()`-ed)."""

        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call, unused-ignore]
            self.live = 0
            self.peak = 0
            self.seen: set[int] = set()
            self.log: list[tuple[str, int]] | None = None  # (op, live bytes after it), when asked for

        def hold(self, tensors: Iterable[Any]) -> None:
            """Count tensors that exist already (weights, input, state) from now on."""
            for tensor in tensors:
                self._add(tensor)

        def _add(self, tensor: Any) -> None:
            import torch

            if not isinstance(tensor, torch.Tensor) or tensor.device.type == "meta":
                return
            storage = tensor.untyped_storage()
            key = storage._cdata  # the C storage itself: a new Python wrapper may come for the same one
            if key in self.seen:
                return
            self.seen.add(key)
            size = int(storage.nbytes())
            self.live += size
            self.peak = max(self.peak, self.live)
            weakref.finalize(storage, self._free, key, size)

        def _free(self, key: int, size: int) -> None:
            self.seen.discard(key)
            self.live -= size

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            out = func(*args, **(kwargs or {}))
            for tensor in tree_flatten(out)[0]:
                self._add(tensor)
            if self.log is not None:
                self.log.append((str(func), self.live))
            return out

    return StorageTracker


def tracker() -> Any:
    """A new StorageTracker (a context manager; `.peak`, `.live`, `.hold(tensors)`)."""
    return _tracker_class()()


def _existing(module: Any, x: Any, optimizer: Any = None) -> list[Any]:
    import torch

    found: list[Any] = [*(x if isinstance(x, tuple) else (x,)), *module.parameters(), *module.buffers()]
    found += [p.grad for p in module.parameters() if p.grad is not None]
    if optimizer is not None:
        for state in optimizer.state.values():
            found += [v for v in state.values() if isinstance(v, torch.Tensor)]
    return found


def inference_peak(module: Any, x: Any) -> Measured:
    """One forward in eval() under no_grad."""
    torch = import_torch()
    module.eval()
    with torch.no_grad():
        mode = tracker()
        with mode:
            mode.hold(_existing(module, x))
            start = mode.live
            out = module(*x) if isinstance(x, tuple) else module(x)
            del out
    return Measured(start, mode.peak)


def make_optimizer(module: Any, name: str) -> Any:
    torch = import_torch()
    cls, kwargs = OPTIMIZERS[name]
    return getattr(torch.optim, cls)(module.parameters(), **kwargs)


def training_step(module: Any, x: Any, optimizer: Any) -> None:
    optimizer.zero_grad(set_to_none=True)
    (module(*x) if isinstance(x, tuple) else module(x)).sum().backward()
    optimizer.step()


def training_peak(module: Any, x: Any, optimizer_name: str) -> Measured:
    """The second of two training steps in train() mode; what exists before it counts from the start."""
    import_torch()
    module.train()
    optimizer = make_optimizer(module, optimizer_name)
    training_step(module, x, optimizer)
    mode = tracker()
    with mode:
        mode.hold(_existing(module, x, optimizer))
        start = mode.live
        training_step(module, x, optimizer)
    return Measured(start, mode.peak)


# `cnncalc verify --memory`: cnncalc's peaks beside the tracker's.

TOLERANCE = 0.05  # the aim: within 5% of PyTorch's tracked peak


@dataclass(frozen=True)
class MemoryCheck:
    """One peak as cnncalc computed it beside PyTorch's, for one protocol."""

    what: str  # "inference", or the optimizer of a training step
    computed: int
    torch: int

    @property
    def error(self) -> float:
        return (self.computed - self.torch) / self.torch if self.torch else 0.0

    @property
    def agrees(self) -> bool:
        return abs(self.error) <= TOLERANCE


def check_memory(trace: Any, batch: int, optimizers: tuple[str, ...] = ("sgd", "adam")) -> list[MemoryCheck]:
    """The inference peak and each optimizer's training peak at `batch`, float32 on the CPU,
    against the tracker on the module `verify` builds."""
    import_torch()
    from cnncalc.analysis.memory import inference_peak as computed_inference
    from cnncalc.analysis.memory import training_peak as computed_training
    from cnncalc.verify import build_module, sample_input

    module = build_module(trace, "cpu")
    x = sample_input(trace, batch, "cpu")
    found = [MemoryCheck("inference", computed_inference(trace.nodes, batch).total, inference_peak(module, x).peak)]
    for name in optimizers:
        computed = computed_training(trace.nodes, batch, name).total
        found.append(MemoryCheck(name, computed, training_peak(module, x, name).peak))
    return found
