"""What every layer kind is: a pydantic schema plus its shape rule, counts and torch builder.

A shape here is one sample's, as PyTorch holds it without the batch axis, with its axes
named (`cnncalc.shape`): `(C, H, W)` for images, `(C, L)` in 1-D, `(C, D, H, W)` in 3-D,
`(L, D)` for a sequence of vectors and `(F,)` once flattened. A layer asks for an axis by
name and declares the layouts it `accepts`; which order a person sees is `Shape.text`'s
business.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol, final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    WithJsonSchema,
    field_validator,
)

from cnncalc.errors import LINE_BREAKING, LayerError
from cnncalc.layers._traits import check as check_traits
from cnncalc.shape import CHANNELS_FIRST, LAYOUTS, TOKEN_IDS, layouts_text
from cnncalc.shape import Shape as Shape  # re-exported: every layer module names it

if TYPE_CHECKING:
    from collections.abc import Sequence

Inputs = tuple[Shape, ...]
# What an op keeps for backward (`Layer.keeps`); None: as its traits say.
Keeps = Literal["inputs", "output", "nothing"] | None

# Layouts a layer takes when it does not say: any of float features. Integer token ids
# are taken only by the layers that say so (an embedding turns them into vectors).
ANY_LAYOUT: frozenset[str] = frozenset(LAYOUTS) - {TOKEN_IDS}
# The channels-first layouts with 1, 2 or 3 spatial axes, which windows slide over.
SPATIAL_LAYOUTS: frozenset[str] = frozenset(CHANNELS_FIRST.values())

# Spec field types shared by the windowed layers. A size is one int for every spatial
# dimension or a list with one int per dimension.
# Positive: a 0 stride or kernel from a spec must be a positioned error, not a ZeroDivisionError.
Size = Annotated[
    PositiveInt | list[PositiveInt], Field(description="One int for every spatial dimension, or one per dimension.")
]


def flat_sides(value: Any) -> Any:
    """`[[2, 0]]`, `[[1, 1], [0, 1]]`: a [before, after] pair per dimension, as the flat
    per-side list `[2, 0]`, `[1, 1, 0, 1]` that the sizes are read from."""
    if isinstance(value, list) and any(isinstance(item, list) for item in value):
        if not all(isinstance(item, list) and len(item) == 2 for item in value):
            raise ValueError("give one [before, after] pair per dimension ([[2, 0]]), or the flat form [2, 0]")
        sides = [side for pair in value for side in pair]
        # Checked here: a message about the flat list's items would point at nothing written.
        for side in sides:
            if isinstance(side, bool) or not isinstance(side, int) or side < 0:
                raise ValueError(f"each side is a whole number of at least 0, got {side!r}")
        return sides
    return value


_SIDE = {"type": "integer", "minimum": 0}
# The schema of a padding as written: an int, one per dimension or side, or a pair per dimension.
SIDES_SCHEMA: dict[str, Any] = {
    "anyOf": [
        _SIDE,
        {"type": "array", "items": _SIDE},
        {"type": "array", "items": {"type": "array", "items": _SIDE, "minItems": 2, "maxItems": 2}},
    ]
}

Padding = Annotated[
    NonNegativeInt | list[NonNegativeInt] | Literal["valid", "same"],
    BeforeValidator(flat_sides),
    WithJsonSchema({"anyOf": [*SIDES_SCHEMA["anyOf"], {"enum": ["valid", "same"], "type": "string"}]}),
    Field(
        description="Zero padding per side: an int, one per dimension, one per side ([before, after] per "
        "dimension: [2, 0] pads a sequence on the left only, a causal conv), `valid` (none) or `same` "
        "(output = ceil(n / stride); an odd total puts the extra pixel bottom/right)."
    ),
]


def _one_line(value: str) -> str:
    # A name is printed inside one-line messages and table rows: a newline (or a tab, or
    # U+2028) in it would split a `file:line:col: message` line in two.
    bad = LINE_BREAKING.search(value)
    if bad is not None:
        raise ValueError(f"a name is one line without control characters; {value!r} holds U+{ord(bad[0]):04X}")
    return value


Name = Annotated[str, AfterValidator(_one_line)]


def _layer_list(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise ValueError("needs a list of at least one layer")
    for item in value:
        if not isinstance(item, dict):
            raise ValueError("each layer is a mapping such as {type: conv, filters: 6, kernel: 5}")
    return value


# Layer lists stay the loader's located values (pydantic passes `Any` through untouched),
# so that each layer is validated, and located, on its own when the engine reaches it.
LayerList = Annotated[Any, AfterValidator(_layer_list), Field(description="Layers, in order.")]

# `when:`: a boolean once the block's expressions are worked out (`cnncalc.spec.blocks`); the
# schema, which sees the file as written, also takes the expression.
Condition = Annotated[
    bool,
    WithJsonSchema({"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": r"^\$\{[^}]*\}$"}]}),
]

# Paddings and other sizes that may be 0.
NonNegativeSize = Annotated[
    NonNegativeInt | list[NonNegativeInt],
    Field(description="One int for every spatial dimension, or one per dimension."),
]


@dataclass(frozen=True, slots=True)  # slots: one per layer
class Params:
    """Parameter and buffer element counts of one layer."""

    trainable: int = 0
    non_trainable: int = 0
    buffers: int = 0

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def __add__(self, other: Params) -> Params:
        return Params(
            self.trainable + other.trainable,
            self.non_trainable + other.non_trainable,
            self.buffers + other.buffers,
        )


NO_PARAMS = Params()


@dataclass(frozen=True)
class Tensor:
    """One tensor a layer owns, named as PyTorch names it: `weight`, `bias`, `running_mean`."""

    name: str
    shape: tuple[int, ...]
    # "shared": another layer's tensor used here too (a tied weight), counted once, there,
    # as PyTorch's parameters() counts a shared parameter once.
    role: Literal["trainable", "frozen", "buffer", "shared"] = "trainable"

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def params_of(tensors: Sequence[Tensor]) -> Params:
    """Parameter and buffer counts: the sums of a layer's tensors by role."""
    if not tensors:
        return NO_PARAMS
    by_role = {"trainable": 0, "frozen": 0, "buffer": 0, "shared": 0}
    for tensor in tensors:
        by_role[tensor.role] += tensor.size
    return Params(by_role["trainable"], by_role["frozen"], by_role["buffer"])


@dataclass(frozen=True)
class Work:
    """What one sample's pass through a layer computes, as counts a convention can price.

    `macs` is cnncalc's own figure (docs: conventions); the element counts are what other
    tools charge besides it.
    """

    macs: int = 0  # multiply-accumulates of the weighted products, bias excluded
    bias: int = 0  # output elements a learned bias is added to
    # Operations of an op that is not multiply-accumulate: one per output element of a norm,
    # pooling, activation or upsample, one per output element per extra input of add/multiply.
    elementwise: int = 0
    activation: int = 0  # output elements an attached `activation:` passes through


NO_WORK = Work()


@dataclass(frozen=True)
class Window:
    """A sliding window over the spatial axes, for the receptive field recurrence."""

    kernel: tuple[int, ...]
    stride: tuple[float, ...]
    dilation: tuple[int, ...]
    pad_before: tuple[float, ...]  # fractional for upsampling layers (stride < 1)


@dataclass(frozen=True, slots=True)
class Extra:
    """A tensor an op makes besides its output: `elements` per sample (or in all, when not
    `per_sample`), of `itemsize` bytes each (None: the activations' dtype)."""

    elements: int
    itemsize: int | None = None
    per_sample: bool = True


@dataclass(frozen=True, slots=True)
class Stage:
    """One part of an op whose backward runs in parts, one after another (a stacked recurrent
    layer on the CPU: one fused op per layer, top layer first; a transformer layer's last
    sub-layers, op by op): the `params` whose gradients that part makes, the gradient it
    hands to the next part (its own input's), and what it kept for backward, freed once it
    has run. `consumes`: the gradients handed to it that it lets go once it has run (None:
    all of them; a residual's gradient lives on to the sum where it meets its branch's).
    `holds_output_gradient`: the op's output's gradient is still needed after this part (a
    pre-norm layer's residual carries it to the layer's last sum); else it goes after the
    first part. `peak_params`: the parameter-gradient elements alive at the part's peak,
    where not `params` (a recurrent layer run step by step: each step's hidden-to-hidden
    gradient is summed with the running one into a new tensor, three alive at once, before
    the input-to-hidden gradient is made for all steps at the end)."""

    params: int
    gradient: Extra
    frees: tuple[Extra, ...] = ()
    consumes: tuple[Extra, ...] | None = None
    holds_output_gradient: bool = False
    peak_params: int | None = None


@dataclass(frozen=True, slots=True)
class Footprint:
    """What a layer's op holds in memory, for the memory pass (`cnncalc.analysis.memory`).

    `view`: the output is a view of the first input (flatten, identity, crop): it has no
    bytes of its own and keeps the input's alive. `keeps_inputs` / `keeps_output`: what
    autograd saves for backward (which inputs, by position; the output). `kept`: tensors
    made besides the output and saved (max pooling's int64 indices, dropout's noise,
    batchnorm's two C-vectors). `passing`: tensors made during the forward and freed
    before it returns (the pre-activation output of `activation: relu`). `grad_through`:
    backward hands its inputs the output's gradient, or views of it, making no tensor
    (add, concat, flatten). `backward`: for an op made of two (a conv with its activation,
    a pad layer before a conv), the gradients of the tensors inside it that a first stage
    of backward makes from the output's gradient and hands to the second; a tensor both
    `kept` and listed here is freed after that first stage. `weights_first`: that first
    stage is the part holding the weights (a conv after its pad layer, a separable conv's
    pointwise half), so the weights' gradients come with it. `unknown`: set when what the
    op keeps cannot be known statically; the report says so. `reorders`: the view's
    elements are out of storage order (a permute, a transpose). `reshapes`: the op views
    a tensor in storage order, but copies one a reordering view made (`x.reshape` after
    `x.permute`, as PyTorch does); a kind that is not a view may set `reorders` too (a
    batch-first recurrent layer's output is time-major underneath). `if_reordered`: the
    footprint instead when the first input is out of storage order (a dense layer copies it).
    `same_layout`: the output is a new tensor laid out as the input (an element-wise op:
    `empty_like` keeps the strides), so it is out of storage order when its input is.
    `stages`: the backward runs in parts, all but the last listed here in the order they
    run (`Stage`); the last makes the rest of the parameters' gradients and the inputs'.
    `inputs_for_weights`: the inputs kept serve only the weights' gradients (a conv's, a dense
    layer's: the input's gradient needs the weight alone), so frozen weights keep none.
    `no_input_gradient`: the footprint instead when no value input needs a gradient (nothing
    before the layer trains): autograd then records only what leads to the layer's own
    trainable parameters (an adapter on `o` or `down` alone keeps its own input, not the
    frozen projections' and attention's tensors before it).
    """

    view: bool = False
    keeps_inputs: tuple[int, ...] = ()
    keeps_output: bool = False
    kept: tuple[Extra, ...] = ()
    passing: tuple[Extra, ...] = ()
    grad_through: bool = False
    backward: tuple[Extra, ...] = ()
    weights_first: bool = False
    unknown: str = ""
    reorders: bool = False
    reshapes: bool = False
    if_reordered: Footprint | None = None
    same_layout: bool = False
    stages: tuple[Stage, ...] = ()
    inputs_for_weights: bool = False
    no_input_gradient: Footprint | None = None


class Everything:
    """Marks a layer whose every output sees the whole input (global pooling, adaptive)."""


EVERYTHING = Everything()


class GraphBuilder(Protocol):
    """What a composite layer may ask of the engine while it expands itself."""

    def shape(self, node: int) -> Shape: ...

    def sequence(self, layers: Any, start: int) -> int:
        """Parse and add a list of spec layers after node `start`; return the last node."""
        ...

    def add(self, layer: Layer, sources: list[int]) -> int:
        """Add one primitive layer reading `sources`; return its node."""
        ...

    def hold(self, value: int, until: int) -> None:
        """Keep node `value`'s output alive until node `until` has run (a block's argument,
        which Python holds until the block returns), without `until` reading it."""
        ...


REGISTRY: dict[str, type[Layer]] = {}

# How the PyTorch code writes a layer (`form:`). Shapes, parameters and cnncalc's MACs do
# not depend on it; what hook-based counters see does (docs/conventions.md).
Form = Literal["module", "function", "method", "subclass", "parameter"]
FORM_HELP = (
    "How the PyTorch code writes the layer, for other tools' counts: `module` (nn.ReLU(), the default), "
    "`function` (F.relu, F.adaptive_avg_pool2d), `method` (a tensor method: x.mean([2, 3])), `subclass` "
    "(a subclass of the torch module, as LayerNorm2d(nn.LayerNorm)) or `parameter` (a bare nn.Parameter "
    "on the enclosing module: a layer scale, a class token, a position embedding)."
)
TRAINABLE_HELP = (
    "`false` freezes the layer's parameters (`requires_grad_(False)`; a block's or composite's, all of "
    "theirs): they count as non-trainable, and a training step gives them no gradient and no optimizer state."
)
# Every kind can be its torch module or a subclass of it; a kind lists the other forms it takes.
MODULE_FORMS: frozenset[str] = frozenset({"module", "subclass"})


class Layer(BaseModel):
    """Base of every layer kind. Subclasses declare `type: Literal["kind"]`."""

    # defer_build: a schema is built the first time a kind is used, so a run pays only
    # for the kinds its spec contains.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, populate_by_name=True, strict=True)

    type: str
    name: Name | None = Field(None, description="Name to refer to this layer by (`from:`, `expect:`).")
    source: str | list[str] | None = Field(
        None, alias="from", description="Earlier layer(s) to read instead of the previous one."
    )
    repeat: NonNegativeInt = Field(
        1, description="Stack this many copies, each reading the previous one; 0 leaves the layer out."
    )
    when: Condition = Field(True, description='Include the layer only when true: `when: "${stride == 1}"` in a block.')
    form: Form = Field("module", description=FORM_HELP)
    holds: list[Name] | None = Field(
        None,
        description="Earlier layers whose outputs stay alive until this one has run, though it does not "
        "read them: a Python variable still in scope, such as a forward's argument (memory only).",
    )
    trainable: bool = Field(True, description=TRAINABLE_HELP)

    # Inputs the layer reads: (fewest, most); most None is unbounded.
    arity: ClassVar[tuple[int, int | None]] = (1, 1)
    # How many leading inputs the output's values come from (crop's second input only sizes it).
    value_inputs: ClassVar[int | None] = None
    # The layouts (`cnncalc.shape.LAYOUTS`) of the inputs it takes; another is a positioned error.
    accepts: ClassVar[frozenset[str]] = ANY_LAYOUT
    kind: ClassVar[str] = ""
    # What the kind is, for the lint rules: names from the vocabulary in layers/_traits.py.
    traits: ClassVar[frozenset[str]] = frozenset()
    # The `form:`s it can be written in: `function` for a parameter-free op with an F.* call,
    # `method` where to_torch_method() builds the tensor method, `parameter` where the
    # kind's torch builder holds its tensor as a bare nn.Parameter.
    forms: ClassVar[frozenset[str]] = MODULE_FORMS
    # The projections inside it that `lora: {targets: [...]}` may adapt (attention's q, k, v,
    # o), for `--lora RANK:q,v`; () for a kind whose `lora:` adapts the layer itself. And
    # whether `--lora` without names adapts it (its default targets: peft's for Llama).
    lora_projections: ClassVar[tuple[str, ...]] = ()
    lora_by_default: ClassVar[bool] = False

    @field_validator("form")
    @classmethod
    def _form_taken(cls, value: str) -> str:
        if value not in cls.forms:
            order = [f for f in ("module", "function", "method", "subclass", "parameter") if f in cls.forms]
            raise ValueError(f"a {cls.kind} is written as {' or '.join(order)}, not `{value}`")
        return value

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        check_traits(cls.__qualname__, cls.traits)
        annotation = cls.model_fields["type"].annotation
        args: tuple[Any, ...] = getattr(annotation, "__args__", ())
        if len(args) == 1 and isinstance(args[0], str):
            taken = REGISTRY.get(args[0])
            # Another class with the same `type` would silently replace this one in specs.
            if taken is not None and (taken.__module__, taken.__qualname__) != (cls.__module__, cls.__qualname__):
                raise TypeError(
                    f"layer kind '{args[0]}' is declared twice: by {taken.__module__}.{taken.__qualname__} "
                    f"and by {cls.__module__}.{cls.__qualname__}"
                )
            cls.kind = args[0]
            REGISTRY[args[0]] = cls

    def check_layout(self, inputs: Inputs) -> None:
        """Raise LayerError when an input's layout is not one this layer `accepts`."""
        for x in inputs:
            if x.axes == TOKEN_IDS and TOKEN_IDS not in self.accepts:
                raise LayerError(
                    f"{self.kind} takes float features, got integer token ids (L,) = {x.text()}; "
                    "an embedding turns them into vectors"
                )
            if x.axes not in self.accepts:
                wanted = layouts_text(self.accepts)
                raise LayerError(f"{self.kind} takes {wanted} inputs, got {x.axis_names()} = {x.text()}")

    def output_shape(self, inputs: Inputs) -> Shape:
        """The output shape; raise LayerError when the inputs do not fit."""
        return inputs[0]

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        """The tensors this layer owns: name, shape, and whether trainable or a buffer."""
        return []

    def work(self, inputs: Inputs, output: Shape) -> Work:
        """What one sample's pass computes: MACs and the element counts conventions price."""
        return NO_WORK

    def params(self, inputs: Inputs) -> Params:
        """Parameter and buffer counts: the sums of `tensors` (not to override)."""
        return params_of(self.tensors(inputs))

    def macs(self, inputs: Inputs, output: Shape) -> int:
        """Multiply-accumulates for one sample by cnncalc's convention (not to override)."""
        return self.work(inputs, output).macs

    def window(self, inputs: Inputs) -> Window | Everything | None:
        """The spatial window for the receptive field; None for a pointwise layer."""
        return None

    def shares(self) -> dict[str, str]:
        """Tensors this layer uses from an earlier layer, by tensor name -> that layer's name
        (`tie:`); the engine checks the other layer holds a tensor of that name and shape."""
        return {}

    # What the memory pass asks (cnncalc.analysis.memory). Most kinds declare nothing: a
    # `shape-only` or `merge` kind keeps nothing for backward and passes gradients on as
    # they are; any other keeps its value inputs (what a conv, a dense layer, a pooling or
    # a norm keeps). A kind whose output is a view of its input sets `view`; an
    # activation says which end it keeps (`keeps`); anything else overrides footprint().
    view: ClassVar[bool] = False
    keeps: ClassVar[Keeps] = None

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        """What this layer's op holds: its output's bytes (or a view), and in `training`
        what autograd keeps for backward. The activation applied (`activation: relu`)
        is added by memory_footprint(), not here."""
        keeps = self.keeps
        if keeps is None:
            through = bool(self.traits & {"shape-only", "merge"}) and "gating" not in self.traits
            keeps = "nothing" if through else "inputs"
        else:
            through = False
        if not training:
            return Footprint(view=self.view)
        value_inputs = tuple(range(len(inputs)))[: self.value_inputs]
        return Footprint(
            view=self.view,
            keeps_inputs=value_inputs if keeps == "inputs" else (),
            keeps_output=keeps == "output",
            grad_through=through,
        )

    @final
    def memory_footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        """footprint(), with the activation applied to the output (if any) folded in: the
        layer's own output becomes a tensor that lives while the activation runs, or
        until backward when the activation keeps its input (gelu, silu, leaky_relu)."""
        own = self.footprint(inputs, output, training)
        after_layer = self._attached_activation()
        if after_layer is None:
            return own
        after = after_layer.footprint((output,), output, training)
        middle = Extra(prod(output))
        if after.view:
            # In place: the layer's output is overwritten, no tensor of its own; in training
            # the activation keeps that storage (relu) or a copy of its input (silu).
            if not training:
                return own
            return replace(
                own,
                keeps_output=own.keeps_output or after.keeps_output,
                kept=(*own.kept, *after.kept),
                backward=(*own.backward, middle),  # the gradient of the pre-activation output
                unknown=own.unknown or after.unknown,
            )
        if not training:
            return Footprint(passing=(*own.passing, middle), unknown=own.unknown)
        keeps_middle = own.keeps_output or bool(after.keeps_inputs)
        return Footprint(
            keeps_inputs=own.keeps_inputs,
            inputs_for_weights=own.inputs_for_weights,
            keeps_output=after.keeps_output,
            kept=(*own.kept, middle) if keeps_middle else own.kept,
            passing=own.passing if keeps_middle else (*own.passing, middle),
            backward=(*own.backward, middle),  # the gradient of the pre-activation output
            weights_first=own.weights_first,
            unknown=own.unknown or after.unknown,
        )

    # A kind overrides summary() for the table and to_torch() for PyTorch. Callers use
    # describe() and build_torch(), which add what a layer applies to its own output
    # (`activation: relu`) the same way for every kind, and are not overridden (final).

    def summary(self, inputs: Inputs) -> str:
        """Hyperparameters in a few characters, for the table (`f=5 s=1`)."""
        return ""

    def to_torch(self, inputs: Inputs) -> Any:
        """A torch module computing this layer (torch imported lazily, inside)."""
        raise NotImplementedError(f"{self.kind} has no torch builder")

    def to_torch_method(self, inputs: Inputs) -> Any:
        """`form: method`: a torch module computing this layer with a tensor method."""
        raise NotImplementedError(f"{self.kind} has no tensor-method form")

    @final
    def describe(self, inputs: Inputs) -> str:
        """The table's hyperparameter cell: summary(), then the activation applied, if any."""
        text = self.summary(inputs)
        activation: str | None = self.__dict__.get("activation")  # a field; getattr on a miss costs ~5 µs
        if activation is None:
            return text
        return f"{text} · {activation}" if text else activation

    @final
    def build_torch(self, inputs: Inputs) -> Any:
        """The whole torch module for this layer, written in its `form`: to_torch() (or
        to_torch_method()), then the activation applied, if any, in `activation_form` (and in
        place where `activation_inplace:` says so)."""
        from cnncalc.layers._torch import as_function, as_subclass

        module = self.to_torch_method(inputs) if self.form == "method" else self.to_torch(inputs)
        if self.form == "function":
            module = as_function(module)
        elif self.form == "subclass":
            module = as_subclass(module)
        after = self._attached_activation()
        if after is None:
            return module
        from torch import nn

        applied = after.to_torch(inputs)
        if self.__dict__.get("activation_form") == "function":
            applied = as_function(applied)
        return nn.Sequential(module, applied)

    def memory_forms(self) -> tuple[tuple[str, bool], ...]:
        """How this layer runs where the memory peak depends on it and a spec may say so:
        (what, in place) pairs, such as ("activations", False) for an attached relu that
        PyTorch could run in place. The report says which forms it assumed."""
        after = self._attached_activation()
        return () if after is None else after.memory_forms()

    def attention_kernel(self) -> str | None:
        """The attention kernel ("fused" or "eager") the memory figures assume for a kind
        with a `kernel:` choice; None for the rest. The report says which were assumed."""
        return None

    def _attached_activation(self) -> Layer | None:
        """The activation applied to the output (`activation:`), in place where
        `activation_inplace:` says so; None without one."""
        fields = self.__dict__  # fields; getattr on a miss costs ~5 µs
        activation: str | None = fields.get("activation")
        if activation is None:
            return None
        if fields.get("activation_inplace"):
            return make(activation, inplace=True)
        return make(activation)


def make(kind: str, **fields: Any) -> Layer:
    """A layer of `kind` with its defaults (but `fields`), for composites that add layers of their own."""
    from cnncalc.layers import layer_class  # here, not at the top: that package imports this module

    cls = layer_class(kind)
    assert cls is not None, kind
    return cls.model_validate({"type": kind, **fields})


class Composite(Layer):
    """A layer that is written as one but expands into several (residual, branches)."""

    forms: ClassVar[frozenset[str]] = frozenset({"module"})

    def expand(self, graph: GraphBuilder, sources: list[int]) -> int:
        """Add this layer's parts to the graph; return the node holding its output."""
        raise NotImplementedError


# Shape helpers shared by the windowed layers.


def spatial_dims(x: Shape, ndim: int, kind: str) -> tuple[int, ...]:
    """The spatial sizes of an input that must be (C, *spatial) with `ndim` spatial axes."""
    if x.axes != CHANNELS_FIRST[ndim]:
        want = layouts_text({CHANNELS_FIRST[ndim]})
        raise LayerError(f"{kind} takes {want} inputs, got {x.axis_names()} = {x.text()}")
    return x.spatial


def per_dim(value: int | list[int], ndim: int, field: str) -> tuple[int, ...]:
    """Expand an int to every spatial dimension, or check a list has one per dimension."""
    if isinstance(value, int):
        return (value,) * ndim
    if len(value) != ndim:
        raise LayerError(f"{field} lists {len(value)} values for {ndim} spatial dimension(s)", field)
    return tuple(value)


def resolve_padding(
    padding: int | list[int] | str,
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[tuple[int, int], ...]:
    """(before, after) zero padding per dimension."""
    if padding == "valid":
        return tuple((0, 0) for _ in sizes)
    if padding == "same":
        pads = []
        for n, f, s, d in zip(sizes, kernel, stride, dilation, strict=True):
            total = max((math.ceil(n / s) - 1) * s + d * (f - 1) + 1 - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    assert not isinstance(padding, str)
    if isinstance(padding, list) and len(padding) == 2 * len(sizes):  # one per side, [before, after] per axis
        return tuple((padding[2 * i], padding[2 * i + 1]) for i in range(len(sizes)))
    return tuple((p, p) for p in per_dim(padding, len(sizes), "padding"))


def window_output(
    n: int, f: int, s: int, pads: tuple[int, int], d: int = 1, *, ceil_mode: bool = False, axis: str = "n"
) -> int:
    """The course's `floor((n + 2p - d(f - 1) - 1) / s) + 1`, or PyTorch's ceil rule.

    Under `ceil_mode` (ATen's `pooling_output_shape`) a window may run past the input and
    its padding, as long as it starts inside the input or the left padding: the first
    window always does, so only an output below 1 (`room <= -s`) is refused.
    """
    reach = d * (f - 1) + 1
    room = n + pads[0] + pads[1] - reach
    out = -(-room // s) + 1 if ceil_mode else room // s + 1
    if out < 1:
        sum_ = f"{n} + {pads[0] + pads[1]} - {reach}"
        arithmetic = f"ceil(({sum_}) / {s}) + 1 = {out}" if ceil_mode else f"({sum_}) / {s} + 1 = {room / s + 1:g}"
        raise LayerError(
            f"a {reach}-wide window does not fit {axis}={n} with padding {pads[0]}+{pads[1]}: {arithmetic} < 1",
            "kernel",
        )
    # PyTorch: the last window must start inside the input or the left padding.
    if ceil_mode and (out - 1) * s >= n + pads[0]:
        out -= 1
    return out


AXES = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}


def window_summary(
    ndim: int,
    kernel: int | list[int],
    stride: int | list[int],
    padding: int | list[int] | str = 0,
    dilation: int | list[int] = 1,
    *extras: str,
    pads: tuple[tuple[int, int], ...] = (),
) -> str:
    """The table's cell for a windowed layer: `f=5 s=1`, then p, d and `extras` when set.

    `same` padding shows the pads it came to: `p=same(1)`, or `p=same(0+1,1+2)` (before +
    after, per axis) where they differ.
    """
    parts = [f"f={pair_text(per_dim(kernel, ndim, 'kernel'))}", f"s={pair_text(per_dim(stride, ndim, 'stride'))}"]
    if padding == "same" and pads:
        flat = {p for pair in pads for p in pair}
        used = str(flat.pop()) if len(flat) == 1 else ",".join(f"{b}+{a}" for b, a in pads)
        parts.append(f"p=same({used})")
    elif padding != 0:
        parts.append(f"p={padding_text(padding, ndim)}")
    if dilation != 1:
        parts.append(f"d={pair_text(per_dim(dilation, ndim, 'dilation'))}")
    return " ".join([*parts, *extras])


def padding_text(padding: int | list[int] | str, ndim: int) -> str:
    if isinstance(padding, list) and len(padding) == 2 * ndim:  # one per side: before+after per axis
        return ",".join(f"{padding[2 * i]}+{padding[2 * i + 1]}" for i in range(ndim))
    return padding if isinstance(padding, str) else pair_text(per_dim(padding, ndim, "padding"))


def pair_text(values: tuple[int, ...] | tuple[float, ...]) -> str:
    """`5` when every dimension agrees, else `3x5`."""
    if len(set(values)) == 1:
        return f"{values[0]:g}"
    return "x".join(f"{v:g}" for v in values)


def prod(values: Sequence[int]) -> int:
    return math.prod(values)


def torch_padded(module: Any, pads: tuple[tuple[int, int], ...], value: float = 0.0, *, always: bool = False) -> Any:
    """`module` with padding `pads`: passed to it when symmetric, else a pad layer before it.

    `module_for(symmetric_pads)` style builders call this with the module already built
    with padding 0 whenever the padding is asymmetric (or `always`, for padding the
    torch module cannot take itself).
    """
    from torch import nn

    if not always and all(before == after for before, after in pads):
        return module
    flat: list[int] = []
    for before, after in reversed(pads):  # torch pads the last axis first
        flat += [before, after]
    pad = getattr(nn, f"ConstantPad{len(pads)}d")(tuple(flat), value)
    return nn.Sequential(pad, module)


def symmetric(pads: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """The per-side padding to give a torch layer: itself when symmetric, else 0 (padded before)."""
    if all(before == after for before, after in pads):
        return tuple(before for before, _ in pads)
    return tuple(0 for _ in pads)


def asymmetric(pads: tuple[tuple[int, int], ...]) -> bool:
    """Whether `torch_padded` puts a pad layer before the op for these pads."""
    return any(before != after for before, after in pads)


def padded_footprint(
    x: Shape, pads: tuple[tuple[int, int], ...], training: bool, kept: tuple[Extra, ...] = ()
) -> Footprint:
    """The footprint of an op that reads a padded copy of its input (`torch_padded`'s pad
    layer): the copy lives while the op runs, or, training, is what the op keeps (with
    `kept`, what it keeps besides), and backward makes its gradient on the way."""
    copy = Extra(prod([n + before + after for n, (before, after) in zip(x.spatial, pads, strict=True)]) * x.channels)
    if not training:
        return Footprint(passing=(copy,))
    return Footprint(kept=(copy, *kept), backward=(copy,), weights_first=True)
