"""Training setups (issue 24): frozen parameters (`trainable: false`), each worked by hand
for its counts, then a training step's peak against PyTorch's tracker on the module cnncalc
builds for the spec, which really trains that way on the CPU."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_trains_within_5_percent, error_of, invoke, run, trace_of, tracker_training_peak
from needs import needs_module

from cnncalc.analysis.memory import training_peak

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
    assert abs(tracker_training_peak(trace_of(FROZEN_BLOCK, batch=8), 8, "adam") - 5_460) <= 8
    # At batch 1 the update sets the peak: 3,020 + 840 + gradients 105*4 = 420 + the input
    # 40 + the update's temporaries of the head's 100-float weight, sqrt(v) and its
    # quotient, 2*400 = 800 (not a frozen layer's 200-float one): 5,120.
    step = training_peak(trace_of(FROZEN_BLOCK).nodes, 1, "adam")
    assert (step.total, step.phase, step.parts["temporaries"]) == (5_120, "step", 800)
    assert abs(tracker_training_peak(trace_of(FROZEN_BLOCK), 1, "adam") - 5_120) <= 8


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
    assert_trains_within_5_percent(trace, 16, optimizer)


# Activation checkpointing: `checkpoint: true` on a block call runs it under
# torch.utils.checkpoint(use_reentrant=False). Its forward keeps only the block's inputs;
# backward, on reaching the block, runs its forward again (up to the last node that keeps
# anything) and keeps what a plain forward keeps, then frees it as usual.
CHECKPOINTED_MLP = """name: c
input: {l: 128, d: 32}
blocks:
  mlp:
    layers:
      - {type: layernorm}
      - {type: dense, units: 128, activation: gelu}
      - {type: dense, units: 32}
layers:
  - {type: dense, units: 32}
  - {type: mlp, checkpoint: true, repeat: 3}
  - {type: dense, units: 8}
"""

# Residual blocks: two checkpointed in a row (the second holds the first's output), a plain
# one, a frozen one, then a checkpointed one again.
CHECKPOINTED_CONV = """name: c
input: {h: 16, w: 16, c: 3}
blocks:
  basic:
    layers:
      - type: residual
        activation: relu
        body:
          - {type: conv, filters: 16, kernel: 3, padding: 1}
          - {type: batchnorm, activation: relu}
          - {type: conv, filters: 16, kernel: 3, padding: 1}
          - {type: batchnorm}
layers:
  - {type: conv, filters: 16, kernel: 3, padding: 1, activation: relu}
  - {type: basic, checkpoint: true, repeat: 2}
  - {type: basic}
  - {type: basic, trainable: false}
  - {type: basic, checkpoint: true}
  - {type: global_avgpool}
  - {type: dense, units: 10}
"""


def test_checkpointing_keeps_only_the_blocks_inputs() -> None:
    # Batch 16 of 128 tokens: a 32-wide activation T = 16*128*32*4 = 262,144 B, a 128-wide
    # one 4T. A plain block keeps for backward its input (the layernorm's), the layernorm's
    # mean and rstd (2 * 16*128*4 = 16,384 B), its output (the dense layer's input), the
    # 128-wide output before gelu (gelu's input) and after it (the last dense layer's
    # input): T + T + 4T + 4T = 10T and 16,384 B. Checkpointed, the forward keeps the input
    # alone. The backward's peak is in the last block, rerun when checkpointed: the two
    # blocks before it hold 2 * (9T + 16,384) = 4,751,360 B less.
    plain = trace_of(CHECKPOINTED_MLP.replace(", checkpoint: true", ""), batch=16)
    checkpointed = trace_of(CHECKPOINTED_MLP, batch=16)
    ours, theirs = training_peak(checkpointed.nodes, 16, "sgd"), training_peak(plain.nodes, 16, "sgd")
    assert (ours.phase, ours.at, theirs.phase, theirs.at) == ("backward", 10, "backward", 10)
    assert theirs.parts["activations"] - ours.parts["activations"] == 2 * (9 * 262_144 + 16_384)


@pytest.mark.parametrize("spec", [CHECKPOINTED_MLP, CHECKPOINTED_CONV], ids=["mlp", "conv"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_checkpointing_within_5_percent_of_pytorch(spec: str, optimizer: str) -> None:
    batch = 16 if "mlp" in spec else 8
    trace = trace_of(spec, batch=batch)
    assert_trains_within_5_percent(trace, batch, optimizer)


def test_pytorch_agrees_on_a_checkpointed_network(tmp_path: Path) -> None:
    # Shapes, parameters (the frozen block's as non-trainable) and MACs through the
    # checkpointed blocks of the module verify builds.
    needs_module("torch")
    (tmp_path / "c.yaml").write_text(CHECKPOINTED_CONV, encoding="utf-8")
    result = invoke(["table", str(tmp_path / "c.yaml"), "--verify", "--device", "cpu", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verification"]["agrees"]


def test_checkpoint_must_be_true_or_false() -> None:
    message = error_of(CHECKPOINTED_MLP.replace("checkpoint: true", "checkpoint: often"))
    assert message.startswith("net.yaml:11:29: layer 2 (mlp): checkpoint: input should be a valid boolean")


def test_the_report_counts_the_recompute_macs(tmp_path: Path) -> None:
    # Each basic block: two 3x3 convs 16 -> 16 on 16x16, 16*16 * 9*16 * 16 = 589,824 MACs
    # each, 1,179,648 a block. Three checkpointed blocks rerun: 3,538,944 MACs a sample. The
    # forward: the first conv 16*16 * 27 * 16 = 110,592, five blocks 5,898,240 and the dense
    # layer 16*10 = 160: 6,008,992.
    (tmp_path / "c.yaml").write_text(CHECKPOINTED_CONV, encoding="utf-8")
    text = invoke(["table", str(tmp_path / "c.yaml"), "--train", "adam"]).output
    assert "checkpointed: 3 blocks run their forward again in backward, 3,538,944 MACs a sample" in text
    assert "on top of the forward's 6,008,992" in text
    document = json.loads(invoke(["table", str(tmp_path / "c.yaml"), "--train", "adam", "-f", "json"]).output)
    training = document["memory"]["training"]
    assert (training["checkpointed_blocks"], training["recompute_macs_per_sample"]) == (3, 3_538_944)
    # A frozen block checkpointed at the start trains nothing and is not rerun.
    frozen = CHECKPOINTED_CONV.replace("  - {type: conv, filters: 16, kernel: 3, padding: 1, activation: relu}\n", "")
    frozen = frozen.replace(
        "{type: basic, checkpoint: true, repeat: 2}", "{type: basic, checkpoint: true, trainable: false}"
    )
    frozen = frozen.replace("input: {h: 16, w: 16, c: 3}", "input: {h: 16, w: 16, c: 16}")
    (tmp_path / "c.yaml").write_text(frozen, encoding="utf-8")
    document = json.loads(invoke(["table", str(tmp_path / "c.yaml"), "--train", "adam", "-f", "json"]).output)
    assert document["memory"]["training"]["checkpointed_blocks"] == 1  # the last one alone


# LoRA: `lora: {rank: r}` on a dense layer freezes its weight and bias and adds adapters A
# (r, in) and B (out, r), the only trainable parameters: r * (in + out) of them.
LORA = """name: l
input: {l: 128, d: 64}
layers:
  - {type: dense, units: 64, trainable: false}
  - {type: dense, units: 256, lora: {rank: 8}}
  - {type: dense, units: 64, lora: {rank: 8, alpha: 16}}
  - {type: dense, units: 256, lora: {rank: 16}, activation: gelu}
  - {type: dense, units: 64, lora: {rank: 8}}
"""


def test_lora_params_and_macs_by_hand() -> None:
    trace = trace_of(LORA)
    node = trace.nodes[2]  # 64 -> 256, r = 8
    # Frozen: 64*256 + 256 = 16,640. Adapters: A 8*64 = 512, B 256*8 = 2,048: 2,560 = 8*(64 + 256).
    assert (node.params.trainable, node.params.non_trainable) == (2_560, 16_640)
    # 128 positions: the layer 128*64*256 = 2,097,152; the adapters 128*8*(64 + 256) = 327,680.
    assert node.macs == 2_097_152 + 327_680
    # In all: adapters 8*(64+256) + 8*(256+64) + 16*(64+256) + 8*(256+64) = 2,560 * 2 + 5,120 + 2,560.
    assert sum(n.params.trainable for n in trace.nodes) == 2_560 * 3 + 5_120


def test_the_report_and_pytorch_agree_on_lora(tmp_path: Path) -> None:
    needs_module("torch")
    (tmp_path / "l.yaml").write_text(LORA, encoding="utf-8")
    result = invoke(["table", str(tmp_path / "l.yaml"), "--verify", "--device", "cpu", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verification"]["agrees"]  # params by requires_grad, MACs


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (
            "{type: dense, units: 8, lora: {rank: 0}}",
            "net.yaml:4:42: layer 1 (dense): lora.rank: input should be greater than 0",
        ),
        (
            "{type: dense, units: 8, lora: {rank: 2, dropout: 0.1}}",
            "net.yaml:4:45: layer 1 (dense): unknown field 'dropout'",
        ),
    ],
)
def test_lora_errors_point_at_the_field(layer: str, message: str) -> None:
    assert error_of(f"name: l\ninput: {{features: 8}}\nlayers:\n  - {layer}\n").startswith(message)


def peft_lora(fan_in: int, fan_out: int, rank: int) -> Any:
    """A LoRA layer written as peft's LoraLayer runs one: base_layer frozen, dropout 0."""
    torch = needs_module("torch")
    from torch import nn

    class Lora(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base_layer = nn.Linear(fan_in, fan_out).requires_grad_(False)
            self.lora_A = nn.Linear(fan_in, rank, bias=False)
            self.lora_B = nn.Linear(rank, fan_out, bias=False)
            self.lora_dropout = nn.Identity()
            self.scaling = 16 / rank

        def forward(self, x: Any) -> Any:
            result = self.base_layer(x)
            return result + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling

    torch.manual_seed(0)
    return Lora()


@pytest.mark.parametrize("optimizer", ["inference", "sgd", "adam"])
def test_lora_within_5_percent_of_a_hand_written_lora_module(optimizer: str) -> None:
    # A frozen 64 -> 64 layer, then two LoRA layers 64 -> 256 (r = 8) and 256 -> 64 (r = 4),
    # at batch 16 of 128 tokens, as the spec and as peft's forward written out.
    torch = needs_module("torch")
    from cnncalc.analysis.memory import inference_peak
    from cnncalc.memory_tracker import inference_peak as measured_inference
    from cnncalc.memory_tracker import training_peak as measured_training

    spec = """name: l
input: {l: 128, d: 64}
layers:
  - {type: dense, units: 64, trainable: false}
  - {type: dense, units: 256, lora: {rank: 8}}
  - {type: dense, units: 64, lora: {rank: 4}}
"""
    trace = trace_of(spec, batch=16)
    module = torch.nn.Sequential(
        torch.nn.Linear(64, 64).requires_grad_(False), peft_lora(64, 256, 8), peft_lora(256, 64, 4)
    )
    x = torch.randn(16, 128, 64)
    if optimizer == "inference":
        ours, theirs = inference_peak(trace.nodes, 16).total, measured_inference(module, x).peak
    else:
        ours, theirs = training_peak(trace.nodes, 16, optimizer).total, measured_training(module, x, optimizer).peak
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, PyTorch {theirs:,} B"


@pytest.mark.parametrize("mode", ["inference", "sgd", "adam"])
def test_lora_within_5_percent_of_pytorch(mode: str) -> None:
    torch = needs_module("torch")
    from cnncalc.analysis.memory import inference_peak
    from cnncalc.memory_tracker import inference_peak as measured_inference
    from cnncalc.verify import build_module, sample_input

    trace = trace_of(LORA, batch=16)
    if mode == "inference":
        torch.manual_seed(0)
        ours = inference_peak(trace.nodes, 16).total
        theirs = measured_inference(build_module(trace), sample_input(trace, 16, "cpu")).peak
    else:
        ours, theirs = training_peak(trace.nodes, 16, mode).total, tracker_training_peak(trace, 16, mode)
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, PyTorch {theirs:,} B"


# The options write the same fields into the spec: the same report.
NAMED = """name: o
input: {l: 32, d: 16}
blocks:
  mlp:
    layers:
      - {type: layernorm}
      - {name: up, type: dense, units: 64, activation: gelu}
      - {name: down, type: dense, units: 16}
layers:
  - {name: stem, type: dense, units: 16}
  - {type: mlp, repeat: 2}
  - {name: head, type: dense, units: 8}
"""


def test_the_options_say_what_the_fields_say(tmp_path: Path) -> None:
    fields = NAMED.replace(
        "{name: stem, type: dense, units: 16}", "{name: stem, type: dense, units: 16, trainable: false}"
    )
    fields = fields.replace("{type: mlp, repeat: 2}", "{type: mlp, repeat: 2, checkpoint: true}")
    fields = fields.replace("units: 64, activation: gelu}", "units: 64, activation: gelu, lora: {rank: 4}}")
    fields = fields.replace(
        "{name: down, type: dense, units: 16}", "{name: down, type: dense, units: 16, lora: {rank: 4}}"
    )
    # --lora freezes every layer it does not adapt, as peft's get_peft_model does.
    fields = fields.replace("{type: layernorm}", "{type: layernorm, trainable: false}")
    fields = fields.replace(
        "{name: head, type: dense, units: 8}", "{name: head, type: dense, units: 8, trainable: false}"
    )
    (tmp_path / "options.yaml").write_text(NAMED, encoding="utf-8")
    (tmp_path / "fields.yaml").write_text(fields, encoding="utf-8")
    common = ["--train", "adam", "--batch", "4", "-f", "json"]
    setups = ["--freeze", "stem", "--checkpoint", "mlp", "--lora", "4:up,down"]
    by_options = json.loads(invoke(["table", str(tmp_path / "options.yaml"), *common, *setups]).output)
    by_fields = json.loads(invoke(["table", str(tmp_path / "fields.yaml"), *common]).output)
    for document in (by_options, by_fields):
        document.pop("spec", None)
        document.pop("path", None)
    assert by_options["total"] == by_fields["total"] and by_options["memory"] == by_fields["memory"]
    # Each block's adapters 4*(16 + 64) * 2 = 640, two blocks 1,280, the only trainable ones:
    # the stem 16*16 + 16 = 272, the layernorms 2*32 and the head 16*8 + 8 = 136 frozen.
    assert by_options["total"]["trainable_params"] == 1_280
    assert by_options["memory"]["training"]["checkpointed_blocks"] == 2


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--freeze", "stme"], "--freeze stme: the spec has no layer or block of that name"),
        (["--checkpoint", "mpl"], "--checkpoint mpl: the spec has no layer or block of that name"),
        (
            ["--lora", "4:upp"],
            "--lora upp: the spec has no layer of that name that takes lora: (dense, attention, gated_ffn)",
        ),
        (["--lora", "zero"], "--lora zero: give a rank of 1 or more"),
    ],
)
def test_an_option_that_names_nothing_is_a_usage_error(tmp_path: Path, option: list[str], message: str) -> None:
    (tmp_path / "o.yaml").write_text(NAMED, encoding="utf-8")
    result = invoke(["table", str(tmp_path / "o.yaml"), *option])
    assert result.exit_code == 2 and message in result.output


def test_each_copy_may_say_whether_it_trains_and_is_checkpointed() -> None:
    # Four copies of a dense 8 -> 8 (72 parameters): the last two train, 144; the even ones
    # are checkpointed, but the first trains nothing and nothing before it does: only the
    # third is rerun, its 8*8 = 64 MACs.
    from cnncalc.analysis.memory import reruns

    trace = trace_of(
        "name: pc\ninput: {features: 8}\nblocks:\n  mlp:\n    layers:\n"
        "      - {type: dense, units: 8, activation: relu}\nlayers:\n"
        '  - {type: mlp, repeat: 4, trainable: "${i >= 2}", checkpoint: "${i % 2 == 0}"}\n'
    )
    assert [n.params.trainable for n in trace.nodes[1:]] == [0, 0, 72, 72]
    assert reruns(trace.nodes, lambda n: n.macs) == (1, 64)


# LoRA on the up-projection of a feed-forward, before its gelu, its input 16 wide: the
# backward holds the gelu's gradient and both input gradients (the adapter's and the frozen
# layer's, summed after), not the scaled gradient. A frozen stem, checkpointed blocks.
LORA_MLP = """name: v
input: {l: 32, d: 16}
blocks:
  mlp:
    layers:
      - {type: layernorm}
      - {type: dense, units: 64, activation: gelu, lora: {rank: 4}}
      - {type: dense, units: 16}
layers:
  - {type: dense, units: 16, trainable: false}
  - {type: mlp, repeat: 2, checkpoint: true}
  - {type: dense, units: 8}
"""


@pytest.mark.parametrize("spec", [LORA_MLP, LORA_MLP.replace(", checkpoint: true", "")], ids=["checkpointed", "plain"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_lora_before_an_activation_within_5_percent_of_pytorch(spec: str, optimizer: str) -> None:
    trace = trace_of(spec, batch=8)
    assert_trains_within_5_percent(trace, 8, optimizer)


def test_verify_memory_in_a_process_of_its_own(tmp_path: Path) -> None:
    # As a user runs it (the process disables the cyclic garbage collector): every output
    # freed after its last reader, and checkpointing only where a backward follows.
    needs_module("torch")
    (tmp_path / "v.yaml").write_text(LORA_MLP, encoding="utf-8")
    result = run("verify", str(tmp_path / "v.yaml"), "--memory", "--device", "cpu")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("✓") == 3


# `trainable: false` on a block call freezes every layer of the block as if each were written
# `trainable: false`: their footprints say so too (a frozen RMSNorm keeps no normalised input,
# a frozen SwiGLU no product for down_proj). A trained layer on each side, so the frozen block's
# input needs its gradient and the block keeps what that gradient needs.
FROZEN_BLOCK_CALL = """name: b
input: {l: 64, d: 32}
blocks:
  layer:
    layers:
      - {type: rmsnorm}
      - {type: attention, heads: 4, kv_heads: 2, rotary: true, causal: true, bias: false}
      - {type: rmsnorm}
      - {type: gated_ffn, hidden: 256}
layers:
  - {type: dense, units: 32}
  - {type: layer, trainable: false}
  - {type: dense, units: 8}
"""
EACH_FROZEN = """name: b
input: {l: 64, d: 32}
blocks:
  layer:
    layers:
      - {type: rmsnorm, trainable: false}
      - {type: attention, heads: 4, kv_heads: 2, rotary: true, causal: true, bias: false, trainable: false}
      - {type: rmsnorm, trainable: false}
      - {type: gated_ffn, hidden: 256, trainable: false}
layers:
  - {type: dense, units: 32}
  - {type: layer}
  - {type: dense, units: 8}
"""


def test_a_frozen_block_call_keeps_what_its_layers_written_frozen_keep() -> None:
    # Written on the call or on each layer, the same parameters train (the dense layers':
    # 32*32 + 32 = 1,056 and 32*8 + 8 = 264) and the same peak follows.
    block, each = trace_of(FROZEN_BLOCK_CALL, batch=4), trace_of(EACH_FROZEN, batch=4)
    assert sum(n.params.trainable for n in block.nodes) == sum(n.params.trainable for n in each.nodes) == 1_320
    assert training_peak(block.nodes, 4, "sgd") == training_peak(each.nodes, 4, "sgd")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_frozen_block_call_within_5_percent_of_pytorch(optimizer: str) -> None:
    # Before the block's setting reached its layers' footprints: 5.2% over at sgd.
    trace = trace_of(FROZEN_BLOCK_CALL, batch=4)
    assert_trains_within_5_percent(trace, 4, optimizer)


# A frozen prefix: nothing in it needs a gradient, so autograd records none of it and it holds
# only what its forward without gradients holds (the SwiGLU's and attention's temporaries,
# counted as nothing when their footprints' kept tensors were skipped: 0.33x PyTorch); the
# trained RMSNorm after it keeps its normalised input alone (its input needs no gradient).
FROZEN_BACKBONE = """name: b
input: {l: 64, d: 32}
blocks:
  layer:
    layers:
      - {type: rmsnorm}
      - {type: attention, heads: 4, kv_heads: 2, rotary: true, causal: true, bias: false}
      - {type: rmsnorm}
      - {type: gated_ffn, hidden: 256}
layers:
  - {type: dense, units: 32, trainable: false}
  - {type: layer, trainable: false, repeat: 2}
  - {type: rmsnorm}
  - {type: dense, units: 8}
"""
# A conv net's frozen backbone and trained head, and the same with a frozen stage between
# trained ones (a conv keeps its input whatever needs a gradient: these were right before).
CONV_BACKBONE = """name: f
input: {h: 16, w: 16, c: 3}
blocks:
  stage:
    layers:
      - {type: conv, filters: 16, kernel: 3, padding: 1}
      - {type: batchnorm, activation: relu}
      - {type: conv, filters: 16, kernel: 3, padding: 1}
      - {type: batchnorm, activation: relu}
      - {type: maxpool, kernel: 2}
layers:
  - {type: stage, trainable: false, repeat: 2}
  - {type: conv, filters: 32, kernel: 3, padding: 1, activation: relu}
  - {type: global_avgpool}
  - {type: dense, units: 10}
"""
CONV_FROZEN_MIDDLE = CONV_BACKBONE.replace(
    "  - {type: stage, trainable: false, repeat: 2}", "  - {type: stage}\n  - {type: stage, trainable: false}"
)


@pytest.mark.parametrize(
    "spec", [FROZEN_BACKBONE, CONV_BACKBONE, CONV_FROZEN_MIDDLE], ids=["llama", "conv", "conv-middle"]
)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_frozen_prefix_within_5_percent_of_pytorch(spec: str, optimizer: str) -> None:
    trace = trace_of(spec, batch=4)
    assert_trains_within_5_percent(trace, 4, optimizer)
