"""The model zoo: every bundled torchvision spec reproduces the reference numbers exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnncalc import zoo
from cnncalc.engine import Trace, propagate
from cnncalc.figures import totals
from cnncalc.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

# Copied from the project's reference file (shared/reference/torchvision.json): torchvision 0.29
# models built with weights=None (GoogLeNet with aux_logits=False) at 3x224x224; params from
# sum(p.numel()), buffers from sum(b.numel() for b in model.buffers()), MACs from
# FlopCounterMode total / 2 on a batch-1 forward pass (conv + linear, no bias).
# spec name: (params, trainable params, buffer elements, MACs)
REFERENCE: dict[str, tuple[int, int, int, int]] = {
    "alexnet": (61_100_840, 61_100_840, 0, 714_188_480),
    "vgg16": (138_357_544, 138_357_544, 0, 15_470_264_320),
    "resnet18": (11_689_512, 11_689_512, 9_620, 1_814_073_344),
    "resnet50": (25_557_032, 25_557_032, 53_173, 4_089_184_256),
    "mobilenet_v2": (3_504_872, 3_504_872, 34_164, 300_774_272),
    "googlenet": (6_624_904, 6_624_904, 14_617, 1_498_376_192),
    "densenet121": (7_978_856, 7_978_856, 83_769, 2_834_161_664),
    "squeezenet1_1": (1_235_496, 1_235_496, 0, 349_151_936),
    # shared/reference/modern.json: PyTorch 2.14.1 / torchvision 0.29.1, measured the same way.
    "convnext_tiny": (28_589_128, 28_589_128, 0, 4_455_531_264),
    "shufflenet_v2_x1_0": (2_278_604, 2_278_604, 16_236, 144_907_992),
    "vit_b_16": (86_567_656, 86_567_656, 0, 17_563_828_224),
    # Issue 22's models: measured the same way on torchvision 0.28.0's own modules (built
    # through tests/torchvision_models.py), copied here by hand.
    "vgg11": (132_863_336, 132_863_336, 0, 7_609_090_048),
    "resnet34": (21_797_672, 21_797_672, 17_060, 3_663_761_408),
    "resnext50_32x4d": (25_028_904, 25_028_904, 68_277, 4_230_479_872),
    "wide_resnet50_2": (68_883_240, 68_883_240, 68_277, 11_398_021_120),
    "squeezenet1_0": (1_248_424, 1_248_424, 0, 818_924_576),
    "regnet_x_400mf": (5_495_976, 5_495_976, 37_927, 413_812_608),
    "mnasnet1_0": (4_383_312, 4_383_312, 37_972, 314_415_872),
    "mobilenet_v3_small": (2_542_856, 2_542_856, 12_146, 56_510_400),
    "mobilenet_v3_large": (5_483_032, 5_483_032, 24_446, 216_589_760),
    "efficientnet_b0": (5_288_548, 5_288_548, 42_065, 385_814_752),
    "inception_v3": (23_834_568, 23_834_568, 34_526, 5_713_216_096),
    # Issue 25's models, measured the same way on torchvision 0.28.0's own modules; the
    # buffers are the relative position indexes (int64, persistent): 12 * 49 * 49.
    "swin_t": (28_288_354, 28_288_354, 28_812, 4_490_566_656),
    # 22 * 2,401 relative position indexes and the BatchNorms' 47,650 running statistics.
    "maxvit_t": (30_919_624, 30_919_624, 100_472, 5_558_046_720),
}
# The input of a reference model that is not 3x224x224: Inception v3's own size.
INPUT = {"inception_v3": (3, 299, 299)}

# Copied from the project's reference file (shared/reference/modern.json): models torchvision
# does not ship, built in PyTorch with weights=None; counted as above.
# spec name: (input (C, H, W) or (L,), params, trainable params, buffer elements, MACs, output shape)
MODERN: dict[str, tuple[tuple[int, ...], int, int, int, int, tuple[int, ...]]] = {
    # Ronneberger et al. 2015: 572x572x1 in, valid convs, 388x388x2 out.
    "unet": ((1, 572, 572), 31_030_658, 31_030_658, 0, 150_428_424_448, (2, 388, 388)),
    # modern_models.py beside it: int64 token ids in, batch first.
    "lstm_lm": ((35,), 11_368_208, 11_368_208, 0, 307_650_560, (35, 10_000)),
    "bert_base": ((128,), 109_482_240, 109_482_240, 0, 11_174_215_680, (768,)),
    "gpt2_small": ((1024,), 124_439_808, 124_439_808, 0, 145_824_153_600, (1024, 50_257)),
}

# Every spec that must ship: the zoo, the course's examples and the padding walkthrough.
# Specs checked against PyTorch in a test file of their own (tests/test_zoo_transformer.py, ...).
OWN_TESTS = ["transformer", "wavenet"]
BUNDLED = sorted([*REFERENCE, *MODERN, *OWN_TESTS, "lenet", "course_convnet", "same_padding"])


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cnncalc", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def trace_of(name: str) -> Trace:
    path = SPECS / f"{name}.yaml"
    return propagate(load_spec(path), str(path))


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_zoo_spec_matches_the_torchvision_reference(name: str) -> None:
    params, trainable, buffers, macs = REFERENCE[name]
    trace = trace_of(name)
    total = totals(trace)
    assert trace.nodes[0].output == INPUT.get(name, (3, 224, 224))
    assert total.params.total == params
    assert total.params.trainable == trainable
    assert total.params.buffers == buffers
    assert total.macs == macs
    assert total.output == (1000,)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_expect_block_holds_the_reference_numbers(name: str) -> None:
    # The spec's own claims must be the reference, so a spec cannot drift and still pass `table`.
    params, _, buffers, macs = REFERENCE[name]
    claim = load_spec(SPECS / f"{name}.yaml").expect["total"]
    assert (claim.params, claim.buffers, claim.macs) == (params, buffers, macs)


@pytest.mark.parametrize("name", sorted(MODERN))
def test_modern_zoo_spec_matches_its_reference(name: str) -> None:
    shape, params, trainable, buffers, macs, output = MODERN[name]
    trace = trace_of(name)
    total = totals(trace)
    assert trace.nodes[0].output == shape
    assert (total.params.total, total.params.trainable, total.params.buffers) == (params, trainable, buffers)
    assert total.macs == macs
    assert total.output == output
    claim = load_spec(SPECS / f"{name}.yaml").expect["total"]
    assert (claim.params, claim.buffers, claim.macs) == (params, buffers, macs)


def test_unet_decoder_steps_are_one_block_with_two_inputs() -> None:
    spec = load_spec(SPECS / "unet.yaml")
    assert spec.blocks["up"].inputs == ("x", "skip")
    calls = [layer for layer in spec.layers if layer["type"] == "up"]
    assert [call["from"] for call in calls] == [
        ["bottom", "enc4"],
        ["dec4", "enc3"],
        ["dec3", "enc2"],
        ["dec2", "enc1"],
    ]


def test_every_expected_spec_is_bundled() -> None:
    assert set(BUNDLED) <= set(zoo.names())


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_spec_confirms_every_claim_through_the_cli(name: str) -> None:
    result = run("table", f"specs/{name}.yaml")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "✗" not in result.stdout
    assert "confirmed" in result.stdout


def test_resnet50_reads_in_well_under_60_lines() -> None:
    assert len((SPECS / "resnet50.yaml").read_text(encoding="utf-8").splitlines()) <= 50


def test_googlenet_says_it_follows_torchvisions_3x3_five_by_five_branch() -> None:
    text = (SPECS / "googlenet.yaml").read_text(encoding="utf-8")
    assert "5x5" in text and "3x3 kernel" in text


def test_same_padding_puts_the_extra_pixel_bottom_right() -> None:
    # (top, bottom), (left, right) per layer, from the arithmetic in the spec's comments.
    wanted = {
        "odd_even_s2": ((1, 1), (0, 1)),  # 11 -> 6 (s=2, f=3): total 2; 10 -> 5: total 1
        "even_kernel": ((1, 2), (1, 2)),  # f=4, s=1: total 3 on both axes
        "dilated": ((2, 2), (2, 2)),  # f=3, d=2 spans 5: total 4
        "stride3": ((1, 1), (1, 2)),  # 6 -> 2 (s=3, f=5): total 2; 5 -> 2: total 3
        "pool": ((0, 0), (0, 0)),  # 2 -> 1 (s=2, f=2): total 0
    }
    trace = trace_of("same_padding")
    got = {}
    for node in trace.nodes[1:]:
        layer = node.layer
        assert layer is not None
        got[node.name] = layer.pads(node.inputs[0])  # type: ignore[attr-defined]
    assert got == wanted


def test_zoo_lists_every_bundled_spec_with_its_numbers() -> None:
    result = run("zoo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["name", "description"]
    rows = {line.split()[0]: line for line in lines[1:] if line.strip()}
    assert sorted(rows) == zoo.names()
    assert "224×224×3" in rows["resnet50"]
    assert "25,557,032" in rows["resnet50"] and "4,089,184,256" in rows["resnet50"]
    assert "62,006" in rows["lenet"] and "651,720" in rows["lenet"] and "32×32×3" in rows["lenet"]
    assert "138,357,544" in rows["vgg16"] and "15,470,264,320" in rows["vgg16"]
    assert all(line == line.rstrip() for line in lines)


def test_zoo_never_imports_torch() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['cnncalc', 'zoo']\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'CLEAN', file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().endswith("CLEAN")
    assert "resnet50" in result.stdout


# The sequence specs at other lengths (`--input l=...`), worked from the formulas: per
# encoder layer of width 768, 12 heads and a 3072-wide feed-forward at L tokens, the
# projections 4*L*768*768, QK^T and AV 2*L*L*768 and the feed-forward 2*L*768*3072.


def encoder_layer_macs(length: int) -> int:
    return 4 * length * 768 * 768 + 2 * length * length * 768 + 2 * length * 768 * 3072


def test_bert_base_at_512_tokens() -> None:
    result = run("table", "bert_base", "--input", "l=512", "--format", "json")
    assert result.returncode == 0, result.stderr
    total = json.loads(result.stdout)["total"]
    # Twelve layers and the pooler on one token, 768*768; the tables do not depend on L.
    assert total["macs"] == 12 * encoder_layer_macs(512) + 768 * 768 == 48_318_971_904
    assert total["params"] == 109_482_240
    assert total["output_shape"] == [768]


def test_gpt2_small_one_totals_row_per_length() -> None:
    result = run("table", "gpt2_small", "--input", "l=128,1024", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    # Twelve blocks and the tied head, L*768*50257.
    wanted = [12 * encoder_layer_macs(n) + n * 768 * 50_257 for n in (128, 1024)]
    assert [row["total"]["macs"] for row in rows] == wanted
    assert wanted[1] == 145_824_153_600  # the reference at 1,024 tokens
    assert [row["total"]["params"] for row in rows] == [124_439_808, 124_439_808]
    assert [row["total"]["output_shape"] for row in rows] == [[128, 50257], [1024, 50257]]


def test_gpt2_small_refuses_more_tokens_than_its_position_table() -> None:
    # GPT-2's learned positions have 1,024 rows: PyTorch would index past the table at 4,096.
    result = run("table", "gpt2_small", "--input", "l=128,1024,4096")
    assert result.returncode == 0  # 128 and 1,024 are counted; 4,096 is a row saying why not
    assert "l=4096  refused: layer 2 'wpe' (position_embedding): the sequence has 4096" in result.stdout
    assert "gpt2_small.yaml:7:" in result.stderr
    assert "4096 positions, more than the table's max_len=1024" in result.stderr
    assert "(at --input l=4096)" in result.stderr


def test_lstm_lm_at_another_length() -> None:
    result = run("table", "lstm_lm", "--input", "l=100", "--format", "json")
    assert result.returncode == 0, result.stderr
    # Per step: LSTM gates 4*512*(256 + 512) + 4*512*(512 + 512), the decoder 512*10000.
    assert json.loads(result.stdout)["total"]["macs"] == 100 * (4 * 512 * 768 + 4 * 512 * 1024 + 512 * 10_000)
