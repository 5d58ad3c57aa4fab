"""Every layer kind is covered by every pass: layouts, tensors, work under the default
convention, the receptive field's window facts and the memory footprint, on each
hand-worked case."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from cases import all_cases, case_id
from needs import needs_module

from cnncalc.analysis import Analysis
from cnncalc.analysis.memory import inference_peak, training_peak
from cnncalc.analysis.receptive_field import receptive_fields
from cnncalc.conventions import CONVENTIONS, convention
from cnncalc.engine import propagate
from cnncalc.layers import registry
from cnncalc.layers.api import EVERYTHING, Composite, Footprint, Layer, Params, Window, Work, make, params_of
from cnncalc.shape import LAYOUTS, Shape
from cnncalc.spec import loads_spec
from cnncalc.spec.model import InputSpec

CASES = all_cases()
MERGE_INPUTS = (Shape((4, 6, 6), "CHW"), Shape((4, 6, 6), "CHW"))


def build(case: dict[str, Any]) -> Layer:
    return registry()[case["layer"]["type"]].model_validate(case["layer"])


def inputs_of(case: dict[str, Any]) -> tuple[Shape, ...]:
    dims = case["inputs"] if "inputs" in case else [case["input"]]
    return tuple(InputSpec.model_validate(d).shape() for d in dims)


def params_and_macs(case: dict[str, Any]) -> tuple[Params, int]:
    return Params(case["trainable"], case.get("non_trainable", 0), case.get("buffers", 0)), case["macs"]


def test_every_primitive_kind_is_covered() -> None:
    """A kind is covered when it has a hand-worked case (or, for merges, the case below)."""
    covered = {case["layer"]["type"] for case in CASES} | {"add", "concat", "multiply"}
    primitive = {kind for kind, cls in registry().items() if not issubclass(cls, Composite)}
    assert primitive <= covered


@pytest.mark.parametrize("kind", sorted(registry()))
def test_every_kind_declares_layouts_it_knows(kind: str) -> None:
    accepts = registry()[kind].accepts
    assert accepts and accepts <= set(LAYOUTS)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_pass_on_each_case(case: dict[str, Any]) -> None:
    layer = build(case)
    inputs = inputs_of(case)
    params, macs = params_and_macs(case)
    layer.check_layout(inputs)  # the case's input is one it takes
    output = layer.output_shape(inputs)
    tensors = layer.tensors(inputs)
    assert len({t.name for t in tensors}) == len(tensors)
    assert params_of(tensors) == params  # params and buffers are the sums of the tensors
    work = layer.work(inputs, output)
    assert isinstance(work, Work)
    for name in CONVENTIONS:
        assert convention(name).macs(work) >= 0
    assert convention().macs(work) == macs
    window = layer.window(inputs)
    assert window is None or window is EVERYTHING or isinstance(window, Window)
    for training in (False, True):
        footprint = layer.memory_footprint(inputs, output, training)
        assert isinstance(footprint, Footprint)
        assert all(0 <= k < len(inputs) for k in footprint.keeps_inputs)
        assert all(e.elements >= 0 for e in (*footprint.kept, *footprint.passing, *footprint.backward))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_tensors_match_torch(case: dict[str, Any]) -> None:
    """The stated tensors are PyTorch's, shape by shape, trainable or buffer."""
    needs_module("torch")
    layer = build(case)
    inputs = inputs_of(case)
    module = layer.build_torch(inputs)
    theirs = [(tuple(p.shape), "trainable" if p.requires_grad else "frozen") for p in module.parameters()]
    theirs += [(tuple(b.shape), "buffer") for b in module.buffers()]
    ours = [(t.shape, t.role) for t in layer.tensors(inputs)]
    assert sorted(ours) == sorted(theirs)


@pytest.mark.parametrize("kind", ["add", "concat", "multiply"])
def test_merges_through_every_pass(kind: str) -> None:
    layer = make(kind)
    output = layer.output_shape(MERGE_INPUTS)
    assert layer.tensors(MERGE_INPUTS) == []
    assert convention().macs(layer.work(MERGE_INPUTS, output)) == 0
    assert layer.window(MERGE_INPUTS) is None
    for training in (False, True):
        assert isinstance(layer.memory_footprint(MERGE_INPUTS, output, training), Footprint)


@pytest.mark.parametrize("case", [c for c in CASES if "input" in c], ids=case_id)
def test_receptive_field_pass_on_each_case(case: dict[str, Any]) -> None:
    dims = ", ".join(f"{k}: {v}" for k, v in case["input"].items())
    layer = yaml.safe_dump(case["layer"], default_flow_style=True, width=1000).strip()
    text = f"name: case\ninput: {{{dims}}}\nlayers:\n  - {layer}\n"
    trace = propagate(loads_spec(text, "case.yaml"), "case.yaml")
    fields = receptive_fields(trace.nodes)
    assert len(fields) == len(trace.nodes)
    assert Analysis(trace).receptive_fields == fields


@pytest.mark.parametrize("case", [c for c in CASES if "input" in c], ids=case_id)
def test_memory_pass_on_each_case(case: dict[str, Any]) -> None:
    dims = ", ".join(f"{k}: {v}" for k, v in case["input"].items())
    layer = yaml.safe_dump(case["layer"], default_flow_style=True, width=1000).strip()
    text = f"name: case\ninput: {{{dims}}}\nlayers:\n  - {layer}\n"
    trace = propagate(loads_spec(text, "case.yaml"), "case.yaml", batch=2)
    weights = sum(n.params.total + n.params.buffers for n in trace.nodes) * 4
    at_least = weights + sum(n.output_size for n in trace.nodes[:1]) * 2 * 4
    assert inference_peak(trace.nodes, 2).total >= at_least
    for optimizer in ("sgd", "momentum", "adam", "adamw"):
        assert training_peak(trace.nodes, 2, optimizer).total >= at_least
