"""Why a claimed number is wrong, where a common mistake reproduces it exactly.

Each explainer recomputes the number the way a person commonly gets it wrong (one input
channel, no bias, no padding, stride 1, FLOPs for MACs) and, when that reproduces the
claim, says so with both calculations. Not a rule: `false-claim` uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnncalc.engine import Node, Trace
from cnncalc.figures import ClaimResult, hwc
from cnncalc.layers.api import Shape, per_dim, prod
from cnncalc.shape import text as _shape


def _n(v: int) -> str:
    return f"{v:,}"


def _node(trace: Trace, target: str) -> Node | None:
    ref = trace.names.get(target)
    return trace.nodes[ref] if isinstance(ref, int) else None


def _conv_params(node: Node, claimed: int) -> str | None:
    layer: Any = node.layer
    filters, kernel = getattr(layer, "filters", None), getattr(layer, "kernel", None)
    if not isinstance(filters, int) or kernel is None or not node.inputs:
        return None
    ndim = len(node.inputs[0].spatial)
    try:
        sizes = per_dim(kernel, ndim, "kernel")
    except Exception:
        return None
    k = prod(sizes)
    ktext = "*".join(str(v) for v in sizes)
    channels = node.inputs[0].channels
    groups = getattr(layer, "groups", 1) or 1
    seen = channels // groups
    bias = filters if getattr(layer, "bias", False) else 0
    right = f"{ktext}*{seen}*{filters}" + (f" + {filters}" if bias else "") + f" = {_n(node.params.total)}"
    sees = f"this layer sees {seen}" + (f" ({channels} in {groups} groups)" if groups > 1 else "")
    if seen > 1 and claimed == (k + (1 if bias else 0)) * filters:
        form = f"({ktext} + 1) * {filters}" if bias else f"{ktext} * {filters}"
        return f"{_n(claimed)} = {form} counts one input channel; {sees}: {right}"
    if seen > 1 and bias and claimed == k * filters:
        return f"{_n(claimed)} = {ktext} * {filters} counts one input channel and no bias; {sees}: {right}"
    if bias and claimed == k * seen * filters:
        return f"{_n(claimed)} = {ktext}*{seen}*{filters} leaves out the {filters} biases: {right}"
    if not bias and claimed == k * seen * filters + filters:
        return f"{_n(claimed)} counts {filters} biases, but this layer has bias: false: {right}"
    if groups > 1 and claimed == k * channels * filters + bias:
        return f"{_n(claimed)} ignores groups={groups}: each filter sees {seen} of the {channels} channels: {right}"
    return None


def _dense_params(node: Node, claimed: int) -> str | None:
    units = getattr(node.layer, "units", None)
    if not isinstance(units, int) or not node.inputs:
        return None
    n_in = node.inputs[0][-1]
    bias = getattr(node.layer, "bias", False)
    right = f"{n_in}*{units}" + (f" + {units}" if bias else "") + f" = {_n(node.params.total)}"
    if bias and claimed == n_in * units:
        return f"{_n(claimed)} = {n_in}*{units} leaves out the {units} biases: {right}"
    if not bias and claimed == n_in * units + units:
        return f"{_n(claimed)} counts {units} biases, but this layer has bias: false: {right}"
    return None


def _buffers_counted(node: Node, claimed: int) -> str | None:
    buffers = node.params.buffers
    if buffers and claimed == node.params.total + buffers:
        return (
            f"{_n(claimed)} counts the {_n(buffers)} buffer elements (running statistics), which are not "
            f"parameters: {_n(node.params.total)}"
        )
    # Keras' summary counts a batchnorm's moving mean and variance among its parameters
    # (non-trainable ones), but not PyTorch's one-element batch counter.
    if buffers > 1 and claimed == node.params.total + buffers - 1:
        return (
            f"{_n(claimed)} counts the running mean and variance ({_n(buffers - 1)}) as parameters, as Keras "
            f"does; PyTorch keeps them as buffers: {_n(node.params.total)} parameters, {_n(buffers)} buffer elements"
        )
    return None


def _recurrent_params(node: Node, claimed: int) -> str | None:
    # Keras keeps one bias vector per gate (LSTM `4H(I+H) + 4H`); PyTorch two, b_ih and b_hh.
    layer: Any = node.layer
    gates, hidden = getattr(layer, "gates", None), getattr(layer, "hidden", None)
    if not isinstance(gates, int) or not isinstance(hidden, int) or not getattr(layer, "bias", False):
        return None
    vectors = layer.num_layers * layer.directions
    one_bias = gates * hidden * vectors
    if claimed != node.params.total - one_bias:
        return None
    return (
        f"{_n(claimed)} counts one bias vector per gate, as Keras does; PyTorch's {node.kind} keeps two, "
        f"b_ih and b_hh ({gates}*{hidden} more in each of {vectors} layer-direction(s)): {_n(node.params.total)}"
    )


def _params(result: ClaimResult, trace: Trace) -> str | None:
    claimed = result.claimed
    if not isinstance(claimed, int):
        return None
    if result.target == "total":
        return _total_params(trace, claimed)
    node = _node(trace, result.target)
    if node is None:
        return None
    return (
        _conv_params(node, claimed)
        or _dense_params(node, claimed)
        or _buffers_counted(node, claimed)
        or _recurrent_params(node, claimed)
    )


def _total_params(trace: Trace, claimed: int) -> str | None:
    actual = sum(n.params.total for n in trace.nodes)
    biases = sum(
        getattr(n.layer, "filters", None) or getattr(n.layer, "units", None) or 0
        for n in trace.nodes
        if getattr(n.layer, "bias", False) is True
    )
    buffers = sum(n.params.buffers for n in trace.nodes)
    non_trainable = sum(n.params.non_trainable for n in trace.nodes)
    if biases and claimed == actual - biases:
        return f"{_n(claimed)} leaves out the {_n(biases)} biases: {_n(actual)}"
    if buffers and claimed == actual + buffers:
        return f"{_n(claimed)} counts the {_n(buffers)} buffer elements, which are not parameters: {_n(actual)}"
    # A weight-tied output layer uses the embedding's table: counted twice, it is a classic
    # over-count (GPT-2 "163M" for 124M).
    shared = sum(
        t.size
        for n in trace.nodes
        if n.layer is not None and n.shares
        for t in n.layer.tensors(n.inputs)
        if t.role == "shared"
    )
    if shared and claimed == actual + shared:
        return (
            f"{_n(claimed)} counts the {_n(shared)} tied weights twice; an output layer tied to an embedding "
            f"uses its table, which PyTorch's parameters() counts once: {_n(actual)}"
        )
    if non_trainable and claimed == actual - non_trainable:
        return f"{_n(claimed)} counts only trainable parameters; {_n(non_trainable)} more are not: {_n(actual)}"
    one_channel = 0
    for n in trace.nodes:
        filters, kernel = getattr(n.layer, "filters", None), getattr(n.layer, "kernel", None)
        if isinstance(filters, int) and kernel is not None:
            seen = n.inputs[0].channels // (getattr(n.layer, "groups", 1) or 1)
            one_channel += (seen - 1) * prod(per_dim(kernel, len(n.inputs[0].spatial), "kernel")) * filters
    if one_channel and claimed == actual - one_channel:
        return f"{_n(claimed)} counts one input channel in every conv layer: {_n(actual)}"
    return None


def _variant_shape(node: Node, update: dict[str, Any]) -> Shape | None:
    layer: Any = node.layer
    try:
        shape: Shape = layer.model_copy(update=update).output_shape(node.inputs)
        return shape
    except Exception:
        return None


def _axis_formula(node: Node) -> str:
    """`(32 + 4 - 5)/1 + 1 = 32` for the first spatial axis."""
    layer: Any = node.layer
    window = layer.window(node.inputs)
    pads = layer.pads(node.inputs[0])[0]
    n, o = node.inputs[0].spatial[0], node.output.spatial[0]
    reach = window.dilation[0] * (window.kernel[0] - 1) + 1
    return f"({n} + {pads[0] + pads[1]} - {reach})/{window.stride[0]:g} + 1 = {o}"


def _shape_claim(result: ClaimResult, trace: Trace) -> str | None:
    claimed = result.claimed
    node = _node(trace, result.target)
    if node is None or not isinstance(claimed, list):
        return None
    if len(node.output) > 1 and claimed == list(node.output) != list(hwc(node.output)):
        return f"{_shape(claimed)} is channels first; claims are (H, W, C): {_shape(hwc(node.output))}"
    layer: Any = node.layer
    if layer is None or not callable(getattr(layer, "pads", None)):
        return None
    checks = []
    if getattr(layer, "padding", 0) not in (0, "valid"):
        checks.append(({"padding": 0}, f"ignores the padding ({layer.padding})"))
    if getattr(layer, "stride", 1) not in (1, None):
        checks.append(({"stride": 1}, f"ignores the stride ({layer.stride})"))
    for update, mistake in checks:
        variant = _variant_shape(node, update)
        if variant is not None and list(hwc(variant)) == claimed:
            try:
                formula = _axis_formula(node)
            except Exception:
                formula = _shape(hwc(node.output))
            return f"{_shape(claimed)} {mistake}: {formula}"
    return None


def _attention_products(nodes: list[Node]) -> tuple[int, str]:
    """QK^T and AV multiply-accumulates of the attention in `nodes`, and how they come about."""
    attentions = []
    for node in nodes:
        parts_of = getattr(node.layer, "parts", None)
        if callable(parts_of):
            attentions += parts_of(node.inputs).attentions
    total = sum(a.products for a in attentions)
    if len(attentions) == 1:
        a = attentions[0]
        return total, f"2 * {a.q_len}*{a.kv_len}*{a.width} = {_n(total)}"
    return total, _n(total)


def _macs(result: ClaimResult, trace: Trace) -> str | None:
    claimed, actual = result.claimed, result.actual
    if not isinstance(claimed, int):
        return None
    if actual and claimed == 2 * actual:
        return f"{_n(claimed)} is the FLOP count (2 per multiply-accumulate); MACs = {_n(actual)}"
    outputs = result.figures.output_size
    if claimed == actual + outputs:
        return f"{_n(claimed)} counts one addition per output (the bias); MACs leave those out: {_n(actual)}"
    node = _node(trace, result.target)
    nodes = trace.nodes if result.target == "total" else [node] if node is not None else []
    products, how = _attention_products(nodes)
    if products and claimed == actual - products:
        return (
            f"{_n(claimed)} counts the projections but not QK^T and AV ({how}), as fvcore and calflops "
            f"count attention, and FlopCounterMode on the CPU's fused kernel: {_n(actual)}"
        )
    return None


def _flops(result: ClaimResult, trace: Trace) -> str | None:
    claimed, actual = result.claimed, result.actual
    if isinstance(claimed, int) and actual and 2 * claimed == actual:
        return f"{_n(claimed)} is the MAC count; FLOPs = 2 x MACs = {_n(actual)}"
    return None


EXPLAINERS: dict[str, Callable[[ClaimResult, Trace], str | None]] = {
    "params": _params,
    "trainable_params": _params,
    "shape": _shape_claim,
    "macs": _macs,
    "flops": _flops,
}


def _another_tool(result: ClaimResult, trace: Trace) -> str | None:
    """A claimed total that is another counter's (fvcore's, thop's, Keras'), or its rounding."""
    if result.target != "total" or not isinstance(result.claimed, int):
        return None
    from cnncalc.conventions.compare import explain_total  # the presets load only for a refuted total

    return explain_total(result.claimed, result.field, trace)


def explain(result: ClaimResult, trace: Trace) -> str | None:
    """The likely mistake behind a refuted claim, with the right calculation; or None."""
    explainer = EXPLAINERS.get(result.field)
    found = explainer(result, trace) if explainer else None
    return found or _another_tool(result, trace)
