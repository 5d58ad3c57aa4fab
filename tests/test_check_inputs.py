"""`cnncalc check --input`: every spec checked at other input dimensions, its `limits:`
measured there and its `expect:` claims (about its own input) left out. Numbers by hand.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cnncalc.cli import app

# A 1x1 conv1d, 8 channels to 8: MACs = L * 8 * 8 = 64 L; 6,400 at L = 100, 12,800 at L = 200.
SPEC = """\
name: t
input: {l: 100, c: 8}
layers:
  - {type: conv1d, filters: 8, kernel: 1}
expect:
  total: {macs: 6400}
limits: {macs: 10000}
"""
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "CI": "", "GITHUB_ACTIONS": ""}


def run(tmp_path: Path, *args: str, text: str = SPEC) -> tuple[int, str, str]:
    spec = tmp_path / "net.yaml"
    spec.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(spec), *args], env=ENV)
    return result.exit_code, result.stdout.replace(str(spec), "net.yaml"), result.stderr


def test_limits_hold_at_the_specs_own_input(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path)
    assert code == 0, out


def test_limits_are_measured_at_the_given_input(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "--input", "l=200")
    assert code == 1, out
    # 12,800 - 10,000 = 2,800 over, 28.0% of the limit
    assert "net.yaml:7:16: CNC114 macs 12,800 MACs exceed the limit of 10,000 by 2,800 (28.0%)" in out
    # the claim of 6,400 is about l = 100: not checked at l = 200 (it would be refuted)
    assert "CNC1" in out and "6,400" not in out


def test_a_dimension_the_input_lacks_is_a_finding_at_its_input(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "--input", "h=200")
    assert code == 1
    assert "net.yaml:2:8: CNC001 --input h: the input has no dimension 'h'; it has c, l" in out


def test_a_network_that_fails_at_the_input_says_at_which(tmp_path: Path) -> None:
    # a kernel of 5 on a length of 3: no window fits
    code, out, _ = run(tmp_path, "--input", "l=3", text=SPEC.replace("kernel: 1", "kernel: 5"))
    assert code == 1
    assert "(at --input l=3)" in out


def test_several_values_or_a_bad_value_are_unusable(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "--input", "l=100,200")
    assert code == 2
    assert "check runs at one input" in err
    code, _, err = run(tmp_path, "--input", "l=x")
    assert code == 2
    assert "'x' is not a whole number of at least 1" in err
