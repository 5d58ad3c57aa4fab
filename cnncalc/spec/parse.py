"""One located YAML mapping -> a validated layer of the kind its `type` names, or a call
of one of the spec's blocks."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError

from cnncalc.errors import Diagnostic, SpecError, did_you_mean
from cnncalc.layers import kinds, layer_class
from cnncalc.layers._base import Layer, Name
from cnncalc.spec.loader import LocatedDict, LocatedList, mark_of
from cnncalc.spec.locate import diagnostics
from cnncalc.spec.model import BlockDef


class BlockCall(BaseModel):
    """A use of a spec block: `{type: basic, filters: 128, stride: 2}`; other keys are its args."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    type: str
    name: Name | None = None
    source: str | list[str] | None = Field(None, alias="from")
    repeat: PositiveInt = 1

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def content_key(value: Any) -> Hashable:
    """A hashable stand-in for YAML data, equal only for equal data of the same types
    (Python takes `1`, `1.0` and `true` for equal; a strict schema does not)."""
    if isinstance(value, dict):
        return (dict, tuple(((type(k), k), content_key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return (list, tuple(content_key(v) for v in value))
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
    if validated is not None and key in validated:
        return validated[key]
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


_WHOLE = re.compile(r"^\$(\w+)$")
_INNER = re.compile(r"\$\{(\w+)\}")


def substitute(value: Any, args: dict[str, Any], path: str, block: str) -> Any:
    """A located copy of `value` with `$arg` (a whole value) and `${arg}` (inside text) replaced."""

    def one(text: str, where: Any, key: Any) -> Any:
        def lookup(name: str) -> Any:
            if name not in args:
                hint = did_you_mean(name, list(args))
                raise SpecError.at(path, mark_of(where, key), f"block '{block}' has no argument '{name}'{hint}")
            return args[name]

        whole = _WHOLE.match(text)
        if whole:
            return lookup(whole[1])
        return _INNER.sub(lambda m: str(lookup(m[1])), text)

    if isinstance(value, dict):
        out = LocatedDict()
        out.mark = mark_of(value) or getattr(value, "mark", None)  # type: ignore[assignment]
        # The same keys, in the same order: the marks stay aligned with them.
        out.marks = value.marks if isinstance(value, LocatedDict) else []
        for k, v in value.items():
            out[k] = one(v, value, k) if isinstance(v, str) else substitute(v, args, path, block)
        return out
    if isinstance(value, list):
        items = LocatedList()
        items.mark = getattr(value, "mark", None)  # type: ignore[assignment]
        items.item_marks = getattr(value, "item_marks", [])
        for i, v in enumerate(value):
            items.append(one(v, value, i) if isinstance(v, str) else substitute(v, args, path, block))
        return items
    return value


def check_args(call: BlockCall, raw: Any, block: BlockDef, path: str, context: str) -> dict[str, Any]:
    """The call's arguments over the block's defaults; unknown ones are errors."""
    problems = [
        Diagnostic(
            path,
            mark_of(raw, key, of_key=True) or mark_of(raw) or raw.mark,
            f"{context}: block '{call.type}' takes no argument '{key}'{did_you_mean(key, list(block.args))}",
        )
        for key in call.args
        if key not in block.args
    ]
    if problems:
        raise SpecError(problems)
    return {**block.args, **call.args}
