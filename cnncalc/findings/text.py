"""`path:line:col: CODE message`, one finding a line, then a summary line."""

from __future__ import annotations

from cnncalc.findings import CheckResult, summary


def render(result: CheckResult) -> str:
    lines = [str(f) for f in result.findings]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"
