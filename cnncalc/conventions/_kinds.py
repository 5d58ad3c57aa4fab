"""Layer kinds grouped the way the tools' tables group PyTorch modules."""

from __future__ import annotations

CONV = ("conv", "conv1d", "conv3d", "depthwise_conv", "separable_conv")  # built as nn.ConvNd
TRANSPOSED = ("conv_transpose", "conv_transpose1d", "conv_transpose3d")
MAXPOOL = ("maxpool", "maxpool1d", "maxpool3d")
AVGPOOL = ("avgpool", "avgpool1d", "avgpool3d")
GLOBAL = ("global_avgpool", "global_maxpool")  # built as nn.AdaptiveXPoolNd(1) + nn.Flatten
ADAPTIVE = ("adaptive_avgpool", "adaptive_maxpool")
MERGE = ("add", "concat", "multiply")  # tensor operators in the builder's forward, not modules
SHAPE_ONLY = ("dropout", "flatten", "identity", "zeropad", "crop", "input", "slice", "pad")
ACTIVATIONS = (
    *("relu", "relu6", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "softmax"),
    *("hardsigmoid", "hardtanh", "elu", "selu", "mish", "softplus", "log_softmax"),
)
NORMS = ("batchnorm", "groupnorm", "layernorm")
RECURRENT = ("rnn", "gru", "lstm")  # built as nn.RNN, nn.GRU, nn.LSTM (batch first) in a wrapper
# Sequence kinds without weighted products: lookups, additions, slices, a mean.
SEQUENCE = (
    *("embedding", "position_embedding", "segment_embedding", "positional_encoding", "class_token", "select"),
    "token_mean",
)
# Kinds made of nn.Linear projections and attention products, described by `Facts.parts`.
ATTENTION = ("attention", "transformer_encoder_layer", "transformer_decoder_layer")
TRANSFORMER = (*ATTENTION, "gated_ffn")
