"""Random sequence networks against PyTorch: token ids through embeddings, positions, class
tokens, recurrent stacks, matmuls and tied output layers, each spec built by `--verify` and
every node's shape, parameters, buffers and MACs required to equal PyTorch's (MACs from
FlopCounterMode / 2 with oneDNN off and gradients on, as conventions.md says).

The channels-first random specs live in tests/verify/test_verify_random.py; every kind that reads only
sequences is drawn here instead (`sequence_only` there). Drawing is valid by construction:
each layer is drawn for the shape it reads. tests/randomness.py says when the draws are new.
"""

from __future__ import annotations

import json

import pytest
import randomness
from cases._random import MAX_WIDTH, Draw, Network
from helpers import assert_agrees, trace_of
from needs import needs_module
from test_verify_random import PROPERTY, TRANSFORMER_KINDS, kinds_drawn, primitive_kinds, random_of, sequence_only

torch = needs_module("torch")

from hypothesis import given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

STEPS = kinds_drawn("step")
FINISHES = kinds_drawn("finish")
STARTS = kinds_drawn("start")  # read token ids: the first layer of a network on ids
# Kinds drawn only where the input is token ids, only as a reduction, or as a step.
SEQUENCE_KINDS = {*STEPS, *FINISHES, *STARTS}


def text_of(net: Network, start: dict[str, int]) -> str:
    return json.dumps({"name": "random-sequence", "input": start, "layers": net.layers})


def step(draw: Draw, net: Network, kind: str) -> None:
    """Add one layer (or a few, for matmuls) of `kind` that fits the current (L, D)."""
    drawer = random_of(kind).step
    assert drawer is not None, f"tests/cases/{kind}.py draws no step of a sequence network"
    drawer(draw, net)


def finish(draw: Draw, net: Network, kind: str) -> None:
    """Reduce the sequence to one vector with `kind`, maybe followed by a dense layer."""
    drawer = random_of(kind).finish
    assert drawer is not None, f"tests/cases/{kind}.py draws no reduction of a sequence"
    drawer(draw, net)
    if draw(st.booleans()):
        net.add({"type": "dense", "units": draw(st.integers(1, MAX_WIDTH))})


def random_sequence_spec(draw: Draw, must: str | None = None) -> str:
    ids = must in STARTS or draw(st.booleans())
    length = draw(st.integers(1, 10))
    net = Network(ids=ids, length=length, width=draw(st.integers(1, MAX_WIDTH)))
    if ids:
        start = {"l": length}
        starter = random_of(must if must in STARTS else draw(st.sampled_from(STARTS))).start
        assert starter is not None
        starter(draw, net)
    else:
        start = {"l": length, "d": net.width}
    kinds = [draw(st.sampled_from(STEPS)) for _ in range(draw(st.integers(0, 4)))]
    if must in STEPS:
        kinds.insert(draw(st.integers(0, len(kinds))), must)
    for kind in kinds:
        step(draw, net, kind)
    # End on one vector now and then: a selected token, the mean, or a recurrent last state.
    finisher = must if must in FINISHES and must not in STEPS else None
    # A kind that both steps and reduces (a recurrent layer) may also end the network.
    if finisher is None and (must in FINISHES or must is None) and draw(st.booleans()):
        finisher = must or draw(st.sampled_from(FINISHES))
    if finisher is not None:
        finish(draw, net, finisher)
    if not net.layers:
        net.add({"type": "positional_encoding"})
    return text_of(net, start)


def check(text: str) -> None:
    assert_agrees(trace_of(text, "<random>"), spec=text)


@seed(randomness.SEED)
@PROPERTY
@given(st.data())
def test_random_sequence_networks_agree_with_pytorch(data: st.DataObject) -> None:
    check(random_sequence_spec(data.draw))


def test_every_sequence_kind_is_drawn() -> None:
    # The transformer kinds are drawn by tests/verify/test_verify_random.py's transformer stacks.
    missing = {k for k in primitive_kinds() if sequence_only(k)} - SEQUENCE_KINDS - set(TRANSFORMER_KINDS)
    assert not missing, (
        f"give these kinds' case files (tests/cases/<kind>.py) a RANDOM step or finish: {sorted(missing)}"
    )


@pytest.mark.parametrize("kind", sorted(SEQUENCE_KINDS))
@seed(randomness.SEED)
@settings(PROPERTY, max_examples=max(3, randomness.EXAMPLES // 10))
@given(data=st.data())
def test_each_sequence_kind_agrees_with_pytorch(kind: str, data: st.DataObject) -> None:
    text = random_sequence_spec(data.draw, must=kind)
    assert f'"{kind}"' in text
    check(text)
