"""Expressions in spec values (cnncalc.spec.expr): their arithmetic, their bounds, and
every attempt to reach Python refused with a positioned message.

Fixtures mark where an error must be reported with `@@` (removed before parsing); the
expected `line:col` is computed from that mark, never copied from output.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import assert_error_at_mark, position

from cnncalc.engine import propagate
from cnncalc.figures import totals
from cnncalc.spec import loads_spec
from cnncalc.spec.expr import MAX_LENGTH, MAX_NODES, ExpressionError, evaluate, make_divisible

ROOT = Path(__file__).resolve().parent.parent


def block_spec(value: str, args: str = "{k: 3}") -> str:
    """A spec whose block's conv has `padding: VALUE` (VALUE may hold the @@ mark)."""
    return (
        "name: t\n"
        "input: {h: 8, w: 8, c: 3}\n"
        "blocks:\n"
        "  unit:\n"
        f"    args: {args}\n"
        "    layers:\n"
        f"      - {{type: conv, filters: 4, kernel: 3, padding: {value}}}\n"
        "layers:\n"
        "  - {type: unit}\n"
    )


# --- The arithmetic -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("k // 2", 3),  # 7 // 2
        ("k / 2", 3.5),
        ("k % 4", 3),
        ("k ** 2", 49),
        ("-k + 1", -6),
        ("k * 2 - 1", 13),
        ("min(k, 4, 9)", 4),
        ("max(k, 9)", 9),
        ("round(2.5)", 2),  # Python's banker's rounding, as torchvision's int(round(...)) sees it
        ("round(k / 3, 2)", 2.33),
        ("ceil(k / 2)", 4),
        ("floor(k / 2)", 3),
        ("k > 5 and k < 10", True),
        ("k == 7 or k == 1", True),
        ("not k == 7", False),
        ("1 < k < 7", False),  # chained, as in Python
        ("k if k > 5 else 0", 7),
        ("act == 'relu'", True),
        ("true and not false", True),  # YAML's spelling of the booleans
    ],
)
def test_an_expression_evaluates_as_python_would(source: str, value: object) -> None:
    assert evaluate(source, {"k": 7, "act": "relu"}) == value


# torchvision's _make_divisible (models/_utils.py), worked by hand:
#   v=32*0.25=8, d=8: int(8+4)//8*8 = 8; 8 >= 7.2 -> 8
#   v=10, d=8: int(14)//8*8 = 8; 8 < 9.0 -> 8 + 8 = 16
#   v=3, d=8: max(8, int(7)//8*8=0) = 8
#   v=3, d=8, min_value=4: max(4, 0) = 4; 4 >= 2.7 -> 4
#   v=100, d=8: int(104)//8*8 = 104; -> 104
#   v=36, d=8: int(40)//8*8 = 40 -> 40 (rounds to the nearest multiple, up on a tie)
@pytest.mark.parametrize(
    ("call", "value"),
    [
        ("make_divisible(32 * 0.25, 8)", 8),
        ("make_divisible(10, 8)", 16),
        ("make_divisible(3, 8)", 8),
        ("make_divisible(3, 8, min_value=4)", 4),
        ("make_divisible(3, 8, 4)", 4),
        ("make_divisible(100, 8)", 104),
        ("make_divisible(36, 8)", 40),
    ],
)
def test_make_divisible_is_torchvisions(call: str, value: int) -> None:
    assert evaluate(call, {}) == value


def test_make_divisible_matches_the_torchvision_formula_over_a_range() -> None:
    def reference(v: float, divisor: int, min_value: int | None = None) -> int:
        # torchvision.models._utils._make_divisible, written out here as its source reads.
        if min_value is None:
            min_value = divisor
        new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
        if new_v < 0.9 * v:
            new_v += divisor
        return new_v

    for tenths in range(1, 5000, 7):
        for divisor in (4, 8, 16):
            assert make_divisible(tenths / 10, divisor) == reference(tenths / 10, divisor)


# --- A whole value and text -----------------------------------------------------------


def test_a_whole_expression_is_a_number_so_padding_k_works() -> None:
    # The old bug: `padding: "${k}"` stayed the string "3" and was refused.
    trace = propagate(loads_spec(block_spec('"${k}"'), "spec.yaml"), "spec.yaml")
    assert trace.nodes[-1].output == (4, 12, 12)  # 8 + 2*3 - 3 + 1 = 12


def test_an_expression_inside_text_is_written_into_it() -> None:
    text = block_spec("1").replace("{type: conv,", "{name: 'conv${k * 2}', type: conv,")
    trace = propagate(loads_spec(text, "spec.yaml"), "spec.yaml")
    assert "unit.1.conv6" in trace.names


def test_a_default_may_be_an_expression_over_the_arguments() -> None:
    text = block_spec("$pad", args='{k: 5, pad: "${k // 2}"}').replace("kernel: 3", "kernel: $k")
    trace = propagate(loads_spec(text, "spec.yaml"), "spec.yaml")
    assert trace.nodes[-1].output == (4, 8, 8)  # 8 + 2*2 - 5 + 1 = 8: same padding from k // 2


def test_the_networks_own_layers_take_constant_expressions() -> None:
    text = "name: t\ninput: {h: 8, w: 8, c: 3}\nlayers:\n  - {type: conv, filters: '${2 * 8}', kernel: 3}\n"
    trace = propagate(loads_spec(text, "spec.yaml"), "spec.yaml")
    assert totals(trace).params.total == 16 * 3 * 3 * 3 + 16  # 448


# --- Refusals, each at its position ---------------------------------------------------


@pytest.mark.parametrize(
    ("marked", "words"),
    [
        # The refused call starts at the name of the function.
        ("\"${@@__import__('os')}\"", ("function '__import__' is not allowed",)),
        ("\"${@@open('x')}\"", ("function 'open' is not allowed",)),
        ('"${@@k.real}"', ("attribute access",)),
        ('"${@@(1).__class__}"', ("attribute access",)),
        ('"${@@[k][0]}"', ("a subscript",)),
        ('"${@@[k]}"', ("a list",)),
        ('"${(@@lambda: 1)()}"', ("a lambda",)),
        ('"${@@[x for x in (1, 2)]}"', ("a comprehension",)),
        ('"${@@(x for x in (1, 2))}"', ("a comprehension",)),
        ('"${(@@y := 2)}"', ("assignment",)),
        ('"${k @@| 1}"', ("operator '|'",)),
        ('"${@@~k}"', ("operator '~'",)),
        ('"${k @@is 3}"', ("operator 'is'",)),
        # The innermost power is worked out first: 2**99 is refused at its `**`.
        ('"${2**2**2@@**99}"', ("'**'", "exponent 99", "limit of 64")),
        ('"${10**18 @@* 10}"', ("'*'", "larger than the limit")),
        ('"${k @@// 0}"', ("'//' by zero",)),
        ('"${k @@% 0}"', ("'%' by zero",)),
        ('"${k @@/ (k - 3)}"', ("'/' by zero",)),
        ('"${(-8) @@** 0.5}"', ("not a number",)),
        ('"${@@kk + 1}"', ("no name 'kk'", "did you mean 'k'")),
        ("\"${1 + @@'a'}\"", ("'+' takes numbers",)),
        ('"${@@make_divisible(8)}"', ("takes 2 to 3 arguments",)),
        ('"${make_divisible(8, 8, @@mn=1)}"', ("no keyword argument 'mn'",)),
        # In single quotes too: the columns start after the quote.
        ("'${k @@// 0}'", ("by zero",)),
        # Inside longer text: the columns count from the text's start.
        ('"pad${k @@// 0}"', ("by zero",)),
    ],
)
def test_each_refusal_is_positioned_and_names_what_it_refused(marked: str, words: tuple[str, ...]) -> None:
    assert_error_at_mark(block_spec(marked), "in block 'unit'", *words)


def test_a_name_with_no_braces_is_positioned_at_its_value() -> None:
    assert_error_at_mark(block_spec("@@$kk"), "block 'unit' has no argument 'kk'", "did you mean 'k'")


def test_a_syntax_error_is_positioned_in_the_expression() -> None:
    assert_error_at_mark(block_spec('"${@@k +}"'), "syntax error")


def test_an_expression_over_the_length_limit_is_refused_unparsed() -> None:
    long = "+".join(["1"] * (MAX_LENGTH // 2 + 1))
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_LENGTH}"):
        evaluate(long, {})


def test_an_expression_over_the_node_limit_is_refused() -> None:
    many = "+".join(["1"] * (MAX_NODES // 2))  # a BinOp and a Constant per term
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_NODES}"):
        evaluate(many, {})


def test_the_power_bound_keeps_a_tower_cheap() -> None:
    # Refused before any big number is built: the evaluator never computes 2**99 digits away.
    for tower in ("2**2**2**99", "9**9**9", "(10**18)**64", "2.0**1000"):
        with pytest.raises(ExpressionError):
            evaluate(tower, {})
    assert evaluate("1**10**9", {}) == 1  # a base of 1 is harmless whatever the exponent
    assert evaluate("2**59", {}) == 2**59  # under 10**18


def test_nothing_from_python_is_reachable_by_name() -> None:
    for name in ("__builtins__", "__import__", "eval", "os", "print", "True.__class__"):
        with pytest.raises(ExpressionError):
            evaluate(name, {})


def test_results_are_finite() -> None:
    with pytest.raises(ExpressionError):
        evaluate("1e308 * 10", {})
    assert math.isclose(evaluate("1 / 3", {}), 1 / 3)  # type: ignore[arg-type]


def test_the_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    text, line, col = position(block_spec("\"${@@__import__('os').system('touch pwned')}\""))
    (tmp_path / "spec.yaml").write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "cnncalc", "table", "spec.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"spec.yaml:{line}:{col}: "), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]  # nothing ran


@pytest.mark.parametrize(
    "value",
    [
        "${k @@// 0}",  # a plain scalar: the text starts at the value's column
        '"${k @@// 0}"',  # double-quoted: one column later
        "'${k @@// 0}'",
    ],
)
def test_positions_in_block_style_yaml(value: str) -> None:
    marked = (
        "name: t\ninput: {h: 8, w: 8, c: 3}\nblocks:\n  unit:\n    args: {k: 3}\n    layers:\n"
        "      - type: conv\n        filters: 4\n        kernel: 3\n"
        f"        padding: {value}\nlayers:\n  - type: unit\n"
    )
    assert_error_at_mark(marked, "'//' by zero")


def test_adversarial_expressions_are_refused_by_their_limits() -> None:
    # Each is refused by a limit before any large number is made (the result's size, its
    # finiteness, 200 parts), not by how long it runs; 100 nested parentheses are fine.
    refused = []
    for source in (
        "make_divisible(1e18, 1e-300)",
        "(10**18)**64",
        "1.0e18 ** 64",
        "-" * 400 + "1",
        "not " * 120 + "1",
        "(" * 100 + "1" + ")" * 100,
        "max(" + ",".join(["10**18"] * 60) + ")",
    ):
        try:
            evaluate(source, {})
        except ExpressionError:
            refused.append(True)
        else:
            refused.append(False)
    assert refused == [True, True, True, True, True, False, True]
