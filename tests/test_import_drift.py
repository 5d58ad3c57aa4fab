"""CNC122 import-drift: a spec written by `cnncalc import` checked against its source again.

The expected differences are worked by hand from GPT-2's layout (tests/test_import_hf.py has
the whole model's totals): one pre-norm block 768 wide with a 3,072 feed-forward holds
4*768*768 + 4*768 (attention) + 2*768*3072 + 3072 + 768 (feed-forward) + 4*768 (two
layernorms) = 7,087,872 params and, at 128 tokens, 4*128*768*768 + 2*128*128*768 +
2*128*768*3072 = 931,135,488 MACs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import cli

HF = Path(__file__).parent / "data" / "hf"
GPT2_PARAMS = 124_439_808
GPT2_MACS = 16_114_089_984
BLOCK_PARAMS = 4 * 768 * 768 + 4 * 768 + 2 * 768 * 3072 + 3072 + 768 + 4 * 768
BLOCK_MACS = 4 * 128 * 768 * 768 + 2 * 128 * 128 * 768 + 2 * 128 * 768 * 3072


def imported(tmp_path: Path) -> Path:
    """GPT-2's config in gpt2/, imported into specs/gpt2.yaml from tmp_path."""
    (tmp_path / "gpt2").mkdir()
    (tmp_path / "specs").mkdir()
    shutil.copy(HF / "gpt2.json", tmp_path / "gpt2" / "config.json")
    code, _, err = cli("import", "gpt2/config.json", "-o", "specs/gpt2.yaml", cwd=tmp_path)
    assert code == 0, err
    return tmp_path / "specs" / "gpt2.yaml"


def imported_line(spec: Path) -> tuple[int, int]:
    """The line and column of the `imported:` source's value."""
    for number, line in enumerate(spec.read_text().splitlines(), 1):
        if line.startswith("imported:"):
            return number, line.index("source: ") + len("source: ") + 1
    raise AssertionError("no imported: line")


def test_the_import_records_its_source_relative_to_the_spec(tmp_path: Path) -> None:
    spec = imported(tmp_path)
    assert 'imported: {source: "../gpt2/config.json", tokens: 128}' in spec.read_text()


def test_an_unchanged_import_is_clean_from_any_folder(tmp_path: Path) -> None:
    spec = imported(tmp_path)
    for cwd in (tmp_path, tmp_path / "specs", tmp_path / "gpt2"):
        code, out, _ = cli("check", str(spec), cwd=cwd)
        assert (code, "CNC122" in out) == (0, False), out


def test_a_changed_config_is_drift_at_the_imported_line(tmp_path: Path) -> None:
    spec = imported(tmp_path)
    config = tmp_path / "gpt2" / "config.json"
    config.write_text(config.read_text().replace('"n_layer": 12', '"n_layer": 11'))
    code, out, _ = cli("check", "specs/gpt2.yaml", cwd=tmp_path)
    line, col = imported_line(spec)
    assert code == 1
    assert out.startswith(f"specs/gpt2.yaml:{line}:{col}: CNC122 ")
    assert f"params {GPT2_PARAMS:,} here, {GPT2_PARAMS - BLOCK_PARAMS:,} from the source" in out
    assert f"MACs {GPT2_MACS:,} here, {GPT2_MACS - BLOCK_MACS:,} from the source" in out
    assert "'h.12' (only in the spec)" in out


def test_a_hand_edited_layer_is_drift_that_names_the_layers(tmp_path: Path) -> None:
    spec = imported(tmp_path)
    spec.write_text(spec.read_text().replace("feedforward: 3072", "feedforward: 3000"))
    code, out, _ = cli("check", "specs/gpt2.yaml", cwd=tmp_path)
    edited = BLOCK_PARAMS - 2 * 768 * 72 - 72  # 72 fewer hidden units: two weights' columns and biases
    assert edited == 6_977_208
    assert code == 1
    assert f"'h.1' ({edited:,} params here, {BLOCK_PARAMS:,} from the source)" in out
    assert "and 9 more" in out  # 12 blocks: three named, nine counted


def test_a_missing_source_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    spec = imported(tmp_path)
    (tmp_path / "gpt2" / "config.json").unlink()
    code, out, err = cli("check", "specs/gpt2.yaml", cwd=tmp_path)
    line, col = imported_line(spec)
    assert (code, err) == (1, "")
    assert f"specs/gpt2.yaml:{line}:{col}: CNC122 cannot import '../gpt2/config.json' again: no such file" in out


def test_a_spec_without_imported_is_not_reimported(tmp_path: Path) -> None:
    spec = imported(tmp_path)
    text = "".join(line for line in spec.read_text().splitlines(True) if not line.startswith("imported:"))
    spec.write_text(text)
    (tmp_path / "gpt2" / "config.json").unlink()
    code, out, _ = cli("check", "specs/gpt2.yaml", cwd=tmp_path)
    assert (code, "CNC122" in out) == (0, False), out
