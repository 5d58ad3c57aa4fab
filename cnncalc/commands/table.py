"""`cnncalc table`: each layer's shape, parameters and MACs, and the totals; with `--input`
at several values, one totals row per value (a sweep)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cnncalc import emit
from cnncalc.commands import analysed, resolved
from cnncalc.emit import Emission
from cnncalc.errors import SpecError
from cnncalc.options import (
    WIDE_HELP,
    AttentionOption,
    BatchOption,
    CheckpointOption,
    Device,
    DeviceMemoryOption,
    DeviceOption,
    DType,
    DTypeOption,
    FreezeOption,
    GpusOption,
    InputOption,
    KVDTypeOption,
    Layout,
    LoraOption,
    MasterWeightsOption,
    NewTokensOption,
    Optimizer,
    OptimizerBitsOption,
    Options,
    PipelineParallelOption,
    SpecArgument,
    TensorParallelOption,
    ZeroOption,
    count_option,
    depth_option,
    format_option,
    layout_option,
    train_option,
    value,
    wide_option,
)

if TYPE_CHECKING:
    from cnncalc.inputs import Variant
    from cnncalc.spec.model import Spec

COLUMNS_CUT = (
    "'params·MACs share', 'RF', 'size', 'hyperparameters' cut to 15, 'hyperparameters', "
    "'type', '#', 'layer' cut to 16, 'MACs', 'layer' cut to 8"
)
COUNT_HELP = (
    "Count as another tool does: flopcounter, fvcore, ptflops, ptflops-nofunc, ptflops-aten, "
    "thop, torchinfo, calflops or keras (cnncalc counters compares them all)."
)


def table(
    spec: SpecArgument,
    output_format: Annotated[str, format_option("trace")] = "table",
    layout: Annotated[Layout, layout_option("Show shapes as (H, W, C), the course's, or (C, H, W).")] = Layout.hwc,
    batch: BatchOption = None,
    dtype: DTypeOption = DType.float32,
    depth: Annotated[int | None, depth_option("Show blocks nested deeper than this as one roll-up row each.")] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Build the spec in PyTorch and check every number (needs torch).")
    ] = False,
    device: DeviceOption = Device.auto,
    wide: Annotated[bool, wide_option(WIDE_HELP.format(order=COLUMNS_CUT, kept="layer, output and params"))] = False,
    count: Annotated[str | None, count_option(COUNT_HELP)] = None,
    inputs: InputOption = None,
    train: Annotated[
        Optimizer | None, train_option("Also the peak memory of one training step with this optimizer, in parts.")
    ] = None,
    master_weights: MasterWeightsOption = None,
    optimizer_bits: OptimizerBitsOption = 32,
    gpus: GpusOption = 1,
    zero: ZeroOption = 0,
    tensor_parallel: TensorParallelOption = 1,
    pipeline_parallel: PipelineParallelOption = 1,
    device_memory: DeviceMemoryOption = None,
    new_tokens: NewTokensOption = None,
    kv_dtype: KVDTypeOption = None,
    attention: AttentionOption = None,
    freeze: FreezeOption = None,
    checkpoint: CheckpointOption = None,
    lora: LoraOption = None,
) -> Emission:
    """Print each layer's shape, parameters and MACs, and the totals.

    Exit 1 if a claim of the spec's `expect:` is refuted.
    """
    from cnncalc.spec import load_spec

    for flag, given in (("--master-weights", master_weights is not None), ("--optimizer-bits", optimizer_bits != 32)):
        if given and train is None:
            raise typer.BadParameter(f"{flag} needs --train", param_hint=f"'{flag}'")
    options = Options(
        format=output_format, wide=wide, count=count, batch=batch, dtype=dtype.value, layout=layout.value,
        depth=depth, inputs=inputs or [], train=value(train), master_weights=value(master_weights),
        device=device.value, gpus=gpus, zero=zero, tensor_parallel=tensor_parallel,
        pipeline_parallel=pipeline_parallel, optimizer_bits=optimizer_bits, device_memory=device_memory,
        new_tokens=new_tokens, kv_dtype=value(kv_dtype), attention=value(attention),
        freeze=freeze or [], checkpoint=checkpoint or [], lora=lora
    )  # fmt: skip
    path = resolved(spec)
    with emit.spec_errors():
        loaded = load_spec(path)
    options = with_generation(with_training(options, loaded), loaded)
    loaded = with_setups(loaded, options)
    if options.zero and options.gpus == 1:
        raise typer.BadParameter("--zero shards over --gpus: give --gpus 2 or more", param_hint="'--zero'")
    if options.kv_dtype and not options.new_tokens:
        raise typer.BadParameter("--kv-dtype needs --new-tokens", param_hint="'--kv-dtype'")
    if not options.inputs:
        return tabled(loaded, path, options, verify, None)
    return at_inputs(loaded, path, options, verify)


def with_training(options: Options, spec: Spec) -> Options:
    """`options` with the spec's `training:` wherever the command line left the default."""
    training = spec.training
    if training is None:
        return options
    given: dict[str, Any] = {
        "train": training.optimizer,
        "master_weights": training.master_weights,
        "optimizer_bits": training.optimizer_bits,
        "gpus": training.gpus,
        "zero": training.zero,
        "tensor_parallel": training.tensor_parallel,
        "pipeline_parallel": training.pipeline_parallel,
    }
    default = Options()
    return replace(options, **{k: v for k, v in given.items() if getattr(options, k) == getattr(default, k)})


def with_generation(options: Options, spec: Spec) -> Options:
    """`options` with the spec's `generation:` wherever the command line left them out."""
    generation = spec.generation
    if generation is None:
        return options
    return replace(
        options,
        new_tokens=options.new_tokens or generation.new_tokens,
        kv_dtype=options.kv_dtype or generation.kv_dtype,
    )


def with_setups(spec: Spec, options: Options) -> Spec:
    """`spec` with `--freeze`, `--checkpoint` and `--lora` written into it (cnncalc.setups);
    exit 2 for one that names nothing in it."""
    from cnncalc.setups import SetupError, Setups, apply, parse_lora

    try:
        rank, names = parse_lora(options.lora) if options.lora else (0, ())
        adapted = apply(spec, Setups(tuple(options.freeze), tuple(options.checkpoint), rank, names))
    except SetupError as exc:
        emit.usage(str(exc))
    if options.lora and spec.expect and not options.inputs:
        # The adapters add parameters and MACs: the claims describe the network without them.
        emit.note(f"note: with --lora {options.lora} the spec's expect: claims are not checked")
    return adapted


def at_inputs(spec: Spec, path: str, options: Options, verify: bool) -> Emission:
    """The table at one `--input`, or the sweep over several."""
    # The claims are about the spec's own input: at another one they are not checked.
    variants = input_variants(spec, path, options.inputs)
    if len(variants) > 1:
        for given, option in ((verify, "--verify checks"), (options.depth is not None, "--depth shows the layers of")):
            if given:
                emit.usage(f"{option} one input; give --input one value per dimension")
        return swept(variants, path, options)
    if variants[0].spec.expect:
        emit.note(f"note: at --input {variants[0].label} the spec's expect: claims are not checked")
    return tabled(variants[0].spec, path, options, verify, variants[0].label)


def tabled(spec: Spec, path: str, options: Options, verify: bool, label: str | None) -> Emission:
    """The table of `spec` (at --input `label`, or with --lora, whose claims are not
    checked); exit 1 when a claim is refuted or PyTorch disagrees."""
    from cnncalc.engine import propagate
    from cnncalc.report import View

    try:
        trace = propagate(spec, path, batch=options.batch, dtype=options.dtype)
    except SpecError as error:
        emit.fail(at_input(error, label) if label is not None else error)
    analysis = analysed(trace, options, claims=label is None and not options.lora, verify=verify)
    human = options.format == "table"
    view = View(
        layout=options.layout,
        color=emit.color() and human,
        depth=options.depth,
        width=emit.width(options.wide) if human else None,
    )
    checked = analysis.verification
    refuted = not all(c.confirmed for c in analysis.claims) or (checked is not None and not checked.agrees)
    return Emission("trace", options.format, (analysis, view), emit.EXIT_FINDINGS if refuted else emit.EXIT_OK)


def at_input(error: SpecError, label: str) -> SpecError:
    """`error` saying which `--input` value the network failed at."""
    return SpecError([replace(d, message=f"{d.message} (at --input {label})") for d in error.diagnostics])


def input_variants(spec: Spec, path: str, texts: list[str]) -> list[Variant]:
    """The spec at every combination of `--input` values; exit 2 with the reason otherwise."""
    from cnncalc.inputs import InputError, parse, variants

    try:
        overrides = parse(texts)
    except InputError as exc:
        emit.usage(str(exc))
    try:
        return variants(spec, path, overrides)
    except InputError as exc:  # positioned at the spec's input
        emit.unusable(exc)


def swept(variants: list[Variant], path: str, options: Options) -> Emission:
    """One totals row per input (`--input l=128,1024`); a value the network refuses is a row
    saying why (and its diagnostic on stderr). Exit 2 when it refuses every value."""
    from cnncalc.engine import propagate
    from cnncalc.report.sweep import Row, Sweep

    rows = []
    batch_used, convention = options.batch or 1, ""
    for variant in variants:
        try:
            trace = propagate(variant.spec, path, batch=options.batch, dtype=options.dtype)
        except SpecError as error:
            for diagnostic in at_input(error, variant.label).diagnostics:
                emit.note(diagnostic)
            rows.append(Row(variant.label, variant.values, None, error.diagnostics[0]))
            continue
        analysis = analysed(trace, options, claims=False)
        batch_used = trace.batch
        convention = analysis.convention
        rows.append(Row(variant.label, variant.values, analysis))
    human = options.format == "table"
    sweep = Sweep(
        variants[0].spec.name,
        path,
        batch_used,
        options.dtype,
        options.layout,
        convention,
        options.count,
        options.train,
        options.master_weights,
        rows,
        emit.width(options.wide) if human else None,
        emit.color() and human,
    )
    refused = all(row.analysis is None for row in rows)
    return Emission("sweep", options.format, (sweep,), emit.EXIT_UNUSABLE if refused else emit.EXIT_OK)
