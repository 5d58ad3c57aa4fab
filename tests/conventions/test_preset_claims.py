"""A claimed total that is another tool's count (or a paper's rounding of it) is explained."""

from __future__ import annotations

from pathlib import Path

from helpers import ROOT, run


def _resnet50_claiming(tmp_path: Path, claim: str) -> Path:
    text = (ROOT / "specs" / "resnet50.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "resnet50.yaml"
    spec.write_text(text.split("\nexpect:")[0] + f"\nexpect:\n  total: {{{claim}}}\n", encoding="utf-8")
    return spec


def test_a_paper_rounding_of_fvcore_is_explained_as_fvcore(tmp_path: Path) -> None:
    # 4.11G: fvcore's 4,111,512,576 (the number) to three digits; cnncalc's is 4,089,184,256.
    result = run("check", str(_resnet50_claiming(tmp_path, "macs: 4.11G")))
    assert result.returncode == 1
    assert "claimed 4,110,000,000, computed 4,089,184,256" in result.stdout
    assert "rounds 4,111,512,576, fvcore's count of MACs" in result.stdout
    assert "batchnorm 2 per element (+22,227,968)" in result.stdout


def test_an_exact_thop_total_is_explained_as_thop(tmp_path: Path) -> None:
    # thop 0.1.1 on the --verify build of this spec gave 4,133,742,592 MACs (run by hand, and by
    # tests/conventions/test_conventions_tools.py where thop is installed): batchnorm 4 per element.
    result = run("check", str(_resnet50_claiming(tmp_path, "macs: 4133742592")))
    assert "4,133,742,592 is thop's count of MACs" in result.stdout


def test_keras_parameters_are_explained(tmp_path: Path) -> None:
    # Keras counts the 53,120 moving means and variances as parameters.
    result = run("check", str(_resnet50_claiming(tmp_path, "params: 25610152")))
    assert "25,610,152 is keras's count of params" in result.stdout


def test_an_unrelated_round_number_gets_no_story(tmp_path: Path) -> None:
    result = run("check", str(_resnet50_claiming(tmp_path, "macs: 4.2G")))
    assert result.returncode == 1
    assert "count of" not in result.stdout
