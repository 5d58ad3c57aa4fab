"""Every full spec shown in docs/spec-format.md runs, and its claims hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnncalc.engine import propagate
from cnncalc.figures import check_claims
from cnncalc.spec import loads_spec

DOC = Path(__file__).resolve().parent.parent / "docs" / "spec-format.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
SPECS = [b for b in BLOCKS if b.startswith("name:") and "\nlayers:" in b]


def test_the_doc_has_worked_specs() -> None:
    assert len(SPECS) >= 3


@pytest.mark.parametrize("text", SPECS, ids=[s.split("\n", 1)[0] for s in SPECS])
def test_each_worked_spec_runs_and_its_claims_hold(text: str) -> None:
    trace = propagate(loads_spec(text, "doc.yaml"), "doc.yaml")
    claims, unknown = check_claims(trace)
    assert not unknown
    assert all(c.confirmed for c in claims), [c for c in claims if not c.confirmed]
