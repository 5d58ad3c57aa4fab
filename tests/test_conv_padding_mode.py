"""conv's own `padding_mode` (zeros, reflect, replicate, circular), as PyTorch's Conv
takes it: the same parameters and MACs in every mode, the padding filled as the mode
says, and the padded copy PyTorch makes counted in memory. Numbers worked by hand.

Fixtures mark where an error must be reported with `@@` (removed before parsing).
"""

from __future__ import annotations

import pytest
from helpers import MARK, trace_of
from needs import needs_module

from cnncalc.errors import SpecError

MODES = ("zeros", "reflect", "replicate", "circular")


def spec(mode: str, padding: str = "1", kind: str = "conv", size: str = "h: 16, w: 16") -> str:
    return (
        "name: t\n"
        f"input: {{{size}, c: 3}}\n"
        "layers:\n"
        f"  - {{type: {kind}, filters: 8, kernel: 3, padding: {padding}, padding_mode: {mode}}}\n"
        "  - {type: relu}\n"
        f"  - {{type: {kind}, filters: 4, kernel: 3, padding: {padding}, padding_mode: {mode}}}\n"
    )


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_has_the_same_params_and_macs(mode: str) -> None:
    trace = trace_of(spec(mode))
    first, last = trace.nodes[1], trace.nodes[3]
    # 3*3*3*8 + 8 = 224; 16*16 positions * 8 filters * 27 = 55,296 MACs
    assert (first.params.total, first.macs, first.output) == (224, 55296, (8, 16, 16))
    # 3*3*8*4 + 4 = 292; 16*16 * 4 * 72 = 73,728 MACs
    assert (last.params.total, last.macs, last.output) == (292, 73728, (4, 16, 16))
    assert first.summary == "f=3 s=1 p=1" + ("" if mode == "zeros" else f" {mode}")


def test_reflect_padding_must_be_below_the_size() -> None:
    # reflect of 4 on a length-4 sequence reaches past the far edge (PyTorch refuses it too)
    marked = (
        "name: t\ninput: {l: 4, c: 2}\nlayers:\n"
        "  - {type: conv1d, filters: 2, kernel: 3, padding: 4, padding_mode: @@reflect}\n"
    )
    text = marked.replace(MARK, "")
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    col = marked.split("\n")[3].index(MARK) + 1
    assert str(caught.value).startswith(f"net.yaml:4:{col}: "), str(caught.value)
    assert "reflect padding 4 must be below the input's l=4" in str(caught.value)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(SpecError) as caught:
        trace_of(spec("mirror"))
    assert "padding_mode" in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("padding", "flat"), [("1", (1, 1, 1, 1)), ("[2, 0, 1, 1]", (1, 1, 2, 0))])
def test_the_built_conv_pads_as_pytorch_does(mode: str, padding: str, flat: tuple[int, ...]) -> None:
    torch = needs_module("torch")
    from torch.nn import functional

    from cnncalc.memory_tracker import check_memory
    from cnncalc.verify import build_module, verify

    trace = trace_of(spec(mode, padding))
    assert verify(trace, "cpu").agrees
    module = build_module(trace).eval()
    convs = [m for m in module.modules() if isinstance(m, torch.nn.Conv2d)]
    x = torch.randn(2, 3, 16, 16)
    # by hand: F.pad in the mode (flat: left, right, top, bottom), then the conv unpadded
    hand = functional.conv2d(
        functional.pad(x, flat, mode="constant" if mode == "zeros" else mode), convs[0].weight, convs[0].bias
    )
    hand = functional.conv2d(
        functional.pad(torch.relu(hand), flat, mode="constant" if mode == "zeros" else mode),
        convs[1].weight,
        convs[1].bias,
    )
    with torch.no_grad():
        assert torch.allclose(module(x), hand, atol=1e-5)
    for check in check_memory(trace, 8):
        # The same few bytes apart as with zeros padding (the loss and the step count, not modelled).
        assert 0 <= check.torch - check.computed <= 24, check


@pytest.mark.parametrize("mode", ("reflect", "circular"))
def test_a_padded_conv1d_matches_pytorchs_memory(mode: str) -> None:
    needs_module("torch")
    from cnncalc.memory_tracker import check_memory

    trace = trace_of(spec(mode, "2", kind="conv1d", size="l: 40"))
    for check in check_memory(trace, 4):
        assert 0 <= check.torch - check.computed <= 24, check
