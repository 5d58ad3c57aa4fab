"""Every hand-worked case and every composite against the PyTorch module written out by hand
in its kind's case file (tests/cases/<kind>.py), never through cnncalc's `to_torch` builders.

`--verify` and tests/layers/test_layer_kinds.py build modules with cnncalc's own code (its
padding split, its residual expansion), so a mistake there agrees with itself. The
modules below are PyTorch as a user would write it: `nn.Conv2d(..., padding="same")`,
`F.max_pool2d(..., ceil_mode=True)`, the pads of `same` with a stride typed in from the
case's arithmetic. Their output shape, parameters, buffers and MACs (FlopCounterMode / 2,
which counts the convolutions and matmuls, and 0 for the rest, as the cases do) must equal
the hand-worked numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cases import all_cases, case_files, case_id, cases_of
from helpers import invoke
from needs import needs_module

from cnncalc.engine import propagate
from cnncalc.layers import registry
from cnncalc.layers.api import Composite
from cnncalc.spec import loads_spec
from cnncalc.spec.model import InputSpec
from cnncalc.verify import build_module

torch = needs_module("torch")
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths"),
    pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN"),  # mkldnn.flags() on this build
]

CASES = all_cases()
BATCH = 2


def torch_module(case: dict[str, Any]) -> Any:
    """The hand-written PyTorch module of one case, from its kind's case file."""
    return case_files()[case["layer"]["type"]].torch_modules()[case["about"]]()


# Composites: a spec and the PyTorch a user would write for it, from the composites' case files.
COMPOSITES: dict[str, tuple[str, tuple[int, ...], Callable[[], Any]]] = {
    name: network
    for module in case_files().values()
    if hasattr(module, "torch_networks")
    for name, network in module.torch_networks().items()
}


def channels_first(dims: dict[str, int]) -> tuple[int, ...]:
    if "features" in dims:
        return (dims["features"],)
    if "c" not in dims:  # a sequence: token ids (L,), or vectors (L, D) batch first
        return (dims["l"], dims["d"]) if "d" in dims else (dims["l"],)
    return (dims["c"], *(dims[axis] for axis in ("d", "h", "w", "l") if axis in dims))


def from_course_order(shape: list[int], sequence: bool = False) -> tuple[int, ...]:
    """[H, W, C] -> (C, H, W); a flat [N] stays, and so does a sequence's [L, D]."""
    return tuple(shape) if len(shape) == 1 or sequence else (shape[-1], *shape[:-1])


def measure(
    module: Any, inputs: list[tuple[int, ...]], ids: bool = False
) -> tuple[tuple[int, ...], int, int, int, int]:
    """Output shape of one sample, trainable and frozen parameters, buffers, MACs per sample.
    With `ids`, the first input is token ids (all 0: in every vocabulary)."""
    torch.manual_seed(0)
    batch = [torch.randn(BATCH, *shape) for shape in inputs]
    if ids:
        batch[0] = torch.zeros(BATCH, *inputs[0], dtype=torch.long)
    counter = FlopCounterMode(display=False)
    # Gradients on, the math attention kernel and no oneDNN, so that no fused path hides
    # work from the counter (docs: conventions).
    with torch.enable_grad(), sdpa_kernel(SDPBackend.MATH), torch.backends.mkldnn.flags(enabled=False), counter:
        out = module(*batch)
    flops = counter.get_total_flops()
    assert flops % (2 * BATCH) == 0, flops
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for b in module.buffers())
    return tuple(out.shape[1:]), trainable, frozen, buffers, flops // 2 // BATCH


@pytest.mark.parametrize("kind", sorted(case_files()))
def test_every_case_has_a_hand_built_module(kind: str) -> None:
    module = case_files()[kind]
    abouts = [case["about"] for case in cases_of(kind)]
    if not abouts:  # a composite: checked whole, below
        assert module.torch_networks(), f"tests/cases/{kind}.py has neither cases nor networks"
        return
    written = module.torch_modules()
    missing = [about for about in abouts if about not in written]
    assert not missing, f"write a PyTorch module for these cases in tests/cases/{kind}.py's torch_modules(): {missing}"
    stray = [about for about in written if about not in abouts]
    assert not stray, f"modules in tests/cases/{kind}.py for no case of it (renamed?): {stray}"


def test_every_kind_is_checked_against_a_hand_built_module() -> None:
    checked = {c["layer"]["type"] for c in CASES} | {name.split(",")[0] for name in COMPOSITES}
    assert set(registry()) - checked == set(), "layer kinds with no hand-built PyTorch module"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_against_a_hand_built_module(case: dict[str, Any]) -> None:
    dims = case["inputs"] if "inputs" in case else [case["input"]]
    inputs = [channels_first(d) for d in dims]
    sequence = "c" not in dims[0] and "features" not in dims[0]
    shape, trainable, frozen, buffers, macs = measure(torch_module(case), inputs, ids=set(dims[0]) == {"l"})
    assert shape == from_course_order(case["shape"], sequence)
    assert (trainable, frozen, buffers) == (case["trainable"], case.get("non_trainable", 0), case.get("buffers", 0))
    assert macs == case["macs"]


def same_values(ours: Any, hand: Any, inputs: list[tuple[int, ...]], ids: bool = False) -> None:
    """cnncalc's module, given the hand-built one's weights, computes the same numbers:
    what counts alone cannot see (which side a pad goes on, which rows a crop keeps, the
    axis of a softmax, a batchnorm left out of a shortcut)."""
    ours_params, hand_params = list(ours.parameters()), list(hand.parameters())
    assert [tuple(p.shape) for p in ours_params] == [tuple(p.shape) for p in hand_params]
    with torch.no_grad():
        for mine, theirs in zip(ours_params, hand_params, strict=True):
            mine.copy_(theirs)
    ours.eval()
    hand.eval()
    torch.manual_seed(1)
    batch = [torch.randn(BATCH, *shape) for shape in inputs]
    if ids:  # token ids below every case's vocabulary
        batch[0] = torch.randint(0, 5, (BATCH, *inputs[0]))
    with torch.no_grad():
        torch.testing.assert_close(ours(*batch), hand(*batch))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cnncalcs_module_computes_what_the_hand_built_one_does(case: dict[str, Any]) -> None:
    inputs = [channels_first(d) for d in (case["inputs"] if "inputs" in case else [case["input"]])]
    torch.manual_seed(0)
    layer = registry()[case["layer"]["type"]].model_validate(case["layer"])
    named = tuple(
        InputSpec.model_validate(d).shape() for d in (case["inputs"] if "inputs" in case else [case["input"]])
    )
    same_values(layer.build_torch(named), torch_module(case), inputs, ids=named[0].axes == "L")


# Composites: cnncalc's JSON totals (parameters, buffers, MACs, output shape) must equal the
# hand-written module's.


def test_every_composite_kind_has_a_hand_built_module() -> None:
    composites = {kind for kind, cls in registry().items() if issubclass(cls, Composite)}
    assert composites <= set(COMPOSITES), "composite kinds with no hand-built PyTorch module"


@pytest.mark.parametrize("name", list(COMPOSITES))
def test_composite_against_a_hand_built_module(name: str, tmp_path: Path) -> None:
    layers, shape, build = COMPOSITES[name]
    c, h, w = shape
    path = tmp_path / "composite.yaml"
    path.write_text(f"name: composite\ninput: {{h: {h}, w: {w}, c: {c}}}\nlayers:\n{layers}", encoding="utf-8")
    result = invoke(["table", str(path), "--format", "json", "--layout", "chw"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    out, trainable, frozen, buffers, macs = measure(build(), [shape])
    assert tuple(total["output_shape"]) == out
    assert (total["trainable_params"], total["non_trainable_params"], total["buffers"]) == (trainable, frozen, buffers)
    assert total["macs"] == macs
    trace = propagate(loads_spec(path.read_text(encoding="utf-8"), str(path)), str(path))
    same_values(build_module(trace), build(), [shape])
