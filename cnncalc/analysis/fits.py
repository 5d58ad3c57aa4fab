"""Does it fit a device's memory, and up to which batch?

A peak is the weights (fixed) plus, at each moment, tensors that grow with the batch: the
largest of such sums never shrinks as the batch grows. So the largest batch that fits is
found by doubling the batch until it no longer fits, then bisecting: at most
2 x log2(BATCH_BOUND) + 1 analyses, one peak each. The search stops at BATCH_BOUND.

Only the tensors are counted (cnncalc.analysis.memory): the allocator's fragmentation, the
CUDA context (some hundreds of MiB) and libraries' workspaces (cuBLAS, cuDNN, NCCL) come on
top, so a fit with little headroom may not fit in practice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BATCH_BOUND = 1 << 20  # the largest batch searched


@dataclass(frozen=True)
class Fit:
    """One peak against a device's memory, and the largest batch whose peak fits it."""

    what: str  # "inference" or "training step"
    peak: int  # bytes, at the trace's batch
    device: int  # bytes
    largest_batch: int | None  # None: not even batch 1 fits
    analyses: int  # peaks worked out by the search

    @property
    def fits(self) -> bool:
        return self.peak <= self.device

    @property
    def headroom(self) -> int:
        """Bytes left at the trace's batch (negative: how far over)."""
        return self.device - self.peak

    @property
    def at_bound(self) -> bool:
        """The search stopped at its bound: larger batches may fit too."""
        return self.largest_batch == BATCH_BOUND


def largest_batch(peak_at: Callable[[int], int], device: int, bound: int = BATCH_BOUND) -> tuple[int | None, int]:
    """The largest batch up to `bound` whose `peak_at(batch)` is at most `device` (None if
    not batch 1), and how many peaks that took. `peak_at` never decreases with the batch."""
    analyses = 0

    def fits(batch: int) -> bool:
        nonlocal analyses
        analyses += 1
        return peak_at(batch) <= device

    if not fits(1):
        return None, analyses
    low, high = 1, 2  # low fits; high is next to try
    while high <= bound and fits(high):
        low, high = high, high * 2
    high = min(high, bound + 1)  # the first batch known not to fit, or past the bound
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low, analyses


def fit(what: str, peak: int, device: int, peak_at: Callable[[int], int]) -> Fit:
    """`peak` against `device`, with the largest batch that fits."""
    batch, analyses = largest_batch(peak_at, device)
    return Fit(what, peak, device, batch, analyses)
