"""`cnncalc import package.module:callable`: the spec of a PyTorch model, from its own code.

The model is built by calling the callable (with `--arg` literals) and captured with
torch.fx's symbolic tracer (`_tracer`): each `call_module` node is a leaf module at a module path, each
`call_function` / `call_method` node a function or a tensor method (the `form:` of the
layer). Each op maps to a layer kind (`_module_layer`, `_function_layer`); one that maps to
none is a gap, listed with its module path and the reason. Module scopes (the
`nn_module_stack` torch.fx records) that read one tensor and give one become block calls when
the same structure occurs more than once; values that differ between the uses become the
block's arguments, and consecutive identical calls fold into one with `repeat:`.

The spec is checked before it is returned: loaded, propagated, and its params, buffers and
MACs compared with what PyTorch counts on the same model (FlopCounterMode / 2 per sample).
Importing the user's code runs it: that is inherent in reading a model from code.

torch is imported inside functions only (this module is imported by `cnncalc import` alone).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnncalc.errors import SpecError

if TYPE_CHECKING:
    from cnncalc.engine import Trace

SOURCE_MODULE = "_cnncalc_source_"  # the module name a model's file is loaded under (cnncalc.verify)
ARGUMENT_FORM = "name=value with a Python literal value (10, 0.5, True, None, 'text', (1, 2))"


class ImportGaps(Exception):
    """Ops with no layer kind: `gaps` lists each as `module path: op (reason)`."""

    def __init__(self, gaps: list[str]) -> None:
        super().__init__(f"{len(gaps)} op(s) have no layer kind")
        self.gaps = gaps


class ImportFailed(Exception):
    """The model could not be built, captured or expressed exactly: the CLI exits 2."""


# --- reading the command line ----------------------------------------------------------


def parse_arguments(texts: list[str]) -> dict[str, Any]:
    """`--arg name=value` pairs; values are Python literals, read by ast.literal_eval
    (never evaluated as code)."""
    import ast

    found: dict[str, Any] = {}
    for text in texts:
        name, equals, value = text.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise ImportFailed(f"--arg {text!r}: write {ARGUMENT_FORM}")
        try:
            found[name] = ast.literal_eval(value.strip())
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ImportFailed(f"--arg {text!r}: {value.strip()!r} is not a literal; write {ARGUMENT_FORM}") from None
    return found


def parse_shape(text: str) -> tuple[int, ...]:
    """`3x224x224` -> (3, 224, 224), one sample in PyTorch's order."""
    parts = text.lower().replace("*", "x").split("x")
    if not 1 <= len(parts) <= 4 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ImportFailed(f"--shape {text!r}: write one sample's sizes in PyTorch's order, as 3x224x224")
    return tuple(int(p) for p in parts)


def input_mapping(shape: tuple[int, ...] | None, tokens: int | None) -> dict[str, int]:
    """The spec's `input:` for one sample of `shape` (PyTorch's order), or `tokens` ids."""
    if tokens is not None:
        return {"l": tokens}
    assert shape is not None
    names = {1: ("features",), 2: ("c", "l"), 3: ("c", "h", "w"), 4: ("c", "d", "h", "w")}[len(shape)]
    given = dict(zip(names, shape, strict=True))
    order = {1: ("features",), 2: ("l", "c"), 3: ("h", "w", "c"), 4: ("d", "h", "w", "c")}[len(shape)]
    return {k: given[k] for k in order}


# --- capture ---------------------------------------------------------------------------


@dataclass(eq=False)  # compared by identity: an op is one node of the graph
class Op:
    """One tensor op of the captured graph, as a layer (or a gap)."""

    node: Any
    layer: dict[str, Any] | None  # kind and fields; None: a gap
    reason: str  # why it is a gap
    inputs: list[Op]
    stack: tuple[tuple[str, str, Any], ...]  # enclosing module scopes: (key, path, class)
    described: str
    folded: bool = False  # written as the `activation:` of the layer before it
    result: Op | None = None  # the op whose output is this layer's, when not its own  # the op as the gap list names it
    spec_shape: tuple[int, ...] | None = None  # one sample's (C, H, W) where PyTorch holds it channels last


@dataclass(eq=False)
class Scope:
    """One call of a module that is not a leaf: its ops and inner scopes, in graph order."""

    key: str
    path: str
    cls: Any
    items: list[Op | Scope] = field(default_factory=list)
    parent: Scope | None = field(default=None, repr=False)  # the scope that called this one

    def ops(self) -> Iterator[Op]:
        for item in self.items:
            if isinstance(item, Op):
                yield item
            else:
                yield from item.ops()


def _pair(value: Any) -> Any:
    """A size as a spec writes it: one int when every dimension agrees."""
    if isinstance(value, (tuple, list)):
        values = [int(v) if not isinstance(v, str) else v for v in value]
        return values[0] if len(set(values)) == 1 else values
    return value


def _conv(m: Any, kind: str, transposed: bool) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "type": kind,
        "filters": m.out_channels,
        "kernel": _pair(m.kernel_size),
        "stride": _pair(m.stride),
        "padding": m.padding if isinstance(m.padding, str) else _pair(m.padding),
        "dilation": _pair(m.dilation),
        "groups": m.groups,
        "bias": m.bias is not None,
    }
    if transposed:
        layer["output_padding"] = _pair(m.output_padding)
    else:
        layer["padding_mode"] = m.padding_mode
    return layer


def _pool(m: Any, kind: str) -> dict[str, Any]:
    layer: dict[str, Any] = {"type": kind, "kernel": _pair(m.kernel_size), "stride": _pair(m.stride)}
    layer.update(padding=_pair(m.padding), ceil_mode=bool(m.ceil_mode))
    if hasattr(m, "dilation"):
        layer["dilation"] = _pair(m.dilation)
    if hasattr(m, "count_include_pad"):
        if getattr(m, "divisor_override", None) is not None:
            raise _Gap("divisor_override has no field in the avgpool kind")
        layer["count_include_pad"] = bool(m.count_include_pad)
    return layer


class _Gap(Exception):
    """An op that maps to no kind, and why."""


def _activation(kind: str, **fields: Any) -> Any:
    def make(m: Any) -> dict[str, Any]:
        layer = {"type": kind, **{name: getattr(m, attr) for name, attr in fields.items()}}
        if hasattr(m, "inplace") and kind not in ("gelu", "sigmoid", "tanh"):
            layer["inplace"] = bool(m.inplace)
        return layer

    return make


def _gelu(m: Any) -> dict[str, Any]:
    if m.approximate != "none":
        raise _Gap(f"approximate={m.approximate!r}: the gelu kind is the exact erf form")
    return {"type": "gelu"}


def _adaptive(kind: str) -> Any:
    def make(m: Any) -> dict[str, Any]:
        size = m.output_size
        sizes = size if isinstance(size, (tuple, list)) else [size]
        if any(s is None for s in sizes):
            raise _Gap("an output size of None (keep the input's) has no field in the kind")
        return {"type": kind, "size": _pair(size)}

    return make


def _norm(m: Any) -> dict[str, Any]:
    return {
        "type": "batchnorm",
        "eps": m.eps,
        "momentum": m.momentum,
        "affine": m.affine,
        "track_running_stats": m.track_running_stats,
    }


def _layernorm(m: Any) -> dict[str, Any]:
    return {
        "type": "layernorm",
        "dims": len(m.normalized_shape),
        "eps": m.eps,
        "affine": m.elementwise_affine,
        "bias": m.bias is not None or not m.elementwise_affine,
    }


def _dropout(m: Any) -> dict[str, Any]:
    return {"type": "dropout", "rate": m.p}


# torch.nn class name -> its layer; a subclass of one is `form: subclass`.
MODULES: dict[str, Any] = {
    "Conv1d": lambda m: _conv(m, "conv1d", False),
    "Conv2d": lambda m: _conv(m, "conv", False),
    "Conv3d": lambda m: _conv(m, "conv3d", False),
    "ConvTranspose1d": lambda m: _conv(m, "conv_transpose1d", True),
    "ConvTranspose2d": lambda m: _conv(m, "conv_transpose", True),
    "ConvTranspose3d": lambda m: _conv(m, "conv_transpose3d", True),
    "Linear": lambda m: {"type": "dense", "units": m.out_features, "bias": m.bias is not None},
    "BatchNorm1d": _norm,
    "BatchNorm2d": _norm,
    "BatchNorm3d": _norm,
    "GroupNorm": lambda m: {"type": "groupnorm", "groups": m.num_groups, "eps": m.eps, "affine": m.affine},
    "LayerNorm": _layernorm,
    "ReLU": _activation("relu"),
    "ReLU6": _activation("relu6"),
    "SiLU": _activation("silu"),
    "Hardswish": _activation("hardswish"),
    "Hardsigmoid": _activation("hardsigmoid"),
    "Mish": _activation("mish"),
    "SELU": _activation("selu"),
    "LeakyReLU": _activation("leaky_relu", negative_slope="negative_slope"),
    "ELU": _activation("elu", alpha="alpha"),
    "Hardtanh": _activation("hardtanh", min_val="min_val", max_val="max_val"),
    "Softplus": _activation("softplus", beta="beta", threshold="threshold"),
    "Sigmoid": lambda m: {"type": "sigmoid"},
    "Tanh": lambda m: {"type": "tanh"},
    "GELU": _gelu,
    "PReLU": lambda m: {"type": "prelu", "num_parameters": m.num_parameters},
    "MaxPool1d": lambda m: _pool(m, "maxpool1d"),
    "MaxPool2d": lambda m: _pool(m, "maxpool"),
    "MaxPool3d": lambda m: _pool(m, "maxpool3d"),
    "AvgPool1d": lambda m: _pool(m, "avgpool1d"),
    "AvgPool2d": lambda m: _pool(m, "avgpool"),
    "AvgPool3d": lambda m: _pool(m, "avgpool3d"),
    "AdaptiveAvgPool2d": _adaptive("adaptive_avgpool"),
    "AdaptiveMaxPool2d": _adaptive("adaptive_maxpool"),
    "Flatten": lambda m: {"type": "flatten", "start_dim": m.start_dim, "end_dim": m.end_dim},
    "Dropout": _dropout,
    "Dropout1d": _dropout,
    "Dropout2d": _dropout,
    "Dropout3d": _dropout,
    "Identity": lambda m: {"type": "identity"},
    "PixelShuffle": lambda m: {"type": "pixel_shuffle", "factor": m.upscale_factor},
    "PixelUnshuffle": lambda m: {"type": "pixel_unshuffle", "factor": m.downscale_factor},
    "ChannelShuffle": lambda m: {"type": "channel_shuffle", "groups": m.groups},
    "Embedding": lambda m: {"type": "embedding", "vocab": m.num_embeddings, "width": m.embedding_dim},
}


def _mapped(module: Any) -> Any:
    """The torch.nn class with a kind that `module` is, or is a subclass of; None if none."""
    return next(
        (c for c in type(module).__mro__ if c.__module__.startswith("torch.nn") and c.__name__ in MODULES), None
    )


def _module_layer(module: Any, in_shape: tuple[int, ...]) -> dict[str, Any]:
    """The layer of a leaf module; _Gap when no kind is it."""
    cls = _mapped(module)
    if cls is None:
        raise _Gap("a module with no layer kind")
    layer: dict[str, Any] = MODULES[cls.__name__](module)
    if cls is not type(module):
        layer["form"] = "subclass"
        if layer["type"] == "layernorm" and _over_channels(module, in_shape):
            # A LayerNorm2d (torchvision's ConvNeXt): its forward permutes the channels last.
            layer.update(axis="channels", dims=None)
    return layer


def _over_channels(norm: Any, in_shape: tuple[int, ...]) -> bool:
    """A subclass of nn.LayerNorm over C given (N, C, H, W) with W != C can only normalise
    the channels (nn.LayerNorm's own forward would refuse the shape)."""
    return len(in_shape) == 4 and tuple(norm.normalized_shape) == (in_shape[1],) and in_shape[3] != in_shape[1]


def _is_tensor(node: Any) -> bool:
    """Whether the node gives one tensor (ShapeProp's TensorMetadata, a NamedTuple)."""
    meta = node.meta.get("tensor_meta")
    return type(meta).__name__ == "TensorMetadata"


def _shape(node: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in node.meta["tensor_meta"].shape)


def _argument(node: Any, position: int, keyword: str, default: Any) -> Any:
    if len(node.args) > position:
        return node.args[position]
    return node.kwargs.get(keyword, default)


_ACTIVATIONS = {
    "relu": "relu",
    "relu_": "relu",
    "relu6": "relu6",
    "silu": "silu",
    "hardswish": "hardswish",
    "hardsigmoid": "hardsigmoid",
    "sigmoid": "sigmoid",
    "sigmoid_": "sigmoid",
    "tanh": "tanh",
    "tanh_": "tanh",
    "gelu": "gelu",
    "mish": "mish",
    "selu": "selu",
}
_INPLACE_KINDS = {"relu", "relu6", "silu", "hardswish", "hardsigmoid", "mish", "selu"}


def _function_layer(node: Any, form: str) -> dict[str, Any]:
    """The layer of a call_function or call_method node; _Gap when no kind is it."""
    target = node.target
    name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    tensors = [a for a in node.all_input_nodes if _is_tensor(a)]
    scalars = [a for a in node.args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    in_shape = _shape(tensors[0]) if tensors else ()
    out_shape = _shape(node)
    if any(a.op == "get_attr" for a in tensors):
        return _with_parameter(node, name, tensors)
    sequence_op = _sequence_function(node, name, tensors, scalars)  # F.pad, sum()'s 0 + x
    if sequence_op is not None:
        return sequence_op
    if name == "permute":
        dims = node.args[1] if len(node.args) == 2 and isinstance(node.args[1], (tuple, list)) else node.args[1:]
        if not dims or dims[0] != 0:
            raise _Gap("a permute that moves the batch axis")
        if len(in_shape) >= 4 and list(dims) != list(range(len(in_shape))):
            raise _Gap("channels last: the format keeps an image's channels first (axis: channels on norms and dense)")
        return {"type": "permute", "dims": [int(d) for d in dims]}
    if name == "contiguous":
        return dict(PASS)
    if name in ("add", "add_", "iadd", "mul", "mul_", "imul"):
        if len(tensors) != 2 or scalars or len(node.args) != 2 or node.kwargs:
            raise _Gap("only the sum or product of two tensors (no alpha) has a kind")
        if name.startswith(("add", "iadd")):
            return {"type": "add", "inplace": name in ("add_", "iadd")}
        return {"type": "multiply"}
    if name == "cat":
        dim = _argument(node, 1, "dim", 0)
        if dim not in (1, 1 - len(out_shape)):
            raise _Gap(f"a concatenation along dim {dim}: the concat kind joins the channels (dim 1)")
        return {"type": "concat"}
    if name in _ACTIVATIONS:
        kind = _ACTIVATIONS[name]
        if kind == "gelu" and node.kwargs.get("approximate", "none") != "none":
            raise _Gap("gelu's tanh approximation: the gelu kind is the exact erf form")
        layer: dict[str, Any] = {"type": kind, "form": form}
        inplace = name.endswith("_") or bool(node.kwargs.get("inplace", False))
        if kind in _INPLACE_KINDS:
            layer["inplace"] = inplace
        return layer
    if name == "flatten" and out_shape == (*in_shape[:1], prod(in_shape[1:])):
        start = _argument(node, 1, "start_dim", 0)  # a method's args start with the tensor too
        if start != 1:
            raise _Gap(f"flatten from dim {start}: the flatten kind keeps the batch (start_dim 1)")
        return {"type": "flatten", "form": form}
    if name in ("view", "reshape") and len(out_shape) == 2 and out_shape == (in_shape[0], prod(in_shape[1:])):
        return {"type": "flatten", "form": form}
    if name in ("view", "reshape") and len(in_shape) == 4 and out_shape == (*in_shape[:2], prod(in_shape[2:])):
        return {"type": "flatten", "start_dim": 2}  # ViT's patches: (N, C, H, W) -> (N, C, H * W)
    if name == "mean" and len(out_shape) == 2 and len(in_shape) == 4 and out_shape == in_shape[:2]:
        return {"type": "global_avgpool", "form": "method"}
    if name == "mean" and len(in_shape) == 3 and out_shape == (in_shape[0], in_shape[2]):
        return {"type": "token_mean"}  # (N, L, D) -> (N, D)
    if name in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        size = _argument(node, 1, "output_size", None)
        kind = "adaptive_avgpool" if "avg" in name else "adaptive_maxpool"
        if isinstance(size, (tuple, list)) and any(s is None for s in size):
            raise _Gap("an output size of None has no field in the kind")
        return {"type": kind, "size": _pair(size), "form": form}
    if name in ("max_pool2d", "avg_pool2d"):
        return _function_pool(node, name, form)
    if name == "getitem":
        return _channel_slice(node.args[1], out_shape[1] if len(out_shape) > 1 else 0)
    if name == "stochastic_depth":  # torchvision.ops: the identity at inference
        return {
            "type": "stochastic_depth",
            "rate": _argument(node, 1, "p", 0.0),
            "mode": _argument(node, 2, "mode", "row"),
        }
    if name == "dropout":
        return {"type": "dropout", "rate": _argument(node, 1, "p", 0.5)}
    raise _Gap(f"no layer kind for the {'function' if form == 'function' else 'tensor method'} {name}")


def _function_pool(node: Any, name: str, form: str) -> dict[str, Any]:
    """F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode) or
    F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)."""
    kernel = _argument(node, 1, "kernel_size", None)
    layer = {"type": "maxpool" if name.startswith("max") else "avgpool", "kernel": _pair(kernel)}
    layer.update(
        stride=_pair(_argument(node, 2, "stride", None) or kernel), padding=_pair(_argument(node, 3, "padding", 0))
    )
    if name.startswith("max"):
        if _argument(node, 6, "return_indices", False):
            raise _Gap("return_indices: the maxpool kind gives the values alone")
        layer.update(
            dilation=_pair(_argument(node, 4, "dilation", 1)), ceil_mode=bool(_argument(node, 5, "ceil_mode", False))
        )
    else:
        if _argument(node, 6, "divisor_override", None) is not None:
            raise _Gap("divisor_override has no field in the avgpool kind")
        layer.update(ceil_mode=bool(_argument(node, 4, "ceil_mode", False)))
        layer.update(count_include_pad=bool(_argument(node, 5, "count_include_pad", True)))
    return {**layer, "form": form}


def _with_parameter(node: Any, name: str, tensors: list[Any]) -> dict[str, Any]:
    """An op that reads a bare nn.Parameter: a per-channel factor (ConvNeXt's layer scale,
    `self.layer_scale * x`) is the scale kind; anything else has no kind."""
    params = [a for a in tensors if a.op == "get_attr"]
    others = [a for a in tensors if a.op != "get_attr"]
    if name == "expand" and len(params) == 1 and len(_shape(params[0])) == 3 and _shape(params[0])[:2] == (1, 1):
        return dict(EXPANDED)  # a class token, if a concatenation puts it first (`_class_tokens`)
    if name in ("add", "add_", "iadd") and len(params) == 1 and len(others) == 1:
        shape, data = _shape(params[0]), _shape(others[0])
        if len(shape) == 3 and shape[0] == 1 and shape[1:] == data[1:]:
            return {"type": "position_embedding", "max_len": shape[1], "form": "parameter"}
    if name in ("mul", "mul_", "imul") and len(params) == 1 and len(others) == 1:
        shape, data = _shape(params[0]), _shape(others[0])
        if len(data) >= 2 and shape[0] == data[1] and all(v == 1 for v in shape[1:]) and len(shape) == len(data) - 1:
            return {"type": "scale", "form": "parameter"}
    raise _Gap(f"it reads the bare parameter {params[0].target}, which no kind here holds")


def _channel_slice(index: Any, channels: int) -> dict[str, Any]:
    """`x[:, a:b]`: channels a to b, the slice kind; other indexing has no kind."""
    whole = slice(None, None, None)
    if isinstance(index, tuple) and len(index) == 2 and index[0] == whole and isinstance(index[1], int):
        return {"type": "select", "index": index[1]}  # x[:, 0]: one position of a sequence
    if (
        isinstance(index, tuple)
        and len(index) == 2
        and index[0] == whole
        and isinstance(index[1], slice)
        and index[1].step in (None, 1)
        and all(v is None or (isinstance(v, int) and v >= 0) for v in (index[1].start, index[1].stop))
    ):
        start = index[1].start or 0
        return {"type": "slice", "start": start, "end": start + channels}  # the channels it kept
    raise _Gap("indexing other than x[:, start:end] (a channel slice) has no kind")


def prod(values: tuple[int, ...]) -> int:
    result = 1
    for v in values:
        result *= v
    return result


def _formed(layer: dict[str, Any]) -> dict[str, Any]:
    """`layer` with its `form:` only where its kind takes it (flatten has no function form:
    counts do not depend on it, and the format has no word for it)."""
    from cnncalc.layers import layer_class

    cls = layer_class(layer["type"])
    if "form" in layer and (cls is None or layer["form"] not in cls.forms):
        del layer["form"]
    return layer


def _described(node: Any, modules: dict[str, Any]) -> str:
    """The op as the gap list names it: a module by its class, a function by its full name."""
    if node.op == "call_module":
        cls = type(modules[node.target])
        return f"{'nn.' if cls.__module__.startswith('torch.nn') else cls.__module__ + '.'}{cls.__qualname__}"
    target = node.target
    if node.op == "call_method":
        return f"tensor method .{target}()"
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", str(target))
    prefix = {"_operator": "operator", "torch._C._nn": "torch.nn.functional"}.get(module, module)
    return f"{prefix}.{name}" if prefix else name


def _tracer() -> Any:
    """torch.fx's tracer, with a subclass of a torch.nn module that has a kind (torchvision's
    LayerNorm2d, a user's Conv2d) kept whole, as torch.nn's own modules are."""
    import torch.fx as fx

    from cnncalc.importers import torch_windows

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m: Any, module_qualified_name: str) -> bool:
            if type(m).__name__ in _THROUGH and type(m).__module__.startswith("torch.nn"):
                return False  # its layers have kinds
            leaf = super().is_leaf_module(m, module_qualified_name) or _mapped(m) is not None
            return bool(leaf or torch_windows.is_leaf(m))  # Swin's and MaxViT's window attention

    return Tracer()


def capture(model: Any, example: Any) -> tuple[list[Op], int]:
    """The model's tensor ops in graph order, each a layer or a gap, and the FLOPs that
    FlopCounterMode counts while the captured graph runs `example` (the model's own ops)."""
    import torch
    import torch.fx as fx
    from torch.fx.passes.shape_prop import ShapeProp
    from torch.utils.flop_counter import FlopCounterMode

    from cnncalc.importers import torch_windows
    from cnncalc.verify import counting

    examples = example if isinstance(example, tuple) else (example,)  # several: forward's order
    traced, root = _trace(model, examples)
    graph = fx.GraphModule(root, traced, type(model).__name__)
    counter = FlopCounterMode(display=False)
    try:
        # ShapeProp prints a traceback of its own on failure; the cause says it in one line.
        with counting(torch), counter, contextlib.redirect_stderr(io.StringIO()):
            ShapeProp(graph).propagate(*examples)
    except Exception as exc:
        cause = exc.__cause__ or exc
        shapes = ", ".join(str(tuple(e.shape)) for e in examples)
        raise ImportFailed(f"the model cannot take the input {shapes}: {type(cause).__name__}: {cause}") from None
    modules = dict(graph.named_modules())
    ops: dict[Any, Op] = _input_ops(graph, len(examples))
    found: list[Op] = []
    for node in graph.graph.nodes:
        if node.op in ("placeholder", "output") or not _is_tensor(node) or _unread_state(node, modules):
            continue
        stack = tuple((key, path, cls) for key, (path, cls) in (node.meta.get("nn_module_stack") or {}).items())
        if node.op == "call_module":
            stack = stack[:-1]  # the leaf module itself
        try:
            if node.op == "call_module":
                first = next((a for a in node.all_input_nodes if _is_tensor(a)), None)
                layer = _module_layer(modules[node.target], _shape(first) if first is not None else ())
            elif node.op == "get_attr":
                continue  # a bare parameter: the op that reads it says what it is
            else:
                layer = _formed(_function_layer(node, "function" if node.op == "call_function" else "method"))
            reason = ""
        except _Gap as gap:
            layer, reason = None, str(gap)
        sources = node.all_input_nodes
        part = _chunk_part(node) or _attention_part(node, modules)
        if part is not None:  # `a, b = x.chunk(2, dim=1)`: each part a slice of x
            (layer, reason), sources = part, node.args[0].all_input_nodes
        inputs = [ops[a] for a in sources if a in ops]
        op = Op(node, layer, reason, inputs, stack, _described(node, modules))
        ops[node] = op
        found.append(op)
    _channel_shuffles(found)
    found = _dense_connections(found)
    found = _class_tokens(found)
    _merge_sums(found)
    _tied_weights(found, modules)
    torch_windows.rearrange(found, dict(model.named_modules()))  # channels-last maps (Swin, MaxViT)
    outputs = [n for n in graph.graph.nodes if n.op == "output"]
    returned = [a for a in outputs[0].all_input_nodes] if outputs else []
    if len(returned) != 1 or returned[0] not in ops or found[-1] is not ops[returned[0]]:
        raise ImportFailed("the model must return one tensor, made by its last op")
    return found, int(counter.get_total_flops())


EXPANDED = {"type": "_expanded"}  # a bare (1, 1, D) parameter expanded over the batch
PASS = {"type": "_pass"}  # an op that changes nothing a spec says (`.contiguous()`): it reads as its input


def _name(node: Any) -> str:
    target = node.target
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


def _chunk_part(node: Any) -> tuple[dict[str, Any] | None, str] | None:
    """(layer, gap reason) for `parts[i]` of `x.chunk(n, dim=1)`; None for another op."""
    source = node.args[0] if node.op == "call_function" and _name(node) == "getitem" and node.args else None
    if source is None or not hasattr(source, "op") or _name(source) != "chunk":
        return None
    chunks = _argument(source, 1, "chunks", None)
    if _argument(source, 2, "dim", 0) != 1 or not isinstance(node.args[1], int):
        return None, "a chunk along another axis than the channels"
    return {"type": "slice", "chunk": chunks, "index": node.args[1]}, ""


def _attention_part(node: Any, modules: dict[str, Any]) -> tuple[dict[str, Any] | None, str] | None:
    """(layer, gap reason) for `self_attention(x, x, x)[0]` of an nn.MultiheadAttention, or
    the output sequence of a recurrent module."""
    source = node.args[0] if node.op == "call_function" and _name(node) == "getitem" and node.args else None
    if source is None or not hasattr(source, "op") or source.op != "call_module":
        return None
    module = modules[source.target]
    if type(module).__name__ in ("LSTM", "GRU", "RNN") and node.args[1] == 0:
        return _recurrent(module, source)
    if type(module).__name__ != "MultiheadAttention" or node.args[1] != 0:
        return None
    plain = module.batch_first and module._qkv_same_embed_dim and module.bias_k is None and not module.add_zero_attn
    if not plain or len(source.all_input_nodes) != 1 or source.kwargs.get("attn_mask") is not None:
        return None, "only self-attention, batch first, without masks or extra key/value biases, has a kind"
    layer = {"type": "attention", "heads": module.num_heads, "bias": module.in_proj_bias is not None}
    return {**layer, "dropout": float(module.dropout)}, ""


def _recurrent(module: Any, call: Any) -> tuple[dict[str, Any] | None, str]:
    """`output, state = self.rnn(x)`: the output sequence of nn.LSTM, nn.GRU or nn.RNN."""
    if not module.batch_first:
        return None, "batch_first=False: a spec's sequences are batch first"
    if len(call.all_input_nodes) != 1:
        return None, "an initial state given: the recurrent kinds start from zeros"
    kind = type(module).__name__.lower()
    layer: dict[str, Any] = {"type": kind, "hidden": module.hidden_size, "num_layers": module.num_layers}
    layer.update(bidirectional=module.bidirectional, bias=module.bias, dropout=float(module.dropout))
    if kind == "lstm":
        layer["proj_size"] = module.proj_size
    if kind == "rnn":
        layer["nonlinearity"] = module.nonlinearity
    return layer, ""


def _class_tokens(ops: list[Op]) -> list[Op]:
    """`torch.cat([token.expand(n, -1, -1), x], dim=1)` is class_token (a bare parameter)."""
    for op in ops:
        first = op.inputs[0] if op.inputs else None
        if op.layer == {"type": "concat"} and len(op.inputs) == 2 and first is not None and first.layer == EXPANDED:
            op.layer, op.inputs = {"type": "class_token", "form": "parameter"}, op.inputs[1:]
    kept = [op for op in ops if op.layer != EXPANDED or any(op in o.inputs for o in ops)]
    for op in kept:
        if op.layer == EXPANDED:
            op.layer, op.reason = None, "an expanded bare parameter that no concatenation puts first"
    return kept


def _channel_shuffles(ops: list[Op]) -> None:
    """torchvision's channel_shuffle: view (N, g, C/g, H, W), transpose(1, 2), contiguous,
    view (N, C, H, W) is the channel_shuffle kind; its later steps read as their input."""
    for op in ops:
        node = op.node
        if op.layer is not None or _name(node) not in ("view", "reshape") or len(_shape(node)) != 5:
            continue
        chain, current = [op], op
        while len(chain) < 4:
            readers = [o for o in ops if current in o.inputs]
            if len(readers) != 1:
                break
            current = readers[0]
            chain.append(current)
            if _name(current.node) in ("view", "reshape"):
                break
        steps = [_name(o.node) for o in chain[1:]]
        n, groups, per_group, h, w = _shape(node)
        if (
            steps
            in (["transpose", "contiguous", "view"], ["transpose", "view"], ["transpose", "contiguous", "reshape"])
            and sorted(a for a in chain[1].node.args[1:3] if isinstance(a, int)) == [1, 2]
            and _shape(chain[-1].node) == (n, groups * per_group, h, w)
        ):
            op.layer, op.reason, op.result = {"type": "channel_shuffle", "groups": groups}, "", chain[-1]
            for later in chain[1:]:
                later.layer, later.reason = dict(PASS), ""


# --- dense connections: a list of features, each layer concatenating all before it -----


def _dense_connections(ops: list[Op]) -> list[Op]:
    """torchvision's _DenseBlock: `features = [x]`, each layer `new = layer(torch.cat(features, 1))`,
    `features.append(new)`, and the block returns `torch.cat(features, 1)`. Concatenations
    c_1..c_m whose inputs grow by one new tensor each (c_j+1 reads c_j's inputs and n_j, the
    last op of the layer that c_j starts) are rewritten as specs/densenet121.yaml writes a
    dense layer: it reads the running concatenation x, copies it (c_j, read by the layer
    alone), and ends with `concat(x, n_j)`: a new op, the same tensor as c_j+1 (whose node
    it keeps, for the shape check). c_m reads as the last of those. Each layer then reads one
    tensor and gives one, and identical layers fold into `repeat:`."""
    from itertools import pairwise

    index = {id(op): i for i, op in enumerate(ops)}
    readers: dict[int, list[Op]] = {}
    for op in ops:
        for source in op.inputs:
            readers.setdefault(id(source), []).append(op)
    merges: dict[int, Op] = {}  # the op after which a new concatenation goes
    done: set[int] = set()  # concatenations already rewritten
    for first in ops:
        if first.layer != {"type": "concat"} or len(first.inputs) != 1 or id(first) in done:
            continue
        chain = _dense_chain(first, ops, index, readers)
        if chain is None:
            continue
        done.update(id(c) for c in chain)
        running = first.inputs[0]
        for concat, following in pairwise(chain):
            new = following.inputs[-1]
            merge = Op(following.node, {"type": "concat"}, "", [running, new], concat.stack, "torch.cat")
            concat.inputs, running = [running], merge
            merges[id(new)] = merge
        chain[-1].layer, chain[-1].reason, chain[-1].inputs = dict(PASS), "", [running]
    if not merges:
        return ops
    rewritten: list[Op] = []
    for op in ops:
        rewritten.append(op)
        if id(op) in merges:
            rewritten.append(merges[id(op)])
    return rewritten


def _dense_chain(first: Op, ops: list[Op], index: dict[int, int], readers: dict[int, list[Op]]) -> list[Op] | None:
    """c_1..c_m from `first` (a concatenation of one tensor), or None where the pattern breaks:
    each next concatenation reads the previous one's inputs and one new tensor, made after it
    in the previous one's scope and read by the concatenations alone."""
    chain = [first]
    while True:
        current = chain[-1]
        later = [r for r in readers.get(id(current.inputs[-1]), []) if index[id(r)] > index[id(current)]]
        following = next((r for r in later if r.layer == {"type": "concat"} and r is not current), None)
        if following is None or following.inputs[:-1] != current.inputs:
            break
        new = following.inputs[-1]
        if not index[id(current)] < index[id(new)] < index[id(following)] or new.stack != current.stack:
            break
        if any(r.layer != {"type": "concat"} for r in readers.get(id(new), [])):
            break
        chain.append(following)
    if len(chain) < 3 or any(r is not ops[index[id(c)] + 1] for c in chain[:-1] for r in readers.get(id(c), [])):
        return None
    return chain


# The network's input, as an Op-like marker.
_INPUT: Any = Op(None, {"type": "input"}, "", [], (), "input")


def scopes(ops: list[Op], root_cls: Any) -> Scope:
    """The ops nested in the module scopes that called them: each call of a non-leaf module
    is one Scope (a module called twice is two)."""
    root = Scope("", "", root_cls)
    chain: list[Scope] = [root]
    for op in ops:
        depth = 0
        while depth < len(op.stack) and depth + 1 < len(chain) and chain[depth + 1].key == op.stack[depth][0]:
            depth += 1
        del chain[depth + 1 :]
        for key, path, cls in op.stack[depth:]:
            inner = Scope(key, path, cls, parent=chain[-1])
            chain[-1].items.append(inner)
            chain.append(inner)
        chain[-1].items.append(op)
    return root


# --- the spec: bodies, blocks and repeats ----------------------------------------------

_STRUCTURE = ("type", "name", "from", "#")  # what a block's uses must share; other fields may differ
# The name an unread layer would have had from its module path (never written): what an
# argument of its own is named after (GoogLeNet's `branch2_0_filters`, not `basic_conv2d_filters_`).
_UNREAD_NAME = "~name"


@dataclass(eq=False)
class Instance:
    """One call of a module scope written as a block call; `block` and `args` are set when
    the calls of one structure are grouped."""

    scope: Scope
    body: list[dict[str, Any]]
    height: int
    spans: dict[int, tuple[int, str]]
    block: str = ""
    args: dict[str, Any] = field(default_factory=dict)  # those that differ from the defaults
    defaults: dict[str, Any] = field(default_factory=dict)  # the block's arguments
    outputs: list[str] = field(default_factory=list)  # a block's several outputs, the first read by default


def _numeric(name: str) -> bool:
    return name[:1].isdigit()


def _own(local: str) -> bool:
    """Whether a module's path names it as a person would an argument of its own: an
    attribute, or an item of one (`branch2.0`), not an index alone (`0`) nor a deep path."""
    return not _numeric(local) and local.count(".") <= 1


class _Graph:
    """What every body needs to know about the whole graph: each op's readers."""

    def __init__(self, ops: list[Op]) -> None:
        self.readers: dict[int, list[Op]] = {}
        for op in ops:
            for source in op.inputs:
                self.readers.setdefault(id(source), []).append(op)
        self.last = ops[-1]
        self.inputs = _named_inputs(ops)

    def ends(self, scope: Scope) -> tuple[Op | None, Op | None]:
        """(its one input, its one output) when `scope` reads one tensor from outside and
        only its last op is read outside; else (None, None)."""
        inner = {id(op) for op in scope.ops()}
        outside: list[Op] = []
        for op in scope.ops():
            outside += [s for s in op.inputs if id(s) not in inner and all(s is not o for o in outside)]
        ops = list(scope.ops())
        read_out = [
            op for op in ops if op is self.last or any(id(r) not in inner for r in self.readers.get(id(op), []))
        ]
        if len(outside) != 1 or read_out != [ops[-1]]:
            return None, None
        return outside[0], ops[-1]


class _Body:
    """The layers of one block (or of the network), built from a scope's items."""

    def __init__(self, graph: _Graph, path: str, source: Op, blockable: set[str] | None, partial: bool) -> None:
        self.graph, self.path, self.blockable, self.partial = graph, path, blockable, partial
        self.layers: list[dict[str, Any]] = []
        self.refs: dict[int, str] = {id(source): "input"}
        self.last = "input"
        self.used: set[str] = {"input"}  # names taken
        self.read: set[str] = set()  # names a `from:` reads
        self.keep: set[str] = set()  # names worth showing though nothing reads them
        self.from_paths: set[str] = set()  # names a module's path gives (`_own`)
        self.instances: list[Instance] = []
        self.gaps: list[str] = []
        # A module inlined here: its first layer's index -> (its last's, its name), so that
        # a run of identical calls it wholly holds (an nn.Sequential of them) keeps its name.
        self.spans: dict[int, tuple[int, str]] = {}
        self.last_op: Op | None = None  # the op whose layer is the last one written

    def local(self, path: str) -> str:
        return path[len(self.path) + 1 :] if self.path else path

    def unique(self, name: str) -> str:
        name = name.replace(".", "_")
        found, n = name, 2
        while found in self.used:
            found, n = f"{name}_{n}", n + 1
        self.used.add(found)
        return found

    def short(self, local: str) -> str:
        """A name for a module deep inside an inlined one (MaxViT's first MBConv, written in
        place: `blocks.0.layers.0.layers.MBconv.proj`) as a person names it: the shortest end
        of its path that names no other layer (`proj`). Paths of one or two parts are kept
        (`Mixed_6a.branch3x3`)."""
        parts = local.split(".")
        if len(parts) <= 2:
            return local
        for start in range(len(parts) - 1, 0, -1):
            name = "_".join(parts[start:])
            if not _numeric(parts[start]) and name not in self.used:
                return name
        return local

    def sources(self, inputs: list[Op]) -> Any:
        names = [self.refs[id(op)] for op in inputs]
        if names == [self.last]:
            return None
        self.read.update(names)
        return names[0] if len(names) == 1 else names

    def add(self, layer: dict[str, Any], inputs: list[Op], name: str, informative: bool) -> str:
        source = self.sources(inputs)
        name = self.unique(name)
        if informative:
            self.keep.add(name)
        self.layers.append({"name": name, **layer, **({"from": source} if source is not None else {})})
        self.last = name
        return name

    def fill(self, scope: Scope) -> None:
        for item in scope.items:
            if isinstance(item, Op):
                self.op(item)
            else:
                self.scope(item)

    def op(self, op: Op) -> None:
        module = _module_path(op.node)
        where = module or (op.stack[-1][1] if op.stack else "")
        if op.layer == PASS:
            self.refs[id(op)] = self.refs[id(op.inputs[0])]
            return
        if op.layer is None:
            self.gaps.append(f"{where or '(top level)'}: {op.described} ({op.reason})")
            if self.partial:
                self.layers.append({"#": f"GAP {where or '(top level)'}: {op.described} ({op.reason})"})
            # the gap reads as its input, so that what follows still builds
            self.refs[id(op)] = self.refs[id(op.inputs[0])] if op.inputs else "input"
            return
        if self.folds(op):
            return
        if module is not None:
            local = self.local(module)
            name, informative = (
                (f"{op.layer['type']}{local}", False) if _numeric(local) else (self.short(local), "." not in local)
            )
        else:
            name, informative = str(op.layer["type"]), False
        self.refs[id(op)] = self.add(op.layer, op.inputs, name, informative)
        if module is not None and _own(self.local(module)):
            self.from_paths.add(self.refs[id(op)])
        self.last_op = op

    def folds(self, op: Op) -> bool:
        """An activation that alone reads the conv, dense or norm just before it becomes that
        layer's `activation:` (as a person writes `{type: batchnorm, activation: relu}`)."""
        assert op.layer is not None
        before = self.layers[-1] if self.layers else None
        kind = op.layer["type"]
        if (
            before is None
            or self.last_op is None
            or op.inputs != [self.last_op]
            or self.graph.readers.get(id(self.last_op)) != [op]
            or self.last_op is self.graph.last
            or not set(op.layer) <= {"type", "inplace", "form"}
            or kind not in _activations_of(before.get("type"))
            or before.get("activation") is not None
        ):
            return False
        before["activation"] = kind
        if op.layer.get("inplace"):
            before["activation_inplace"] = True
        if op.layer.get("form") == "function":
            before["activation_form"] = "function"
        self.refs[id(op)] = self.last
        self.last_op = op
        op.folded = True
        return True

    def scope(self, scope: Scope) -> None:
        if _call_with_outputs(self, scope):  # a block with several outputs
            return
        source, result = self.graph.ends(scope)
        if source is None or result is None or (self.blockable is not None and scope.path not in self.blockable):
            start, local = len(self.layers), self.local(scope.path)
            self.fill(scope)  # its ops, inline
            if len(self.layers) > start + 1 and not _numeric(local) and "." not in local and local not in self.used:
                self.spans[start] = (len(self.layers) - 1, self.unique(local))
            return
        inner = _Body(self.graph, scope.path, source, self.blockable, self.partial)
        inner.fill(scope)
        inner.finish()
        self.gaps += inner.gaps
        height = 1 + max((i.height for i in inner.instances), default=0)
        instance = Instance(scope, inner.layers, height, inner.spans)
        self.instances += [*inner.instances, instance]
        local = self.local(scope.path)
        base = _block_base(scope)
        name, informative = (f"{base}{local}", False) if _numeric(local) else (self.short(local), "." not in local)
        self.refs[id(result)] = self.add({"type": instance, "repeat": 1}, [source], name, informative)
        if _own(local):
            self.from_paths.add(self.refs[id(result)])

    def finish(self) -> None:
        """Names no `from:` reads and that say nothing are left out."""
        for layer in self.layers:
            name = layer.get("name")
            if name is not None and name not in self.read and name not in self.keep:
                del layer["name"]
                if name in self.from_paths:
                    layer[_UNREAD_NAME] = name


def _module_path(node: Any) -> str | None:
    """The module a layer is: a leaf module's call, or `module(x)[0]` (attention, recurrent)."""
    if node.op == "call_module":
        return str(node.target)
    source: Any = node.args[0] if node.op == "call_function" and _name(node) == "getitem" and node.args else None
    return str(source.target) if getattr(source, "op", None) == "call_module" else None


def _activations_of(kind: Any) -> tuple[str, ...]:
    """The activations a kind takes as its `activation:` field (none for a block call)."""
    import typing

    from cnncalc.layers import layer_class

    cls = layer_class(kind) if isinstance(kind, str) else None
    field = cls.model_fields.get("activation") if cls is not None else None
    if field is None:
        return ()
    return tuple(a for arg in typing.get_args(field.annotation) for a in typing.get_args(arg))


_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def _block_base(scope: Scope) -> str:
    """A block's name from its module: the class in snake case, or for a container
    (Sequential, ModuleList) its attribute without the index."""
    cls_name = getattr(scope.cls, "__name__", "block")
    if cls_name in _CONTAINERS:
        last = [p for p in scope.path.split(".") if not _numeric(p)]
        return re.sub(r"\d+$", "", last[-1]) if last else "stage"
    return _snake(cls_name)


def _snake(cls_name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", cls_name.lstrip("_")).lower()


def _block_bases(scope: Scope) -> list[str]:
    """The names a block may take, the first one free: its module's (`_block_base`), then,
    for a container that is all its module does (MaxViT's `MaxVitLayer.layers`, whose name
    `layers` MBConv's own `layers` took), the class of that module (`max_vit_layer`), as a
    person names it rather than `layers_2`."""
    bases = [_block_base(scope)]
    parent = scope.parent
    if (
        getattr(scope.cls, "__name__", "") in _CONTAINERS
        and parent is not None
        and parent.path
        and parent.items == [scope]
        and getattr(parent.cls, "__name__", "") not in _CONTAINERS
    ):
        bases.append(_snake(getattr(parent.cls, "__name__", "block")))
    return bases


def _fold_repeats(
    body: list[dict[str, Any]], read: set[str], spans: dict[int, tuple[int, str]]
) -> list[dict[str, Any]]:
    """Consecutive identical block calls, each reading the one before, as one with `repeat:`;
    named after the module that holds exactly them (`spans`), if any."""
    folded: list[dict[str, Any]] = []
    ends: list[tuple[int, int]] = []  # each folded layer's first and last index in `body`
    for index, layer in enumerate(body):
        before = folded[-1] if folded else None
        if (
            before is not None
            and isinstance(layer.get("type"), Instance)
            and isinstance(before.get("type"), Instance)
            and "from" not in layer
            and before.get("name") not in read
            and layer["type"].block == before["type"].block
            and layer["type"].args == before["type"].args
            and layer["repeat"] == 1
        ):
            before["repeat"] += 1
            before.pop("name", None)  # a repeated call's name is its last copy's
            if "name" in layer:
                before["name"] = layer["name"]
            ends[-1] = (ends[-1][0], index)
            continue
        folded.append(dict(layer))
        ends.append((index, index))
    for layer, (first, last) in zip(folded, ends, strict=True):
        span = spans.get(first)
        if span is not None and span[0] == last and layer.get("repeat", 1) > 1 and "name" not in layer:
            layer["name"] = span[1]
    return folded


def _fields(layer: dict[str, Any]) -> dict[str, Any]:
    """A layer's values that may differ between the uses of a block: for a call, its
    arguments (and its repeat count)."""
    kind = layer.get("type")
    if isinstance(kind, Instance):
        return {**kind.defaults, **kind.args, "repeat": layer["repeat"]}
    return {k: v for k, v in layer.items() if k not in _STRUCTURE and k != _UNREAD_NAME}


def _signature(body: list[dict[str, Any]]) -> Any:
    return tuple(
        (
            layer["type"].block if isinstance(layer.get("type"), Instance) else layer.get("type"),
            layer.get("name"),
            repr(layer.get("from")),
            layer.get("#"),
            tuple(_fields(layer)),
        )
        for layer in body
    )


def _defaults(kind: Any) -> dict[str, Any]:
    from cnncalc.layers import layer_class

    if isinstance(kind, Instance):
        return {**kind.defaults, "repeat": 1}
    if kind is None:
        return {}
    cls = layer_class(str(kind))
    if cls is None:
        return {}
    return {n: f.default for n, f in cls.model_fields.items() if not f.is_required()}


def group(
    instances: list[Instance], taken: set[str]
) -> list[tuple[str, list[Instance], dict[str, Any], list[dict[str, Any]]]]:
    """The calls grouped by structure, innermost first: (block name, its calls, its
    arguments with their defaults, its layers with `$argument` where the calls differ)."""
    blocks: list[tuple[str, list[Instance], dict[str, Any], list[dict[str, Any]]]] = []
    for height in sorted({i.height for i in instances}):
        level = [i for i in instances if i.height == height]
        for instance in level:
            read = {n for layer in instance.body for n in _names(layer.get("from"))}
            instance.body = _fold_repeats(instance.body, read, instance.spans)
        groups: dict[Any, list[Instance]] = {}
        for instance in level:
            groups.setdefault((_signature(instance.body), tuple(instance.outputs)), []).append(instance)
        for members in groups.values():
            name = _block_name(_block_bases(members[0].scope), taken)
            blocks.append((name, members, *_arguments(name, members)))
    return blocks


def _names(source: Any) -> list[str]:
    names = [] if source is None else [source] if isinstance(source, str) else list(source)
    return names + [n.split(".")[0] for n in names if "." in n]  # `call.output` reads the call too


def _block_name(bases: list[str], taken: set[str]) -> str:
    from cnncalc.layers import kinds

    names = [base if base not in kinds() else f"{base}_block" for base in bases]
    name = next((n for n in names if n not in taken), names[-1])  # all taken: numbered, the closest
    found, n = name, 2
    while found in taken:
        found, n = f"{name}_{n}", n + 1
    taken.add(found)
    return found


def _arguments(block: str, members: list[Instance]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A group's arguments (with the commonest value as the default) and its layers."""
    first = members[0].body
    args: dict[str, Any] = {}
    by_values: dict[tuple[str, ...], str] = {}
    all_values: dict[str, tuple[Any, ...]] = {}
    layers: list[dict[str, Any]] = []
    lists: list[tuple[dict[str, Any], str, tuple[Any, ...]]] = []  # lists made of other arguments
    scalars = {  # the values of every number that differs between the calls
        tuple(repr(_fields(m.body[index])[key]) for m in members): ""
        for index, layer in enumerate(first)
        for key in _fields(layer)
        if not isinstance(_fields(layer)[key], list)
    }
    for index, layer in enumerate(first):
        written: dict[str, Any] = {k: v for k, v in layer.items() if k in _STRUCTURE}
        if isinstance(layer.get("type"), Instance):
            written["type"] = layer["type"].block
        defaults = _defaults(layer.get("type"))
        for key in _fields(layer):
            values = tuple(_fields(m.body[index])[key] for m in members)
            seen = tuple(repr(v) for v in values)  # lists are not hashable
            if len(set(seen)) == 1:
                if key not in defaults or repr(defaults[key]) != repr(values[0]):
                    written[key] = values[0]
                continue
            if _from_arguments(values, scalars) is not None:  # written once those arguments are
                written[key] = None
                lists.append((written, key, values))
                continue
            if seen not in by_values:
                arg = "repeats" if key == "repeat" else key
                if arg in args:
                    kind = layer.get("type")
                    named = layer.get("name") or layer.get(_UNREAD_NAME)
                    arg = f"{named or (kind.block if isinstance(kind, Instance) else kind)}_{arg}"
                while arg in args:
                    arg += "_"
                by_values[seen] = arg
                all_values[arg] = values
                args[arg] = max(values, key=lambda v: seen.count(repr(v)))  # the commonest, as the default
            written[key] = f"${by_values[seen]}"
        layers.append(written)
    for written, key, values in lists:
        written[key] = _from_arguments(values, by_values)
    for member in members:
        member.block = block
        member.defaults = args
        member.args = {}
        for arg, values in all_values.items():
            value = values[members.index(member)]
            if repr(value) != repr(args[arg]):
                member.args[arg] = value
    return args, layers


def _from_arguments(values: tuple[Any, ...], by_values: dict[tuple[str, ...], str]) -> list[Any] | None:
    """A list that differs between the calls written with their other arguments, where each
    of its items is the same in every call or is an argument's value in each (WaveNet's
    causal pad `[$dilation, 0]`); None where an item is neither."""
    if not all(isinstance(v, list) for v in values) or len({len(v) for v in values}) != 1:
        return None
    items: list[Any] = []
    for column in zip(*values, strict=True):
        seen = tuple(repr(v) for v in column)
        if len(set(seen)) == 1:
            items.append(column[0])
        elif seen in by_values:
            items.append(f"${by_values[seen]}")
        else:
            return None
    return items


# --- YAML ------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_$][A-Za-z0-9_.$]*$")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(value: Any) -> str:
    """A value as YAML 1.2 reads it back: ints, floats, booleans, plain or quoted text, lists."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if any(c in text for c in ".en") else f"{text}.0"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)


def mapping(values: dict[str, Any]) -> str:
    """A mapping on one line, `{key: value, ...}`, nested mappings too."""
    return "{" + ", ".join(f"{k}: {mapping(v) if isinstance(v, dict) else scalar(v)}" for k, v in values.items()) + "}"


def flow(layer: dict[str, Any]) -> str:
    """One layer on one line: name first, then type, its fields, and `from` last."""
    if "#" in layer:
        return f"# {layer['#']}"
    fields = {"name": layer["name"]} if "name" in layer else {}
    fields["type"] = layer["type"]
    fields.update({k: v for k, v in layer.items() if k not in ("name", "type", "from")})
    if "from" in layer:
        fields["from"] = layer["from"]
    return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in fields.items()) + "}"


def _root_layers(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The network's own layers as written: calls by their block's name with the arguments
    that differ from its defaults, other fields where they differ from the kind's."""
    written = []
    for layer in layers:
        kind = layer.get("type")
        defaults = _defaults(kind)
        fields = _fields(layer) if "#" not in layer else {}
        out = {k: v for k, v in layer.items() if k in _STRUCTURE}
        if isinstance(kind, Instance):
            out["type"] = kind.block
        out.update({k: v for k, v in fields.items() if k not in defaults or repr(defaults[k]) != repr(v)})
        written.append(out)
    return written


# --- the whole import -------------------------------------------------------------------


@dataclass
class Imported:
    """What `import_source` read: the spec's text, the gaps, PyTorch's own totals."""

    text: str
    gaps: list[str]
    measured: dict[str, Any]


def _build(root: Scope, graph: _Graph, blockable: set[str] | None, partial: bool) -> tuple[_Body, list[Any]]:
    from cnncalc.importers import torch_progressions

    body = _Body(graph, "", _INPUT, blockable, partial)
    if graph.inputs:  # several: each read by its name, the first where no `from:` is written
        body.refs = {id(marker): marker.described for marker in graph.inputs}
        first = graph.inputs[0]  # the first input, unless nothing reads it: then every read is named
        body.last = first.described if first.layer is not None and first.layer["index"] == 0 else ""
        body.used = {m.described for m in graph.inputs}
    body.fill(root)
    _name_ties(body)
    body.layers = _fold_copies(body.layers)
    body.finish()
    blocks = group(body.instances, {"input"})
    read = {n for layer in body.layers for n in _names(layer.get("from"))}
    body.layers = _fold_repeats(body.layers, read, body.spans)
    body.layers = torch_progressions.fold(body.layers, read)  # a stage whose blocks differ by their index
    return body, blocks


def _model(source: str, args: dict[str, Any], device: str) -> Any:
    from cnncalc.verify import FactoryError, import_torch, load_factory

    torch = import_torch()
    try:
        factory = load_factory(source, args, what="import")
        with torch.device(device):
            model = factory()
    except FactoryError as exc:
        raise ImportFailed(str(exc)) from None
    except Exception as exc:
        raise ImportFailed(f"{source}: calling it failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(model, torch.nn.Module):
        raise ImportFailed(f"{source}: it returned a {type(model).__name__}, not a torch.nn.Module")
    return model.to(device).eval()


def captured(
    source: str,
    args: dict[str, Any],
    shape: tuple[int, ...] | None,
    tokens: int | None,
    inputs: dict[str, dict[str, int]] | None = None,
) -> tuple[Any, list[Op], dict[str, Any], tuple[int, ...]]:
    """(the model, its ops, PyTorch's totals: parameters and buffer elements,
    FlopCounterMode / 2 per sample; and one sample's output shape). On the meta device, where shapes and counts need no
    arithmetic; on the CPU where the model's code needs real values."""
    import torch

    from cnncalc.verify import _counts, _per_sample

    for device in ("meta", "cpu"):
        try:
            model = _model(source, args, device)
            if inputs and _fixed_arguments(model, len(inputs))[0] != list(inputs):
                names = ", ".join(_fixed_arguments(model, len(inputs))[0])
                raise ImportFailed(f"--input names {', '.join(inputs)}, where the model's forward takes {names}")
            example: Any
            if inputs:
                example = tuple(named_examples(inputs, 2, device).values())
            elif tokens is not None:
                example = torch.zeros(2, tokens, dtype=torch.long, device=device)
            else:
                example = torch.randn(2, *(shape or (3, 224, 224)), device=device)
            ops, flops = capture(model, example)
            break
        except ImportFailed:
            if device == "cpu":
                raise
    trainable, frozen, buffers = _counts(model)
    output = _shape(ops[-1].node)[1:]  # one sample's
    return model, ops, {"params": trainable + frozen, "buffers": buffers, "macs": _per_sample(flops, 2)}, output


def _spec_name(source: str) -> str:
    attr = source.rpartition(":")[2].split("(")[0].rsplit(".", 1)[-1]
    return re.sub(r"\W", "_", attr) or "model"


def render(
    source: str,
    command: str,
    input_: dict[str, Any],
    body: _Body,
    blocks: list[Any],
    measured: dict[str, Any] | None,
    imported: dict[str, Any] | None = None,
) -> str:
    """The spec's YAML text; with `imported` (the source as the spec will find it, and what
    it was called with), an `imported:` line for `cnncalc check`'s drift rule."""
    lines = [
        f"# Written by `{command}` from the model's PyTorch code (torch.fx).",
        f"name: {scalar(_spec_name(source))}",
        f"description: {scalar(f'imported from {source}')}",
    ]
    if all(isinstance(v, dict) for v in input_.values()):
        lines += ["inputs:", *(f"  {scalar(name)}: {mapping(dims)}" for name, dims in input_.items())]
    else:
        lines.append("input: {" + ", ".join(f"{k}: {v}" for k, v in input_.items()) + "}")
    if imported is not None:
        lines.append(f"imported: {mapping(imported)}  # cnncalc check reports drift (with run-imports = true)")
    if blocks:
        lines.append("blocks:")
    for name, members, args, layers in blocks:
        cls = members[0].scope.cls
        where = "" if cls.__module__.startswith(SOURCE_MODULE) else f"{cls.__module__}."
        lines.append(f"  {name}:  # {where}{cls.__qualname__}, {len(members)} use(s)")
        if args:
            lines.append("    args: {" + ", ".join(f"{k}: {scalar(v)}" for k, v in args.items()) + "}")
        if members[0].outputs:
            lines.append(f"    outputs: {scalar(members[0].outputs)}")
        lines.append("    layers:")
        lines += [f"      - {flow(layer)}" if "#" not in layer else f"      {flow(layer)}" for layer in layers]
    lines.append("layers:")
    lines += [f"  - {flow(layer)}" if "#" not in layer else f"  {flow(layer)}" for layer in _root_layers(body.layers)]
    if measured is not None:
        lines += [
            "expect:",
            "  # PyTorch's own: sum(p.numel()), buffer elements, FlopCounterMode total / 2 per sample",
            "  total: {" + ", ".join(f"{k}: {v}" for k, v in measured.items()) + "}",
        ]
    else:
        lines.append("# no expect: the spec has gaps (see the GAP comments), so its totals are not PyTorch's")
    return "\n".join(lines) + "\n"


def import_model(
    source: str,
    shape: tuple[int, ...] | None = None,
    tokens: int | None = None,
    args: dict[str, Any] | None = None,
    partial: bool = False,
    command: str = "",
    recorded: str | None = None,
    inputs: dict[str, dict[str, int]] | None = None,
) -> Imported:
    """Build the model `source` names, capture it, and write its spec. ImportGaps when an op
    has no kind (unless `partial`), ImportFailed when the model cannot be read exactly.
    With `recorded` (`source` as the spec will find it), the spec says where it came from."""
    from cnncalc.importers import torch_progressions

    model, ops, measured, output = captured(source, args or {}, shape, tokens, inputs)
    graph = _Graph(ops)
    root = scopes(ops, type(model))
    _, first = _build(root, graph, None, partial)  # every scope as a block: which structures recur
    recurring = [
        members for _, members, _, _ in first if len(members) > 1 and torch_progressions.worth_a_block(members)
    ]
    blockable = {m.scope.path for members in recurring for m in members}
    body, blocks = _build(root, graph, blockable, partial)
    if body.gaps and not partial:
        raise ImportGaps(body.gaps)
    input_: dict[str, Any] = inputs or input_mapping(shape or (3, 224, 224), tokens)
    if inputs and len(inputs) == 1:  # one named input: `input:` as a person writes it
        input_ = next(iter(inputs.values()))
    imported: dict[str, Any] | None = None
    if recorded is not None:
        sizes = "x".join(map(str, shape or (3, 224, 224)))
        imported = {"source": recorded, **({"tokens": tokens} if tokens is not None else {"shape": sizes})}
        if inputs:  # --input NAME.DIM=SIZE, in place of --shape
            imported = {"source": recorded, "inputs": inputs}
        if args:
            imported["args"] = args
    text = render(
        source,
        command or _command(source, shape, tokens, args, inputs),
        input_,
        body,
        blocks,
        None if body.gaps else measured,
        imported,
    )
    if not body.gaps:
        _check_shapes(_check(text, measured, output), ops)
    return Imported(text, body.gaps, measured)


def _command(
    source: str,
    shape: tuple[int, ...] | None,
    tokens: int | None,
    args: dict[str, Any] | None,
    inputs: dict[str, dict[str, int]] | None = None,
) -> str:
    words = ["cnncalc import", source]
    if inputs:
        words += [f"--input {name}.{dim}={size}" for name, dims in inputs.items() for dim, size in dims.items()]
    else:
        words.append(
            f"--tokens {tokens}" if tokens is not None else "--shape " + "x".join(map(str, shape or (3, 224, 224)))
        )
    words += [f"--arg {k}={v!r}" for k, v in (args or {}).items()]
    return " ".join(words)


def _check(text: str, measured: dict[str, Any], output: tuple[int, ...]) -> Trace:
    """The spec must load, and give PyTorch's totals and output shape: an importer that
    cannot say it exactly says so (exit 2) instead of writing a wrong spec."""
    from cnncalc.engine import propagate
    from cnncalc.figures import totals
    from cnncalc.spec import loads_spec

    try:
        trace = propagate(loads_spec(text, "<import>"), "<import>")
    except SpecError as error:
        details = "; ".join(str(d) for d in error.diagnostics)
        raise ImportFailed(f"the spec written from the model does not load: {details}") from None
    figures = totals(trace)
    ours = {"params": figures.params.total, "buffers": figures.params.buffers, "macs": figures.macs}
    wrong = [f"{k} {ours[k]:,} where PyTorch counts {measured[k]:,}" for k in measured if ours[k] != measured[k]]
    if tuple(figures.output) != output:
        wrong.append(f"output shape {tuple(figures.output)} where PyTorch gives {output}")
    if wrong:
        raise ImportFailed("the spec written from the model is not exact: " + "; ".join(wrong))
    return trace


def _check_shapes(trace: Trace, ops: list[Op]) -> None:
    """Every layer's output shape must be its op's: the spec's layers, expanded, are the ops
    that write a layer, in the graph's order (a shape no count depends on, such as a pool's
    before a global pool, would otherwise go wrong unseen)."""
    written = [op for op in ops if op.layer not in (None, PASS, EXPANDED) and not op.folded]
    ours = [tuple(n.output) for n in trace.nodes[trace.input_count :]]
    torch_shapes = [op.spec_shape or _shape((op.result or op).node)[1:] for op in written]
    if len(ours) != len(torch_shapes):
        raise ImportFailed(f"the spec written from the model has {len(ours)} layers for {len(torch_shapes)} ops")
    for shape, op, measured in zip(ours, written, torch_shapes, strict=True):
        if shape != measured:
            where = _module_path(op.node) or op.described
            raise ImportFailed(
                f"the spec written from the model is not exact: {where} gives {shape}, PyTorch {measured}"
            )


def import_source(
    source: str,
    shape: tuple[int, ...] | None = None,
    tokens: int | None = None,
    args: dict[str, Any] | None = None,
    inputs: dict[str, dict[str, int]] | None = None,
) -> str:
    """The spec (YAML text) of the model `source` names (`package.module:callable` or
    `path/to/file.py:callable`), called with `args`, for one sample of `shape` (PyTorch's
    order) or `tokens` token ids. ImportGaps or ImportFailed when it cannot be written
    exactly. For the drift check: the same text as `cnncalc import` writes."""
    return import_model(source, shape, tokens, args, inputs=inputs).text


# --- several inputs, and code that reads its inputs' sizes --------------------------------
#
# nn.Transformer(src, tgt) takes two tensors, and its forward (and nn.TransformerEncoder's)
# compares sizes (`src.size(0) != tgt.size(0)`), which torch.fx's symbolic tracer refuses.
# `--input src.l=10` names each input; `_shape_tracer` is the fallback that answers sizes.

# torch.nn containers the tracer goes through (their layers have kinds), not leaves with none.
_THROUGH = ("TransformerEncoder", "TransformerDecoder", "Transformer")


def _transformer_layer(m: Any) -> dict[str, Any]:
    """nn.TransformerEncoderLayer / nn.TransformerDecoderLayer as the kind of the same name."""
    import torch.nn.functional as F

    if not m.self_attn.batch_first:
        raise _Gap("batch_first=False: a spec's sequences are batch first")
    activation = m.activation
    functions = {F.relu: "relu", F.gelu: "gelu"}
    modules = {"ReLU": "relu", "GELU": "gelu"}
    named = functions.get(activation) if callable(activation) and not hasattr(activation, "forward") else None
    if named is None and type(activation).__name__ in modules and getattr(activation, "approximate", "none") == "none":
        named = modules[type(activation).__name__]
    if named is None:
        raise _Gap("a feed-forward activation other than relu or exact gelu")
    decoder = hasattr(m, "multihead_attn")
    layer: dict[str, Any] = {
        "type": "transformer_decoder_layer" if decoder else "transformer_encoder_layer",
        "heads": m.self_attn.num_heads,
        "feedforward": m.linear1.out_features,
        "feedforward_activation": named,
    }
    if hasattr(activation, "forward"):
        layer["feedforward_activation_form"] = "module"
    layer.update(norm_first=m.norm_first, eps=m.norm1.eps, bias=m.linear1.bias is not None, dropout=m.dropout.p)
    return layer


MODULES["TransformerEncoderLayer"] = _transformer_layer
MODULES["TransformerDecoderLayer"] = _transformer_layer


def parse_inputs(texts: list[str]) -> dict[str, dict[str, int]]:
    """`--input NAME.DIM=SIZE` options (as table's `--input src.l=512`) -> the spec's
    `inputs:`, each input's dimensions in the order first given."""
    found: dict[str, dict[str, int]] = {}
    for text in texts:
        key, equals, value = text.partition("=")
        name, dot, dim = key.strip().partition(".")
        if not equals or not dot or not name.isidentifier() or not dim.isidentifier():
            raise ImportFailed(f"--input {text!r}: write NAME.DIM=SIZE for each dimension, as src.l=10 src.d=512")
        if not value.strip().isdigit() or int(value) < 1:
            raise ImportFailed(f"--input {text!r}: {value.strip()!r} is not a size (a whole number, 1 or more)")
        found.setdefault(name, {})[dim] = int(value)
    return found


def named_examples(inputs: dict[str, dict[str, int]], batch: int, device: str) -> dict[str, Any]:
    """A batch for each named input, as `verify` makes them (token ids for an input of `l`
    alone): the spec's own reading of the dimensions gives PyTorch's order."""
    from cnncalc.engine import propagate
    from cnncalc.spec import loads_spec
    from cnncalc.verify import sample_inputs

    lines = ["name: inputs", "inputs:"]
    lines += [f"  {scalar(name)}: " + mapping(dims) for name, dims in inputs.items()]
    lines += ["layers:", "  - {type: identity}"]
    try:
        trace = propagate(loads_spec("\n".join(lines) + "\n", "<--input>"), "<--input>")
    except SpecError as error:
        details = "; ".join(str(d) for d in error.diagnostics)
        raise ImportFailed(f"--input: {details}") from None
    return dict(zip(inputs, sample_inputs(trace, batch, device), strict=True))


def _fixed_arguments(model: Any, given: int) -> tuple[list[str], dict[str, Any]]:
    """forward's first `given` parameters (the inputs), and the rest at their defaults
    (a mask left out is None: the tracer takes it as fixed)."""
    import inspect

    try:
        parameters = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):  # no signature to read: fx traces it as it is
        return [], {}
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < given and not any(p.kind == p.VAR_POSITIONAL for p in parameters):
        raise ImportFailed(f"the model's forward takes {len(positional)} input(s), not {given}")
    names = [p.name for p in positional[:given]]
    fixed: dict[str, Any] = {}
    for p in parameters:
        if p.name in names or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty:
            raise ImportFailed(f"the model's forward also takes {p.name!r}, which has no default: give it as an input")
        fixed[p.name] = p.default
    return names, fixed


def _trace(model: Any, examples: tuple[Any, ...]) -> tuple[Any, Any]:
    """(the graph, its root module): torch.fx's symbolic tracer, or where the code reads its
    inputs' sizes, `_shape_tracer` that knows them."""
    names, fixed = _fixed_arguments(model, len(examples))
    tracer = _tracer()
    try:
        return tracer.trace(model, concrete_args=fixed or None), tracer.root
    except Exception as exc:
        first = exc
    tracer = _shape_tracer(dict(zip(names, examples, strict=False)))  # with *args, fewer names
    try:
        return tracer.trace(model, concrete_args=fixed or None), tracer.root
    except Exception:
        if type(model).__module__.startswith("transformers."):
            raise ImportFailed(_TRANSFORMERS_CODE.format(type(model).__name__)) from None
        raise ImportFailed(f"torch.fx cannot capture the model: {type(first).__name__}: {first}") from None


_TRANSFORMERS_CODE = (
    "torch.fx cannot capture transformers' model code ({}): its forward takes **kwargs, which fx's "
    "tracer refuses, and its mask and cache code branches on tensor sizes; import the model's "
    "config.json instead (cnncalc import path/to/config.json --tokens N), which writes the same layers"
)


def _shape_tracer(examples: dict[str, Any]) -> Any:
    """torch.fx's tracer whose proxies carry their value on the meta device, so that code
    that reads sizes (`x.size(0)`, `x.dim() == 3`, `x.shape`) gets numbers and traces on;
    what the value of an op cannot be computed for stays a plain proxy."""
    import torch
    import torch.fx as fx

    plain = _tracer()

    class Sized(fx.Proxy):
        value: Any = None

        def size(self, dim: int | None = None) -> Any:
            if isinstance(self.value, torch.Tensor):
                return self.value.size() if dim is None else self.value.size(dim)
            return fx.Proxy(self.node, self.tracer).size(*([] if dim is None else [dim]))

        def dim(self) -> Any:
            if isinstance(self.value, torch.Tensor):
                return self.value.dim()
            return fx.Proxy(self.node, self.tracer).dim()

        @property
        def shape(self) -> Any:
            return self.size()

        @property
        def ndim(self) -> Any:
            return self.dim()

        @property
        def is_nested(self) -> bool:
            return False

    def value(of: Any) -> Any:
        if isinstance(of, Sized) and of.value is not None:
            return of.value
        if isinstance(of, fx.Proxy):
            raise LookupError("no value")
        return of

    class Tracer(fx.Tracer):
        running = False  # computing a value: modules run as they are, untraced

        def proxy(self, node: Any) -> Any:
            return Sized(node, self)

        def is_leaf_module(self, m: Any, module_qualified_name: str) -> bool:
            return bool(plain.is_leaf_module(m, module_qualified_name))

        def call_module(self, m: Any, forward: Any, args: Any, kwargs: Any) -> Any:
            if self.running:
                return forward(*args, **kwargs)
            return super().call_module(m, forward, args, kwargs)

        def getattr(self, attr: str, attr_val: Any, parameter_proxy_cache: dict[str, Any]) -> Any:
            return attr_val if self.running else super().getattr(attr, attr_val, parameter_proxy_cache)

        def create_proxy(self, kind: str, target: Any, args: Any, kwargs: Any, *rest: Any, **more: Any) -> Any:
            proxy: Any = super().create_proxy(kind, target, args, kwargs, *rest, **more)
            if kind == "placeholder":
                proxy.value = examples.get(str(target))
                return proxy
            try:
                a, k = fx.node.map_aggregate(args, value), fx.node.map_aggregate(kwargs, value)
                self.running = True
                if kind == "call_function":
                    proxy.value = target(*a, **k)
                elif kind == "call_method":
                    proxy.value = getattr(a[0], target)(*a[1:], **k)
                elif kind == "call_module":
                    proxy.value = self.root.get_submodule(target)(*a, **k)
                elif kind == "get_attr":
                    found: Any = self.root
                    for atom in str(target).split("."):
                        found = getattr(found, atom)
                    proxy.value = found
            except Exception:
                proxy.value = None
            finally:
                self.running = False
            return proxy

    return Tracer()


def _input_ops(graph: Any, count: int) -> dict[Any, Op]:
    """forward's first `count` placeholders as the ops that stand for the inputs: the one
    `_INPUT`, or for several one each, named as forward names them."""
    placeholders = [n for n in graph.graph.nodes if n.op == "placeholder"][:count]
    if count == 1:
        return {placeholders[0]: _INPUT}
    return {
        node: Op(node, {"type": "input", "index": i}, "", [], (), str(node.target))
        for i, node in enumerate(placeholders)
    }


def _named_inputs(ops: list[Op]) -> list[Op]:
    """The ops standing for several named inputs that `ops` read, in forward's order."""
    found = {id(s): s for op in ops for s in op.inputs if s.layer is not None and s.layer.get("type") == "input"}
    found.pop(id(_INPUT), None)  # the one input
    return sorted(found.values(), key=lambda marker: int(marker.layer["index"]) if marker.layer else 0)


def _fold_copies(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Layers of consecutive items of one container (`encoder.layers.0` to `.5`), alike in
    every field, each reading the one before in place of its first input and the same
    others, as one layer with `repeat:` (as a person writes six nn.TransformerEncoderLayer).
    Run while every layer still has its name from its module path."""
    reads: dict[str, int] = {}
    for layer in layers:
        for name in _names(layer.get("from")):
            reads[name] = reads.get(name, 0) + 1
    folded: list[dict[str, Any]] = []
    for layer in layers:
        before = folded[-1] if folded else None
        if before is not None and _next_copy(before, layer, reads):
            before["repeat"] = before.get("repeat", 1) + 1
            before["name"] = layer["name"]  # a repeated layer's name is its last copy's
            continue
        folded.append(dict(layer))
    return folded


def _next_copy(before: dict[str, Any], layer: dict[str, Any], reads: dict[str, int]) -> bool:
    kind = layer.get("type")
    if not isinstance(kind, str) or kind != before.get("type") or "name" not in layer or "name" not in before:
        return False
    previous, this = re.fullmatch(r"(.+)_(\d+)", before["name"]), re.fullmatch(r"(.+)_(\d+)", layer["name"])
    if previous is None or this is None or previous[1] != this[1] or int(this[2]) != int(previous[2]) + 1:
        return False
    fields = {k: repr(v) for k, v in layer.items() if k not in ("name", "from")}
    if fields != {k: repr(v) for k, v in before.items() if k not in ("name", "from", "repeat")}:
        return False
    first, then = _names(before.get("from")), _names(layer.get("from"))
    if not then:  # one input: the copy reads the layer before, which nothing else reads
        return not first and reads.get(before["name"], 0) == 0
    return len(then) == len(first) >= 2 and then[0] == before["name"] and then[1:] == first[1:] and reads[then[0]] == 1


def _unread_state(node: Any, modules: dict[str, Any]) -> bool:
    """`output, hidden = self.rnn(x)` with `hidden` never read: the final state of a GRU or
    RNN (a tensor, where an LSTM's is a tuple) that the spec need not say."""
    source: Any = node.args[0] if node.op == "call_function" and _name(node) == "getitem" and node.args else None
    if getattr(source, "op", None) != "call_module" or node.users or node.args[1] == 0:
        return False
    return type(modules[source.target]).__name__ in ("LSTM", "GRU", "RNN")


# --- WaveNet's forms: F.pad, and Python's sum() over a list of tensors ------------------------

_PAD_MODES = {"constant": "zeros", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _sequence_function(node: Any, name: str, tensors: list[Any], scalars: list[Any]) -> dict[str, Any] | None:
    """F.pad as the pad kind; `0 + x` (the start of `sum(tensors)`) as its input (PASS);
    None for any other op."""
    if name in ("add", "radd") and len(tensors) == 1 and scalars == [0] and len(node.args) == 2:
        return dict(PASS)
    if name != "pad" or len(tensors) != 1:
        return None
    sides = _argument(node, 1, "pad", None)
    mode = _argument(node, 2, "mode", "constant")
    value = _argument(node, 3, "value", None)
    spatial = len(_shape(tensors[0])) - 2  # after the batch and the channels
    if not isinstance(sides, (tuple, list)) or len(sides) % 2 or not 0 < len(sides) // 2 <= spatial:
        raise _Gap("padding of the batch or channel axes has no kind (pad keeps them)")
    if mode not in _PAD_MODES or value not in (None, 0, 0.0):
        raise _Gap(f"padding with mode {mode!r} and value {value!r}: the pad kind fills with zeros or copies")
    # F.pad lists the last dimension's sides first; the spec lists dimensions in order.
    pairs = [(0, 0)] * (spatial - len(sides) // 2) + [
        (int(sides[2 * i]), int(sides[2 * i + 1])) for i in reversed(range(len(sides) // 2))
    ]
    layer: dict[str, Any] = {"type": "pad", "padding": [v for pair in pairs for v in pair]}
    if _PAD_MODES[mode] != "zeros":
        layer["mode"] = _PAD_MODES[mode]
    return layer


def _merge_sums(ops: list[Op]) -> None:
    """`a + b + c` (Python's sum() of a list too) as one add of every term, as a person
    writes `{type: add, from: [a, b, c]}`: a sum that only the next sum reads is part of it."""
    readers: dict[int, list[Op]] = {}
    for op in ops:
        for source in op.inputs:
            readers.setdefault(id(source), []).append(op)
    for op in ops:
        first = op.inputs[0] if op.inputs else None
        if op.layer != {"type": "add", "inplace": False} or first is None or first.layer != op.layer:
            continue
        if readers.get(id(first)) == [op] and first.stack == op.stack:
            op.inputs = [*first.inputs, *op.inputs[1:]]
            first.layer, first.reason, first.inputs = dict(PASS), "", first.inputs[:1]


# --- blocks with several outputs (WaveNet's layer returns its residual and its skip) ---------


def _call_with_outputs(body: _Body, scope: Scope) -> bool:
    """Write `scope` as a call of a block with several `outputs:` when it reads one tensor
    from outside and more than one of its layers is read outside (or by nothing): the first in graph order is
    what the call's name (and the next layer) reads, each other `call.name`. False (nothing
    written) when it is not such a scope, or not one to write as a block."""
    graph = body.graph
    if body.blockable is not None and scope.path not in body.blockable:
        return False
    ops = list(scope.ops())
    inner_ids = {id(op) for op in ops}
    outside: list[Op] = []
    for op in ops:
        outside += [s for s in op.inputs if id(s) not in inner_ids and all(s is not o for o in outside)]
    # What is read outside, and what nothing reads: returned, and dropped by the caller (the
    # last WaveNet layer's residual), as the other calls' are read.
    read_out = [
        op
        for op in ops
        if op is graph.last
        or any(id(r) not in inner_ids for r in graph.readers.get(id(op), []))
        or (not graph.readers.get(id(op)) and op.layer not in (None, PASS) and not op.folded)
    ]
    if len(outside) != 1 or len(read_out) < 2:
        return False
    inner = _Body(graph, scope.path, outside[0], body.blockable, body.partial)
    inner.fill(scope)
    names = [inner.refs.get(id(op), "input") for op in read_out]
    if "input" in names or len(set(names)) != len(names) or any("." in n for n in names):
        return False  # an output that is the input itself, or two that are one layer
    inner.keep.update(names)
    inner.finish()
    body.gaps += inner.gaps
    height = 1 + max((i.height for i in inner.instances), default=0)
    instance = Instance(scope, inner.layers, height, inner.spans, outputs=names)
    body.instances += [*inner.instances, instance]
    local = body.local(scope.path)
    name = f"{_block_base(scope)}{local}" if _numeric(local) else body.short(local)
    call = body.add({"type": instance, "repeat": 1}, [outside[0]], name, True)
    body.read.add(call)  # its other outputs are read as `call.name`: the call keeps its name
    body.refs[id(read_out[0])] = call
    for op, output in zip(read_out[1:], names[1:], strict=True):
        body.refs[id(op)] = f"{call}.{output}"
    return True


# --- a weight shared between modules (word_language_model's tie_weights) --------------------


def _tied_weights(ops: list[Op], modules: dict[str, Any]) -> None:
    """A linear layer whose weight is an earlier embedding's (`decoder.weight =
    encoder.weight`): the dense layer's `tie:`, that op until the body names it. Both must be
    the network's own layers (not inside a block): elsewhere the spec is left untied, and the
    import's check refuses its count."""
    tables: dict[int, Op] = {}
    for op in ops:
        module = modules.get(op.node.target) if op.node.op == "call_module" else None
        if module is None or op.layer is None or op.stack:
            continue
        if op.layer["type"] == "embedding":
            tables.setdefault(id(module.weight), op)
        elif op.layer["type"] == "dense" and id(module.weight) in tables:
            op.layer["tie"] = tables[id(module.weight)]


def _name_ties(body: _Body) -> None:
    """Each `tie:` as the name of the embedding's layer, which keeps that name."""
    for layer in body.layers:
        table = layer.get("tie")
        if isinstance(table, Op):
            layer["tie"] = body.refs[id(table)]
            body.keep.add(layer["tie"])
