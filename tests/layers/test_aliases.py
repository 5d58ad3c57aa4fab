"""The names people type for layer kinds (PyTorch's, Keras's, papers'): each gets the kind
cnncalc calls it in the did-you-mean of the positioned message (cnncalc.layers._aliases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import invoke

from cnncalc.layers import kinds
from cnncalc.layers.api import ALIASES, meant, normalized


def test_every_alias_names_a_kind_and_is_written_normalized() -> None:
    for alias, kind in ALIASES.items():
        assert kind in kinds(), (alias, kind)
        assert normalized(alias) == alias, alias
        # A name that only differs from a kind in case or underscores needs no entry.
        assert alias not in {normalized(k) for k in kinds()}, alias


def test_a_name_matching_no_choice_is_not_suggested() -> None:
    assert meant("swish", ["relu", "gelu"]) is None  # silu is not among the choices
    assert meant("Conv2d", ["conv", "dense"]) == "conv"


# (what a person types, the kind it should suggest)
TYPED = [
    # torch.nn classes
    ("Conv2d", "conv"),
    ("conv2d", "conv"),
    ("nn.Conv2d", "conv"),
    ("Conv1d", "conv1d"),
    ("ConvTranspose2d", "conv_transpose"),
    ("Linear", "dense"),
    ("BatchNorm2d", "batchnorm"),
    ("BatchNorm1d", "batchnorm"),
    ("MultiheadAttention", "attention"),
    ("LSTM", "lstm"),
    ("ReLU", "relu"),
    ("GELU", "gelu"),
    ("LeakyReLU", "leaky_relu"),
    ("LayerNorm", "layernorm"),
    ("Embedding", "embedding"),
    ("Dropout", "dropout"),
    ("MaxPool2d", "maxpool"),
    ("maxpool2d", "maxpool"),
    ("AvgPool2d", "avgpool"),
    ("AdaptiveAvgPool2d", "adaptive_avgpool"),
    ("Upsample", "upsample"),
    ("Flatten", "flatten"),
    ("Identity", "identity"),
    ("TransformerEncoderLayer", "transformer_encoder_layer"),
    ("TransformerDecoderLayer", "transformer_decoder_layer"),
    # torch.nn.functional
    ("F.max_pool2d", "maxpool"),
    ("linear", "dense"),
    ("adaptive_avg_pool2d", "adaptive_avgpool"),
    ("layer_norm", "layernorm"),
    ("scaled_dot_product_attention", "attention"),
    # Keras
    ("Conv2D", "conv"),
    ("MaxPooling2D", "maxpool"),
    ("BatchNormalization", "batchnorm"),
    ("GlobalAveragePooling2D", "global_avgpool"),
    # papers and everyday names
    ("swish", "silu"),
    ("swiglu", "gated_ffn"),
    ("mha", "attention"),
    ("fc", "dense"),
    ("bn", "batchnorm"),
    ("ln", "layernorm"),
    ("rms_norm", "rmsnorm"),
]


def table(tmp_path: Path, text: str) -> tuple[int, str]:
    spec = tmp_path / "net.yaml"
    spec.write_text(text, encoding="utf-8")
    result = invoke(["table", str(spec)], env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result.exit_code, result.stderr.replace(str(spec), "net.yaml")


@pytest.mark.parametrize(("typed", "kind"), TYPED)
def test_a_torch_or_paper_name_suggests_the_kind(tmp_path: Path, typed: str, kind: str) -> None:
    # `  - {type: ` is 11 characters: the name starts in column 12.
    code, err = table(tmp_path, f"name: n\ninput: {{features: 16}}\nlayers:\n  - {{type: {typed}}}\n")
    assert code == 2
    assert err.startswith(f"net.yaml:4:12: layer 1 ({typed}): unknown layer type '{typed}'; did you mean '{kind}'?")


@pytest.mark.parametrize(("typed", "kind"), [("swish", "silu"), ("ReLU", "relu"), ("GELU", "gelu")])
def test_an_activation_written_the_torch_or_paper_way_suggests_cnncalcs(tmp_path: Path, typed: str, kind: str) -> None:
    # `  - {type: dense, units: 4, activation: ` is 40 characters: the value starts in column 41.
    code, err = table(
        tmp_path, f"name: n\ninput: {{features: 16}}\nlayers:\n  - {{type: dense, units: 4, activation: {typed}}}\n"
    )
    assert code == 2
    assert err.startswith(f"net.yaml:4:41: layer 1 (dense): activation: '{typed}' is not one of"), err
    assert err.rstrip().endswith(f"did you mean '{kind}'?"), err
