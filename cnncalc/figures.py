"""Totals, roll-ups and claims: what a trace adds up to, and whether the author was right."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.conventions import flops
from cnncalc.engine import Node, Trace
from cnncalc.errors import Diagnostic, Mark, did_you_mean
from cnncalc.layers.api import Params, Shape, prod
from cnncalc.spec.loader import mark_of
from cnncalc.spec.model import Claim


@dataclass(frozen=True)
class Figures:
    """The numbers of one layer, one group of layers, or the whole network (per sample)."""

    output: Shape
    params: Params
    macs: int

    @property
    def output_size(self) -> int:
        return prod(self.output)

    @property
    def flops(self) -> int:
        return flops(self.macs)


@dataclass(frozen=True)
class Totals:
    """The network's totals; compute and activations for the trace's whole batch."""

    params: Params
    macs: int
    flops: int
    activation_elements: int  # per sample: every node's output, the input included
    activation_bytes: int
    weights_bytes: int
    output: Shape
    # Keys and values a causal (generating) model keeps per token, over its layers; and the
    # cache at the input's sequence length, for the batch (0 without causal attention).
    kv_cache_bytes_per_token: int = 0
    kv_cache_bytes: int = 0
    # Parameters a token does not use (a mixture of experts' experts it is not routed to).
    inactive_params: int = 0

    @property
    def active_params(self) -> int:
        """Parameters each token uses: all of them less the experts it is not routed to."""
        return self.params.total - self.inactive_params


def totals(trace: Trace, *, macs: Sequence[int] | None = None, params: Sequence[Params] | None = None) -> Totals:
    """The totals of `trace`'s facts; of `macs` and `params` per node in their place where
    given (a preset's, `cnncalc.analysis.Counts`)."""
    nodes = trace.nodes
    # Field by field: one Params a layer (Params.__add__) is a large share of a long network's time.
    if params is None:
        params_total = Params(
            sum(n.params.trainable for n in nodes),
            sum(n.params.non_trainable for n in nodes),
            sum(n.params.buffers for n in nodes),
        )
    else:
        params_total = Params(
            sum(p.trainable for p in params), sum(p.non_trainable for p in params), sum(p.buffers for p in params)
        )
    macs_total = (sum(macs) if macs is not None else sum(n.macs for n in nodes)) * trace.batch
    elements = sum([math.prod(n.output) for n in trace.nodes])  # (Node.output_size, without a call a layer)
    size = trace.bytes_per_element
    per_token, cached = kv_cache(trace)
    return Totals(
        params=params_total,
        macs=macs_total,
        flops=flops(macs_total),
        activation_elements=elements,
        activation_bytes=elements * trace.batch * size,
        weights_bytes=params_total.total * size,
        output=trace.nodes[-1].output,
        kv_cache_bytes_per_token=per_token * size,
        kv_cache_bytes=cached * trace.batch * size,
        inactive_params=inactive(trace),
    )


def inactive(trace: Trace) -> int:
    """Parameters a token does not use, over the layers that route tokens (`inactive_params`)."""
    found = 0
    routing: dict[type, bool] = {}  # asked of each kind once, as kv_cache does
    for node in trace.nodes:
        kind = type(node.layer)
        if kind not in routing:
            routing[kind] = hasattr(kind, "inactive_params")
        if routing[kind]:
            of_layer = getattr(node.layer, "inactive_params")  # noqa: B009 (a method some kinds have)
            found += of_layer(node.inputs)
    return found


def kv_cache(trace: Trace) -> tuple[int, int]:
    """(elements per token, elements at the input's length) of the KV cache, per sample: each
    causal self-attention keeps 2 * kv_heads * head width per token it has seen."""
    per_token = cached = 0
    # Asked of each kind once: getattr on a layer that lacks the method costs ~5 µs (pydantic).
    caching: dict[type, bool] = {}
    for node in trace.nodes:
        kind = type(node.layer)
        if kind not in caching:
            caching[kind] = hasattr(kind, "kv_cache_per_token")
        if not caching[kind]:
            continue
        of_layer = getattr(node.layer, "kv_cache_per_token")  # noqa: B009 (a method some kinds have)
        width: int = of_layer(node.inputs)
        per_token += width
        cached += width * node.inputs[0].size("L")
    return per_token, cached


def budgets(trace: Trace, count: str | None = None, *, memory: bool = False) -> dict[str, int]:
    """What each `limits:` budget is measured against: params, MACs and FLOPs per sample,
    activation bytes for the trace's batch (every output, the input included), weight bytes.

    With `count` (a preset's name, `limits: {count: fvcore}`), the tool's total replaces
    cnncalc's in its unit: MACs (FLOPs twice them), FLOPs (MACs half, rounded up, so that
    a MACs budget is crossed exactly when twice it is) or params (weight bytes follow);
    `RecountError` where the tool has no number for a kind in the network.

    The memory peaks are passes of their own, run only where a budget asks for them: the
    spec's limits, or `memory` (a default limit from pyproject.toml)."""
    t = totals(trace)
    macs = sum(n.macs for n in trace.nodes)
    figures = {
        "params": t.params.total,
        "macs": macs,
        "flops": flops(macs),
        "activation_memory": t.activation_bytes,
        "weights_bytes": t.weights_bytes,
    }
    limits = trace.spec.limits
    device = limits is not None and limits.device_memory is not None
    if memory or device or (limits is not None and limits.memory is not None):
        from cnncalc.analysis.memory import inference_peak

        figures["memory"] = inference_peak(trace.nodes, trace.batch, trace.dtype).total
    if limits is not None and limits.train_memory is not None:
        from cnncalc.analysis.memory import Precision, training_peak

        wanted = limits.train_memory
        size = trace.bytes_per_element
        peak = training_peak(trace.nodes, wanted.batch, wanted.optimizer, Precision(size, size))
        figures["train_memory"] = peak.total
    if device:
        # The device must hold the larger of the peaks the spec speaks of: inference, the
        # train_memory step, the step of its `training:` (per GPU), its `generation:`.
        figures["device_memory"] = max(figures["memory"], figures.get("train_memory", 0))
        if trace.spec.training is not None:
            from cnncalc.analysis import analyse
            from cnncalc.options import Options

            section = trace.spec.training
            training = Options(
                train=section.optimizer,
                master_weights=section.master_weights,
                optimizer_bits=section.optimizer_bits,
                gpus=section.gpus,
                zero=section.zero,
                tensor_parallel=section.tensor_parallel,
                pipeline_parallel=section.pipeline_parallel,
            )
            analysis = analyse(trace, training, claims=False)
            step = analysis.training_memory
            assert step is not None
            # Per GPU: the inference peak too is the sharded one.
            figures["device_memory"] = max(figures.get("train_memory", 0), analysis.inference_memory.total, step.total)
        if trace.spec.generation is not None:  # and what generating as its `generation:` says needs
            from cnncalc.analysis import analyse
            from cnncalc.options import Options

            generating = trace.spec.generation
            options = Options(new_tokens=generating.new_tokens, kv_dtype=generating.kv_dtype)
            generation = analyse(trace, options, claims=False).generation
            assert generation is not None
            figures["device_memory"] = max(figures["device_memory"], generation.peak.total)
        if limits is not None and limits.memory is None and not memory:
            del figures["memory"]
    if count is None:
        return figures
    from cnncalc.conventions import FLOPS_PER_MAC
    from cnncalc.conventions._preset import tally
    from cnncalc.conventions.compare import RecountError, why
    from cnncalc.conventions.registry import get

    result = tally(get(count), trace)
    total = result.total
    if total is None:
        raise RecountError(f"{count} has no count for this network: {why(result)}")
    if result.preset.unit == "params":
        figures |= {"params": total, "weights_bytes": total * trace.bytes_per_element}
    elif result.preset.unit == "FLOPs":
        figures |= {"macs": -(-total // FLOPS_PER_MAC), "flops": total}
    else:
        figures |= {"macs": total, "flops": flops(total)}
    return figures


def group_members(trace: Trace, group: int) -> list[Node]:
    return [n for n in trace.nodes if group in n.groups]


def figures(trace: Trace, target: str) -> Figures | None:
    """Per-sample figures of a named layer or block, or of the `total`; None if unknown."""
    if target == "total":
        members = trace.nodes
    else:
        ref = trace.names.get(target)
        if ref is None:
            return None
        members = group_members(trace, ref[1]) if isinstance(ref, tuple) else [trace.nodes[ref]]
    return Figures(
        output=members[-1].output,
        params=sum((n.params for n in members), Params()),
        macs=sum(n.macs for n in members),
    )


def hwc(shape: Shape) -> tuple[int, ...]:
    """The sizes in the course's order, channels last (`Shape.ordered`)."""
    return shape.ordered("hwc")


@dataclass(frozen=True)
class ClaimResult:
    """One claimed number beside the computed one."""

    target: str
    field: str
    claimed: Any
    actual: Any
    mark: Mark | None
    figures: Figures

    @property
    def confirmed(self) -> bool:
        return bool(self.claimed == self.actual)


def _actual(fig: Figures, field: str) -> Any:
    values: dict[str, Any] = {
        "shape": list(hwc(fig.output)),
        "output_size": fig.output_size,
        "params": fig.params.total,
        "trainable_params": fig.params.trainable,
        "non_trainable_params": fig.params.non_trainable,
        "buffers": fig.params.buffers,
        "macs": fig.macs,
        "flops": fig.flops,
    }
    return values[field]


def check_claims(trace: Trace) -> tuple[list[ClaimResult], list[Diagnostic]]:
    """Every `expect:` claim, confirmed or refuted; and claims about names that do not exist."""
    results: list[ClaimResult] = []
    unknown: list[Diagnostic] = []
    raw = trace.spec.raw.get("expect", {}) if isinstance(trace.spec.raw, dict) else {}
    for target, claim in trace.spec.expect.items():
        fig = figures(trace, target)
        if fig is None:
            hint = did_you_mean(target, ["total", *trace.names])
            where = mark_of(raw, target, of_key=True) or Mark(1, 1)
            unknown.append(Diagnostic(trace.path, where, f"expect: no layer or block is named '{target}'{hint}"))
            continue
        for field in Claim.model_fields:
            claimed = getattr(claim, field)
            if claimed is not None:
                mark = mark_of(raw.get(target), field) if isinstance(raw, dict) else None
                results.append(ClaimResult(target, field, claimed, _actual(fig, field), mark, fig))
    return results, unknown
