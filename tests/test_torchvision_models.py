"""Every zoo spec that is a torchvision model against torchvision's own module, not a
look-alike: parameters and buffers as `module.parameters()` / `module.buffers()` count
them, and MACs as FlopCounterMode / 2 at batch 1, run as docs/conventions says (gradients
on, the math attention kernel, oneDNN off: `cnncalc.verify.counting`), on the CPU.

torchvision is imported through tests/torchvision_models.py (its compiled operators do
not load on this CPU build of torch); a missing torchvision skips here and fails in CI.
"""

from __future__ import annotations

import pytest
from needs import needs_module
from torchvision_models import ZOO, build, needs_torchvision

from cnncalc.engine import Trace, propagate
from cnncalc.spec import load_spec
from cnncalc.zoo import names, zoo_dir

torch = needs_module("torch")


def test_every_torchvision_spec_in_the_zoo_is_checked() -> None:
    # Every zoo spec whose description says "as torchvision defines it" is in ZOO, so that
    # it is held to torchvision's module here, and ZOO names only those.
    def description(name: str) -> str:
        text = (zoo_dir() / f"{name}.yaml").read_text(encoding="utf-8")
        return next(line for line in text.splitlines() if line.startswith("description:"))

    assert {n for n in names() if "as torchvision defines it" in description(n)} == set(ZOO)


def _trace(name: str) -> Trace:
    path = str(zoo_dir() / f"{name}.yaml")
    return propagate(load_spec(path), path)


@pytest.mark.parametrize("name", list(ZOO))
def test_params_buffers_and_macs_equal_torchvisions_module(name: str) -> None:
    # One module per test, not cached: VGG-16 and ViT-B/16 alone hold 900 MB of weights.
    from torch.utils.flop_counter import FlopCounterMode

    from cnncalc.verify import counting

    trace = _trace(name)
    torch.manual_seed(0)
    module = build(name, needs_torchvision()).eval()
    trainable = sum(n.params.trainable for n in trace.nodes)
    frozen = sum(n.params.non_trainable for n in trace.nodes)
    assert (trainable, frozen) == (sum(p.numel() for p in module.parameters()), 0)
    assert sum(n.params.buffers for n in trace.nodes) == sum(b.numel() for b in module.buffers())

    shape = trace.nodes[0].output
    assert shape.axes == "CHW"  # torch's order, whatever order the spec writes
    counter = FlopCounterMode(display=False)
    with counting(torch), counter:
        module(torch.randn(1, *shape))
    flops = int(counter.get_total_flops())
    assert flops % 2 == 0
    assert sum(n.macs for n in trace.nodes) == flops // 2
