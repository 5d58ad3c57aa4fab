"""`cnncalc verify --against module:factory`: the spec beside the person's own model, and the
factories and arguments it refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke
from needs import needs_module

torch = needs_module("torch")


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
        return invoke(["verify", "lenet", "--against", target, "--device", "cpu", *extra])

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
    cli = invoke(["verify", str(spec), "--against", "mymodels:shortcut_first", "--device", "cpu"])
    assert cli.exit_code == 0, cli.output
    assert "7 in the same order" in cli.output
