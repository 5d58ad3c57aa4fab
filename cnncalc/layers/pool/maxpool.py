"""Max pooling in 1, 2 and 3 dimensions: `{type: maxpool, kernel: 2, stride: 2}`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.layers.api import Size
from cnncalc.layers.pool._pool import PoolNd


class MaxPoolNd(PoolNd):
    """The largest value in each window."""

    pad_value: ClassVar[float] = float("-inf")
    dilation: Size = Field(1, description="Spacing d between window taps.")

    def _torch_pool(
        self, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...]
    ) -> Any:
        from torch import nn

        cls = getattr(nn, f"MaxPool{self.ndim}d")
        return cls(kernel, stride, padding, dilation, ceil_mode=self.ceil_mode)


class MaxPool(MaxPoolNd):
    """2-D max pooling."""

    type: Literal["maxpool"]


class MaxPool1d(MaxPoolNd):
    """1-D max pooling."""

    type: Literal["maxpool1d"]
    ndim: ClassVar[int] = 1
    accepts: ClassVar[frozenset[str]] = frozenset({"CL"})


class MaxPool3d(MaxPoolNd):
    """3-D max pooling."""

    type: Literal["maxpool3d"]
    ndim: ClassVar[int] = 3
    accepts: ClassVar[frozenset[str]] = frozenset({"CDHW"})
