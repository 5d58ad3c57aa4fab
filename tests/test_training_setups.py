"""Training setups (issue 24): frozen parameters (`trainable: false`), each worked by hand
for its counts, then a training step's peak against PyTorch's tracker on the module cnncalc
builds for the spec, which really trains that way on the CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import error_of, invoke, trace_of
from needs import needs_module

from cnncalc.analysis.memory import training_peak
from cnncalc.engine import Trace


def measured(trace: Trace, batch: int, optimizer: str) -> int:
    """The tracker's peak of the second training step of the module built for `trace`."""
    torch = needs_module("torch")
    from cnncalc.memory_tracker import training_peak as measured_training
    from cnncalc.verify import build_module, sample_input

    torch.manual_seed(0)
    module = build_module(trace)
    peak: int = measured_training(module, sample_input(trace, batch, "cpu"), optimizer).peak
    return peak


# Frozen parameters.

FROZEN_BLOCK = """name: f
input: {features: 10}
blocks:
  mlp:
    layers:
      - {type: dense, units: 20, activation: relu}
      - {type: dense, units: 10}
layers:
  - {type: mlp, trainable: false}
  - {type: dense, units: 20, trainable: false}
  - {type: dense, units: 5}
"""


def test_trainable_false_freezes_a_layer_and_every_layer_of_a_block() -> None:
    # The block: 10*20 + 20 = 220 and 20*10 + 10 = 210; the frozen dense 10*20 + 20 = 220;
    # the head 20*5 + 5 = 105, the only trainable: 105 trainable, 650 non-trainable.
    trace = trace_of(FROZEN_BLOCK)
    assert [(n.params.trainable, n.params.non_trainable) for n in trace.nodes[1:]] == [
        (0, 220),
        (0, 210),
        (0, 220),
        (105, 0),
    ]
    # A training step with Adam at batch 8 peaks in the forward at the first dense layer:
    # weights 755*4 = 3,020 B, Adam's two moments of the head alone 2*105*4 = 840 B, the
    # input 8*10*4 = 320 B, the dense layer's output and its relu's, 8*20*4 = 640 B each
    # (the frozen block keeps nothing for backward, as nothing before it trains):
    # 3,020 + 840 + 320 + 640 + 640 = 5,460. PyTorch's tracker: 5,468 (two step counts).
    peak = training_peak(trace.nodes, 8, "adam")
    assert (peak.total, peak.phase, peak.at) == (5_460, "forward", 1)
    assert peak.parts["optimizer state"] == 840
    assert abs(measured(trace_of(FROZEN_BLOCK, batch=8), 8, "adam") - 5_460) <= 8
    # At batch 1 the update sets the peak: 3,020 + 840 + gradients 105*4 = 420 + the input
    # 40 + the update's temporaries of the head's 100-float weight, sqrt(v) and its
    # quotient, 2*400 = 800 (not a frozen layer's 200-float one): 5,120.
    step = training_peak(trace_of(FROZEN_BLOCK).nodes, 1, "adam")
    assert (step.total, step.phase, step.parts["temporaries"]) == (5_120, "step", 800)
    assert abs(measured(trace_of(FROZEN_BLOCK), 1, "adam") - 5_120) <= 8


def test_the_report_and_pytorch_agree_on_what_trains(tmp_path: Path) -> None:
    needs_module("torch")
    (tmp_path / "f.yaml").write_text(FROZEN_BLOCK, encoding="utf-8")
    result = invoke(["table", str(tmp_path / "f.yaml"), "--verify", "--device", "cpu", "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["verification"]["agrees"]  # torch's requires_grad counts: 105 and 650
    assert document["total"]["trainable_params"] == 105


def test_trainable_must_be_true_or_false() -> None:
    message = error_of("name: f\ninput: {features: 10}\nlayers:\n  - {type: dense, units: 5, trainable: 3}\n")
    assert message == "net.yaml:4:40: layer 1 (dense): trainable: input should be a valid boolean, got 3"
    block = FROZEN_BLOCK.replace("{type: mlp, trainable: false}", "{type: mlp, trainable: maybe}")
    assert error_of(block).startswith("net.yaml:9:28: layer 1 (mlp): trainable: input should be a valid boolean")


# A frozen dense layer whose input still needs its gradient (something before it trains)
# keeps no input for backward: nn.Linear saves its input only for the weight's gradient.
# Batch 16 of 128 tokens of 32: every activation 16*128*32*4 = 262,144 B.
DENSE_CHAIN = """name: f
input: {l: 128, d: 32}
layers:
  - {type: dense, units: 32, activation: relu}
  - {type: dense, units: 32, trainable: false}
  - {type: relu}
  - {type: dense, units: 32, trainable: false, activation: gelu}
  - {type: layernorm, trainable: false}
  - {type: dense, units: 32, trainable: false}
  - {type: dense, units: 8}
"""

# Convolutions keep their input whatever requires grad (convolution_backward saves it);
# a frozen block, a frozen residual (its body's layers) and a frozen conv.
CONV_NET = """name: f
input: {h: 16, w: 16, c: 3}
blocks:
  stage:
    layers:
      - {type: conv, filters: 16, kernel: 3, padding: 1}
      - {type: batchnorm, activation: relu}
      - {type: conv, filters: 16, kernel: 3, padding: 1}
layers:
  - {type: stage, trainable: false}
  - {type: conv, filters: 16, kernel: 3, padding: 1, activation: relu}
  - {type: residual, body: [{type: conv, filters: 16, kernel: 3, padding: 1}, {type: batchnorm}], trainable: false}
  - {type: conv, filters: 16, kernel: 3, padding: 1, trainable: false}
  - {type: maxpool, kernel: 2}
  - {type: global_avgpool}
  - {type: dense, units: 10}
"""


def test_a_frozen_dense_layer_keeps_no_input() -> None:
    frozen = trace_of(DENSE_CHAIN, batch=16)
    trained = trace_of(DENSE_CHAIN.replace(", trainable: false", ""), batch=16)
    # The last frozen dense reads the layernorm's output, which nothing else keeps (the
    # layernorm keeps its input): one 262,144 B activation less at the backward's peak.
    # The others' inputs are relu outputs, which the relus keep anyway.
    ours, theirs = training_peak(frozen.nodes, 16, "sgd"), training_peak(trained.nodes, 16, "sgd")
    assert theirs.parts["activations"] - ours.parts["activations"] == 262_144


@pytest.mark.parametrize("spec", [DENSE_CHAIN, CONV_NET], ids=["dense", "conv"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_frozen_network_within_5_percent_of_pytorch(spec: str, optimizer: str) -> None:
    trace = trace_of(spec, batch=16)
    ours, theirs = training_peak(trace.nodes, 16, optimizer).total, measured(trace, 16, optimizer)
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, PyTorch {theirs:,} B"
