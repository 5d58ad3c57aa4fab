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
