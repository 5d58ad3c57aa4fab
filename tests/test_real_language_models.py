"""BERT, GPT-2 and the LSTM language model against the real tools (issue 22).

- Hugging Face looks BERT's and GPT-2's positions up as one row, `position_ids[:, :L]` of
  shape (1, L), so torchinfo (which counts a leaf's parameters once per row of its output)
  counts the position table once; cnncalc's builder reads `arange(L)`, L rows, L times.
  `positions: row` says so; the zoo's bert_base and gpt2_small say it. Checked against
  torchinfo on transformers' own BertModel and GPT2LMHeadModel, built from the public
  configs (tests/data/hf/) with no encoder layers: the embeddings, the pooler or the tied
  head, the parts these specs write as Hugging Face does. (Their encoder layers are
  nn.TransformerEncoderLayer here, whose nn.MultiheadAttention torchinfo counts 0, where
  Hugging Face's BertSelfAttention runs nn.Linear projections and GPT-2's Conv1D ones.)
- Every preset against its tool, run as a user runs it by default, on the module the
  spec describes (cnncalc's builder, the spec's PyTorch layers) fed token ids: lstm_lm as
  it is, bert_base and gpt2_small at 16 tokens and 2 layers to keep the run short.
  (This file's name avoids "transformers": calflops refuses a model whose class's module
  path says it, unless given a tokenizer.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from needs import needs_module
from real_tools import TOOLS, quiet
from test_import_hf import config_of, load_transformers

from cnncalc.conventions._preset import tally
from cnncalc.conventions.registry import get
from cnncalc.engine import Trace, propagate
from cnncalc.spec import loads_spec
from cnncalc.zoo import zoo_dir

torch = needs_module("torch")

TOKENS = 64  # the row form's count does not depend on the length


def _zoo_text(name: str) -> str:
    text = (zoo_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    return re.sub(r"\nexpect:.*", "\n", text, flags=re.S)  # the claims hold at the zoo's own size only


def _trace(text: str, name: str) -> Trace:
    return propagate(loads_spec(text, f"{name}.yaml"), f"{name}.yaml")


# The config, the spec's encoder layers, and the config's field for how many there are.
STACK = r"  - \{name: %s, type: transformer_encoder_layer.*?repeat: 12\}\n"
WITHOUT_LAYERS = {
    "bert_base": ("bert-base-uncased", STACK % "encoder", "num_hidden_layers"),
    "gpt2_small": ("gpt2", STACK % "h", "n_layer"),
}


@pytest.mark.parametrize("name", sorted(WITHOUT_LAYERS))
def test_torchinfo_counts_a_row_of_positions_once_as_on_hugging_faces_model(name: str) -> None:
    config_name, layers, field = WITHOUT_LAYERS[name]
    text = _zoo_text(name)
    text, removed = re.subn(layers, "", text, flags=re.S)
    assert removed == 1
    text = re.sub(r"input: \{l: \d+\}", f"input: {{l: {TOKENS}}}", text)
    preset = tally(get("torchinfo"), _trace(text, name)).total

    transformers = load_transformers()
    config = config_of(config_name)
    fields = {k: v for k, v in config.items() if k != "model_type"} | {field: 0}
    hf_config = transformers.AutoConfig.for_model(config["model_type"], **fields)
    auto = transformers.AutoModel if name == "bert_base" else transformers.AutoModelForCausalLM
    torch.manual_seed(0)
    model = auto.from_config(hf_config).eval()
    summary = needs_module("torchinfo").summary
    with quiet():
        real = summary(model, input_data=[torch.zeros(1, TOKENS, dtype=torch.long)], verbose=0).total_mult_adds
    # By hand: bert (30522 + 512 + 2) * 768 + 2*768 + 768*768 + 768 = 24,427,776; gpt2
    # (50257 + 1024) * 768 + 2*768 + 50257*768 (the tied head's nn.Linear) = 77,982,720.
    assert preset == real == {"bert_base": 24_427_776, "gpt2_small": 77_982_720}[name]


ROW = """name: row
input: {l: 5, d: 16}
layers:
  - {type: position_embedding, max_len: 8, positions: %s}
  - {type: dense, units: 4}
"""


@pytest.mark.parametrize("positions", ["arange", "row"])
@pytest.mark.parametrize("tool", list(TOOLS))
def test_the_builder_looks_positions_up_as_the_spec_says(tool: str, positions: str) -> None:
    from cnncalc.verify import build_module

    trace = _trace(ROW % positions, "row")
    torch.manual_seed(0)
    with quiet():
        real = TOOLS[tool](build_module(trace).eval(), (5, 16))
    assert tally(get(tool), trace).total == real


class _TokenIds(torch.nn.Module):  # type: ignore[misc]
    """The spec's module fed token ids: the tools feed randn floats, turned into ids 0..9."""

    def __init__(self, module: Any) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: Any) -> Any:
        return self.module((x.abs() * 100).long() % 10)


SHRUNK = {"bert_base": "input: {l: 128}", "gpt2_small": "input: {l: 1024}", "lstm_lm": None}


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("name", sorted(SHRUNK))
def test_every_preset_equals_its_tool_on_the_specs_module(name: str, tool: str) -> None:
    from cnncalc.verify import build_module

    text, size = _zoo_text(name), SHRUNK[name]
    if size is not None:
        text = text.replace(size, "input: {l: 16}").replace("repeat: 12", "repeat: 2")
    trace = _trace(text, name)
    torch.manual_seed(0)
    module = _TokenIds(build_module(trace).eval())
    with quiet():
        real = TOOLS[tool](module, tuple(trace.nodes[0].output))
    assert tally(get(tool), trace).total == real
