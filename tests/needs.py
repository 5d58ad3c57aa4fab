"""What a test needs from the machine, and what happens when it is missing.

On a developer's machine a missing optional tool skips the tests that need it. In CI
(`CI` set, as every CI service does, and as .ci/run does) the test requirements are
installed by definition, so a missing one is a failure: a skip there would hide, say,
torch dropping out of requirements-test.txt behind a green run.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(what: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"{what} is missing, and CI needs it: install requirements-test.txt", pytrace=False)
    pytest.skip(f"{what} is missing", allow_module_level=True)


def needs_module(name: str) -> ModuleType:
    """`pytest.importorskip(name)`, except that in CI a missing module fails."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"the Python module {name!r}")


def needs_executable(name: str) -> str:
    """The path of the executable `name`; a skip where it is missing, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        _missing(f"the {name!r} executable")
    return path
