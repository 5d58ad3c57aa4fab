"""The README's numbers against references that do not come from cnncalc.

tests/test_core.py keeps the README's LeNet table equal to what the program prints, which
proves it current, not right. Here every number a reader takes from the README is checked
against torchvision's own counts (copied below from the reference file made by building
each model in torchvision 0.29 and counting with PyTorch) or against hand arithmetic.
"""

from __future__ import annotations

import ast
import json
import operator
import re
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from helpers import check_readme_block, invoke
from needs import needs_module

from cnncalc.engine import propagate
from cnncalc.figures import totals
from cnncalc.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# torchvision 0.29, weights=None, 224x224x3 (LeNet-5: the course's, 32x32x3): params from
# sum(p.numel()), buffers from sum(b.numel()), MACs = FlopCounterMode total / 2 on a
# batch-1 forward pass. Copied by hand from the reference, not read at test time.
TORCHVISION = {
    "lenet": (62_006, 0, 651_720),
    "alexnet": (61_100_840, 0, 714_188_480),
    "vgg16": (138_357_544, 0, 15_470_264_320),
    "resnet18": (11_689_512, 9_620, 1_814_073_344),
    "resnet50": (25_557_032, 53_173, 4_089_184_256),
    "mobilenet_v2": (3_504_872, 34_164, 300_774_272),
    "googlenet": (6_624_904, 14_617, 1_498_376_192),
    "densenet121": (7_978_856, 83_769, 2_834_161_664),
    "squeezenet1_1": (1_235_496, 0, 349_151_936),
    "convnext_tiny": (28_589_128, 0, 4_455_531_264),
    "shufflenet_v2_x1_0": (2_278_604, 16_236, 144_907_992),
    "vit_b_16": (86_567_656, 0, 17_563_828_224),  # shared/reference/modern.json, torchvision 0.29.1
    # Issue 22's models: measured the same way on torchvision 0.28.0's own modules (built
    # through tests/torchvision_models.py), copied here by hand.
    "vgg11": (132_863_336, 0, 7_609_090_048),
    "resnet34": (21_797_672, 17_060, 3_663_761_408),
    "resnext50_32x4d": (25_028_904, 68_277, 4_230_479_872),
    "wide_resnet50_2": (68_883_240, 68_277, 11_398_021_120),
    "squeezenet1_0": (1_248_424, 0, 818_924_576),
    "regnet_x_400mf": (5_495_976, 37_927, 413_812_608),
    "mnasnet1_0": (4_383_312, 37_972, 314_415_872),
    "mobilenet_v3_small": (2_542_856, 12_146, 56_510_400),
    "mobilenet_v3_large": (5_483_032, 24_446, 216_589_760),
    "efficientnet_b0": (5_288_548, 42_065, 385_814_752),
    "inception_v3": (23_834_568, 34_526, 5_713_216_096),  # at 299x299x3
    "swin_t": (28_288_354, 28_812, 4_490_566_656),  # issue 25, torchvision 0.28.0 the same way
    "maxvit_t": (30_919_624, 100_472, 5_558_046_720),
}
# The sequence models, from the project's reference modern.json (PyTorch's own modules).
MODERN = {
    "lstm_lm": (11_368_208, 0, 307_650_560),
    "bert_base": (109_482_240, 0, 11_174_215_680),
    "gpt2_small": (124_439_808, 0, 145_824_153_600),
    # Ronneberger et al.'s U-Net at 572x572x1 (modern.json, built in PyTorch the same way).
    "unet": (31_030_658, 0, 150_428_424_448),
    # No reference file has it: by hand, as its spec's comments work it (and
    # tests/test_transformers.py measures the same figures on a hand-built PyTorch model).
    # Params per layer: norms 2*256 + attention 256*256 + 2*256*(2*32) + 256*256 = 163,840,
    # SwiGLU 3*256*688 = 528,384: 692,736; 4 layers + final norm 256 + head 256*32,000.
    # MACs per layer 128*163,840 + 2*128*128*256 + 128*528,384 = 96,993,280; 4 layers + 128*8,192,000.
    "llama_tiny": (4 * 692_736 + 256 + 256 * 32_000, 0, 4 * 96_993_280 + 128 * 8_192_000),
    # nn.Transformer, by hand as its spec's comments work it (tests/test_zoo_transformer.py
    # measures torch's own module): six encoder layers of 3,152,384 and decoder layers of
    # 4,204,032 and two norms; MACs 6 encoder layers at 10 positions, 6 decoder layers at 20.
    "transformer": (6 * 3_152_384 + 6 * 4_204_032 + 2 * 1_024, 0, 6 * 31_559_680 + 6 * 79_257_600),
    # WaveNet, by hand as its spec's comments work it (tests/test_zoo_wavenet.py measures a
    # hand-written PyTorch module): the start conv, 20 layers, the post and logits convs.
    "wavenet": (16_448 + 20 * 37_312 + 2 * 65_792, 0, 16_777_216 + 20 * 37_748_736 + 2 * 67_108_864),
}
# Bundled specs the README names in a sentence under the table: worked examples, no model.
EXAMPLES = {"course_convnet", "same_padding"}

# The course's LeNet-5 worked by hand: name, output (H, W, C), output size, params, MACs.
LENET = [
    ("input", "(32, 32, 3)", 3_072, 0, 0),
    ("CONV1", "(28, 28, 6)", 4_704, 456, 352_800),  # 5*5*3*6 + 6; 28*28*6 * 5*5*3
    ("POOL1", "(14, 14, 6)", 1_176, 0, 0),  # 14*14*6
    ("CONV2", "(10, 10, 16)", 1_600, 2_416, 240_000),  # 5*5*6*16 + 16; 10*10*16 * 5*5*6
    ("POOL2", "(5, 5, 16)", 400, 0, 0),
    ("", "(400,)", 400, 0, 0),  # flatten: 5*5*16
    ("FC3", "(120,)", 120, 48_120, 48_000),  # 400*120 + 120; 400*120
    ("FC4", "(84,)", 84, 10_164, 10_080),  # 120*84 + 84; 120*84
    ("Softmax", "(10,)", 10, 850, 840),  # 84*10 + 10; 84*10
]
LENET_PARAMS = 62_006  # 456 + 2,416 + 48,120 + 10,164 + 850
LENET_MACS = 651_720  # 352,800 + 240,000 + 48,000 + 10,080 + 840
LENET_ELEMENTS = 11_566  # the output sizes above, input included


def number(text: str) -> int:
    return int(text.replace(",", ""))


def arithmetic(text: str) -> int:
    """The value of `5*5*6*16 + 16` or `(5·5 + 1) · 16`: integers, +, -, *, brackets."""
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}

    def value(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            result: int = ops[type(node.op)](value(node.left), value(node.right))
            return result
        raise ValueError(f"not plain arithmetic: {text}")

    return value(ast.parse(text.replace("·", "*"), mode="eval").body)


def zoo_section() -> str:
    return README.split("### The model zoo", 1)[1].split("###", 1)[0]


def zoo_rows() -> dict[str, tuple[int, int, int]]:
    """The zoo table's rows: spec name -> (params, buffers, MACs)."""
    table = [line for line in zoo_section().splitlines() if line.startswith("| `")]
    rows = [re.fullmatch(r"\| `(\w+)`[^|]*\| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \|", line) for line in table]
    assert all(rows), [line for line, row in zip(table, rows, strict=True) if not row]
    return {r[1]: (number(r[2]), number(r[3]), number(r[4])) for r in rows if r}


def test_the_zoo_table_has_torchvisions_numbers() -> None:
    assert zoo_rows() == TORCHVISION | MODERN


def test_the_zoo_table_lists_every_bundled_spec() -> None:
    bundled = {path.stem for path in (ROOT / "specs").glob("*.yaml")}
    assert set(zoo_rows()) | EXAMPLES == bundled, "a spec under specs/ is missing from the README's zoo table"
    after = zoo_section().split("|\n\n", 1)[1]
    assert all(f"`{name}`" in after for name in EXAMPLES)


def test_the_zoo_table_is_what_each_spec_computes() -> None:
    # The numbers above are the references; this catches a spec changed since the table was.
    for name, (params, buffers, macs) in zoo_rows().items():
        path = ROOT / "specs" / f"{name}.yaml"
        figures = totals(propagate(load_spec(path), str(path), batch=1))
        assert (figures.params.total, figures.params.buffers, figures.macs) == (params, buffers, macs), name


def test_the_lenet_table_has_the_hand_worked_numbers() -> None:
    shown = README.split("$ cnncalc table specs/lenet.yaml\n", 1)[1].split("```", 1)[0]
    rows = [line for line in shown.splitlines() if re.match(r"^\d ", line)]
    assert len(rows) == len(LENET)
    for line, (name, output, size, params, macs) in zip(rows, LENET, strict=True):
        cells = line.replace(" ✓", "").split()
        assert (cells[1] if name else "") == name, line
        assert output in line.replace(" ✓", ""), line
        numbers = [number(c) for c in re.findall(r"(?<=\s)[\d,]+(?=\s|$)", line.split(")", 1)[1].replace(" ✓", ""))]
        assert numbers[:3] == [size, params, macs], line
    assert f"params   {LENET_PARAMS:,} " in shown
    assert f"compute  {LENET_MACS:,} MACs" in shown and f"{2 * LENET_MACS:,} FLOPs" in shown
    # float32: 4 bytes each. 62,006 * 4 / 1024 = 242.2 KiB; 11,566 * 4 / 1024 = 45.2 KiB.
    assert f"weights {LENET_PARAMS * 4 / 1024:.1f} KiB" in shown
    assert f"activations {LENET_ELEMENTS * 4 / 1024:.1f} KiB" in shown


def test_the_lenet_prose_adds_up() -> None:
    intro = README.split("## The LeNet-5 table", 1)[1].split("```", 1)[0]
    claims = re.findall(r"([\d,]+) \(([\d·+ ]+)\)", intro)
    assert [(number(n), arithmetic(f)) for n, f in claims] == [(456, 456), (2_416, 2_416)]
    shares = " ".join(README.split("so the heavy layers stand out", 1)[1].split(")", 1)[0].split())
    # FC3: 48,120 / 62,006 = 77.6%; CONV1: 352,800 / 651,720 = 54.1%
    assert f"FC3 holds {round(100 * 48_120 / LENET_PARAMS)}% of the parameters" in shares
    assert f"CONV1 {round(100 * 352_800 / LENET_MACS)}% of the MACs" in shares


def test_the_check_example_states_lenets_real_numbers() -> None:
    example = README.split("$ cnncalc check models/\n", 1)[1].split("```", 1)[0]
    line = example.splitlines()[0]
    found = re.search(
        r"CONV2 params: claimed ([\d,]+), computed ([\d,]+); ([\d,]+) = (.+?) counts one input channel; "
        r"this layer sees (\d+): (.+?) = ([\d,]+)$",
        line,
    )
    assert found, line
    claimed, computed, again, wrong, channels, right, result = found.groups()
    # The course's 416 counts one input channel: (5*5 + 1) * 16. LeNet's CONV2 reads POOL1's
    # 6 channels: 5*5*6*16 + 16 = 2,416.
    assert number(claimed) == number(again) == arithmetic(wrong) == 416
    assert number(computed) == number(result) == arithmetic(right) == LENET[3][3]
    assert int(channels) == 6


def transformers_paragraph() -> str:
    section = README.split("## Memory: will it fit?", 1)[1].split("\n## ", 1)[0]
    assert "**Transformers.**" in section, "the memory section says nothing of the KV cache and attention"
    return " ".join(section.split("**Transformers.**", 1)[1].split("\n\n", 1)[0].split())


def test_the_kv_cache_figures_add_up() -> None:
    text = transformers_paragraph()
    # GPT-2 small: 12 causal layers of width 768 (12 heads of 64), float32: keys and values
    # 2 * 12 * 768 * 4 = 73,728 bytes = 72 KiB a token; at 1,024 tokens 75,497,472 bytes = 72 MiB.
    per_token, tokens = 2 * 12 * 768 * 4, 1_024
    assert f"2 × 12 × 768 × 4 bytes = {per_token // 1024} KiB in float32" in text
    assert f"({per_token * tokens // 2**20} MiB at its {tokens:,} tokens)" in text
    result = subprocess.run(
        [sys.executable, "-m", "cnncalc", "table", "gpt2_small", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    total = json.loads(result.stdout)["total"]
    assert (total["kv_cache_bytes_per_token"], total["kv_cache_bytes"]) == (per_token, per_token * tokens)
    assert "`kv_cache_bytes_per_token`, `kv_cache_bytes`" in text


def test_verify_counts_under_the_math_attention_kernel_as_the_readme_says() -> None:
    torch = needs_module("torch")
    from cnncalc.verify import counting

    assert "`cnncalc verify` counts MACs under the math kernel (`sdpa_kernel(SDPBackend.MATH)`)" in (
        transformers_paragraph()
    )
    cuda = torch.backends.cuda
    with counting(torch):  # what cnncalc verify counts in
        assert cuda.math_sdp_enabled() and not cuda.flash_sdp_enabled() and not cuda.mem_efficient_sdp_enabled()
    # Outside it (verify --memory, the memory model's reference) PyTorch picks its fused kernel.
    assert cuda.flash_sdp_enabled()


def readme_command_lines() -> list[tuple[str, list[str]]]:
    """Every `cnncalc COMMAND ...` the README shows, in code blocks and inline, as (command,
    words): each ends at a pipe, a redirection, a comment or the end of its span."""
    found = []
    spans = [line for block in re.findall(r"```[a-z]*\n(.*?)```", README, re.DOTALL) for line in block.splitlines()]
    prose = re.sub(r"```.*?```", "", README, flags=re.DOTALL)
    spans += [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose)]
    for span in spans:
        for command, rest in re.findall(r"(?<![\w/.-])cnncalc (\w+)([^|#>`\"]*)", span):
            found.append((command, rest.split()))
    return found


def options_in_help(command: str) -> dict[str, list[str] | None]:
    """`cnncalc COMMAND --help`'s options, each with its choices where it lists them."""

    result = invoke([command, "--help"], env={"COLUMNS": "1000", "NO_COLOR": "1"})
    assert result.exit_code == 0, (command, result.output)
    options: dict[str, list[str] | None] = {}
    for short, long, choices in re.findall(r"^ +(?:(-\w), )?(--[\w-]+)(?: \[([^\]]+)\])?", result.output, re.MULTILINE):
        for name in filter(None, (short, long)):
            options[name] = choices.split("|") if choices else None
    return options


def test_every_cnncalc_option_the_readme_shows_exists() -> None:
    uses = readme_command_lines()
    # The code blocks' lines are among them (the GitHub Actions steps' options too).
    assert len(uses) > 40 and any(name == "diff" and "--fail-on" in words for name, words in uses)
    # The table of `cnncalc table` options: each row's option.
    rows = README.split("`cnncalc table` options:", 1)[1].split("\n\n", 2)[1]
    uses += [("table", re.findall(r"^\| `(--[\w-]+)", rows, re.MULTILINE))]
    assert len(uses[-1][1]) >= 9
    helps: dict[str, dict[str, list[str] | None]] = {}
    wrong = []
    for name, words in uses:
        if name not in helps:
            helps[name] = options_in_help(name)
        for word, after in pairwise([*words, ""]):
            option = word.split("=", 1)[0]
            if not re.fullmatch(r"--?[a-zA-Z][\w-]*", option):
                continue
            if option not in helps[name]:
                wrong.append(f"cnncalc {name}: no option {option}")
                continue
            choices = helps[name][option]
            if choices and after and not after.startswith("-") and after not in choices:
                wrong.append(f"cnncalc {name} {option}: no choice {after}")
    assert not wrong


def test_the_readmes_pyproject_configuration_loads_as_it_says(tmp_path: Path) -> None:
    from cnncalc.check import load_config

    toml = README.split("```toml\n# pyproject.toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "pyproject.toml"
    path.write_text(toml, encoding="utf-8")
    config = load_config(path)
    assert not config.warnings
    assert (config.select, config.ignore, config.levels) == (["CNC"], ["CNC104"], {"CNC107": "error"})
    assert (config.include, config.exclude, config.count) == (["**/*.yaml", "**/*.yml"], ["build/**"], "fvcore")


def test_the_readmes_github_actions_steps_are_yaml_steps() -> None:
    steps = yaml.safe_load(README.split("### GitHub Actions\n\n```yaml\n", 1)[1].split("```", 1)[0])
    assert all(isinstance(step, dict) and ("run" in step or "uses" in step) for step in steps)
    sarif = next(step for step in steps if "uses" in step)
    written = next(step["run"] for step in steps if "--format sarif" in step.get("run", ""))
    assert sarif["with"]["sarif_file"] in written.split("-o ", 1)[1].split()


def test_the_lora_example_is_what_the_commands_print(tmp_path: Path, monkeypatch: Any) -> None:
    # Each `$ cnncalc ...` of the README's LoRA block, run; every line shown under it must be
    # a line it prints. By hand: 32 layers x (q and v) x 8 x (4,096 + 4,096) = 4,194,304
    # trainable (peft's print_trainable_parameters for Llama-2-7B at r = 8 on q_proj and
    # v_proj), on Llama-2-7B's 6,738,415,616; AdamW's two float32 moments 32 MiB.
    trainable = 32 * 2 * 8 * (4_096 + 4_096)
    assert trainable == 4_194_304 and 2 * trainable * 4 == 32 * 2**20
    section = README.split("**LoRA.**", 1)[1].split("```")[1]
    assert f"(trainable {trainable:,} · non-trainable 6,738,415,616 · buffers 0)" in section
    monkeypatch.chdir(tmp_path)
    assert check_readme_block(section) == 4
