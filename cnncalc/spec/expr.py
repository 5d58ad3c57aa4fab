"""The safe expression language of spec values: `"${k // 2}"`, `"${make_divisible(c * 0.25, 8)}"`.

An expression is parsed by Python's own parser (`ast.parse(mode="eval")`, which only
builds a tree) and then walked here, node by node, against a whitelist: numbers,
strings, booleans, the names given, `+ - * / // % **`, comparisons, `and or not`,
`x if c else y`, and the functions in `FUNCTIONS`. Nothing is ever compiled or run
by Python: there is no `eval`, no attribute access, no subscript, no lambda, no
comprehension, so no path from a spec to Python's objects.

It is bounded in size (`MAX_LENGTH` characters, `MAX_NODES` tree nodes, which also
bounds the depth of the walk) and in time (every value stays within `MAX_MAGNITUDE`,
and an exponent within `MAX_EXPONENT`, so no step can build a huge number).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from cnncalc.errors import did_you_mean

MAX_LENGTH = 500
MAX_NODES = 200
MAX_EXPONENT = 64
MAX_MAGNITUDE = 10**18

Value = int | float | bool | str | None


class ExpressionError(Exception):
    """An expression that cannot be evaluated; `offset` is the 0-based character in its text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision's `_make_divisible` (models/_utils.py): `v` rounded to the nearest
    multiple of `divisor`, at least `min_value` (default `divisor`), and never more
    than 10% below `v`."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:  # make sure that rounding down does not go down by more than 10%
        new_v += divisor
    return new_v


def _round(x: float, ndigits: int | None = None) -> float | int:
    if ndigits is not None and not -MAX_EXPONENT <= ndigits <= MAX_EXPONENT:
        raise ValueError(f"round's digits {ndigits} is outside -{MAX_EXPONENT}..{MAX_EXPONENT}")
    return round(x) if ndigits is None else round(x, ndigits)


# name -> (function, fewest positional arguments, most, keyword arguments it takes)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None, frozenset[str]]] = {
    "min": (min, 2, None, frozenset()),
    "max": (max, 2, None, frozenset()),
    "round": (_round, 1, 2, frozenset()),
    "ceil": (math.ceil, 1, 1, frozenset()),
    "floor": (math.floor, 1, 1, frozenset()),
    "make_divisible": (make_divisible, 2, 3, frozenset({"min_value"})),
}

_BINARY: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", operator.pow),
}
_COMPARE: dict[type[ast.cmpop], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
# What each refused construct is called in a message.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Starred: "a starred argument",
    ast.NamedExpr: "an assignment (:=)",
    ast.JoinedStr: "an f-string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}
_OPERATOR_NAMES = {
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


def evaluate(source: str, names: Mapping[str, Any]) -> Value:
    """The value of `source` with `names` bound; ExpressionError, with its offset, otherwise."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(source)} characters; the limit is {MAX_LENGTH}")
    if not source.strip():
        raise ExpressionError("empty expression")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1 + (len(source) - len(source.lstrip()))
        raise ExpressionError(f"syntax error: {exc.msg}", max(0, min(offset, len(source) - 1))) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # a NUL character; nesting too deep
        raise ExpressionError(f"cannot parse: {exc}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise ExpressionError(f"expression has {count} parts; the limit is {MAX_NODES}")
    return _Walker(source, names).value(tree.body)


def names_in(source: str) -> frozenset[str]:
    """The names an expression reads (empty when it does not parse: evaluating it says why)."""
    if len(source) > MAX_LENGTH:
        return frozenset()
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


class _Walker:
    def __init__(self, source: str, names: Mapping[str, Any]) -> None:
        self.source = source
        self.lead = len(source) - len(source.lstrip())
        self.encoded = source.strip().encode("utf-8")
        self.names = names

    def offset(self, node: ast.AST) -> int:
        # ast columns count UTF-8 bytes; a person counts characters.
        column = getattr(node, "col_offset", 0)
        return self.lead + len(self.encoded[:column].decode("utf-8", errors="ignore"))

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(message, self.offset(node))

    def fail_at_operator(self, node: ast.BinOp, symbol: str, message: str) -> ExpressionError:
        """An error at the operator of `node` (the `**` of `2**99`)."""
        return self.fail_between(node.left, node.right, symbol, message)

    def fail_between(self, left: ast.expr, right: ast.expr, symbol: str, message: str) -> ExpressionError:
        """An error at `symbol`, found in the text between two operands (else at the left one)."""
        start, end = left.end_col_offset or left.col_offset, right.col_offset
        at = self.encoded.find(symbol.encode("utf-8"), start, end)
        if at < 0:
            return self.fail(left, message)
        return ExpressionError(message, self.lead + len(self.encoded[:at].decode("utf-8", errors="ignore")))

    def value(self, node: ast.expr) -> Value:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            what = _REFUSED.get(type(node), f"'{type(node).__name__}'")
            raise self.fail(node, f"{what} is not allowed in an expression")
        result: Value = method(node)
        return self.bounded(node, result)

    def bounded(self, node: ast.AST, result: Any) -> Value:
        if result is not None and not isinstance(result, (bool, int, float, str)):
            raise self.fail(node, f"the result {result!r} is not a number")  # (-8) ** 0.5 is complex
        if isinstance(result, float) and not math.isfinite(result):
            raise self.fail(node, f"the result {result} is not a finite number")
        if isinstance(result, (int, float)) and not isinstance(result, bool) and abs(result) > MAX_MAGNITUDE:
            raise self.fail(node, f"the result is larger than the limit of 10**{len(str(MAX_MAGNITUDE)) - 1}")
        return result

    def number(self, node: ast.expr, what: str) -> int | float:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"{what} takes numbers, not {_describe(value)}")
        return value

    def _Constant(self, node: ast.Constant) -> Value:
        if node.value is None or isinstance(node.value, (bool, int, float, str)):
            return node.value
        raise self.fail(node, f"the constant {node.value!r} is not allowed in an expression")

    def _Name(self, node: ast.Name) -> Value:
        if node.id in ("true", "false"):  # YAML's spelling
            return node.id == "true"
        if node.id not in self.names:
            hint = did_you_mean(node.id, list(self.names))
            known = f" (names: {', '.join(sorted(self.names))})" if self.names and not hint else ""
            raise self.fail(node, f"no name '{node.id}'{hint}{known}")
        value = self.names[node.id]
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise self.fail(node, f"'{node.id}' is {_describe(value)}, not a number or a string")
        return value

    def _BinOp(self, node: ast.BinOp) -> Value:
        entry = _BINARY.get(type(node.op))
        if entry is None:
            refused = _OPERATOR_NAMES.get(type(node.op), "?")
            raise self.fail_at_operator(node, refused, f"the operator '{refused}' is not allowed")
        symbol, function = entry
        left = self.value(node.left)
        right = self.value(node.right)
        if symbol == "+" and isinstance(left, str) and isinstance(right, str):
            return self.bounded_text(node, left + right)
        left = self._as_number(node.left, left, symbol)
        right = self._as_number(node.right, right, symbol)
        if symbol == "**" and abs(right) > MAX_EXPONENT and abs(left) > 1:
            message = f"'**' with the exponent {right} is over the limit of {MAX_EXPONENT}"
            raise self.fail_at_operator(node, symbol, message)
        try:
            result = function(left, right)
        except ZeroDivisionError:
            raise self.fail_at_operator(node, symbol, f"'{symbol}' by zero") from None
        except (OverflowError, ValueError) as exc:
            raise self.fail_at_operator(node, symbol, f"'{symbol}': {exc}") from None
        try:
            return self.bounded(node, result)
        except ExpressionError as exc:
            raise self.fail_at_operator(node, symbol, f"'{symbol}': {exc.message}") from None

    def bounded_text(self, node: ast.AST, text: str) -> str:
        if len(text) > MAX_LENGTH:
            raise self.fail(node, f"the text is longer than {MAX_LENGTH} characters")
        return text

    def _as_number(self, node: ast.expr, value: Value, symbol: str) -> int | float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"'{symbol}' takes numbers, not {_describe(value)}")
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> Value:
        if isinstance(node.op, ast.Not):
            return not self.value(node.operand)
        if isinstance(node.op, ast.USub):
            return -self.number(node.operand, "'-'")
        if isinstance(node.op, ast.UAdd):
            return +self.number(node.operand, "'+'")
        raise self.fail(node, f"the operator '{_OPERATOR_NAMES.get(type(node.op), '?')}' is not allowed")

    def _BoolOp(self, node: ast.BoolOp) -> Value:
        # Python's short-circuit rules: `and` gives the first false value, `or` the first true one.
        result: Value = None
        for operand in node.values:
            result = self.value(operand)
            if bool(result) != isinstance(node.op, ast.And):
                return result
        return result

    def _Compare(self, node: ast.Compare) -> Value:
        left = self.value(node.left)
        before = node.left
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            entry = _COMPARE.get(type(op))
            if entry is None:
                refused = _OPERATOR_NAMES.get(type(op), "?")
                raise self.fail_between(before, comparator, refused, f"the operator '{refused}' is not allowed")
            before = comparator
            symbol, function = entry
            right = self.value(comparator)
            try:
                holds = function(left, right)
            except TypeError:
                raise self.fail(node, f"'{symbol}' cannot compare {_describe(left)} with {_describe(right)}") from None
            if not holds:
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Value:
        return self.value(node.body) if self.value(node.test) else self.value(node.orelse)

    def _Call(self, node: ast.Call) -> Value:
        if not isinstance(node.func, ast.Name):
            return self.value(node.func)  # attribute access, a lambda...: refused with their own message
        name = node.func.id
        if name not in FUNCTIONS:
            hint = did_you_mean(name, list(FUNCTIONS))
            raise self.fail(node, f"the function '{name}' is not allowed{hint} (functions: {', '.join(FUNCTIONS)})")
        function, fewest, most, keywords = FUNCTIONS[name]
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise self.fail(argument, "a starred argument is not allowed in an expression")
        if not fewest <= len(node.args) <= (most if most is not None else len(node.args)):
            want = f"{fewest}" if fewest == most else f"{fewest} to {most}" if most else f"at least {fewest}"
            raise self.fail(node, f"{name}() takes {want} arguments, got {len(node.args)}")
        given: dict[str, int | float] = {}
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg not in keywords:
                shown = "**" if keyword.arg is None else keyword.arg
                raise self.fail(keyword, f"{name}() takes no keyword argument '{shown}'")
            given[keyword.arg] = self.number(keyword.value, f"{name}()")
        args = [self.number(a, f"{name}()") for a in node.args]
        try:
            return function(*args, **given)  # type: ignore[no-any-return]
        except (ValueError, OverflowError, ZeroDivisionError, TypeError) as exc:
            raise self.fail(node, f"{name}(): {exc}") from None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "null"
    return type(value).__name__
