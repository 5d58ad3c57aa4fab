"""JSON for any other consumer: every finding with its fingerprint, and the counts."""

from __future__ import annotations

import json

from cnncalc.findings import LEVELS, CheckResult, fingerprints, summary

SCHEMA_VERSION = 1


def render(result: CheckResult) -> str:
    findings = [
        {
            "code": f.code,
            "name": f.name,
            "level": f.level,
            "path": f.path,
            "line": f.line,
            "col": f.col,
            "message": f.message,
            "subject": f.subject,
            "fingerprint": print_,
        }
        for f, print_ in zip(result.findings, fingerprints(result.findings), strict=True)
    ]
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": "cnncalc",
        "files": result.files,
        "findings": findings,
        "summary": {
            **{f"{level}s" if level != "info" else level: result.count(level) for level in LEVELS},
            "files": len(result.files),
            "files_with_findings": len(result.files_with_findings()),
            "text": summary(result),
        },
    }
    return json.dumps(document, indent=2) + "\n"
