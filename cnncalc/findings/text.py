"""`path:line:col: CODE message`, one finding a line, then a summary line.

Given a width (a terminal's), a long finding wraps at spaces, its continuation lines indented,
so that `path:line:col:` still starts the finding's first line for editors to jump to.
"""

from __future__ import annotations

from cnncalc.errors import one_line
from cnncalc.findings import CheckResult, summary
from cnncalc.fit import wrap

INDENT = "    "


def render(result: CheckResult, width: int | None = None) -> str:
    lines = []
    for f in result.findings:
        # one_line: a file name or an echoed value must not split a finding (Finding.__str__ does the same)
        first = one_line(f"{f.path}:{f.line}:{f.col}: {f.code} ")
        lines += wrap(one_line(f.message), width, indent=INDENT, first=first)
    lines += wrap(summary(result), width, indent=INDENT)
    return "\n".join(lines) + "\n"
