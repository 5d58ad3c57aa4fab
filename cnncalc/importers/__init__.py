"""Specs written from models people already have (`cnncalc import`)."""

from __future__ import annotations

import re


def is_code_source(source: str) -> bool:
    """Whether a source names PyTorch code, `package.module:callable` or
    `path/to/file.py:callable` (a call with literal arguments too), which importing runs,
    rather than a Hugging Face config or a folder holding one (JSON data). What follows the
    colon is never a path: `C:/models/config.json` is a file."""
    module, colon, attr = source.partition(":")
    return bool(colon and module and attr) and re.search(r"[/\\]", attr) is None and not source.endswith(".json")
