"""Attention heads wider (or narrower) than E / heads: `head_dim` (Gemma-7B's 16 heads of 256
in a model 3,072 wide). The counts are the attention case file's (tests/cases/attention.py);
here, memory against the tracker and the refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import error_of, trace_of
from needs import needs_module

from cnncalc.figures import totals

LLAMA_TINY = (Path(__file__).resolve().parent.parent / "specs" / "llama_tiny.yaml").read_text(encoding="utf-8")


def llama_tiny_with_heads_of(head_dim: int, kernel: str = "fused") -> str:
    """specs/llama_tiny.yaml (8 heads, 2 key/value heads, 256 wide: heads of 32) with wider
    heads, without its claims (they are about its own heads)."""
    text = LLAMA_TINY.replace(
        "kv_heads: $kv_heads, rotary: true", f"kv_heads: $kv_heads, head_dim: {head_dim}, rotary: true"
    )
    if kernel == "eager":
        text = text.replace("bias: false}", "bias: false, kernel: eager}", 1)
    return re.sub(r"\nexpect:.*", "\n", text, flags=re.S)


def test_wider_heads_count_their_projections_by_hand() -> None:
    plain, wide = trace_of(re.sub(r"\nexpect:.*", "\n", LLAMA_TINY, flags=re.S)), trace_of(llama_tiny_with_heads_of(64))
    # Per layer, q (256 -> 8*64) and o (8*64 -> 256) grow from 256*256 each to 256*512;
    # k and v from 256*(2*32) to 256*(2*64) each: 2*256*256 + 2*256*64 more params.
    layers = 4
    more = layers * (2 * 256 * 256 + 2 * 256 * 64)
    assert totals(wide).params.total - totals(plain).params.total == more
    # MACs per token: the same growth, and QK^T and AV over 128 positions twice as wide.
    macs = layers * (128 * (2 * 256 * 256 + 2 * 256 * 64) + 2 * 128 * 128 * (512 - 256))
    assert totals(wide).macs - totals(plain).macs == macs


@pytest.mark.parametrize("kernel", ["fused", "eager"])
def test_wider_heads_within_5_percent_of_the_tracker(kernel: str) -> None:
    needs_module("torch")
    from cnncalc.memory_tracker import check_memory

    checks = check_memory(trace_of(llama_tiny_with_heads_of(64, kernel)), 2, ("sgd", "adam"))
    assert all(check.agrees for check in checks), [(c.what, c.computed, c.torch) for c in checks]


def test_heads_of_their_own_width_need_the_separate_projections() -> None:
    text = "name: n\ninput: {l: 4, d: 8}\nlayers:\n  - {type: attention, heads: 2, head_dim: 8}\n"
    message = error_of(text)
    assert "net.yaml:4:" in message and "a head_dim needs the separate projections" in message
