"""A budget under `limits:` (or the configuration's default limits) that the network exceeds.

Limits cover the whole network: `params`, `macs` and `flops` per sample,
`activation_memory` (every output, the input included, for the spec's batch) and
`weights_bytes`; `memory`, the peak of inference at the spec's batch (weights, buffers
and the activations alive at once), and `train_memory: {batch: 64, optimizer: adamw,
max: 22GiB}`, the peak of one training step (weights, gradients, optimizer state, what
autograd saves; see the README's memory section); `device_memory: 80GiB`, a device that
must hold the inference peak and, where given, the `train_memory` step, the step of the
spec's `training:` section (per GPU under its `gpus`, `zero`, ...) and the larger peak of
generating as its `generation:` section says (the prefill's or the last decode step's, with
the KV cache; tensors only: fragmentation, the CUDA context and library workspaces come on top).
Counts take suffixes (`25M`, `4.1G`), sizes units (`64 MiB`).
`count: fvcore` (or `cnncalc check --count fvcore`, for specs whose limits name none)
measures params, macs and flops as that tool counts them (`cnncalc counters`); the
message names it. Without one, cnncalc's own count.

PASS:

    name: small
    input: {features: 100}
    layers:
      - {type: dense, units: 10}
    limits: {params: 2000}

FAIL:

    name: big
    input: {features: 100}
    layers:
      - {type: dense, units: 100}
    limits: {params: 2000}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.errors import SpecError
from cnncalc.figures import budgets
from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule
from cnncalc.spec.loader import mark_of

RULE = Rule("CNC114", "limit-exceeded", "error")

UNITS = {
    "params": "",
    "macs": " MACs",
    "flops": " FLOPs",
    "activation_memory": " bytes",
    "weights_bytes": " bytes",
    "memory": " bytes at the inference peak",
    "train_memory": " bytes at the peak of a training step",
    "device_memory": " bytes at the largest peak (inference, the train_memory step, the training: step, "
    "the generation: peak)",
}


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None or ctx.spec is None:
        return
    mine = ctx.spec.limits.budgets() if ctx.spec.limits else {}
    raw = ctx.raw.get("limits") if isinstance(ctx.raw, dict) else None
    stated = ctx.spec.limits.count if ctx.spec.limits else None
    count = stated or ctx.count
    if not mine and not ctx.limits:
        return
    from cnncalc.conventions.compare import RecountError  # presets load only where limits are set

    try:
        actual = budgets(ctx.trace, count, memory="memory" in ctx.limits)
    except RecountError as exc:
        mark = mark_of(raw, "count") if stated else None
        yield RULE.at(ctx, mark, f"the limits cannot be measured: {exc}", "count")
        return
    except SpecError as exc:  # a `generation:` section on a network that does not generate
        message = exc.diagnostics[0].message
        yield RULE.at(ctx, mark_of(ctx.raw, "generation"), f"the limits cannot be measured: {message}", "generation")
        return
    by = f" by {count}'s count" if count else ""
    for field, computed in actual.items():
        limit = mine.get(field, ctx.limits.get(field))
        if limit is None or computed <= limit:
            continue
        source = "" if field in mine else " (a default limit from pyproject.toml)"
        mark = mark_of(raw, field) if field in mine else None
        if field == "train_memory" and field in mine and isinstance(raw, dict):
            mark = mark_of(raw["train_memory"], "max") or mark
        over = computed - limit
        counted = by if field in ("params", "macs", "flops", "weights_bytes") else ""
        yield RULE.at(
            ctx,
            mark,
            f"{field} {computed:,}{UNITS[field]}{counted} exceed the limit of {limit:,}{source} "
            f"by {over:,} ({100 * over / limit:.1f}%)",
            field,
        )
