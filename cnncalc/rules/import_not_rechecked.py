"""A spec imported from PyTorch code whose drift `check` does not look for.

Importing PyTorch code runs it, so `cnncalc check` imports a spec's code again (CNC122)
only where the repository allows it: `run-imports = true` under `[tool.cnncalc]` in
pyproject.toml. A spec alone cannot allow it, or a spec in a pull request could run any
code in CI. Where it is not allowed, this says so once per spec, at the `imported:` line.

PASS:

    name: small
    input: {features: 100}
    layers:
      - {type: dense, units: 10}

FAIL:

    name: mlp
    input: {features: 100}
    imported: {source: "mlp.py:build", shape: "100"}
    layers:
      - {type: dense, units: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.importers import is_code_source
from cnncalc.rules import Context, Rule
from cnncalc.spec.loader import mark_of

RULE = Rule("CNC123", "import-not-rechecked", "info")


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.spec is None or ctx.spec.imported is None or ctx.run_imports:
        return
    if not is_code_source(ctx.spec.imported.source):
        return
    raw = ctx.raw.get("imported") if isinstance(ctx.raw, dict) else None
    mark = mark_of(raw, "source") or mark_of(ctx.raw, "imported")
    yield RULE.at(
        ctx,
        mark,
        f"imported from PyTorch code '{ctx.spec.imported.source}': not imported again to look for drift "
        "(that runs the code); pyproject.toml's [tool.cnncalc] run-imports = true allows it",
        "imported",
    )
