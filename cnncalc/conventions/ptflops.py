"""ptflops 0.7.5: `get_model_complexity_info(model, (C, H, W))`, MACs per sample.

Default `pytorch` backend: forward hooks on the modules of its `MODULES_MAPPING`:
- conv and transposed conv (by input positions): MACs + 1 per output element with a bias;
- linear: MACs + 1 per output element with a bias;
- BatchNorm, GroupNorm: 1 per input element, 2 with `affine`; LayerNorm 1 (its hook reads
  `module.affine`, which LayerNorm calls `elementwise_affine`);
- ReLU, ReLU6, LeakyReLU, GELU: 1 per output element; every max, average and adaptive
  pooling: 1 per input element; Upsample: 1 per output element.
- nn.MultiheadAttention: its own hook's formula, per sample: `L_q*E` (scaling the queries),
  `L_q*E^2 + L_k*kdim^2 + L_v*vdim^2` (the projections, squared in kdim and vdim as written),
  `(L_q + L_k + L_v)*E` with biases, per head `L_q*L_k*(E/h) + L_q*L_k + L_q*L_k*(vdim/h)`,
  and `L_q*vdim*(vdim + 1)` for the out-projection (bias always counted); so a transformer
  layer's attention, whose feed-forward `nn.Linear`s count as above and layer norms 1 per
  element. The activation inside a transformer layer is the `F.relu`/`F.gelu` it captured
  when built, before ptflops wraps it: 0 (as an `nn.GELU` module,
  `feedforward_activation_form: module`, as ViT's MLPBlock: its hook and `F.gelu`, 2).
  nn.RMSNorm and `F.scaled_dot_product_attention` are not counted, so attention written
  with `nn.Linear` projections (grouped-query, rotary) counts them with their biases, not
  `QK^T` and `AV`.
With `count_functional=True` (the default) it also wraps `torch.nn.functional`'s relu,
gelu, silu, softmax, the pools and interpolate, which those modules call inside, so
ReLU, GELU, every pooling and upsampling count twice, and SiLU and softmax once (ELU
and PReLU, hooked and wrapped, twice; hardsigmoid, hardtanh, SELU, Mish, softplus,
log-softmax, GLU and a layer scale 0); ReLU6
(`F.hardtanh`) and LeakyReLU (`F.leaky_relu`) are not wrapped. Sigmoid, tanh, hardswish
count 0. An `x + y` or `x * y` written as an operator is not seen (cnncalc's merges are),
nor is `a @ b` (matmul). RNN, GRU, LSTM (`rnn_flops_counter_hook`): per step and layer the
elements of weight_ih and weight_hh, plus H (RNN), 7H (GRU) or 10H (LSTM) element-wise
operations and both biases, doubled when bidirectional; an LSTM's projection is not
counted. Embedding: no hook, 0.
Its hooks match a module by exact type: a layer written as a function (`form: function`,
`F.relu`, `F.adaptive_avg_pool2d`) or as a subclass of the module (`form: subclass`,
torchvision's `LayerNorm2d(nn.LayerNorm)`) counts only the F.* calls it wraps (once; with
`count_functional=False` 0), and a tensor method (`form: method`, `x.mean([2, 3])`) 0.
The count depends on how the model is written; these are the `--verify` builder's choices
(torchvision's): merges as `x + y` operators, activations as modules, and a pool whose
padding is asymmetric (or wider than PyTorch lets a pool pad) as a pad layer then the
pool, which then counts the padded input's elements.

`ptflops-aten` (`backend="aten"`): a dispatch mode counting only `aten.convolution`
(MACs + bias outputs), `aten.addmm` (MACs + bias outputs), `aten.mm`, `matmul`, `bmm`;
recurrent layers through their addmm and mm calls, except an LSTM without a projection,
which on the CPU runs inside oneDNN and shows it none;
attention's projections with their biases, not the fused `QK^T` and `AV`.
`ptflops-nofunc` (`backend_specific_config={"count_functional": False}`): module hooks only.
"""

from __future__ import annotations

from cnncalc.conventions import _windowed as windowed
from cnncalc.conventions._facts import Facts
from cnncalc.conventions._kinds import (
    ADAPTIVE,
    ATTENTION,
    AVGPOOL,
    CONV,
    GLOBAL,
    MAXPOOL,
    MERGE,
    NORMS,
    RECURRENT,
    SEQUENCE,
    SHAPE_ONLY,
    TRANSPOSED,
    WINDOWED,
)
from cnncalc.conventions._preset import Count, Form, Preset, Rule, Rules, unseen, zero
from cnncalc.conventions._recurrent import stack
from cnncalc.conventions._words import linear_attention, multihead, projections
from cnncalc.layers.api import AttentionPart, Linear


def _with_bias(f: Facts) -> int:
    return f.macs + (f.y if f.bias else 0)


def _norm(f: Facts) -> int:
    return f.x * (2 if f.get("affine", True) else 1)


# The element-wise operations `_rnn_flops` adds per step to the weights: RNN H, GRU 7H, LSTM 10H.
_RNN_EXTRA = {"rnn": 1, "gru": 7, "lstm": 10}


def _recurrent(f: Facts) -> int:
    """`rnn_flops_counter_hook`: per step and layer, the elements of weight_ih and weight_hh,
    the element-wise extra and both biases; times the steps, doubled when bidirectional.
    The projection weight_hr is not read."""
    s = stack(f)
    gated = s.gates * s.hidden
    per_layer = [
        gated * (i + s.recurrent) + _RNN_EXTRA[s.kind] * s.hidden + (2 * gated if s.bias else 0) for i in s.widths
    ]
    return s.steps * s.directions * sum(per_layer)


def _recurrent_aten(f: Facts) -> int:
    # aten.addmm with the biases, aten.mm for the projection; on the CPU an LSTM without a
    # projection runs through oneDNN, where the dispatch mode sees no matmul at all.
    if f.kind == "lstm" and not f.get("proj_size"):
        return 0
    return f.macs + int(f.layer.work(f.inputs, f.output).bias)


def _per_element(times: int, what: str, twice: str) -> Rule:
    """`times` per element of `what` ("input" or "output"); `twice` says why when counted twice."""
    if what == "input":
        return Rule(lambda f: times * f.x, f"1 per input element{twice if times == 2 else ''}")
    return Rule(lambda f: times * f.y, f"1 per output element{twice if times == 2 else ''}")


def _linear(p: Linear) -> int:
    return p.macs + (p.rows * p.fan_out if p.bias else 0)


def _multihead_hook(a: AttentionPart) -> int:
    """ptflops' `multihead_attention_counter_hook`, term by term."""
    q, k, v, e, h = a.q_len, a.kv_len, a.kv_len, a.width, a.heads
    count = q * e + q * e * e + k * a.kdim * a.kdim + v * a.vdim * a.vdim
    if a.bias:
        count += (q + k + v) * e
    count += h * (q * k * (e // h) + q * k + q * k * (a.vdim // h))
    return count + q * a.vdim * (a.vdim + 1)


def _transformer(functional: bool) -> dict[str, Rule]:
    def count(f: Facts) -> int:
        parts = f.parts
        total = sum(_multihead_hook(a) if a.multihead else sum(map(_linear, a.projections)) for a in parts.attentions)
        total += sum(map(_linear, parts.linears)) + sum(parts.norms)
        if f.kind in ("gated_ffn", "moe"):  # nn.SiLU: F.silu only; nn.GELU: its module hook and F.gelu
            gelu = f.get("gate") == "gelu"
            total += parts.activations * ((1 if gelu else 0) + (1 if functional else 0))
        if f.get("feedforward_activation_form") == "module":  # an nn.GELU module: its hook, and F.gelu
            total += parts.activations * (2 if functional else 1)
        return total

    if functional:
        gate = "projections with bias; the gate's F.silu 1 per element (nn.GELU and F.gelu 2)"
    else:
        gate = "projections with bias; an nn.GELU gate 1 per element"

    def attention_says(f: Facts) -> str:
        said = [f"{projections(f)}, MultiheadAttention by its hook's formula"] if multihead(f) else []
        if linear_attention(f):  # Llama's q/k/v/o nn.Linears and F.scaled_dot_product_attention
            said.append(f"q/k/v/o nn.Linear {projections(f)}, no QK^T or AV")
        if f.get("feedforward_activation_form") == "module":
            said.append("an activation module 1 per element" + (", twice (and its F.*)" if functional else ""))
        return "; ".join(said)

    def gate_says(f: Facts) -> str:
        return gate.replace("projections with bias", projections(f), 1)

    return {
        **{
            k: Rule(count, "projections with bias, MultiheadAttention by its hook's formula", attention_says)
            for k in ATTENTION
        },
        "gated_ffn": Rule(count, gate, gate_says),
        "moe": Rule(count, gate, gate_says),  # the same gate in each expert a token runs
    }


def _windowed(functional: bool) -> Rule:
    """Swin's F.linear calls no hook, its Tensor.matmul is wrapped (as F.softmax is) only with
    `count_functional`; MaxViT's nn.Linears are hooked (bias included), its einsum never seen."""

    def count(f: Facts) -> int:
        wrapped = windowed.softmax(f) + (windowed.products(f) if windowed.swin(f) else 0)
        hooked = 0 if windowed.swin(f) else windowed.projections(f) + windowed.bias_outputs(f)
        return hooked + (wrapped if functional else 0)

    def says(f: Facts) -> str:
        hooked = "F.linear: no hook" if windowed.swin(f) else "its nn.Linears with bias"
        if not functional:
            return hooked
        return hooked + ("; Tensor.matmul and " if windowed.swin(f) else "; ") + "F.softmax 1 per element"

    return Rule(count, "nn.Linear projections with bias (MaxViT); Tensor.matmul (Swin) and F.softmax", says)


def _aten_transformer(f: Facts) -> int:
    parts = f.parts
    return sum(_linear(p) for a in parts.attentions for p in a.projections) + sum(map(_linear, parts.linears))


def _rules(functional: bool) -> dict[str, Rule]:
    twice = 2 if functional else 1
    once = 1 if functional else 0
    pool = _per_element(twice, "input", ", twice (the module and F.*)")
    # A padded pool is built as pad + pool: the pool's input is the padded one.
    padded_pool = Rule(lambda f: twice * f.x_built, pool.phrase)
    return {
        **{k: Rule(_with_bias, "bias 1 per output element") for k in (*CONV, *TRANSPOSED, "dense")},
        "batchnorm": Rule(_norm, "2 per element"),
        "groupnorm": Rule(_norm, "2 per element"),
        "layernorm": Rule(lambda f: f.x, "1 per element"),
        "relu": _per_element(twice, "output", ", twice (nn.ReLU and F.relu)"),
        "gelu": _per_element(twice, "output", ", twice (nn.GELU and F.gelu)"),
        "relu6": Rule(lambda f: f.y, "1 per element"),
        "leaky_relu": Rule(lambda f: f.y, "1 per element"),
        "elu": _per_element(twice, "output", ", twice (nn.ELU and F.elu)"),
        "prelu": _per_element(twice, "output", ", twice (nn.PReLU and F.prelu)"),
        # Neither a module it hooks nor an F.* call it wraps.
        **{k: zero() for k in ("hardsigmoid", "hardtanh", "selu", "mish", "softplus", "log_softmax", "glu")},
        "silu": Rule(lambda f: once * f.y, "1 per element (F.silu)"),
        "softmax": Rule(lambda f: once * f.y, "1 per element (F.softmax)"),
        **{k: zero() for k in ("sigmoid", "tanh", "hardswish")},
        **{k: padded_pool for k in (*MAXPOOL, *AVGPOOL)},
        **{k: pool for k in (*GLOBAL, *ADAPTIVE)},
        "upsample": _per_element(twice, "output", ", twice (nn.Upsample and F.interpolate)"),
        **{k: zero() for k in (*MERGE, *SHAPE_ONLY)},
        **{k: Rule(_recurrent, "weights, element-wise gates and biases per step") for k in RECURRENT},
        "matmul": zero("`a @ b` as an operator: not seen"),
        **{k: zero() for k in SEQUENCE},
        "scale": zero("not a module it knows; `weight * x` is an operator"),
        **_transformer(functional),
        **{k: _windowed(functional) for k in WINDOWED},
        "rmsnorm": zero(),
    }


def _aten_rules() -> dict[str, Rule]:
    others = (
        *("relu", "gelu", "relu6", "leaky_relu", "silu", "softmax", "sigmoid", "tanh", "hardswish", "upsample"),
        *("hardsigmoid", "hardtanh", "elu", "selu", "mish", "softplus", "log_softmax", "prelu", "glu"),
    )
    return {
        **{k: Rule(_with_bias, "bias 1 per output element") for k in (*CONV, *TRANSPOSED, "dense")},
        **{k: zero() for k in (*NORMS, *others, "scale", *MAXPOOL, *AVGPOOL, *GLOBAL, *ADAPTIVE, *MERGE, *SHAPE_ONLY)},
        **{k: Rule(_recurrent_aten, "gate matmuls plus biases; an LSTM via oneDNN 0") for k in RECURRENT},
        "matmul": Rule(lambda f: f.macs),
        **{k: zero() for k in SEQUENCE},
        **{
            k: Rule(
                _aten_transformer,
                "projections with bias, no fused QK^T or AV",
                lambda f: f"{projections(f)}, no fused QK^T or AV",
            )
            for k in ATTENTION
        },
        "gated_ffn": Rule(_aten_transformer, "projections with bias", projections),
        # addmm with the bias, and the bmm of matmul or einsum.
        **{
            k: Rule(lambda f: f.macs + windowed.bias_outputs(f), "projections with bias, QK^T and AV") for k in WINDOWED
        },
        "rmsnorm": zero(),
    }


_HOOKS = Rules(_rules(functional=False))


def _wrapped_calls(f: Facts, count: int) -> Count:
    """The module form's count less what its module hook adds: the F.* calls alone."""
    hook = _HOOKS[f.kind].count(f)
    return count - hook if isinstance(hook, int) else hook


FORMS = {
    "function": Form(_wrapped_calls, "written as F.*: the call only, no module hook"),
    "subclass": Form(_wrapped_calls, "a subclass: no module hook (exact type), its F.* calls only"),
    "method": unseen("a tensor method: not seen"),
}
_NO_HOOK = {
    "function": unseen("an F.* call: not hooked"),
    "subclass": unseen("a subclass: not hooked (exact type)"),
    "method": unseen("a tensor method: not seen"),
}

PRESET = Preset(
    name="ptflops",
    tool="ptflops 0.7.5 get_model_complexity_info (pytorch backend)",
    unit="MACs",
    rules=_rules(functional=True),
    summary="MACs plus bias, norms, activations and pooling per element",
    doc=__doc__ or "",
    forms=FORMS,
)

NO_FUNCTIONAL = Preset(
    name="ptflops-nofunc",
    tool="ptflops 0.7.5 (pytorch backend, count_functional=False)",
    unit="MACs",
    rules=_HOOKS,
    summary="ptflops' module hooks only",
    doc=__doc__ or "",
    forms=_NO_HOOK,
)

ATEN = Preset(
    name="ptflops-aten",
    tool="ptflops 0.7.5 (aten backend)",
    unit="MACs",
    rules=_aten_rules(),
    summary="MACs plus bias adds",
    doc=__doc__ or "",
)
