"""8-bit optimizer state as bitsandbytes keeps it, checked by hand and against the tracker.

bitsandbytes' Adam8bit (two states) and SGD8bit with momentum (one) keep, for a tensor of at
least 4,096 elements, one byte an element per state plus a float32 absmax per block of 256
elements, and one 256-entry float32 quantization map per state shared by every tensor; a
smaller tensor's state stays float32. The MLP below, by hand, for Adam:
- 2048 x 1024 and 1024 x 2048 weights: 2 x (2,097,152 + 4 x 8,192) = 4,259,840 each
- the 10 x 1024 weight: 2 x (10,240 + 4 x 40) = 20,800
- the biases (2,048, 1,024 and 10 elements, all small): 2 x 3,082 x 4 = 24,656
- the two maps: 2 x 1,024 = 2,048
- in all 8,567,184 B, where "2 bytes a parameter" would say 2 x 4,207,626 = 8,415,252.
"""

from __future__ import annotations

import pytest
from helpers import trace_of
from needs import needs_module

from cnncalc.analysis.memory import Precision, optimizer_state_bytes, training_peak

MLP = """name: mlp
input: {features: 1024}
layers:
  - {type: dense, units: 2048, activation: relu}
  - {type: dense, units: 1024, activation: relu}
  - {type: dense, units: 10}
"""
EIGHT_BIT = Precision(4, 4, 0, 1)
ADAM_STATE = 2 * 4_259_840 + 20_800 + 24_656 + 2_048
MOMENTUM_STATE = ADAM_STATE // 2  # one state of each: every term above halves


def test_8_bit_state_by_hand() -> None:
    trace = trace_of(MLP)
    assert ADAM_STATE == 8_567_184
    assert optimizer_state_bytes(trace.nodes, "adam", EIGHT_BIT) == ADAM_STATE
    assert optimizer_state_bytes(trace.nodes, "adamw", EIGHT_BIT) == ADAM_STATE
    assert optimizer_state_bytes(trace.nodes, "momentum", EIGHT_BIT) == MOMENTUM_STATE
    assert optimizer_state_bytes(trace.nodes, "sgd", EIGHT_BIT) == 0
    # 32-bit state: 4 bytes an element per state, whatever the tensor's size.
    assert optimizer_state_bytes(trace.nodes, "adam", Precision(4, 4)) == 2 * 4 * 4_207_626


@pytest.mark.parametrize(("optimizer", "state"), [("adam", ADAM_STATE), ("momentum", MOMENTUM_STATE)])
def test_8_bit_state_and_peak_against_bitsandbytes_on_the_cpu(optimizer: str, state: int) -> None:
    torch = needs_module("torch")
    bnb = needs_module("bitsandbytes")
    from cnncalc.memory_tracker import _existing, tracker, training_step
    from cnncalc.verify import build_module, sample_input

    batch = 16
    trace = trace_of(MLP)
    module = build_module(trace, "cpu")
    x = sample_input(trace, batch, "cpu")
    module.train()
    if optimizer == "adam":
        opt = bnb.optim.Adam8bit(module.parameters())
    else:
        opt = bnb.optim.SGD8bit(module.parameters(), lr=0.01, momentum=0.9)
    training_step(module, x, opt)  # the first step makes the state
    held = {
        id(v.untyped_storage()): v.untyped_storage().nbytes()
        for s in opt.state.values()
        for v in s.values()
        if isinstance(v, torch.Tensor)
    }
    assert sum(held.values()) == state  # every state tensor, each shared map once
    mode = tracker()
    with mode:
        mode.hold(_existing(module, x, opt))
        training_step(module, x, opt)
    computed = training_peak(trace.nodes, batch, optimizer, EIGHT_BIT)
    assert computed.parts["optimizer state"] == state
    assert abs(computed.total - mode.peak) / mode.peak <= 0.05, (computed.total, mode.peak)
