"""`--verify`: every spec, every graph shape and random specs built in PyTorch agree with cnncalc.

The expected numbers here come from PyTorch itself (module parameter counts, forward
shapes, FlopCounterMode / 2), never from cnncalc's own output. The property test draws
random valid specs over every registered layer kind, valid by construction (nothing is
drawn and thrown away); tests/randomness.py says when the draws are new and how to replay
them, and CNNCALC_VERIFY_EXAMPLES raises the example count for a longer run (default 60).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import randomness
import yaml
from needs import needs_module

torch = needs_module("torch")

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from cnncalc.cli import app  # noqa: E402
from cnncalc.engine import Trace, propagate  # noqa: E402
from cnncalc.errors import SpecError  # noqa: E402
from cnncalc.layers import registry  # noqa: E402
from cnncalc.layers.api import Composite, Layer, Params  # noqa: E402
from cnncalc.spec import load_spec, loads_spec  # noqa: E402
from cnncalc.verify import Verification, build_module, verify  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
EXAMPLES = randomness.EXAMPLES
runner = CliRunner()


def trace_of(text: str) -> Trace:
    return propagate(loads_spec(text), "<test>")


def explain(result: Verification, spec: str = "") -> str:
    rows = [f"{d.label} {d.field}: cnncalc {d.computed!r}, torch {d.torch!r}" for d in result.differences()]
    return "\n".join([*rows, spec])


def assert_agrees(trace: Trace, device: str = "cpu", spec: str = "") -> Verification:
    result = verify(trace, device)
    assert result.agrees, explain(result, spec)
    assert result.checked == len(trace.nodes) - 1  # every node was built and run
    return result


# Every spec in the zoo, whatever is there when the tests run.


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_zoo_spec_verifies_on_cpu(path: Path) -> None:
    assert_agrees(propagate(load_spec(path), str(path)))


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_zoo_spec_verifies_on_meta(path: Path) -> None:
    result = assert_agrees(propagate(load_spec(path), str(path)), "meta")
    assert result.device == "meta"


# The numbers themselves, from torch: LeNet's conv by hand and in PyTorch.


def test_lenet_checks_hold_torch_numbers() -> None:
    trace = propagate(load_spec(ROOT / "specs" / "lenet.yaml"), "lenet")
    result = assert_agrees(trace)
    conv = torch.nn.Conv2d(3, 6, 5)
    conv1 = result.nodes[0]
    assert conv1.get("trainable_params").torch == sum(p.numel() for p in conv.parameters()) == 456  # type: ignore[union-attr]
    assert conv1.get("shape").torch == (6, 28, 28)  # type: ignore[union-attr]
    assert conv1.get("macs").torch == 28 * 28 * 6 * 5 * 5 * 3  # type: ignore[union-attr]
    assert result.totals[-1].torch == 651_720
    assert result.torch_version == torch.__version__ and result.device == "cpu" and result.batch == 2


# Graph-level behaviour: merges, composites, blocks, asymmetric padding, crops.

GRAPHS = {
    "add_concat_multiply": """
name: merges
input: {h: 9, w: 9, c: 4}
layers:
  - {name: a, type: conv, filters: 6, kernel: 3, padding: same}
  - {name: b, type: conv, filters: 6, kernel: 1, from: input}
  - {name: s, type: add, from: [a, b]}
  - {name: c, type: concat, from: [s, a, input]}
  - {name: g, type: adaptive_avgpool, size: 1}
  - {type: conv, filters: 16, kernel: 1, activation: sigmoid}
  - {type: multiply, from: [c, g]}
""",
    "residual_every_shortcut": """
name: residuals
input: {h: 12, w: 12, c: 8}
layers:
  - type: residual
    body: [{type: conv, filters: 8, kernel: 3, padding: 1}, {type: batchnorm, activation: relu}]
  - type: residual
    body: [{type: conv, filters: 16, kernel: 3, stride: 2, padding: 1}]
    shortcut: projection
    activation: relu
  - type: residual
    body: [{type: conv, filters: 4, kernel: 3}]
    shortcut: [{type: conv, filters: 4, kernel: 3, bias: false}]
""",
    "parallel_with_empty_branch": """
name: inception
input: {h: 10, w: 10, c: 3}
layers:
  - type: parallel
    branches:
      - []
      - [{type: conv, filters: 5, kernel: 1}]
      - [{type: conv, filters: 2, kernel: 5, padding: same}, {type: relu}]
      - [{type: maxpool, kernel: 3, stride: 1, padding: 1}, {type: conv, filters: 7, kernel: 1}]
  - type: parallel
    merge: add
    activation: relu
    branches: [[{type: conv, filters: 17, kernel: 3, padding: 1}], []]
""",
    "blocks_with_args_and_repeat": """
name: blocks
input: {h: 16, w: 16, c: 3}
blocks:
  stage:
    args: {filters: 8, stride: 1}
    layers:
      - {type: conv, filters: $filters, kernel: 3, stride: $stride, padding: 1, bias: false}
      - {type: batchnorm, activation: relu6}
  outer:
    args: {width: 4}
    layers:
      - {type: stage, filters: $width, repeat: 2}
      - {type: stage, filters: 12, stride: 2}
layers:
  - {type: outer, width: 6, repeat: 2}
  - {type: global_avgpool}
  - {type: dense, units: 3}
""",
    "asymmetric_same_padding": """
name: same
input: {h: 8, w: 7, c: 2}
layers:
  - {type: conv, filters: 3, kernel: [3, 4], stride: 2, padding: same}
  - {type: maxpool, kernel: 2, stride: 2, padding: same}
  - {type: depthwise_conv, kernel: 2, padding: same}
  - {type: avgpool, kernel: 3, stride: 2, padding: same}
""",
    "pool_same_with_dilation": """
name: dilated_pools
input: {h: 7, w: 6, c: 2}
layers:
  - {type: maxpool, kernel: 3, stride: 1, padding: same, dilation: 3}
  - {type: maxpool, kernel: [3, 2], stride: 2, padding: same, dilation: [2, 3]}
""",
    "crop_with_two_inputs": """
name: unet
input: {h: 20, w: 20, c: 2}
layers:
  - {name: skip, type: conv, filters: 4, kernel: 3}
  - {type: maxpool, kernel: 2}
  - {type: conv, filters: 8, kernel: 3}
  - {name: up, type: conv_transpose, filters: 4, kernel: 2, stride: 2}
  - {name: cut, type: crop, from: [skip, up]}
  - {type: concat, from: [cut, up]}
  - {type: conv, filters: 1, kernel: 1}
""",
}


@pytest.mark.parametrize("name", GRAPHS)
def test_graph_verifies(name: str) -> None:
    assert_agrees(trace_of(GRAPHS[name]), spec=GRAPHS[name])


def test_pool_padding_over_half_the_kernel_is_refused_as_pytorch_does(tmp_path: Path) -> None:
    # PyTorch: MaxPool1d(3, padding=2, dilation=2) raises "padding should be at most half
    # of kernel size", although the dilated window is 5 wide.
    with pytest.raises(RuntimeError, match="half of kernel size"):
        torch.nn.MaxPool1d(3, 1, 2, 2)(torch.randn(1, 1, 8))
    spec = tmp_path / "pool.yaml"
    spec.write_text(
        "name: p\ninput: {l: 8, c: 1}\nlayers:\n  - {type: maxpool1d, kernel: 3, padding: 2, dilation: 2}\n"
    )
    cli = runner.invoke(app, ["table", str(spec)])
    assert cli.exit_code == 2 and "pool.yaml:4:" in cli.output and "more than half" in cli.output


def test_avgpool3d_refuses_an_input_smaller_than_its_kernel_as_pytorch_does(tmp_path: Path) -> None:
    # Found by the property test: PyTorch's avg_pool3d checks the unpadded input.
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        torch.nn.AvgPool3d(3, 3, 1)(torch.randn(1, 1, 2, 4, 4))
    assert torch.nn.AvgPool2d(3, 3, 1)(torch.randn(1, 1, 2, 4)).shape == (1, 1, 1, 2)
    spec = tmp_path / "pool.yaml"
    spec.write_text("name: p\ninput: {d: 2, h: 4, w: 4, c: 1}\nlayers:\n  - {type: avgpool3d, kernel: 3, padding: 1}\n")
    cli = runner.invoke(app, ["table", str(spec)])
    assert cli.exit_code == 2 and "pool.yaml:4:" in cli.output and "d=2 is smaller than the 3-wide kernel" in cli.output


def test_a_projection_that_cannot_fit_is_a_positioned_error(tmp_path: Path) -> None:
    # Found by the property test: the composite's own LayerError escaped as an internal error.
    spec = tmp_path / "res.yaml"
    spec.write_text(
        "name: r\ninput: {h: 1, w: 1, c: 1}\nlayers:\n"
        "  - type: residual\n    body: [{type: adaptive_avgpool, size: 2}]\n    shortcut: projection\n"
    )
    cli = runner.invoke(app, ["table", str(spec)])
    assert cli.exit_code == 2 and "res.yaml:6:" in cli.output and "no 1x1 projection" in cli.output


def test_asymmetric_same_padding_puts_the_extra_pixel_bottom_right() -> None:
    trace = trace_of(GRAPHS["asymmetric_same_padding"])
    module = build_module(trace)
    x = torch.randn(1, 2, 8, 7)
    # TensorFlow's rule, by hand: n=8, f=3, s=2 -> total 1 -> (0, 1); n=7, f=4 -> total 3 -> (1, 2).
    padded = torch.nn.functional.pad(x, (1, 2, 0, 1))
    conv = module.nodes[1]
    inner = conv[1] if isinstance(conv, torch.nn.Sequential) else conv
    expected = torch.nn.functional.conv2d(padded, inner.weight, inner.bias, stride=2)
    assert torch.allclose(conv(x), expected)


def test_verify_runs_at_the_batch_asked_and_counts_per_sample() -> None:
    trace = propagate(load_spec(ROOT / "specs" / "lenet.yaml"), "lenet", batch=5)
    result = assert_agrees(trace)
    assert result.batch == 5 and result.totals[-1].torch == 651_720


# A wrong number is caught, and said where.


def test_a_wrong_formula_is_a_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.layers.conv.conv import ConvNd

    monkeypatch.setattr(ConvNd, "params", lambda self, inputs: Params(trainable=1))
    trace = propagate(load_spec(ROOT / "specs" / "lenet.yaml"), "lenet")
    result = verify(trace, "cpu")
    assert not result.agrees
    found = {(d.label, d.field, d.computed, d.torch) for d in result.differences()}
    assert ("#1 CONV1 (conv)", "trainable_params", 1, 456) in found
    assert ("total", "trainable_params", 62_006 - 456 - 2_416 + 2, 62_006) in found


def test_a_module_torch_cannot_run_is_an_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.layers.linear.dense import Dense

    monkeypatch.setattr(Dense, "to_torch", lambda self, inputs: torch.nn.Linear(inputs[0][-1] + 1, self.units))
    trace = propagate(load_spec(ROOT / "specs" / "lenet.yaml"), "lenet")
    result = verify(trace, "cpu")
    assert not result.agrees
    assert [n.index for n in result.nodes if n.error] == [6]
    cli = runner.invoke(app, ["verify", str(ROOT / "specs" / "lenet.yaml"), "--device", "cpu"])
    assert cli.exit_code == 1
    assert "#6 FC3 (dense)" in cli.output and "could not run it" in cli.output


# The command line.


def test_verify_takes_several_files_and_table_verify_marks_rows(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(GRAPHS["crop_with_two_inputs"])
    b.write_text(GRAPHS["parallel_with_empty_branch"])
    cli = runner.invoke(app, ["verify", str(a), str(b), "--device", "cpu"])
    assert cli.exit_code == 0, cli.output
    assert cli.output.count("✓") == 2 and f"torch {torch.__version__} on cpu" in cli.output
    table = runner.invoke(app, ["table", str(a), "--verify", "--device", "cpu"])
    assert table.exit_code == 0, table.output
    assert "PyTorch" in table.output and "agrees on all 7 layers" in table.output
    doc = json.loads(runner.invoke(app, ["table", str(a), "--verify", "--format", "json"]).output)
    assert doc["verification"]["agrees"] is True and doc["verification"]["torch_version"] == torch.__version__


def test_verify_disagreement_exits_1_with_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from cnncalc.layers.conv.conv import ConvNd

    original = ConvNd.work  # what a conv states it computes; the convention reads its MACs
    monkeypatch.setattr(
        ConvNd, "work", lambda self, inputs, output: replace(w := original(self, inputs, output), macs=w.macs + 1)
    )
    lenet = str(ROOT / "specs" / "lenet.yaml")
    cli = runner.invoke(app, ["verify", lenet, "--device", "cpu"])
    assert cli.exit_code == 1
    assert "#1 CONV1 (conv)" in cli.output and "352,801" in cli.output and "352,800" in cli.output
    table = runner.invoke(app, ["table", lenet, "--verify", "--device", "cpu"])
    assert table.exit_code == 1 and "✗ MACs" in table.output


def test_unusable_specs_exit_2_after_checking_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninput: {h: 2, w: 2, c: 1}\nlayers:\n  - {type: conv, filters: 1, kernel: 5}\n")
    cli = runner.invoke(app, ["verify", "lenet", str(bad), "nosuchspec", "--device", "cpu"])
    assert cli.exit_code == 2
    assert "✓ lenet" in cli.output and "bad.yaml:4:" in cli.output and "nosuchspec: no such file" in cli.output


def test_specs_only_skips_yaml_that_is_not_a_spec(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yml"
    workflow.write_text("on: push\njobs:\n  test: {runs-on: ubuntu-latest, steps: [{run: pytest}]}\n")
    spec = tmp_path / "net.yaml"
    spec.write_text(GRAPHS["crop_with_two_inputs"])
    # Without the option a workflow is an unusable spec: exit 2.
    assert runner.invoke(app, ["verify", str(workflow), str(spec), "--device", "cpu"]).exit_code == 2
    cli = runner.invoke(app, ["verify", str(workflow), str(spec), "--device", "cpu", "--specs-only"])
    assert cli.exit_code == 0, cli.output
    assert cli.output.count("✓") == 1 and "net.yaml" in cli.output and "ci.yml" not in cli.output
    # A missing file and a bundled name are still looked up, not skipped.
    cli = runner.invoke(app, ["verify", "lenet", str(tmp_path / "gone.yaml"), "--device", "cpu", "--specs-only"])
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
        cli = runner.invoke(app, [*args, "--device", "cuda"])
        assert cli.exit_code == 2
        assert "no CUDA device" in cli.output and "--device cpu" in cli.output
        assert "Traceback" not in cli.output


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_zoo_spec_verifies_on_cuda(path: Path) -> None:
    assert_agrees(propagate(load_spec(path), str(path)), "cuda")


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


# --against: the spec beside the person's own model.

FACTORY = """
from torch import nn

def lenet():
    return nn.Sequential(
        nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10), nn.Softmax(1),
    )

def lenet_for(classes, softmax=True, *, hidden=(120, 84)):
    model = lenet()
    model[7] = nn.Linear(400, hidden[0])
    model[9] = nn.Linear(hidden[0], hidden[1])
    model[11] = nn.Linear(hidden[1], classes)
    return model if softmax else model[:-1]

def drifted():
    model = lenet()
    model[9] = nn.Linear(120, 80)
    model[11] = nn.Linear(80, 10)
    return model

def with_bn():
    model = lenet()
    model.insert(1, nn.BatchNorm2d(6))
    return model

def wrong_input():
    return nn.Linear(7, 3)

def fails():
    raise RuntimeError("no weights here")

def not_a_model():
    return 42

# A bottleneck whose forward runs the projection shortcut before the body, as
# torchvision's RegNet does; the spec BODY_FIRST lists the body first.
class ShortcutFirst(nn.Module):

    def __init__(self, width=6):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.downsample = nn.Sequential(nn.Conv2d(4, 8, 1, 2, bias=False), nn.BatchNorm2d(8))
        self.body = nn.Sequential(
            nn.Conv2d(4, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8),
        )

    def forward(self, x):
        x = self.stem(x)
        shortcut = self.downsample(x)
        return (self.body(x) + shortcut).relu()

def shortcut_first():
    return ShortcutFirst()

CONSTANT = 3
"""


@pytest.fixture
def factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    (tmp_path / "mymodels.py").write_text(FACTORY)
    monkeypatch.syspath_prepend(str(tmp_path))

    def run(target: str, *extra: str) -> Any:
        return runner.invoke(app, ["verify", "lenet", "--against", target, "--device", "cpu", *extra])

    return run


def test_against_a_matching_model_agrees(factory: Callable[..., Any]) -> None:
    cli = factory("mymodels:lenet")
    assert cli.exit_code == 0, cli.output
    assert "agrees" in cli.output and "5 in the same order" in cli.output


def test_against_a_drifted_model_exits_1_and_shows_where(factory: Callable[..., Any]) -> None:
    cli = factory("mymodels:drifted")
    assert cli.exit_code == 1, cli.output
    # By hand: the model's FC4 has 120*80 + 80 and its last layer 80*10 + 10 parameters.
    model = 2_416 + 456 + 48_120 + 120 * 80 + 80 + 80 * 10 + 10
    assert f"spec 62,006, model {model:,}" in cli.output
    assert "first differ at position 4" in cli.output
    doc = json.loads(factory("mymodels:drifted", "--format", "json").output)[0]
    assert doc["agrees"] is False and doc["leaves"]["first_mismatch"] == 4


def test_against_counts_buffers_and_leaf_order(factory: Callable[..., Any]) -> None:
    cli = factory("mymodels:with_bn")
    assert cli.exit_code == 1
    # BatchNorm2d(6): 12 trainable, 2*6 + 1 buffer elements the spec does not have.
    assert "spec 0, model 13" in cli.output and "spec 62,006, model 62,018" in cli.output


def test_against_a_model_that_cannot_take_the_input_exits_1(factory: Callable[..., Any]) -> None:
    cli = factory("mymodels:wrong_input")
    assert cli.exit_code == 1 and "cannot take the spec's input (2, 3, 32, 32)" in cli.output


@pytest.mark.parametrize(
    "target",
    [
        "mymodels:lenet()",
        "mymodels:lenet_for(10)",
        "mymodels:lenet_for(classes=10)",
        "mymodels:lenet_for(10, True, hidden=[120, 84])",
        "mymodels:lenet_for(10, hidden=(120, 84), softmax=False)",
        "mymodels:lenet_for( 10 ,hidden = ( 120 , 84 ) )",
    ],
)
def test_against_takes_literal_arguments(factory: Callable[..., Any], target: str) -> None:
    cli = factory(target)
    assert cli.exit_code == 0, cli.output
    assert f"against {target}" in cli.output


def test_against_arguments_reach_the_factory(factory: Callable[..., Any]) -> None:
    cli = factory("mymodels:lenet_for(7)")
    assert cli.exit_code == 1, cli.output
    # By hand: the last layer is 84*7 + 7 = 595 parameters, not 84*10 + 10 = 850.
    assert f"spec 62,006, model {62_006 - 850 + 595:,}" in cli.output


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("mymodels:lenet_for(classes=int('3'))", "argument classes=int('3') is not a literal"),
        ("mymodels:lenet_for(CLASSES)", "argument 1 (CLASSES) is not a literal"),
        ("mymodels:lenet_for(10, hidden=[1 + 2, 3])", "not a literal"),
        ("mymodels:lenet_for(*[10])", "argument 1 (*[10]) is not a literal"),
        ("mymodels:lenet_for(**{'classes': 10})", "argument **{'classes': 10} is not a literal"),
        ("mymodels:lenet_for(10", "is not a factory or a call of one"),
        ("mymodels:lenet_for(10)(3)", "is not a factory or a call of one"),
        ("mymodels:lenet_for[0]", "is not a factory or a call of one"),
        ("mymodels:lenet_for(bogus=1)", "TypeError"),
    ],
)
def test_against_refuses_arguments_that_are_not_literals(factory: Callable[..., Any], target: str, says: str) -> None:
    cli = factory(target)
    assert cli.exit_code == 2, cli.output
    assert says in cli.output and "Traceback" not in cli.output


def test_against_never_runs_an_argument(factory: Callable[..., Any], tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    cli = factory(f"mymodels:lenet_for(__import__('pathlib').Path({str(marker)!r}).touch())")
    assert cli.exit_code == 2, cli.output
    assert "is not a literal" in cli.output and not marker.exists()


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("mymodels", "package.module:factory"),
        (":lenet", "package.module:factory"),
        ("nosuchpackage.models:resnet", "cannot import nosuchpackage.models"),
        ("mymodels:resnet", "has no attribute 'resnet'"),
        ("mymodels:CONSTANT", "not a callable"),
        ("mymodels:fails", "RuntimeError: no weights here"),
        ("mymodels:not_a_model", "not a torch.nn.Module"),
    ],
)
def test_bad_factories_exit_2(factory: Callable[..., Any], target: str, says: str) -> None:
    cli = factory(target)
    assert cli.exit_code == 2, cli.output
    assert says in cli.output and "Traceback" not in cli.output


BODY_FIRST = """
name: body first
input: {h: 8, w: 8, c: 3}
layers:
  - {type: conv, filters: 4, kernel: 3, padding: 1}
  - type: residual
    body:
      - {type: conv, filters: 6, kernel: 3, stride: 2, padding: 1, bias: false}
      - {type: batchnorm}
      - {type: relu}
      - {type: conv, filters: 8, kernel: 3, padding: 1, bias: false}
      - {type: batchnorm}
    shortcut: projection
    activation: relu
"""


def test_against_ignores_the_order_of_a_merges_branches(factory: Callable[..., Any], tmp_path: Path) -> None:
    # The model runs the shortcut's conv and batchnorm before the body's; the spec lists
    # the body first. Neither order is part of the network, so they agree.
    spec = tmp_path / "body_first.yaml"
    spec.write_text(BODY_FIRST)
    cli = runner.invoke(app, ["verify", str(spec), "--against", "mymodels:shortcut_first", "--device", "cpu"])
    assert cli.exit_code == 0, cli.output
    assert "7 in the same order" in cli.output


# Random specs: chains and small graphs over every layer kind.


def _input(shape: tuple[int, ...]) -> dict[str, int]:
    if len(shape) == 1:
        return {"features": shape[0]}
    axes = {2: ("l",), 3: ("h", "w"), 4: ("d", "h", "w")}[len(shape)]
    return {"c": shape[0], **dict(zip(axes, shape[1:], strict=True))}


def _with_tap(value: Any, tap: str) -> Any:
    """`segment` with the placeholder `$tap` (the segment's input) named `tap`."""
    if isinstance(value, dict):
        return {k: _with_tap(v, tap) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_tap(v, tap) for v in value]
    return tap if value == "$tap" else value


def spec_text(shape: tuple[int, ...], layers: list[Any], blocks: dict[str, Any] | None = None) -> str:
    spec: dict[str, Any] = {"name": "random", "input": _input(shape), "layers": layers}
    if blocks:
        spec["blocks"] = blocks
    return json.dumps(spec)  # JSON is YAML: through the real loader


def shape_after(shape: tuple[int, ...], segment: list[Any], blocks: dict[str, Any]) -> tuple[int, ...] | None:
    """The shape a segment turns `shape` into; None when the engine refuses it."""
    try:
        trace = trace_of(spec_text(shape, _with_tap(segment, "input"), blocks))
    except SpecError:
        return None
    return trace.nodes[-1].output


Draw = Callable[..., Any]  # hypothesis's draw: a strategy in, a value out
MAX_ELEMENTS = 2_048  # per sample, to keep every forward pass tiny


Drawer = Callable[[Draw, tuple[int, ...], str], dict[str, Any] | None]


def _size(draw: Draw, ndim: int, lo: int, hi: int) -> int | list[int]:
    if ndim > 1 and draw(st.booleans()):
        return [draw(st.integers(lo, hi)) for _ in range(ndim)]
    value: int = draw(st.integers(lo, hi))
    return value


def _padding(draw: Draw, ndim: int, hi: int) -> Any:
    per_dim = st.lists(st.integers(0, hi), min_size=ndim, max_size=ndim)
    per_side = st.lists(st.integers(0, hi), min_size=2 * ndim, max_size=2 * ndim)  # [before, after] per axis
    return draw(st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, hi), per_dim, per_side))


def _divisor(draw: Draw, n: int) -> int:
    value: int = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    return value


def _activation(draw: Draw) -> dict[str, Any]:
    kinds = ["relu", "relu6", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "softmax"]
    kinds += ["hardsigmoid", "hardtanh", "elu", "selu", "mish", "softplus", "log_softmax"]
    return {"activation": draw(st.sampled_from(kinds))} if draw(st.booleans()) else {}


def _spatial(shape: tuple[int, ...], ndim: int) -> bool:
    return len(shape) == ndim + 1


def draw_conv(kind: str, ndim: int) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], _: str) -> dict[str, Any] | None:
        if not _spatial(shape, ndim):
            return None
        groups = _divisor(draw, shape[0])
        return {
            "type": kind,
            "filters": groups * draw(st.integers(1, 3)),
            "kernel": _size(draw, ndim, 1, 4),
            "stride": _size(draw, ndim, 1, 3),
            "padding": _padding(draw, ndim, 2),
            "dilation": _size(draw, ndim, 1, 2),
            "groups": groups,
            "bias": draw(st.booleans()),
            **_activation(draw),
        }

    return draw_it


def draw_conv_transpose(kind: str, ndim: int) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], _: str) -> dict[str, Any] | None:
        if not _spatial(shape, ndim):
            return None
        groups = _divisor(draw, shape[0])
        stride = draw(st.integers(1, 3))
        dilation = draw(st.integers(1, 2))
        return {
            "type": kind,
            "filters": groups * draw(st.integers(1, 3)),
            "kernel": _size(draw, ndim, 1, 4),
            "stride": stride,
            "padding": _size(draw, ndim, 0, 1),
            "output_padding": draw(st.integers(0, max(stride, dilation) - 1)),
            "dilation": dilation,
            "groups": groups,
            "bias": draw(st.booleans()),
            **_activation(draw),
        }

    return draw_it


def draw_depthwise(kind: str, pointwise: bool) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], _: str) -> dict[str, Any] | None:
        if not _spatial(shape, 2):
            return None
        layer = {
            "type": kind,
            "kernel": _size(draw, 2, 1, 4),
            "stride": _size(draw, 2, 1, 2),
            "padding": _padding(draw, 2, 1),
            "dilation": _size(draw, 2, 1, 2),
            "multiplier": draw(st.integers(1, 2)),
            "bias": draw(st.booleans()),
            **_activation(draw),
        }
        if pointwise:
            layer["filters"] = draw(st.integers(1, 6))
        return layer

    return draw_it


def draw_pool(kind: str, ndim: int, maximum: bool) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], _: str) -> dict[str, Any] | None:
        if not _spatial(shape, ndim):
            return None
        kernel = draw(st.integers(1, 3))
        layer: dict[str, Any] = {
            "type": kind,
            "kernel": kernel,
            "stride": draw(st.one_of(st.none(), st.integers(1, 3))),
            "padding": draw(st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, kernel // 2))),
            "ceil_mode": draw(st.booleans()),
        }
        if maximum:
            layer["dilation"] = draw(st.integers(1, 2))
        else:
            layer["count_include_pad"] = draw(st.booleans())
        return layer

    return draw_it


def draw_simple(kind: str, min_rank: int = 1, **fields: st.SearchStrategy[Any]) -> Drawer:
    def draw_it(draw: Draw, shape: tuple[int, ...], _: str) -> dict[str, Any] | None:
        if len(shape) < min_rank:
            return None
        return {"type": kind, **{k: draw(v) for k, v in fields.items()}}

    return draw_it


def draw_dense(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    on_channels = {"axis": "channels"} if draw(st.booleans()) else {}
    units = draw(st.integers(1, 12))
    return {"type": kind, "units": units, "bias": draw(st.booleans()), **on_channels, **_activation(draw)}


def draw_norm(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    fields: dict[str, Any]
    if kind == "batchnorm":
        fields = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    elif kind == "groupnorm":
        fields = {"groups": _divisor(draw, shape[0]), "affine": draw(st.booleans())}
    elif draw(st.booleans()):
        fields = {"axis": "channels", "affine": draw(st.booleans()), "bias": draw(st.booleans())}
    else:
        fields = {
            "dims": draw(st.one_of(st.none(), st.integers(1, len(shape)))),
            "affine": draw(st.booleans()),
            "bias": draw(st.booleans()),
        }
    return {"type": kind, **fields, **_activation(draw)}


def draw_upsample(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) < 2:
        return None
    mode = "bilinear" if len(shape) == 3 and draw(st.booleans()) else "nearest"
    layer: dict[str, Any] = {"type": kind, "mode": mode}
    if draw(st.booleans()):
        layer["scale"] = _size(draw, len(shape) - 1, 1, 3)
    else:
        layer["size"] = _size(draw, len(shape) - 1, 1, 8)
    if mode == "bilinear":
        layer["align_corners"] = draw(st.booleans())
    return layer


def draw_zeropad(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) < 2:
        return None
    ndim = len(shape) - 1
    count = draw(st.sampled_from([1, ndim, 2 * ndim]))
    values = [draw(st.integers(0, 2)) for _ in range(count)]
    return {"type": kind, "padding": values[0] if count == 1 else values}


def draw_pad(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) < 2:
        return None
    ndim = len(shape) - 1
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    # PyTorch's limits: a reflection below the size, a wrap no more than it.
    hi = min([2, *(n - 1 if mode == "reflect" else n for n in shape[1:])])
    count = draw(st.sampled_from([1, ndim, 2 * ndim]))
    values = [draw(st.integers(0, hi)) for _ in range(count)]
    return {"type": kind, "padding": values[0] if count == 1 else values, "mode": mode}


def draw_crop(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) < 2:
        return None
    ndim = len(shape) - 1
    if draw(st.booleans()):
        return {"type": kind, "size": [draw(st.integers(1, n)) for n in shape[1:]]}
    count = draw(st.sampled_from([1, ndim, 2 * ndim]))
    values = [draw(st.integers(0, 2)) for _ in range(count)]
    return {"type": kind, "cropping": values[0] if count == 1 else values}


def draw_channel_shuffle(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) != 3:
        return None
    return {"type": kind, "groups": _divisor(draw, shape[0])}


def draw_slice(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    channels = shape[0]  # channels first; the features of a flat vector
    if draw(st.booleans()):
        chunk = _divisor(draw, channels)
        return {"type": kind, "chunk": chunk, "index": draw(st.integers(0, chunk - 1))}
    start = draw(st.integers(0, channels - 1))
    return {"type": kind, "start": start, "end": draw(st.integers(start + 1, channels))}


def draw_prelu(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    # nn.PReLU's slopes run along dim 1: one shared, or one per channel (feature when flat).
    return {"type": kind, "num_parameters": draw(st.sampled_from([1, shape[0]]))}


def draw_glu(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    return {"type": kind} if shape[0] % 2 == 0 else None  # it halves the channels


def draw_permute(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    # PyTorch dims, batch 0 first; the channels stay first. (A (C, L) map turned into an
    # (L, D) sequence would leave the drawers, which read channels first, drawing layers
    # that refuse it: (C, L) <-> (L, D) is in tests/test_reorder.py and kinds2d.yaml.)
    return {"type": kind, "dims": [0, 1, *draw(st.permutations(range(2, len(shape) + 1)))]}


def draw_transpose(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    first = 1 if len(shape) == 1 else 2  # the channels stay first (see draw_permute)
    a, b = draw(st.integers(first, len(shape))), draw(st.integers(first, len(shape)))
    if draw(st.booleans()):
        a -= len(shape) + 1  # the same dim counted from the end
    return {"type": kind, "dim0": a, "dim1": b}


def draw_reshape(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    total = math.prod(shape)
    sizes = draw(st.sampled_from([[total], [shape[0], total // shape[0]], list(shape)]))
    if draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    return {"type": kind, "shape": sizes}


def draw_flatten(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    # Every axis, or spatial axes only (the channels stay first).
    if len(shape) < 3 or draw(st.booleans()):
        return {"type": kind} if draw(st.booleans()) else {"type": kind, "start_dim": 1, "end_dim": -1}
    start = draw(st.integers(2, len(shape)))
    return {"type": kind, "start_dim": start, "end_dim": draw(st.integers(start, len(shape)))}


def drawers() -> dict[str, Drawer]:
    """A drawer for every registered primitive kind the tests know how to fill in."""
    from cnncalc.layers.activation.activation import Activation, LeakyReLU
    from cnncalc.layers.conv.conv import ConvNd
    from cnncalc.layers.conv.conv_transpose import ConvTransposeNd
    from cnncalc.layers.conv.depthwise_conv import DepthwiseConv
    from cnncalc.layers.conv.separable_conv import SeparableConv
    from cnncalc.layers.pool.global_pool import AdaptivePool, GlobalPool
    from cnncalc.layers.pool.pool import MaxPoolNd, PoolNd

    found: dict[str, Drawer] = {}
    by_name: dict[str, Drawer] = {
        "dense": draw_dense,
        "batchnorm": draw_norm,
        "layernorm": draw_norm,
        "groupnorm": draw_norm,
        "flatten": draw_flatten,
        "permute": draw_permute,
        "transpose": draw_transpose,
        "reshape": draw_reshape,
        "identity": draw_simple("identity"),
        "dropout": draw_simple("dropout", rate=st.sampled_from([0.0, 0.3])),
        "upsample": draw_upsample,
        "zeropad": draw_zeropad,
        "pad": draw_pad,
        "crop": draw_crop,
        "channel_shuffle": draw_channel_shuffle,
        "slice": draw_slice,
        "prelu": draw_prelu,
        "glu": draw_glu,
        "hardtanh": draw_simple("hardtanh", min_val=st.sampled_from([-1.0, -2.0]), max_val=st.sampled_from([1.0, 3.0])),
        "elu": draw_simple("elu", alpha=st.sampled_from([1.0, 0.5])),
        "softplus": draw_simple("softplus", beta=st.sampled_from([1.0, 2.0]), threshold=st.sampled_from([20.0, 1.0])),
        "scale": draw_simple("scale"),
        "stochastic_depth": draw_simple("stochastic_depth", rate=st.sampled_from([0.0, 0.2])),
        "drop_path": draw_simple("drop_path", rate=st.sampled_from([0.0, 0.2]), mode=st.sampled_from(["row", "batch"])),
    }
    for kind, cls in registry().items():
        if kind in by_name:
            found[kind] = by_name[kind]
        elif issubclass(cls, ConvNd):
            found[kind] = draw_conv(kind, cls.ndim)
        elif issubclass(cls, ConvTransposeNd):
            found[kind] = draw_conv_transpose(kind, cls.ndim)
        elif issubclass(cls, (DepthwiseConv, SeparableConv)):
            found[kind] = draw_depthwise(kind, issubclass(cls, SeparableConv))
        elif issubclass(cls, PoolNd):
            found[kind] = draw_pool(kind, cls.ndim, issubclass(cls, MaxPoolNd))
        elif issubclass(cls, GlobalPool):
            found[kind] = draw_simple(kind, min_rank=2)
        elif issubclass(cls, AdaptivePool):
            found[kind] = draw_simple(kind, min_rank=2, size=st.integers(1, 4))
        elif issubclass(cls, LeakyReLU):
            found[kind] = draw_simple(kind, negative_slope=st.sampled_from([0.01, 0.2]))
        elif issubclass(cls, Activation):
            found[kind] = draw_simple(kind)
    return found


def sequence_only(kind: str) -> bool:
    """A kind that reads only sequences, token ids (L,) or vectors (L, D): the random networks
    of tests/test_verify_sequences.py draw it, not the channels-first ones here."""
    return registry()[kind].accepts <= {"L", "LD"}


def fits(kind: str, rank: int) -> bool:
    """Whether `kind` can read an input of `rank` axes (channels included)."""
    from cnncalc.layers.pool.global_pool import AdaptivePool, GlobalPool

    cls = registry()[kind]
    if sequence_only(kind):
        return False
    ndim = getattr(cls, "ndim", None)
    if ndim is not None:
        return bool(rank == ndim + 1)
    if kind in ("upsample", "zeropad", "pad", "crop") or issubclass(cls, (GlobalPool, AdaptivePool)):
        return rank >= 2
    if kind == "channel_shuffle":
        return rank == 3
    return True


MERGES = ("add", "concat", "multiply")
# Kinds on a sequence of vectors (L, D): transformer_spec below draws them.
TRANSFORMER_KINDS = (
    "attention",
    "transformer_encoder_layer",
    "transformer_decoder_layer",
    "rmsnorm",
    "gated_ffn",
    "moe",
)
COMPOSITES = ("residual", "parallel")


def _merge_for(shapes: list[tuple[int, ...]], draw: Draw) -> str | None:
    """A merge that can join `shapes`, if any."""
    fits = _merges_fitting(shapes)
    return draw(st.sampled_from(fits)) if fits else None


def _merges_fitting(shapes: list[tuple[int, ...]]) -> list[str]:
    fits = []
    if len(set(shapes)) == 1:
        fits.append("add")
    if len({len(s) for s in shapes}) == 1 and len({s[1:] for s in shapes}) == 1:
        fits.append("concat")
    if len({len(s) for s in shapes}) == 1 and all(
        len({v for v in axis if v != 1}) <= 1 for axis in zip(*shapes, strict=True)
    ):
        fits.append("multiply")
    return fits


SMALLEST = {"kernel": 1, "stride": 1, "dilation": 1, "padding": 0, "output_padding": 0, "cropping": 0}


def _smallest(layer: dict[str, Any]) -> dict[str, Any]:
    """`layer` with every window, pad, crop and growth at its smallest: valid on any input
    of a rank it reads, and no larger than it."""
    small = {key: SMALLEST.get(key, value) for key, value in layer.items()}
    for key in ("filters", "units"):
        if key in small:
            small[key] = small.get("groups", 1)
    if small["type"] == "upsample":
        small.pop("size", None)
        small["scale"] = 1
    if small["type"] == "crop" and "size" in small:
        small["size"] = 1
    return small


class Builder:
    """Draws a spec segment by segment, each checked by the engine before the next."""

    def __init__(self, draw: Draw, shape: tuple[int, ...]) -> None:
        self.draw = draw
        self.shape = shape
        self.layers: list[Any] = []
        self.blocks: dict[str, Any] = {}
        self.tap = "input"
        self.names = 0
        self.kinds: set[str] = set()
        self.table = drawers()

    def name(self) -> str:
        self.names += 1
        return f"n{self.names}"

    def forced(self, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
        """A layer of `kind` the engine accepts on `shape`: drawn, and where the draw does not
        fit (a kernel over the input, too many elements), the same layer at its smallest."""
        layer = self.one(shape, kind)
        assert layer is not None, f"{kind} cannot read {shape}: random_spec picks a rank it fits"
        for candidate in (layer, _smallest(layer)):
            after = shape_after(shape, [candidate], self.blocks)
            if after is not None and _elements(after) <= MAX_ELEMENTS:
                return candidate
        raise AssertionError(f"no valid {kind} for {shape}, even {_smallest(layer)}: teach _smallest")

    def one(self, shape: tuple[int, ...], kind: str | None = None) -> dict[str, Any] | None:
        """A primitive layer for `shape`, of `kind` or of any kind that fits."""
        if kind is None:
            # Hypothesis leans to the first option: make that the rank's plain conv.
            first = ("conv", "conv1d", "conv3d", "dense")
            options = sorted((k for k in self.table if fits(k, len(shape))), key=lambda k: (k not in first, k))
            # Half the time a layer with a window or weights: they hold the arithmetic.
            heavy = [k for k in options if hasattr(registry()[k], "ndim") or k == "dense"]
            kind = self.draw(st.sampled_from(heavy if heavy and self.draw(st.booleans()) else options))
        return self.table[kind](self.draw, shape, kind)

    def fitting(self, shape: tuple[int, ...]) -> tuple[dict[str, Any], tuple[int, ...]] | None:
        """A layer the engine accepts on `shape`: drawn, or where its kernel does not fit the
        input, the same layer at its smallest (no second draw, which would waste the data)."""
        layer = self.one(shape)
        if layer is None:
            return None
        for candidate in (layer, _smallest(layer)):
            after = shape_after(shape, [candidate], self.blocks)
            if after is not None and _elements(after) <= MAX_ELEMENTS:
                return candidate, after
        return None

    def chain(self, shape: tuple[int, ...], length: int) -> tuple[list[Any], tuple[int, ...]] | None:
        layers: list[Any] = []
        for _ in range(length):
            found = self.fitting(shape)
            if found is not None:
                layers.append(found[0])
                shape = found[1]
        return (layers, shape) if layers else None

    def segment(self, form: str, kind: str | None = None) -> list[Any] | None:
        """One piece of the network reading the current output as `$tap`."""
        draw, shape = self.draw, self.shape
        if form == "layer":
            if kind is None:
                found = self.fitting(shape)
                return None if found is None else [found[0]]
            return [self.forced(shape, kind)]
        if form in ("merge", "parallel"):
            branches = []
            for _ in range(draw(st.integers(2, 3))):
                drawn = self.chain(shape, draw(st.integers(0, 2))) if draw(st.booleans()) else None
                branches.append(drawn or ([], shape))
            if kind is None and form == "parallel" and not _merges_fitting([s for _, s in branches]):
                kind = draw(st.sampled_from(MERGES))
            if kind is not None:
                # The merge asked for: a branch it cannot join becomes the identity, which it
                # always can (the input joined with itself).
                kept: list[tuple[list[Any], tuple[int, ...]]] = []
                for branch in branches:
                    fits_it = kind in _merges_fitting([shape, *(s for _, s in kept), branch[1]])
                    kept.append(branch if fits_it else ([], shape))
                branches = kept
            merge = kind or _merge_for([s for _, s in branches], draw)
            if merge is None:
                return None
            if form == "parallel" or (kind is None and draw(st.booleans())):
                return [{"type": "parallel", "merge": merge, "branches": [b for b, _ in branches], **_activation(draw)}]
            layers: list[Any] = []
            sources = []
            for body, _ in branches:
                if not body:
                    sources.append("$tap")
                    continue
                name = self.name()
                layers += [{**body[0], "from": "$tap"}, *body[1:]]
                layers[-1] = {**layers[-1], "name": name}
                sources.append(name)
            return [*layers, {"type": merge, "from": sources}]
        if form == "residual":
            # A body that keeps the shape (an identity shortcut) where no drawn chain fits.
            drawn = self.chain(shape, draw(st.integers(1, 3))) or ([self.forced(shape, "relu")], shape)
            body, after = drawn
            if after == shape:
                shortcut: Any = draw(st.sampled_from(["identity", "projection"]))
            elif len(shape) == 3:
                shortcut = "projection"
            elif len(after) == len(shape) and after[:-1] == shape[:-1]:
                shortcut = [{"type": "dense", "units": after[-1]}]
            elif len(after) == len(shape) and after[1:] == shape[1:]:
                shortcut = [{"type": {2: "conv1d", 4: "conv3d"}[len(shape)], "filters": after[0], "kernel": 1}]
            else:
                body, shortcut = [self.forced(shape, "relu")], "identity"
            residual = {"type": "residual", "body": body, "shortcut": shortcut}
            if shape_after(shape, [residual], self.blocks) is None:  # no 1x1 projection reaches the body's size
                body, shortcut = [self.forced(shape, "relu")], "identity"
            return [{"type": "residual", "body": body, "shortcut": shortcut, **_activation(draw)}]
        if form == "crop2":
            drawn = self.chain(shape, draw(st.integers(1, 2)))
            if drawn is None:
                return None
            body, _ = drawn
            name = self.name()
            return [*body[:-1], {**body[-1], "name": name}, {"type": "crop", "from": ["$tap", name]}]
        # A block: a chain with one number made an argument, used with repeat.
        drawn = self.chain(shape, draw(st.integers(1, 3)))
        if drawn is None:
            return None
        body, _ = drawn
        block = f"b{len(self.blocks) + 1}"
        args: dict[str, Any] = {}
        for i, layer in enumerate(body):
            for key in ("filters", "units"):
                if key in layer and not args:
                    args[key] = layer[key]
                    body[i] = {**layer, key: f"${key}"}
        self.blocks[block] = {"args": args, "layers": body}
        call = {"type": block, "repeat": draw(st.integers(1, 2))}
        call.update({k: draw(st.integers(1, 4)) for k in args if draw(st.booleans())})
        return [call]

    def add(self, segment: list[Any] | None, limit: int = MAX_ELEMENTS) -> bool:
        if segment is None:
            return False
        after = shape_after(self.shape, segment, self.blocks)
        if after is None or _elements(after) > limit:
            return False
        segment = _with_tap(segment, self.tap)
        self.tap = self.name()
        if isinstance(segment[-1], dict) and "name" not in segment[-1]:
            segment[-1] = {**segment[-1], "name": self.tap}
        else:
            self.tap = segment[-1]["name"]
        self.layers += segment
        self.shape = after
        return True

    def text(self) -> str:
        return spec_text(self.start, self.layers, self.blocks)

    start: tuple[int, ...] = ()


def _elements(shape: tuple[int, ...]) -> int:
    size = 1
    for v in shape:
        size *= v
    return size


@st.composite
def input_shapes(draw: Draw, rank: int | None = None) -> tuple[int, ...]:
    rank = rank or draw(st.sampled_from([1, 2, 3, 3, 3, 4]))
    channels = draw(st.integers(1, 6))
    if rank == 1:
        return (draw(st.integers(1, 24)),)
    hi = {2: 24, 3: 12, 4: 5}[rank]
    return (channels, *(draw(st.integers(1, hi)) for _ in range(rank - 1)))


FORMS = ("layer", "layer", "layer", "merge", "residual", "crop2", "block")


def random_spec(draw: Draw, first: tuple[str, str | None] | None = None) -> str:
    rank = None
    if first is not None and first[0] == "layer" and first[1] is not None:
        # Start at a rank the kind reads (windowed kinds read one only).
        kind = first[1]
        rank = draw(st.sampled_from([r for r in (1, 2, 3, 4) if fits(kind, r)]))
    shape = draw(input_shapes(rank))
    if first is not None and first[1] == "glu" and shape[0] % 2:
        shape = (2 * shape[0], *shape[1:])  # glu halves the channels: start it on an even count
    builder = Builder(draw, shape)
    builder.start = builder.shape
    if first is not None:
        # A concat of three branches may triple the input: still small.
        added = builder.add(builder.segment(*first), limit=3 * MAX_ELEMENTS)
        assert added, f"random_spec could not start with {first} on {builder.shape}"
    for _ in range(draw(st.integers(1, 8))):
        form = draw(st.sampled_from(FORMS))
        builder.add(builder.segment(form))
    if not builder.layers:
        builder.add([builder.forced(builder.shape, "identity")])
    return builder.text()


def check_random(text: str) -> None:
    # Each segment was checked as it was drawn: a spec the engine refuses is a bug in the
    # drawing (or in the engine), and fails here with the spec.
    trace = trace_of(text)
    assert_agrees(trace, spec=text)


PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=randomness.SEED is None,
)


@seed(randomness.SEED)
@PROPERTY
@given(st.data())
def test_random_specs_agree_with_pytorch(data: st.DataObject) -> None:
    check_random(random_spec(data.draw))


def primitive_kinds() -> list[str]:
    return sorted(k for k, cls in registry().items() if not issubclass(cls, Composite))


def test_every_registered_kind_has_a_generator() -> None:
    known = set(drawers()) | set(MERGES) | set(TRANSFORMER_KINDS)
    missing = [k for k in primitive_kinds() if k not in known and not sequence_only(k)]
    assert not missing, f"teach tests/test_verify.py's drawers() these layer kinds: {missing}"
    assert {k for k, cls in registry().items() if issubclass(cls, Composite)} <= set(COMPOSITES)


@pytest.mark.parametrize(
    "kind", [*(k for k in primitive_kinds() if k not in TRANSFORMER_KINDS and not sequence_only(k)), *COMPOSITES]
)
@seed(randomness.SEED)
@settings(PROPERTY, max_examples=max(3, EXAMPLES // 10))
@given(data=st.data())
def test_each_kind_agrees_with_pytorch(kind: str, data: st.DataObject) -> None:
    if kind in MERGES:
        first: tuple[str, str | None] = ("merge", kind)
    elif kind in COMPOSITES:
        first = (kind, None)
    else:
        first = ("layer", kind)

    text = random_spec(data.draw, first)
    assert f'"{kind}"' in text
    check_random(text)


def test_layer_base_has_a_torch_builder_for_every_primitive_kind() -> None:
    for kind in primitive_kinds():
        cls: type[Layer] = registry()[kind]
        assert cls.to_torch is not Layer.to_torch, f"{kind} has no to_torch"


# Random transformer stacks on a sequence of vectors (L, D): a generator of their own, as
# the drawers above build channels-first inputs. Every draw is valid by construction: the
# heads are drawn as divisors of the width, the memory of a decoder layer is as wide as
# its target, a rotary head is even.


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _draw_sequence_layer(draw: Draw, kind: str, width: int, memories: dict[str, int], tap: str) -> dict[str, Any]:
    """One layer of `kind` on a (L, width) input `tap`; `memories` are named outputs by width."""
    heads = draw(st.sampled_from(_divisors(width)))
    same_width = [name for name, w in memories.items() if w == width]
    if kind == "attention":
        layer: dict[str, Any] = {"type": kind, "heads": heads, "bias": draw(st.booleans())}
        layer["kv_heads"] = draw(st.sampled_from(_divisors(heads)))
        if (width // heads) % 2 == 0 and draw(st.booleans()):
            layer["rotary"] = True
        if draw(st.booleans()):
            layer["causal"] = True
        if memories and draw(st.booleans()):  # cross-attention: a memory of any width
            layer["from"] = [tap, draw(st.sampled_from(sorted(memories)))]
        return layer
    if kind in ("transformer_encoder_layer", "transformer_decoder_layer"):
        layer = {
            "type": kind,
            "heads": heads,
            "feedforward": draw(st.integers(1, 12)),
            "feedforward_activation": draw(st.sampled_from(["relu", "gelu"])),
            "norm_first": draw(st.booleans()),
            "bias": draw(st.booleans()),
            "causal": draw(st.booleans()),
        }
        if kind == "transformer_decoder_layer":
            layer["from"] = [tap, draw(st.sampled_from(same_width or [tap]))]
        return layer
    if kind == "rmsnorm":
        return {"type": kind, "affine": draw(st.booleans())}
    if kind == "moe":
        experts = draw(st.integers(1, 5))
        return {
            "type": kind,
            "experts": experts,
            "top_k": draw(st.integers(1, experts)),
            "hidden": draw(st.integers(1, 8)),
            "gate": draw(st.sampled_from(["silu", "gelu"])),
            "shared_experts": draw(st.integers(0, 2)),
        }
    return {"type": kind, "hidden": draw(st.integers(1, 12)), "gate": draw(st.sampled_from(["silu", "gelu"]))}


def transformer_spec(draw: Draw, first: str | None = None) -> str:
    """A random stack: attention and transformer layers, norms, gated feed-forwards, dense
    changes of width, and pre-norm residual blocks (Llama's), on a random (L, D) input."""
    width = draw(st.sampled_from([2, 4, 6, 8, 12]))
    length = draw(st.integers(1, 6))
    layers: list[Any] = []
    memories = {"input": width}
    tap = "input"
    kinds = [first] if first else []
    kinds += [draw(st.sampled_from([*TRANSFORMER_KINDS, "dense", "residual"])) for _ in range(draw(st.integers(1, 4)))]
    for i, kind in enumerate(kinds):
        name = f"s{i}"
        if kind == "dense":
            width = draw(st.sampled_from([2, 4, 6, 8]))
            layer: dict[str, Any] = {"type": "dense", "units": width}
        elif kind == "residual":
            body_kind = draw(st.sampled_from(["attention", "gated_ffn"]))
            body = _draw_sequence_layer(draw, body_kind, width, {}, tap)
            layer = {"type": "residual", "body": [{"type": "rmsnorm"}, body], "shortcut": "identity"}
        else:
            layer = _draw_sequence_layer(draw, kind, width, memories, tap)
        layers.append({**layer, "name": name})
        memories[name] = width
        tap = name
    return json.dumps({"name": "random", "input": {"l": length, "d": memories["input"]}, "layers": layers})


@seed(randomness.SEED)
@settings(PROPERTY, max_examples=max(3, EXAMPLES // 4))
@given(st.data())
def test_random_transformer_stacks_agree_with_pytorch(data: st.DataObject) -> None:
    check_random(transformer_spec(data.draw))


@pytest.mark.parametrize("kind", TRANSFORMER_KINDS)
@seed(randomness.SEED)
@settings(PROPERTY, max_examples=max(3, EXAMPLES // 10))
@given(data=st.data())
def test_each_sequence_kind_agrees_with_pytorch(kind: str, data: st.DataObject) -> None:
    text = transformer_spec(data.draw, kind)
    assert f'"{kind}"' in text
    check_random(text)


def test_verify_counts_attention_products_on_the_cpu() -> None:
    # On the CPU the fused attention kernel hides QK^T and AV from FlopCounterMode; verify
    # runs the math kernel, so PyTorch's encoder layer on (4, 8) counts them: projections
    # 4*4*8*8, QK^T and AV 2*4*4*8, feed-forward 2*4*8*2048 (PyTorch's default width).
    spec = '{"name": "a", "input": {"l": 4, "d": 8}, "layers": [{"type": "transformer_encoder_layer", "heads": 2}]}'
    result = assert_agrees(trace_of(spec))
    macs = result.totals[-1]
    assert macs.torch == 4 * 4 * 8 * 8 + 2 * 4 * 4 * 8 + 2 * 4 * 8 * 2048
