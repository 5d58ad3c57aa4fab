"""The layer kinds. Each module here defines one kind (or one family, such as conv in
1, 2 and 3 dimensions); importing it registers the kind by its `type` name.

`MANIFEST` below lists every kind, grouped by family, with the module that defines it.
A run imports only the modules of the kinds its spec uses (importing every kind costs
about as much as the rest of a small run), so the manifest is plain data, read without
importing anything. Adding a kind: write its module, add one line here, add its cases
(tests check that the manifest and the modules' `type: Literal[...]` agree).
"""

from __future__ import annotations

import importlib

from cnncalc.layers._base import REGISTRY, Layer

# family -> module -> the kinds (`type:` names) that module defines. The families are
# the folders the modules will move into; the empty ones are reserved for what comes next.
MANIFEST: dict[str, dict[str, tuple[str, ...]]] = {
    "conv": {
        "conv": ("conv", "conv1d", "conv3d"),
        "conv_transpose": ("conv_transpose", "conv_transpose1d", "conv_transpose3d"),
        "depthwise_conv": ("depthwise_conv",),
        "separable_conv": ("separable_conv",),
    },
    "linear": {
        "dense": ("dense",),
        "scale": ("scale",),
    },
    "pool": {
        "pool": ("maxpool", "maxpool1d", "maxpool3d", "avgpool", "avgpool1d", "avgpool3d"),
        "global_pool": ("global_avgpool", "global_maxpool", "adaptive_avgpool", "adaptive_maxpool"),
    },
    "norm": {
        "batchnorm": ("batchnorm",),
        "groupnorm": ("groupnorm",),
        "layernorm": ("layernorm",),
        "rmsnorm": ("rmsnorm",),
    },
    "activation": {
        "activation": (
            "relu",
            "relu6",
            "leaky_relu",
            "sigmoid",
            "tanh",
            "gelu",
            "silu",
            "hardswish",
            "softmax",
            "hardsigmoid",
            "hardtanh",
            "elu",
            "selu",
            "mish",
            "softplus",
            "log_softmax",
            "prelu",  # learned slopes: a layer, never an `activation:`
            "glu",  # halves the channels: a layer, never an `activation:`
        ),
    },
    "shape": {
        "flatten": ("flatten",),
        "identity": ("identity",),
        "dropout": ("dropout",),  # the identity at inference: values keep their place
        "crop": ("crop",),
        "zeropad": ("zeropad",),
        "pad": ("pad",),
        "upsample": ("upsample",),
        "channel_shuffle": ("channel_shuffle",),
        "slice": ("slice",),
        "stochastic_depth": ("stochastic_depth", "drop_path"),  # the identity at inference
        "permute": ("permute", "transpose"),
        "reshape": ("reshape",),
    },
    "merge": {
        "merge": ("add", "concat", "multiply"),
    },
    "composite": {
        "residual": ("residual",),
        "parallel": ("parallel",),
    },
    "recurrent": {
        "recurrent": ("rnn", "gru", "lstm"),
    },
    "attention": {
        "attention": ("attention",),
        "transformer": ("transformer_encoder_layer", "transformer_decoder_layer"),
        "gated_ffn": ("gated_ffn",),
    },
    "embedding": {
        "embedding": ("embedding",),
        "position_embedding": ("position_embedding",),
        "segment_embedding": ("segment_embedding",),
        "positional_encoding": ("positional_encoding",),
        "class_token": ("class_token",),
        "select": ("select",),
        "token_mean": ("token_mean",),
        "matmul": ("matmul",),
    },
}


def _index(manifest: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, str]:
    """kind -> module; a kind listed twice is an error, here at import rather than a silent overwrite."""
    found: dict[str, str] = {}
    for modules in manifest.values():
        for module, kinds_of_module in modules.items():
            for kind in kinds_of_module:
                if kind in found:
                    raise ImportError(f"layer kind '{kind}' is listed twice: in {found[kind]} and in {module}")
                found[kind] = module
    return found


_KINDS = _index(MANIFEST)
_loaded: list[bool] = []


def kinds() -> dict[str, str]:
    """Every kind's name -> the module that defines it, from the manifest (nothing imported)."""
    return _KINDS


def modules() -> list[str]:
    """Every module of the manifest, in its order."""
    return [module for modules in MANIFEST.values() for module in modules]


def layer_class(kind: str) -> type[Layer] | None:
    """The class of one kind, importing only its module; None for an unknown kind."""
    if kind not in REGISTRY and kind in _KINDS:
        importlib.import_module(f"{__name__}.{_KINDS[kind]}")
    return REGISTRY.get(kind)


def registry() -> dict[str, type[Layer]]:
    """Every layer kind by its `type` name, importing every kind module."""
    # A flag, not `if not REGISTRY`: importing one kind's module first (residual imports
    # conv) registers some kinds, and the rest must still be loaded.
    if not _loaded:
        for name in modules():
            importlib.import_module(f"{__name__}.{name}")
        _loaded.append(True)
    return REGISTRY
