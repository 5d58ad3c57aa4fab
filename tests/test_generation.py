"""Generation memory (cnncalc.analysis.memory.generation_peaks): the KV cache for the whole
context in each dtype by hand, and the prefill's and a decode step's peaks against PyTorch's
tracked tensors while transformers' LlamaForCausalLM really generates on the CPU with a
static KV cache, with sdpa and with eager attention; the attention kernel's own peaks
against the tracker on the module `verify` builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import check_readme_block, invoke, trace_of
from needs import needs_module

from cnncalc.analysis import analyse
from cnncalc.analysis.memory import KERNELS
from cnncalc.engine import propagate
from cnncalc.options import Options
from cnncalc.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
LLAMA_TINY = str(ROOT / "specs" / "llama_tiny.yaml")
# One Llama attention (128 positions 256 wide, 8 heads sharing 2 key/value heads of 32).
ONE_ATTENTION = "{type: attention, heads: 8, kv_heads: 2, rotary: true, causal: true, bias: false}"


def generation_json(*args: str) -> dict[str, Any]:
    result = invoke(["table", *args, "-f", "json"])
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.output)["memory"]
    return found


# The KV cache, by hand. llama_tiny: 4 layers, 2 key/value heads of width 256 / 8 = 32:
# 2 (keys, values) x 4 x 2 x 32 = 512 elements a token. A 128-token prompt + 32 new tokens
# = 160 tokens of context, batch 2: 512 x 160 x 2 = 163,840 elements.
@pytest.mark.parametrize(
    ("kv_dtype", "cache"),
    [
        ("float32", 163_840 * 4),  # 655,360 B
        ("float16", 163_840 * 2),  # 327,680 B
        ("bfloat16", 163_840 * 2),
        ("float8", 163_840),  # one byte an element
        ("int8", 163_840),
    ],
)
def test_the_kv_cache_for_the_whole_context_in_each_dtype(kv_dtype: str, cache: int) -> None:
    memory = generation_json(LLAMA_TINY, "--batch", "2", "--new-tokens", "32", "--kv-dtype", kv_dtype)
    made = memory["generation"]
    assert (made["prompt_tokens"], made["new_tokens"], made["context_tokens"]) == (128, 32, 160)
    assert made["kv_cache_bytes_per_token"] == cache // (160 * 2)
    assert made["prefill"]["parts"]["kv cache"] == made["decode"]["parts"]["kv cache"] == cache
    # Weights in float32 whatever the cache's dtype: 10,963,200 params x 4 bytes.
    assert made["prefill"]["parts"]["weights"] == 43_852_800
    for phase in ("prefill", "decode"):
        assert made[phase]["peak_bytes"] == sum(made[phase]["parts"].values())
    assert made["peak_bytes"] == max(made["prefill"]["peak_bytes"], made["decode"]["peak_bytes"])


def test_decode_macs_attend_to_the_whole_context() -> None:
    # One decode step of llama_tiny, one token: per layer the projections 163,840 and the
    # SwiGLU 528,384 MACs, QK^T and AV over the 160 tokens of context 2 x 160 x 256 = 81,920;
    # 4 layers 3,096,576, and the head 256 x 32,000 = 8,192,000: 11,288,576.
    made = generation_json(LLAMA_TINY, "--new-tokens", "32")["generation"]
    assert made["decode_macs_per_token"] == 4 * (163_840 + 528_384 + 81_920) + 8_192_000 == 11_288_576
    # The prefill is the forward over the prompt: the spec's own 1,436,549,120 MACs.
    assert made["prefill_macs_per_sample"] == 1_436_549_120


def test_the_generation_section_is_as_the_options(tmp_path: Path) -> None:
    text = Path(LLAMA_TINY).read_text(encoding="utf-8") + "generation: {new_tokens: 32, kv_dtype: float8}\n"
    (tmp_path / "gen.yaml").write_text(text, encoding="utf-8")
    from_spec = generation_json(str(tmp_path / "gen.yaml"))
    from_flags = generation_json(LLAMA_TINY, "--new-tokens", "32", "--kv-dtype", "fp8")
    assert from_spec["generation"] == from_flags["generation"]
    # The command line overrides the section.
    overridden = generation_json(str(tmp_path / "gen.yaml"), "--kv-dtype", "float16")["generation"]
    assert overridden["kv_dtype"] == "float16"


def test_the_table_says_what_each_peak_holds() -> None:
    result = invoke(["table", LLAMA_TINY, "--new-tokens", "32", "--device-memory", "80MiB"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "generate 128-token prompt + 32 new at batch 1: kv cache float32 320.0 KiB for 160 tokens" in text
    assert "prefill peak" in text and "decode peak" in text and "(one token over 160)" in text
    assert "MACs per token: prefill" in text
    assert "kv cache not included" in text  # the inference line: one forward, nothing generated
    assert "attention fused 4 of 4 (flash: no L × L scores kept)" in text
    assert "fits generation" in text and "largest batch" in text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--kv-dtype", "float16"], "--kv-dtype needs --new-tokens"),
        (["--new-tokens", "0"], "0 is less than 1"),
        (["--new-tokens", "8", "--kv-dtype", "fp4"], "'fp4' is not one of float32, float16, bfloat16, float8, int8"),
        (["--attention", "flash"], "'flash' is not one of fused, eager"),
    ],
)
def test_bad_generation_options_are_usage_errors(args: list[str], words: str) -> None:
    result = invoke(["table", LLAMA_TINY, *args])
    assert result.exit_code == 2
    assert words in " ".join(result.output.split())


def test_generating_from_an_image_is_a_positioned_error() -> None:
    result = invoke(["table", "lenet", "--new-tokens", "8"])
    assert result.exit_code == 2
    assert "lenet.yaml:" in result.output and "continues a sequence: the input has no length `l`" in result.output
    assert "Traceback" not in result.output


def test_eager_is_the_llama_layouts_kernel(tmp_path: Path) -> None:
    path = tmp_path / "mha.yaml"
    path.write_text("name: m\ninput: {l: 4, d: 8}\nlayers:\n  - {type: attention, heads: 2, kernel: eager}\n")
    result = invoke(["table", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4:" in result.output and "kernel: eager is the Llama layout's" in result.output


# Against PyTorch: transformers' Llama generating on the CPU under the tracker.

# A tiny Llama: 2 layers 64 wide, 4 heads sharing 2 key/value heads, SwiGLU 176 wide.
TINY_LLAMA = {
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 176,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_hidden_layers": 2,
    "vocab_size": 512,
    "rms_norm_eps": 1e-05,
    "max_position_embeddings": 4096,
    "tie_word_embeddings": False,
}
BATCH, PROMPT, NEW = 4, 96, 8


def measured_generation(kernel: str) -> tuple[int, int]:
    """(prefill peak, largest decode step peak) of LlamaForCausalLM from TINY_LLAMA generating
    NEW tokens after a PROMPT-token prompt at BATCH, float32, with a static cache for the whole
    context; `kernel` "fused" runs transformers' sdpa attention, "eager" its eager attention."""
    from test_import_hf import load_transformers

    transformers = load_transformers()
    torch = needs_module("torch")
    from cnncalc.memory_tracker import tracker

    fields = {k: v for k, v in TINY_LLAMA.items() if k != "model_type"}
    config = transformers.AutoConfig.for_model("llama", **fields)
    torch.manual_seed(0)
    implementation = "sdpa" if kernel == "fused" else "eager"
    model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation=implementation).eval()
    ids = torch.zeros(BATCH, PROMPT, dtype=torch.long)
    with torch.no_grad():
        mode = tracker()
        with mode:
            mode.hold([ids, *model.parameters(), *model.buffers()])
            cache = transformers.StaticCache(config=config, max_cache_len=PROMPT + NEW)
            out = model(ids, past_key_values=cache, use_cache=True)
            prefill = mode.peak
            token = out.logits[:, -1:].argmax(-1)
            del out
            mode.peak = mode.live  # the decode steps' own peak from here
            for _ in range(NEW - 1):
                out = model(token, past_key_values=cache, use_cache=True)
                token = out.logits[:, -1:].argmax(-1)
                del out
            decode = mode.peak
    return prefill, decode


@pytest.mark.parametrize("kernel", ["fused", "eager"])
def test_prefill_and_decode_peaks_within_5_percent_of_transformers(kernel: str, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(TINY_LLAMA), encoding="utf-8")
    spec = tmp_path / "tiny.yaml"
    made = invoke(["import", str(config), "--tokens", str(PROMPT), "-o", str(spec)])
    assert made.exit_code == 0, made.output
    trace = propagate(load_spec(str(spec)), str(spec), batch=BATCH)
    ours = analyse(trace, Options(new_tokens=NEW, attention=kernel), claims=False).generation
    assert ours is not None
    prefill, decode = measured_generation(kernel)
    for what, computed, torch_peak in (("prefill", ours.prefill.total, prefill), ("decode", ours.decode.total, decode)):
        assert abs(computed - torch_peak) <= 0.05 * torch_peak, (
            f"{what}: cnncalc {computed:,} B, PyTorch {torch_peak:,} B"
        )


@pytest.mark.parametrize("mode", ["inference", "sgd", "adam"])
@pytest.mark.parametrize("kernel", ["fused", "eager"])
def test_each_kernels_peaks_within_5_percent_of_pytorch(kernel: str, mode: str) -> None:
    """llama_tiny with `kernel:` on each attention and a head of 256 (not 32,000: its logits
    would hold the peak, away from the attention), batch 2, float32, against the tracker on
    the module `verify` builds (eager: transformers' eager attention, written out)."""
    torch = needs_module("torch")
    from cnncalc.analysis.memory import inference_peak, training_peak
    from cnncalc.memory_tracker import inference_peak as measured_inference
    from cnncalc.memory_tracker import training_peak as measured_training
    from cnncalc.verify import build_module, sample_input

    text = (
        Path(LLAMA_TINY)
        .read_text(encoding="utf-8")
        .replace("causal: true", f"causal: true, kernel: {kernel}")
        .replace("units: 32000", "units: 256")
    )
    trace = trace_of(text, "llama_tiny.yaml", batch=2)
    assert " ".join(analyse(trace, claims=False).memory_forms.text().split()).endswith(
        f"attention {kernel} 4 of 4 ({KERNELS[kernel]})"
    )
    torch.manual_seed(0)
    module = build_module(trace)
    x = sample_input(trace, 2, "cpu")
    if mode == "inference":
        ours, theirs = inference_peak(trace.nodes, 2).total, measured_inference(module, x).peak
    else:
        ours, theirs = training_peak(trace.nodes, 2, mode).total, measured_training(module, x, mode).peak
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, PyTorch {theirs:,} B"


def test_the_command_line_kernel_overrides_each_layers(tmp_path: Path) -> None:
    # One Llama attention, 128 positions 256 wide, 8 heads sharing 2 key/value heads of 32.
    # Fused, it makes q and its rotated copy 2 x 2 x 128 x 256, k and v and k's rotated copy
    # 3 x 128 x 64: 155,648 elements. Eager peaks at the softmax: q 128 x 256 = 32,768, k and
    # v 16,384, scores and softmax 2 x 8 x 128 x 128 = 262,144, the keys and values copied
    # out to 8 heads 2 x 128 x 256 = 65,536: 376,832. The difference, in float32 bytes:
    # (376,832 - 155,648) x 4 = 884,736.
    path = tmp_path / "one.yaml"
    path.write_text(f"name: one\ninput: {{l: 128, d: 256}}\nlayers:\n  - {ONE_ATTENTION}\n", encoding="utf-8")
    fused = generation_json(str(path))
    eager = generation_json(str(path), "--attention", "eager")
    assert eager["forms"]["attention"] == {"eager": 1} and fused["forms"]["attention"] == {"fused": 1}
    assert eager["inference_peak_bytes"] - fused["inference_peak_bytes"] == 884_736
    # The spec's own `kernel: eager` is the same; the command line's fused overrides it.
    path.write_text(path.read_text(encoding="utf-8").replace("bias: false", "bias: false, kernel: eager"))
    assert generation_json(str(path))["inference_peak_bytes"] == eager["inference_peak_bytes"]
    assert generation_json(str(path), "--attention", "fused")["inference_peak_bytes"] == fused["inference_peak_bytes"]


def test_the_readmes_generation_example_is_what_the_commands_print(tmp_path: Path, monkeypatch: Any) -> None:
    # Each `$ cnncalc ...` of the README's generation block, run; every line shown under it
    # must be a line it prints (piped: unwrapped).
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Generating.**")[1].split("```")[1]
    monkeypatch.chdir(tmp_path)
    assert check_readme_block(section) == 11


@pytest.mark.parametrize(("limit", "code"), [("60826624", 0), ("60826623", 1)])
def test_a_device_memory_limit_holds_the_generation_sections_peak(tmp_path: Path, limit: str, code: int) -> None:
    # llama_tiny, batch 1: the inference peak 60,498,944 B; generating 32 tokens after its 128
    # adds the float32 cache for 160 tokens, 160 x 512 x 4 = 327,680: 60,826,624 (the fused
    # prefill's activations are the inference peak's).
    text = Path(LLAMA_TINY).read_text(encoding="utf-8")
    path = tmp_path / "gen.yaml"
    path.write_text(text + f"generation: {{new_tokens: 32}}\nlimits: {{device_memory: {limit}}}\n", encoding="utf-8")
    result = invoke(["check", str(path)])
    assert result.exit_code == code, result.output
    if code:
        assert "device_memory 60,826,624 bytes" in result.output
    # Without the section the inference peak alone is held: it fits.
    path.write_text(text + f"limits: {{device_memory: {limit}}}\n", encoding="utf-8")
    assert invoke(["check", str(path)]).exit_code == 0


def test_an_encoder_does_not_generate() -> None:
    result = invoke(["table", "bert_base", "--new-tokens", "8"])
    assert result.exit_code == 2
    assert "bert_base.yaml:" in result.output and "needs a layer that keeps a KV cache" in result.output


def test_a_generation_section_on_an_encoder_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    text = (ROOT / "specs" / "bert_base.yaml").read_text(encoding="utf-8")
    path = tmp_path / "bert.yaml"
    path.write_text(text + "generation: {new_tokens: 8}\nlimits: {device_memory: 1GiB}\n", encoding="utf-8")
    result = invoke(["check", str(path)])
    assert result.exit_code == 1, result.output
    assert "CNC114 the limits cannot be measured: generating" in result.output and "internal" not in result.output


def test_gpt2s_transformer_layers_keep_a_cache_too() -> None:
    # GPT-2 small: 12 layers x 2 x 768 x 4 bytes = 73,728 B a token; 1,024 + 64 = 1,088
    # tokens: 80,216,064 B. A decode step's MACs, one token: each block's projections
    # 4 x 768^2 = 2,359,296 and feed-forward 2 x 768 x 3,072 = 4,718,592 (7,077,888), the head
    # 768 x 50,257, and QK^T and AV over the whole context, 12 x 2 x 1,088 x 768.
    made = generation_json("gpt2_small", "--new-tokens", "64")["generation"]
    assert made["kv_cache_bytes_per_token"] == 73_728
    assert made["prefill"]["parts"]["kv cache"] == 73_728 * 1_088 == 80_216_064
    assert made["decode_macs_per_token"] == 12 * 7_077_888 + 768 * 50_257 + 12 * 2 * 1_088 * 768


@pytest.mark.parametrize(
    ("kernel", "prefill_activations", "decode_activations"),
    [
        # Fused. Prefill, 128 positions: the input and output 2 x 128 x 256 = 65,536, q and
        # its rotated copy 2 x 2 x 128 x 256, k, v and k's rotated copy 3 x 128 x 64:
        # 155,648; 221,184 elements, 884,736 B. Decode, one position: 2 x 256 and
        # 2 x 2 x 256 + 3 x 64: 1,728 elements, 6,912 B.
        ("fused", 884_736, 6_912),
        # Eager, attending to all 160 cache positions. Prefill: at the softmax, q 128 x 256,
        # k and v 2 x 128 x 64, scores and softmax 2 x 8 x 128 x 160, the keys and values
        # copied out to 8 heads 2 x 160 x 256: 458,752, with the input and output 524,288
        # elements, 2,097,152 B. Decode: 256 + 128 + 2 x 8 x 160 + 2 x 160 x 256 = 84,864,
        # with 512: 85,376 elements, 341,504 B.
        ("eager", 2_097_152, 341_504),
    ],
)
def test_one_attentions_generation_peaks_by_hand(
    kernel: str, prefill_activations: int, decode_activations: int, tmp_path: Path
) -> None:
    # q and o 256 x 256, k and v 256 x 64: 163,840 params, 655,360 B. Its cache: 2 x 64
    # elements a token, 512 B, for 128 + 32 = 160 tokens: 81,920 B.
    path = tmp_path / "one.yaml"
    path.write_text(f"name: one\ninput: {{l: 128, d: 256}}\nlayers:\n  - {ONE_ATTENTION}\n", encoding="utf-8")
    made = generation_json(str(path), "--new-tokens", "32", "--attention", kernel)["generation"]
    fixed = {"weights": 655_360, "kv cache": 81_920}
    assert made["prefill"]["parts"] == {**fixed, "activations": prefill_activations}
    assert made["decode"]["parts"] == {**fixed, "activations": decode_activations}


def test_tensor_parallel_splits_the_cache_with_the_heads_and_data_parallel_does_not() -> None:
    # llama_tiny's float32 cache for 160 tokens, 327,680 B, split 2 ways by the heads: 163,840
    # a GPU; each of 4 data-parallel ranks holds its own batch's. The weights, 43,852,800 B,
    # are split 2 x 4 ways under ZeRO-3: 5,481,600.
    args = ["--new-tokens", "32", "--tensor-parallel", "2", "--gpus", "4", "--zero", "3"]
    made = generation_json(LLAMA_TINY, *args)["generation"]
    assert made["prefill"]["parts"]["kv cache"] == made["decode"]["parts"]["kv cache"] == 163_840
    assert made["prefill"]["parts"]["weights"] == 5_481_600
