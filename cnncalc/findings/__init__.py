"""Lint findings and their output formats (`cnncalc check --format`).

One module per format, each with `render(result) -> str`, listed in `cnncalc.output`
with every other renderer; a module is imported only when chosen.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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
    # Where CI paths (SARIF, GitHub, JUnit) start (`--root`); None: see `report_root`.
    root: str | None = None

    def count(self, level: str) -> int:
        return sum(f.level == level for f in self.findings)

    def files_with_findings(self) -> list[str]:
        return sorted({f.path for f in self.findings})


def report_root(result: CheckResult) -> Path:
    """Where the CI formats' paths start: `--root`; else git's top level above the current
    folder; run from outside any repository, the one holding the first spec checked; else
    the current folder. CI (GitHub, GitLab, Jenkins) places files relative to the checkout,
    whichever folder the step runs in."""
    from cnncalc.files import repository_root

    if result.root is not None:
        return Path(os.path.abspath(result.root))
    cwd = Path.cwd()
    found = repository_root(cwd)
    for path in result.files if found is None else []:
        found = repository_root(Path(os.path.abspath(path)).parent)
        if found is not None:
            break
    return found or cwd


def under_root(path: str, root: Path) -> PurePosixPath | None:
    """`path` relative to `root`, where the file lies under it; else None."""
    full = Path(os.path.abspath(path))
    # As named first (a link inside the repository stays there), then with links resolved
    # (a root or a current folder reached through one).
    for base, target in ((root, full), (Path(os.path.realpath(root)), Path(os.path.realpath(full)))):
        try:
            return PurePosixPath(target.relative_to(base).as_posix())
        except ValueError:
            continue
    return None


def root_paths(result: CheckResult) -> dict[str, str]:
    """Each file's path as CI shows it: relative to `report_root` with `/`, or absolute
    where the file lies outside it."""
    root = report_root(result)
    shown = {}
    for path in [*result.files, *(f.path for f in result.findings)]:
        relative = under_root(path, root)
        shown[path] = str(relative) if relative is not None else os.path.abspath(path)
    return shown


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
