"""Each real counting tool as a user calls it on a module and a (C, H, W) input, batch 1:
its total. Shared by the tests that hold the presets to the tools on torchvision's own
modules (tests/test_forms_counts.py) and by benchmarks/real_models.py, which prints the same
comparison as a table. A missing tool skips locally and fails in CI (tests/needs.py)."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from needs import needs_module
from torchvision_models import needs_torchvision

torch = needs_module("torch")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


# Each tool as a user calls it on a module and a (C, H, W) input, batch 1; its total.


def flopcounter(module: Any, shape: tuple[int, ...]) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    from cnncalc.verify import counting

    counter = FlopCounterMode(display=False)
    with counting(torch), counter:  # as docs/conventions says to run it
        module(torch.randn(1, *shape))
    return int(counter.get_total_flops())


def fvcore(module: Any, shape: tuple[int, ...]) -> int:
    analysis = needs_module("fvcore.nn").FlopCountAnalysis(module, torch.randn(1, *shape))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return int(analysis.total())


def ptflops(**options: Any) -> Callable[[Any, tuple[int, ...]], int]:
    def run(module: Any, shape: tuple[int, ...]) -> int:
        needs_torchvision()  # ptflops imports torchvision: its import needs the care tests/torchvision_models.py takes
        ptflops = needs_module("ptflops")
        macs, _ = ptflops.get_model_complexity_info(
            module, shape, as_strings=False, print_per_layer_stat=False, **options
        )
        return int(macs)

    return run


def thop(module: Any, shape: tuple[int, ...]) -> int:
    macs, _ = needs_module("thop").profile(module, (torch.randn(1, *shape),), verbose=False)
    assert macs == int(macs)  # a float, exact below 2^53
    return int(macs)


def torchinfo(module: Any, shape: tuple[int, ...]) -> int:
    stats = needs_module("torchinfo").summary(module, input_data=[torch.randn(1, *shape)], verbose=0)
    return int(stats.total_mult_adds)


def calflops(module: Any, shape: tuple[int, ...]) -> int:
    calflops = needs_module("calflops")
    flops, _, _ = calflops.calculate_flops(module, input_shape=(1, *shape), print_results=False, output_as_string=False)
    return int(flops)


TOOLS: dict[str, Callable[[Any, tuple[int, ...]], int]] = {
    "flopcounter": flopcounter,
    "fvcore": fvcore,
    "ptflops": ptflops(),
    "ptflops-nofunc": ptflops(backend_specific_config={"count_functional": False}),
    "ptflops-aten": ptflops(backend="aten"),
    "thop": thop,
    "torchinfo": torchinfo,
    "calflops": calflops,
}
