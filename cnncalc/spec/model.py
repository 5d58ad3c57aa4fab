"""The spec's top level: name, input (or several named inputs), blocks, layers, expect, limits.

Layers are validated one at a time, each against the one kind its `type` names
(`cnncalc.spec.parse`), so this module keeps them as the located YAML values.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    NonNegativeInt,
    PositiveInt,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cnncalc.layers.api import LayerList, Name
from cnncalc.shape import Shape
from cnncalc.spec.blocks import BlockDef

# Named input dimensions -> the layout they make (`cnncalc.shape`), and which dimension
# each of its axes comes from, in PyTorch's order. `d` is a volume's depth beside h and w,
# and a vector's width beside l alone (`{l: 128, d: 768}`, as transformers write it).
INPUT_LAYOUTS: dict[frozenset[str], tuple[str, tuple[str, ...]]] = {
    frozenset({"features"}): ("F", ("features",)),
    frozenset({"l", "c"}): ("CL", ("c", "l")),
    frozenset({"l", "d"}): ("LD", ("l", "d")),
    # `l` alone: the sequence is of integer token ids, what an embedding reads.
    frozenset({"l"}): ("L", ("l",)),
    frozenset({"h", "w", "c"}): ("CHW", ("c", "h", "w")),
    frozenset({"d", "h", "w", "c"}): ("CDHW", ("c", "d", "h", "w")),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(Strict):
    """One sample's dimensions, by name: `{h: 32, w: 32, c: 3}` (images), `{l: 100, c: 8}`
    (channels over a sequence, as conv1d reads it), `{l: 128, d: 768}` (a sequence of
    vectors), `{l: 128}` (a sequence of integer token ids, what an embedding reads),
    `{d: 16, h: 112, w: 112, c: 3}` (volumes) or `{features: 784}`."""

    h: PositiveInt | None = Field(None, description="Height.")
    w: PositiveInt | None = Field(None, description="Width.")
    c: PositiveInt | None = Field(None, description="Channels.")
    l: PositiveInt | None = Field(  # noqa: E741
        None, description="Length of a 1-D sequence; alone, the number of token ids."
    )
    d: PositiveInt | None = Field(
        None, description="Depth of a 3-D volume; with l alone, the width of each vector of the sequence."
    )
    features: PositiveInt | None = Field(None, description="Length of a flat feature vector.")
    batch: PositiveInt | None = Field(None, description="Batch size for totals (default 1: per sample).")
    dtype: Literal["float32", "float16", "bfloat16", "int64"] | None = Field(
        None,
        description="The input tensor's element type, for its bytes and verify's sample: default the "
        "activations' dtype, or int64 for token ids ({l} alone).",
    )

    @model_validator(mode="after")
    def _known_layout(self) -> InputSpec:
        given = frozenset(k for k in ("h", "w", "c", "l", "d", "features") if getattr(self, k) is not None)
        if given not in INPUT_LAYOUTS:
            raise ValueError(
                f"input names {', '.join(sorted(given)) or 'no dimensions'}; "
                "give {h, w, c}, {l, c}, {l, d}, {l} (token ids), {d, h, w, c} or {features}"
            )
        return self

    def shape(self) -> Shape:
        """In PyTorch's order, axes named: (C, H, W), (C, L), (L, D), (L,), (C, D, H, W) or (F,)."""
        given = frozenset(k for k in ("h", "w", "c", "l", "d", "features") if getattr(self, k) is not None)
        layout, dims = INPUT_LAYOUTS[given]
        return Shape((getattr(self, dim) for dim in dims), layout)


# A claim as a paper prints it (4.11G) is the number it rounds to; explanations say whose
# count it rounds. Defined before Claim, as the counts below are.
ClaimedCount = Annotated[NonNegativeInt, BeforeValidator(lambda value: _count(value))]


class Claim(Strict):
    """What the author believes about one layer (or `total`); each is checked."""

    shape: list[int] | None = Field(None, description="Output dims in the course's order: (H, W, C).")
    output_size: int | None = Field(None, description="Elements in one sample's output.")
    params: ClaimedCount | None = Field(None, description="Parameters, trainable and not (25557032 or 25.6M).")
    trainable_params: int | None = None
    non_trainable_params: int | None = None
    buffers: int | None = Field(None, description="Buffer elements (BatchNorm running statistics).")
    macs: ClaimedCount | None = Field(None, description="Multiply-accumulates per sample (4089184256 or 4.09G).")
    flops: ClaimedCount | None = Field(None, description="FLOPs per sample (2 x MACs).")


_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_COUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([KMGT])?\s*$", re.IGNORECASE)
_SCALE = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def _bytes(value: Any) -> Any:
    """`10 MiB`, `1.5GB` or a plain number of bytes."""
    if isinstance(value, str):
        match = _SIZE.match(value)
        if not match:
            raise ValueError(f"'{value}' is not a size such as 300000, '4 MiB' or '1.5 GB'")
        # Decimal, not float: 4.1 * 10**9 in binary floating point is 4,099,999,999.99...
        return int(Decimal(match[1]) * _UNITS[(match[2] or "b").lower()])
    return value


def _count(value: Any) -> Any:
    """`25M`, `4.1G` or a plain number."""
    if isinstance(value, str):
        match = _COUNT.match(value)
        if not match:
            raise ValueError(f"'{value}' is not a count such as 4000000, '25M' or '4.1G'")
        return int(Decimal(match[1]) * _SCALE[(match[2] or "").lower()])
    return value


Count = Annotated[PositiveInt, BeforeValidator(_count)]
Bytes = Annotated[PositiveInt, BeforeValidator(_bytes)]


def _preset(value: str) -> str:
    """One of the counting presets of `cnncalc counters` (cnncalc.conventions.registry),
    imported only when a spec names one: the plain path loads no preset."""
    from cnncalc.conventions.registry import names

    if value not in names():
        from cnncalc.errors import did_you_mean

        raise ValueError(f"'{value}' is not one of {', '.join(names())}{did_you_mean(value, names())}")
    return value


class _PresetNames:
    """The schema of a preset's name: an enum of the registry's, read when the schema is made."""

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        from cnncalc.conventions.registry import names

        return {"type": "string", "enum": names()}


PresetName = Annotated[str, AfterValidator(_preset), _PresetNames()]


class TrainMemory(Strict):
    """The most one training step may hold: `{batch: 64, optimizer: adamw, max: 22GiB}`."""

    batch: PositiveInt = Field(description="The batch the step is measured at.")
    optimizer: Literal["sgd", "momentum", "adam", "adamw"] = Field(
        description="Whose state the step holds: sgd (none), momentum (1x the weights), adam or adamw (2x)."
    )
    max: Bytes = Field(description="Most bytes the step may hold at its peak, e.g. 22GiB.")


class Limits(Strict):
    """Budgets for the whole network; `check` reports each one exceeded."""

    params: Count | None = Field(None, description="Most parameters, e.g. 25M.")
    macs: Count | None = Field(None, description="Most MACs per sample, e.g. 4.1G.")
    flops: Count | None = Field(None, description="Most FLOPs per sample.")
    activation_memory: Bytes | None = Field(None, description="Most activation bytes per batch, e.g. '64 MiB'.")
    weights_bytes: Bytes | None = Field(None, description="Most weight bytes, e.g. '100 MB'.")
    memory: Bytes | None = Field(
        None, description="Most bytes at the inference peak (weights, buffers, live activations), at the spec's batch."
    )
    train_memory: TrainMemory | None = Field(
        None, description="Most bytes at the peak of one training step at a batch, with an optimizer."
    )
    device_memory: Bytes | None = Field(
        None,
        description="A device's memory, e.g. 80GiB: the inference peak at the spec's batch must fit it, and so "
        "must the training step of train_memory where given, the step of `training:` and the larger generation "
        "peak of `generation:`.",
    )
    count: PresetName | None = Field(
        None,
        description="Measure params, macs and flops as this tool counts them (fvcore, ptflops, thop...; "
        "cnncalc counters lists them); default: cnncalc's own count.",
    )

    def budgets(self) -> dict[str, int]:
        """The budgets given, by field, without `count`."""
        found = {k: v for k, v in self.model_dump(exclude_none=True).items() if k not in ("count", "train_memory")}
        if self.train_memory is not None:
            found["train_memory"] = self.train_memory.max
        return found


class Training(Strict):
    """How the network is trained, for the memory report (`cnncalc table`'s `--train` and the
    options beside it, which override these): `{optimizer: adamw, master_weights: float32,
    gpus: 8, zero: 3}`."""

    optimizer: Literal["sgd", "momentum", "adam", "adamw"] = Field(
        description="The optimizer whose state the step holds (as --train)."
    )
    master_weights: Literal["float32", "float16", "bfloat16"] | None = Field(
        None, description="Mixed precision: a copy of the weights and the optimizer state in this dtype."
    )
    optimizer_bits: Literal[8, 32] = Field(
        32, description="8: the optimizer's state as bitsandbytes' 8-bit optimizers keep it (one byte an element)."
    )
    gpus: PositiveInt = Field(1, description="Data-parallel GPUs; the figures are per GPU, the batch per GPU.")
    zero: Literal[0, 1, 2, 3] = Field(0, description="ZeRO stage over the GPUs (3: FSDP).")
    tensor_parallel: PositiveInt = Field(1, description="GPUs each layer is split over (weights, activations).")
    pipeline_parallel: PositiveInt = Field(1, description="Pipeline stages the layers are split over (weights).")


class Imported(Strict):
    """Where `cnncalc import` wrote the spec from, for `cnncalc check` to import it again and
    report drift: `{source: llama2_7b.json, tokens: 128}`, or PyTorch code, `{source:
    torchvision.models:resnet50, shape: 3x224x224, args: {num_classes: 10}}`."""

    source: str = Field(
        min_length=1,
        description="A Hugging Face config.json (or a folder with one), relative to the spec's folder; or "
        "PyTorch code, `package.module:callable` or `path/to/file.py:callable` (the file relative to the "
        "spec's folder), which `check` runs only where pyproject.toml says `run-imports = true`.",
    )
    tokens: PositiveInt | None = Field(None, description="The input's length in token ids, as imported.")
    shape: str | None = Field(
        None, pattern=r"^[1-9][0-9]*(x[1-9][0-9]*)*$", description="PyTorch code: one sample's sizes, `3x224x224`."
    )
    args: dict[str, Any] = Field(default_factory=dict, description="PyTorch code: the callable's keyword arguments.")
    inputs: dict[str, dict[str, PositiveInt]] = Field(
        default_factory=dict,
        description="PyTorch code: several named inputs' dimensions, as `--input NAME.DIM=SIZE` gave them.",
    )


class Generation(Strict):
    """Generating from the network, for the memory report (`cnncalc table`'s `--new-tokens` and
    `--kv-dtype`, which override these): `{new_tokens: 512, kv_dtype: float8}`. The prompt is
    the input's length `l`."""

    new_tokens: PositiveInt = Field(description="Tokens generated after the prompt (as --new-tokens).")
    kv_dtype: Literal["float32", "float16", "bfloat16", "float8", "int8"] | None = Field(
        None, description="The KV cache's element type (as --kv-dtype); default: the activations' dtype."
    )


class Spec(Strict):
    """A network: its input, its layers and what its author claims about it."""

    name: Name = Field(description="The network's name.")
    description: str | None = None
    input: InputSpec | None = Field(None, description="The network's one input (or `inputs:`, several by name).")
    inputs: dict[Name, InputSpec] | None = Field(
        None,
        description="Several inputs by name (`{src: {l: 10, d: 512}, tgt: {l: 20, d: 512}}`), in the order "
        "the network's forward takes them; the first layer reads the first, a layer reads another by "
        "`from: <name>`.",
    )
    args: dict[Name, Any] = Field(
        default_factory=dict,
        description="Named values for the network's own layers, in `$name` and `${expression}`; "
        "each may be an expression over the ones before it.",
    )
    blocks: dict[Name, BlockDef] = Field(default_factory=dict, description="Reusable blocks by name.")
    layers: LayerList
    expect: dict[str, Claim] = Field(default_factory=dict, description="Claims per layer name, or `total`.")
    limits: Limits | None = None
    training: Training | None = Field(None, description="How it trains: the memory report's defaults.")
    imported: Imported | None = Field(
        None, description="The source `cnncalc import` wrote this spec from; `cnncalc check` reports drift from it."
    )

    generation: Generation | None = Field(None, description="How it generates: the memory report's defaults.")

    # The located YAML it was read from, for positions of things outside the layers.
    _raw: Any = PrivateAttr(None)

    @field_validator("inputs")
    @classmethod
    def _named_inputs(cls, inputs: dict[str, InputSpec] | None, info: ValidationInfo) -> dict[str, InputSpec] | None:
        if inputs is None:
            return inputs
        if info.data.get("input") is not None:
            raise ValueError("give `input:` (one input) or `inputs:` (several by name), not both")
        if not inputs:
            raise ValueError("names no input; give at least one, e.g. {src: {l: 10, d: 512}}")
        if "input" in inputs:
            raise ValueError("'input' is the name of a network's one input (`input:`); give each input its own name")
        batches = {name: i.batch for name, i in inputs.items() if i.batch is not None}
        if len(set(batches.values())) > 1:
            given = ", ".join(f"{name} {batch}" for name, batch in batches.items())
            raise ValueError(f"one batch runs through the network, but the inputs give {given}")
        return inputs

    @model_validator(mode="after")
    def _some_input(self) -> Spec:
        if self.input is None and self.inputs is None:
            raise ValueError("missing field 'input': give the network's input, or several by name (`inputs:`)")
        return self

    @property
    def named_inputs(self) -> dict[str, InputSpec]:
        """The network's inputs by name, in order: `{"input": ...}` for a spec's one `input:`."""
        if self.inputs is not None:
            return self.inputs
        assert self.input is not None  # _one_input_form
        return {"input": self.input}

    @property
    def batch(self) -> int | None:
        """The batch its input (or any of its inputs) gives."""
        return next((i.batch for i in self.named_inputs.values() if i.batch is not None), None)

    def with_inputs(self, inputs: dict[str, InputSpec], **update: Any) -> Spec:
        """A copy with these inputs (by name, as `named_inputs`), in the form it was written in."""
        if self.inputs is None:
            return self.model_copy(update={"input": inputs["input"], **update})
        return self.model_copy(update={"inputs": inputs, **update})

    @property
    def raw(self) -> Any:
        return self._raw
