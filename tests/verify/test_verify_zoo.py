"""`--verify` on known networks: every zoo spec (CPU, meta and, where there is one, CUDA),
LeNet's numbers by hand, and graph shapes (merges, composites, blocks, asymmetric padding,
crops) built in PyTorch agree with cnncalc; a wrong number is caught and said where.

The expected numbers come from PyTorch itself (module parameter counts, forward shapes,
FlopCounterMode / 2), never from cnncalc's own output.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_agrees, invoke, trace_of
from needs import needs_module

torch = needs_module("torch")


from cnncalc.engine import propagate  # noqa: E402
from cnncalc.layers.api import Params  # noqa: E402
from cnncalc.spec import load_spec  # noqa: E402
from cnncalc.verify import build_module, verify  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


# Every spec in the zoo, whatever is there when the tests run.


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_zoo_spec_verifies_on_cpu(path: Path) -> None:
    assert_agrees(propagate(load_spec(path), str(path)))


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_zoo_spec_verifies_on_meta(path: Path) -> None:
    result = assert_agrees(propagate(load_spec(path), str(path)), "meta")
    assert result.device == "meta"


# The numbers themselves, from torch: LeNet's conv by hand and in PyTorch.


def test_lenet_checks_hold_torch_numbers() -> None:
    trace = propagate(load_spec(ROOT / "specs" / "lenet.yaml"), "lenet")
    result = assert_agrees(trace)
    conv = torch.nn.Conv2d(3, 6, 5)
    conv1 = result.nodes[0]
    assert conv1.get("trainable_params").torch == sum(p.numel() for p in conv.parameters()) == 456  # type: ignore[union-attr]
    assert conv1.get("shape").torch == (6, 28, 28)  # type: ignore[union-attr]
    assert conv1.get("macs").torch == 28 * 28 * 6 * 5 * 5 * 3  # type: ignore[union-attr]
    assert result.totals[-1].torch == 651_720
    assert result.torch_version == torch.__version__ and result.device == "cpu" and result.batch == 2


# Graph-level behaviour: merges, composites, blocks, asymmetric padding, crops.

GRAPHS = {
    "add_concat_multiply": """
name: merges
input: {h: 9, w: 9, c: 4}
layers:
  - {name: a, type: conv, filters: 6, kernel: 3, padding: same}
  - {name: b, type: conv, filters: 6, kernel: 1, from: input}
  - {name: s, type: add, from: [a, b]}
  - {name: c, type: concat, from: [s, a, input]}
  - {name: g, type: adaptive_avgpool, size: 1}
  - {type: conv, filters: 16, kernel: 1, activation: sigmoid}
  - {type: multiply, from: [c, g]}
""",
    "residual_every_shortcut": """
name: residuals
input: {h: 12, w: 12, c: 8}
layers:
  - type: residual
    body: [{type: conv, filters: 8, kernel: 3, padding: 1}, {type: batchnorm, activation: relu}]
  - type: residual
    body: [{type: conv, filters: 16, kernel: 3, stride: 2, padding: 1}]
    shortcut: projection
    activation: relu
  - type: residual
    body: [{type: conv, filters: 4, kernel: 3}]
    shortcut: [{type: conv, filters: 4, kernel: 3, bias: false}]
""",
    "parallel_with_empty_branch": """
name: inception
input: {h: 10, w: 10, c: 3}
layers:
  - type: parallel
    branches:
      - []
      - [{type: conv, filters: 5, kernel: 1}]
      - [{type: conv, filters: 2, kernel: 5, padding: same}, {type: relu}]
      - [{type: maxpool, kernel: 3, stride: 1, padding: 1}, {type: conv, filters: 7, kernel: 1}]
  - type: parallel
    merge: add
    activation: relu
    branches: [[{type: conv, filters: 17, kernel: 3, padding: 1}], []]
""",
    "blocks_with_args_and_repeat": """
name: blocks
input: {h: 16, w: 16, c: 3}
blocks:
  stage:
    args: {filters: 8, stride: 1}
    layers:
      - {type: conv, filters: $filters, kernel: 3, stride: $stride, padding: 1, bias: false}
      - {type: batchnorm, activation: relu6}
  outer:
    args: {width: 4}
    layers:
      - {type: stage, filters: $width, repeat: 2}
      - {type: stage, filters: 12, stride: 2}
layers:
  - {type: outer, width: 6, repeat: 2}
  - {type: global_avgpool}
  - {type: dense, units: 3}
""",
    "asymmetric_same_padding": """
name: same
input: {h: 8, w: 7, c: 2}
layers:
  - {type: conv, filters: 3, kernel: [3, 4], stride: 2, padding: same}
  - {type: maxpool, kernel: 2, stride: 2, padding: same}
  - {type: depthwise_conv, kernel: 2, padding: same}
  - {type: avgpool, kernel: 3, stride: 2, padding: same}
""",
    "pool_same_with_dilation": """
name: dilated_pools
input: {h: 7, w: 6, c: 2}
layers:
  - {type: maxpool, kernel: 3, stride: 1, padding: same, dilation: 3}
  - {type: maxpool, kernel: [3, 2], stride: 2, padding: same, dilation: [2, 3]}
""",
    "crop_with_two_inputs": """
name: unet
input: {h: 20, w: 20, c: 2}
layers:
  - {name: skip, type: conv, filters: 4, kernel: 3}
  - {type: maxpool, kernel: 2}
  - {type: conv, filters: 8, kernel: 3}
  - {name: up, type: conv_transpose, filters: 4, kernel: 2, stride: 2}
  - {name: cut, type: crop, from: [skip, up]}
  - {type: concat, from: [cut, up]}
  - {type: conv, filters: 1, kernel: 1}
""",
}


@pytest.mark.parametrize("name", GRAPHS)
def test_graph_verifies(name: str) -> None:
    assert_agrees(trace_of(GRAPHS[name]), spec=GRAPHS[name])


def test_pool_padding_over_half_the_kernel_is_refused_as_pytorch_does(tmp_path: Path) -> None:
    # PyTorch: MaxPool1d(3, padding=2, dilation=2) raises "padding should be at most half
    # of kernel size", although the dilated window is 5 wide.
    with pytest.raises(RuntimeError, match="half of kernel size"):
        torch.nn.MaxPool1d(3, 1, 2, 2)(torch.randn(1, 1, 8))
    spec = tmp_path / "pool.yaml"
    spec.write_text(
        "name: p\ninput: {l: 8, c: 1}\nlayers:\n  - {type: maxpool1d, kernel: 3, padding: 2, dilation: 2}\n"
    )
    cli = invoke(["table", str(spec)])
    assert cli.exit_code == 2 and "pool.yaml:4:" in cli.output and "more than half" in cli.output


def test_avgpool3d_refuses_an_input_smaller_than_its_kernel_as_pytorch_does(tmp_path: Path) -> None:
    # Found by the property test: PyTorch's avg_pool3d checks the unpadded input.
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        torch.nn.AvgPool3d(3, 3, 1)(torch.randn(1, 1, 2, 4, 4))
    assert torch.nn.AvgPool2d(3, 3, 1)(torch.randn(1, 1, 2, 4)).shape == (1, 1, 1, 2)
    spec = tmp_path / "pool.yaml"
    spec.write_text("name: p\ninput: {d: 2, h: 4, w: 4, c: 1}\nlayers:\n  - {type: avgpool3d, kernel: 3, padding: 1}\n")
    cli = invoke(["table", str(spec)])
    assert cli.exit_code == 2 and "pool.yaml:4:" in cli.output and "d=2 is smaller than the 3-wide kernel" in cli.output


def test_a_projection_that_cannot_fit_is_a_positioned_error(tmp_path: Path) -> None:
    # Found by the property test: the composite's own LayerError escaped as an internal error.
    spec = tmp_path / "res.yaml"
    spec.write_text(
        "name: r\ninput: {h: 1, w: 1, c: 1}\nlayers:\n"
        "  - type: residual\n    body: [{type: adaptive_avgpool, size: 2}]\n    shortcut: projection\n"
    )
    cli = invoke(["table", str(spec)])
    assert cli.exit_code == 2 and "res.yaml:6:" in cli.output and "no 1x1 projection" in cli.output


def test_asymmetric_same_padding_puts_the_extra_pixel_bottom_right() -> None:
    trace = trace_of(GRAPHS["asymmetric_same_padding"])
    module = build_module(trace)
    x = torch.randn(1, 2, 8, 7)
    # TensorFlow's rule, by hand: n=8, f=3, s=2 -> total 1 -> (0, 1); n=7, f=4 -> total 3 -> (1, 2).
    padded = torch.nn.functional.pad(x, (1, 2, 0, 1))
    conv = module.nodes[1]
    inner = conv[1] if isinstance(conv, torch.nn.Sequential) else conv
    expected = torch.nn.functional.conv2d(padded, inner.weight, inner.bias, stride=2)
    assert torch.allclose(conv(x), expected)


def test_verify_runs_at_the_batch_asked_and_counts_per_sample() -> None:
    trace = propagate(load_spec(ROOT / "specs" / "lenet.yaml"), "lenet", batch=5)
    result = assert_agrees(trace)
    assert result.batch == 5 and result.totals[-1].torch == 651_720


# A wrong number is caught, and said where.


def test_a_wrong_formula_is_a_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.layers.conv.conv import ConvNd

    monkeypatch.setattr(ConvNd, "params", lambda self, inputs: Params(trainable=1))
    trace = propagate(load_spec(ROOT / "specs" / "lenet.yaml"), "lenet")
    result = verify(trace, "cpu")
    assert not result.agrees
    found = {(d.label, d.field, d.computed, d.torch) for d in result.differences()}
    assert ("#1 CONV1 (conv)", "trainable_params", 1, 456) in found
    assert ("total", "trainable_params", 62_006 - 456 - 2_416 + 2, 62_006) in found


def test_a_module_torch_cannot_run_is_an_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.layers.linear.dense import Dense

    monkeypatch.setattr(Dense, "to_torch", lambda self, inputs: torch.nn.Linear(inputs[0][-1] + 1, self.units))
    trace = propagate(load_spec(ROOT / "specs" / "lenet.yaml"), "lenet")
    result = verify(trace, "cpu")
    assert not result.agrees
    assert [n.index for n in result.nodes if n.error] == [6]
    cli = invoke(["verify", str(ROOT / "specs" / "lenet.yaml"), "--device", "cpu"])
    assert cli.exit_code == 1
    assert "#6 FC3 (dense)" in cli.output and "could not run it" in cli.output


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_zoo_spec_verifies_on_cuda(path: Path) -> None:
    assert_agrees(propagate(load_spec(path), str(path)), "cuda")


def test_verify_counts_attention_products_on_the_cpu() -> None:
    # On the CPU the fused attention kernel hides QK^T and AV from FlopCounterMode; verify
    # runs the math kernel, so PyTorch's encoder layer on (4, 8) counts them: projections
    # 4*4*8*8, QK^T and AV 2*4*4*8, feed-forward 2*4*8*2048 (PyTorch's default width).
    spec = '{"name": "a", "input": {"l": 4, "d": 8}, "layers": [{"type": "transformer_encoder_layer", "heads": 2}]}'
    result = assert_agrees(trace_of(spec))
    macs = result.totals[-1]
    assert macs.torch == 4 * 4 * 8 * 8 + 2 * 4 * 4 * 8 + 2 * 4 * 8 * 2048
