"""The JSON Schema of the spec format, for editors (`# yaml-language-server: $schema=...`).

`Spec.layers` is declared `Any` (each layer is validated alone, against the kind its
`type` names), so the schema's layer items are assembled here: every kind in the
registry, each with its `type` const, or a call of one of the spec's blocks.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from cnncalc.layers import registry
from cnncalc.spec.blocks import BlockCall, BlockDef
from cnncalc.spec.model import Spec

_PLACEHOLDER = "x-cnncalc-layer-list"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
REF = "#/$defs/{model}"

# The spellings `_count` and `_bytes` in cnncalc.spec.model accept besides an integer.
_STRING_FORMS = {
    "_count": r"^\s*[0-9]*\.?[0-9]+\s*[KMGTkmgt]?\s*$",
    "_bytes": r"^\s*[0-9]*\.?[0-9]+\s*([KMGTkmgt][iI]?[Bb]|[Bb])?\s*$",
}


def _function_name(schema: Any) -> str:
    function = schema.get("function", {}).get("function")
    return getattr(function, "__name__", "")


class _Generator(GenerateJsonSchema):
    """pydantic's generator, with layer lists and size strings spelt out."""

    def function_after_schema(self, schema: core_schema.AfterValidatorFunctionSchema) -> JsonSchemaValue:
        if _function_name(schema) == "_layer_list":  # the `LayerList` annotation, wherever it is used
            return {_PLACEHOLDER: True}  # pydantic checks `$ref`s as it goes; swapped for one after
        return super().function_after_schema(schema)

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        inner = super().function_before_schema(schema)
        pattern = _STRING_FORMS.get(_function_name(schema))
        if pattern is None:
            return inner
        return {"anyOf": [inner, {"type": "string", "pattern": pattern}]}


def spec_schema() -> dict[str, Any]:
    """The whole schema: the top level is `Spec`; layer kinds and helpers are in `$defs`."""
    kinds = registry()
    models: list[type[BaseModel]] = [Spec, BlockDef, BlockCall, *(kinds[k] for k in sorted(kinds))]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF, schema_generator=_Generator)
    defs: dict[str, Any] = _swap_placeholders(top["$defs"])
    names = {m: m.__name__ for m in models}  # pydantic names defs after the classes

    # A block call's `type` is a block's name: anything but a layer kind (so that a
    # misspelt kind is not taken for a block); its other keys are the block's args.
    call = defs[names[BlockCall]]
    call["properties"]["type"] = {
        "type": "string",
        "not": {"enum": sorted(kinds)},
        "description": "The name of one of the spec's blocks.",
    }
    call["description"] = "A use of one of the spec's `blocks:`; its other keys are the block's args."
    # A layer with an expression in a field (`filters: "${4 * (i + 1)}"`, a repeated layer's
    # copy index or a network argument) is only sketched: `cnncalc` checks it once worked out.
    defs["LayerWithExpressions"] = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": sorted(kinds)}},
        "not": {"additionalProperties": {"not": {"type": "string", "pattern": r"^\$\w+$|\$\{[^}]*\}"}}},
        "description": "A layer with `$name` or `${expression}` in a field other than `type`.",
    }
    defs["LayerKind"] = {
        "anyOf": [{"$ref": REF.format(model=names[kinds[k]])} for k in sorted(kinds)],
        "description": "One layer: `type` names its kind.",
    }
    own = [{"$ref": "#/$defs/LayerKind"}, {"$ref": "#/$defs/LayerWithExpressions"}]
    defs["Layer"] = {"anyOf": [*own, {"$ref": REF.format(model=names[BlockCall])}]}
    defs["LayerList"] = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Layer"}}
    # In a block's body any value may be `$arg` or hold `${arg}`, so its layers are only
    # sketched here; `cnncalc` checks each one, positioned, where the block is used.
    block_layers = defs[names[BlockDef]]["properties"]["layers"]
    block_layers.pop("$ref")
    block_layers.update(
        type="array",
        minItems=1,
        items={"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}},
    )

    schema: dict[str, Any] = {"$schema": DIALECT, **defs.pop(names[Spec])}
    schema["title"] = "cnncalc spec"
    # Without `blocks:` nothing can be a block call, so a misspelt `type` fails here too.
    schema["if"] = {"not": {"required": ["blocks"]}}
    schema["then"] = {"properties": {"layers": {"items": {"anyOf": own}}}}
    schema["$defs"] = dict(sorted(defs.items()))
    return schema


def _swap_placeholders(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get(_PLACEHOLDER):
            rest = {k: v for k, v in node.items() if k != _PLACEHOLDER}
            return {**rest, "$ref": REF.format(model="LayerList")}
        return {k: _swap_placeholders(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_swap_placeholders(v) for v in node]
    return node


def render() -> str:
    """The schema as committed in docs/spec.schema.json."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"
