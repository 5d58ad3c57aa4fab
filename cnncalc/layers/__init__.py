"""The layer kinds, one package per family (`conv/`, `pool/`, `norm/`, ...), one module
per kind (or per family of sizes, such as conv in 1, 2 and 3 dimensions); importing a
kind's module registers the kind by its `type` name. `cnncalc.layers.api` is what a kind,
and the rest of cnncalc, imports from here; the `_` modules are private to this package.

`MANIFEST` below lists every kind, grouped by family (the package) with the module that
defines it. A run imports only the modules of the kinds its spec uses (importing every
kind costs about as much as the rest of a small run), so the manifest is plain data, read
without importing anything. Adding a kind: write its module in its family's package, add
one line here, add its cases (tests check that the manifest and the modules'
`type: Literal[...]` agree), and regenerate the docs (`python -m cnncalc.docs`).
"""

from __future__ import annotations

import importlib

from cnncalc.layers._base import REGISTRY, Layer

# family (the package) -> module -> the kinds (`type:` names) that module defines.
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
        "token_mean": ("token_mean",),
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
        "select": ("select",),
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
        "moe": ("moe",),
        "matmul": ("matmul",),
    },
    "embedding": {
        "embedding": ("embedding",),
        "position_embedding": ("position_embedding",),
        "segment_embedding": ("segment_embedding",),
        "positional_encoding": ("positional_encoding",),
        "class_token": ("class_token",),
    },
}


def _index(manifest: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, tuple[str, str]]:
    """kind -> (family, module); a kind listed twice is an error, here at import rather than a silent overwrite."""
    found: dict[str, tuple[str, str]] = {}
    for family, modules_of_family in manifest.items():
        for module, kinds_of_module in modules_of_family.items():
            for kind in kinds_of_module:
                if kind in found:
                    raise ImportError(f"layer kind '{kind}' is listed twice: in {found[kind][1]} and in {module}")
                found[kind] = (family, module)
    return found


_PLACES = _index(MANIFEST)
_KINDS = {kind: module for kind, (_, module) in _PLACES.items()}
_loaded: list[bool] = []


def kinds() -> dict[str, str]:
    """Every kind's name -> the module that defines it, from the manifest (nothing imported)."""
    return _KINDS


def family(kind: str) -> str | None:
    """The family (package) of one kind, from the manifest (nothing imported); None for an unknown kind."""
    place = _PLACES.get(kind)
    return place[0] if place else None


def of_family(*families: str) -> tuple[str, ...]:
    """The kinds of these families, in the manifest's order (nothing imported)."""
    unknown = [name for name in families if name not in MANIFEST]
    if unknown:
        raise KeyError(f"no layer family '{unknown[0]}'")
    return tuple(kind for kind, (name, _) in _PLACES.items() if name in families)


def of_module(*names: str) -> tuple[str, ...]:
    """The kinds these modules define, in the manifest's order (nothing imported)."""
    unknown = [name for name in names if name not in set(_KINDS.values())]
    if unknown:
        raise KeyError(f"no layer module '{unknown[0]}'")
    return tuple(kind for kind, module in _KINDS.items() if module in names)


def modules() -> list[str]:
    """Every module of the manifest, in its order."""
    return [module for modules in MANIFEST.values() for module in modules]


def _path(family_name: str, module: str) -> str:
    return f"{__name__}.{family_name}.{module}"


def layer_class(kind: str) -> type[Layer] | None:
    """The class of one kind, importing only its module; None for an unknown kind."""
    if kind not in REGISTRY and kind in _PLACES:
        importlib.import_module(_path(*_PLACES[kind]))
    return REGISTRY.get(kind)


def registry() -> dict[str, type[Layer]]:
    """Every layer kind by its `type` name, importing every kind module."""
    # A flag, not `if not REGISTRY`: importing one kind's module first (residual imports
    # conv) registers some kinds, and the rest must still be loaded.
    if not _loaded:
        for family_name, modules_of_family in MANIFEST.items():
            for module in modules_of_family:
                importlib.import_module(_path(family_name, module))
        _loaded.append(True)
    return REGISTRY
