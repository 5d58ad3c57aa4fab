"""GitHub Actions workflow commands: `::error file=...,line=...,col=...,title=...::message`.

Escaping follows the Actions toolkit (`@actions/core` command.ts): in the message `%`,
CR and LF become `%25`, `%0D`, `%0A`; property values also escape `:` and `,`.
A `file=` is relative to the repository root (`cnncalc.findings.report_root`), as GitHub
places annotations, whichever folder cnncalc runs in.
"""

from __future__ import annotations

from cnncalc.findings import CheckResult, root_paths, summary

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult) -> str:
    lines = []
    shown = root_paths(result)
    for f in result.findings:
        props = {"file": shown[f.path], "line": str(f.line), "col": str(f.col), "title": f"{f.code} {f.name}"}
        text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
        lines.append(f"::{COMMANDS[f.level]} {text}::{escape_data(f.message)}")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"
