"""`cnncalc import CONFIG`: the spec of a Hugging Face config's model against the model that
transformers builds from the same config on the meta device (no weights, no network).

The configs under tests/data/hf/ are typed in by hand from the public config.json files. The
references are transformers itself (params, buffers, and FlopCounterMode / 2 at 128 tokens,
with eager attention so that QK^T and AV are counted, as docs/conventions.md says) and the
published totals of the issue.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from needs import needs_module
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.engine import propagate
from cnncalc.figures import totals
from cnncalc.importers.hf_config import spec_from_config
from cnncalc.spec import loads_spec

HF = Path(__file__).parent / "data" / "hf"
runner = CliRunner()
TOKENS = 128

# Published totals (the issue's): params of the whole model, head included.
PUBLISHED = {
    "llama-2-7b": 6_738_415_616,
    "mistral-7b-v0.1": 7_241_732_096,
    "gpt2": 124_439_808,
    "bert-base-uncased": 109_482_240,  # BertModel with the pooler
    # Not in the issue, the commonly cited counts (2.51B, 3.82B); transformers agrees below.
    "gemma-2b": 2_506_172_416,
    # Gemma-7B's heads are 256 wide, 16 of them in a model 3,072 wide: by hand, embeddings
    # 256,000*3,072 (tied head); a layer q, k, v 3,072*4,096 each, o 4,096*3,072, the GeGLU
    # 3*3,072*24,576, two norms 2*3,072; 28 layers and the final norm. The published 8.54B.
    "gemma-7b": 256_000 * 3072 + 28 * (4 * 3072 * 4096 + 3 * 3072 * 24576 + 2 * 3072) + 3072,
    "phi-3-mini-4k-instruct": 3_821_079_552,
    # Qwen2-0.5B's published 494M, worked by hand: embeddings 151,936*896 = 136,134,656 (tied
    # head); a layer: q 896*896+896, k and v 896*128+128 each, o 896*896 (no bias), the
    # SwiGLU 3*896*4,864, two norms 2*896 = 14,912,384; 24 layers and the final norm's 896.
    "qwen2-0.5b": 151_936 * 896
    + 24 * (896 * 896 + 896 + 2 * (896 * 128 + 128) + 896 * 896 + 3 * 896 * 4864 + 2 * 896)
    + 896,
}
DECODERS = ["llama-2-7b", "mistral-7b-v0.1", "gemma-2b", "gemma-7b", "phi-3-mini-4k-instruct", "qwen2-0.5b"]
FAMILIES = [*DECODERS, "gpt2", "bert-base-uncased"]


def spec_figures(config: dict[str, Any], name: str, tokens: int = TOKENS) -> tuple[int, int, int]:
    """(params, buffers, MACs) of the imported spec."""
    path = f"{name}.json"
    text = spec_from_config(json.dumps(config), path, tokens)
    trace = propagate(loads_spec(text, f"{name}.yaml"), f"{name}.yaml")
    figures = totals(trace)
    return figures.params.total, figures.params.buffers, figures.macs


def load_transformers() -> Any:
    """transformers, importable where torchvision is installed but broken (its C ops missing):
    transformers imports torchvision whenever it is installed, and needs none of it here."""
    needs_module("torch")
    try:
        import torchvision  # noqa: F401
    except Exception:  # any failure: a partial import, a missing C op
        for module in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[module]
        import transformers.utils as utils
        import transformers.utils.import_utils as import_utils

        for where in (utils, import_utils):
            where.is_torchvision_available = lambda: False  # type: ignore[attr-defined]
            where.is_torchvision_v2_available = lambda: False  # type: ignore[attr-defined]
    return needs_module("transformers")


def transformers_model(config: dict[str, Any]) -> Any:
    """The model transformers builds from `config` on the meta device: BertModel (with its
    pooler) for bert, <Family>ForCausalLM for the others; eager attention."""
    transformers = load_transformers()
    torch = needs_module("torch")
    fields = {k: v for k, v in config.items() if k != "model_type"}
    hf_config = transformers.AutoConfig.for_model(config["model_type"], **fields)
    auto = transformers.AutoModel if config["model_type"] == "bert" else transformers.AutoModelForCausalLM
    with torch.device("meta"):
        return auto.from_config(hf_config, attn_implementation="eager")


def transformers_figures(config: dict[str, Any], tokens: int = TOKENS) -> tuple[int, dict[str, int], int]:
    """(params, {buffer name: elements}, MACs at `tokens`) of transformers' model."""
    torch = needs_module("torch")
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    model = transformers_model(config)
    params = sum(p.numel() for p in model.parameters())
    buffers = {name: b.numel() for name, b in model.named_buffers()}
    ids = torch.zeros(1, tokens, dtype=torch.long, device="meta")
    counter = FlopCounterMode(display=False)
    with torch.enable_grad(), sdpa_kernel(SDPBackend.MATH), torch.backends.mkldnn.flags(enabled=False), counter:
        model(input_ids=ids)
    return params, buffers, counter.get_total_flops() // 2


def config_of(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HF / f"{name}.json").read_text())
    return data


def uncounted_buffers(config: dict[str, Any]) -> dict[str, int]:
    """The buffers transformers holds that the format does not count, as the imported spec's
    comment says: the rotary frequencies (head_dim / 2 each, once for the model), Gemma's
    embedding scale, and BERT's two index rows (position ids and token type ids, max_position_embeddings each)."""
    if config["model_type"] == "bert":
        rows = config["max_position_embeddings"]
        return {"embeddings.position_ids": rows, "embeddings.token_type_ids": rows}
    if config["model_type"] == "gpt2":
        return {}
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    rotary = {"model.rotary_emb.inv_freq": head_dim // 2, "model.rotary_emb.original_inv_freq": head_dim // 2}
    # Gemma's embedding scale, sqrt(hidden_size), is a one-element buffer.
    return {"model.embed_tokens.embed_scale": 1, **rotary} if config["model_type"] == "gemma" else rotary


@pytest.mark.parametrize("name", FAMILIES)
def test_the_imported_spec_counts_what_transformers_builds(name: str) -> None:
    config = config_of(name)
    if name in DECODERS:
        # FlopCounterMode over 32 layers of a 7B model is slow on a shared CPU: two layers
        # carry every kind of layer, and the whole config's params are checked below.
        config = {**config, "num_hidden_layers": 2}
    params, buffers, macs = spec_figures(config, name)
    hf_params, hf_buffers, hf_macs = transformers_figures(config)
    assert params == hf_params
    assert hf_buffers == uncounted_buffers(config)
    assert buffers == 0
    assert macs == hf_macs


@pytest.mark.parametrize("name", FAMILIES)
def test_the_whole_models_params_are_transformers_and_the_published_ones(name: str) -> None:
    config = config_of(name)
    params, _, _ = spec_figures(config, name)
    assert params == sum(p.numel() for p in transformers_model(config).parameters())
    if name in PUBLISHED:
        assert params == PUBLISHED[name]


def test_a_tied_head_and_fewer_key_value_heads_are_written_as_the_format_says() -> None:
    gemma = spec_from_config((HF / "gemma-2b.json").read_text(), "gemma-2b.json")
    assert "kv_heads: 1, rotary: true" in gemma
    assert "{name: lm_head, type: dense, units: 256000, bias: false, tie: embed_tokens}" in gemma
    assert "gate: gelu" in gemma
    # Blocks with repeat:, not 18 pasted layers.
    assert "{name: layers, type: decoder_layer, repeat: 18}" in gemma
    assert "expect:" not in gemma  # no claims the importer could only copy from cnncalc


# Refused configs: one message at the fault (the first occurrence of the second item, or
# 1:1 for the file as a whole), exit 2, nothing written.
REFUSALS = [
    ('{\n  "model_type": "llama",\n  "hidden_size": 4096,,\n}', ",\n}", "not JSON: Expecting property name"),
    ("[1, 2]", None, "not a Hugging Face config: expected a JSON object"),
    ('{"hidden_size": 4096}', None, "no 'model_type': cannot tell the model family (supported: llama"),
    ('{"model_type": "t5"}', '"t5"', 'unknown model_type "t5": this importer writes llama, mistral'),
    ('{"model_type": "llama", "hidden_size": 64}', None, "llama config has no 'num_attention_heads'"),
    (
        '{"model_type": "llama", "hidden_size": 64, "num_attention_heads": "8"}',
        '"8"',
        "'num_attention_heads': expected a positive whole number, got \"8\"",
    ),
    (
        '{"model_type": "llama", "vocab_size": 10, "hidden_size": 64, "intermediate_size": 128,'
        ' "num_hidden_layers": 2, "num_attention_heads": 6}',
        "6}",
        "6 heads do not divide hidden_size 64",
    ),
    (
        '{"model_type": "llama", "vocab_size": 10, "hidden_size": 64, "intermediate_size": 128,'
        ' "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 3}',
        "3}",
        "3 key/value heads do not divide 8 heads",
    ),
    (
        '{"model_type": "llama", "vocab_size": 10, "hidden_size": 64, "intermediate_size": 128,'
        ' "num_hidden_layers": 2, "num_attention_heads": 8, "hidden_act": "relu2"}',
        '"relu2"',
        "hidden_act 'relu2': the gated feed-forward takes silu or gelu",
    ),
]


@pytest.mark.parametrize(("text", "fault", "message"), REFUSALS)
def test_a_config_it_cannot_write_exactly_is_one_message_and_exit_2(
    tmp_path: Path, text: str, fault: str | None, message: str
) -> None:
    config, spec = tmp_path / "config.json", tmp_path / "out.yaml"
    config.write_text(text)
    result = runner.invoke(app, ["import", str(config), "-o", str(spec)])
    at = text.index(fault) if fault is not None else 0
    line, col = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{config}:{line}:{col}: {message}")
    assert len(result.stderr.splitlines()) == 1
    assert not spec.exists()


def test_qwen2_has_biases_on_q_k_v_and_none_on_o() -> None:
    result = runner.invoke(app, ["import", str(HF / "qwen2-0.5b.json")])
    assert result.exit_code == 0, result.stderr
    assert "bias: true, out_bias: false" in result.stdout
    assert PUBLISHED["qwen2-0.5b"] == 494_032_768


def test_tokens_beyond_the_learned_positions_are_refused() -> None:
    result = runner.invoke(app, ["import", str(HF / "gpt2.json"), "--tokens", "2048"])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "gpt2.json:15:18: --tokens 2048 is more than n_positions 1024, the model's longest input"
    )


def test_a_missing_file_and_a_bad_token_count(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["import", str(tmp_path / "nope.json")])
    assert (missing.exit_code, missing.stderr.strip()) == (2, f"{tmp_path / 'nope.json'}: no such file")
    zero = runner.invoke(app, ["import", str(HF / "gpt2.json"), "--tokens", "0"])
    assert zero.exit_code == 2
    assert "Invalid value for '--tokens': 0 is less than 1" in zero.stderr  # as --batch words it


def test_a_model_folder_is_read_through_its_config_json_and_named_after_it(tmp_path: Path) -> None:
    folder = tmp_path / "my-gpt2"
    folder.mkdir()
    (folder / "config.json").write_text((HF / "gpt2.json").read_text())
    out = tmp_path / "gpt2.yaml"
    result = runner.invoke(app, ["import", str(folder), "--tokens", "1024", "-o", str(out)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    text = out.read_text()
    assert "name: my-gpt2\n" in text
    assert "input: {l: 1024}" in text
    # At 1,024 tokens the imported GPT-2 is specs/gpt2_small.yaml's network: its claims are
    # GPT-2 small's hand-worked totals (params 124,439,808, MACs 145,824,153,600).
    table = runner.invoke(app, ["table", str(out)])
    assert table.exit_code == 0
    assert "124,439,808" in table.stdout and "145,824,153,600" in table.stdout


def test_the_output_file_is_never_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text((HF / "gpt2.json").read_text())
    result = runner.invoke(app, ["import", str(config), "-o", str(config)])
    assert result.exit_code == 2
    assert json.loads(config.read_text())["model_type"] == "gpt2"


def readme_import_section() -> str:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    return readme.split("## Import from a Hugging Face config", 1)[1].split("\n## ", 1)[0]


def test_the_readme_import_example_prints_what_it_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = readme_import_section()
    shown = section.split("```\n$ cnncalc import gpt2/config.json\n", 1)[1].split("```", 1)[0]
    (tmp_path / "gpt2").mkdir()
    (tmp_path / "gpt2" / "config.json").write_text((HF / "gpt2.json").read_text())
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["import", "gpt2/config.json"])
    assert (result.exit_code, result.stdout) == (0, shown)
    # The prose's totals: GPT-2 small's params (the issue's), and at 128 tokens per block
    # 4*128*768*768 + 2*128*128*768 + 2*128*768*3072 = 931,135,488 MACs, twelve of them,
    # plus the head 128*768*50257 = 4,940,464,128.
    assert "124,439,808 params and 16,114,089,984 MACs" in " ".join(section.split())
    assert 12 * (4 * 128 * 768 * 768 + 2 * 128 * 128 * 768 + 2 * 128 * 768 * 3072) + 128 * 768 * 50257 == 16_114_089_984
    assert spec_figures(config_of("gpt2"), "gpt2")[::2] == (124_439_808, 16_114_089_984)


@pytest.mark.parametrize("name", ["gpt2", "bert-base-uncased"])
def test_positions_are_looked_up_as_transformers_writes_them(name: str) -> None:
    # GPT2Model and BertEmbeddings look the positions up as a (1, L) row (position_ids),
    # which torchinfo counts once, not once per sample (tests/test_real_language_models.py
    # holds the form to torchinfo on transformers' own embeddings).
    text = spec_from_config(json.dumps(config_of(name)), f"{name}.json")
    (line,) = [line for line in text.splitlines() if "type: position_embedding" in line]
    assert ", positions: row}" in line


def test_gemma_7b_writes_its_wider_heads() -> None:
    text = spec_from_config((HF / "gemma-7b.json").read_text(), "gemma-7b.json")
    assert "{name: self_attn, type: attention, heads: 16, head_dim: 256, rotary: true" in text
    assert PUBLISHED["gemma-7b"] == 8_537_680_896
