"""Transformer networks against PyTorch and against the reference numbers.

The references: modules written out here by hand (a Llama-style decoder as Hugging Face
writes one; PyTorch's own nn.TransformerEncoderLayer as BERT and GPT-2 use it), measured
with FlopCounterMode run as docs/conventions says (gradients, math attention, no oneDNN),
and the numbers of /work/shared/reference/modern.json, typed in below with the arithmetic
that takes the embeddings and heads (not this module's kinds) out of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import error_of, invoke, trace_of
from needs import needs_module

from cnncalc.engine import propagate
from cnncalc.figures import totals
from cnncalc.spec import load_spec
from cnncalc.zoo import zoo_dir

pytestmark = pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN")


def encoder_stack(length: int, layers: int, extra: str) -> str:
    return (
        f"name: stack\ninput: {{l: {length}, d: 768}}\nlayers:\n"
        f"  - {{type: transformer_encoder_layer, heads: 12, feedforward: 3072, feedforward_activation: gelu, "
        f"repeat: {layers}, {extra}}}\n"
    )


# modern.json: BertBase (seq 128) and GPT2Small (seq 1024), as modern_models.py defines them.
BERT_PARAMS, BERT_MACS = 109_482_240, 11_174_215_680
GPT2_PARAMS, GPT2_MACS = 124_439_808, 145_824_153_600


def test_bert_base_encoder_is_the_reference_less_embeddings_and_pooler() -> None:
    trace = trace_of(encoder_stack(128, 12, "eps: 1.0e-12"))
    # Embeddings (30522 + 512 + 2) * 768, their layer norm 2*768, pooler 768*768 + 768.
    embeddings, pooler = (30522 + 512 + 2) * 768 + 2 * 768, 768 * 768 + 768
    assert sum(n.params.total for n in trace.nodes) == BERT_PARAMS - embeddings - pooler
    # The pooler reads one position: 768*768 MACs.
    assert sum(n.macs for n in trace.nodes) == BERT_MACS - 768 * 768


def test_gpt2_small_blocks_are_the_reference_less_embeddings_and_head() -> None:
    trace = trace_of(encoder_stack(1024, 12, "norm_first: true, causal: true"))
    # Token table 50257*768 (the head is tied to it), positions 1024*768, final norm 2*768.
    assert sum(n.params.total for n in trace.nodes) == GPT2_PARAMS - 50257 * 768 - 1024 * 768 - 2 * 768
    # The head: 1024 positions * 768 * 50257.
    assert sum(n.macs for n in trace.nodes) == GPT2_MACS - 1024 * 768 * 50257
    # KV cache: 2 * 12 layers * 12 heads * 64 * 4 bytes per token.
    assert totals(trace).kv_cache_bytes_per_token == 2 * 12 * 12 * 64 * 4 == 73_728


def measure(module: Any, *inputs: Any) -> tuple[tuple[int, ...], int, int]:
    """Per-sample output shape, parameters, and MACs (FlopCounterMode / 2, batch 1)."""
    torch = needs_module("torch")
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.enable_grad(), sdpa_kernel(SDPBackend.MATH), torch.backends.mkldnn.flags(enabled=False), counter:
        out = module(*inputs)
    return tuple(out.shape[1:]), sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2


def test_one_bert_layer_against_pytorch() -> None:
    torch = needs_module("torch")
    from torch import nn

    layer = nn.TransformerEncoderLayer(768, 12, 3072, 0.1, activation="gelu", batch_first=True, layer_norm_eps=1e-12)
    shape, params, macs = measure(layer, torch.randn(1, 128, 768))
    node = trace_of(encoder_stack(128, 1, "eps: 1.0e-12")).nodes[-1]
    assert (node.output, node.params.total, node.macs) == (shape, params, macs)
    # By hand: 4*768^2 + 4*768 + 2*768*3072 + 3072 + 768 + 2*2*768; 4*128*768^2 + 2*128^2*768 + 2*128*768*3072.
    assert (params, macs) == (7_087_872, 931_135_488)


def test_one_gpt2_block_against_pytorch() -> None:
    torch = needs_module("torch")
    from torch import nn

    class Block(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.TransformerEncoderLayer(768, 12, 3072, activation="gelu", batch_first=True, norm_first=True)

        def forward(self, x: Any) -> Any:
            mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
            return self.layer(x, src_mask=mask, is_causal=True)

    shape, params, macs = measure(Block(), torch.randn(1, 64, 768))
    node = trace_of(encoder_stack(64, 1, "norm_first: true, causal: true")).nodes[-1]
    assert (node.output, node.params.total, node.macs) == (shape, params, macs)


class LlamaTiny:
    """A Llama-style decoder as Hugging Face writes it, the shape of specs/llama_tiny.yaml."""

    def __new__(cls, width: int = 256, heads: int = 8, kv_heads: int = 2, hidden: int = 688, layers: int = 4) -> Any:
        needs_module("torch")
        import torch
        from torch import nn
        from torch.nn import functional as F

        head = width // heads

        def rotate_half(t: Any) -> Any:
            return torch.cat((-t[..., head // 2 :], t[..., : head // 2]), dim=-1)

        class Attention(nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.q_proj = nn.Linear(width, heads * head, bias=False)
                self.k_proj = nn.Linear(width, kv_heads * head, bias=False)
                self.v_proj = nn.Linear(width, kv_heads * head, bias=False)
                self.o_proj = nn.Linear(heads * head, width, bias=False)

            def forward(self, x: Any) -> Any:
                b, n, _ = x.shape
                q = self.q_proj(x).view(b, n, heads, head).transpose(1, 2)
                k = self.k_proj(x).view(b, n, kv_heads, head).transpose(1, 2)
                v = self.v_proj(x).view(b, n, kv_heads, head).transpose(1, 2)
                inv_freq = 1.0 / (10000 ** (torch.arange(0, head, 2).float() / head))
                emb = torch.cat([torch.outer(torch.arange(n).float(), inv_freq)] * 2, dim=-1)
                q = q * emb.cos() + rotate_half(q) * emb.sin()
                k = k * emb.cos() + rotate_half(k) * emb.sin()
                out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
                return self.o_proj(out.transpose(1, 2).reshape(b, n, width))

        class MLP(nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.gate_proj = nn.Linear(width, hidden, bias=False)
                self.up_proj = nn.Linear(width, hidden, bias=False)
                self.down_proj = nn.Linear(hidden, width, bias=False)

            def forward(self, x: Any) -> Any:
                return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

        class DecoderLayer(nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.input_layernorm = nn.RMSNorm(width, eps=1e-6)
                self.self_attn = Attention()
                self.post_attention_layernorm = nn.RMSNorm(width, eps=1e-6)
                self.mlp = MLP()

            def forward(self, x: Any) -> Any:
                x = x + self.self_attn(self.input_layernorm(x))
                return x + self.mlp(self.post_attention_layernorm(x))

        class Model(nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.layers = nn.ModuleList(DecoderLayer() for _ in range(layers))
                self.norm = nn.RMSNorm(width, eps=1e-6)
                self.lm_head = nn.Linear(width, 32000, bias=False)

            def forward(self, x: Any) -> Any:
                for layer in self.layers:
                    x = layer(x)
                return self.lm_head(self.norm(x))

        return Model()


def test_llama_tiny_against_a_hand_built_pytorch_model() -> None:
    torch = needs_module("torch")
    path = zoo_dir() / "llama_tiny.yaml"
    trace = propagate(load_spec(path), str(path))
    shape, params, macs = measure(LlamaTiny(), torch.randn(1, 128, 256))
    figures = totals(trace)
    assert (figures.output, figures.params.total, figures.macs) == (shape, params, macs)
    # By hand (the spec's comments): 4 * 692,736 + 256 + 256*32,000; 4 * 96,993,280 + 128*8,192,000.
    assert (params, macs) == (10_963_200, 1_436_549_120)


def test_llama_tiny_kv_cache_in_the_totals() -> None:
    # 2 (keys, values) * 4 layers * 2 kv heads * 32 wide * 4 bytes = 2,048 bytes per token;
    # at 128 tokens 262,144, for a batch of 3 786,432; in float16 half of each.
    result = invoke(["table", "llama_tiny", "--format", "json", "--batch", "3"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.output)["total"]
    assert (total["kv_cache_bytes_per_token"], total["kv_cache_bytes"]) == (2_048, 786_432)
    result = invoke(["table", "llama_tiny", "--dtype", "float16"])
    assert "kv cache 1.0 KiB per token · 128.0 KiB at 128 tokens per sample" in " ".join(result.output.split())


def test_no_kv_cache_without_causal_attention(tmp_path: Path) -> None:
    spec = tmp_path / "encoder.yaml"
    spec.write_text(encoder_stack(8, 1, "eps: 1.0e-5"), encoding="utf-8")
    result = invoke(["table", str(spec), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "kv_cache_bytes" not in json.loads(result.output)["total"]


@pytest.mark.parametrize(
    ("layer", "field", "words"),
    [
        ("{type: attention, heads: 5}", "heads: 5", "5 heads do not divide the width 12"),
        ("{type: attention, heads: 4, kv_heads: 3}", "kv_heads: 3", "3 kv_heads do not divide 4 heads"),
        ("{type: attention, heads: 4, rotary: true}", "rotary: true", "the head width 3 is odd"),
        ("{type: transformer_encoder_layer, heads: 8}", "heads: 8", "8 heads do not divide the width 12"),
        ("{type: transformer_decoder_layer, heads: 2, from: [input, narrow]}", "from: [", "memory is 4 wide"),
    ],
)
def test_attention_errors_point_at_the_field(layer: str, field: str, words: str) -> None:
    narrow = "  - {type: dense, units: 4, name: narrow}\n  - {type: identity, from: input}\n"
    line = f"  - {layer}"
    message = error_of(f"name: t\ninput: {{l: 5, d: 12}}\nlayers:\n{narrow}{line}\n")
    row = 4 + narrow.count("\n")
    col = line.index(field) + len(field.split(": ")[0]) + 3
    assert message.startswith(f"net.yaml:{row}:{col}: "), message
    assert words in message


def test_attention_on_an_image_is_a_positioned_error() -> None:
    message = error_of("name: t\ninput: {h: 4, w: 4, c: 8}\nlayers:\n  - {type: attention, heads: 2}\n")
    assert message.startswith("net.yaml:4:") and "attention takes (L, D) inputs, got (H, W, C)" in message
