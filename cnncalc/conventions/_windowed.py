"""What the tools see of `window_attention`, written as torchvision writes it (`style:`).

torchvision's Swin calls `F.linear` on its `qkv` and `proj` nn.Linears' weights (so no
module hook fires) and multiplies with `Tensor.matmul`; MaxViT calls its nn.Linear modules
and multiplies with `torch.einsum`. Both run `F.softmax` on every group's scores. The
presets price a window attention from these pieces, per sample.
"""

from __future__ import annotations

from cnncalc.conventions._facts import Facts


def swin(f: Facts) -> bool:
    """Swin's form: F.linear and Tensor.matmul (else MaxViT's: nn.Linear and torch.einsum)."""
    return bool(f.get("style", "swin") == "swin")


def projections(f: Facts) -> int:
    """The qkv and output projections' multiply-accumulates."""
    parts = f.parts
    return parts.macs - parts.products


def products(f: Facts) -> int:
    """QK^T and AV within every group."""
    return f.parts.products


def softmax(f: Facts) -> int:
    """Elements of the scores F.softmax runs over: heads * N * N per group."""
    return f.parts.softmax


def bias_outputs(f: Facts) -> int:
    """Output elements the projections add a bias to."""
    return f.parts.bias


def linear_params(f: Facts) -> int:
    """The qkv and output nn.Linears' parameters (not the bias table)."""
    return f.parts.attentions[0].params if f.parts.attentions else 0


def numpy_einsum(f: Facts) -> float:
    """What calflops and fvcore read for each of MaxViT's two einsums (QK^T, AV): numpy's
    `einsum_path` "Optimized FLOP count", `2 * size + 1` for these contractions, printed to
    four significant figures and read back (`float("1.311e+05")`)."""
    size = products(f) // 2  # each einsum: groups * heads * N * N * (C / heads)
    return float(f"{2 * size + 1:.3e}")
