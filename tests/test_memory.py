"""Peak memory: the pass on networks small enough to work out by hand, PyTorch's tracked
peak on a single Linear worked out by hand, and the pass against that tracker on the zoo.

The zoo comparison runs the small models by default; `CNNCALC_MEMORY_ZOO=1` runs every
zoo model (minutes on two cores)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, trace_of
from needs import needs_module

from cnncalc.analysis.memory import inference_peak, training_peak
from cnncalc.engine import Trace, propagate
from cnncalc.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent


def trace_of_layers(layers: str, input_: str, batch: int = 1) -> Trace:
    """The trace of a one-network spec with these layers on this input."""
    return trace_of(f"name: m\ninput: {input_}\nlayers:\n{layers}", "m.yaml", batch=batch)


# Inference, by hand.


def test_a_layer_with_an_activation_holds_both_outputs_while_it_runs() -> None:
    # conv 3 -> 4, 3x3, pad 1 on 8x8: 3*9*4 + 4 = 112 params = 448 B. Batch 2: input
    # 2*3*64*4 = 1,536 B; the conv's output and the relu's, 2*4*64*4 = 2,048 B each,
    # alive together while relu runs: 448 + 1,536 + 2,048 + 2,048 = 6,080.
    trace = trace_of_layers(
        "  - {type: conv, filters: 4, kernel: 3, padding: 1, activation: relu}\n", "{c: 3, h: 8, w: 8}", 2
    )
    peak = inference_peak(trace.nodes, 2)
    assert (peak.total, peak.at) == (6_080, 1)


def test_a_skip_stays_alive_until_its_last_reader() -> None:
    # 1x1 conv 4 -> 4: 20 params = 80 B; every tensor 4*4*4 = 64 elements = 256 B.
    # a = conv(x), b = relu(a), c = add(a, b): at c, x a b c are alive: 4*256 + 80 = 1,104.
    skip = (
        "  - {name: a, type: conv, filters: 4, kernel: 1}\n  - {name: b, type: relu}\n  - {type: add, from: [a, b]}\n"
    )
    peak = inference_peak(trace_of_layers(skip, "{c: 4, h: 4, w: 4}").nodes, 1)
    assert (peak.total, peak.at) == (1_104, 3)
    # The same chain without the skip: a is freed once b is made, so at most three of
    # them are alive at once: 3*256 + 80 = 848.
    chain = "  - {type: conv, filters: 4, kernel: 1}\n  - {type: relu}\n  - {type: relu}\n"
    assert inference_peak(trace_of_layers(chain, "{c: 4, h: 4, w: 4}").nodes, 1).total == 848


def test_a_view_has_no_bytes_of_its_own() -> None:
    # flatten is a view of its input: input (64 el) + relu (64 el) = 512 B, nothing more.
    layers = "  - {type: relu}\n  - {type: flatten}\n"
    assert inference_peak(trace_of_layers(layers, "{c: 4, h: 4, w: 4}").nodes, 1).total == 512


def test_a_reshape_of_a_permuted_view_copies() -> None:
    # 1x1 conv 4 -> 4 on 4x4: 20 params = 80 B, input and conv output 64 floats = 256 B
    # each. permute is a view (no bytes); flattening it must copy, 256 B more, while the
    # conv's output is still alive: 80 + 3*256 = 848. Without the permute the flatten
    # is a view, and so is the permute alone: 80 + 2*256 = 592.
    conv = "  - {type: conv, filters: 4, kernel: 1}\n"
    permute = "  - {type: permute, dims: [0, 1, 3, 2]}\n"
    assert inference_peak(trace_of_layers(conv + permute, "{c: 4, h: 4, w: 4}").nodes, 1).total == 592
    permuted = conv + "  - {type: permute, dims: [0, 1, 3, 2]}\n  - {type: flatten}\n"
    assert inference_peak(trace_of_layers(permuted, "{c: 4, h: 4, w: 4}").nodes, 1).total == 848
    assert inference_peak(trace_of_layers(conv + "  - {type: flatten}\n", "{c: 4, h: 4, w: 4}").nodes, 1).total == 592


def test_token_ids_are_int64() -> None:
    # 12 token ids at batch 2 are 24 int64 ids, 192 B (not 96 as floats); an embedding
    # 50 x 16 holds 800 floats, 3,200 B, and makes 2*12*16 floats, 1,536 B:
    # 192 + 3,200 + 1,536 = 4,928.
    trace = trace_of_layers("  - {type: embedding, vocab: 50, width: 16}\n", "{l: 12}", 2)
    assert inference_peak(trace.nodes, 2).total == 4_928


def test_attention_keeps_what_scaled_dot_product_attention_saves() -> None:
    from cnncalc.layers.api import Extra

    # Self-attention, L = 4 positions of E = 8, 2 heads, nn.MultiheadAttention on the CPU
    # (flash kernel): per sample it keeps the packed q, k, v (3 * 4*8 = 96), the
    # attention's output (32, which the out-projection keeps as it is) and the
    # log-sum-exp, one float per head and query (2*4 = 8): 136 floats; the in-projection
    # keeps the input's transposed copy (32), not the input.
    node = trace_of_layers("  - {type: attention, heads: 2}\n", "{l: 4, d: 8}").nodes[1]
    footprint = node.layer.memory_footprint(node.inputs, node.output, True)
    assert (footprint.keeps_inputs, footprint.kept) == ((), (Extra(136), Extra(32)))
    # Llama's layout, one key/value head of width 8/2 = 4, rotary: q and the output
    # (2 * 32 = 64), k and v (2 * 4*4 = 32), the log-sum-exp (8): 104 floats a sample; and
    # the cos and sin tables, L x 4 each, for the queries and again for the keys
    # (4 * 16 = 64 floats, one set for the whole batch).
    llama = "  - {type: attention, heads: 2, kv_heads: 1, rotary: true, bias: false}\n"
    node = trace_of_layers(llama, "{l: 4, d: 8}").nodes[1]
    footprint = node.layer.memory_footprint(node.inputs, node.output, True)
    assert footprint.kept == (Extra(104), Extra(64, per_sample=False))


def test_a_position_embedding_keeps_its_int64_positions_once_for_the_batch() -> None:
    from cnncalc.layers.api import Extra

    # x + table(arange(L)): the L = 12 positions are int64 and one set serves the batch;
    # the looked-up 12 x 16 rows live only until the add.
    node = trace_of_layers("  - {type: position_embedding, max_len: 20}\n", "{l: 12, d: 16}").nodes[1]
    footprint = node.layer.memory_footprint(node.inputs, node.output, True)
    assert footprint.kept == (Extra(12, itemsize=8, per_sample=False),)
    assert footprint.passing == (Extra(192, per_sample=False),)


# A training step, by hand: one Linear 10 -> 20 at batch 8 (the tracker's test below
# measures the same network).
LINEAR = "  - {type: dense, units: 20}\n"


def test_training_a_linear_with_sgd() -> None:
    # weights 200 + 20 = 220 floats = 880 B, last step's gradients 880 B, the input
    # 8*10*4 = 320 B: 2,080 B at the start. In backward: 880 + 320 + the gradients 880
    # again (the output's gradient is a view of the loss's one element): 2,080.
    peak = training_peak(trace_of_layers(LINEAR, "{features: 10}", 8).nodes, 8, "sgd")
    assert peak.total == 2_080
    assert peak.parts["weights"] == 880 and peak.parts["gradients"] == 880


def test_training_a_linear_with_adam_peaks_in_the_update() -> None:
    # Adam's state is twice the weights, 1,760 B; the update of the 200-float weight makes
    # sqrt(v) and its quotient, 800 B each: 2,080 + 1,760 + 1,600 = 5,440.
    peak = training_peak(trace_of_layers(LINEAR, "{features: 10}", 8).nodes, 8, "adam")
    assert (peak.total, peak.phase) == (5_440, "step")
    assert peak.parts == {
        "weights": 880,
        "optimizer state": 1_760,
        "gradients": 880,
        "activations": 320,
        "temporaries": 1_600,
    }


# AdamW and momentum, exactly: a Linear 1000 -> 1000 at batch 8, where the update's
# temporaries are large enough to set the peak. Weights 1000*1000 + 1000 = 1,001,000
# floats = 4,004,000 B; gradients as many; the input 8*1000*4 = 32,000 B; the largest
# parameter 1,000,000 floats = 4,000,000 B.
WIDE = "  - {type: dense, units: 1000}\n"


def test_training_a_linear_with_adamw_peaks_in_the_update() -> None:
    # AdamW is Adam with the decay applied in place: state 2 * 4,004,000 = 8,008,000, and
    # the weight's update makes sqrt(v) and its quotient, 2 * 4,000,000 = 8,000,000:
    # 4,004,000 + 8,008,000 + 4,004,000 + 32,000 + 8,000,000 = 24,048,000 (no temporaries
    # would be 16,048,000). PyTorch's tracker: 24,048,008, the 8 B two step counts.
    peak = training_peak(trace_of_layers(WIDE, "{features: 1000}", 8).nodes, 8, "adamw")
    assert (peak.total, peak.phase) == (24_048_000, "step")
    assert peak.parts["optimizer state"] == 8_008_000 and peak.parts["temporaries"] == 8_000_000


def test_training_a_linear_with_momentum_keeps_one_buffer_and_no_temporaries() -> None:
    # SGD with momentum keeps one buffer per parameter, 4,004,000 B, and updates in place:
    # weights + buffer + gradients + input = 3 * 4,004,000 + 32,000 = 12,044,000. PyTorch's
    # tracker: 12,044,008, the loss and its gradient of ones (4 B each) on top in backward.
    peak = training_peak(trace_of_layers(WIDE, "{features: 1000}", 8).nodes, 8, "momentum")
    assert peak.total == 12_044_000
    assert peak.parts["optimizer state"] == 4_004_000 and "temporaries" not in peak.parts


@pytest.mark.parametrize(("optimizer", "peak"), [("adamw", 24_048_008), ("momentum", 12_044_008)])
def test_the_tracker_on_a_wide_linear_by_hand(optimizer: str, peak: int) -> None:
    """The hand-worked figures above, as PyTorch's tracker measures them on the CPU."""
    torch = needs_module("torch")
    from cnncalc.memory_tracker import training_peak as measured_training

    torch.manual_seed(0)
    assert measured_training(torch.nn.Linear(1000, 1000), torch.randn(8, 1000), optimizer).peak == peak


def test_float16_is_two_bytes_an_element(tmp_path: Path) -> None:
    # The Linear 10 -> 20 at batch 8 in float16: input 8*10*2 = 160, weights 220*2 = 440,
    # output 8*20*2 = 320: an inference peak of 920 B. Adam without master weights keeps
    # its state in float16: 440 + gradients 440 + state 880 + input 160 + the update's two
    # 200-element temporaries 800 = 2,720.
    trace = trace_of_layers(LINEAR, "{features: 10}", 8)
    assert inference_peak(trace.nodes, 8, "float16").total == 920
    (tmp_path / "m.yaml").write_text(f"name: m\ninput: {{features: 10}}\nlayers:\n{LINEAR}")
    memory = run_table(str(tmp_path / "m.yaml"), "--batch", "8", "--dtype", "float16", "--train", "adam")["memory"]
    assert (memory["inference_peak_bytes"], memory["training"]["peak_bytes"]) == (920, 2_720)


def test_only_a_causal_self_attention_has_a_kv_cache() -> None:
    from cnncalc.figures import totals

    # One attention on L = 16 positions of E = 8, 2 heads of width 4, 1 key/value head:
    # causal, it caches a key and a value of 1 * 4 elements per token, 8 floats = 32 B, and
    # 16 * 32 = 512 B at the input's length. Non-causal (an encoder's) it caches nothing.
    causal = totals(trace_of_layers("  - {type: attention, heads: 2, kv_heads: 1, causal: true}\n", "{l: 16, d: 8}"))
    assert (causal.kv_cache_bytes_per_token, causal.kv_cache_bytes) == (32, 512)
    encoder = totals(trace_of_layers("  - {type: attention, heads: 2, kv_heads: 1}\n", "{l: 16, d: 8}"))
    assert (encoder.kv_cache_bytes_per_token, encoder.kv_cache_bytes) == (0, 0)


# PyTorch's tracked peak.


def test_the_tracker_on_a_single_linear_by_hand() -> None:
    torch = needs_module("torch")
    from cnncalc.memory_tracker import inference_peak as measured_inference
    from cnncalc.memory_tracker import training_peak as measured_training

    torch.manual_seed(0)
    linear = torch.nn.Linear(10, 20)
    x = torch.randn(8, 10)
    # Inference: input 320 + weight 800 + bias 80 = 1,200 at the start, + the output 640.
    assert (measured_inference(linear, x).start, measured_inference(linear, x).peak) == (1_200, 1_840)
    # SGD: 1,200 + last step's gradients 880 = 2,080 at the start; zero_grad drops them;
    # in backward the loss (4 B), its gradient of ones (4 B) and the new gradients 880.
    sgd = measured_training(linear, x, "sgd")
    assert (sgd.start, sgd.peak) == (2_080, 2_088)
    # Adam: + two state tensors per parameter (1,760) and a 4-byte step count for each of
    # the two: 3,848; the weight's update adds sqrt(v) and its quotient, 800 B each.
    adam = measured_training(linear, x, "adam")
    assert (adam.start, adam.peak) == (3_848, 5_448)


def test_the_tracker_sees_no_bytes_in_views_and_in_place_ops() -> None:
    torch = needs_module("torch")
    from cnncalc.memory_tracker import tracker

    x = torch.zeros(100)
    mode = tracker()
    with mode:
        mode.hold([x])
        view = x.view(10, 10)
        x.add_(1)
        y = x * 2  # a new 400-byte storage
        del view
        del y  # freed: the live count goes back
    assert (mode.peak, mode.live) == (800, 400)


SMALL = ["course_convnet", "lenet", "same_padding"]
ZOO = sorted(p.stem for p in (ROOT / "specs").glob("*.yaml"))
KIND_SPECS = sorted(str(p) for p in (ROOT / "tests" / "data" / "kinds").glob("*.yaml"))
EVERY = os.environ.get("CNNCALC_MEMORY_ZOO", "").strip() not in ("", "0")


@pytest.mark.parametrize("name", [*KIND_SPECS, *(ZOO if EVERY else SMALL)])
@pytest.mark.parametrize("mode", ["inference", "sgd", "adam"])
def test_within_5_percent_of_pytorch(name: str, mode: str) -> None:
    """Batch 8, float32, against the tracker on the CPU (the issue's aim)."""
    torch = needs_module("torch")
    from cnncalc.memory_tracker import inference_peak as measured_inference
    from cnncalc.memory_tracker import training_peak as measured_training
    from cnncalc.verify import build_module, sample_input

    path = name if name.endswith(".yaml") else str(ROOT / "specs" / f"{name}.yaml")
    trace = propagate(load_spec(path), path, batch=8)
    torch.manual_seed(0)
    module = build_module(trace)
    x = sample_input(trace, 8, "cpu")  # token ids for an input of ids
    if mode == "inference":
        ours, theirs = inference_peak(trace.nodes, 8).total, measured_inference(module, x).peak
    else:
        ours, theirs = training_peak(trace.nodes, 8, mode).total, measured_training(module, x, mode).peak
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, PyTorch {theirs:,} B"


# Budgets: `limits: {memory, train_memory}` through `cnncalc check` (rule CNC114).


def check_spec(tmp_path: Path, limits: str) -> tuple[int, str]:

    # The Linear 10 -> 20 above, at batch 8: an inference peak of 1,840 B (320 + 880 + 640),
    # a training step with Adam of 5,440 B.
    text = f"name: budget\ninput: {{features: 10, batch: 8}}\nlayers:\n{LINEAR}limits: {limits}\n"
    (tmp_path / "budget.yaml").write_text(text, encoding="utf-8")
    result = invoke(["check", str(tmp_path / "budget.yaml")])
    return result.exit_code, result.output


@pytest.mark.parametrize(("limit", "code"), [("1840", 0), ("1839", 1), ("1 KiB", 1), ("2 KiB", 0)])
def test_a_memory_limit_is_the_inference_peak(tmp_path: Path, limit: str, code: int) -> None:
    exit_code, output = check_spec(tmp_path, f"{{memory: {limit}}}")
    assert exit_code == code, output
    if code:
        assert "CNC114" in output and "memory 1,840 bytes at the inference peak exceed the limit" in output


@pytest.mark.parametrize(("limit", "code"), [("5440", 0), ("5439", 1)])
def test_a_train_memory_limit_is_the_training_peak(tmp_path: Path, limit: str, code: int) -> None:
    exit_code, output = check_spec(tmp_path, f"{{train_memory: {{batch: 8, optimizer: adam, max: {limit}}}}}")
    assert exit_code == code, output
    if code:
        assert "train_memory 5,440 bytes at the peak of a training step exceed" in output
        line = f"limits: {{train_memory: {{batch: 8, optimizer: adam, max: {limit}}}}}"
        assert f"budget.yaml:5:{line.index(limit) + 1}: CNC114" in output  # at the max it exceeds


def test_a_train_memory_limit_needs_its_optimizer(tmp_path: Path) -> None:
    exit_code, output = check_spec(tmp_path, "{train_memory: {batch: 8, optimizer: lion, max: 1GiB}}")
    assert exit_code != 0 and "optimizer" in output


def test_diff_shows_both_peaks_and_fails_on_them(tmp_path: Path) -> None:
    import json

    old = f"name: d\ninput: {{features: 10}}\nlayers:\n{LINEAR}"
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(old.replace("units: 20", "units: 40"))
    args = ["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--batch", "8"]
    result = invoke([*args, "--format", "json"])
    total = json.loads(result.output)["total"]
    # Linear 10 -> 40 at batch 8: weights 440 floats = 1,760 B, input 320, output 8*40*4 =
    # 1,280: 3,360 at inference. Adam: 320 + 1,760 + gradients 1,760 + state 3,520 + the
    # update's two 400-float temporaries 3,200 = 10,560 (the old one: 1,840 and 5,440).
    assert (total["peak"]["old"], total["peak"]["new"]) == (1_840, 3_360)
    assert (total["train_peak"]["old"], total["train_peak"]["new"]) == (5_440, 10_560)
    assert invoke([*args, "--fail-on", "train_peak:+5119"]).exit_code == 1
    assert invoke([*args, "--fail-on", "train_peak:+5120"]).exit_code == 0
    assert invoke([*args, "--fail-on", "peak:+1519"]).exit_code == 1


def test_verify_memory_checks_both_peaks_against_pytorch() -> None:
    needs_module("torch")

    result = invoke(["verify", "--memory", "lenet", "--batch", "4"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3 and all(line.endswith("✓") for line in lines)
    assert "inference peak at batch 4" in lines[0] and "training step (adam)" in lines[2]
    # Bytes as the table writes them (one formatter, cnncalc.report.size_text). LeNet at batch
    # 4 peaks at CONV1: weights 62,006*4 = 248,024, the input 4*3,072*4 = 49,152, the conv's
    # output and its relu's 4*4,704*4 = 75,264 each: 447,704 B = 437.2 KiB in both.
    table = invoke(["table", "lenet", "--batch", "4"]).output
    assert "cnncalc 437.2 KiB (447,704 B)" in lines[0] and "inference peak 437.2 KiB at batch 4" in table


# The README's memory table: torchinfo 1.11's "Estimated Total Size" and the tracker's peaks
# at batch 8, float32, in MB (10^6 B), measured once on the CPU (torch 2.13, the zoo specs
# written as torchvision runs them: in-place ReLUs, max pooling's indices) and copied here;
# cnncalc's own column must be what the pass computes today.
README_MEMORY = {
    # model: (torchinfo, PyTorch inference, PyTorch sgd, PyTorch adam)
    "resnet50": (1_529.70, 190_750_792, 840_166_896, 1_044_623_796),
    "vgg16": (1_425.88, 763_767_968, 1_665_586_248, 3_040_623_360),
}


@pytest.mark.parametrize("name", sorted(README_MEMORY))
def test_the_readme_memory_table(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Memory: will it fit?", 1)[1]
    row = next(line for line in section.splitlines() if line.startswith(f"| `{name}` | "))
    shown = [float(cell.replace(",", "")) for cell in row.strip("|").split("|")[1:]]
    torchinfo, inference, sgd, adam = README_MEMORY[name]
    trace = propagate(load_spec(ROOT / "specs" / f"{name}.yaml"), name, batch=8)
    ours = [inference_peak(trace.nodes, 8).total, training_peak(trace.nodes, 8, "sgd").total]
    ours.append(training_peak(trace.nodes, 8, "adam").total)
    expected = [torchinfo]
    for computed, measured in zip(ours, (inference, sgd, adam), strict=True):
        expected += [round(computed / 1e6, 2), round(measured / 1e6, 2)]
    assert shown == expected


def run_table(*args: str) -> dict[str, Any]:
    import json

    result = invoke(["table", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


def test_mixed_precision_with_float32_master_weights(tmp_path: Path) -> None:
    # The Linear 10 -> 20 at batch 8 in bfloat16 with float32 master weights and Adam:
    # input 8*10*2 = 160; weights 220*2 = 440 and their float32 copy 220*4 = 880; last
    # step's bfloat16 gradients 440; Adam's state in float32, 2*880 = 1,760: 3,680 at the
    # start, and the update of the 200-float weight makes two float32 temporaries, 1,600.
    (tmp_path / "m.yaml").write_text(f"name: m\ninput: {{features: 10}}\nlayers:\n{LINEAR}")
    options = ["--batch", "8", "--train", "adam", "--dtype", "bfloat16", "--master-weights", "float32"]
    memory = run_table(str(tmp_path / "m.yaml"), *options)["memory"]
    assert memory["training"]["peak_bytes"] == 5_280
    assert memory["training"]["parts"] == {
        "weights": 1_320,
        "optimizer state": 1_760,
        "gradients": 440,
        "activations": 160,
        "temporaries": 1_600,
    }
    # Inference in bfloat16: 160 + 440 + the output 8*20*2 = 320.
    assert memory["inference_peak_bytes"] == 920


def test_the_table_names_the_inference_peaks_layer_and_the_steps_parts() -> None:

    result = invoke(["table", "lenet", "--batch", "8", "--train", "sgd"])
    memory = next(line for line in result.output.splitlines() if line.startswith("memory"))
    training = next(line for line in result.output.splitlines() if line.startswith("training"))
    assert "at #1 CONV1 (conv)" in memory
    assert "sgd: step peak" in training and "gradients" in training and "optimizer state" not in training


def test_a_footprint_that_cannot_be_known_is_said(monkeypatch: pytest.MonkeyPatch) -> None:

    from cnncalc.layers.api import Footprint
    from cnncalc.layers.linear.dense import Dense

    def unknown(self: Dense, inputs: Any, output: Any, training: bool) -> Footprint:
        return Footprint(keeps_inputs=(0,), unknown="depends on the backend")

    monkeypatch.setattr(Dense, "footprint", unknown)
    result = invoke(["table", "lenet", "--train", "adam"])
    assert "not known statically, counted as declared: #6 FC3 (dense): depends on the backend" in result.output
    assert run_table("lenet")["memory"]["not_known_statically"][0].startswith("#6 FC3 (dense)")


def test_segment_embedding_holds_its_int64_ids_and_rows_while_it_adds() -> None:
    """BERT's `x + table(token_type_ids)` at batch 8 on (16, 8), worked by hand (PyTorch's
    tracker measured 17,904 B): weights (8*8 + 8) + 2*8 + (8*4 + 4) = 124 floats, 496 B; at the
    segment layer the input, the dense output and its own output (16*8*8*4 = 4,096 B each)
    are alive, with the looked-up rows (4,096 B) and the (8, 16) int64 ids (1,024 B)."""
    trace = trace_of_layers(
        "  - {type: dense, units: 8}\n  - {type: segment_embedding}\n  - {type: dense, units: 4}\n",
        "{l: 16, d: 8}",
        batch=8,
    )
    peak = inference_peak(trace.nodes, 8)
    assert (peak.total, peak.at) == (496 + 4 * 4_096 + 1_024, 2)


@pytest.mark.parametrize("norm_first", ["true", "false"])
def test_a_transformer_stack_without_dropout_is_within_5_percent_of_pytorch(norm_first: str) -> None:
    """ViT's layers run with dropout 0: no masks are kept, and the pass once counted 7LE a
    layer too many for them (+29% on this stack, +27% on vit_b_16's SGD step)."""
    torch = needs_module("torch")
    from cnncalc.memory_tracker import training_peak as measured_training
    from cnncalc.verify import build_module, sample_input

    trace = trace_of_layers(
        "  - {type: dense, units: 64}\n"
        "  - {type: transformer_encoder_layer, heads: 4, feedforward: 256, feedforward_activation: gelu,"
        f" norm_first: {norm_first}, dropout: 0.0, repeat: 4}}\n",
        "{l: 50, d: 64}",
        batch=8,
    )
    torch.manual_seed(0)
    module = build_module(trace)
    ours = training_peak(trace.nodes, 8, "sgd").total
    theirs = measured_training(module, sample_input(trace, 8, "cpu"), "sgd").peak
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, PyTorch {theirs:,} B"


def test_the_memory_line_says_what_its_peak_holds() -> None:

    # The peak holds the weights, which do not grow with the batch: "at batch 1", never
    # "per sample".
    result = invoke(["table", "lenet"])
    memory = next(line for line in result.output.splitlines() if line.startswith("memory"))
    assert "inference peak 291.0 KiB at batch 1, at #1" in memory and "per sample" not in memory
    assert "kv cache" not in memory  # lenet has none to leave out
    # A generating model's KV cache has its own line: the peak of one forward pass is without it.
    result = invoke(["table", "llama_tiny"])
    memory = next(line for line in result.output.splitlines() if line.startswith("memory"))
    assert "kv cache not included" in " ".join(memory.split())


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (999, "999 B"),
        (1_000, "1.0 KiB"),  # 1000/1024 = 0.977: four digits of B become about 1 KiB
        (248_024, "242.2 KiB"),
        (1_023_950, "1.0 MiB"),  # 999.951 KiB would print as 1000.0 KiB: step up
        (1_044_112, "1.0 MiB"),  # LeNet's SGD step at batch 8: 1019.6 KiB before
        (1_024**3 * 1_023, "1.0 TiB"),  # 1023 GiB
    ],
)
def test_sizes_never_need_four_digits(n: int, shown: str) -> None:
    from cnncalc.report import size_text

    assert size_text(n) == shown
