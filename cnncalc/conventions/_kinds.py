"""Layer kinds grouped the way the tools' tables group PyTorch modules, read from the layer
families of `cnncalc.layers.MANIFEST` (nothing imported): a group is a family, or a module
of one, less the kinds the tools treat apart, which the group names. A kind added to a
family joins its group here without a line in this file; each preset names the kinds its
tool treats specially beside the groups (`upsample`, `scale`, `prelu`, ...).
"""

from __future__ import annotations

from cnncalc.layers import of_family, of_module


def _but(kinds: tuple[str, ...], *exceptions: str) -> tuple[str, ...]:
    """`kinds` less `exceptions`, each of which must be one of them (a renamed kind fails here)."""
    stale = [kind for kind in exceptions if kind not in kinds]
    if stale:
        raise KeyError(f"'{stale[0]}' is not among {kinds}")
    return tuple(kind for kind in kinds if kind not in exceptions)


def _prefixed(kinds: tuple[str, ...], prefix: str) -> tuple[str, ...]:
    return tuple(kind for kind in kinds if kind.startswith(prefix))


TRANSPOSED = of_module("conv_transpose")
CONV = _but(of_family("conv"), *TRANSPOSED)  # built as nn.ConvNd
MAXPOOL = of_module("maxpool")
AVGPOOL = of_module("avgpool")
GLOBAL = _prefixed(of_module("global_pool"), "global_")  # built as nn.AdaptiveXPoolNd(1) + nn.Flatten
ADAPTIVE = _prefixed(of_module("global_pool"), "adaptive_")
MERGE = of_family("merge")  # tensor operators in the builder's forward, not modules
# Every tool counts these 0 (no handler, or a view); `input` is the network's input node.
# upsample interpolates and select picks a token: the presets rule on each.
SHAPE_ONLY = ("input", *_but(of_family("shape"), "upsample", "select"))
# prelu learns its slopes and glu halves the channels: the presets rule on each.
ACTIVATIONS = _but(of_family("activation"), "prelu", "glu")
NORMS = _but(of_family("norm"), "rmsnorm")  # no torch module before 2.4: the presets rule on it
RECURRENT = of_family("recurrent")  # built as nn.RNN, nn.GRU, nn.LSTM (batch first) in a wrapper
# Sequence kinds without weighted products: lookups, additions, a picked token, a mean.
SEQUENCE = (*of_family("embedding"), "select", "token_mean")
# Attention within windows of a map, written as torchvision's Swin or MaxViT writes it:
# the presets rule on it (conventions/_windowed.py).
WINDOWED = of_module("window_attention")
# Kinds made of nn.Linear projections and attention products, described by `Facts.parts`
# (matmul is an operator: the presets rule on it).
TRANSFORMER = _but(of_family("attention"), "matmul", *WINDOWED)
ATTENTION = _but(TRANSFORMER, "gated_ffn")
