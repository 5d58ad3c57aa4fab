"""A model built by transformers' own code, from a config under tests/data/hf (as a user's
training script builds one): `cnncalc import` cannot capture it, and says to import the config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import transformers

HF = Path(__file__).resolve().parents[1] / "hf"


def build(name: str, layers: int = 2) -> Any:
    """transformers' model of tests/data/hf/NAME.json, with `layers` layers."""
    config = json.loads((HF / f"{name}.json").read_text())
    config["n_layer" if config["model_type"] == "gpt2" else "num_hidden_layers"] = layers
    fields = {k: v for k, v in config.items() if k != "model_type"}
    hf_config = transformers.AutoConfig.for_model(config["model_type"], **fields)
    auto = transformers.AutoModel if config["model_type"] == "bert" else transformers.AutoModelForCausalLM
    return auto.from_config(hf_config, attn_implementation="eager")
