"""JUnit XML for GitLab, Jenkins and the like: one testsuite per file, one failing
testcase per finding (with a unique name: GitLab merges testcases that share one), and
one passing testcase for each clean file."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cnncalc.findings import CheckResult, Finding


def _case_name(f: Finding) -> str:
    return f"{f.code} {f.name} at {f.path}:{f.line}:{f.col}"


def render(result: CheckResult) -> str:
    by_file: dict[str, list[Finding]] = {path: [] for path in result.files}
    for f in result.findings:
        by_file.setdefault(f.path, []).append(f)
    root = ET.Element(
        "testsuites",
        name="cnncalc check",
        tests=str(sum(max(len(fs), 1) for fs in by_file.values())),
        failures=str(len(result.findings)),
        errors="0",
    )
    used: set[str] = set()
    for path, found in by_file.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(max(len(found), 1)),
            failures=str(len(found)),
            errors="0",
            skipped="0",
        )
        if not found:
            ET.SubElement(suite, "testcase", classname=path, name=f"{path} passes every rule", file=path)
            continue
        for f in found:
            name = _case_name(f)
            n = 1
            while name in used:
                n += 1
                name = f"{_case_name(f)} #{n}"
            used.add(name)
            case = ET.SubElement(suite, "testcase", classname=path, name=name, file=path, line=str(f.line))
            failure = ET.SubElement(case, "failure", message=f.message, type=f"{f.code} {f.level}")
            failure.text = str(f)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
