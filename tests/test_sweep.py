"""`cnncalc table SPEC --input l=128,512`: one row per input carrying every total of the
single-input report, a refused value as its own row, and a versioned JSON document."""

from __future__ import annotations

import json
from typing import Any

from helpers import invoke

# GPT-2 small, worked from the formulas (as in test_zoo): per block of width 768, 12 heads and a
# 3072-wide feed-forward at L tokens, 4*L*768*768 + 2*L*L*768 + 2*L*768*3072, and the tied head
# L*768*50257. Its 124,439,808 float32 parameters are 4 bytes each; each of the 12 causal
# attentions caches a key and a value of 768 per token: 12 * 2 * 768 * 4 = 73,728 bytes a token.
GPT2_PARAMS = 124_439_808
KV_PER_TOKEN = 12 * 2 * 768 * 4


def gpt2_macs(length: int) -> int:
    return 12 * (4 * length * 768 * 768 + 2 * length * length * 768 + 2 * length * 768 * 3072) + length * 768 * 50_257


def table(*args: str) -> Any:
    return invoke(["table", *args])


def test_json_is_a_versioned_document_with_every_total() -> None:
    result = table("gpt2_small", "--input", "l=128,512", "--train", "adam", "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1
    assert (doc["name"], doc["batch"], doc["dtype"], doc["count"]) == ("gpt2_small", 1, "float32", None)
    rows = doc["rows"]
    assert [(r["label"], r["values"], r["refused"]) for r in rows] == [
        ("l=128", {"l": 128}, None),
        ("l=512", {"l": 512}, None),
    ]
    for row, length in zip(rows, (128, 512), strict=True):
        assert row["input"] == {"shape": [length], "size": length}
        total = row["total"]
        assert total["output_shape"] == [length, 50257]
        assert (total["params"], total["buffers"]) == (GPT2_PARAMS, 0)
        assert total["macs"] == gpt2_macs(length) and total["flops"] == 2 * gpt2_macs(length)
        assert total["weights_bytes"] == 4 * GPT2_PARAMS
        assert total["kv_cache_bytes_per_token"] == KV_PER_TOKEN
        assert total["kv_cache_bytes"] == KV_PER_TOKEN * length
        assert row["memory"]["training"]["optimizer"] == "adam"
        # The peaks are the single-input report's, figure for figure.
        single = json.loads(table("gpt2_small", "--input", f"l={length}", "--train", "adam", "-f", "json").stdout)
        assert row["memory"] == single["memory"] and row["total"] == single["total"]
        assert row["memory"]["inference_peak_bytes"] > 4 * GPT2_PARAMS  # the weights and some activations


def test_shapes_are_lists_in_the_layout_asked_for() -> None:
    doc = json.loads(table("lenet", "--input", "h=32,36", "--layout", "chw", "-f", "json").stdout)
    assert [r["input"]["shape"] for r in doc["rows"]] == [[3, 32, 32], [3, 36, 32]]
    assert doc["layout"] == "chw"
    assert [r["total"]["output_shape"] for r in doc["rows"]] == [[10], [10]]


def test_the_table_shows_the_peaks_and_train_only_when_asked() -> None:
    plain = table("gpt2_small", "--input", "l=128,512").stdout
    trained = table("gpt2_small", "--input", "l=128,512", "--train", "adam").stdout
    for out in (plain, trained):
        assert "KV cache" in out and "inference peak" in out and "buffers" in out
        # 73,728 * 128 = 9,437,184 bytes = 9.0 MiB; * 512 = 36.0 MiB.
        assert "9.0 MiB" in out.splitlines()[3] and "36.0 MiB" in out.splitlines()[4]
    assert "training peak" not in plain and "training peak" in trained
    csv_lines = table("gpt2_small", "--input", "l=128,512", "-f", "csv").stdout.splitlines()
    assert csv_lines[0].split(",")[-3:] == ["inference_peak_bytes", "training_peak_bytes", "refused"]
    assert csv_lines[1].split(",")[:6] == ["l=128", "128", "128x50257", str(GPT2_PARAMS), "0", str(gpt2_macs(128))]


def test_a_refused_value_is_its_own_row_and_the_rest_are_counted() -> None:
    result = table("gpt2_small", "--input", "l=128,4096", "-f", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)["rows"]
    assert rows[0]["total"]["macs"] == gpt2_macs(128)
    refused = rows[1]["refused"]
    assert rows[1]["label"] == "l=4096" and "total" not in rows[1]
    assert (refused["line"], refused["col"]) == (7, 52)  # wpe's max_len in specs/gpt2_small.yaml
    assert "the sequence has 4096 positions, more than the table's max_len=1024" in refused["message"]
    assert "gpt2_small.yaml:7:52:" in result.stderr and "(at --input l=4096)" in result.stderr


def test_every_value_refused_exits_2_with_each_reason() -> None:
    result = table("gpt2_small", "--input", "l=2048,4096")
    assert result.exit_code == 2
    lines = [line for line in result.stdout.splitlines() if line.startswith("l=")]
    assert [line.split()[:2] for line in lines] == [["l=2048", "refused:"], ["l=4096", "refused:"]]


def test_options_a_sweep_cannot_honour_are_usage_errors() -> None:
    for extra in (["--depth", "1"], ["--verify"]):
        result = table("gpt2_small", "--input", "l=128,512", *extra)
        assert result.exit_code == 2, extra
        assert "give --input one value per dimension" in result.stderr and not result.stdout
