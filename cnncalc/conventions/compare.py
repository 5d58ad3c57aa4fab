"""Every preset beside cnncalc's own count: what `cnncalc counters` shows, and `--count`.

`rows` gives one row per counter with its number, the difference to cnncalc's in the same
unit and, in words, where that difference comes from, kind by kind. A preset's per-node
figures for `--count` are `cnncalc.analysis.counted`'s, beside the trace's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.conventions import registry
from cnncalc.conventions._preset import Preset, Tally, tally
from cnncalc.engine import Trace

DEFAULT_WHY = "conv + dense multiply-accumulates, bias excluded"


@dataclass(frozen=True)
class Row:
    """One counter's total for a spec (per sample) and why it differs from cnncalc's."""

    name: str
    tool: str
    unit: str
    count: int | None  # None where the tool has no number for a kind in the network
    versus: str  # `-`, `x2`, `+22,328,320`
    difference: int | None  # the count minus cnncalc's in the same unit
    why: str
    by_kind: dict[str, int]


def _n(v: int) -> str:
    return f"{v:,}"


def _signed(v: int) -> str:
    return f"{v:+,}"


def why(result: Tally) -> str:
    """The difference to cnncalc's count, by kind, in words: `batchnorm 2 per element (+22,227,968)`."""
    preset = result.preset
    if result.undefined:
        return "; ".join(f"not defined for {kind}: {behaviour}" for kind, behaviour in result.undefined.items())
    parts = []
    if preset.unit == "FLOPs":
        parts.append("counts 2 FLOPs per MAC")
    for kind, diff in sorted(result.by_kind.items(), key=lambda item: (-abs(item[1]), item[0])):
        phrase = result.phrase(kind)
        parts.append(f"{kind} {phrase} ({_signed(diff)})" if phrase else f"{kind} ({_signed(diff)})")
    if not parts:
        return "the same rules as cnncalc on this network"
    return ", ".join(parts)


def row(preset: Preset, trace: Trace) -> Row:
    result = tally(preset, trace)
    total = result.total
    difference = None if total is None else total - result.default_total
    if total is None:
        versus = "-"
    elif preset.unit == "FLOPs":
        versus = "x2" if difference == 0 else f"x2 {_signed(difference or 0)}"
    else:
        versus = _signed(difference or 0)
    return Row(preset.name, preset.tool, preset.unit, total, versus, difference, why(result), result.by_kind)


def rows(trace: Trace) -> list[Row]:
    """cnncalc's own row, then every preset's."""
    macs = sum(n.macs for n in trace.nodes)
    own = Row("cnncalc", "cnncalc", "MACs", macs, "-", 0, DEFAULT_WHY, {})
    return [own, *(row(preset, trace) for preset in registry.every())]


class RecountError(Exception):
    """The preset cannot fill a table for this spec (a kind it has no number for)."""


def convention(preset: Preset) -> str:
    """The report's convention line under `--count`."""
    if preset.unit == "params":
        return (
            f"Parameters as {preset.tool} counts them: {preset.summary}. MACs are cnncalc's own "
            f"({DEFAULT_WHY}); FLOPs = 2 × MACs."
        )
    if preset.unit == "FLOPs":
        return f"Counted as {preset.tool} counts FLOPs ({preset.summary}); MACs shown = its FLOPs / 2."
    return f"MACs as {preset.tool} counts them: {preset.summary}; FLOPs = 2 × MACs."


def _rounds_to(claimed: int, exact: int) -> bool:
    """Whether `claimed` is `exact` written with fewer digits (4.11G for 4,111,512,576):
    rounded or cut to the claim's own significant digits, at least two of them."""
    if claimed == exact:
        return True
    digits = str(claimed)
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == 0 or len(digits) - zeros < 2:
        return False
    scale = 10**zeros
    return claimed in (exact // scale * scale, (exact + scale // 2) // scale * scale)


def explain_total(claimed: int, field: str, trace: Trace) -> str | None:
    """Why a claimed network total is another tool's number, if a preset's total (or its
    rounding) is the claim: `4,111,512,576 is fvcore's count of MACs (...): batchnorm ...`."""
    units = {"macs": ("MACs", "FLOPs"), "flops": ("FLOPs", "MACs"), "params": ("params",)}.get(field, ())
    found: list[tuple[Preset, Tally, int]] = []
    for preset in registry.every():
        if preset.unit not in units:
            continue
        result = tally(preset, trace)
        total = result.total
        if total is not None and total != result.default_total and _rounds_to(claimed, total):
            found.append((preset, result, total))
    if not found:
        return None
    preset, result, total = found[0]
    said = f"{_n(claimed)} is" if claimed == total else f"{_n(claimed)} rounds {_n(total)},"
    also = [p.name for p, _, t in found[1:] if t == total]
    others = f" (and {', '.join(also)}'s)" if also else ""
    ours = "parameters" if preset.unit == "params" else f"MACs ({DEFAULT_WHY})"
    whose = f"{preset.name}'s count of {preset.unit}{others} ({preset.tool})"
    return f"{said} {whose}: {why(result)}; cnncalc counts {ours}"
