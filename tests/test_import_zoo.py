"""`cnncalc import` round trips of the zoo's transformer and LSTM models: each is imported
from the code (or config.json) a user would have, and the imported spec gives the zoo spec's
params, buffers and MACs, and PyTorch's (`verify --against` on the model the code builds).

The references are hand arithmetic (copied from the zoo specs' comments) and PyTorch itself:
sum of numel() over parameters and buffers, FlopCounterMode's total / 2 per sample under
verify's settings (gradients on, the math attention kernel, oneDNN off).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from needs import needs_module
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.engine import Trace, propagate
from cnncalc.figures import totals
from cnncalc.spec import load_spec, loads_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
TORCH_CODE = Path(__file__).parent / "data" / "torch_code"
runner = CliRunner()


def figures(trace: Trace) -> tuple[int, int, int]:
    """(params, buffers, MACs) of a trace."""
    found = totals(trace)
    return found.params.total, found.params.buffers, found.macs


def zoo(name: str) -> Trace:
    path = SPECS / f"{name}.yaml"
    return propagate(load_spec(path), str(path))


def import_to(tmp_path: Path, *words: str) -> tuple[str, Trace, Path]:
    """`cnncalc import WORDS -o spec.yaml`: the text written, its trace and its path."""
    spec = tmp_path / "imported.yaml"
    result = runner.invoke(app, ["import", *words, "-o", str(spec)])
    assert result.exit_code == 0, result.stdout + result.stderr
    text = spec.read_text()
    return text, propagate(loads_spec(text, str(spec)), str(spec)), spec


def verify_against(spec: Path, source: str, *args: str) -> None:
    """`cnncalc verify SPEC --against SOURCE` passes: params, buffers, MACs, the output
    shape and every weighted leaf's shape are PyTorch's."""
    checked = runner.invoke(
        app, ["verify", str(spec), "--against", source, *(w for a in args for w in ("--arg", a)), "--device", "cpu"]
    )
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert "agrees" in checked.stdout


# --- nn.Transformer: two named inputs --------------------------------------------------

# By hand (E = 512, F = 2048), as specs/transformer.yaml works them: encoder layer 3,152,384,
# decoder layer 4,204,032, six of each and two final norms of 1,024.
TRANSFORMER_PARAMS = 6 * 3_152_384 + 6 * 4_204_032 + 2 * 1_024  # 44,140,544
# Encoder layer at 10 positions 31,559,680; decoder layer at 20 over a memory of 10 79,257,600.
TRANSFORMER_MACS = 6 * 31_559_680 + 6 * 79_257_600  # 664,903,680
TRANSFORMER_INPUTS = ("--input", "src.l=10", "--input", "src.d=512", "--input", "tgt.l=20", "--input", "tgt.d=512")


def test_nn_transformer_imports_with_its_two_named_inputs(tmp_path: Path) -> None:
    """torch.nn:Transformer's forward compares its inputs' sizes (torch.fx's symbolic tracer
    refuses that); its encoder and decoder layers are the kinds of the same names, six
    copies each folded to `repeat: 6`, the decoder's reading the target and the memory."""
    torch = needs_module("torch")
    text, trace, spec = import_to(tmp_path, "torch.nn:Transformer", "--arg", "batch_first=True", *TRANSFORMER_INPUTS)
    assert "\ninputs:\n  src: {l: 10, d: 512}\n  tgt: {l: 20, d: 512}\nimported: " in text
    assert "  - {type: transformer_encoder_layer, heads: 8, repeat: 6}\n" in text
    assert "  - {type: transformer_decoder_layer, heads: 8, repeat: 6, from: [tgt, encoder_norm]}\n" in text
    assert figures(trace) == (TRANSFORMER_PARAMS, 0, TRANSFORMER_MACS) == figures(zoo("transformer"))
    assert totals(trace).output == (20, 512)
    model = torch.nn.Transformer(batch_first=True, device="meta")
    assert sum(p.numel() for p in model.parameters()) == TRANSFORMER_PARAMS
    verify_against(spec, "torch.nn:Transformer", "batch_first=True")


def test_nn_transformer_options_are_read_from_its_layers(tmp_path: Path) -> None:
    """Pre-norm, gelu, no biases, 4 heads, a 64-wide feed-forward, 2 + 1 layers, E = 32. By
    hand: an encoder layer's attention 4*32*32 = 4,096 and feed-forward 2*32*64 = 4,096, two
    norms (weights only) 64: 8,256; the decoder layer's two attentions 8,192, feed-forward
    4,096, three norms 96: 12,384; the two final norms 32 each. 2*8,256 + 12,384 + 64 = 28,960."""
    needs_module("torch")
    arguments = [
        "d_model=32",
        "nhead=4",
        "num_encoder_layers=2",
        "num_decoder_layers=1",
        "dim_feedforward=64",
        "activation='gelu'",
        "norm_first=True",
        "bias=False",
        "dropout=0.0",
        "batch_first=True",
    ]
    inputs = ("--input", "src.l=6", "--input", "src.d=32", "--input", "tgt.l=5", "--input", "tgt.d=32")
    words = [w for a in arguments for w in ("--arg", a)]
    text, trace, spec = import_to(tmp_path, "torch.nn:Transformer", *words, *inputs)
    assert (
        "{type: transformer_encoder_layer, heads: 4, feedforward: 64, feedforward_activation: gelu, "
        "norm_first: true, bias: false, dropout: 0.0, repeat: 2}" in text
    )
    assert figures(trace)[:2] == (2 * 8_256 + 12_384 + 64, 0)
    verify_against(spec, "torch.nn:Transformer", *arguments)


def test_one_named_input_is_the_specs_input(tmp_path: Path) -> None:
    """nn.TransformerEncoderLayer alone (its forward checks sizes too), on (L, D) = (10, 16):
    `--input src.l=10 --input src.d=16` where --shape would read 10x16 as (C, L). By hand:
    attention 4*16*16 + 4*16 = 1,088, feed-forward 16*32 + 32 + 32*16 + 16 = 1,072, two norms
    64: 2,224."""
    needs_module("torch")
    arguments = ("d_model=16", "nhead=2", "dim_feedforward=32", "batch_first=True")
    words = [w for a in arguments for w in ("--arg", a)]
    text, trace, spec = import_to(
        tmp_path, "torch.nn:TransformerEncoderLayer", *words, "--input", "src.l=10", "--input", "src.d=16"
    )
    assert "\ninput: {l: 10, d: 16}\n" in text
    assert figures(trace)[:2] == (2_224, 0)
    verify_against(spec, "torch.nn:TransformerEncoderLayer", *arguments)


def test_named_inputs_are_recorded_and_checked_for_drift(tmp_path: Path) -> None:
    """`imported:` keeps the inputs, so that `cnncalc check` (run-imports = true) imports the
    same model again: clean as written; with one encoder layer cut by hand, CNC122 at that line
    (one encoder layer, 3,152,384 params, fewer here)."""
    needs_module("torch")
    from helpers import cli

    (tmp_path / "pyproject.toml").write_text("[tool.cnncalc]\nrun-imports = true\n")
    args = ("import", "torch.nn:Transformer", "--arg", "batch_first=True", *TRANSFORMER_INPUTS, "-o", "t.yaml")
    code, _, err = cli(*args, cwd=tmp_path)
    assert code == 0, err
    spec = tmp_path / "t.yaml"
    recorded = (
        'imported: {source: "torch.nn:Transformer", inputs: {src: {l: 10, d: 512}, tgt: {l: 20, d: 512}}, '
        "args: {batch_first: true}}"
    )
    assert recorded in spec.read_text()
    code, out, _ = cli("check", "t.yaml", cwd=tmp_path)
    assert (code, "CNC122" in out, "CNC123" in out) == (0, False, False), out
    spec.write_text(spec.read_text().replace("heads: 8, repeat: 6}", "heads: 8, repeat: 5}"))
    code, out, _ = cli("check", "t.yaml", cwd=tmp_path)
    assert code == 1
    assert "CNC122" in out
    assert f"params {TRANSFORMER_PARAMS - 3_152_384:,} here, {TRANSFORMER_PARAMS:,} from the source" in out


def test_a_first_input_that_nothing_reads_is_not_read_by_default(tmp_path: Path) -> None:
    """forward(a, b) reading b alone: the layer names b in `from:` (a layer without one would
    read a, the first input). nn.Linear(8, 2): 8*2 + 2 = 18 params, 5*8*2 = 80 MACs."""
    needs_module("torch")
    code = tmp_path / "second.py"
    code.write_text(
        "from torch import nn\n\n\nclass SecondOnly(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(8, 2)\n\n"
        "    def forward(self, a, b):\n        return self.fc(b)\n"
    )
    inputs = ("--input", "a.l=3", "--input", "a.d=4", "--input", "b.l=5", "--input", "b.d=8")
    text, trace, spec = import_to(tmp_path, f"{code}:SecondOnly", *inputs)
    assert "  - {name: fc, type: dense, units: 2, from: b}\n" in text
    assert figures(trace) == (18, 0, 80)
    verify_against(spec, f"{code}:SecondOnly")


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["--input", "src=10x512"], "--input 'src=10x512': write NAME.DIM=SIZE for each dimension"),
        (["--input", "src.l=ten"], "--input 'src.l=ten': 'ten' is not a size"),
        (
            ["--input", "x.l=10", "--input", "x.d=512", "--input", "y.l=20", "--input", "y.d=512"],
            "--input names x, y, where the model's forward takes src, tgt",
        ),
        (["--input", "src.l=10", "--shape", "10x512"], "PyTorch code needs the input: --shape CxHxW"),
    ],
)
def test_bad_inputs_exit_2_with_one_message(tmp_path: Path, words: list[str], message: str) -> None:
    needs_module("torch")
    spec = tmp_path / "out.yaml"
    result = runner.invoke(
        app, ["import", "torch.nn:Transformer", "--arg", "batch_first=True", *words, "-o", str(spec)]
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not spec.exists()


def test_input_is_for_code_not_a_config() -> None:
    result = runner.invoke(
        app, ["import", str(Path(__file__).parent / "data" / "hf" / "gpt2.json"), "--input", "x.l=3"]
    )
    assert result.exit_code == 2
    assert "so is --input" in result.stderr


# --- lstm_lm: pytorch/examples' word_language_model -------------------------------------

WORD_LM = f"{TORCH_CODE / 'word_language_model.py'}:RNNModel"
LSTM_LM_ARGS = ("rnn_type='LSTM'", "ntoken=10000", "ninp=256", "nhid=512", "nlayers=2", "dropout=0.2")
# By hand, as specs/lstm_lm.yaml works them: the embedding 10000*256 = 2,560,000; the LSTM
# 4*512*(256 + 512) + 8*512 = 1,576,960 and 4*512*(512 + 512) + 8*512 = 2,101,248; the
# decoder 512*10000 + 10000 = 5,130,000. MACs: 35 steps of 4*512*768 + 4*512*1024 = 3,670,016,
# and the decoder 35*512*10000 = 179,200,000.
LSTM_LM_PARAMS = 2_560_000 + 1_576_960 + 2_101_248 + 5_130_000  # 11,368,208
LSTM_LM_MACS = 35 * 3_670_016 + 179_200_000  # 307,650,560


def test_lstm_lm_imports_from_the_word_language_model(tmp_path: Path) -> None:
    """RNNModel('LSTM', 10000, 256, 512, 2, dropout=0.2) at 35 tokens is the zoo's lstm_lm:
    its `hidden` left out (None) is fixed while tracing, not an input."""
    torch = needs_module("torch")
    words = [w for a in LSTM_LM_ARGS for w in ("--arg", a)]
    text, trace, spec = import_to(tmp_path, WORD_LM, "--tokens", "35", *words)
    assert "  - {name: rnn, type: lstm, hidden: 512, num_layers: 2, dropout: 0.2}\n" in text
    assert figures(trace) == (LSTM_LM_PARAMS, 0, LSTM_LM_MACS) == figures(zoo("lstm_lm"))
    assert totals(trace).output == totals(zoo("lstm_lm")).output == (35, 10_000)
    from cnncalc.verify import load_factory

    model = load_factory(WORD_LM, {"rnn_type": "LSTM", "ntoken": 10_000, "ninp": 256, "nhid": 512, "nlayers": 2})()
    assert sum(p.numel() for p in model.parameters()) == LSTM_LM_PARAMS
    assert tuple(model(torch.zeros(2, 35, dtype=torch.long)).shape) == (2, 35, 10_000)
    verify_against(spec, WORD_LM, *LSTM_LM_ARGS)


def test_a_gru_whose_final_state_is_not_read(tmp_path: Path) -> None:
    """`output, _ = self.rnn(emb)`: a GRU's final state is a tensor nothing reads, no gap. By
    hand: embedding 1000*64 = 64,000; two GRU layers 3*64*(64 + 64) + 6*64 = 24,960 each; the
    decoder 64*1000 + 1000 = 65,000: 178,920. MACs: 35 steps of 2*3*64*128 = 49,152 is
    1,720,320, the decoder 35*64*1000 = 2,240,000: 3,960,320."""
    needs_module("torch")
    arguments = ("rnn_type='GRU'", "ntoken=1000", "ninp=64", "nhid=64", "nlayers=2")
    text, trace, spec = import_to(tmp_path, WORD_LM, "--tokens", "35", *(w for a in arguments for w in ("--arg", a)))
    assert "{name: rnn, type: gru, hidden: 64, num_layers: 2, dropout: 0.5}" in text
    assert figures(trace) == (178_920, 0, 3_960_320)
    verify_against(spec, WORD_LM, *arguments)


def test_tied_weights_are_the_dense_layers_tie(tmp_path: Path) -> None:
    """tie_weights=True: `decoder.weight = encoder.weight`, one parameter that PyTorch counts
    once. By hand: embedding 1000*64 = 64,000; two LSTM layers 4*64*(64 + 64) + 8*64 = 33,280
    each; the decoder's bias alone 1,000: 131,560 (195,560 untied). MACs: 35 steps of
    2*4*64*128 = 65,536 is 2,293,760, and the decoder in full, 35*64*1000 = 2,240,000."""
    needs_module("torch")
    arguments = ("rnn_type='LSTM'", "ntoken=1000", "ninp=64", "nhid=64", "nlayers=2", "tie_weights=True")
    text, trace, spec = import_to(tmp_path, WORD_LM, "--tokens", "35", *(w for a in arguments for w in ("--arg", a)))
    assert "  - {name: decoder, type: dense, units: 1000, tie: encoder}\n" in text
    assert figures(trace) == (131_560, 0, 4_533_760)
    verify_against(spec, WORD_LM, *arguments)


# --- bert_base, gpt2_small, llama_tiny: from their config.json ---------------------------

HF = Path(__file__).parent / "data" / "hf"
# (zoo spec, config under tests/data/hf, the zoo spec's length). llama-tiny.json is not a
# published config: it is written with llama_tiny.yaml's sizes (256 wide, 8 heads, 2 key-value
# heads, SwiGLU 688, 4 layers, RMSNorm eps 1e-6, an untied 32,000-word head).
ZOO_CONFIGS = [("bert_base", "bert-base-uncased", 128), ("gpt2_small", "gpt2", 1024), ("llama_tiny", "llama-tiny", 128)]
# llama_tiny.yaml reads tokens already embedded: the config's model has the token table too,
# 32,000*256 = 8,192,000 params, and no MACs (a lookup).
TOKEN_TABLE = {"llama_tiny": 32_000 * 256}


@pytest.mark.parametrize(("name", "config", "tokens"), ZOO_CONFIGS, ids=[z[0] for z in ZOO_CONFIGS])
def test_a_zoo_language_model_imports_from_its_config(tmp_path: Path, name: str, config: str, tokens: int) -> None:
    """`cnncalc import CONFIG --tokens L` gives the zoo spec's params, buffers and MACs (bar
    llama_tiny's token table), and those of the model transformers builds from the same
    config on the meta device (FlopCounterMode / 2 at L tokens, eager attention)."""
    from test_import_hf import config_of, transformers_figures, uncounted_buffers

    _, trace, _ = import_to(tmp_path, str(HF / f"{config}.json"), "--tokens", str(tokens))
    params, buffers, macs = figures(trace)
    assert (params - TOKEN_TABLE.get(name, 0), buffers, macs) == figures(zoo(name))
    hf_params, hf_buffers, hf_macs = transformers_figures(config_of(config), tokens)
    assert (params, macs) == (hf_params, hf_macs)
    assert hf_buffers == uncounted_buffers(config_of(config))  # index rows and rotary frequencies


@pytest.mark.parametrize("config", ["gpt2", "bert-base-uncased", "llama-tiny"])
def test_transformers_model_code_is_refused_with_the_config_to_import(tmp_path: Path, config: str) -> None:
    """transformers' forward takes **kwargs (torch.fx's tracer refuses them) and its mask code
    branches on sizes: one message, exit 2, nothing written, and what to do instead."""
    from test_import_hf import load_transformers

    load_transformers()
    spec = tmp_path / "out.yaml"
    source = f"{TORCH_CODE / 'hf_models.py'}:build"
    result = runner.invoke(app, ["import", source, "--tokens", "16", "--arg", f"name={config!r}", "-o", str(spec)])
    assert result.exit_code == 2
    assert result.stderr.startswith("cnncalc import: torch.fx cannot capture transformers' model code (")
    assert "import the model's config.json instead (cnncalc import path/to/config.json --tokens N)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not spec.exists()


# --- wavenet: layers that return two tensors ---------------------------------------------

WAVENET = f"{TORCH_CODE / 'wavenet.py'}:WaveNet"
# By hand, as specs/wavenet.yaml works them (L = 1,024): start 16,448 params and 16,777,216
# MACs; each of 20 layers 37,312 and 37,748,736; post and logits 65,792 and 67,108,864 each.
WAVENET_PARAMS = 16_448 + 20 * 37_312 + 2 * 65_792  # 894,272
WAVENET_MACS = 16_777_216 + 20 * 37_748_736 + 2 * 67_108_864  # 905,969,664


def test_wavenet_imports_with_two_output_blocks_and_one_sum_of_the_skips(tmp_path: Path) -> None:
    """Each Layer returns (residual, skip): one block with `outputs: [add, skip]`, its causal
    pad (F.pad's (d, 0)) written from its dilation, `[$dilation, 0]`, as specs/wavenet.yaml
    writes it; the twenty calls, dilations 1, 2, 4, ... 512 twice, one call with `repeat: 20`
    and the dilation `2 ** (i % 10)` (the zoo spec's), named after their ModuleList. The head's
    sum() of the twenty skips (0 + s1 + s2 ...) is one add of each copy's `layers.k.skip`."""
    needs_module("torch")
    text, trace, spec = import_to(tmp_path, WAVENET, "--shape", "256x1024")
    assert "  layer:  # Layer, 20 use(s)\n    args: {dilation: 1}\n    outputs: [add, skip]\n" in text
    assert "      - {name: pad, type: pad, padding: [$dilation, 0]}\n" in text
    assert "      - {name: add, type: add, from: [input, res]}\n" in text
    assert '  - {name: layers, type: layer, dilation: "${2 ** (i % 10)}", repeat: 20}\n' in text
    skips = ", ".join(f"layers.{k}.skip" for k in range(1, 21))
    assert f"  - {{type: add, from: [{skips}]}}\n" in text
    assert len(text.splitlines()) < 30  # the zoo spec's length (32 lines with its comments)
    assert figures(trace) == (WAVENET_PARAMS, 0, WAVENET_MACS) == figures(zoo("wavenet"))
    assert totals(trace).output == totals(zoo("wavenet")).output == (256, 1024)
    verify_against(spec, WAVENET)


@pytest.mark.parametrize(
    ("call", "layer"),
    [
        ("F.pad(x, (1, 2, 3, 4))", "{type: pad, padding: [3, 4, 1, 2]}"),  # F.pad lists W's sides first
        ("F.pad(x, (2, 2))", "{type: pad, padding: [0, 0, 2, 2]}"),  # W alone: H's sides 0
        ("F.pad(x, (1, 1, 2, 2), mode='reflect')", "{type: pad, padding: [2, 2, 1, 1], mode: reflect}"),
    ],
)
def test_pad_sides_are_the_specs_order(tmp_path: Path, call: str, layer: str) -> None:
    """A (3, 8, 8) image: F.pad(x, (left, right, top, bottom)) pads W by (1, 2) and H by (3, 4):
    (3, 15, 11) after; the spec lists H's sides, then W's."""
    needs_module("torch")
    code = tmp_path / "padded.py"
    code.write_text(
        "import torch.nn.functional as F\nfrom torch import nn\n\n\nclass Padded(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 3)\n\n"
        f"    def forward(self, x):\n        return self.conv({call})\n"
    )
    text, _, spec = import_to(tmp_path, f"{code}:Padded", "--shape", "3x8x8")
    assert f"  - {layer}\n" in text
    verify_against(spec, f"{code}:Padded")


@pytest.mark.parametrize(
    ("values", "expression"),
    [
        ([1, 2, 4, 8], "${2 ** i}"),  # 2 ** 0 ... 2 ** 3
        ([3, 6, 12], "${3 * 2 ** i}"),  # 3 * 1, 3 * 2, 3 * 4
        ([2 ** (i % 10) for i in range(20)], "${2 ** (i % 10)}"),  # WaveNet: 1 ... 512, twice
        ([1, 3, 5, 1, 3, 5, 1], "${1 + 2 * (i % 3)}"),  # a period seen whole once, then begun again
        ([0, 3, 0, 3], "${3 * (i % 2)}"),  # Swin's shifts, as before
        ([1, 2, 4, 1, 2], None),  # 1, 2, 4 not seen twice: no period to claim
        ([4, 2, 1], None),  # a ratio under 1 is not an integer one
    ],
)
def test_integer_progressions_are_written_exactly(values: list[int], expression: str | None) -> None:
    """The expressions in a copy's index `i` that an import writes for integers that differ
    from copy to copy: each gives every value (checked by hand in the comments), or none is written."""
    from cnncalc.importers.torch_progressions import _integers

    assert _integers(values) == expression


def test_a_stage_of_dilations_doubling_folds_with_its_padding_from_the_dilation(tmp_path: Path) -> None:
    """Four blocks of a dilated conv (kernel 3, padding d, dilation d: the length stays 32) and
    a 1x1, d = 1, 2, 4, 8: one call with `repeat: 4` and `2 ** i`, the pad written from the
    dilation (the calls' paddings are their dilations)."""
    needs_module("torch")
    code = tmp_path / "dilated.py"
    code.write_text(
        "import torch.nn.functional as F\nfrom torch import nn\n\n\nclass Block(nn.Module):\n"
        "    def __init__(self, d):\n        super().__init__()\n        self.d = d\n"
        "        self.conv = nn.Conv1d(8, 8, 3, dilation=d)\n        self.mix = nn.Conv1d(8, 8, 1)\n\n"
        "    def forward(self, x):\n        return self.mix(self.conv(F.pad(x, (self.d, self.d))))\n\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.blocks = nn.ModuleList(Block(2 ** i) for i in range(4))\n\n"
        "    def forward(self, x):\n        for block in self.blocks:\n            x = block(x)\n        return x\n"
    )
    text, trace, spec = import_to(tmp_path, f"{code}:Net", "--shape", "8x32")
    assert "    args: {dilation: 1}\n" in text
    assert "      - {type: pad, padding: [$dilation, $dilation]}\n" in text
    assert '  - {type: block, dilation: "${2 ** i}", repeat: 4}\n' in text
    # by hand: each block 8*8*3 + 8 + 8*8 + 8 = 272 params; 32*8*8*3 + 32*8*8 = 8,192 MACs
    assert figures(trace) == (4 * 272, 0, 4 * 8_192)
    assert totals(trace).output == (8, 32)
    verify_against(spec, f"{code}:Net")
