"""Sequences: token-id inputs, the errors sequence layers give, weight tying, `--input`,
and the classic false claim about an LSTM. The numbers come from the formulas in
docs/conventions.md worked by hand, or from the project's reference (modern.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import error_of, invoke, trace_of
from needs import needs_module

from cnncalc.engine import propagate
from cnncalc.figures import totals
from cnncalc.spec import loads_spec


def spec(input_: str, *layers: str) -> str:
    return f"name: t\ninput: {input_}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)


# Token ids.


def test_l_alone_is_a_sequence_of_token_ids() -> None:
    trace = trace_of(spec("{l: 35}", "{type: embedding, vocab: 10, width: 4}"))
    assert trace.nodes[0].output.axes == "L" and trace.nodes[0].output == (35,)
    assert trace.nodes[1].output.axes == "LD" and trace.nodes[1].output == (35, 4)


@pytest.mark.parametrize(
    "layer", ["{type: dense, units: 4}", "{type: relu}", "{type: layernorm}", "{type: lstm, hidden: 3}"]
)
def test_layers_that_need_float_features_refuse_token_ids(layer: str) -> None:
    message = error_of(spec("{l: 35}", layer))
    assert message.startswith("net.yaml:4:")
    assert "integer token ids (L,) = (35,)" in message and "an embedding turns them into vectors" in message


def test_an_embedding_refuses_vectors() -> None:
    message = error_of(spec("{l: 5, d: 8}", "{type: embedding, vocab: 10, width: 4}"))
    assert message.startswith("net.yaml:4:") and "embedding takes (L,) inputs, got (L, D) = (5, 8)" in message


# Errors point at the field to blame.


@pytest.mark.parametrize(
    ("input_", "layer", "field", "words"),
    [
        ("{l: 12, d: 4}", "{type: position_embedding, max_len: 10}", "max_len: 10", "12 positions, more than"),
        ("{l: 5, d: 4}", "{type: lstm, hidden: 4, proj_size: 4}", "proj_size: 4", "must be smaller than hidden=4"),
        ("{l: 5, d: 4}", "{type: segment_embedding, segment: 2}", "segment: 2", "not a row of a table of 2"),
        ("{l: 5, d: 4}", "{type: select, index: 5}", "index: 5", "index 5 is outside a sequence of 5"),
        ("{l: 5, d: 4}", "{type: select, index: -6}", "index: -6", "outside"),
    ],
)
def test_sequence_layer_errors_point_at_the_field(input_: str, layer: str, field: str, words: str) -> None:
    line = f"  - {layer}"
    message = error_of(spec(input_, layer))
    col = line.index(field) + len(field.split(": ")[0]) + 3
    assert message.startswith(f"net.yaml:4:{col}: "), message
    assert words in message


def test_matmul_of_mismatched_activations_names_both_shapes() -> None:
    text = spec(
        "{l: 5, d: 4}",
        "{name: a, type: dense, units: 3}",
        "{name: b, type: dense, units: 6, from: input}",
        "{type: matmul, from: [a, b]}",
    )
    message = error_of(text)
    assert message.startswith("net.yaml:6:") and "a is (5, 3), b is (5, 6)" in message


# Weight tying: counted once, where the table lives; MACs in full.

TIED = """name: tied
input: {l: 7}
layers:
  - {name: emb, type: embedding, vocab: 20, width: 6}
  - {type: lstm, hidden: 6}
  - {name: head, type: dense, units: 20, tie: emb}
"""


def test_a_tied_output_layer_counts_its_weight_once_and_its_macs_in_full() -> None:
    trace = trace_of(TIED)
    head = trace.nodes[-1]
    # By hand: the head's 20*6 weight is the embedding's; its 20 biases are its own.
    assert head.params.total == 20
    assert head.macs == 7 * 6 * 20
    # emb 20*6 + lstm 4*6*(6 + 6) + 8*6 + head bias 20
    assert totals(trace).params.total == 120 + 336 + 20
    assert head.shares == ((("weight", 1),))


@pytest.mark.parametrize(
    ("tie", "words"),
    [
        ("embb", "tie: 'embb' names no earlier layer; did you mean 'emb'?"),
        ("rnn", "tie: 'rnn' (lstm) holds no weight of its own to share"),
    ],
)
def test_a_tie_to_nothing_tieable_is_positioned(tie: str, words: str) -> None:
    text = TIED.replace("{type: lstm, hidden: 6}", "{name: rnn, type: lstm, hidden: 6}").replace(
        "tie: emb", f"tie: {tie}"
    )
    message = error_of(text)
    assert message.startswith("net.yaml:6:"), message
    assert words in message


def test_a_tie_of_the_wrong_shape_says_both_shapes() -> None:
    message = error_of(TIED.replace("units: 20", "units: 19"))
    assert "holds a weight of shape (20, 6), this layer needs (19, 6)" in message


def test_a_tied_network_verifies_with_one_shared_parameter() -> None:
    needs_module("torch")
    from cnncalc.verify import build_module, verify

    trace = trace_of(TIED)
    module = build_module(trace)
    assert module.nodes[3].weight is module.nodes[1].weight  # head.weight = emb.weight
    result = verify(trace, "cpu")
    assert result.agrees, result.differences()
    assert result.totals[0].torch == 476  # PyTorch's parameters() counts the shared weight once


# The zoo's LSTM language model, against the reference.

# Copied from the project's reference (shared/reference/modern.json, lstm_lm): PyTorch's
# LSTMLM (Embedding(10000, 256), 2-layer LSTM 256 -> 512, Linear(512, 10000)) on 35 token ids.
LSTM_LM = {"params": 11_368_208, "trainable": 11_368_208, "buffers": 0, "macs": 307_650_560, "output": (35, 10_000)}


def test_lstm_lm_equals_the_reference() -> None:
    root = Path(__file__).resolve().parent.parent
    trace = propagate(loads_spec((root / "specs" / "lstm_lm.yaml").read_text(encoding="utf-8")), "lstm_lm.yaml")
    total = totals(trace)
    assert trace.nodes[0].output == (35,)
    assert total.params.total == LSTM_LM["params"] and total.params.trainable == LSTM_LM["trainable"]
    assert total.params.buffers == LSTM_LM["buffers"]
    assert total.macs == LSTM_LM["macs"]
    assert total.output == LSTM_LM["output"]
    claim = loads_spec((root / "specs" / "lstm_lm.yaml").read_text(encoding="utf-8")).expect["total"]
    assert (claim.params, claim.buffers, claim.macs) == (LSTM_LM["params"], 0, LSTM_LM["macs"])


def test_an_lstm_claimed_with_keras_single_bias_is_explained(tmp_path: Path) -> None:
    # Keras: 4H(I+H) + 4H per layer. Layer 1: 4*512*768 + 4*512 = 1,574,912; layer 2:
    # 4*512*1024 + 4*512 = 2,099,200; 3,674,112, where PyTorch's two bias vectors give 3,678,208.
    path = tmp_path / "claim.yaml"
    path.write_text(
        "name: lm\ninput: {l: 35}\nlayers:\n"
        "  - {type: embedding, vocab: 10000, width: 256}\n"
        "  - {name: rnn, type: lstm, hidden: 512, num_layers: 2}\n"
        "expect:\n  rnn: {params: 3674112}\n"
    )
    result = invoke(["check", str(path)])
    assert result.exit_code == 1
    assert "3,674,112 counts one bias vector per gate, as Keras does" in result.output
    assert "b_ih and b_hh" in result.output and "3,678,208" in result.output


# --input.


def test_input_runs_the_network_at_another_length() -> None:
    result = invoke(["table", "lstm_lm", "--input", "l=70", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # By hand: the LSTM 70 * 3,670,016 and the decoder 70*512*10000.
    assert doc["total"]["macs"] == 70 * 3_670_016 + 70 * 512 * 10_000
    assert "claims are not checked" in result.stderr


def test_several_input_values_print_one_totals_row_each() -> None:
    result = invoke(["table", "lstm_lm", "--input", "l=35,128,1024"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("l=")]
    assert [row.split()[0] for row in rows] == ["l=35", "l=128", "l=1024"]
    assert "307,650,560" in rows[0]  # the reference at 35
    assert f"{1024 * (3_670_016 + 512 * 10_000):,}" in rows[2]
    doc = json.loads(invoke(["table", "lstm_lm", "--input", "l=35,70", "-f", "json"]).stdout)
    assert [row["total"]["macs"] for row in doc["rows"]] == [307_650_560, 2 * 307_650_560]


def test_inputs_combine_across_dimensions() -> None:
    doc = json.loads(invoke(["table", "lenet", "--input", "h=32,36", "--input", "w=32,40", "-f", "json"]).stdout)
    rows = doc["rows"]
    assert [row["label"] for row in rows] == ["h=32 w=32", "h=32 w=40", "h=36 w=32", "h=36 w=40"]
    assert rows[1]["values"] == {"h": 32, "w": 40}
    assert rows[1]["input"]["shape"] == [32, 40, 3]  # (H, W, C), the default layout
    assert rows[0]["total"]["macs"] == 651_720


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--input", "l"], "write NAME=VALUE"),
        (["--input", "l=0"], "'0' is not a whole number of at least 1"),
        (["--input", "l=12,x"], "'x' is not a whole number"),
        (["--input", "l=3", "--input", "l=4"], "given twice"),
        (["--input", "h=8"], "lstm_lm.yaml:4:8: --input h: the input has no dimension 'h'; it has l"),
        (["--input", "l=3,4", "--verify"], "--verify checks one input"),
    ],
)
def test_bad_input_values_exit_2(args: list[str], words: str) -> None:
    result = invoke(["table", "lstm_lm", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output


def test_a_network_that_does_not_fit_the_new_input_says_which_value() -> None:
    # h=8 is refused (CONV2's 5-wide window on 2 rows), h=32 is LeNet: its row still shows.
    result = invoke(["table", "lenet", "--input", "h=8,32"])
    assert result.exit_code == 0
    assert "lenet.yaml:8:" in result.stderr and "(at --input h=8)" in result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("h=")]
    assert rows[0].split()[:2] == ["h=8", "refused:"] and "a 5-wide window does not fit h=2" in result.stdout
    assert rows[1].startswith("h=32") and "651,720" in rows[1]


def test_a_tied_weight_counted_twice_is_explained(tmp_path: Path) -> None:
    # By hand: 476 parameters (test above); the head's 20*6 = 120 tied weights counted again give 596.
    path = tmp_path / "tied.yaml"
    path.write_text(TIED + "expect:\n  total: {params: 596}\n")
    result = invoke(["check", str(path)])
    assert result.exit_code == 1
    assert "596 counts the 120 tied weights twice" in result.output and ": 476" in result.output


# Recurrent layers as the counting presets price them, worked by hand from each tool's
# rule (the presets' docstrings; test_conventions_tools.py runs the tools themselves, and
# these numbers are what ptflops 0.7.5, thop 0.1.1, calflops 0.3.2, torchinfo 1.8.0 and
# FlopCounterMode print). Input (L, I) = (5, 10), so 5 steps.
#
# A: LSTM H = 20, proj_size P = 7, 2 layers, bidirectional, biases. g*H = 4*20 = 80 rows.
#    Per direction, layer 1: W_ih 80 x 10, W_hh 80 x P = 80 x 7, b_ih + b_hh 2*80,
#    W_hr P x H = 7 x 20: 800 + 560 + 160 + 140 = 1,660 params; layer 2 reads 2P = 14:
#    1,120 + 560 + 160 + 140 = 1,980. Both directions: 2 * 3,640 = 7,280 params.
#    MACs per step and direction: 800 + 560 + 140 = 1,500 and 1,120 + 560 + 140 = 1,820:
#    5 * 2 * 3,320 = 33,200.
# B: GRU H = 20, 2 layers, bidirectional, no bias. g*H = 60; layer 2 reads 2H = 40.
#    Params per direction 60*(10 + 20) = 1,800 and 60*(40 + 20) = 3,600: 2 * 5,400 = 10,800.
#    MACs 5 * 10,800 = 54,000 (each weight once per step).
# C: LSTM H = 20, 2 layers, bidirectional, biases, no projection. Layer 2 reads 40.
#    Params per direction 80*(10 + 20) + 160 = 2,560 and 80*(40 + 20) + 160 = 4,960:
#    2 * 7,520 = 15,040. MACs 5 * 2 * (2,400 + 4,800) = 72,000.
RECURRENT_CASES = {
    "A": "{type: lstm, hidden: 20, proj_size: 7, num_layers: 2, bidirectional: true}",
    "B": "{type: gru, hidden: 20, num_layers: 2, bidirectional: true, bias: false}",
    "C": "{type: lstm, hidden: 20, num_layers: 2, bidirectional: true}",
}
RECURRENT_PRESETS = {
    # ptflops: per step, layer and direction g*H*(I + R) (W_ih and W_hh elements, R = P or H)
    # + 10H (LSTM) or 7H (GRU) + both biases 2*g*H; W_hr not read.
    #   A: 80*17 + 200 + 160 = 1,720 and 80*21 + 200 + 160 = 2,040: 5 * 2 * 3,760 = 37,600
    #   B: 60*30 + 140 = 1,940 and 60*60 + 140 = 3,740: 5 * 2 * 5,680 = 56,800
    #   C: 80*30 + 200 + 160 = 2,760 and 80*60 + 360 = 5,160: 5 * 2 * 7,920 = 79,200
    "ptflops": {"A": 37_600, "B": 56_800, "C": 79_200},
    # ptflops-aten: cnncalc's MACs + the bias adds (2*g*H per step, layer and direction);
    # an LSTM without projection runs through oneDNN, unseen: 0.
    #   A: 33,200 + 5 * 2 * 2 * 160 = 36,400; B: 54,000 + 0; C: 0
    "ptflops-aten": {"A": 36_400, "B": 54_000, "C": 0},
    # thop: its cells per step with gate = (I + H)*H + H + 2H, layers after the first read
    # 2H even with a projection; LSTM 4*gate + 4H, GRU 3*gate + 4H.
    #   A and C: (30*20 + 60)*4 + 80 = 2,720 and (60*20 + 60)*4 + 80 = 5,120: 5 * 2 * 7,840
    #   B (no bias): (30*20 + 20)*3 + 80 = 1,940 and (60*20 + 20)*3 + 80 = 3,740: 5 * 2 * 5,680
    "thop": {"A": 78_400, "B": 56_800, "C": 78_400},
    # calflops: per W_ih and W_hh 2*elements - rows, + 10H or 7H, + the 2*g*H biases when
    # there are some (so 2 per weight element with biases, 2*g*H fewer without).
    #   A: 2*1,360 + 200 = 2,920 and 2*1,680 + 200 = 3,560: 5 * 2 * 6,480 = 64,800
    #   B: 2*1,800 + 140 - 120 = 3,620 and 2*3,600 + 140 - 120 = 7,220: 5 * 2 * 10,840 = 108,400
    #   C: 2*2,400 + 200 = 5,000 and 2*4,800 + 200 = 9,800: 5 * 2 * 14,800 = 148,000
    "calflops": {"A": 64_800, "B": 108_400, "C": 148_000},
    # torchinfo: every parameter once per step: 5 * 7,280; 5 * 10,800; 5 * 15,040.
    "torchinfo": {"A": 36_400, "B": 54_000, "C": 75_200},
    # FlopCounterMode with oneDNN off: 2 FLOPs per gate MAC: 2 * 33,200; 2 * 54,000; 2 * 72,000.
    "flopcounter": {"A": 66_400, "B": 108_000, "C": 144_000},
}


@pytest.mark.parametrize("preset", list(RECURRENT_PRESETS))
@pytest.mark.parametrize("case", list(RECURRENT_CASES))
def test_recurrent_layers_as_the_presets_count_them(preset: str, case: str) -> None:
    from cnncalc.conventions._preset import tally
    from cnncalc.conventions.registry import get

    trace = trace_of(spec("{l: 5, d: 10}", RECURRENT_CASES[case]))
    assert tally(get(preset), trace).total == RECURRENT_PRESETS[preset][case]


def test_recurrent_parameters_by_hand() -> None:
    # A, B and C above: 7,280, 10,800 and 15,040 params; Keras keeps one bias vector per
    # gate (C: 15,040 - 80 per layer and direction * 4 = 14,720), its GRU two, as PyTorch.
    from cnncalc.conventions._preset import NotDefined, tally
    from cnncalc.conventions.registry import get

    params = {k: totals(trace_of(spec("{l: 5, d: 10}", layer))).params.total for k, layer in RECURRENT_CASES.items()}
    assert params == {"A": 7_280, "B": 10_800, "C": 15_040}
    keras = {k: tally(get("keras"), trace_of(spec("{l: 5, d: 10}", layer))) for k, layer in RECURRENT_CASES.items()}
    assert isinstance(keras["A"].per_node[1], NotDefined)
    assert (keras["B"].total, keras["C"].total) == (10_800, 14_720)


def test_torchinfo_counts_a_tied_weight_again() -> None:
    from cnncalc.conventions._preset import tally
    from cnncalc.conventions.registry import get

    # TIED under torchinfo: the embedding's 120 params once; the LSTM's 4*6*(6 + 6) + 8*6 =
    # 336 per step, 7 * 336 = 2,352; nn.Linear still holds the tied 6 x 20 weight: 120 + 20
    # = 140 once. 120 + 2,352 + 140 = 2,612 (torchinfo 1.8.0 prints it; counted once: 2,492).
    assert tally(get("torchinfo"), trace_of(TIED)).total == 2_612


def test_an_output_bias_apart_needs_the_separate_projections() -> None:
    # nn.MultiheadAttention has one bias switch for all four projections: Qwen2's layout
    # (q, k, v biased, o not) is only Llama's separate q/k/v/o.
    text = "name: n\ninput: {l: 4, d: 8}\nlayers:\n  - {type: attention, heads: 2, out_bias: false}\n"
    message = error_of(text)
    assert message.startswith("net.yaml:4:43: layer 1 (attention): "), message  # at out_bias's value
    assert "an out_bias other than bias needs the separate projections" in message
    same = "name: n\ninput: {l: 4, d: 8}\nlayers:\n  - {type: attention, heads: 2, out_bias: true}\n"
    assert totals(trace_of(same)).params.total == 288  # as bias: 3*8*8 + 3*8 + 8*8 + 8
