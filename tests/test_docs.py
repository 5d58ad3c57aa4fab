"""Every full spec shown in docs/spec-format.md runs, and its claims hold; every generated
artifact of docs/ (the schema, rules.md, the kind table) is fresh."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from cnncalc import docs
from cnncalc.engine import propagate
from cnncalc.figures import check_claims
from cnncalc.spec import loads_spec

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "spec-format.md"
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


def test_every_generated_artifact_is_fresh() -> None:
    # The one command a person runs after changing a kind, a rule or the spec's models.
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc.docs", "--check"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


def test_the_kind_table_has_one_row_per_kind_of_the_registry() -> None:
    from cnncalc.layers import kinds

    table = docs.kind_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(kinds())
    assert "| `maxpool` | pool | `kernel (required)`, `stride=None`, `padding=0`," in table


def test_a_changed_kind_makes_the_committed_page_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    # A kind's new docstring must reach docs/spec-format.md (and the schema's description):
    # the check sees the difference.
    from cnncalc.layers import layer_class

    tanh = layer_class("tanh")
    assert tanh is not None
    monkeypatch.setattr(tanh, "__doc__", "A new description.")
    assert docs.stale() == [ROOT / "docs" / "spec.schema.json", ROOT / "docs" / "spec-format.md"]
    assert "| `tanh` | activation | (none) | A new description. |" in docs.with_kind_table(DOC.read_text())
