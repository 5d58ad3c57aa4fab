"""CNC122 import-drift and CNC123: a spec written by `cnncalc import` checked against its source again.

The expected differences are worked by hand from GPT-2's layout (tests/test_import_hf.py has
the whole model's totals): one pre-norm block 768 wide with a 3,072 feed-forward holds
4*768*768 + 4*768 (attention) + 2*768*3072 + 3072 + 768 (feed-forward) + 4*768 (two
layernorms) = 7,087,872 params and, at 128 tokens, 4*128*768*768 + 2*128*128*768 +
2*128*768*3072 = 931,135,488 MACs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import cli
from needs import needs_module

from cnncalc.importers import is_code_source

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


# PyTorch code: checked again only where pyproject.toml allows running it.

NETS = Path(__file__).parent / "data" / "torch_code" / "nets.py"


def imported_code(tmp_path: Path) -> Path:
    """tests/data/torch_code/nets.py's make_functional (classes=5) imported into specs/f.yaml."""
    needs_module("torch")
    (tmp_path / "specs").mkdir()
    shutil.copy(NETS, tmp_path / "nets.py")
    args = ("import", "nets.py:make_functional", "--shape", "3x32x32", "--arg", "classes=5", "-o", "specs/f.yaml")
    code, _, err = cli(*args, cwd=tmp_path)
    assert code == 0, err
    return tmp_path / "specs" / "f.yaml"


def test_code_is_recorded_with_its_shape_and_arguments(tmp_path: Path) -> None:
    spec = imported_code(tmp_path)
    assert 'imported: {source: "../nets.py:make_functional", shape: "3x32x32", args: {classes: 5}}' in spec.read_text()


def test_code_is_not_run_again_unless_the_repository_allows_it(tmp_path: Path) -> None:
    spec = imported_code(tmp_path)
    (tmp_path / "nets.py").write_text("raise SystemExit('this code must not run')\n")
    code, out, _ = cli("check", "specs/f.yaml", cwd=tmp_path)
    line, col = imported_line(spec)
    assert code == 0  # CNC123 is information, not an error
    assert f"specs/f.yaml:{line}:{col}: CNC123 imported from PyTorch code '../nets.py:make_functional'" in out
    assert "CNC122" not in out


def test_allowed_code_that_changed_is_drift(tmp_path: Path) -> None:
    spec = imported_code(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.cnncalc]\nrun-imports = true\n")
    code, out, _ = cli("check", "specs/f.yaml", cwd=tmp_path)
    assert (code, "CNC122" in out, "CNC123" in out) == (0, False, False), out
    nets = tmp_path / "nets.py"
    nets.write_text(nets.read_text().replace("nn.Linear(8, classes)", "nn.Linear(8, classes + 1)"))
    code, out, _ = cli("check", "specs/f.yaml", cwd=tmp_path)
    line, col = imported_line(spec)
    # The head 8 -> 5 becomes 8 -> 6: one more row of 8 weights and a bias (9 params), 8 MACs.
    assert code == 1
    assert out.startswith(f"specs/f.yaml:{line}:{col}: CNC122 ")
    assert "params 5,133 here, 5,142 from the source; MACs 1,622,056 here, 1,622,064 from the source" in out
    assert "layers 'fc' (5 here, 6 from the source)" in out


def test_run_imports_must_be_a_boolean(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.cnncalc]\nrun-imports = "yes"\n')
    (tmp_path / "net.yaml").write_text("name: n\ninput: {features: 4}\nlayers:\n  - {type: dense, units: 2}\n")
    code, _, err = cli("check", "net.yaml", cwd=tmp_path)
    assert code == 2
    assert "run-imports must be true or false" in err


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("torchvision.models:resnet50", True),
        ("../nets.py:make_functional", True),
        ("models/net.py:Net.build", True),
        ("torchvision.models:resnet50(num_classes=10)", True),  # a call, as --against takes it
        ("config.json", False),
        ("../gpt2/config.json", False),
        ("gpt2", False),
        ("C:/models/config.json", False),
    ],
)
def test_code_sources_are_told_from_configs(source: str, code: bool) -> None:
    assert is_code_source(source) is code
