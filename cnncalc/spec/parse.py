"""One located YAML mapping -> a validated layer of the kind its `type` names, or a call
of one of the spec's blocks."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from pydantic import BaseModel, ValidationError

from cnncalc.errors import SpecError
from cnncalc.layers import kinds, layer_class
from cnncalc.layers.api import Layer, did_you_mean
from cnncalc.spec.blocks import BlockCall, BlockDef
from cnncalc.spec.loader import mark_of
from cnncalc.spec.locate import diagnostics

# The types of YAML's plain values: keyed as they are, without a call (a layer is mostly these).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def content_key(value: Any) -> Hashable:
    """A hashable stand-in for YAML data, equal only for equal data of the same types
    (Python takes `1`, `1.0` and `true` for equal; a strict schema does not)."""
    if isinstance(value, dict):
        return (
            dict,
            tuple([((type(k), k), (type(v), v) if type(v) in _SCALARS else content_key(v)) for k, v in value.items()]),
        )
    if isinstance(value, list):
        return (list, tuple([(type(v), v) if type(v) in _SCALARS else content_key(v) for v in value]))
    return (type(value), value)


def parse_layer(
    raw: Any,
    path: str,
    context: str,
    blocks: dict[str, BlockDef],
    validated: dict[Hashable, Layer | BlockCall] | None = None,
) -> Layer | BlockCall:
    """Validate one layer mapping; every problem is a positioned SpecError naming `context`.

    `validated` remembers layers already validated, by content: layers are frozen, so
    equal mappings (a network repeats its layers a lot) share one model, validated once.
    """
    key = content_key(raw) if validated is not None else None
    if validated is not None:
        known = validated.get(key)
        if known is not None:
            return known
    layer = _validate_layer(raw, path, context, blocks)
    if validated is not None:
        validated[key] = layer
    return layer


def _validate_layer(raw: Any, path: str, context: str, blocks: dict[str, BlockDef]) -> Layer | BlockCall:
    if not isinstance(raw, dict):
        raise SpecError.at(path, mark_of(raw), f"{context}: a layer is a mapping such as {{type: relu}}")
    kind = raw.get("type")
    if not isinstance(kind, str):
        where = mark_of(raw, "type") if "type" in raw else mark_of(raw)
        message = "missing field 'type'" if kind is None else f"type must be a name, got {kind!r}"
        raise SpecError.at(path, where, f"{context}: {message}")
    cls: type[BaseModel] | None = BlockCall if kind in blocks else layer_class(kind)
    if cls is None:
        hint = did_you_mean(kind, [*kinds(), *blocks])
        raise SpecError.at(path, mark_of(raw, "type"), f"{context}: unknown layer type '{kind}'{hint}")
    try:
        return cls.model_validate(raw)  # type: ignore[return-value]
    except ValidationError as exc:
        raise SpecError(diagnostics(exc, raw, path, cls, context), kind=kind) from None
