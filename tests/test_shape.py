"""Shapes with named axes: what each input spelling means, and layouts a layer refuses."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from helpers import invoke, trace_of
from needs import needs_module

from cnncalc.errors import SpecError
from cnncalc.shape import Shape, flat, layouts_text


def test_axes_by_name() -> None:
    x = Shape((6, 28, 32), "CHW")
    assert (x.size("C"), x.size("H"), x.size("W")) == (6, 28, 32)
    assert (x.dim("C"), x.dim("W")) == (1, 3)  # the batch axis is dim 0
    assert x.spatial == (28, 32) and x.channels == 6
    assert x == (6, 28, 32)  # still the tuple PyTorch takes
    assert x.replace(C=16) == (16, 28, 32) and x.replace(C=16).axes == "CHW"
    with pytest.raises(KeyError):
        x.size("L")


def test_one_formatter_in_either_order() -> None:
    assert Shape((6, 28, 32), "CHW").text() == "(28, 32, 6)"
    assert Shape((6, 28, 32), "CHW").text("chw") == "(6, 28, 32)"
    assert Shape((4, 20), "CL").text() == "(20, 4)"
    assert Shape((10, 16), "LD").text() == "(10, 16)"  # a sequence reads the same both ways
    assert Shape((10, 16), "LD").text("chw") == "(10, 16)"
    assert flat(400).text() == "(400,)"
    assert Shape((3, 4, 5, 6), "CDHW").axis_names() == "(D, H, W, C)"
    assert flat(400).axis_names() == "(N,)"
    assert layouts_text({"CHW", "CL"}) == "(L, C) or (H, W, C)"


def test_a_shape_keeps_its_axes_through_pickle() -> None:
    x = Shape((10, 16), "LD")
    assert pickle.loads(pickle.dumps(x)).axes == "LD"


@pytest.mark.parametrize(
    ("dims", "axes", "sizes"),
    [
        ("{h: 32, w: 30, c: 3}", "CHW", (3, 32, 30)),
        ("{l: 10, c: 16}", "CL", (16, 10)),  # channels over a sequence, as conv1d reads it
        ("{l: 10, d: 16}", "LD", (10, 16)),  # a sequence of vectors, batch first
        ("{d: 4, h: 8, w: 8, c: 2}", "CDHW", (2, 4, 8, 8)),
        ("{features: 784}", "F", (784,)),
    ],
)
def test_input_spellings(dims: str, axes: str, sizes: tuple[int, ...]) -> None:
    x = trace_of(f"name: n\ninput: {dims}\nlayers:\n  - {{type: relu}}\n").nodes[0].output
    assert (x.axes, tuple(x)) == (axes, sizes)


def check_output(text: str, tmp_path: Path) -> str:
    spec = tmp_path / "n.yaml"
    spec.write_text(text)
    return invoke(["check", str(spec)]).output


def test_dense_on_a_sequence_of_vectors_acts_on_the_features(tmp_path: Path) -> None:
    """A transformer's feed-forward: (L, D) = (10, 16) -> (10, 64) -> (10, 16)."""
    text = (
        "name: ffn\ninput: {l: 10, d: 16}\nlayers:\n"
        "  - {type: dense, units: 64, activation: gelu}\n"
        "  - {type: dense, units: 16}\n"
    )
    trace = trace_of(text)
    up, down = trace.nodes[1], trace.nodes[2]
    assert up.output == (10, 64) and up.output.axes == "LD"
    assert up.params.trainable == 16 * 64 + 64  # 1,088: D*units + units
    assert up.macs == 10 * 16 * 64  # 10,240: every position, D*units
    assert down.output == (10, 16) and down.params.trainable == 64 * 16 + 16
    assert down.macs == 10 * 64 * 16
    assert "CNC115" not in check_output(text, tmp_path)  # dense on D is what was meant


def test_dense_on_channels_over_a_sequence_still_acts_on_l(tmp_path: Path) -> None:
    """`{l, c}` stays (C, L), as nn.Conv1d holds it: a dense acts on L, as nn.Linear would."""
    text = "name: n\ninput: {l: 10, c: 16}\nlayers:\n  - {type: dense, units: 4}\n"
    trace = trace_of(text)
    assert trace.nodes[1].output == (16, 4) and trace.nodes[1].output.axes == "CL"
    assert "CNC115" in check_output(text, tmp_path)


@pytest.mark.parametrize(
    ("layer", "words"),
    [
        ("{type: conv1d, filters: 4, kernel: 3}", "conv1d takes (L, C) inputs, got (L, D) = (10, 16)"),
        ("{type: conv, filters: 4, kernel: 3}", "conv takes (H, W, C) inputs, got (L, D) = (10, 16)"),
        ("{type: maxpool1d, kernel: 2}", "maxpool1d takes (L, C) inputs, got (L, D) = (10, 16)"),
        ("{type: batchnorm}", "batchnorm takes (N,), (L, C), (H, W, C) or (D, H, W, C) inputs, got (L, D)"),
        ("{type: global_avgpool}", "global_avgpool takes (L, C), (H, W, C) or (D, H, W, C) inputs, got (L, D)"),
    ],
)
def test_a_layout_a_layer_does_not_take_is_a_positioned_error(layer: str, words: str) -> None:
    text = f"name: n\ninput: {{l: 10, d: 16}}\nlayers:\n  - {{type: relu}}\n  - {layer}\n"
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.mark.line, diagnostic.mark.col) == (5, 5)
    assert words in diagnostic.message


def test_dense_on_a_sequence_of_vectors_matches_torch() -> None:
    torch = needs_module("torch")
    from torch.utils.flop_counter import FlopCounterMode

    trace = trace_of("name: n\ninput: {l: 10, d: 16}\nlayers:\n  - {type: dense, units: 64}\n")
    node = trace.nodes[1]
    assert node.layer is not None
    module = node.layer.build_torch(node.inputs)
    counter = FlopCounterMode(display=False)
    with torch.enable_grad(), counter:
        out = module(torch.randn(2, 10, 16))
    assert tuple(out.shape) == (2, *node.output)
    assert sum(p.numel() for p in module.parameters()) == node.params.trainable
    assert counter.get_total_flops() // 2 // 2 == node.macs
