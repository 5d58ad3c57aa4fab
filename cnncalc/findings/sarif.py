"""SARIF 2.1.0 (OASIS), as GitHub code scanning reads it.

One run; the driver lists every rule (id, name, descriptions, help, default level);
each result has ruleId and ruleIndex, a level, a message and a physical location with a
relative URI. Columns count Unicode code points (`columnKind`), as cnncalc's do.
`partialFingerprints` holds cnncalc's own key: a hash of code, path, subject and message
without line numbers, so that an alert survives lines inserted above it. (GitHub
computes `primaryLocationLineHash` itself; a tool must not fill that key with its own.)
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from cnncalc import __version__
from cnncalc.findings import CheckResult, fingerprints
from cnncalc.rules import rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "cnncalc/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    """A relative path stays relative (GitHub resolves it against the checkout)."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path.cwd())
        except ValueError:
            return p.as_uri()
    return str(PurePosixPath(*p.parts)) if p.parts else "."


def render(result: CheckResult) -> str:
    modules = list(rules().values())
    index = {m.rule.code: i for i, m in enumerate(modules)}
    descriptors = [
        {
            "id": m.rule.code,
            "name": m.rule.name,
            "shortDescription": {"text": m.summary},
            "fullDescription": {"text": m.description() or m.summary},
            "help": {"text": m.description() or m.summary},
            "defaultConfiguration": {"level": LEVELS[m.rule.level]},
        }
        for m in modules
    ]
    results = []
    for f, print_ in zip(result.findings, fingerprints(result.findings), strict=True):
        item: dict[str, object] = {
            "ruleId": f.code,
            "level": LEVELS[f.level],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {"startLine": f.line, "startColumn": f.col},
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: print_},
        }
        if f.code in index:
            item["ruleIndex"] = index[f.code]
        results.append(item)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cnncalc",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "artifacts": [{"location": {"uri": _uri(p)}} for p in result.files],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
