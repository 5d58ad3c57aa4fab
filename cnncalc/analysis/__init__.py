"""The analysis stage: `analyse(trace, options) -> Analysis`, everything worked out from a
propagated trace's facts, held beside them, never written over them.

Passes over the trace (each reads the facts layers state and names no kind): the receptive
field (`receptive_field.py`), memory (`memory.py`), totals, claims (`expect:`), budgets
(`limits:`) and, under `--count`, a preset's numbers per node. Renderers read an Analysis
and a `View` (cnncalc.report); they compute nothing of their own. Figures a renderer may not
show (receptive fields, memory peaks) are worked out when first asked, by the Analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnncalc.analysis.fits import Fit
    from cnncalc.analysis.memory import Forms, Generation, Peak, Precision
    from cnncalc.analysis.receptive_field import ReceptiveField
    from cnncalc.analysis.sharding import Parallel
    from cnncalc.engine import Node, Trace
    from cnncalc.figures import ClaimResult, Totals
    from cnncalc.layers.api import Params
    from cnncalc.options import Options
    from cnncalc.verify import Verification


@dataclass(frozen=True)
class Counts:
    """One preset's numbers per node (`--count`), in node order; a column the preset leaves
    as cnncalc's is None and the facts' own numbers stand."""

    preset: str
    line: str  # what the numbers count, in the report's words (conventions.compare.convention)
    macs: list[int] | None = None
    params: list[Params] | None = None


@dataclass(frozen=True)
class Analysis:
    """What a trace adds up to: its claims checked, PyTorch's word when asked, the counts of
    the convention shown, and (when first asked) receptive fields and memory peaks."""

    trace: Trace
    claims: list[ClaimResult] = field(default_factory=list)
    verification: Verification | None = None  # `--verify`: PyTorch's word on every number
    counts: dict[str, Counts] = field(default_factory=dict)  # each requested preset's, by name
    count: str | None = None  # the preset whose numbers are shown (`--count`); None: cnncalc's
    train: str | None = None  # `--train OPTIMIZER`: also the peak of one training step
    master: str | None = None  # `--master-weights DTYPE`: mixed precision's copy of the weights
    optimizer_bits: int = 32  # `--optimizer-bits 8`: the optimizer's state in one byte an element
    parallel: Parallel | None = None  # `--gpus`, `--zero`, ...: memory per GPU (cnncalc.analysis.sharding)
    device_memory: int | None = None  # `--device-memory`: does it fit, and up to which batch
    new_tokens: int | None = None  # `--new-tokens`: also the peaks of generating that many tokens
    kv_dtype: str | None = None  # `--kv-dtype`: the KV cache's element type; None: the trace's dtype
    attention: str | None = None  # `--attention`: every attention layer's kernel; None: as each says
    step: Trace | None = None  # under `new_tokens`, the network at one position: a decode step

    @property
    def shown(self) -> Counts | None:
        """The numbers shown when they are a preset's, not the facts' own."""
        return self.counts[self.count] if self.count is not None else None

    def macs(self, node: Node) -> int:
        """`node`'s MACs per sample as shown."""
        if self.count is None:  # cnncalc's own (asked once a layer by every report: no property on the way)
            return node.macs
        shown = self.shown
        return node.macs if shown is None or shown.macs is None else shown.macs[node.index]

    def params(self, node: Node) -> Params:
        """`node`'s parameters as shown."""
        if self.count is None:
            return node.params
        shown = self.shown
        return node.params if shown is None or shown.params is None else shown.params[node.index]

    @property
    def convention(self) -> str:
        """What the numbers shown count, in one line."""
        shown = self.shown
        if shown is not None:
            return shown.line
        from cnncalc.conventions import convention

        line: str = convention(self.trace.convention).LINE
        return line

    @cached_property
    def claims_by_target(self) -> dict[int | tuple[str, int], dict[str, ClaimResult]]:
        """The claims by the node (or `("group", index)`) they are about, then by field."""
        by_target: dict[int | tuple[str, int], dict[str, ClaimResult]] = {}
        for claim in self.claims:
            ref = self.trace.names.get(claim.target)
            if ref is not None:
                by_target.setdefault(ref, {})[claim.field] = claim
        return by_target

    @cached_property
    def totals(self) -> Totals:
        """The network's totals, in the numbers shown."""
        from cnncalc.figures import totals

        shown = self.shown
        if shown is None:
            return totals(self.trace)
        return totals(self.trace, macs=shown.macs, params=shown.params)

    @cached_property
    def receptive_fields(self) -> list[ReceptiveField | None]:
        """Each node's receptive field, in node order (cnncalc.analysis.receptive_field)."""
        from cnncalc.analysis.receptive_field import receptive_fields

        return receptive_fields(self.trace.nodes)

    @cached_property
    def inference_memory(self) -> Peak:
        """The inference peak at the trace's batch and dtype (cnncalc.analysis.memory); per
        GPU under `parallel`."""
        return self.inference_peak_at(self.trace.batch)

    def inference_peak_at(self, batch: int) -> Peak:
        """The inference peak at `batch`, per GPU under `parallel`."""
        from cnncalc.analysis.memory import inference_peak

        trace = self.trace
        peak = inference_peak(trace.nodes, batch, trace.dtype, self.attention)
        if self.parallel is None:
            return peak
        from dataclasses import replace

        from cnncalc.analysis.sharding import per_gpu

        # Weights are there throughout: dividing each part leaves the peak where it was.
        parts = per_gpu(peak.parts, 0, self.parallel)
        return replace(peak, total=sum(parts.values()), parts=parts)

    @property
    def precision(self) -> Precision:
        """Bytes per element of a training step's tensors: `--dtype`, `--master-weights`,
        `--optimizer-bits`."""
        from cnncalc.analysis.memory import Precision
        from cnncalc.shape import DTYPE_BYTES

        size = DTYPE_BYTES[self.trace.dtype]
        master = DTYPE_BYTES[self.master] if self.master else 0
        return Precision(size, size, master, 1 if self.optimizer_bits == 8 else 0)

    @cached_property
    def memory_forms(self) -> Forms:
        """The forms the peaks assumed where the spec may say how the code runs."""
        from cnncalc.analysis.memory import forms

        return forms(self.trace.nodes, self.attention)

    @cached_property
    def training_memory(self) -> Peak | None:
        """Under `--train`, the peak of one training step, with its parts; per GPU under
        `parallel`."""
        return None if self.train is None else self.training_peak_at(self.trace.batch)

    def training_peak_at(self, batch: int) -> Peak:
        """The training step's peak at `batch` (`train` given), per GPU under `parallel`."""
        from functools import partial

        from cnncalc.analysis.memory import training_peak

        assert self.train is not None
        precision = self.precision
        divide = None
        if self.parallel is not None:
            from cnncalc.analysis.sharding import per_gpu

            master = sum(n.params.trainable for n in self.trace.nodes) * precision.master
            divide = partial(per_gpu, master=master, parallel=self.parallel)
        return training_peak(self.trace.nodes, batch, self.train, precision, divide, kernel=self.attention)

    @cached_property
    def generation(self) -> Generation | None:
        """Under `new_tokens`, the peaks of generating them after the input's tokens (the
        prefill's and the last decode step's), per GPU under `parallel`."""
        return None if self.new_tokens is None else self.generation_at(self.trace.batch)

    def generation_at(self, batch: int) -> Generation:
        """Generating `new_tokens` (given) at `batch`, per GPU under `parallel`: the weights as
        for inference, the KV cache and the activations split over tensor-parallel ranks."""
        from dataclasses import replace

        from cnncalc.analysis.memory import generation_peaks

        assert self.new_tokens is not None and self.step is not None
        trace = self.trace
        kv_dtype = self.kv_dtype or trace.dtype
        found = generation_peaks(
            trace.nodes, self.step.nodes, batch, trace.dtype, self.new_tokens, kv_dtype, self.attention
        )
        if self.parallel is None:
            return found
        from cnncalc.analysis.sharding import per_gpu

        prefill, decode = (per_gpu(p.parts, 0, self.parallel) for p in (found.prefill, found.decode))
        return replace(
            found,
            prefill=replace(found.prefill, total=sum(prefill.values()), parts=prefill),
            decode=replace(found.decode, total=sum(decode.values()), parts=decode),
        )

    @cached_property
    def reruns(self) -> tuple[int, int]:
        """The checkpointed blocks (`checkpoint: true`) a training step runs again in backward,
        and the MACs per sample they cost, in the numbers shown (cnncalc.analysis.memory)."""
        from cnncalc.analysis.memory import reruns

        return reruns(self.trace.nodes, self.macs)

    @cached_property
    def model_states(self) -> dict[str, int] | None:
        """Under `--train` and `parallel`, the ZeRO paper's model states per GPU: weights,
        master weights, gradients and optimizer state (cnncalc.analysis.sharding)."""
        if self.train is None or self.parallel is None:
            return None
        from cnncalc.analysis.memory import optimizer_state_bytes
        from cnncalc.analysis.sharding import model_states

        nodes = self.trace.nodes
        trainable = sum(n.params.trainable for n in nodes)
        frozen = sum(n.params.non_trainable + n.params.buffers for n in nodes)
        state = optimizer_state_bytes(nodes, self.train, self.precision)
        return model_states(trainable, frozen, self.train, self.precision, self.parallel, state)

    @cached_property
    def fits(self) -> list[Fit]:
        """Under `--device-memory`: whether inference (and, under `--train`, the training
        step) fits the device at the trace's batch, and the largest batch that does."""
        if self.device_memory is None:
            return []
        from cnncalc.analysis.fits import fit

        found = [fit("inference", self.inference_memory.total, self.device_memory, self._inference_total)]
        if self.generation is not None:
            generating = fit("generation", self.generation.peak.total, self.device_memory, self._generation_total)
            found.append(generating)
        if self.training_memory is not None:
            training = fit("training step", self.training_memory.total, self.device_memory, self._training_total)
            found.append(training)
        return found

    def _inference_total(self, batch: int) -> int:
        return self.inference_peak_at(batch).total

    def _generation_total(self, batch: int) -> int:
        return self.generation_at(batch).peak.total

    def _training_total(self, batch: int) -> int:
        return self.training_peak_at(batch).total

    def budgets(self) -> dict[str, int] | str:
        """Each `limits:` budget's figure, measured as `cnncalc check` would with the same
        `--count`: by the limits' own `count:`, else by the preset shown, else cnncalc's;
        the reason as text where that preset has no number for this network."""
        from cnncalc.figures import budgets

        limits = self.trace.spec.limits
        count = (limits.count if limits is not None else None) or self.count
        if count is None:
            return budgets(self.trace)
        from cnncalc.conventions.compare import RecountError  # only a named preset loads one

        try:
            return budgets(self.trace, count)
        except RecountError as exc:
            return f"not measured: {exc}"


def analyse(
    trace: Trace,
    options: Options | None = None,
    *,
    claims: bool = True,
    strict: bool = True,
    verify: bool = False,
) -> Analysis:
    """The analysis of `trace` at `options` (`count`, `train`, `master_weights`, `device`):
    its `expect:` claims checked (unless `claims` is False; claims about a name the network
    lacks left out unless `strict`), PyTorch's check under `verify`, then the preset's
    counts under `count`.

    Raises, in that order: SpecError for a claim about a name the network lacks,
    VerifyUnavailable where PyTorch cannot run, RecountError where the preset has no
    number for this network."""
    from cnncalc.errors import SpecError
    from cnncalc.figures import check_claims

    checked: list[ClaimResult] = []
    if claims:
        checked, unknown = check_claims(trace)
        if unknown and strict:
            raise SpecError(unknown)
    verification = None
    if verify:
        from cnncalc.verify import verify as verify_trace

        verification = verify_trace(trace, options.device if options is not None else "auto")
    count = options.count if options is not None else None
    counts = {count: counted(trace, count)} if count is not None else {}
    return Analysis(
        trace,
        checked,
        verification,
        counts,
        count,
        train=options.train if options is not None else None,
        master=options.master_weights if options is not None else None,
        optimizer_bits=options.optimizer_bits if options is not None else 32,
        parallel=parallel(options) if options is not None else None,
        device_memory=options.device_memory if options is not None else None,
        new_tokens=options.new_tokens if options is not None else None,
        kv_dtype=options.kv_dtype if options is not None else None,
        attention=options.attention if options is not None else None,
        step=one_position(trace) if options is not None and options.new_tokens else None,
    )


def one_position(trace: Trace) -> Trace:
    """`trace`'s network on one position of its sequence: a decode step. SpecError where the
    input is not a sequence (`l`) or the network takes no single position."""
    from cnncalc.engine import propagate
    from cnncalc.errors import START, Diagnostic, SpecError
    from cnncalc.spec.loader import mark_of

    spec = trace.spec
    if spec.input is None:  # named inputs: which one continues is not said
        where = (mark_of(spec.raw, "inputs") if spec.raw is not None else None) or START
        message = "generating (--new-tokens, `generation:`) continues one sequence: a network of several "
        message += "named inputs does not generate here"
        raise SpecError([Diagnostic(trace.path, where, message)])
    if spec.input.l is None:
        where = (mark_of(spec.raw, "input") if spec.raw is not None else None) or START
        message = "generating (--new-tokens, `generation:`) continues a sequence: the input has no length `l`"
        raise SpecError([Diagnostic(trace.path, where, message)])
    from cnncalc.figures import kv_cache

    if not kv_cache(trace)[0]:
        where = (mark_of(spec.raw, "layers") if spec.raw is not None else None) or START
        message = "generating (--new-tokens, `generation:`) needs a layer that keeps a KV cache, a causal "
        message += "self-attention: this network has none"
        raise SpecError([Diagnostic(trace.path, where, message)])
    one = type(spec.input).model_validate({**spec.input.model_dump(exclude_none=True), "l": 1})
    return propagate(spec.model_copy(update={"input": one}), trace.path, batch=trace.batch, dtype=trace.dtype)


def parallel(options: Options) -> Parallel | None:
    """The GPUs `options` spread the work over; None for one GPU holding everything."""
    from cnncalc.analysis.sharding import Parallel

    spread = Parallel(options.gpus, options.zero, options.tensor_parallel, options.pipeline_parallel)
    return None if spread.plain else spread


def counted(trace: Trace, name: str) -> Counts:
    """`trace`'s numbers per node as the preset `name` counts them (MACs, or parameters);
    RecountError where it has none for a kind in the network, or an odd count of FLOPs."""
    from cnncalc.conventions import FLOPS_PER_MAC
    from cnncalc.conventions._preset import NotDefined, tally
    from cnncalc.conventions.compare import RecountError, convention, why
    from cnncalc.conventions.registry import get
    from cnncalc.layers.api import Params

    preset = get(name)
    result = tally(preset, trace)
    if result.undefined:
        raise RecountError(f"{preset.name} has no count for this network: {why(result)}")
    line = convention(preset)
    if preset.unit == "params":
        params = []
        for node, count in zip(trace.nodes, result.per_node, strict=True):
            assert not isinstance(count, NotDefined)
            extra = count - node.params.total
            own = node.params
            # Keras' extra weights are PyTorch's buffers (less its one-element batch counter).
            params.append(
                Params(own.trainable, own.non_trainable + extra, max(own.buffers - extra - 1, 0)) if extra else own
            )
        return Counts(name, line, params=params)
    macs = []
    for node, count in zip(trace.nodes, result.per_node, strict=True):
        assert not isinstance(count, NotDefined)
        if preset.unit == "FLOPs":
            if count % FLOPS_PER_MAC:
                raise RecountError(
                    f"{preset.name} counts {count:,} FLOPs at node #{node.index} ({node.kind}), an odd number: "
                    f"its FLOPs have no MAC equivalent; `cnncalc counters` shows its totals"
                )
            count //= FLOPS_PER_MAC
        macs.append(count)
    return Counts(name, line, macs=macs)
