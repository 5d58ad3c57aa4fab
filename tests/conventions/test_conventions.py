"""Counting presets: every preset covers every layer kind, and their arithmetic by hand.

The presets' agreement with the real tools is in test_conventions_tools.py (it needs them).
"""

from __future__ import annotations

import pytest
from cases import cases_of
from helpers import kinds_the_kinds_specs_use

from cnncalc.conventions._preset import NotDefined, tally
from cnncalc.conventions.registry import PRESETS, get
from cnncalc.engine import propagate
from cnncalc.layers import registry
from cnncalc.layers.api import Composite
from cnncalc.spec import load_spec, loads_spec

KINDS = [*sorted(k for k, cls in registry().items() if not issubclass(cls, Composite)), "input"]


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_states_a_rule_for_every_kind(name: str) -> None:
    preset = get(name)
    missing = [k for k in KINDS if k not in preset.rules]
    assert not missing, f"{name} has no rule (a count, an explicit 0 or not defined) for {missing}"
    assert preset.doc.strip(), f"{name} documents its per-element rules"


# presets.md's measured single layers (batch 1), per tool. The thop column there is
# ultralytics-thop 2.2.3; these are `thop` 0.1.1's, which differ on transposed conv only
# (output positions: 8*32*32 outputs * 16 in * 2*2 taps = 524,288).
SINGLE = {
    # conv 3x3, 3->16, bias, 32x32 (padding 1): MACs 16*32*32 * 3*3*3 = 442,368; bias 16*32*32 = 16,384
    "conv": (
        "{h: 32, w: 32, c: 3}",
        "{type: conv, filters: 16, kernel: 3, padding: 1}",
        {"flopcounter": 884_736, "fvcore": 442_368, "ptflops": 458_752, "thop": 442_368, "torchinfo": 458_752},
    ),
    # conv transpose 16->8, k2 s2, 16x16->32x32, no bias: 16*16*16 inputs * 8 * 2*2 = 131,072
    "conv_transpose": (
        "{h: 16, w: 16, c: 16}",
        "{type: conv_transpose, filters: 8, kernel: 2, stride: 2, bias: false}",
        {"flopcounter": 262_144, "fvcore": 131_072, "ptflops": 131_072, "thop": 524_288, "torchinfo": 524_288},
    ),
    # linear 100->10 on (5, 100): 5*100*10 = 5,000; bias 5*10; torchinfo 100*10 + 10 once
    "dense": (
        "{l: 100, c: 5}",
        "{type: dense, units: 10}",
        {"flopcounter": 10_000, "fvcore": 5_000, "ptflops": 5_050, "thop": 5_000, "torchinfo": 1_010},
    ),
    # batchnorm2d(16) eval on 16x32x32 = 16,384 elements
    "batchnorm": (
        "{h: 32, w: 32, c: 16}",
        "{type: batchnorm}",
        {"flopcounter": 0, "fvcore": 32_768, "ptflops": 32_768, "thop": 65_536, "torchinfo": 32},
    ),
    # ReLU on 16x32x32: ptflops counts nn.ReLU and the F.relu inside it
    "relu": (
        "{h: 32, w: 32, c: 16}",
        "{type: relu}",
        {"flopcounter": 0, "fvcore": 0, "ptflops": 32_768, "thop": 0, "torchinfo": 0},
    ),
    # max pool 2x2 on 16x32x32: ptflops 1 per input element, module and F.max_pool2d
    "maxpool": (
        "{h: 32, w: 32, c: 16}",
        "{type: maxpool, kernel: 2}",
        {"flopcounter": 0, "fvcore": 0, "ptflops": 32_768, "thop": 0, "torchinfo": 0},
    ),
}


def _one_layer(shape: str, layer: str) -> str:
    return f"name: one\ninput: {shape}\nlayers:\n  - {layer}\n"


@pytest.mark.parametrize("case", list(SINGLE))
def test_single_layers_as_presets_md_measured(case: str) -> None:
    shape, layer, expected = SINGLE[case]
    trace = propagate(loads_spec(_one_layer(shape, layer), "t.yaml"), "t.yaml")
    got = {name: tally(get(name), trace).total for name in expected}
    assert got == expected


def test_resnet50_fvcore_is_the_issue_number() -> None:
    # The issue's fvcore total for torchvision's ResNet-50 (4,111,512,576): MACs 4,089,184,256
    # + 2 per batchnorm element + the global pool's 2048*7*7 = 100,352 input elements.
    trace = propagate(load_spec("specs/resnet50.yaml"), "specs/resnet50.yaml")
    result = tally(get("fvcore"), trace)
    assert result.total == 4_111_512_576
    assert result.by_kind["global_avgpool"] == 2048 * 7 * 7


def test_a_kind_a_tool_cannot_count_makes_the_total_undefined() -> None:
    from cnncalc.conventions._preset import Preset, not_defined

    base = get("fvcore")
    rules = {**base.rules, "relu": not_defined("crashes: 'ReLU' object has no attribute")}
    preset = Preset("broken", "a tool", "MACs", rules, "test", "doc")
    trace = propagate(loads_spec(_one_layer("{h: 4, w: 4, c: 1}", "{type: relu}"), "t.yaml"), "t.yaml")
    result = tally(preset, trace)
    assert result.total is None
    assert isinstance(result.per_node[1], NotDefined)
    assert result.undefined == {"relu": "crashes: 'ReLU' object has no attribute"}


def test_every_kind_meets_the_tools_in_a_kinds_spec_or_through_its_cases() -> None:
    # tests/conventions/test_conventions_tools.py runs the real tools on the kinds specs, and
    # on the one-input cases of a kind they do not use, so every rule meets its tool.
    used = kinds_the_kinds_specs_use()
    unmet = [kind for kind in KINDS if kind not in used and not [c for c in cases_of(kind) if "input" in c]]
    assert not unmet, f"use these kinds in a tests/data/kinds spec, or give them a one-input case: {unmet}"


def test_a_shape_only_kind_a_preset_does_not_list_counts_zero() -> None:
    # Every tool's table ignores a module that only moves values, so a new shape-only kind
    # needs no entry in each preset; a kind that computes something still does.
    from cnncalc.conventions._preset import Preset

    preset = Preset("bare", "none", "MACs", {}, "nothing listed")
    assert "identity" in preset.rules and preset.rule("identity").count(None) == 0  # type: ignore[arg-type]
    assert "conv" not in preset.rules
    assert "identity" in list(preset.rules) and "conv" not in list(preset.rules)


def test_the_presets_groups_are_families_less_named_exceptions() -> None:
    # The groups are read from the manifest: a kind added to a family joins its group, and an
    # exception naming a kind that left the family (renamed, moved) fails at import.
    from cnncalc.conventions import _kinds
    from cnncalc.layers import of_family

    assert set(_kinds.CONV) | set(_kinds.TRANSPOSED) == set(of_family("conv"))
    assert set(_kinds.SHAPE_ONLY) == {"input"} | set(of_family("shape")) - {"upsample", "select"}
    assert set(_kinds.ACTIVATIONS) == set(of_family("activation")) - {"prelu", "glu"}
    merge, recurrent = _kinds.MERGE, _kinds.RECURRENT
    assert merge == of_family("merge") and recurrent == of_family("recurrent")
    with pytest.raises(KeyError, match="'swish' is not among"):
        _kinds._but(of_family("activation"), "swish")
