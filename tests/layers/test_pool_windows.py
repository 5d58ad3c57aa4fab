"""Which pooling windows PyTorch accepts, and the output size it gives, over a grid of sizes.

The reference is torch's functional pooling itself, called here directly (not cnncalc's
torch builder). ATen's `pooling_output_shape` gives, per axis,
`out = floor((n + 2p - d(f - 1) - 1 + (s - 1 if ceil_mode)) / s) + 1`, then under
`ceil_mode` drops a last window that would start at or past `n + p`; an output below 1
and a padding above half the kernel are refused. So under `ceil_mode` a window wider than
the input is fine as long as it starts inside the input or its left padding.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from helpers import invoke
from needs import needs_module

from cnncalc.errors import LayerError
from cnncalc.layers import registry
from cnncalc.layers.api import Shape
from cnncalc.shape import channels_first

SIZES = range(1, 6)
KERNELS = range(1, 5)
STRIDES = range(1, 4)
KINDS = {  # cnncalc kind: (torch.nn.functional name, spatial dimensions, takes dilation)
    "maxpool1d": ("max_pool1d", 1, True),
    "maxpool": ("max_pool2d", 2, True),
    "maxpool3d": ("max_pool3d", 3, True),
    "avgpool1d": ("avg_pool1d", 1, False),
    "avgpool": ("avg_pool2d", 2, False),
    "avgpool3d": ("avg_pool3d", 3, False),
}


def _torch_output(torch: Any, kind: str, size: Shape, fields: dict[str, Any]) -> Shape | None:
    """The shape torch's own function gives (channels first, no batch), or None if it refuses."""
    pool = getattr(torch.nn.functional, KINDS[kind][0])
    x = torch.zeros(1, 1, *size)
    extra = {"dilation": fields["dilation"]} if "dilation" in fields else {}
    try:
        y = pool(x, fields["kernel"], fields["stride"], fields["padding"], ceil_mode=fields["ceil_mode"], **extra)
    except RuntimeError:
        return None
    out: Shape = tuple(y.shape[1:])
    return out if all(v >= 1 for v in out[1:]) else None


def _cnncalc_output(kind: str, size: Shape, fields: dict[str, Any]) -> Shape | None:
    layer = registry()[kind].model_validate({"type": kind, **fields})
    try:
        return layer.output_shape((channels_first(1, size),))
    except LayerError:
        return None


def _grid(kind: str) -> list[tuple[Shape, dict[str, Any]]]:
    _, ndim, dilated = KINDS[kind]
    cases = []
    for n, f, s, ceil in itertools.product(SIZES, KERNELS, STRIDES, (False, True)):
        for p, d in itertools.product(range(f // 2 + 2), (1, 2) if dilated else (1,)):  # f//2 + 1 is refused
            fields: dict[str, Any] = {"kernel": f, "stride": s, "padding": p, "ceil_mode": ceil}
            if dilated:
                fields["dilation"] = d
            cases.append(((n,) * ndim, fields))
            if ndim > 1:  # one wide axis beside a narrow one, as in (h=1, w=4)
                cases.append(((1,) * (ndim - 1) + (n + 3,), fields))
    return cases


@pytest.mark.parametrize("kind", KINDS)
def test_pooling_accepts_and_sizes_as_torch_does(kind: str) -> None:
    torch = needs_module("torch")
    wrong = []
    accepted = refused = 0
    for size, fields in _grid(kind):
        want = _torch_output(torch, kind, size, fields)
        got = _cnncalc_output(kind, size, fields)
        accepted += want is not None
        refused += want is None
        if got != want:
            wrong.append(f"{kind} {size} {fields}: torch {want}, cnncalc {got}")
    assert accepted and refused  # the grid holds both sides of the line
    assert not wrong, f"{len(wrong)} disagreements, first: " + "; ".join(wrong[:5])


def test_the_issue_reproduction_through_the_command_line(tmp_path: Any) -> None:
    """`{h: 1, w: 4, c: 1}` then a 2-wide, stride-2 ceil_mode pool: (1, 2, 1), as nn.MaxPool2d gives."""

    for kind in ("maxpool", "avgpool"):
        spec = tmp_path / f"{kind}.yaml"
        spec.write_text(
            f"name: p\ninput: {{h: 1, w: 4, c: 1}}\nlayers:\n"
            f"  - {{name: p, type: {kind}, kernel: 2, stride: 2, ceil_mode: true}}\n"
            f"expect:\n  p: {{shape: [1, 2, 1]}}\n"
        )
        result = invoke(["table", str(spec)])
        assert result.exit_code == 0, result.stderr


def test_a_refused_ceil_mode_window_shows_the_ceil_arithmetic() -> None:
    layer = registry()["maxpool"].model_validate({"type": "maxpool", "kernel": 3, "stride": 2, "ceil_mode": True})
    with pytest.raises(LayerError) as caught:
        layer.output_shape((channels_first(1, (1, 4)),))
    # ceil((1 - 3) / 2) + 1 = -1 + 1 = 0: no window at all (torch: "Output size is too small").
    words = "a 3-wide window does not fit h=1 with padding 0+0: ceil((1 + 0 - 3) / 2) + 1 = 0 < 1"
    assert words in caught.value.message
