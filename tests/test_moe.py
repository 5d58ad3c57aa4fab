"""The mixture-of-experts kind (`moe`): hand-worked cases, PyTorch's word on the kind's own
module, and Mixtral-8x7B against the model transformers builds from its public config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from needs import needs_module
from test_import_hf import load_transformers, spec_figures, transformers_model
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.engine import propagate
from cnncalc.errors import SpecError
from cnncalc.figures import totals
from cnncalc.spec import loads_spec

HF = Path(__file__).parent / "data" / "hf"

# (input, layer, params, MACs, inactive params), worked by hand. One expert of width D, H:
# gate and up D*H each, down H*D: 3*D*H.
CASES = [
    # D = 8, E = 4, k = 2, H = 12: router 8*4 = 32; experts 4 * 3*8*12 = 4 * 288 = 1,152: 1,184.
    # L = 4 tokens: router 4*8*4 = 128; each token through 2 experts: 4*2*288 = 2,304: 2,432.
    # A token leaves (4 - 2) experts unused: 2 * 288 = 576.
    ("{l: 4, d: 8}", "{type: moe, experts: 4, top_k: 2, hidden: 12}", 1_184, 2_432, 576),
    # With one shared expert of width 10 (3*8*10 = 240, every token): E = 3, k = 1, H = 6
    # (3*8*6 = 144): router 8*3 = 24 + 3*144 + 240 = 696 params. L = 6: router 6*8*3 = 144,
    # routed 6*1*144 = 864, shared 6*240 = 1,440: 2,448 MACs. Unused: 2 * 144 = 288.
    (
        "{l: 6, d: 8}",
        "{type: moe, experts: 3, top_k: 1, hidden: 6, gate: gelu, shared_experts: 1, shared_hidden: 10}",
        696,
        2_448,
        288,
    ),
    # On a vector of 5 features: E = 2, k = 2 (every expert, none unused), H = 3 (3*5*3 = 45):
    # router 5*2 = 10 + 2*45 = 100 params; MACs 10 + 2*45 = 100.
    ("{features: 5}", "{type: moe, experts: 2, top_k: 2, hidden: 3}", 100, 100, 0),
]


def spec(input_: str, layer: str) -> str:
    return f"name: m\ninput: {input_}\nlayers:\n  - {layer}\n"


@pytest.mark.parametrize(("input_", "layer", "params", "macs", "unused"), CASES)
def test_hand_worked_cases(input_: str, layer: str, params: int, macs: int, unused: int) -> None:
    trace = propagate(loads_spec(spec(input_, layer), "m.yaml"), "m.yaml")
    found = totals(trace)
    assert (found.params.total, found.macs, found.inactive_params) == (params, macs, unused)
    assert found.active_params == params - unused


def test_more_experts_a_token_than_there_are_is_an_error_at_top_k() -> None:
    with pytest.raises(SpecError, match="top_k 3 is more than the 2 experts") as error:
        propagate(loads_spec(spec("{l: 4, d: 8}", "{type: moe, experts: 2, top_k: 3, hidden: 4}"), "m.yaml"), "m.yaml")
    assert "m.yaml:4:" in str(error.value)


@pytest.mark.parametrize(("input_", "layer", "params", "macs", "unused"), CASES)
def test_pytorch_agrees_on_the_kinds_module(
    tmp_path: Path, input_: str, layer: str, params: int, macs: int, unused: int
) -> None:
    # The kind's own module (a router, experts run on the tokens routed to them) under
    # FlopCounterMode: every token reaches exactly top_k experts, so the count is exact.
    needs_module("torch")
    path = tmp_path / "m.yaml"
    path.write_text(spec(input_, layer), encoding="utf-8")
    result = CliRunner().invoke(app, ["table", str(path), "--verify", "--device", "cpu", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verification"]["agrees"]


def test_the_report_says_the_active_params_and_the_routing_assumption(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(spec(*CASES[0][:2]), encoding="utf-8")
    result = CliRunner().invoke(app, ["table", str(path)])
    assert "active per token 608 (top-k routed experts only)" in result.output  # 1,184 - 576
    assert "counted as if every token reached exactly top_k experts" in result.output
    document = json.loads(CliRunner().invoke(app, ["table", str(path), "-f", "json"]).output)
    assert document["total"]["active_params_per_token"] == 608


def test_the_inference_peak_runs_the_experts_one_at_a_time() -> None:
    # CASES[1] at batch 8: 48 tokens of D = 8; E = 3, k = 1, H = 6, one shared expert of
    # width 10. Weights 696 floats = 2,784 B, the input and the output 48*8*4 = 1,536 B each.
    # Alive to the end: the routing weights 48*1 floats (192 B) and the chosen experts' int64
    # ids (384 B), and the last routed expert's two int64 index vectors, 48/3 = 16 tokens
    # balanced: 2*16*8 = 256 B. The largest moment is the shared expert's: act(gate), up and
    # their product, 3 * 48*10*4 = 5,760 B (a routed expert holds 16*(8 + 3*6)*4 = 1,664).
    # 2,784 + 1,536 + 1,536 + 192 + 384 + 256 + 5,760 = 12,448. Every expert's hidden
    # tensors at once would be 48*1*6 and 48*10, three each, 7,488 B more than one's.
    from cnncalc.analysis.memory import inference_peak

    trace = propagate(loads_spec(spec(*CASES[1][:2]), "m.yaml"), "m.yaml", batch=8)
    assert inference_peak(trace.nodes, 8).total == 12_448
    torch = needs_module("torch")
    from cnncalc.memory_tracker import inference_peak as measured_inference
    from cnncalc.verify import build_module, sample_input

    torch.manual_seed(0)
    # PyTorch: 12,560 B here, its last routed expert drawing 23 tokens (2*23*8 = 368 B of
    # ids, not 256): how many depends on the draw, hence 5% and not equality.
    measured = measured_inference(build_module(trace), sample_input(trace, 8, "cpu")).peak
    assert abs(measured - 12_448) <= 0.05 * measured, measured


# Mixtral-8x7B, from its public config.json (mistralai/Mixtral-8x7B-v0.1, written by hand).
MIXTRAL = 46_702_792_704
# By hand: embed and head 2 * 32,000*4,096 = 262,144,000; final norm 4,096; a layer: q and o
# 2 * 4,096^2 = 33,554,432, k and v 2 * 4,096*1,024 = 8,388,608, norms 8,192, router
# 4,096*8 = 32,768, experts 8 * 3*4,096*14,336 = 1,409,286,144: 1,451,270,144; 32 of them
# 46,440,644,608. Active: less 32 layers * 6 unused experts * 176,160,768 = 33,822,867,456.
MIXTRAL_ACTIVE = 12_879_925_248


def mixtral_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((HF / "mixtral-8x7b.json").read_text())
    return config


def test_mixtral_params_by_hand() -> None:
    assert MIXTRAL == 262_144_000 + 4_096 + 32 * (33_554_432 + 8_388_608 + 8_192 + 32_768 + 1_409_286_144)
    params, buffers, _ = spec_figures(mixtral_config(), "mixtral-8x7b", 16)
    assert (params, buffers) == (MIXTRAL, 0)
    text = CliRunner().invoke(app, ["import", str(HF / "mixtral-8x7b.json"), "--tokens", "16"]).output
    trace = propagate(loads_spec(text, "mixtral.yaml"), "mixtral.yaml")
    assert totals(trace).active_params == MIXTRAL_ACTIVE


def test_mixtral_params_are_what_transformers_builds_on_the_meta_device() -> None:
    model = transformers_model(mixtral_config())
    assert sum(p.numel() for p in model.parameters()) == MIXTRAL


def test_a_small_mixtral_counts_what_transformers_runs() -> None:
    # Two layers, 64 wide: real CPU tensors, random token ids. transformers' experts run as
    # a loop over the experts hit (experts_implementation="eager"); its default, grouped_mm,
    # is an op FlopCounterMode does not count.
    torch = needs_module("torch")
    from torch.utils.flop_counter import FlopCounterMode

    config = mixtral_config() | {
        "num_hidden_layers": 2,
        "hidden_size": 64,
        "intermediate_size": 96,
        "num_attention_heads": 8,
        "num_key_value_heads": 2,
        "vocab_size": 100,
    }
    transformers = load_transformers()
    hf_config = transformers.AutoConfig.for_model("mixtral", **{k: v for k, v in config.items() if k != "model_type"})
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(
        hf_config, attn_implementation="eager", experts_implementation="eager"
    )
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(input_ids=torch.randint(0, 100, (1, 16)))
    params, _, macs = spec_figures(config, "tiny-mixtral", 16)
    assert params == sum(p.numel() for p in model.parameters())
    assert macs == counter.get_total_flops() // 2
