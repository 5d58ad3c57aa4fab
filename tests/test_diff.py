"""`cnncalc diff`: numbers checked by hand from the dense formula (in * units + units)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import run

from cnncalc.diff import Threshold, ThresholdError, compare, parse_threshold
from cnncalc.engine import propagate
from cnncalc.spec import loads_spec

ROOT = Path(__file__).resolve().parent.parent

LENET = """\
name: lenet
input: {h: 32, w: 32, c: 3}
layers:
  - {name: CONV1, type: conv, filters: 6, kernel: 5, activation: relu}
  - {name: POOL1, type: maxpool, kernel: 2, stride: 2}
  - {name: CONV2, type: conv, filters: 16, kernel: 5, activation: relu}
  - {name: POOL2, type: maxpool, kernel: 2, stride: 2}
  - {type: flatten}
  - {name: FC3, type: dense, units: FC3_UNITS, activation: relu}
  - {name: FC4, type: dense, units: 84, activation: relu}
  - {name: Softmax, type: dense, units: 10, activation: softmax}
"""

# FC3 sees the 5*5*16 = 400 flattened values.
FC3_120 = 400 * 120 + 120
FC3_100 = 400 * 100 + 100
FC4_AFTER_120 = 120 * 84 + 84
FC4_AFTER_100 = 100 * 84 + 84


def lenet(units: int) -> str:
    return LENET.replace("FC3_UNITS", str(units))


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(*args, cwd=cwd, env={"NO_COLOR": "1"})


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "old.yaml").write_text(lenet(120))
    (tmp_path / "new.yaml").write_text(lenet(100))
    return tmp_path


def diff_of(old: str, new: str, thresholds: list[Threshold] | None = None) -> Any:
    a = propagate(loads_spec(old, "old.yaml"), "old.yaml")
    b = propagate(loads_spec(new, "new.yaml"), "new.yaml")
    return compare(a, b, thresholds)


def test_lenet_fc3_at_100_units() -> None:
    result = diff_of(lenet(120), lenet(100))
    changed = {row.label: row for row in result.layers if row.status != "same"}
    assert set(changed) == {"FC3", "FC4"}
    assert changed["FC3"].params.delta == FC3_100 - FC3_120 == -8020
    assert changed["FC4"].params.delta == FC4_AFTER_100 - FC4_AFTER_120 == -1680
    assert changed["FC3"].macs.delta == 400 * 100 - 400 * 120
    assert changed["FC4"].macs.delta == 100 * 84 - 120 * 84
    assert changed["FC3"].memory.delta == (100 - 120) * 4  # float32 bytes of FC3's output
    assert result.total["params"].delta == -8020 - 1680
    assert result.total["macs"].delta == -8000 - 1680
    assert result.total["flops"].delta == 2 * (-8000 - 1680)
    assert result.total["weights"].delta == 4 * (-8020 - 1680)
    assert result.total["memory"].delta == -80  # only FC3's output shrank
    assert not result.failed


def test_unnamed_layers_match_by_kind_and_order_and_added_layers_show() -> None:
    new = lenet(120).replace(
        "  - {name: Softmax", "  - {type: dense, units: 84}\n  - {name: Softmax"
    )  # an extra unnamed 84 -> 84 dense before the classifier
    result = diff_of(lenet(120), new)
    statuses = [(row.label, row.status) for row in result.layers]
    assert ("flatten#1", "same") in statuses  # unnamed: the first flatten at the top level
    added = [row for row in result.layers if row.status == "added"]
    assert len(added) == 1
    assert added[0].params.new == 84 * 84 + 84
    assert result.total["params"].delta == 84 * 84 + 84


def test_cli_json(specs: Path) -> None:
    result = run_cli("diff", "old.yaml", "new.yaml", "--format", "json", cwd=specs)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1
    assert doc["total"]["params"] == {
        "old": 62006,
        "new": 62006 - 9700,
        "change": -9700,
        "percent": round(-9700 / 62006 * 100, 4),
    }
    fc3 = next(layer for layer in doc["layers"] if layer["name"] == "FC3")
    assert fc3["params"]["change"] == -8020
    assert fc3["status"] == "changed"
    assert doc["failed"] is False


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        # new -> old: params grow by 9,700 on 52,306 = 18.545%
        ("params:+18%", 1),
        ("params:+19%", 0),
        ("params:+9700", 0),  # growth equal to the limit passes
        ("params:+9699", 1),
        ("macs:+9.68K", 0),  # MACs grow 8,000 + 1,680 = 9,680
        ("macs:+9.679K", 1),
        ("memory:+80", 0),
        ("memory:+79B", 1),
        ("weights:+38800", 0),
        ("flops:0", 1),
        # The inference peak is at CONV1: every weight plus CONV1's input and output, of which only
        # the weights change, by 4 bytes * 9,700 params = 38,800 bytes.
        ("peak:+38800B", 0),
        ("peak:+38799", 1),
        ("peak:+37.8KiB", 1),  # 37.8 * 1024 = 38,707.2
        # One Adam step holds weights, gradients and two moments: at least 4 * 38,800 more bytes.
        ("train_peak:+1GiB", 0),  # the README's example
        ("train_peak:+150KiB", 1),  # 153,600 < 155,200
    ],
)
def test_cli_fail_on(specs: Path, rule: str, code: int) -> None:
    result = run_cli("diff", "new.yaml", "old.yaml", "--fail-on", rule, cwd=specs)
    assert result.returncode == code, result.stdout + result.stderr
    assert ("FAIL" in result.stdout) == (code == 1)


def test_cli_markdown_for_step_summary(specs: Path) -> None:
    result = run_cli("diff", "new.yaml", "old.yaml", "-f", "markdown", "--fail-on", "params:+5%", cwd=specs)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("### cnncalc diff")
    assert "| params | 52,306 (52.3 k) | 62,006 (62 k) | +9,700 | +18.54% |" in lines
    assert any(line.startswith("| FC3 | dense | changed | 48,120 | +8,020 |") for line in lines)
    assert lines[-1].startswith("- ❌ params:+5%")


def test_cli_plain_table(specs: Path) -> None:
    result = run_cli("diff", "old.yaml", "new.yaml", cwd=specs)
    assert result.returncode == 0
    fc3 = next(line.split() for line in result.stdout.splitlines() if line.startswith("FC3"))
    assert fc3[:5] == ["FC3", "dense", "changed", "40,100", "-8,020"]


def test_cli_table_totals_show_bytes_in_binary_units(specs: Path) -> None:
    result = run_cli("diff", "old.yaml", "new.yaml", cwd=specs)
    assert result.returncode == 0
    rows = {line[:18].strip(): line[18:].split("  ") for line in result.stdout.splitlines()}
    cells = {label: [cell.strip() for cell in cells if cell.strip()] for label, cells in rows.items()}
    # weights: 62,006 * 4 = 248,024 B = 242.2 KiB; 52,306 * 4 = 209,224 B = 204.3 KiB;
    # -38,800 B = -37.9 KiB; -9,700 / 62,006 = -15.64%
    assert cells["weights memory"] == ["242.2 KiB", "204.3 KiB", "-37.9 KiB", "-15.64%"]
    assert cells["activation memory"][2] == "-80 B"  # FC3's 20 outputs fewer, 4 bytes each
    assert cells["params"][:3] == ["62,006", "52,306", "-9,700"]  # counts stay exact


def test_cli_fail_on_help_lists_every_metric_and_its_units(specs: Path) -> None:
    from cnncalc.diff import BYTE_METRICS, METRICS

    result = run_cli("diff", "--help", cwd=specs)
    text = " ".join(result.stdout.split())
    start = text.index("--fail-on METRIC:+AMOUNT")
    helped = text[start : text.index("--all", start)]
    for metric in METRICS:
        assert re.search(rf"\b{metric}\b", helped), metric
    bytes_part = helped[helped.index("memory") :]
    assert all(metric in bytes_part for metric in BYTE_METRICS)
    assert "KiB" in bytes_part and "GiB" in bytes_part


def test_cli_bad_input(specs: Path) -> None:
    (specs / "broken.yaml").write_text(lenet(120).replace("type: flatten", "type: flaten"))
    result = run_cli("diff", "old.yaml", "broken.yaml", cwd=specs)
    assert result.returncode == 2
    line = lenet(120).splitlines().index("  - {type: flatten}") + 1
    assert result.stderr.startswith(f"broken.yaml:{line}:12: ")
    for bad in ("parms:+5%", "params:+5X", "params:+5MiB", "params"):
        result = run_cli("diff", "old.yaml", "new.yaml", "--fail-on", bad, cwd=specs)
        assert result.returncode == 2, bad
        assert "Traceback" not in result.stderr


def test_parse_threshold() -> None:
    assert parse_threshold("params:+5%") == Threshold("params:+5%", "params", 5.0, True)
    assert parse_threshold("macs:+1G").amount == 10**9
    assert parse_threshold("memory:+64MiB").amount == 64 * 2**20
    assert parse_threshold("memory:+1.5GB").amount == 1.5e9
    assert parse_threshold("MACS: 2k").amount == 2000
    assert parse_threshold("train_peak:+1GiB").amount == 2**30
    assert parse_threshold("peak:+64MiB").amount == 64 * 2**20
    for count_metric in ("params", "macs", "flops"):
        with pytest.raises(ThresholdError, match="is a count, not bytes"):
            parse_threshold(f"{count_metric}:+1GiB")
    with pytest.raises(ThresholdError, match="did you mean 'params'"):
        parse_threshold("parms:+5%")


def test_layers_inside_blocks_match_by_block_and_kind() -> None:
    spec = """
name: r
input: {h: 16, w: 16, c: 8}
blocks:
  cbr:
    args: {filters: 8}
    layers:
      - {type: conv, filters: $filters, kernel: 3, padding: 1, bias: false}
      - {type: batchnorm, activation: relu}
layers:
  - {type: cbr, repeat: 2}
  - {type: conv, filters: 8, kernel: 1}
  - {type: cbr, filters: 16}
"""
    # Insert a layer at the top: every position shifts, but each block's layers still pair up.
    result = diff_of(
        spec,
        spec.replace("layers:\n  - {type: cbr, repeat: 2}", "layers:\n  - {type: relu}\n  - {type: cbr, repeat: 2}"),
    )
    changed = {row.label: row.status for row in result.layers if row.status != "same"}
    assert changed == {"relu#1": "added"}
    assert "cbr.3/conv#1" in {row.label for row in result.layers}
