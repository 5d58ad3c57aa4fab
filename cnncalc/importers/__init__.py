"""Specs written from models people already have (`cnncalc import`)."""

from __future__ import annotations

import re

# `package.module:callable` or `path/to/file.py:callable`: PyTorch code, not a config.
_CODE = re.compile(r"(?:[A-Za-z_][\w.]*|.+\.py):[A-Za-z_][\w.]*")


def is_code_source(source: str) -> bool:
    """Whether an `imported: {source: ...}` names PyTorch code (which importing runs)
    rather than a Hugging Face config (JSON data)."""
    return _CODE.fullmatch(source) is not None and not source.endswith(".json")
