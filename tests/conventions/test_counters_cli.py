"""`cnncalc counters` and `cnncalc table --count PRESET` through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import ROOT, run


def test_counters_explains_resnet50_as_the_issue_shows() -> None:
    result = run("counters", "resnet50")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[2:] if line.strip()}
    # torchvision's 4.089 G; FlopCounterMode twice it; fvcore's 4,111,512,576 (the issue's figures)
    assert "4,089,184,256" in lines["cnncalc"]
    assert "8,178,368,512" in lines["flopcounter"] and "x2" in lines["flopcounter"]
    assert "4,111,512,576" in lines["fvcore"] and "+22,328,320" in lines["fvcore"]
    # The difference in words, by kind: 2 * 11,113,984 batchnorm elements and the 2048*7*7 pool input.
    assert "batchnorm 2 per element (+22,227,968)" in lines["fvcore"]
    assert "global_avgpool 1 per input element (+100,352)" in lines["fvcore"]
    assert set(lines) >= {"ptflops", "ptflops-aten", "ptflops-nofunc", "thop", "torchinfo", "calflops", "keras"}


def test_counters_json_and_markdown() -> None:
    document = json.loads(run("counters", "resnet50", "--format", "json").stdout)
    by_name = {c["name"]: c for c in document["counters"]}
    assert by_name["fvcore"]["count"] == 4_111_512_576
    assert by_name["fvcore"]["difference"] == 22_328_320
    assert by_name["fvcore"]["by_kind"] == {"batchnorm": 22_227_968, "global_avgpool": 100_352}
    # Keras: ResNet-50's 53,120 running statistics become parameters (torchvision's buffers less 53 counters)
    assert by_name["keras"]["count"] == 25_557_032 + 53_120
    markdown = run("counters", "resnet50", "-f", "markdown").stdout
    assert "| fvcore | 4,111,512,576 | MACs | +22,328,320 |" in markdown
    bad = run("counters", "resnet50", "-f", "csv")
    assert bad.returncode == 2


def test_table_count_uses_the_preset_and_names_it() -> None:
    # ptflops 0.7.5 on the --verify build of lenet gave 683,872 (tests/conventions/test_conventions_tools.py runs it).
    document = json.loads(run("table", "lenet", "--count", "ptflops", "--format", "json").stdout)
    assert document["total"]["macs"] == 683_872
    assert "ptflops 0.7.5" in document["convention"]
    text = run("table", "lenet", "--count", "ptflops").stdout
    assert "683,872 MACs" in text and "ptflops 0.7.5" in text
    for output_format in ("csv", "markdown"):
        assert run("table", "lenet", "--count", "ptflops", "-f", output_format).returncode == 0


def test_table_count_keras_moves_running_statistics_into_parameters() -> None:
    document = json.loads(run("table", "resnet50", "--count", "keras", "--format", "json").stdout)
    assert document["total"]["params"] == 25_557_032 + 53_120
    assert document["total"]["non_trainable_params"] == 53_120


def test_an_unknown_preset_is_a_usage_error() -> None:
    result = run("table", "lenet", "--count", "fvcor")
    assert result.returncode == 2
    assert "fvcore" in result.stderr and "Traceback" not in result.stderr


def test_the_plain_path_imports_no_preset() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['cnncalc', 'table', 'specs/lenet.yaml']\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('PRESETS' if 'cnncalc.conventions.registry' in sys.modules else 'CLEAN', file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().endswith("CLEAN")


def test_a_tool_that_crashes_on_a_kind_is_not_defined_not_invented() -> None:
    # calflops 0.3.2 raises TypeError on an upsample with one scale per axis (kinds2d has one).
    spec = str(ROOT / "tests" / "data" / "kinds" / "kinds2d.yaml")
    document = json.loads(run("counters", spec, "-f", "json").stdout)
    calflops = next(c for c in document["counters"] if c["name"] == "calflops")
    assert calflops["count"] is None
    assert "not defined for upsample" in calflops["why"] and "TypeError" in calflops["why"]
    result = run("table", spec, "--count", "calflops")
    assert result.returncode == 2
    assert result.stderr.startswith(f"{spec}:1:1: --count calflops: calflops has no count")
    assert "Traceback" not in result.stderr


def _whys(spec: str) -> dict[str, str]:
    document = json.loads(run("counters", spec, "-f", "json").stdout)
    return {c["name"]: c["why"] for c in document["counters"]}


def test_counters_explain_a_bias_free_rotary_attention_as_specified() -> None:
    # llama_tiny: attention with bias: false, rotary, 2 of 8 heads for k and v, built as q/k/v/o
    # nn.Linears (not nn.MultiheadAttention); gated_ffn and lm_head without bias; no norm inside
    # the attention. fvcore leaves out QK^T and AV: 4 layers * 2*128*128*256 = 33,554,432.
    document = json.loads(run("counters", "llama_tiny", "-f", "json").stdout)
    by_name = {c["name"]: c for c in document["counters"]}
    assert by_name["fvcore"]["difference"] == -33_554_432
    for name, why in _whys("llama_tiny").items():
        assert "with bias" not in why and "weights and bias" not in why, name
        assert "MultiheadAttention" not in why and "fused attention" not in why, name
        assert "attention projections only, no QK^T or AV; norms" not in why, name
    assert "attention q/k/v/o nn.Linear projections, no QK^T or AV" in by_name["ptflops"]["why"]


def test_counters_still_explain_nn_multiheadattention_by_its_hook() -> None:
    # bert_base's encoder layers are nn.TransformerEncoderLayer: nn.MultiheadAttention with biases.
    whys = _whys("bert_base")
    assert (
        "transformer_encoder_layer projections with bias, MultiheadAttention by its hook's formula" in whys["ptflops"]
    )
    assert "MultiheadAttention 0" in whys["thop"] and "norms 4 per element" in whys["thop"]
