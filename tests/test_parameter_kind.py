"""The `parameter` kind in networks: a named learned tensor (trainable, or a buffer) that a
later layer adds (ViT's position embedding) or multiplies in (ConvNeXt's layer scale).
Counts by hand, its errors where they are, verify and the memory tracker on PyTorch's
modules. (Its single-layer cases are in tests/cases/parameter.py.)"""

from __future__ import annotations

from helpers import assert_agrees, assert_error_at_mark, trace_of
from needs import needs_module

from cnncalc.analysis.memory import inference_peak

VIT_LIKE = """\
name: p
input: {l: 16, d: 32}
layers:
  - {name: x, type: dense, units: 32}
  - {name: pos, type: parameter, shape: {l: 16, d: 32}}
  - {name: placed, type: add, from: [x, pos]}
  - {name: gamma, type: parameter, shape: {d: 32}}
  - {name: scaled, type: multiply, from: [placed, gamma]}
  - {name: mask, type: parameter, shape: {l: 16}, buffer: true}
  - {type: multiply, from: [scaled, mask]}
"""
# dense 32*32 + 32 = 1,056 params, 16*32*32 = 16,384 MACs; pos 16*32 = 512; gamma (1, 32) 32;
# mask a buffer of (16, 1): 16. Trainable 1,056 + 512 + 32 = 1,600.


def test_a_parameter_is_counted_and_read_by_name() -> None:
    trace = trace_of(VIT_LIKE)
    by_name = {n.name: n for n in trace.nodes}
    assert tuple(by_name["pos"].output) == (16, 32)
    assert tuple(by_name["gamma"].output) == (1, 32)  # l not named: 1, it broadcasts there
    assert tuple(by_name["mask"].output) == (16, 1)
    assert [by_name[n].params.trainable for n in ("pos", "gamma", "mask")] == [512, 32, 0]
    assert by_name["mask"].params.buffers == 16
    assert sum(n.params.trainable for n in trace.nodes) == 1_600
    assert sum(n.macs for n in trace.nodes) == 16_384
    assert tuple(trace.nodes[-1].output) == (16, 32)


def test_a_parameter_has_no_bytes_of_its_own() -> None:
    trace = trace_of(VIT_LIKE)
    peak = inference_peak(trace.nodes, batch=1)
    # weights (1,600 + 16) * 4 = 6,464 bytes; the most alive: input, x, placed and the add's
    # sum... each (16, 32) = 512 floats; the parameters' outputs are views of no bytes.
    assert peak.parts["weights"] == 6_464
    assert peak.parts["activations"] % (512 * 4) == 0


def test_an_axis_the_layout_lacks_is_an_error_at_shape() -> None:
    marked = VIT_LIKE.replace(
        "{name: gamma, type: parameter, shape: {d: 32}}", "{name: gamma, type: parameter, shape: @@{c: 32}}"
    )
    assert_error_at_mark(marked, "shape names c, which the layout it reads (L, D) lacks; it has l, d")


def test_a_parameter_is_always_a_bare_tensor() -> None:
    marked = VIT_LIKE.replace("shape: {d: 32}}", "shape: {d: 32}, form: @@module}")
    assert_error_at_mark(marked, "a parameter is written as parameter, not `module`")


def test_it_matches_pytorch_and_the_memory_tracker() -> None:
    needs_module("torch")
    from cnncalc.memory_tracker import check_memory

    trace = trace_of(VIT_LIKE.replace("16", "64"))
    assert_agrees(trace, spec=VIT_LIKE)
    (inference,) = check_memory(trace, batch=8, optimizers=())
    assert inference.agrees, inference
    # Training, with the position embedding added (a multiply's gradient for a broadcast
    # factor is made at the product's full size before it is summed down, which the
    # multiply's own rule does not say: left to the memory pass's multiply).
    added = "\n".join(VIT_LIKE.replace("16", "64").splitlines()[:6]) + "\n"
    for found in check_memory(trace_of(added), batch=8):
        assert found.agrees, found
