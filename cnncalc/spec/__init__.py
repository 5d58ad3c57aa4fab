"""Reading a spec: YAML with positions -> validated `Spec`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cnncalc.errors import SpecError
from cnncalc.spec import loader
from cnncalc.spec.locate import diagnostics
from cnncalc.spec.model import Spec


def from_data(raw: Any, path: str) -> Spec:
    """Validate located YAML data as a spec; SpecError with positions otherwise."""
    if raw is None:
        raise SpecError.at(path, None, "empty spec: expected a mapping with name, input and layers")
    if not isinstance(raw, dict):
        raise SpecError.at(path, loader.mark_of(raw), "a spec is a mapping with name, input and layers")
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(diagnostics(exc, raw, path, Spec)) from None
    spec._raw = raw
    return spec


def load_spec(path: str | Path) -> Spec:
    """Read and validate the spec file at `path`."""
    return from_data(loader.load(path), str(path))


def loads_spec(text: str, path: str = "<string>") -> Spec:
    return from_data(loader.loads(text, path), path)
