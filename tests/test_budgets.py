"""Budgets and units: `limits:` on FLOPs, bytes per element of every dtype, and every
count and size suffix, each checked by the outcome a user sees (an exit code, a total)
against numbers worked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke

from cnncalc.diff import parse_threshold
from cnncalc.spec.model import Limits

ROOT = Path(__file__).resolve().parent.parent
LENET = ROOT / "specs" / "lenet.yaml"


def cli(*args: str, cwd: Path) -> tuple[int, str]:
    result = invoke(args, cwd=cwd)
    return result.exit_code, result.output  # stdout and stderr together


def check_with_limits(tmp_path: Path, layer: str, features: int, limits: str) -> tuple[int, str]:
    text = f"name: budget\ninput: {{features: {features}}}\nlayers:\n  - {layer}\nlimits: {limits}\n"
    (tmp_path / "budget.yaml").write_text(text, encoding="utf-8")
    return cli("check", "budget.yaml", cwd=tmp_path)


# A dense layer 400 -> 120: 400*120 = 48,000 MACs, so 2 * 48,000 = 96,000 FLOPs.
FC = "{type: dense, units: 120, activation: relu}"


@pytest.mark.parametrize(
    ("limit", "code"),
    [
        ("60000", 1),  # between the MACs (48,000) and the FLOPs (96,000): over
        ("95999", 1),  # one under the FLOPs
        ("96000", 0),  # exactly the FLOPs: within
        ("100k", 0),  # above
        ("50k", 1),  # above the MACs, under the FLOPs
    ],
)
def test_a_flops_limit_counts_flops_not_macs(tmp_path: Path, limit: str, code: int) -> None:
    exit_code, output = check_with_limits(tmp_path, FC, 400, f"{{flops: {limit}}}")
    assert exit_code == code, output
    if code:
        assert "flops 96,000 FLOPs exceed the limit" in output


@pytest.mark.parametrize(("limit", "code"), [("47999", 1), ("48000", 0), ("60000", 0)])
def test_a_macs_limit_counts_macs(tmp_path: Path, limit: str, code: int) -> None:
    exit_code, output = check_with_limits(tmp_path, FC, 400, f"{{macs: {limit}}}")
    assert exit_code == code, output


# Bytes per element: float32 4, float16 and bfloat16 2, int8 1. LeNet has 62,006 parameters
# and 11,566 activation elements per sample (3,072 + 4,704 + 1,176 + 1,600 + 400 + 400 + 120
# + 84 + 10, every output and the input).
@pytest.mark.parametrize(("dtype", "size"), [("float32", 4), ("float16", 2), ("bfloat16", 2), ("int8", 1)])
def test_bytes_per_element_of_every_dtype(dtype: str, size: int) -> None:
    code, output = cli("table", str(LENET), "--format", "json", "--dtype", dtype, "--batch", "3", cwd=ROOT)
    assert code == 0, output
    total = json.loads(output)["total"]
    assert total["weights_bytes"] == 62_006 * size
    assert total["activation_bytes"] == 3 * 11_566 * size


@pytest.mark.parametrize(("dtype", "size"), [("float32", 4), ("bfloat16", 2), ("int8", 1)])
def test_diff_reads_bytes_in_the_dtype_asked(tmp_path: Path, dtype: str, size: int) -> None:
    old = "name: d\ninput: {features: 10}\nlayers:\n  - {name: fc, type: dense, units: 10}\n"
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(old.replace("units: 10", "units: 20"))
    # Weights grow by (10*20 + 20) - (10*10 + 10) = 110 parameters: 110 * size bytes.
    grown = 110 * size
    args = ("diff", "old.yaml", "new.yaml", "--dtype", dtype, "--fail-on")
    assert cli(*args, f"weights:+{grown}", cwd=tmp_path)[0] == 0
    assert cli(*args, f"weights:+{grown - 1}", cwd=tmp_path)[0] == 1


# Suffixes: counts are decimal (k 10^3, M 10^6, G 10^9, T 10^12); sizes take decimal
# KB/MB/GB/TB and binary KiB/MiB/GiB/TiB (2^10, 2^20, 2^30, 2^40).
COUNTS = [
    ("7", 7),
    ("2k", 2_000),
    ("2K", 2_000),
    ("25M", 25_000_000),
    ("4.1G", 4_100_000_000),
    ("3T", 3_000_000_000_000),
]
SIZES = [
    ("300000", 300_000),
    ("512 B", 512),
    ("2 KB", 2_000),
    ("2 KiB", 2_048),
    ("64 MB", 64_000_000),
    ("64 MiB", 67_108_864),  # 64 * 1,048,576
    ("1.5GB", 1_500_000_000),
    ("1 GiB", 1_073_741_824),
    ("2 TB", 2_000_000_000_000),
    ("1 TiB", 1_099_511_627_776),
]


@pytest.mark.parametrize(("text", "value"), COUNTS)
def test_count_suffixes(text: str, value: int) -> None:
    limits = Limits.model_validate({"params": text, "macs": text, "flops": text})
    assert (limits.params, limits.macs, limits.flops) == (value, value, value)


@pytest.mark.parametrize(("text", "value"), SIZES)
def test_size_suffixes(text: str, value: int) -> None:
    limits = Limits.model_validate({"activation_memory": text, "weights_bytes": text})
    assert (limits.activation_memory, limits.weights_bytes) == (value, value)


@pytest.mark.parametrize(
    ("limit", "code"),
    [
        ('"1 MiB"', 0),  # 511*512 + 512 = 262,144 parameters * 4 bytes = 1,048,576 = 2^20: within
        ('"1 MB"', 1),  # 10^6 < 2^20: over
        ('"1023 KiB"', 1),  # 1,047,552: over by 1,024
        ('"1024 KiB"', 0),
    ],
)
def test_a_mebibyte_limit_by_outcome(tmp_path: Path, limit: str, code: int) -> None:
    exit_code, output = check_with_limits(tmp_path, "{type: dense, units: 512}", 511, f"{{weights_bytes: {limit}}}")
    assert exit_code == code, output


@pytest.mark.parametrize(("limit", "code"), [("1M", 0), ("999999", 1), ("0.9M", 1)])
def test_a_million_parameters_by_outcome(tmp_path: Path, limit: str, code: int) -> None:
    # 999*1000 + 1000 = 1,000,000 parameters exactly.
    exit_code, output = check_with_limits(tmp_path, "{type: dense, units: 1000}", 999, f"{{params: {limit}}}")
    assert exit_code == code, output


def test_a_decimal_threshold_is_exact() -> None:
    # 4.1 * 10**9 in binary floating point is 4,099,999,999.9999995: a growth of exactly
    # 4.1G would cross it.
    assert parse_threshold("macs:+4.1G").amount == 4_100_000_000
    assert parse_threshold("memory:+0.1MiB").amount == 104_857.6  # 2**20 / 10


@pytest.mark.parametrize(
    ("unit", "value"),
    [
        ("", 3),
        ("B", 3),
        ("K", 3_000),
        ("k", 3_000),
        ("M", 3_000_000),
        ("G", 3_000_000_000),
        ("T", 3_000_000_000_000),
        ("KB", 3_000),
        ("MB", 3_000_000),
        ("GB", 3_000_000_000),
        ("Ki", 3 * 2**10),
        ("Mi", 3 * 2**20),
        ("Gi", 3 * 2**30),
        ("Ti", 3 * 2**40),
        ("KiB", 3 * 2**10),
        ("MiB", 3 * 2**20),
        ("GiB", 3 * 2**30),
        ("TiB", 3 * 2**40),
    ],
)
def test_threshold_units(unit: str, value: int) -> None:
    assert parse_threshold(f"memory:+3{unit}").amount == value
    if not unit.endswith(("B", "i")):
        assert parse_threshold(f"macs:+3{unit}").amount == value
