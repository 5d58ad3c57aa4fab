"""The presets against the real tools: each zoo spec built with the `--verify` builder
(`cnncalc.verify.build_module`: one module per node, merges written as `x + y`, as
torchvision writes them), run through the tool, and the preset's number required to equal
the tool's exactly, in total and, where the tool reports per layer, per node.

The tools are pinned in requirements-test.txt; a tool that is not installed skips its tests.
To keep the suite quick on two cores, every zoo spec runs at a 64x64 input (the rules are
the same at any size; VGG's 7x7 adaptive pool then upsamples 2x2, which checks thop's
fractional windows), and ResNet-50 and MobileNetV2 also at their own 224x224 with fvcore,
ptflops and thop, the issue's headline numbers.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cases import all_cases, case_id, one_layer_spec
from helpers import ROOT, kinds_the_kinds_specs_use
from needs import needs_module

from cnncalc.conventions._preset import tally
from cnncalc.conventions.registry import get
from cnncalc.engine import Trace, propagate
from cnncalc.spec import loads_spec
from cnncalc.zoo import names, zoo_dir

torch = needs_module("torch")

SMALL = 64
FULL = ("resnet50", "mobilenet_v2")


@cache
def _trace(name: str, size: int | None) -> Trace:
    text = (zoo_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    if size is not None:
        text = re.sub(r"input: \{h: \d+, w: \d+, c: 3\}", f"input: {{h: {size}, w: {size}, c: 3}}", text)
    return propagate(loads_spec(text, f"{name}.yaml"), f"{name}.yaml")


def _module(trace: Trace) -> Any:
    from cnncalc.verify import build_module

    torch.manual_seed(0)
    return build_module(trace)  # a fresh one per tool: some leave hooks or buffers behind


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


def _node_of(module: Any) -> dict[int, int]:
    """id of every submodule -> the node it belongs to."""
    return {id(sub): i for i, node in enumerate(module.nodes) for sub in node.modules()}


def _defined(counts: list[Any]) -> list[int]:
    assert all(isinstance(c, int) for c in counts)
    return [int(c) for c in counts]


# Inception v3's two grid reductions need more: 75x75 is torchvision's own min_size for it.
# MaxViT's grid attention needs every stage's map a multiple of 7: 224 (7 after 5 halvings).
SMALLEST = {"inception_v3": 75, "maxvit_t": 224}
CASES = [(name, SMALLEST.get(name, SMALL)) for name in names()]
IDS = [f"{name}-{size}" for name, size in CASES]


def _inputs(trace: Trace) -> list[Any]:
    """One sample of each input, in the order forward takes them."""
    found = []
    for node in trace.nodes[: trace.input_count]:
        shape = node.output
        if shape.axes == "L":  # token ids: integers, 0 in every vocabulary
            found.append(torch.zeros(1, *shape, dtype=torch.long))
        else:
            found.append(torch.randn(1, *shape))
    return found


class _ByName(torch.nn.Module):  # type: ignore[misc]
    """A network of several inputs as a user hands it to ptflops: its input_constructor gives
    a dict, and ptflops calls model(**inputs) (nn.Transformer's forward(src, tgt))."""

    def __init__(self, network: Any) -> None:
        super().__init__()
        self.network = network

    def forward(self, **inputs: Any) -> Any:
        return self.network(*inputs.values())


def run_flopcounter(trace: Trace) -> tuple[int, list[int] | None]:
    from torch.utils.flop_counter import FlopCounterMode

    from cnncalc.verify import counting

    counter = FlopCounterMode(display=False)
    # As docs/conventions says to run it: gradients, math attention, no oneDNN.
    with counting(torch), counter:
        _module(trace)(*_inputs(trace))
    return int(counter.get_total_flops()), None


def run_fvcore(trace: Trace) -> tuple[int, list[int] | None]:
    analysis = needs_module("fvcore.nn").FlopCountAnalysis(_module(trace), tuple(_inputs(trace)))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    with _quiet():
        by_module = analysis.by_module()
    return int(analysis.total()), [int(by_module.get(f"nodes.{i}", 0)) for i in range(len(trace.nodes))]


def _ptflops(trace: Trace, **options: Any) -> tuple[int, list[int] | None]:
    ptflops = needs_module("ptflops")
    module = _module(trace)
    if trace.input_count > 1:  # by name, as a dict
        module = _ByName(module)
        names = [node.name for node in trace.nodes[: trace.input_count]]
        options["input_constructor"] = lambda _: dict(zip(names, _inputs(trace), strict=True))
    elif trace.nodes[0].output.axes == "L":  # token ids: ptflops' own input would be floats
        options["input_constructor"] = lambda _: _inputs(trace)[0]
    with _quiet():
        macs, _ = ptflops.get_model_complexity_info(
            module, tuple(trace.nodes[0].output), as_strings=False, print_per_layer_stat=False, **options
        )
    return int(macs), None


def run_thop(trace: Trace) -> tuple[int, list[int] | None]:
    thop = needs_module("thop")
    with _quiet():
        macs, _, layers = thop.profile(_module(trace), tuple(_inputs(trace)), verbose=False, ret_layer_info=True)
    nodes = layers["nodes"][2]
    per_node = [int(nodes[str(i)][0]) if str(i) in nodes else 0 for i in range(len(trace.nodes))]
    assert macs == int(macs)  # a float, exact below 2^53
    return int(macs), per_node


def run_torchinfo(trace: Trace) -> tuple[int, list[int] | None]:
    torchinfo = needs_module("torchinfo")
    module = _module(trace)
    node_of = _node_of(module)
    with _quiet():
        stats = torchinfo.summary(module, input_data=_inputs(trace), verbose=0)
    per_node = [0] * len(trace.nodes)
    for layer in stats.summary_list:
        if layer.is_leaf_layer and id(layer.module) in node_of:
            per_node[node_of[id(layer.module)]] += layer.macs
    return int(stats.total_mult_adds), per_node


def run_calflops(trace: Trace) -> tuple[int, list[int] | None]:
    needs_module("calflops")
    from calflops.calculate_pipline import CalFlopsPipline
    from calflops.utils import get_module_flops

    # As calculate_flops runs it: eval(), gradients on (so no fused attention path).
    module = _module(trace).eval()
    pipeline = CalFlopsPipline(module, include_backPropagation=False, compute_bp_factor=2.0)
    pipeline.start_flops_calculate(ignore_list=None)
    try:
        with _quiet(), torch.enable_grad():
            module(*_inputs(trace))
        total = int(pipeline.get_total_flops())
        per_node = [int(get_module_flops(node)) for node in module.nodes]
    finally:
        pipeline.end_flops_calculate()
    return total, per_node


TOOLS: dict[str, Callable[[Trace], tuple[int, list[int] | None]]] = {
    "flopcounter": run_flopcounter,
    "fvcore": run_fvcore,
    "ptflops": lambda trace: _ptflops(trace),
    "ptflops-nofunc": lambda trace: _ptflops(trace, backend_specific_config={"count_functional": False}),
    "ptflops-aten": lambda trace: _ptflops(trace, backend="aten"),
    "thop": run_thop,
    "torchinfo": run_torchinfo,
    "calflops": run_calflops,
}


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize(("name", "size"), CASES, ids=IDS)
def test_preset_equals_the_tool(name: str, size: int | None, tool: str) -> None:
    trace = _trace(name, size)
    total, per_node = TOOLS[tool](trace)
    result = tally(get(tool), trace)
    assert result.total == total
    if per_node is not None:
        assert _defined(result.per_node) == per_node


KINDS = sorted((ROOT / "tests" / "data" / "kinds").glob("*.yaml"))


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("path", KINDS, ids=[p.stem for p in KINDS])
def test_every_kind_against_the_tool(path: Path, tool: str) -> None:
    # Specs using every kind once or more; where the preset says "not defined" (calflops on
    # a per-axis upsample scale), the tool must indeed fail.
    trace = propagate(loads_spec(path.read_text(encoding="utf-8"), str(path)), str(path))
    result = tally(get(tool), trace)
    if result.undefined:
        with pytest.raises(Exception, match="unsupported operand"):
            TOOLS[tool](trace)
        return
    total, per_node = TOOLS[tool](trace)
    assert result.total == total
    if per_node is not None:
        assert _defined(result.per_node) == per_node


# A kind no kinds spec uses meets the tools on its cases, each its layer alone on its input.
USED = kinds_the_kinds_specs_use()
UNMET = [case for case in all_cases() if case["layer"]["type"] not in USED and "input" in case]


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("case", UNMET, ids=case_id)
def test_the_cases_of_a_kind_no_kinds_spec_uses_against_the_tool(case: dict[str, Any], tool: str) -> None:
    trace = propagate(loads_spec(one_layer_spec(case), "case.yaml"), "case.yaml")
    result = tally(get(tool), trace)
    total, per_node = TOOLS[tool](trace)
    assert result.total == total
    if per_node is not None:
        assert _defined(result.per_node) == per_node


@pytest.mark.parametrize("tool", ["fvcore", "ptflops", "thop"])
@pytest.mark.parametrize("name", FULL)
def test_the_issue_totals_at_full_size(name: str, tool: str) -> None:
    # The totals docs/conventions.md prints (ResNet-50: fvcore 4,111,512,576, the issue's).
    trace = _trace(name, None)
    total, per_node = TOOLS[tool](trace)
    result = tally(get(tool), trace)
    assert result.total == total
    if per_node is not None:
        assert _defined(result.per_node) == per_node


def test_calflops_total_is_its_own_api() -> None:
    # The per-node run above drives calflops' pipeline; its public call gives the same total.
    calflops = needs_module("calflops")
    trace = _trace("lenet", None)
    with _quiet():
        flops, _, _ = calflops.calculate_flops(
            _module(trace), input_shape=(1, 3, 32, 32), output_as_string=False, print_results=False
        )
    assert flops == tally(get("calflops"), trace).total


@pytest.mark.parametrize("name", ["vit_b_16", "bert_base"])
def test_calflops_as_a_user_calls_it_counts_every_attention_projection(name: str) -> None:
    # calculate_flops runs with gradients on, so nn.MultiheadAttention takes its slow path
    # and its four projections go through calflops' wrapped F.linear (issue 22: the preset
    # once assumed the fused no_grad path, and came out a third low on both).
    calflops = needs_module("calflops")
    trace = _trace(name, SMALL)
    with _quiet():
        flops, _, _ = calflops.calculate_flops(
            _module(trace), args=_inputs(trace), output_as_string=False, print_results=False
        )
    assert flops == tally(get("calflops"), trace).total
