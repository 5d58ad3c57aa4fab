"""Repeats whose copies differ by their index, for `cnncalc import` (torch_code.py).

A stage of Swin blocks alternates its windows' shift (0, 3, 0, 3) and raises its stochastic
depth rate block by block (0.2 * k / 11): the calls are one block, but not identical, so
they do not fold into `repeat:` as they are. Here, consecutive calls of one block whose
differing arguments follow the index `i` of a copy fold into one call with `repeat: n` and
those arguments as expressions: `shift: "${3 * (i % 2)}"`, `rate: "${0.2 * (4 + i) / 11}"`.
An expression is written only when working it out copy by copy gives every value exactly
(the same float operations, in the same order, as Python's), so the spec says what the code
does. Only the network's own layers fold this way (a block's argument cannot carry an
expression in `i` to the layers inside it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any


def worth_a_block(members: list[Any]) -> bool:
    """Whether the calls of one structure (`Instance`s) make a block worth writing: not when
    its body is one layer (the layer reads as well itself), nor when it is a run of calls of
    one block that differ in their arguments (a stage: written in place, the run can fold
    into a repeat with the index, see `fold`)."""
    from cnncalc.importers.torch_code import Instance

    body = members[0].body
    if len(body) <= 1:
        return False
    calls = [layer.get("type") for layer in body]
    if all(isinstance(c, Instance) for c in calls) and len({c.block for c in calls}) == 1:
        return len({repr(sorted(c.args.items())) for c in calls}) == 1
    return True


def fold(layers: list[dict[str, Any]], read: set[str]) -> list[dict[str, Any]]:
    """Runs of calls of one block, each reading the one before, whose arguments differ as
    expressions in the copy's index can say, as one call with `repeat:`. Where a later layer
    reads a copy other than through the next one (WaveNet's skips, `layers_3.skip`), the call
    is named after the container that holds the copies (`layers`) and the reads name the copy
    (`layers.4.skip`), as a person writes them."""
    folded: list[dict[str, Any]] = []
    renamed: dict[str, str] = {}  # a copy's name -> how the folded call reads it
    taken = {"input"} | {str(layer["name"]) for layer in layers if "name" in layer} | read
    start = 0
    while start < len(layers):
        chain = start + 1  # the copies that could fold; the longest run an expression says folds
        while chain < len(layers) and _joins(layers[chain - 1], layers[chain]):
            chain += 1
        end = next((e for e in range(chain, start + 1, -1) if _folded(layers[start:e])), start + 1)
        if end - start == 1:
            folded.append(layers[start])
        else:
            call: dict[str, Any] = _folded(layers[start:end])  # type: ignore[assignment]
            copies = [layer.get("name") for layer in layers[start:end]]
            if any(name in read for name in copies[:-1]):
                call["name"] = _container(layers[start]["type"].scope.path, layers[start + 1]["type"].scope.path, taken)
                call = {"name": call.pop("name"), **call}
                renamed.update({str(n): f"{call['name']}.{k}" for k, n in enumerate(copies, 1) if n is not None})
            folded.append(call)
        start = end
    if renamed:
        for layer in folded:
            if "from" in layer:
                layer["from"] = _reread(layer["from"], renamed)
    return folded


def _container(first: str, second: str, taken: set[str]) -> str:
    """The name of the module holding a stage's copies: `layers` for `layers.0`, `layers.1`."""
    ours, theirs = first.split("."), second.split(".")
    differ = next(i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
    name = "_".join(ours[:differ]) or "stage"
    found, n = name, 2
    while found in taken:
        found, n = f"{name}_{n}", n + 1
    taken.add(found)
    return found


def _reread(source: Any, renamed: dict[str, str]) -> Any:
    """A `from:` with each read of a folded copy (`layers_3`, `layers_3.skip`) as the copy's
    (`layers.4`, `layers.4.skip`)."""
    if isinstance(source, list):
        return [_reread(s, renamed) for s in source]
    base, dot, rest = str(source).partition(".")
    return f"{renamed[base]}{dot}{rest}" if base in renamed else source


def _joins(before: dict[str, Any], layer: dict[str, Any]) -> bool:
    """Whether `layer` can be the next copy after `before`: the same block, the next module
    of the same container, the same output shape, and reading `before` (a copy that other
    layers read too is read as `name.k` once folded, see `fold`)."""
    from cnncalc.importers.torch_code import Instance

    kind, previous = layer.get("type"), before.get("type")
    return (
        isinstance(kind, Instance)
        and isinstance(previous, Instance)
        and kind.block == previous.block
        and _next_in_stage(previous.scope.path, kind.scope.path)
        and _output(previous) == _output(kind)
        and "from" not in layer
        and before.get("repeat") == layer.get("repeat") == 1
    )


def _output(call: Any) -> tuple[int, ...]:
    """The shape a block call gives: copies of a stage give one shape (a network's stages,
    one after another, do not, and do not fold)."""
    last = list(call.scope.ops())[-1]
    return tuple(int(v) for v in last.node.meta["tensor_meta"].shape)


def _next_in_stage(before: str, path: str) -> bool:
    """Whether `path` is the module after `before` in one container (`features.1.0`, then
    `features.1.1`; or the same module inside each, `blocks.2.layers.1.layers`, then
    `blocks.2.layers.2.layers`): only a stage's blocks fold with the index, not any two
    calls of a block that happen to follow each other."""
    ours, theirs = path.split("."), before.split(".")
    differ = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b]
    if len(ours) != len(theirs) or len(differ) != 1:
        return False
    index, previous = ours[differ[0]], theirs[differ[0]]
    return index.isdigit() and previous.isdigit() and int(index) == int(previous) + 1


def _folded(run: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run as one call with `repeat: len(run)`; None when an argument differs in a way
    no expression here says exactly."""
    first = run[0]["type"]
    keys = dict.fromkeys(k for layer in run for k in {**layer["type"].defaults, **layer["type"].args})
    args: dict[str, Any] = {}
    for key in keys:
        values = [layer["type"].args.get(key, layer["type"].defaults.get(key)) for layer in run]
        if all(repr(v) == repr(values[0]) for v in values):
            value: Any = values[0]
        else:
            value = _expression(values)
            if value is None:
                return None
        if repr(value) != repr(first.defaults.get(key)):
            args[key] = value
    name = {k: v for k, v in run[-1].items() if k == "name"}  # a repeated call's name is its last copy's
    source = {k: v for k, v in run[0].items() if k == "from"}
    return {**name, "type": dataclasses.replace(first, args=args), "repeat": len(run), **source}


def _expression(values: list[Any]) -> str | None:
    """`"${...}"` in `i` that gives `values[i]` for each copy exactly; None if none here does."""
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    if all(isinstance(v, int) for v in values):
        return _integers(values)
    return _fractions(values)


def _integers(values: list[int]) -> str | None:
    """a + d * i, a * r ** i (WaveNet's dilations 1, 2, 4, ...), a and b alternating
    (a + (b - a) * (i % 2)), or one of the first two over a period p that repeats
    (`2 ** (i % 10)`: two stacks of dilations 1 ... 512)."""
    found = _over(values, "i")
    if found is not None:
        return "${" + found + "}"
    even, odd = values[0::2], values[1::2]
    if len(set(even)) == 1 and len(set(odd)) == 1:
        return "${" + _sum(values[0], _times(odd[0] - values[0], "(i % 2)")) + "}"
    for period in range(3, len(values) // 2 + 1):  # repeated at least once whole
        if all(v == values[i % period] for i, v in enumerate(values)):
            found = _over(values[:period], f"(i % {period})")
            return None if found is None else "${" + found + "}"
    return None


def _over(values: list[int], term: str) -> str | None:
    """a + d * term or a * r ** term (an integer ratio r of 2 or more) giving `values` exactly."""
    a, d = values[0], values[1] - values[0]
    if all(v == a + d * i for i, v in enumerate(values)):
        return _sum(a, _times(d, term))
    if a != 0 and values[1] % a == 0:
        ratio = values[1] // a
        if ratio >= 2 and all(v == a * ratio**i for i, v in enumerate(values)):
            return _times(a, f"{ratio} ** {term}")
    return None


def _times(factor: int, term: str) -> str:
    return term if factor == 1 else f"{factor} * {term}"


def _sum(start: int, term: str) -> str:
    return term if start == 0 else f"{start} + {term}" if not term.startswith("-") else f"{start} - {term[1:]}"


def _fractions(values: list[Any]) -> str | None:
    """scale * (k + i) / divisor, as a linear schedule of rates is usually computed
    (torchvision: `stochastic_depth_prob * block_id / (total_blocks - 1)`; numpy's linspace
    over a list: `block_id * step`), with a short decimal scale and an integer k."""
    step = float(values[1]) - float(values[0])
    if step == 0:
        return None
    for divisor in range(1, 101):
        for digits in range(1, 7):
            scale = round(step * divisor, digits)
            k = round(values[0] / step) if step else 0
            if scale == 0 or abs(k) > 10_000:
                continue

            def at(i: int, scale: float = scale, k: int = k, divisor: int = divisor) -> float:
                value = scale * (k + i)
                return value / divisor if divisor != 1 else value

            if _every(values, at):
                over = f" / {divisor}" if divisor != 1 else ""
                term = f"({k} + i)" if k > 0 else f"(i - {-k})" if k < 0 else "i"
                return "${" + f"{scale!r} * {term}{over}" + "}"
    return None


def _every(values: list[Any], at: Callable[[int], float]) -> bool:
    return all(repr(float(v)) == repr(at(i)) for i, v in enumerate(values))
