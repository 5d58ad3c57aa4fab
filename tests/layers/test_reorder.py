"""Axes reordered and regrouped (permute, transpose, reshape, flatten between two dims):
the layouts they name, and the ones they refuse with a positioned error.

The hand-worked single-layer cases are in tests/cases/<kind>.py; these follow a shape through
several layers, as ViT's patch embedding does, against PyTorch written out by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import trace_of, wide_cli
from needs import needs_module

from cnncalc.errors import SpecError

VIT = """
name: patch-embed
input: {h: 32, w: 32, c: 3}
layers:
  - {name: patches, type: conv, filters: 48, kernel: 8, stride: 8}
  - {name: grid, type: flatten, start_dim: 2}
  - {name: tokens, type: transpose, dim0: 1, dim1: 2}
  - {name: norm, type: layernorm, dims: 1}
  - {name: back, type: transpose, dim0: -1, dim1: -2}
  - {name: image, type: reshape, shape: [48, 4, 4]}
"""


def test_vit_patch_embedding_names_each_layout() -> None:
    trace = trace_of(VIT)
    got = {n.name: (tuple(n.output), n.output.axes) for n in trace.nodes[1:]}  # type: ignore[attr-defined]
    assert got == {
        "patches": ((48, 4, 4), "CHW"),  # (32 - 8)/8 + 1 = 4
        "grid": ((48, 16), "CL"),  # x.flatten(2): (C, H*W) = (48, 4*4)
        "tokens": ((16, 48), "LD"),  # .transpose(1, 2): 16 vectors of 48
        "norm": ((16, 48), "LD"),  # over D = 48 at each position
        "back": ((48, 16), "CL"),
        "image": ((48, 4, 4), "CHW"),
    }
    norm = trace.nodes[4]  # type: ignore[attr-defined]
    assert norm.params.total == 96  # weight (48,) + bias (48,): the features, not the positions


def test_reshape_to_a_sequence_of_vectors_says_so() -> None:
    text = "name: r\ninput: {features: 12}\nlayers:\n  - {type: reshape, shape: [-1, 4], layout: LD}\n"
    out = trace_of(text).nodes[-1].output  # type: ignore[attr-defined]
    assert (tuple(out), out.axes) == ((3, 4), "LD")  # 12 / 4 = 3 vectors of 4


def test_vit_patch_embedding_is_what_pytorch_computes() -> None:
    torch = needs_module("torch")
    from torch import nn

    from cnncalc.verify import build_module

    conv, norm = nn.Conv2d(3, 48, 8, stride=8), nn.LayerNorm(48)
    x = torch.randn(2, 3, 32, 32)
    tokens = norm(conv(x).flatten(2).transpose(1, 2))  # as torchvision's VisionTransformer._process_input
    expected = tokens.transpose(-1, -2).reshape(2, 48, 4, 4)
    module = build_module(trace_of(VIT)).eval()  # type: ignore[arg-type]
    with torch.no_grad():
        for mine, theirs in zip(module.parameters(), [*conv.parameters(), *norm.parameters()], strict=True):
            mine.copy_(theirs)
        out = module(x)
    out = out[-1] if isinstance(out, (list, tuple)) else out
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize(
    ("layer", "column", "message"),
    [
        # Channels last: a layout no layer reads, refused where it is made.
        ("{type: permute, dims: [0, 2, 3, 1]}", "5", "gives a layout no layer here reads"),
        ("{type: permute, dims: [1, 0, 2, 3]}", "5", "dims must start with 0"),
        ("{type: permute, dims: [0, 1, 2]}", "5", "lists 3 dims for a 4-dim tensor"),
        ("{type: transpose, dim0: 0, dim1: 1}", "5", "the batch axis"),
        ("{type: transpose, dim0: 1, dim1: 3}", "5", "gives a layout no layer here reads"),
        ("{type: flatten, start_dim: 1, end_dim: 2}", "5", "merging C, H"),
        ("{type: flatten, start_dim: 0}", "5", "reaches the batch axis"),
        ("{type: reshape, shape: [5, -1]}", "5", "96 elements do not divide into [5, -1]"),
        ("{type: reshape, shape: [4, 4]}", "5", "[4, 4] holds 16 elements"),
        ("{type: reshape, shape: [-1, -1]}", "5", "at most one size may be -1"),
    ],
)
def test_a_reorder_without_a_layout_name_is_a_positioned_error(layer: str, column: str, message: str) -> None:
    text = f"name: bad\ninput: {{h: 4, w: 4, c: 6}}\nlayers:\n  - {layer}\n"
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    line = str(caught.value)
    assert line.startswith(f"net.yaml:4:{column}") or "net.yaml:4:" in line, line
    assert message in line, line
    assert "\n" not in line


TRANSPOSED = """\
name: r
input: {l: 10, c: 8}
layers:
  - {name: conv, type: conv1d, filters: 6, kernel: 3}
  - {name: t, type: transpose, dim0: 1, dim1: 2}
  - {name: back, type: transpose, dim0: 1, dim1: 2}
"""


def _output_cells(tmp_path: Path, *options: str) -> dict[str, str]:
    spec = tmp_path / "r.yaml"
    spec.write_text(TRANSPOSED, encoding="utf-8")
    code, out, err = wide_cli("table", str(spec), *options)
    assert code == 0, err
    # `2  t  transpose  1<->2  (8, 6) (L, D)  48 ...`: the output cell runs to the size column.
    rows = {line.split()[1]: line for line in out.splitlines() if line.split()[:1] in (["1"], ["2"], ["3"])}
    return {name: line.split("1<->2")[-1].split("  48")[0].strip() for name, line in rows.items()}


def test_a_transpose_of_a_channels_first_sequence_shows_the_reorder(tmp_path: Path) -> None:
    # conv1d: (6, 8) as (C, L) = 10 - 3 + 1 = 8 positions of 6 channels, shown channels last
    # as (8, 6); transposed it is 8 vectors of 6, (L, D) = (8, 6) too: the axes say which.
    cells = _output_cells(tmp_path)
    assert cells["t"] == "(8, 6) (L, D)"
    assert cells["back"] == "(8, 6) (L, C)"
    assert cells["conv"].endswith("f=3 s=1          (8, 6)")  # no reorder: the sizes alone, as before


def test_in_pytorchs_order_the_reorder_shows_in_the_sizes_alone(tmp_path: Path) -> None:
    cells = _output_cells(tmp_path, "--layout", "chw")
    assert (cells["t"], cells["back"]) == ("(8, 6)", "(6, 8)")  # (C, L) (6, 8) -> (L, D) (8, 6) -> back
