"""Small torch modules the builders share (torch imported inside, only by `--verify`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from cnncalc.shape import Shape


def on_channels_last(module: Any, x: Shape) -> Any:
    """`module` applied to the channel axis of `x` moved last, then moved back.

    ConvNeXt's `Permute([0, 2, 3, 1])`, nn.LayerNorm or nn.Linear, `Permute([0, 3, 1, 2])`:
    the torch layer stays a plain nn.LayerNorm or nn.Linear, which the counting tools know.
    A layout whose channel axis is already last needs no permute.
    """
    from torch import nn

    channels = x.dim(x.layout.channels)
    last = len(x)
    if channels == last:
        return module
    order = [d for d in range(last + 1) if d != channels] + [channels]
    back = [order.index(d) for d in range(last + 1)]
    return nn.Sequential(Permute(order), module, Permute(back))


@cache  # one class, however many layers build it
def _permute_class() -> Any:
    from torch import nn

    class Permute(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
        """`x.permute(*dims)`, as torchvision.ops.Permute."""

        def __init__(self, dims: list[int]) -> None:
            super().__init__()
            self.dims = list(dims)

        def forward(self, x: Any) -> Any:
            return x.permute(*self.dims)

        def extra_repr(self) -> str:
            return f"dims={self.dims}"

    return Permute


def Permute(dims: list[int]) -> Any:  # reads as the torch class it builds
    """A torch module permuting a tensor's dims (the batch dim included) to `dims`."""
    return _permute_class()(dims)


@cache
def _function_class() -> Any:
    from torch import nn

    class Function(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
        """`form: function`: runs a module's forward without holding it as a submodule, so
        the code is its F.* calls (F.relu, F.adaptive_avg_pool2d) and no module hook sees it."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.__dict__["inner"] = inner  # not registered: tools that walk modules() never reach it

        def forward(self, x: Any) -> Any:
            inner: Any = self.__dict__["inner"]
            return inner.forward(x)

    return Function


def as_function(module: Any) -> Any:
    """`module`'s computation as F.* calls in a small module's forward (parameter-free kinds only)."""
    return _function_class()(module)


_SUBCLASSES: dict[type, type] = {}  # one subclass per torch class, however many layers build it


def _subclass_of(cls: type) -> type:
    # The name keeps the torch class's: torchinfo tells a conv by "Conv" in the class name.
    if cls not in _SUBCLASSES:
        _SUBCLASSES[cls] = type(f"{cls.__name__}Subclass", (cls,), {"__module__": __name__})
    return _SUBCLASSES[cls]


def as_subclass(module: Any) -> Any:
    """`form: subclass`: every torch.nn module in `module` turned into a subclass of its own
    class (as torchvision's LayerNorm2d subclasses nn.LayerNorm): the same computation, a
    type that counters matching modules by exact type do not know."""
    for sub in module.modules():
        if type(sub).__module__.startswith("torch.nn"):
            sub.__class__ = _subclass_of(type(sub))
    return module
