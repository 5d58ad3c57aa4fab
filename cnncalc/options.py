"""The command line's shared flags, declared once, and the one options object commands fill.

Each flag is a function returning its typer declaration (the flag's name, parser and
metavar fixed here; the help, where a command words it its own way, passed in) and, for
the common wording, an `Annotated` alias a command's signature uses as it is. Values are
parsed here rather than by typer, whose messages come from pydantic ("Value error, 'fp16'
is not one of 'float32', ..."; "Input should be greater than ..."). `--format`'s choices,
metavar and help come from the renderer table in `cnncalc.output`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer

from cnncalc.output import What, check_format, formats

E = TypeVar("E", bound=Enum)


class Layout(str, Enum):
    hwc = "hwc"
    chw = "chw"


class DType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"


class KVDType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    float8 = "float8"
    int8 = "int8"


class Kernel(str, Enum):
    fused = "fused"
    eager = "eager"


class Optimizer(str, Enum):
    sgd = "sgd"
    momentum = "momentum"
    adam = "adam"
    adamw = "adamw"


class Device(str, Enum):
    auto = "auto"
    cuda = "cuda"
    cpu = "cpu"
    meta = "meta"


class RankDir(str, Enum):
    TB = "TB"
    LR = "LR"


# The short names people write for a dtype (PyTorch's, papers'); each reads as the long one.
DTYPE_ALIASES = {"fp32": "float32", "f32": "float32", "float": "float32", "single": "float32"}
DTYPE_ALIASES |= {"fp16": "float16", "f16": "float16", "half": "float16", "bf16": "bfloat16", "i8": "int8"}


@dataclass
class Options:
    """What a command was asked for, parsed: the one object the library and `emit` read."""

    format: str = "table"
    output: str | None = None
    wide: bool = False
    count: str | None = None
    batch: int | None = None
    dtype: str = "float32"
    layout: str = "hwc"
    depth: int | None = None
    inputs: list[str] = field(default_factory=list)
    train: str | None = None
    master_weights: str | None = None
    device: str = "auto"
    # Spread over GPUs (cnncalc.analysis.sharding), 8-bit optimizer state, a device to fit.
    gpus: int = 1
    zero: int = 0
    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    optimizer_bits: int = 32
    device_memory: int | None = None
    # Generation (cnncalc.analysis.memory.Generation) and the attention kernel assumed.
    new_tokens: int | None = None
    kv_dtype: str | None = None
    attention: str | None = None
    # Training setups written into the spec (cnncalc.setups): frozen layers or blocks,
    # checkpointed blocks, LoRA adapters (`8` or `8:q,v`).
    freeze: list[str] = field(default_factory=list)
    checkpoint: list[str] = field(default_factory=list)
    lora: str | None = None


def choice(kind: type[E], aliases: dict[str, str] | None = None) -> Callable[[Any], E]:
    """A parser for one of `kind`'s values, or of the other `aliases` of one (`fp16`);
    anything else is a usage error listing them."""
    names = [str(member.value) for member in kind]

    def parse(value: Any) -> E:
        if isinstance(value, kind):
            return value
        if value in names:
            return kind(value)
        if aliases and str(value).lower() in aliases:
            return kind(aliases[str(value).lower()])
        from cnncalc.errors import did_you_mean

        raise typer.BadParameter(f"'{value}' is not one of {', '.join(names)}{did_you_mean(str(value), names)}")

    return parse


def choices(kind: type[Enum]) -> str:
    """`[hwc|chw]`: how help shows an option that takes one of `kind`'s values."""
    return "[" + "|".join(str(member.value) for member in kind) + "]"


def whole(minimum: int) -> Callable[[Any], int]:
    """A parser for a whole number of at least `minimum`."""

    def parse(value: Any) -> int:
        try:
            number = int(value)
        except ValueError:
            raise typer.BadParameter(f"'{value}' is not a whole number") from None
        if number < minimum:
            raise typer.BadParameter(f"{number} is less than {minimum}")
        return number

    return parse


def enum_option(kind: type[Enum], help: str, aliases: dict[str, str] | None = None) -> Any:
    """An option taking one of `kind`'s values, shown as `[a|b]`."""
    return typer.Option(parser=choice(kind, aliases), metavar=choices(kind), help=help)


def checked_format(what: What, value: str | None, param_hint: str | None = None) -> str | None:
    """`value` if `what` has a renderer of that name (None passes: an option left out that
    has no default); else a usage error listing the renderer table's choices."""
    from cnncalc.output import UnknownFormat

    if value is None:
        return None
    try:
        return check_format(what, value)
    except UnknownFormat as exc:
        raise typer.BadParameter(str(exc), param_hint=param_hint) from None


def format_option(what: What, help: str | None = None, *, checked: bool = True) -> Any:
    """`-f/--format`, one of the renderer table's formats for `what`: the metavar and (unless a
    command words its own) the help list them. `checked=False` leaves the check to the
    command's body (diff checks its format after parsing everything else)."""
    names = formats(what)
    listed = f"{', '.join(names[:-1])} or {names[-1]}." if len(names) > 1 else f"{names[0]}."

    def callback(value: str | None) -> str | None:
        return checked_format(what, value)

    return typer.Option(
        "--format",
        "-f",
        callback=callback if checked else None,
        metavar="[" + "|".join(names) + "]",
        help=help or listed,
    )


def output_option(help: str) -> Any:
    """`-o/--output FILE`: where the report goes instead of stdout."""
    return typer.Option("--output", "-o", metavar="FILE", help=help)


def wide_option(help: str) -> Any:
    """`--wide`: every column, whatever the terminal's width."""
    return typer.Option("--wide", help=help)


# --wide's help where a table's columns go one by one to fit the width.
WIDE_HELP = (
    "Show every column. At a terminal, or with COLUMNS set, the output fits that width: "
    "columns go, in this order and only as far as needed: {order}; "
    "{kept} always stay, and a line says what was left out. Piped, every column shows."
)


def _preset_choice(value: str | None) -> str | None:
    if value is None:
        return None
    from cnncalc.conventions.registry import names

    if value not in names():
        from cnncalc.errors import did_you_mean

        raise typer.BadParameter(f"'{value}' is not one of {', '.join(names())}{did_you_mean(value, names())}")
    return value


def count_option(help: str) -> Any:
    """`--count PRESET`: count as another tool does."""
    return typer.Option("--count", callback=_preset_choice, metavar="PRESET", help=help)


def train_option(help: str) -> Any:
    """`--train OPTIMIZER`: the training step's optimizer."""
    return enum_option(Optimizer, help)


def layout_option(help: str = "Show shapes as (H, W, C) or (C, H, W).") -> Any:
    return enum_option(Layout, help)


def depth_option(help: str) -> Any:
    """`--depth N`: blocks nested deeper than N shown as one each."""
    return typer.Option(parser=whole(0), metavar="N", help=help)


def batch_option(help: str = "Batch size for MACs and activations.") -> Any:
    return typer.Option(parser=whole(1), metavar="N", help=help)


def size(value: Any) -> int:
    """A number of bytes, `80GiB`, `24 GB` or `1000000`."""
    from cnncalc.spec.model import _bytes

    try:
        number = _bytes(value)
        number = int(number)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if number < 1:
        raise typer.BadParameter(f"{number} is less than 1 byte")
    return number


def zero_stage(value: Any) -> int:
    """A ZeRO stage: 0, 1, 2 or 3."""
    if str(value) not in ("0", "1", "2", "3"):
        raise typer.BadParameter(f"'{value}' is not one of 0, 1, 2, 3")
    return int(value)


def optimizer_bits(value: Any) -> int:
    """Bits per element of the optimizer's state: 32 (as the weights) or 8 (bitsandbytes)."""
    if str(value) not in ("8", "32"):
        raise typer.BadParameter(f"'{value}' is not one of 8, 32")
    return int(value)


SpecArgument = Annotated[
    str, typer.Argument(metavar="SPEC", help="A spec file, or the name of a bundled one (lenet, resnet50).")
]
BatchOption = Annotated[int | None, batch_option()]
DTypeOption = Annotated[DType, enum_option(DType, "Element type for weight and activation bytes.", DTYPE_ALIASES)]
MasterWeightsOption = Annotated[
    DType | None,
    enum_option(
        DType,
        "With --train: mixed precision, a copy of the weights (and the optimizer state) in this dtype.",
        DTYPE_ALIASES,
    ),
]
LayoutOption = Annotated[Layout, layout_option()]
GpusOption = Annotated[
    int,
    typer.Option(
        parser=whole(1),
        metavar="N",
        help="Memory per GPU when N GPUs train data parallel (the batch is per GPU); see --zero.",
    ),
]
ZeroOption = Annotated[
    int,
    typer.Option(
        parser=zero_stage,
        metavar="[0|1|2|3]",
        help="With --gpus: ZeRO stage, sharding the optimizer state (1), the gradients too (2), "
        "the weights too (3, FSDP).",
    ),
]
TensorParallelOption = Annotated[
    int,
    typer.Option(
        parser=whole(1),
        metavar="T",
        help="Memory per GPU with T-way tensor parallelism (weights and activations split T ways).",
    ),
]
PipelineParallelOption = Annotated[
    int,
    typer.Option(
        parser=whole(1),
        metavar="P",
        help="Memory per GPU with P pipeline stages (weights split P ways, activations not).",
    ),
]
OptimizerBitsOption = Annotated[
    int,
    typer.Option(
        parser=optimizer_bits,
        metavar="[8|32]",
        help="With --train: 8 keeps the optimizer's state in one byte an element (bitsandbytes).",
    ),
]
DeviceMemoryOption = Annotated[
    int | None,
    typer.Option(
        parser=size,
        metavar="SIZE",
        help="A GPU's memory (80GiB): say whether inference and the training step fit, the headroom "
        "and the largest batch that fits.",
    ),
]
NewTokensOption = Annotated[
    int | None,
    typer.Option(
        parser=whole(1),
        metavar="M",
        help="Also the peaks of generating M tokens after the prompt (the input's l tokens): weights, the KV "
        "cache for the whole context, and the prefill's or one decode step's activations.",
    ),
]
KVDTypeOption = Annotated[
    KVDType | None,
    enum_option(
        KVDType, "With --new-tokens: the KV cache's element type (default: --dtype).", DTYPE_ALIASES | {"fp8": "float8"}
    ),
]
AttentionOption = Annotated[
    Kernel | None,
    enum_option(
        Kernel,
        "The attention kernel the memory figures assume, for every attention layer with the Llama layout: fused "
        "(flash: no L x L scores kept) or eager (the scores and probabilities made, the probabilities kept). "
        "Default: each layer's `kernel:`, fused.",
    ),
]
FreezeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--freeze",
        metavar="NAME",
        help="Freeze the layer of this name, or every use of the block of this name, as `trainable: false` "
        "does (repeat for several).",
    ),
]
CheckpointOption = Annotated[
    list[str] | None,
    typer.Option(
        "--checkpoint",
        metavar="BLOCK",
        help="Activation checkpointing on every use of this block (or the use of this name), as "
        "`checkpoint: true` does (repeat for several).",
    ),
]
LoraOption = Annotated[
    str | None,
    typer.Option(
        "--lora",
        metavar="RANK[:NAME,...]",
        help="LoRA as peft's get_peft_model: adapters of this rank on the targets named, q, k, v, o (or "
        "q_proj, ...) for attention's projections, gate, up, down for a gated_ffn's, and layers by name "
        "(8:q,v,lm_head); without names q and "
        "v (peft's default for Llama), or every dense layer where there is no attention. Every other layer is "
        "frozen (one written `trainable: true` trains); a name that picks nothing exits 2.",
    ),
]
DeviceOption = Annotated[
    Device,
    enum_option(Device, "Where PyTorch runs the check: auto (cuda if there, else cpu), cuda, cpu or meta (no memory)."),
]
InputOption = Annotated[
    list[str] | None,
    typer.Option(
        "--input",
        metavar="NAME=VALUE[,VALUE...]",
        help="Run at other input dimensions: l=512, or h=224,384 for one totals row per value "
        "(repeat the option for several dimensions; src.l=512 for one of several named inputs:). "
        "The spec's expect: claims are then not checked.",
    ),
]
SpecsOnlyOption = Annotated[
    bool, typer.Option("--specs-only", help="Skip named files that do not look like specs (for pre-commit).")
]


def value(member: Enum | None) -> str | None:
    """An enum option's value as the library takes it (None stays None)."""
    return None if member is None else str(member.value)
