"""The names people type for a layer kind (PyTorch's, Keras's, papers'), for did-you-mean.

Plain data, one place: `ALIASES` maps a name, written as `normalized` writes it, to the
kind cnncalc calls it. A name that differs from a kind only in case, underscores or a
module prefix (`nn.LayerNorm`, `LeakyReLU`, `log-softmax`) needs no entry: `meant`
compares normalized names first. Tests check that every entry names a kind of MANIFEST.
"""

from __future__ import annotations

from collections.abc import Iterable

ALIASES: dict[str, str] = {
    # torch.nn and torch.nn.functional (2-D is cnncalc's default: `conv`, `maxpool`...)
    "conv2d": "conv",
    "lazyconv2d": "conv",
    "convtranspose2d": "conv_transpose",
    "maxpool2d": "maxpool",
    "avgpool2d": "avgpool",
    "adaptiveavgpool1d": "adaptive_avgpool",
    "adaptiveavgpool2d": "adaptive_avgpool",
    "adaptiveavgpool3d": "adaptive_avgpool",
    "adaptivemaxpool1d": "adaptive_maxpool",
    "adaptivemaxpool2d": "adaptive_maxpool",
    "adaptivemaxpool3d": "adaptive_maxpool",
    "batchnorm1d": "batchnorm",
    "batchnorm2d": "batchnorm",
    "batchnorm3d": "batchnorm",
    "lazybatchnorm2d": "batchnorm",
    "linear": "dense",
    "lazylinear": "dense",
    "multiheadattention": "attention",
    "scaleddotproductattention": "attention",
    "transformerencoder": "transformer_encoder_layer",  # a stack of them: repeat: N
    "transformerdecoder": "transformer_decoder_layer",
    "upsamplingnearest2d": "upsample",
    "upsamplingbilinear2d": "upsample",
    "interpolate": "upsample",
    "dropout1d": "dropout",
    "dropout2d": "dropout",
    "dropout3d": "dropout",
    "zeropad1d": "zeropad",
    "zeropad2d": "zeropad",
    "zeropad3d": "zeropad",
    "constantpad2d": "pad",
    "reflectionpad1d": "pad",
    "reflectionpad2d": "pad",
    "reflectionpad3d": "pad",
    "replicationpad1d": "pad",
    "replicationpad2d": "pad",
    "replicationpad3d": "pad",
    "circularpad2d": "pad",
    "cat": "concat",
    "mul": "multiply",
    "bmm": "matmul",
    "view": "reshape",
    # Keras
    "conv2dtranspose": "conv_transpose",
    "depthwiseconv2d": "depthwise_conv",
    "separableconv2d": "separable_conv",
    "maxpooling2d": "maxpool",
    "averagepooling2d": "avgpool",
    "globalaveragepooling2d": "global_avgpool",
    "globalmaxpooling2d": "global_maxpool",
    "batchnormalization": "batchnorm",
    "layernormalization": "layernorm",
    "upsampling2d": "upsample",
    "zeropadding2d": "zeropad",
    "cropping2d": "crop",
    "concatenate": "concat",
    # Papers' and everyday names
    "fc": "dense",
    "fullyconnected": "dense",
    "mha": "attention",
    "mhsa": "attention",
    "selfattention": "attention",
    "sdpa": "attention",
    "bn": "batchnorm",
    "ln": "layernorm",
    "gn": "groupnorm",
    "rms": "rmsnorm",
    "swish": "silu",
    "hswish": "hardswish",
    "hsigmoid": "hardsigmoid",
    "swiglu": "gated_ffn",
    "geglu": "gated_ffn",
    "reglu": "gated_ffn",
    "gap": "global_avgpool",
    "clstoken": "class_token",
}


def normalized(name: str) -> str:
    """`name` as ALIASES keys are written: no module prefix, lower case, no `_` or `-`."""
    return name.rsplit(".", 1)[-1].lower().replace("_", "").replace("-", "")


def meant(name: str, choices: Iterable[str]) -> str | None:
    """The choice a name written the PyTorch, Keras or paper way stands for; None if none."""
    choices = list(choices)
    key = normalized(name)
    same = [choice for choice in choices if normalized(choice) == key]
    if len(same) == 1:
        return same[0]
    kind = ALIASES.get(key)
    return kind if kind in choices else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`; did you mean 'conv'?` for a kind's other name (`Conv2d`), else for a typo; or ''."""
    from cnncalc.errors import did_you_mean as spelled_like

    choices = list(choices)
    kind = meant(name, choices)
    return f"; did you mean '{kind}'?" if kind is not None else spelled_like(name, choices)
