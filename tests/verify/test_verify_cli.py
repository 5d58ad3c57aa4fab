"""`cnncalc verify` and `table --verify` on the command line: several files, exit codes, the
specs-only filter, devices, and what is said without torch or numpy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import invoke, trace_of
from needs import needs_module

torch = needs_module("torch")

from test_verify_zoo import GRAPHS  # noqa: E402

from cnncalc.verify import verify  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


# The command line.


def test_verify_takes_several_files_and_table_verify_marks_rows(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(GRAPHS["crop_with_two_inputs"])
    b.write_text(GRAPHS["parallel_with_empty_branch"])
    cli = invoke(["verify", str(a), str(b), "--device", "cpu"])
    assert cli.exit_code == 0, cli.output
    assert cli.output.count("✓") == 2 and f"torch {torch.__version__} on cpu" in cli.output
    table = invoke(["table", str(a), "--verify", "--device", "cpu"])
    assert table.exit_code == 0, table.output
    assert "PyTorch" in table.output and "agrees on all 7 layers" in table.output
    doc = json.loads(invoke(["table", str(a), "--verify", "--format", "json"]).output)
    assert doc["verification"]["agrees"] is True and doc["verification"]["torch_version"] == torch.__version__


def test_verify_disagreement_exits_1_with_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from cnncalc.layers.conv.conv import ConvNd

    original = ConvNd.work  # what a conv states it computes; the convention reads its MACs
    monkeypatch.setattr(
        ConvNd, "work", lambda self, inputs, output: replace(w := original(self, inputs, output), macs=w.macs + 1)
    )
    lenet = str(ROOT / "specs" / "lenet.yaml")
    cli = invoke(["verify", lenet, "--device", "cpu"])
    assert cli.exit_code == 1
    assert "#1 CONV1 (conv)" in cli.output and "352,801" in cli.output and "352,800" in cli.output
    table = invoke(["table", lenet, "--verify", "--device", "cpu"])
    assert table.exit_code == 1 and "✗ MACs" in table.output


def test_unusable_specs_exit_2_after_checking_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninput: {h: 2, w: 2, c: 1}\nlayers:\n  - {type: conv, filters: 1, kernel: 5}\n")
    cli = invoke(["verify", "lenet", str(bad), "nosuchspec", "--device", "cpu"])
    assert cli.exit_code == 2
    assert "✓ lenet" in cli.output and "bad.yaml:4:" in cli.output and "nosuchspec: no such file" in cli.output


def test_specs_only_skips_yaml_that_is_not_a_spec(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yml"
    workflow.write_text("on: push\njobs:\n  test: {runs-on: ubuntu-latest, steps: [{run: pytest}]}\n")
    spec = tmp_path / "net.yaml"
    spec.write_text(GRAPHS["crop_with_two_inputs"])
    # Without the option a workflow is an unusable spec: exit 2.
    assert invoke(["verify", str(workflow), str(spec), "--device", "cpu"]).exit_code == 2
    cli = invoke(["verify", str(workflow), str(spec), "--device", "cpu", "--specs-only"])
    assert cli.exit_code == 0, cli.output
    assert cli.output.count("✓") == 1 and "net.yaml" in cli.output and "ci.yml" not in cli.output
    # A missing file and a bundled name are still looked up, not skipped.
    cli = invoke(["verify", "lenet", str(tmp_path / "gone.yaml"), "--device", "cpu", "--specs-only"])
    assert cli.exit_code == 2 and "✓ lenet" in cli.output and "gone.yaml: no such file" in cli.output
    # The pre-commit hook passes it, as the check hook does.
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert next(h for h in hooks if h["id"] == "cnncalc-verify")["args"] == ["--specs-only"]


def test_specs_only_with_no_spec_left_exits_0_without_torch(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yml"
    workflow.write_text("on: push\n")
    program = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if torch were not installed\n"
        "from cnncalc.cli import main\n"
        "sys.argv = ['cnncalc', *sys.argv[1:]]\n"
        "main()\n"
    )
    args = ["verify", str(workflow), "--specs-only"]
    done = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    done = subprocess.run(
        [sys.executable, "-c", program, *args, "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "[]\n")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is here: --device cuda is expected to work")
def test_device_cuda_without_cuda_exits_2_cleanly() -> None:
    for args in (["verify", "lenet"], ["table", "lenet", "--verify"]):
        cli = invoke([*args, "--device", "cuda"])
        assert cli.exit_code == 2
        assert "no CUDA device" in cli.output and "--device cpu" in cli.output
        assert "Traceback" not in cli.output


def test_auto_picks_cuda_only_when_there() -> None:
    result = verify(trace_of(GRAPHS["add_concat_multiply"]), "auto")
    assert result.device == ("cuda" if torch.cuda.is_available() else "cpu")


def test_without_torch_the_message_names_the_extra() -> None:
    program = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if torch were not installed\n"
        "from cnncalc.cli import main\n"
        "sys.argv = ['cnncalc', *sys.argv[1:]]\n"
        "main()\n"
    )
    for args in (["verify", "lenet"], ["table", "lenet", "--verify"]):
        done = subprocess.run(
            [sys.executable, "-c", program, *args], capture_output=True, text=True, cwd=ROOT, timeout=60
        )
        assert done.returncode == 2, done.stderr
        assert "pip install 'cnncalc[torch]'" in done.stderr and "Traceback" not in done.stderr


def test_without_numpy_torch_warns_nothing_but_other_warnings_still_show() -> None:
    program = (
        "import sys, warnings\n"
        "sys.modules['numpy'] = None  # as if numpy were not installed: torch warns on import\n"
        "from cnncalc.cli import main\n"
        "warnings.warn('another warning')\n"
        "sys.argv = ['cnncalc', 'verify', 'lenet', '--device', 'cpu']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "✓ lenet" in done.stdout
    assert "NumPy" not in done.stderr and "UserWarning: another warning" in done.stderr


def test_importing_one_layer_module_first_still_registers_every_kind() -> None:
    # Found while monkeypatching a formula for this file: `registry()` once loaded the
    # kinds only when none was registered, so importing conv first hid maxpool.
    program = (
        "import cnncalc.layers.conv.conv\n"
        "from cnncalc.layers import modules, registry\n"
        "kinds = {cls.__module__.rsplit('.', 1)[1] for cls in registry().values()}\n"
        "print(sorted(set(modules()) - kinds))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
