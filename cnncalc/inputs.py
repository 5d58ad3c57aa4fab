"""`--input NAME=VALUE[,VALUE...]`: the spec's input dimensions overridden from the command line.

`--input l=512` runs the network at another sequence length; `--input l=128,1024,4096`
runs it once per value, and `table` prints one totals row each, so that growth with the
length (or an image's size) shows at a glance. Several `--input` options combine: every
combination of their values, in the order given.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pydantic import ValidationError

from cnncalc.spec.loader import mark_of
from cnncalc.spec.model import Spec

FORM = "NAME=VALUE[,VALUE...], for example l=512 or h=224,384"


class InputError(ValueError):
    """An --input option that cannot be used; the message says why (exit 2)."""


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
    given = spec.input.model_dump(exclude_none=True)
    dims = {k: v for k, v in given.items() if k != "batch"}
    where = mark_of(spec.raw, "input") if spec.raw is not None else None
    at = f"{path}:{where.line}:{where.col}" if where is not None else f"{path}:1:1"
    for override in overrides:
        if override.name not in dims:
            raise InputError(
                f"{at}: --input {override.name}: the input has no dimension {override.name!r}; it has {', '.join(dims)}"
            )
    found = []
    for values in itertools.product(*(o.values for o in overrides)):
        changed = {o.name: v for o, v in zip(overrides, values, strict=True)}
        try:
            shaped = type(spec.input).model_validate({**given, **changed})
        except ValidationError as exc:  # a positive int always validates; kept for a future rule
            raise InputError(f"{at}: --input {changed}: {exc.errors()[0]['msg']}") from None
        label = " ".join(f"{k}={v}" for k, v in changed.items())
        found.append(Variant(label, spec.model_copy(update={"input": shaped}), changed))
    return found
