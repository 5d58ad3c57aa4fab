"""`--input NAME=VALUE[,VALUE...]`: the spec's input dimensions overridden from the command line.

`--input l=512` runs the network at another sequence length (every input's that has
one; `--input src.l=512` the input `src`'s alone, where a spec has several `inputs:`); `--input l=128,1024,4096`
runs it once per value, and `table` prints one totals row each, so that growth with the
length (or an image's size) shows at a glance. Several `--input` options combine: every
combination of their values, in the order given.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from cnncalc.errors import START, Mark, did_you_mean
from cnncalc.spec.loader import mark_of
from cnncalc.spec.model import Spec

FORM = "NAME=VALUE[,VALUE...], for example l=512 or h=224,384"


class InputError(ValueError):
    """An --input option that cannot be used; the message says why (exit 2), after the
    position of the spec's input it is about, where it is about one."""

    def __init__(self, message: str, path: str | None = None, mark: Mark | None = None) -> None:
        self.message, self.path, self.mark = message, path, mark
        where = f"{path}:{mark.line}:{mark.col}: " if path is not None and mark is not None else ""
        super().__init__(f"{where}{message}")


@dataclass(frozen=True)
class Override:
    """One `--input` option: a dimension's name and the values to run it at."""

    name: str
    values: tuple[int, ...]


def parse(texts: list[str]) -> list[Override]:
    """`["l=128,512"]` -> [Override("l", (128, 512))]; InputError for anything else."""
    found: list[Override] = []
    for text in texts:
        name, equals, values = text.partition("=")
        name = name.strip()
        if not equals or not name or not values.strip():
            raise InputError(f"--input {text!r}: write {FORM}")
        numbers = []
        for value in values.split(","):
            value = value.strip()
            if not value.isdigit() or int(value) < 1:
                raise InputError(f"--input {text}: {value!r} is not a whole number of at least 1")
            numbers.append(int(value))
        if any(o.name == name for o in found):
            raise InputError(f"--input {name} is given twice; list its values in one option: {name}=128,512")
        found.append(Override(name, tuple(numbers)))
    return found


@dataclass(frozen=True)
class Variant:
    """The spec at one combination of overridden dimensions."""

    label: str  # `l=512`, or `h=224 w=224`
    spec: Spec
    values: dict[str, int]  # {"l": 512}


def variants(spec: Spec, path: str, overrides: list[Override]) -> list[Variant]:
    """The spec once per combination of the overrides' values; InputError, positioned at the
    spec's `input:`, for a dimension the input does not have or a value it refuses."""
    for override in overrides:
        _targets(spec, path, override.name)  # every name checked before any run
    found = []
    for values in itertools.product(*(o.values for o in overrides)):
        changed = {o.name: v for o, v in zip(overrides, values, strict=True)}
        label = " ".join(f"{k}={v}" for k, v in changed.items())
        found.append(Variant(label, resized(spec, path, changed), changed))
    return found


def resized(spec: Spec, path: str, changed: dict[str, int], **update: Any) -> Spec:
    """`spec` with the dimensions `changed` names (`l`: every input's length; `src.l`: the
    input src's alone), and the fields of `update`; InputError for a name it cannot use."""
    inputs = dict(spec.named_inputs)
    for name, value in changed.items():
        for input_name, dim in _targets(spec, path, name):
            given = inputs[input_name].model_dump(exclude_none=True)
            try:
                inputs[input_name] = type(inputs[input_name]).model_validate({**given, dim: value})
            except ValidationError as exc:  # a positive int always validates; kept for a future rule
                raise InputError(f"--input {changed}: {exc.errors()[0]['msg']}", path, _at(spec)) from None
    return spec.with_inputs(inputs, **update)


def _targets(spec: Spec, path: str, name: str) -> list[tuple[str, str]]:
    """(input, dimension) pairs an --input name changes; InputError if none."""
    inputs = spec.named_inputs
    dims = {n: [k for k in i.model_dump(exclude_none=True) if k not in ("batch", "dtype")] for n, i in inputs.items()}
    input_name, dot, dim = name.rpartition(".")
    if dot:  # `src.l`: one input's
        if input_name not in inputs:
            raise InputError(
                f"--input {name}: the network has no input {input_name!r}; "
                f"its inputs are {', '.join(inputs)}{did_you_mean(input_name, list(inputs))}",
                path,
                _at(spec),
            )
        if dim not in dims[input_name]:
            raise InputError(
                f"--input {name}: input {input_name!r} has no dimension {dim!r}; it has {', '.join(dims[input_name])}",
                path,
                _at(spec, input_name),
            )
        return [(input_name, dim)]
    found = [(n, name) for n in inputs if name in dims[n]]
    if found:
        return found
    if len(inputs) == 1:
        (only,) = dims.values()
        message = f"--input {name}: the input has no dimension {name!r}; it has {', '.join(only)}"
        raise InputError(message, path, _at(spec))
    listed = "; ".join(f"{n} has {', '.join(d)}" for n, d in dims.items())
    raise InputError(f"--input {name}: no input has a dimension {name!r} ({listed})", path, _at(spec))


def _at(spec: Spec, input_name: str | None = None) -> Mark:
    """Where the spec gives its `input:` (or `inputs:`, or one of them by name)."""
    raw = spec.raw
    where = None
    if raw is not None:
        if spec.inputs is None:
            where = mark_of(raw, "input")
        elif input_name is not None and isinstance(raw.get("inputs"), dict):
            where = mark_of(raw["inputs"], input_name)
        else:
            where = mark_of(raw, "inputs")
    return where or START
