"""SARIF 2.1.0 (OASIS), as GitHub code scanning reads it.

One run; the driver lists every rule (id, name, descriptions, help, default level);
each result has ruleId and ruleIndex, a level, a message and a physical location.
Columns count Unicode code points (`columnKind`), as cnncalc's do.

A location's URI is relative to the repository root, `%SRCROOT%` in
`originalUriBaseIds` (git's top level above the current folder, found by its `.git`;
run from outside any repository, the one holding the specs; or `--root`:
`cnncalc.findings.report_root`), whichever folder cnncalc runs in: GitHub maps `sub/x.yaml`, never
`../sub/x.yaml`. URIs are percent-encoded (RFC 3986); a file outside the root gets an
absolute `file://` URI.

`partialFingerprints` holds cnncalc's own key: a hash of code, path, subject and message
without line numbers, so that an alert survives lines inserted above it. (GitHub
computes `primaryLocationLineHash` itself; a tool must not fill that key with its own.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from cnncalc import __version__
from cnncalc.findings import CheckResult, fingerprints, report_root, under_root
from cnncalc.rules import rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "cnncalc/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
ROOT_ID = "%SRCROOT%"


def _location(path: str, root: Path) -> dict[str, str]:
    """An artifactLocation: relative to the root where the file lies under it."""
    relative = under_root(path, root)
    if relative is not None:
        return {"uri": quote(str(relative), safe="/"), "uriBaseId": ROOT_ID}
    return {"uri": Path(os.path.abspath(path)).as_uri()}


def _base_uri(root: Path) -> str:
    uri = root.as_uri()
    return uri if uri.endswith("/") else uri + "/"  # SARIF: a base URI ends in a slash


def render(result: CheckResult) -> str:
    root = report_root(result)
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
                        "artifactLocation": _location(f.path, root),
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
                "originalUriBaseIds": {ROOT_ID: {"uri": _base_uri(root)}},
                "columnKind": "unicodeCodePoints",
                "artifacts": [{"location": _location(p, root)} for p in result.files],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
