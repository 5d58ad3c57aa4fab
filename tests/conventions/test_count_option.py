"""`--count PRESET` beyond `table`: on `diff`, on `check`'s `limits:`, and how `table`
checks claims under it; every number worked by hand from the presets' formulas."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run

# A tiny network fvcore counts differently from cnncalc: conv, then batchnorm.
# conv 3x3, no padding, on 8x8x3 gives 6x6xF: cnncalc's MACs F*6*6*(3*3*3) = 972*F.
# fvcore 0.1.5 adds 2 per element of an affine batchnorm in eval: 2*(6*6*F) = 72*F.
TINY = """\
name: tiny
input: {{h: 8, w: 8, c: 3}}
layers:
  - {{name: c1, type: conv, filters: {filters}, kernel: 3, bias: false}}
  - {{name: bn1, type: batchnorm}}
{extra}"""

OLD_MACS, OLD_FVCORE = 972 * 4, 972 * 4 + 72 * 4  # 3,888 and 4,176
NEW_MACS, NEW_FVCORE = 972 * 8, 972 * 8 + 72 * 8  # 7,776 and 8,352


def tiny(path: Path, filters: int, extra: str = "") -> Path:
    path.write_text(TINY.format(filters=filters, extra=extra))
    return path


def test_diff_count_compares_the_presets_numbers(tmp_path: Path) -> None:
    old, new = tiny(tmp_path / "old.yaml", 4), tiny(tmp_path / "new.yaml", 8)
    document = json.loads(run("diff", str(old), str(new), "--count", "fvcore", "-f", "json").stdout)
    assert document["total"]["macs"]["old"] == OLD_FVCORE
    assert document["total"]["macs"]["new"] == NEW_FVCORE
    assert document["total"]["macs"]["change"] == NEW_FVCORE - OLD_FVCORE  # 4,176
    assert document["count"] == "fvcore"
    assert "fvcore 0.1.5" in document["convention"]
    bn = next(layer for layer in document["layers"] if layer["name"] == "bn1")
    assert bn["macs"]["old"] == 72 * 4 and bn["macs"]["new"] == 72 * 8
    # Without --count: cnncalc's own, and the JSON says so.
    plain = json.loads(run("diff", str(old), str(new), "-f", "json").stdout)
    assert plain["total"]["macs"]["change"] == NEW_MACS - OLD_MACS  # 3,888
    assert plain["count"] is None


def test_diff_count_fail_on_uses_the_presets_growth(tmp_path: Path) -> None:
    old, new = tiny(tmp_path / "old.yaml", 4), tiny(tmp_path / "new.yaml", 8)
    # cnncalc's MACs grow by 3,888, fvcore's by 4,176: a 4,000 budget passes one, fails the other.
    assert run("diff", str(old), str(new), "--fail-on", "macs:+4000").returncode == 0
    counted = run("diff", str(old), str(new), "--fail-on", "macs:+4000", "--count", "fvcore")
    assert counted.returncode == 1, counted.stdout
    assert "macs +4,176" in counted.stdout
    assert "fvcore 0.1.5" in counted.stdout  # the convention line names the preset
    markdown = run("diff", str(old), str(new), "--count", "fvcore", "-f", "markdown").stdout
    assert "fvcore 0.1.5" in markdown


def test_diff_count_rejects_an_unknown_preset(tmp_path: Path) -> None:
    old, new = tiny(tmp_path / "old.yaml", 4), tiny(tmp_path / "new.yaml", 8)
    result = run("diff", str(old), str(new), "--count", "fvcor")
    assert result.returncode == 2
    assert "fvcore" in result.stderr and "Traceback" not in result.stderr


def test_check_limits_count_in_the_spec(tmp_path: Path) -> None:
    # cnncalc's 3,888 MACs are within 4,000; fvcore's 4,176 exceed it by 176 (4.4%).
    spec = tiny(tmp_path / "tiny.yaml", 4, "limits: {macs: 4000, count: fvcore}\n")
    result = run("check", str(spec), "--no-config")
    assert result.returncode == 1, result.stdout
    assert f"{spec}:6:16:" in result.stdout  # at the macs budget: `limits: {macs: 4000` on line 6
    assert "macs 4,176 MACs by fvcore's count exceed the limit of 4,000 by 176 (4.4%)" in result.stdout
    plain = tiny(tmp_path / "plain.yaml", 4, "limits: {macs: 4000}\n")
    assert run("check", str(plain), "--no-config").returncode == 0


def test_check_count_option_measures_limits_that_name_no_count(tmp_path: Path) -> None:
    spec = tiny(tmp_path / "tiny.yaml", 4, "limits: {macs: 4000}\n")
    result = run("check", str(spec), "--no-config", "--count", "fvcore")
    assert result.returncode == 1, result.stdout
    assert "macs 4,176 MACs by fvcore's count exceed" in result.stdout
    # A spec's own count wins: thop charges the batchnorm 4 per element, 3,888 + 4*144 = 4,464.
    named = tiny(tmp_path / "named.yaml", 4, "limits: {macs: 4000, count: thop}\n")
    assert (
        "macs 4,464 MACs by thop's count exceed" in run("check", str(named), "--no-config", "--count", "fvcore").stdout
    )
    # The messages without a count are unchanged: cnncalc's 3,888 against a 3,800 budget.
    tight = tiny(tmp_path / "tight.yaml", 4, "limits: {macs: 3800}\n")
    assert "macs 3,888 MACs exceed the limit of 3,800 by 88 (2.3%)" in run("check", str(tight), "--no-config").stdout


def test_check_limits_count_from_pyproject(tmp_path: Path) -> None:
    spec = tiny(tmp_path / "tiny.yaml", 4)
    (tmp_path / "pyproject.toml").write_text('[tool.cnncalc.limits]\nmacs = 4000\ncount = "fvcore"\n')
    result = run("check", str(spec), "--config", str(tmp_path / "pyproject.toml"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "macs 4,176 MACs by fvcore's count exceed the limit of 4,000 (a default limit" in result.stdout


def test_limits_count_must_name_a_preset(tmp_path: Path) -> None:
    spec = tiny(tmp_path / "tiny.yaml", 4, "limits: {macs: 4000, count: fvcor}\n")
    result = run("table", str(spec))
    assert result.returncode == 2
    assert "'fvcor' is not one of" in result.stderr and "fvcore" in result.stderr
    assert "Traceback" not in result.stderr
    assert run("check", str(spec), "--no-config").returncode == 1


def test_table_count_checks_claims_against_cnncalcs_own(tmp_path: Path) -> None:
    # The spec claims cnncalc's numbers (the spec format's convention); --count fvcore shows
    # fvcore's 4,176 but the claims stay confirmed, and the table says against what.
    spec = tiny(tmp_path / "tiny.yaml", 4, f"expect:\n  total: {{macs: {OLD_MACS}}}\n  c1: {{macs: {OLD_MACS}}}\n")
    result = run("table", str(spec), "--count", "fvcore")
    assert result.returncode == 0, result.stdout
    assert "4,176 MACs" in result.stdout
    assert "2/2 confirmed, checked against cnncalc's own count, not fvcore's" in result.stdout
    # c1's row: fvcore counts the conv as cnncalc does, 3,888, so a plain mark.
    assert "3,888 ✓" in result.stdout and "cnncalc's 3,888" not in result.stdout
    # A claim at fvcore's number is refuted under --count too, and explained as fvcore's count.
    fv = tiny(tmp_path / "fv.yaml", 4, f"expect:\n  total: {{macs: {OLD_FVCORE}}}\n")
    refuted = run("table", str(fv), "--count", "fvcore")
    assert refuted.returncode == 1
    assert "4,176 is fvcore's count" in refuted.stdout


def test_table_count_measures_limits_as_check_count_does(tmp_path: Path) -> None:
    spec = tiny(tmp_path / "tiny.yaml", 4, "limits: {macs: 4000}\n")
    assert "macs 3,888 of 4,000 ✓" in run("table", str(spec)).stdout
    counted = run("table", str(spec), "--count", "fvcore").stdout
    assert "macs 4,176 of 4,000 ✗ over (by fvcore's count)" in counted
    named = tiny(tmp_path / "named.yaml", 4, "limits: {macs: 4000, count: fvcore}\n")
    assert "macs 4,176 of 4,000 ✗ over (by fvcore's count)" in run("table", str(named)).stdout


def test_table_count_row_marks_name_cnncalcs_number_where_the_cell_differs() -> None:
    # LeNet's CONV1 (5x5, 3 -> 6, bias, ReLU) on 32x32: 5*5*3*6 * 28*28 = 352,800 MACs, claimed
    # in specs/lenet.yaml. ptflops adds the bias, 1 per output element (28*28*6 = 4,704), and
    # the ReLU twice per output element (nn.ReLU and F.relu): 352,800 + 4,704 + 2*4,704 = 366,912.
    result = run("table", "lenet", "--count", "ptflops")
    conv1 = next(line for line in result.stdout.splitlines() if "CONV1" in line)
    assert "366,912 ✓ cnncalc's 352,800" in conv1
    assert "456 ✓ " in conv1 and "cnncalc's 456" not in conv1  # params are not recounted: plain ✓
    assert "checked against cnncalc's own count, not ptflops's" in result.stdout


def test_check_limits_count_keras_measures_parameters(tmp_path: Path) -> None:
    # Params: conv 3*3*3*4 = 108, batchnorm 2*4 = 8: 116. Keras adds the moving mean and
    # variance as non-trainable weights, 2*4 = 8: 124, over a 120 budget by 4 (3.3%).
    spec = tiny(tmp_path / "tiny.yaml", 4, "limits: {params: 120, count: keras}\n")
    result = run("check", str(spec), "--no-config")
    assert result.returncode == 1, result.stdout
    assert "params 124 by keras's count exceed the limit of 120 by 4 (3.3%)" in result.stdout


def test_limits_by_a_preset_without_a_number_for_the_network(tmp_path: Path) -> None:
    # calflops 0.3.2 crashes on a 2-D upsample by a scale: no number, so no verdict to give.
    spec = tmp_path / "up.yaml"
    spec.write_text(
        "name: up\ninput: {h: 4, w: 4, c: 2}\nlayers:\n  - {type: upsample, scale: 2}\n"
        "limits: {macs: 1000, count: calflops}\n"
    )
    result = run("check", str(spec), "--no-config")
    assert result.returncode == 1, result.stdout
    assert f"{spec}:5:29: CNC114 the limits cannot be measured: calflops has no count for this network" in result.stdout
    table = run("table", str(spec))
    assert table.returncode == 0, table.stderr
    assert "limits   not measured: calflops has no count for this network" in table.stdout


def test_table_json_names_the_preset_and_keeps_claims_cnncalcs(tmp_path: Path) -> None:
    spec = tiny(tmp_path / "tiny.yaml", 4, f"expect:\n  total: {{macs: {OLD_MACS}}}\n")
    document = json.loads(run("table", str(spec), "--count", "fvcore", "-f", "json").stdout)
    assert document["count"] == "fvcore"
    assert document["total"]["macs"] == OLD_FVCORE  # 4,176: the numbers shown are fvcore's
    assert document["claims"][0]["actual"] == OLD_MACS and document["claims"][0]["confirmed"]  # cnncalc's 3,888
    assert json.loads(run("table", str(spec), "-f", "json").stdout)["count"] is None
