"""SARIF 2.1.0 (OASIS), as GitHub code scanning reads it.

One run; the driver lists every rule (id, name, descriptions, help, default level);
each result has ruleId and ruleIndex, a level, a message and a physical location.
Columns count Unicode code points (`columnKind`), as cnncalc's do.

A location's URI is relative to the repository root, `%SRCROOT%` in
`originalUriBaseIds` (git's top level above the current folder, found by its `.git`,
or `--root`), whichever folder cnncalc runs in: GitHub maps `sub/x.yaml`, never
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
from cnncalc.files import repository_root
from cnncalc.findings import CheckResult, fingerprints
from cnncalc.rules import rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "cnncalc/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
ROOT_ID = "%SRCROOT%"


def _root(result: CheckResult) -> Path:
    if result.root is not None:
        return Path(os.path.abspath(result.root))
    cwd = Path.cwd()
    return repository_root(cwd) or cwd


def _location(path: str, root: Path) -> dict[str, str]:
    """An artifactLocation: relative to the root where the file lies under it."""
    full = Path(os.path.abspath(path))
    # As named first (a link inside the repository stays there), then with links resolved
    # (a root or a current folder reached through one).
    for base, target in ((root, full), (Path(os.path.realpath(root)), Path(os.path.realpath(full)))):
        try:
            relative = target.relative_to(base)
        except ValueError:
            continue
        return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": ROOT_ID}
    return {"uri": full.as_uri()}


def _base_uri(root: Path) -> str:
    uri = root.as_uri()
    return uri if uri.endswith("/") else uri + "/"  # SARIF: a base URI ends in a slash


def render(result: CheckResult) -> str:
    root = _root(result)
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
