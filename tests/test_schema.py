"""`cnncalc schema`: the committed copy is fresh, every bundled spec validates, typos do not."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "spec.schema.json"
SPECS = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "tests" / "specs" / "valid").glob("*.yaml"))


@pytest.fixture(scope="module")
def printed() -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "cnncalc", "schema"], capture_output=True, text=True, env=env, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(COMMITTED.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_copy_is_fresh(printed: str) -> None:
    assert COMMITTED.read_text() == printed, "run: cnncalc schema > docs/spec.schema.json"


def test_layer_items_cover_every_kind(printed: str) -> None:
    from cnncalc.layers import registry

    schema = json.loads(printed)
    refs = [item["$ref"].rsplit("/", 1)[1] for item in schema["$defs"]["LayerKind"]["anyOf"]]
    consts = {schema["$defs"][ref]["properties"]["type"]["const"] for ref in refs}
    assert consts == set(registry())
    layer = schema["$defs"]["Layer"]["anyOf"]
    assert {"$ref": "#/$defs/BlockCall"} in layer


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_bundled_specs_validate(validator: jsonschema.Draft202012Validator, path: Path) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


def lenet() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "specs" / "lenet.yaml").read_text())
    return data


def test_typo_in_type_fails(validator: jsonschema.Draft202012Validator) -> None:
    spec = lenet()
    assert validator.is_valid(spec)
    spec["layers"][0]["type"] = "convv"
    assert not validator.is_valid(spec)


@pytest.mark.parametrize(
    ("layer", "change"),
    [
        (0, {"kernal": 5}),  # unknown field
        (0, {"filters": "six"}),  # wrong type
        (0, {"stride": 0}),  # a zero stride
        (0, {"activation": "rellu"}),  # not an activation
    ],
)
def test_bad_layers_fail(validator: jsonschema.Draft202012Validator, layer: int, change: dict[str, Any]) -> None:
    spec = lenet()
    spec["layers"][layer].update(change)
    assert not validator.is_valid(spec)


def test_missing_kernel_fails(validator: jsonschema.Draft202012Validator) -> None:
    spec = lenet()
    del spec["layers"][0]["kernel"]
    assert not validator.is_valid(spec)


def test_block_calls_and_limits_validate(validator: jsonschema.Draft202012Validator) -> None:
    spec = {
        "name": "blocks",
        "input": {"h": 8, "w": 8, "c": 3},
        "blocks": {"unit": {"args": {"f": 4}, "layers": [{"type": "conv", "filters": "$f", "kernel": 3}]}},
        "layers": [{"type": "unit", "f": 8, "repeat": 2}, {"type": "relu"}],
        "limits": {"params": "25M", "activation_memory": "64 MiB", "macs": 1000},
    }
    assert validator.is_valid(spec)
    bad = copy.deepcopy(spec)
    bad["limits"]["params"] = "lots"
    assert not validator.is_valid(bad)
    # a block call may not take a layer kind's name: `conv` must be a conv
    bad = copy.deepcopy(spec)
    bad["layers"][0] = {"type": "conv", "f": 8}
    assert not validator.is_valid(bad)


def test_the_spellings_of_arguments_conditions_and_inputs_validate(validator: jsonschema.Draft202012Validator) -> None:
    spec = {
        "name": "blocks",
        "input": {"h": 8, "w": 8, "c": 3},
        "blocks": {
            "unit": {
                "args": {"f": "required", "k": 3, "pad": "${k // 2}"},
                "layers": [{"type": "conv", "filters": "$f", "kernel": "$k", "padding": "${pad}", "when": "${f > 0}"}],
            },
            "up": {"inputs": ["x", "skip"], "layers": [{"type": "concat", "from": ["x", "skip"]}]},
        },
        "layers": [
            {"name": "a", "type": "unit", "f": 8, "when": "${1 < 2}"},
            {"type": "relu", "repeat": 0},
            {"type": "relu", "when": False},
            {"type": "up", "from": ["a", "input"], "repeat": 1},
        ],
    }
    assert validator.is_valid(spec), [e.message for e in validator.iter_errors(spec)]
    for where, change in [
        (1, {"repeat": -1}),  # repeat counts from 0
        (2, {"when": "yes"}),  # a condition is a boolean or one ${...}
        (2, {"when": 1}),
    ]:
        bad = copy.deepcopy(spec)
        bad["layers"][where].update(change)
        assert not validator.is_valid(bad), change
    bad = copy.deepcopy(spec)
    bad["blocks"]["up"]["inputs"] = "x"  # a list of names
    assert not validator.is_valid(bad)


def test_every_worked_spec_of_the_format_doc_validates(validator: jsonschema.Draft202012Validator) -> None:
    import re

    doc = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    specs = [b for b in re.findall(r"```yaml\n(.*?)```", doc, flags=re.DOTALL) if b.startswith("name:")]
    assert specs
    for text in specs:
        data = yaml.safe_load(text)
        assert validator.is_valid(data), (data["name"], [e.message for e in validator.iter_errors(data)])
