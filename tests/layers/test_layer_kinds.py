"""Every primitive layer kind against hand-worked examples (tests/cases/<kind>.py) and
against PyTorch itself; plus the errors an impossible layer gives."""

from __future__ import annotations

from typing import Any

import pytest
from cases import all_cases, case_files, case_id, one_layer_spec
from helpers import error_of
from needs import needs_module

from cnncalc.analysis.receptive_field import receptive_fields
from cnncalc.engine import propagate
from cnncalc.layers import registry
from cnncalc.layers.api import Composite, Layer, Params
from cnncalc.shape import Shape
from cnncalc.spec import loads_spec
from cnncalc.spec.model import InputSpec

CASES = all_cases()
CASE_KEYS = {"about", "input", "inputs", "layer", "shape", "trainable", "non_trainable", "buffers", "macs"}

# Composites expand into many layers; tests/layers/test_torch_reference.py checks them whole.
NOT_HERE: set[str] = set()


def chw(dims: dict[str, int]) -> Shape:
    """A spec-style input mapping as the shape cnncalc and torch use: channels first, axes named."""
    return InputSpec.model_validate(dims).shape()


def from_course_order(shape: list[int], dims: dict[str, int] | None = None) -> tuple[int, ...]:
    """[H, W, C] (the course's order) -> (C, H, W); a flat [N] and a sequence [L, D] stay as they are."""
    if len(shape) == 1 or (dims is not None and "d" in dims and "c" not in dims):
        return tuple(shape)
    return (shape[-1], *shape[:-1])


def inputs_of(case: dict[str, Any]) -> tuple[tuple[int, ...], ...]:
    dims = case["inputs"] if "inputs" in case else [case["input"]]
    return tuple(chw(d) for d in dims)


def is_sequence(case: dict[str, Any]) -> bool:
    """Token ids {l} or vectors {l, d}: (L,), (L, D) and (D,) read the same in either order."""
    dims = case["inputs"][0] if "inputs" in case else case["input"]
    return set(dims) in ({"l"}, {"l", "d"})


def expected(case: dict[str, Any]) -> tuple[tuple[int, ...], Params, int]:
    params = Params(case["trainable"], case.get("non_trainable", 0), case.get("buffers", 0))
    shape = tuple(case["shape"]) if is_sequence(case) else from_course_order(case["shape"])
    return shape, params, case["macs"]


def build(case: dict[str, Any]) -> Layer:
    return registry()[case["layer"]["type"]].model_validate(case["layer"])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_is_well_formed(case: dict[str, Any]) -> None:
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    assert ("input" in case) != ("inputs" in case)
    assert {"about", "layer", "shape", "trainable", "macs"} <= set(case)


def test_every_primitive_kind_has_a_case() -> None:
    covered = {case["layer"]["type"] for case in CASES}
    kinds = {kind for kind, cls in registry().items() if not issubclass(cls, Composite) and kind not in NOT_HERE}
    assert kinds - covered == set(), "layer kinds without a worked example in tests/cases/<kind>.py"
    assert covered - set(registry()) == set(), "cases for kinds that do not exist"


def test_every_kind_has_a_case_file_and_every_case_file_names_a_kind() -> None:
    assert set(registry()) - set(case_files()) == set(), "layer kinds without a tests/cases/<kind>.py"
    assert set(case_files()) - set(registry()) == set(), "case files named for no registered kind"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_numbers(case: dict[str, Any]) -> None:
    layer = build(case)
    inputs = inputs_of(case)
    shape, params, macs = expected(case)
    output = layer.output_shape(inputs)
    assert output == shape
    assert layer.params(inputs) == params
    assert layer.macs(inputs, output) == macs
    layer.window(inputs)  # must not raise on a shape it accepts
    assert isinstance(layer.describe(inputs), str)


@pytest.mark.parametrize("case", [c for c in CASES if "input" in c], ids=case_id)
def test_case_through_the_engine(case: dict[str, Any]) -> None:
    """The same numbers from a one-layer spec, receptive field included."""
    spec = loads_spec(one_layer_spec(case), "case.yaml")
    nodes = propagate(spec, "case.yaml").nodes
    node, rf = nodes[-1], receptive_fields(nodes)[-1]
    shape, params, macs = expected(case)
    assert (node.output, node.params, node.macs) == (shape, params, macs)
    if rf is not None:
        assert all(size >= 1 for size in rf.size)
        assert all(jump > 0 for jump in rf.jump)


@pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN")  # mkldnn.flags() on this build
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_torch_parity(case: dict[str, Any]) -> None:
    """PyTorch's own module gives the hand-worked shape, parameters, buffers and MACs."""
    torch = needs_module("torch")
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    inputs = inputs_of(case)
    shape, params, macs = expected(case)
    module = build(case).build_torch(inputs)
    # Token ids are integers (0 is in every vocabulary); oneDNN off, or an LSTM counts 0.
    batch = [torch.zeros(2, *x, dtype=torch.long) if x.axes == "L" else torch.randn(2, *x) for x in inputs]
    counter = FlopCounterMode(display=False)
    # The math attention kernel and no oneDNN: otherwise the CPU hides attention from the counter.
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with torch.enable_grad(), sdpa_kernel(SDPBackend.MATH), torch.backends.mkldnn.flags(enabled=False), counter:
        out = module(*batch)
    assert tuple(out.shape) == (2, *shape)
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for b in module.buffers())
    assert Params(trainable, frozen, buffers) == params
    flops = counter.get_total_flops()
    assert flops % 4 == 0
    assert flops // 2 // 2 == macs  # FLOPs = 2 * MACs, over a batch of 2


# Errors: a layer that cannot apply names itself, shows the arithmetic and points at
# the value to blame.


def test_kernel_larger_than_input() -> None:
    text = "name: t\ninput: {h: 4, w: 4, c: 1}\nlayers:\n  - {name: big, type: conv, filters: 2, kernel: 5}\n"
    message = error_of(text)
    # line 4, column of `5` after "  - {name: big, type: conv, filters: 2, kernel: "
    col = len("  - {name: big, type: conv, filters: 2, kernel: ") + 1
    assert message.startswith(f"net.yaml:4:{col}: ")
    assert "layer 1 'big' (conv)" in message
    assert "(4 + 0 - 5) / 1 + 1 = 0 < 1" in message


def test_kernel_larger_than_input_block_style() -> None:
    text = "name: t\ninput: {h: 4, w: 4, c: 1}\nlayers:\n  - {type: relu}\n  - type: maxpool\n    kernel: 5\n"
    message = error_of(text)
    assert message.startswith("net.yaml:6:13: ")
    assert "layer 2 (maxpool)" in message
    assert "(4 + 0 - 5) / 5 + 1 = 0.8 < 1" in message


@pytest.mark.parametrize(
    ("layer", "field", "words"),
    [
        ("{type: conv_transpose, filters: 2, kernel: 3, stride: 2, output_padding: 2}", "output_padding: 2", "smaller"),
        ("{type: conv_transpose, filters: 2, kernel: 1, padding: 5}", "padding: 5", "- 2*5 + 1*(1 - 1) + 0 + 1 = -2"),
        ("{type: groupnorm, groups: 5}", "groups: 5", "6 / 5 = 1.2"),
        ("{type: crop, size: 9}", "size: 9", "cannot crop h=8 to 9"),
        ("{type: crop, cropping: [4, 4, 0, 0]}", "cropping: [4", "8 - 4 - 4 = 0 < 1"),
        ("{type: upsample, mode: bilinear, scale: 2}", "mode: bilinear", "2-D"),
        ("{type: layernorm, dims: 4}", "dims: 4", "only 3 axes"),
        ("{type: depthwise_conv, kernel: 9}", "kernel: 9", "(8 + 0 - 9) / 1 + 1 = 0 < 1"),
        ("{type: zeropad, padding: [1, 2, 3]}", "padding: [1", "one per side"),
        ("{type: window_attention, heads: 4, window_size: 4}", "heads: 4", "4 heads do not divide the width 6"),
        ("{type: window_attention, heads: 2, window_size: 4, shift: 4}", "shift: 4", "below window_size=4"),
        ("{type: window_attention, heads: 2, window_size: 4, shift: 1, partition: grid}", "shift: 1", "not shifted"),
        ("{type: window_attention, heads: 2, window_size: 3, partition: grid}", "window_size: 3", "divide h=8"),
    ],
)
def test_layer_errors_point_at_the_field(layer: str, field: str, words: str) -> None:
    line = f"  - {layer}"
    text = f"name: t\ninput: {{h: 8, w: 8, c: 6}}\nlayers:\n{line}\n"
    if "bilinear" in layer:
        text = text.replace("{h: 8, w: 8, c: 6}", "{l: 8, c: 6}")
    message = error_of(text)
    col = line.index(field) + len(field.split(": ")[0]) + 3
    assert message.startswith(f"net.yaml:4:{col}: "), message
    assert words in message


@pytest.mark.parametrize(
    "layer",
    [
        "{type: upsample}",
        "{type: upsample, scale: 2, size: 4}",
        "{type: upsample, scale: 2, align_corners: true}",
        "{type: upsample, scale: 0}",
        "{type: conv_transpose, filters: 2, kernel: 3, stride: 0}",
    ],
)
def test_invalid_fields_are_positioned(layer: str) -> None:
    message = error_of(f"name: t\ninput: {{h: 8, w: 8, c: 6}}\nlayers:\n  - {layer}\n")
    assert message.startswith("net.yaml:4:")


def test_crop_needs_size_cropping_or_two_inputs() -> None:
    message = error_of("name: t\ninput: {h: 8, w: 8, c: 6}\nlayers:\n  - {type: crop}\n")
    assert "exactly one of size and cropping" in message


def test_crop_to_a_reference_keeps_the_first_inputs_receptive_field() -> None:
    text = """name: t
input: {h: 16, w: 16, c: 1}
layers:
  - {name: a, type: conv, filters: 1, kernel: 3}
  - {name: b, type: conv, filters: 1, kernel: 5}
  - {type: crop, from: [a, b]}
"""
    nodes = propagate(loads_spec(text, "t.yaml"), "t.yaml").nodes
    fields = receptive_fields(nodes)
    assert fields[2] is not None and fields[2].size == (7, 7)  # 3 + (5 - 1), b only sizes the crop
    crop, rf = nodes[3], fields[3]
    assert crop.output == (1, 10, 10)  # a is 14x14, cut to b's 10x10: 2 off each side
    assert rf is not None
    assert rf.size == (3, 3)  # a's field: b's values never reach the output
    assert rf.start == (3.5, 3.5)  # a's first centre 0.5 + 1, moved 2 in
