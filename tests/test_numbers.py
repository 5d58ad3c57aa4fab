"""Numbers as people write them: YAML 1.2 floats (`eps: 1e-5`), dtypes by their short names
(`--dtype fp16`), and one clean message for a number that must be whole (issue 19)."""

from __future__ import annotations

import pytest
from helpers import wide_cli

from cnncalc.engine import propagate
from cnncalc.errors import Mark, SpecError
from cnncalc.spec import loads_spec
from cnncalc.spec.loader import loads


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-5", 0.00001),
        ("1E5", 100000.0),
        ("5e+3", 5000.0),
        ("-2e-3", -0.002),
        ("1.0e5", 100000.0),  # YAML 1.1 wants a sign in the exponent
        (".5e1", 5.0),
        ("1.5", 1.5),  # as before
        ("3", 3),
    ],
)
def test_yaml_1_2_floats_are_floats(text: str, value: float) -> None:
    data = loads(f"x: {text}\n")
    assert data["x"] == value and type(data["x"]) is type(value)


@pytest.mark.parametrize("text", ["1e", "e5", "'1e-5'", '"1e-5"', "1e-5x", "0x1e"])
def test_what_is_not_a_float_stays_as_it_was(text: str) -> None:
    assert loads(f"x: {text}\n")["x"] == loads(f"x: {text}\n", "p")["x"]
    assert not isinstance(loads(f"x: {text}\n")["x"], float)


def test_marks_after_an_exponent_float_are_where_they_were() -> None:
    data = loads("a: {eps: 1e-5, rate: 1E5, b: x}\n")["a"]
    # `a: {` is 4 characters, `eps: ` 5 more: 1e-5 starts at column 10; `1e-5, rate: ` 12 more.
    assert data.value_marks == {"eps": Mark(1, 10), "rate": Mark(1, 22), "b": Mark(1, 30)}


def test_eps_and_rate_in_exponent_form_are_accepted() -> None:
    text = (
        "name: n\ninput: {l: 4, d: 8}\nlayers:\n"
        "  - {type: layernorm, eps: 1e-5}\n  - {type: dropout, rate: 1e-1}\n  - {type: layernorm, eps: 1e-5, epz: 1}\n"
    )
    with pytest.raises(SpecError) as caught:
        propagate(loads_spec(text, "net.yaml"), "net.yaml")
    # `  - {type: layernorm, eps: 1e-5, ` is 33 characters: the unknown key starts in column 34.
    assert str(caught.value).startswith("net.yaml:6:34: layer 3 (layernorm): unknown field 'epz'")
    trace = propagate(loads_spec(text.rsplit("  - ", 1)[0], "net.yaml"), "net.yaml")
    assert [node.layer.eps for node in trace.nodes if node.kind == "layernorm"] == [0.00001]  # type: ignore[union-attr]
    assert [node.layer.rate for node in trace.nodes if node.kind == "dropout"] == [0.1]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        # `input: {h: ` is 11 characters: 32.5 starts in column 12.
        ("input: {h: 32.5, w: 32, c: 3}", "net.yaml:2:12: input.h: expected a whole number, got 32.5"),
        # `limits: {params: ` is 17 characters.
        (
            "input: {h: 32, w: 32, c: 3}\nlimits: {params: 2.5}",
            "net.yaml:3:18: limits.params: expected a whole number, got 2.5",
        ),
    ],
)
def test_a_fraction_where_a_whole_number_goes_is_said_once(fields: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        loads_spec(f"name: n\n{fields}\nlayers:\n  - {{type: relu}}\n", "net.yaml")
    assert str(caught.value) == message


def test_a_layers_whole_number_field_says_so_too() -> None:
    text = "name: n\ninput: {features: 4}\nlayers:\n  - {type: dense, units: 32.5}\n"
    with pytest.raises(SpecError) as caught:
        propagate(loads_spec(text, "net.yaml"), "net.yaml")
    assert str(caught.value) == "net.yaml:4:26: layer 1 (dense): units: expected a whole number, got 32.5"


@pytest.mark.parametrize(
    ("short", "long"),
    [("fp32", "float32"), ("float", "float32"), ("fp16", "float16"), ("half", "float16"), ("bf16", "bfloat16")],
)
def test_a_dtype_by_its_short_name_is_the_long_one(short: str, long: str) -> None:
    for command in (["table", "lenet", "-f", "json"], ["diff", "lenet", "resnet18"]):
        by_short, by_long = wide_cli(*command, "--dtype", short), wide_cli(*command, "--dtype", long)
        assert by_short == by_long and by_short[0] in (0, 1), (command, by_short)
    train = ["table", "lenet", "-f", "json", "--dtype", "bf16", "--train", "adam", "--master-weights"]
    assert wide_cli(*train, short) == wide_cli(*train, long)
    assert wide_cli(*train, short)[0] == 0


def test_a_dtype_changes_the_bytes() -> None:
    # So that the comparison above is not of outputs that never depend on the dtype.
    assert wide_cli("table", "lenet", "-f", "json", "--dtype", "fp16")[1] != wide_cli("table", "lenet", "-f", "json")[1]
