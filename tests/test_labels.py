"""Every label of a node comes from cnncalc/labels.py; each form, worked by hand on one spec."""

from __future__ import annotations

from cnncalc.engine import propagate
from cnncalc.labels import keys, label, numbered, subject
from cnncalc.layers import registry
from cnncalc.layers.api import Layer
from cnncalc.spec import loads_spec

SPEC = """\
name: labels
input: {h: 8, w: 8, c: 3}
blocks:
  pair:
    layers:
      - {type: conv, filters: 4, kernel: 3, padding: 1}
      - {type: conv, filters: 4, kernel: 3, padding: 1}
layers:
  - {name: stem, type: conv, filters: 4, kernel: 3, padding: 1}
  - {type: pair}
  - {type: relu}
  - {type: pair}
"""


def test_each_form_of_label() -> None:
    trace = propagate(loads_spec(SPEC, "labels.yaml"), "labels.yaml")
    # Nodes: 0 input, 1 stem, 2-3 the first pair's convs, 4 relu, 5-6 the second pair's.
    kinds = [n.kind for n in trace.nodes]
    assert kinds == ["input", "conv", "conv", "conv", "relu", "conv", "conv"]
    stem, fourth = trace.nodes[1], trace.nodes[5]
    assert label(stem) == "conv 'stem'" and label(fourth) == "conv"
    assert numbered(stem) == "#1 stem (conv)" and numbered(fourth) == "#5 (conv)"
    # The 4th conv of the network (stem is the first, counted by kind though named).
    assert subject(trace, stem) == "stem" and subject(trace, fourth) == "conv#4"
    # Within the second `pair` block it is the first conv; blocks unnamed count per kind.
    assert keys(trace) == [
        "input",
        "stem",
        "pair.1/conv#1",
        "pair.1/conv#2",
        "relu#1",
        "pair.2/conv#1",
        "pair.2/conv#2",
    ]
    assert trace.labels == keys(trace)


def test_no_kind_overrides_describe_or_build_torch() -> None:
    # A kind overrides summary() and to_torch(); the activation it applies is added alike.
    for kind, cls in registry().items():
        assert cls.describe is Layer.describe and cls.build_torch is Layer.build_torch, kind
