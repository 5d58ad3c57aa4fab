"""JUnit XML for GitLab, Jenkins and the like: one testsuite per file, one testcase per
finding (with a unique name: GitLab merges testcases that share one), and one passing
testcase for each clean file.

Only error-level findings fail (`<failure>`), as only they make `check` exit 1; a warning
or note is a passing testcase that keeps the finding in its `<system-out>` and the level in
the name, which GitLab and Jenkins show. Paths are relative to the repository root
(`cnncalc.findings.report_root`), whichever folder cnncalc runs in."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cnncalc.errors import one_line
from cnncalc.findings import CheckResult, Finding, root_paths


def _case_name(f: Finding, path: str) -> str:
    level = "" if f.level == "error" else f" ({f.level})"
    return f"{f.code} {f.name} at {path}:{f.line}:{f.col}{level}"


def render(result: CheckResult) -> str:
    shown = root_paths(result)
    by_file: dict[str, list[Finding]] = {shown[path]: [] for path in result.files}
    for f in result.findings:
        by_file.setdefault(shown[f.path], []).append(f)
    root = ET.Element(
        "testsuites",
        name="cnncalc check",
        tests=str(sum(max(len(fs), 1) for fs in by_file.values())),
        failures=str(result.count("error")),
        errors="0",
    )
    used: set[str] = set()
    for path, found in by_file.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(max(len(found), 1)),
            failures=str(sum(f.level == "error" for f in found)),
            errors="0",
            skipped="0",
        )
        if not found:
            ET.SubElement(suite, "testcase", classname=path, name=f"{path} passes every rule", file=path)
            continue
        for f in found:
            name = _case_name(f, path)
            n = 1
            while name in used:
                n += 1
                name = f"{_case_name(f, path)} #{n}"
            used.add(name)
            case = ET.SubElement(suite, "testcase", classname=path, name=name, file=path, line=str(f.line))
            text = one_line(f"{path}:{f.line}:{f.col}: {f.code} {f.message}")
            if f.level == "error":
                failure = ET.SubElement(case, "failure", message=f.message, type=f"{f.code} {f.level}")
                failure.text = text
            else:
                ET.SubElement(case, "system-out").text = f"{f.level}: {text}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
