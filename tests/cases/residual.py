"""`residual`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random

# A composite: tests/layers/test_torch_reference.py checks it whole, with the networks below.
CASES = "[]"


BODY = """
    body:
      - {type: conv, filters: $F, kernel: 3, stride: $S, padding: 1, bias: false}
      - {type: batchnorm, activation: relu}
      - {type: conv, filters: $F, kernel: 3, padding: 1, bias: false}
      - {type: batchnorm}
    activation: relu
"""


def torch_networks() -> dict[str, tuple[str, tuple[int, ...], Callable[[], Any]]]:
    """Layers of a spec, its input (C, H, W), and the PyTorch a user would write for it."""
    from torch import nn

    from cases._torch import BasicBlock, seq

    return {
        # A projection: torchvision's downsample, a 1x1 conv with the stride AND its batchnorm.
        "residual": (
            "  - type: residual\n    shortcut: projection" + BODY.replace("$F", "8").replace("$S", "2"),
            (4, 8, 8),
            lambda: BasicBlock(4, 8, 2, seq(nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))),
        ),
        "residual, identity": (
            "  - type: residual\n    shortcut: identity" + BODY.replace("$F", "4").replace("$S", "1"),
            (4, 8, 8),
            lambda: BasicBlock(4, 4, 1, nn.Identity()),
        ),
        "residual, projection where the shape holds is the identity": (
            "  - type: residual\n    shortcut: projection" + BODY.replace("$F", "4").replace("$S", "1"),
            (4, 8, 8),
            lambda: BasicBlock(4, 4, 1, nn.Identity()),
        ),
        "residual, shortcut layers": (
            "  - type: residual\n    shortcut: [{type: conv, filters: 8, kernel: 1, stride: 2}]"
            + BODY.replace("$F", "8").replace("$S", "2"),
            (4, 8, 8),
            lambda: BasicBlock(4, 8, 2, nn.Conv2d(4, 8, 1, stride=2)),
        ),
    }


RANDOM = Random(composite=True)
