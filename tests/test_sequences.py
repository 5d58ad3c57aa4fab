"""Sequences: token-id inputs, the errors sequence layers give, weight tying, `--input`,
and the classic false claim about an LSTM. The numbers come from the formulas in
docs/conventions.md worked by hand, or from the project's reference (modern.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from needs import needs_module
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.engine import Trace, propagate
from cnncalc.errors import SpecError
from cnncalc.figures import totals
from cnncalc.spec import loads_spec

runner = CliRunner()


def trace_of(text: str) -> Trace:
    return propagate(loads_spec(text, "net.yaml"), "net.yaml")


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    assert len(caught.value.diagnostics) == 1
    return str(caught.value.diagnostics[0])


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
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "3,674,112 counts one bias vector per gate, as Keras does" in result.output
    assert "b_ih and b_hh" in result.output and "3,678,208" in result.output


# --input.


def test_input_runs_the_network_at_another_length() -> None:
    result = runner.invoke(app, ["table", "lstm_lm", "--input", "l=70", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # By hand: the LSTM 70 * 3,670,016 and the decoder 70*512*10000.
    assert doc["total"]["macs"] == 70 * 3_670_016 + 70 * 512 * 10_000
    assert "claims are not checked" in result.stderr


def test_several_input_values_print_one_totals_row_each() -> None:
    result = runner.invoke(app, ["table", "lstm_lm", "--input", "l=35,128,1024"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("l=")]
    assert [row.split()[0] for row in rows] == ["l=35", "l=128", "l=1024"]
    assert "307,650,560" in rows[0]  # the reference at 35
    assert f"{1024 * (3_670_016 + 512 * 10_000):,}" in rows[2]
    doc = json.loads(runner.invoke(app, ["table", "lstm_lm", "--input", "l=35,70", "-f", "json"]).stdout)
    assert [row["total"]["macs"] for row in doc["rows"]] == [307_650_560, 2 * 307_650_560]


def test_inputs_combine_across_dimensions() -> None:
    doc = json.loads(
        runner.invoke(app, ["table", "lenet", "--input", "h=32,36", "--input", "w=32,40", "-f", "json"]).stdout
    )
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
    result = runner.invoke(app, ["table", "lstm_lm", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output


def test_a_network_that_does_not_fit_the_new_input_says_which_value() -> None:
    # h=8 is refused (CONV2's 5-wide window on 2 rows), h=32 is LeNet: its row still shows.
    result = runner.invoke(app, ["table", "lenet", "--input", "h=8,32"])
    assert result.exit_code == 0
    assert "lenet.yaml:8:" in result.stderr and "(at --input h=8)" in result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("h=")]
    assert rows[0].split()[:2] == ["h=8", "refused:"] and "a 5-wide window does not fit h=2" in result.stdout
    assert rows[1].startswith("h=32") and "651,720" in rows[1]


def test_a_tied_weight_counted_twice_is_explained(tmp_path: Path) -> None:
    # By hand: 476 parameters (test above); the head's 20*6 = 120 tied weights counted again give 596.
    path = tmp_path / "tied.yaml"
    path.write_text(TIED + "expect:\n  total: {params: 596}\n")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "596 counts the 120 tied weights twice" in result.output and ": 476" in result.output
