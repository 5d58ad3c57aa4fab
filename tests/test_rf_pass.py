"""The receptive field pass: the standard recurrence, branches, and global pooling."""

from __future__ import annotations

from helpers import trace_of

from cnncalc.analysis.receptive_field import ReceptiveField, receptive_fields


def fields_of(text: str) -> list[ReceptiveField | None]:
    return receptive_fields(trace_of(text).nodes)


SQUEEZE_AND_EXCITATION = """
name: se
input: {h: 8, w: 8, c: 4}
layers:
  - {type: conv, filters: 4, kernel: 3, padding: 1, name: trunk}
  - {type: adaptive_avgpool, size: 1}
  - {type: conv, filters: 2, kernel: 1, activation: relu}
  - {type: conv, filters: 4, kernel: 1, activation: sigmoid, name: excite}
  - {type: multiply, from: [trunk, excite]}
  - {type: conv, filters: 4, kernel: 3, padding: 1}
"""


def test_squeeze_and_excitation_sees_the_whole_input() -> None:
    """Issue 8: each output of the multiply is scaled by a mean over the whole input, so its
    field is the whole input (shown empty, as after a global pooling), and so is every
    later layer's; a local 3x3 (then 5x5) field was shown."""
    nodes = trace_of(SQUEEZE_AND_EXCITATION).nodes
    trunk, pooled, multiply, after = receptive_fields(nodes)[1:3] + receptive_fields(nodes)[5:7]
    assert trunk is not None and trunk.size == (3, 3)  # 1 + (3 - 1)
    assert pooled is None  # the whole input, as before
    assert nodes[5].kind == "multiply" and multiply is None
    assert after is None


def test_a_merge_of_local_branches_stays_local() -> None:
    text = """
name: rf
input: {h: 16, w: 16, c: 1}
layers:
  - {type: conv, filters: 1, kernel: 3, name: a}
  - {type: conv, filters: 1, kernel: 3, padding: 1, from: input}
  - {type: conv, filters: 1, kernel: 3, padding: 1}
  - {type: crop, size: 14, name: b}
  - {type: multiply, from: [a, b]}
"""
    rf = fields_of(text)[-1]
    # a: 3 wide; the other: two 3x3 convs, 1 + 2 + 2 = 5 wide; the largest is kept.
    assert rf is not None and rf.size == (5, 5)
