"""Average pooling in 1, 2 and 3 dimensions: `{type: avgpool, kernel: 2, stride: 2}`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import AXES, Inputs, Shape
from cnncalc.layers.pool._pool import PoolNd


class AvgPoolNd(PoolNd):
    """The mean of each window; zero padding counts towards the mean unless told otherwise."""

    count_include_pad: bool = Field(True, description="Average over padded zeros too (PyTorch's default).")

    def _torch_pool(
        self, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...]
    ) -> Any:
        from torch import nn

        cls = getattr(nn, f"AvgPool{self.ndim}d")
        return cls(kernel, stride, padding, ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad)


class AvgPool(AvgPoolNd):
    """2-D average pooling."""

    type: Literal["avgpool"]


class AvgPool1d(AvgPoolNd):
    """1-D average pooling."""

    type: Literal["avgpool1d"]
    ndim: ClassVar[int] = 1
    accepts: ClassVar[frozenset[str]] = frozenset({"CL"})


class AvgPool3d(AvgPoolNd):
    """3-D average pooling."""

    type: Literal["avgpool3d"]
    ndim: ClassVar[int] = 3
    accepts: ClassVar[frozenset[str]] = frozenset({"CDHW"})

    def output_shape(self, inputs: Inputs) -> Shape:
        # PyTorch's avg_pool3d, unlike the 1-D and 2-D ones and max pooling, refuses an
        # input smaller than its kernel whatever the padding.
        sizes, kernel, _, _ = self._geometry(inputs[0])
        for n, f, axis in zip(sizes, kernel, AXES[3], strict=True):
            if n < f:
                raise LayerError(
                    f"{axis}={n} is smaller than the {f}-wide kernel, which PyTorch's avg_pool3d refuses "
                    "even with padding",
                    "kernel",
                )
        return super().output_shape(inputs)
