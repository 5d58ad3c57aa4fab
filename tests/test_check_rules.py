"""Every rule: its registry entry, its docstring examples, and the cases in tests/rule_cases/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cnncalc.check import Config, check_file
from cnncalc.findings import Finding
from cnncalc.rules import rules

CASES_DIR = Path(__file__).parent / "rule_cases"


def run(tmp_path: Path, text: str, name: str = "spec.yaml", config: Config | None = None) -> list[Finding]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return check_file(str(path), config or Config())


def test_registry_codes_names_levels() -> None:
    found = rules()
    assert len(found) >= 15
    for code, module in found.items():
        assert re.fullmatch(r"CNC\d{3}", code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", module.rule.name)
        assert module.rule.level in ("error", "warning", "info")
        assert module.summary.endswith("."), f"{code}: the summary is one sentence"
    names = {m.rule.name for m in found.values()}
    for wanted in (
        "impossible-shape",
        "floor-drops-pixels",
        "asymmetric-same-padding",
        "merge-mismatch",
        "bias-before-batchnorm",
        "dense-without-activation",
        "dropout-before-batchnorm",
        "misplaced-softmax",
        "groups-indivisible",
        "unused-block",
        "duplicate-name",
        "false-claim",
        "limit-exceeded",
    ):
        assert wanted in names


@pytest.mark.parametrize("code", sorted(rules()))
def test_docstring_examples(code: str, tmp_path: Path) -> None:
    module = rules()[code]
    good, bad = module.section("PASS"), module.section("FAIL")
    assert good and bad, f"{code} documents a passing and a failing spec"
    assert [f for f in run(tmp_path, good, "pass.yaml") if f.code == code] == []
    failing = [f for f in run(tmp_path, bad, "fail.yaml") if f.code == code]
    assert len(failing) == 1, failing
    assert failing[0].name == module.rule.name and failing[0].level == module.rule.level


def _cases() -> list[Any]:
    out = []
    for file in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        for i, case in enumerate(data["cases"]):
            out.append(pytest.param(data["rules"], case, id=f"{file.stem}[{i}] {case['title']}"))
    return out


@pytest.mark.parametrize(("codes", "case"), _cases())
def test_rule_case(codes: list[str], case: dict[str, Any], tmp_path: Path) -> None:
    got = [f for f in run(tmp_path, case["spec"]) if f.code in codes]
    want = case.get("expect") or []
    assert [(f.code, f.line) for f in got] == [(w["code"], w["line"]) for w in want], [str(f) for f in got]
    for finding, expected in zip(got, want, strict=True):
        assert expected.get("contains", "") in finding.message


def test_levels_select_and_ignore(tmp_path: Path) -> None:
    spec = "name: x\ninput: {h: 7, w: 7, c: 3}\nlayers:\n  - {type: maxpool, kernel: 2}\n"
    assert [f.level for f in run(tmp_path, spec)] == ["warning"]
    assert [f.level for f in run(tmp_path, spec, config=Config(levels={"CNC104": "error"}))] == ["error"]
    assert run(tmp_path, spec, config=Config(levels={"floor-drops-pixels": "off"})) == []
    assert run(tmp_path, spec, config=Config(ignore=["CNC10"])) == []
    assert run(tmp_path, spec, config=Config(select=["CNC001"])) == []
    assert len(run(tmp_path, spec, config=Config(select=["floor-drops-pixels"]))) == 1


def test_suppressions(tmp_path: Path) -> None:
    body = "input: {h: 7, w: 7, c: 3}\nlayers:\n  - {type: maxpool, kernel: 2}  # cnncalc: ignore[CNC105]\n"
    assert [f.code for f in run(tmp_path, "name: x\n" + body)] == ["CNC104"]  # another code: still reported
    bare = body.replace("ignore[CNC105]", "ignore")
    assert run(tmp_path, "name: x\n" + bare) == []
    assert run(tmp_path, "# cnncalc: ignore-file\nname: x\n" + body) == []
    assert run(tmp_path, "# cnncalc: ignore-file[CNC104, CNC110]\nname: x\n" + body) == []
    assert len(run(tmp_path, "# cnncalc: ignore-file[CNC110]\nname: x\n" + body)) == 1


def test_default_limits_from_config(tmp_path: Path) -> None:
    spec = "name: x\ninput: {features: 100}\nlayers:\n  - {type: dense, units: 100}\n"
    found = run(tmp_path, spec, config=Config(limits={"params": 10_000}))
    assert [(f.code, f.line) for f in found] == [("CNC114", 1)]
    assert "params 10,100 exceed the limit of 10,000 (a default limit from pyproject.toml) by 100" in found[0].message
    # The spec's own limit wins over the default.
    own = spec + "limits: {params: 20000}\n"
    assert run(tmp_path, own, config=Config(limits={"params": 10_000})) == []


def test_a_broken_rule_is_a_finding_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    module = rules()["CNC104"]

    def boom(ctx: object) -> list[Finding]:
        raise RuntimeError("bug")

    monkeypatch.setitem(rules(), "CNC104", dataclasses.replace(module, check=boom))
    found = run(tmp_path, "name: x\ninput: {features: 4}\nlayers:\n  - {type: dense, units: 2}\n  - {type: dense}\n")
    assert {f.code for f in found} == {"CNC000", "CNC001"}
