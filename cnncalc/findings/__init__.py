"""Lint findings and their output formats (`cnncalc check --format`).

One module per format, each with `render(result) -> str`, listed in `cnncalc.output`
with every other renderer; a module is imported only when chosen.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from cnncalc.errors import one_line

LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem at one place in one spec file (line and col 1-based)."""

    code: str
    name: str
    level: str  # error, warning or info
    path: str
    line: int
    col: int
    message: str
    # What the finding is about (a layer's name, `conv#3`, a claim), for fingerprints
    # that survive edits above it.
    subject: str = ""

    def __str__(self) -> str:
        # One line whatever a file name or an echoed value holds.
        return one_line(f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}")


@dataclass
class CheckResult:
    """Everything one `check` run found: the files it read and the findings, in order."""

    files: list[str]
    findings: list[Finding] = field(default_factory=list)
    # Where SARIF URIs start (`--root`); None: git's top level above the current folder.
    root: str | None = None

    def count(self, level: str) -> int:
        return sum(f.level == level for f in self.findings)

    def files_with_findings(self) -> list[str]:
        return sorted({f.path for f in self.findings})


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def summary(result: CheckResult) -> str:
    """`3 errors, 1 warning in 2 of 5 files`, or `no problems in 5 files`."""
    files = plural(len(result.files), "file")
    if not result.findings:
        return f"no problems in {files}"
    parts = [plural(result.count(level), level) for level in LEVELS if result.count(level)]
    return f"{', '.join(parts)} in {len(result.files_with_findings()):,} of {files}"


_LINE_REFERENCES = re.compile(r"\b(lines?|line:|col|column)\s*\d+(\s*-\s*\d+)?", re.IGNORECASE)


def fingerprint(finding: Finding) -> str:
    """A hash of what the finding is, not where: code, file, subject and the message with
    line references removed, so that lines inserted above leave it unchanged."""
    message = _LINE_REFERENCES.sub(r"\1", finding.message)
    key = "\0".join((finding.code, finding.path.replace("\\", "/"), finding.subject, message))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def fingerprints(findings: list[Finding]) -> list[str]:
    """Fingerprints made unique within one run: a repeat gets `:2`, `:3` (in file order)."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        base = fingerprint(f)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}:{seen[base]}")
    return out
