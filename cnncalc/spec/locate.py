"""pydantic validation errors -> one positioned, readable message per bad value."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from cnncalc.errors import START, Diagnostic, closest, did_you_mean
from cnncalc.spec.loader import mark_of


def _walk(raw: Any, loc: tuple[Any, ...]) -> tuple[Any, Any, tuple[Any, ...]]:
    """Follow `loc` through the located data: (container, last key, the data path)."""
    container: Any = None
    key: Any = None
    path: tuple[Any, ...] = ()
    node = raw
    for part in loc:
        is_key = isinstance(node, dict) and part in node
        is_index = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if is_key or is_index:
            container, key, node = node, part, node[part]
            path += (part,)
        elif isinstance(part, int) or isinstance(node, dict):
            break  # a missing key or index: the path ends here
        # else a union member's tag (`list[constrained-int]`): not data, skip it
    return container, key, path


def _fields(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(model: type[BaseModel] | None, path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of `path`, for field-name hints."""
    for part in path[:-1]:
        field = model.model_fields.get(part) if model is not None and isinstance(part, str) else None
        annotation = field.annotation if field is not None else None
        candidates = (annotation, *getattr(annotation, "__args__", ()))
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def diagnostics(
    error: ValidationError, raw: Any, path: str, model: type[BaseModel] | None, context: str = ""
) -> list[Diagnostic]:
    """One diagnostic per offending value; union alternatives for one value are merged."""
    seen: dict[tuple[Any, ...], Diagnostic] = {}
    meant: list[tuple[Any, ...]] = []  # fields that an unknown field's did-you-mean names
    missing: set[tuple[Any, ...]] = set()
    located = [(err, *_walk(raw, tuple(err["loc"]))) for err in error.errors(include_url=False)]
    # Of a union's complaints about one value, the one reaching deepest into it is the
    # useful one (`kernel: [0, 2]`: item 0 must be > 0, rather than "not an int").
    located.sort(key=lambda item: -len(item[3]))
    for err, container, key, data_path in located:
        if err["type"] != "missing" and any(
            seen_path[: len(data_path)] == data_path and seen_path not in missing for seen_path in seen
        ):
            continue  # another member of a union complaining about the same value
        kind = err["type"]
        if kind == "extra_forbidden":
            mark = mark_of(container, key, of_key=True)
            owner = _model_at(model, data_path)
            message = f"unknown field '{key}'{did_you_mean(str(key), _fields(owner))}"
            guess = closest(str(key), _fields(owner))
            if guess is not None:
                meant.append((*data_path[:-1], guess))
        elif kind == "missing":
            field = err["loc"][-1]
            mark = mark_of(container, key) if data_path else mark_of(raw)
            message = f"missing field '{field}'"
            data_path = (*data_path, field)
            missing.add(data_path)
        else:
            # A dict key that fails validation (a block's name) is reported at the key.
            mark = mark_of(container, key, of_key=err["loc"][-1:] == ("[key]",))
            where = ".".join(str(p) for p in data_path) or "value"
            # The whole spec's own rule (`input:` or `inputs:`) says what it is about.
            message = _message(err) if not err["loc"] and model is not None else f"{where}: {_message(err)}"
        if context:
            message = f"{context}: {message}"
        seen[data_path] = Diagnostic(path, mark or mark_of(raw) or START, message)
    # `kernal: 5` also leaves `kernel` missing: the typo is the one thing to report.
    for field_path in meant:
        if field_path in missing:
            seen.pop(field_path, None)
    return sorted(seen.values(), key=lambda d: d.mark)


# pydantic's errors for a value that is not a whole number, or not a number.
_WHOLE_NUMBER = frozenset({"int_type", "int_parsing", "int_from_float"})
_NUMBER = frozenset({"float_type", "float_parsing"})


def _message(err: Any) -> str:
    text = str(err["msg"])
    if text.startswith("Value error, "):
        return text[len("Value error, ") :]
    value = err.get("input")
    if err["type"] == "literal_error":
        choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        from cnncalc.layers.api import did_you_mean as meant  # `activation: swish` -> silu

        return f"'{value}' is not one of {', '.join(choices)}{meant(str(value), choices)}"
    if err["type"] in _WHOLE_NUMBER and not isinstance(value, (dict, list)):
        return f"expected a whole number, got {value!r}"  # once, not pydantic's two clauses
    if err["type"] in _NUMBER and not isinstance(value, (dict, list)):
        return f"expected a number, got {value!r}"
    if isinstance(value, (dict, list)):
        return f"{text[0].lower()}{text[1:]}"
    return f"{text[0].lower()}{text[1:]}, got {value!r}"
