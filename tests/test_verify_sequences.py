"""Random sequence networks against PyTorch: token ids through embeddings, positions, class
tokens, recurrent stacks, matmuls and tied output layers, each spec built by `--verify` and
every node's shape, parameters, buffers and MACs required to equal PyTorch's (MACs from
FlopCounterMode / 2 with oneDNN off and gradients on, as conventions.md says).

The channels-first random specs live in tests/test_verify.py; every kind that reads only
sequences is drawn here instead (`sequence_only` there). Drawing is valid by construction:
each layer is drawn for the shape it reads. tests/randomness.py says when the draws are new.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import randomness
from needs import needs_module
from test_verify import PROPERTY, TRANSFORMER_KINDS, primitive_kinds, sequence_only

torch = needs_module("torch")

from hypothesis import given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cnncalc.engine import propagate  # noqa: E402
from cnncalc.spec import loads_spec  # noqa: E402
from cnncalc.verify import verify  # noqa: E402

Draw = Callable[..., Any]
MAX_WIDTH = 12


@dataclass
class Network:
    """A sequence network being drawn: its layers, the current shape and what can be tied."""

    ids: bool  # the input is token ids
    length: int
    width: int  # D of the current (L, D); 0 once the sequence is reduced to a vector
    layers: list[dict[str, Any]] = field(default_factory=list)
    embeddings: list[tuple[str, int, int]] = field(default_factory=list)  # name, vocab, width
    names: int = 0
    features: int = 0  # the vector's size once reduced

    def name(self) -> str:
        self.names += 1
        return f"s{self.names}"

    def add(self, layer: dict[str, Any]) -> str:
        named = {"name": self.name(), **layer}
        self.layers.append(named)
        return str(named["name"])

    def text(self, start: dict[str, int]) -> str:
        return json.dumps({"name": "random-sequence", "input": start, "layers": self.layers})


def _recurrent(draw: Draw, kind: str, last: bool = False) -> dict[str, Any]:
    hidden = draw(st.integers(1, 8))
    layer: dict[str, Any] = {
        "type": kind,
        "hidden": hidden,
        "num_layers": draw(st.integers(1, 3)),
        "bidirectional": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "dropout": draw(st.sampled_from([0.0, 0.2])),
        "output": "last" if last else "sequence",
    }
    if kind == "rnn":
        layer["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    if kind == "lstm" and hidden > 1 and draw(st.booleans()):
        layer["proj_size"] = draw(st.integers(1, hidden - 1))
    return layer


def _out_width(layer: dict[str, Any]) -> int:
    width = int(layer.get("proj_size") or layer["hidden"])
    return width * (2 if layer["bidirectional"] else 1)


def step(draw: Draw, net: Network, kind: str) -> None:
    """Add one layer (or a few, for matmuls) of `kind` that fits the current (L, D)."""
    if kind == "position_embedding":
        net.add({"type": kind, "max_len": net.length + draw(st.integers(0, 4))})
    elif kind == "segment_embedding":
        segments = draw(st.integers(1, 3))
        net.add({"type": kind, "segments": segments, "segment": draw(st.integers(0, segments - 1))})
    elif kind == "positional_encoding":
        net.add({"type": kind})
    elif kind == "class_token":
        net.add({"type": kind})
        net.length += 1
    elif kind in ("rnn", "gru", "lstm"):
        layer = _recurrent(draw, kind)
        net.add(layer)
        net.width = _out_width(layer)
    elif kind == "matmul":
        # Attention's two products on the current sequence: (L, D) @ (L, D)^T, then @ (L, D).
        tap = net.layers[-1]["name"] if net.layers else "input"
        scores = net.add({"type": "matmul", "from": [tap, tap], "transpose_b": True})
        net.add({"type": "matmul", "from": [scores, tap]})
    elif kind == "dense":
        tied = [e for e in net.embeddings if e[2] == net.width]
        if tied and draw(st.booleans()):
            name, vocab, _ = draw(st.sampled_from(tied))
            net.add({"type": "dense", "units": vocab, "tie": name, "bias": draw(st.booleans())})
            net.width = vocab
        else:
            units = draw(st.integers(1, MAX_WIDTH))
            net.add({"type": "dense", "units": units, "bias": draw(st.booleans())})
            net.width = units
    elif kind == "layernorm":
        net.add({"type": "layernorm", "dims": 1})
    else:
        raise AssertionError(f"teach step() the sequence kind {kind}")


def finish(draw: Draw, net: Network, kind: str) -> None:
    """Reduce the sequence to one vector with `kind`, maybe followed by a dense layer."""
    if kind == "select":
        length = net.length
        net.add({"type": "select", "index": draw(st.integers(-length, length - 1))})
        net.features = net.width
    elif kind == "token_mean":
        net.add({"type": "token_mean"})
        net.features = net.width
    else:
        layer = _recurrent(draw, kind, last=True)
        net.add(layer)
        net.features = _out_width(layer)
    if draw(st.booleans()):
        net.add({"type": "dense", "units": draw(st.integers(1, MAX_WIDTH))})


STEPS = ("position_embedding", "positional_encoding", "class_token", "rnn", "gru", "lstm", "matmul", "dense")
STEPS += ("layernorm", "segment_embedding")
FINISHES = ("select", "token_mean", "rnn", "gru", "lstm")
# Kinds drawn only where the input is token ids, or only as a reduction.
SEQUENCE_KINDS = {*STEPS, *FINISHES, "embedding"}


def random_sequence_spec(draw: Draw, must: str | None = None) -> str:
    ids = must == "embedding" or draw(st.booleans())
    length = draw(st.integers(1, 10))
    net = Network(ids=ids, length=length, width=draw(st.integers(1, MAX_WIDTH)))
    if ids:
        start = {"l": length}
        vocab = draw(st.integers(1, 30))
        name = net.add({"type": "embedding", "vocab": vocab, "width": net.width})
        net.embeddings.append((name, vocab, net.width))
    else:
        start = {"l": length, "d": net.width}
    kinds = [draw(st.sampled_from(STEPS)) for _ in range(draw(st.integers(0, 4)))]
    if must in STEPS:
        kinds.insert(draw(st.integers(0, len(kinds))), must)
    for kind in kinds:
        step(draw, net, kind)
    # End on one vector now and then: a selected token, the mean, or a recurrent last state.
    finisher = must if must in ("select", "token_mean") else None
    if finisher is None and (must in ("rnn", "gru", "lstm") or must is None) and draw(st.booleans()):
        finisher = must or draw(st.sampled_from(FINISHES))
    if finisher is not None:
        finish(draw, net, finisher)
    if not net.layers:
        net.add({"type": "positional_encoding"})
    return net.text(start)


def check(text: str) -> None:
    trace = propagate(loads_spec(text, "<random>"), "<random>")
    result = verify(trace, "cpu")
    rows = [f"{d.label} {d.field}: cnncalc {d.computed!r}, torch {d.torch!r}" for d in result.differences()]
    assert result.agrees, "\n".join([*rows, text])
    assert result.checked == len(trace.nodes) - 1


@seed(randomness.SEED)
@PROPERTY
@given(st.data())
def test_random_sequence_networks_agree_with_pytorch(data: st.DataObject) -> None:
    check(random_sequence_spec(data.draw))


def test_every_sequence_kind_is_drawn() -> None:
    # The transformer kinds are drawn by tests/test_verify.py's transformer stacks.
    missing = {k for k in primitive_kinds() if sequence_only(k)} - SEQUENCE_KINDS - set(TRANSFORMER_KINDS)
    assert not missing, f"teach tests/test_verify_sequences.py these sequence kinds: {sorted(missing)}"


@pytest.mark.parametrize("kind", sorted(SEQUENCE_KINDS))
@seed(randomness.SEED)
@settings(PROPERTY, max_examples=max(3, randomness.EXAMPLES // 10))
@given(data=st.data())
def test_each_sequence_kind_agrees_with_pytorch(kind: str, data: st.DataObject) -> None:
    text = random_sequence_spec(data.draw, must=kind)
    assert f'"{kind}"' in text
    check(text)
