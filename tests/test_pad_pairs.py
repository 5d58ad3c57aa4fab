"""Padding as a [before, after] pair per dimension (`padding: [[2, 0]]`), beside the flat
per-side form (`[2, 0]`) it means: for `pad`, `zeropad` and the windowed layers' `padding`.
Numbers worked by hand.
"""

from __future__ import annotations

import pytest
from needs import needs_module

from cnncalc.engine import Trace, propagate
from cnncalc.errors import SpecError
from cnncalc.spec import loads_spec


def trace_of(text: str) -> Trace:
    return propagate(loads_spec(text, "net.yaml"), "net.yaml")


def one_layer(layer: str, size: str = "l: 8") -> str:
    return f"name: t\ninput: {{{size}, c: 2}}\nlayers:\n  - {layer}\n"


@pytest.mark.parametrize(
    ("layer", "length"),
    [
        ("{type: pad, padding: [[2, 0]], mode: replicate}", 10),  # 8 + 2 + 0
        ("{type: zeropad, padding: [[1, 3]]}", 12),  # 8 + 1 + 3
        # a causal conv: (8 + 2 + 0 - 3) // 1 + 1 = 8
        ("{type: conv1d, filters: 2, kernel: 3, padding: [[2, 0]]}", 8),
        # (8 + 0 + 1 - 2) // 2 + 1 = 4
        ("{type: maxpool1d, kernel: 2, padding: [[0, 1]]}", 4),
    ],
)
def test_a_pair_per_dimension_pads_as_the_flat_form(layer: str, length: int) -> None:
    paired = trace_of(one_layer(layer)).nodes[-1]
    flat = trace_of(one_layer(layer.replace("[[", "[").replace("]]", "]"))).nodes[-1]
    assert paired.output == flat.output == (2, length)
    assert paired.params == flat.params and paired.macs == flat.macs


def test_pairs_in_two_dimensions_are_height_then_width() -> None:
    # [[top, bottom], [left, right]] = [[1, 2], [0, 3]]: 4 + 1 + 2 = 7 rows, 4 + 0 + 3 = 7 columns
    node = trace_of(one_layer("{type: zeropad, padding: [[1, 2], [0, 3]]}", "h: 4, w: 4")).nodes[-1]
    assert node.output == (2, 7, 7)


@pytest.mark.parametrize(
    ("padding", "words"),
    [
        ("[[2, 0, 1]]", "give one [before, after] pair per dimension"),
        ("[[2, -1]]", "each side is a whole number of at least 0, got -1"),
        ("[[2, 0], 1]", "give one [before, after] pair per dimension"),
    ],
)
def test_a_bad_pair_is_a_positioned_error(padding: str, words: str) -> None:
    text = one_layer(f"{{type: pad, padding: {padding}}}")
    with pytest.raises(SpecError) as caught:
        trace_of(text)
    col = text.split("\n")[3].index("[[") + 1
    assert str(caught.value).startswith(f"net.yaml:4:{col}: layer 1 (pad): padding: "), str(caught.value)
    assert words in str(caught.value)


def test_the_built_pad_and_conv_match_pytorch() -> None:
    needs_module("torch")
    from cnncalc.verify import verify

    text = (
        "name: t\ninput: {l: 8, c: 2}\nlayers:\n"
        "  - {type: pad, padding: [[2, 0]], mode: reflect}\n"
        "  - {type: conv1d, filters: 4, kernel: 3, padding: [[2, 0]]}\n"
    )
    assert verify(trace_of(text), "cpu").agrees


def test_the_schema_takes_pairs() -> None:
    jsonschema = needs_module("jsonschema")
    import yaml

    from cnncalc.schema import spec_schema

    validator = jsonschema.Draft202012Validator(spec_schema())
    assert validator.is_valid(yaml.safe_load(one_layer("{type: pad, padding: [[2, 0]]}")))
    assert validator.is_valid(yaml.safe_load(one_layer("{type: conv1d, filters: 2, kernel: 3, padding: [[2, 0]]}")))
    assert not validator.is_valid(yaml.safe_load(one_layer("{type: pad, padding: [[2, 0, 1]]}")))
