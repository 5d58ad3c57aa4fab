"""LoRA on the projections inside `attention` and `--lora` as peft does it (issue 24).

`lora: {rank: r, targets: [q, v]}` on an attention layer (the Llama layout: `kv_heads` or
`rotary`) adds A (r x in) and B (out x r) to each projection targeted and freezes all four;
`--lora RANK[:NAMES]` does what peft's `get_peft_model(model, LoraConfig(...))` does:
adapters on the targets (`q`, `k`, `v`, `o` or peft's `q_proj`, ... name projections; other
names, layers) and every other layer frozen. Counts worked by hand, then against torch
(`--verify`), every counting tool on the module cnncalc builds (laid out as peft's
lora.Linear), and peft 0.21.2 itself on a small transformers Llama with real CPU weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_trains_within_5_percent, error_of, invoke, trace_of, tracker_training_peak
from needs import needs_module

from cnncalc.analysis.memory import training_peak
from cnncalc.engine import Trace
from cnncalc.figures import totals

# Grouped-query attention on (5, 16): 4 heads of 4, 2 key/value heads (k and v 8 wide).
GQA = "{type: attention, heads: 4, kv_heads: 2, rotary: true, bias: false%s}"


def one_layer(layer: str, shape: str = "{l: 5, d: 16}") -> str:
    return f"name: a\ninput: {shape}\nlayers:\n  - {layer}\n"


@pytest.mark.parametrize(
    ("lora", "trainable", "macs"),
    [
        # q 16 -> 16: 2*(16 + 16) = 64; v 16 -> 8: 2*(16 + 8) = 48; 112. MACs: the plain
        # layer's 4,640 (q 5*256, k 5*128, v 5*128, o 5*256, QK^T and AV 2*5*5*16) and the
        # adapters' rows * r * (in + out): q 5*2*32 = 320, v 5*2*24 = 240.
        ("{rank: 2}", 112, 4_640 + 320 + 240),
        ("{rank: 2, targets: [q, v]}", 112, 4_640 + 320 + 240),
        # k 2*(16 + 8) = 48, o 2*(16 + 16) = 64 more: 224; MACs k 240, o 320 more.
        ("{rank: 2, targets: [q, k, v, o], alpha: 16}", 224, 4_640 + 320 + 240 + 240 + 320),
    ],
)
def test_adapters_on_the_projections_by_hand(lora: str, trainable: int, macs: int) -> None:
    trace = trace_of(one_layer(GQA % f", lora: {lora}"))
    figures = totals(trace)
    # The four projections frozen: q 16*16 + k 16*8 + v 16*8 + o 16*16 = 768.
    assert (figures.params.trainable, figures.params.non_trainable, figures.macs) == (trainable, 768, macs)


def test_adapters_on_a_gated_feed_forward_by_hand() -> None:
    # (5, 16), hidden 32: gate and up 16 -> 32, down 32 -> 16, frozen 3*16*32 = 1,536. At
    # r = 2 each adapter 2*(16 + 32) = 96: 288 for all three (the default), 192 for up and
    # down. MACs: the base 5*1,536 = 7,680 and the adapters' 5 rows each.
    for lora, trainable in (("{rank: 2}", 288), ("{rank: 2, targets: [up, down]}", 192)):
        trace = trace_of(one_layer(f"{{type: gated_ffn, hidden: 32, lora: {lora}}}"))
        figures = totals(trace)
        assert (figures.params.trainable, figures.params.non_trainable) == (trainable, 1_536)
        assert figures.macs == 7_680 + 5 * trainable


def test_cross_attention_adapters_read_their_own_inputs() -> None:
    # Queries (3, 8), memory (5, 6); 2 heads of 4, one key/value head (4 wide). Frozen:
    # q 8*8 = 64, k 6*4 = 24, v 6*4 = 24, o 8*8 = 64: 176. Adapters on k, 2*(6 + 4) = 20,
    # and o, 2*(8 + 8) = 32: 52. MACs: q 3*64 = 192, k 5*24 = 120, v 120, o 192, QK^T and
    # AV 2*3*5*8 = 240: 864; adapters k 5*2*10 = 100, o 3*2*16 = 96: 1,060.
    text = (
        "name: x\ninputs: {q: {l: 3, d: 8}, m: {l: 5, d: 6}}\nlayers:\n"
        "  - {type: attention, from: [q, m], heads: 2, kv_heads: 1, bias: false, lora: {rank: 2, targets: [k, o]}}\n"
    )
    figures = totals(trace_of(text))
    assert (figures.params.trainable, figures.params.non_trainable, figures.macs) == (52, 176, 1_060)


def test_torch_agrees_on_the_lora_attention(tmp_path: Path) -> None:
    # requires_grad counts and FlopCounterMode / 2 on the module cnncalc builds.
    needs_module("torch")
    spec = one_layer(GQA % ", lora: {rank: 2, targets: [q, k, v, o]}")
    spec += "  - {type: gated_ffn, hidden: 32, lora: {rank: 2, targets: [gate, down]}}\n"
    (tmp_path / "a.yaml").write_text(spec, encoding="utf-8")
    result = invoke(["table", str(tmp_path / "a.yaml"), "--verify", "--device", "cpu", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verification"]["agrees"]


# A dense layer, an attention layer and a gated feed-forward adapted.
TOOLS_SPEC = """name: t
input: {l: 6, d: 16}
layers:
  - {type: dense, units: 16, lora: {rank: 4}}
  - {type: attention, heads: 4, kv_heads: 2, rotary: true, causal: true, bias: false, lora: %s}
  - {type: gated_ffn, hidden: 32, lora: {rank: 2, targets: [up, down]}}
"""


@pytest.mark.parametrize("targets", ["{rank: 4}", "{rank: 4, targets: [q, k, v, o]}"], ids=["qv", "qkvo"])
def test_every_preset_equals_its_tool_on_a_lora_module(targets: str) -> None:
    # The build is laid out as peft's lora.Linear (a frozen base_layer, lora_A and lora_B
    # nn.Linears, `base(x) + B(A(x)) * scaling` written with operators): each tool sees
    # three nn.Linears where peft adapts one, as it would on a peft model.
    torch = needs_module("torch")
    from real_tools import TOOLS, quiet

    from cnncalc.conventions._preset import tally
    from cnncalc.conventions.registry import get
    from cnncalc.verify import build_module

    trace = trace_of(TOOLS_SPEC % targets)
    for tool, run in TOOLS.items():
        torch.manual_seed(0)
        module = build_module(trace).eval()
        with quiet():
            real = run(module, tuple(trace.nodes[0].output))
        assert tally(get(tool), trace).total == real, tool


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (
            GQA % ", lora: {rank: 2, targets: [q, x]}",
            "net.yaml:4:102: layer 1 (attention): lora.targets.1: 'x' is not one of q, k, v, o",
        ),
        (
            GQA % ", lora: {rank: 2, targets: [q, q]}",
            "net.yaml:4:98: layer 1 (attention): lora.targets: q is named twice",
        ),
        (
            GQA % ", lora: {rank: 2, targets: []}",
            "net.yaml:4:98: layer 1 (attention): lora.targets: name at least one of q, k, v, o",
        ),
        (
            GQA % ", lora: {rank: 0}",
            "net.yaml:4:86: layer 1 (attention): lora.rank: input should be greater than 0, got 0",
        ),
        (
            "{type: gated_ffn, hidden: 8, lora: {rank: 2, targets: [q]}}",
            "net.yaml:4:60: layer 1 (gated_ffn): lora.targets.0: 'q' is not one of gate, up, down",
        ),
        (
            "{type: attention, heads: 4, lora: {rank: 2}}",
            "net.yaml:4:39: layer 1 (attention): lora adapts the separate q, k, v and o projections: give kv_heads "
            "or rotary: true (nn.MultiheadAttention packs q, k and v in one weight)",
        ),
    ],
)
def test_lora_errors_point_at_the_field(layer: str, message: str) -> None:
    assert error_of(one_layer(layer)).startswith(message)


# --lora as get_peft_model: the projections named, and everything else frozen.
NAMED = """name: o
input: {l: 8, d: 16}
layers:
  - {name: norm, type: rmsnorm}
  - {name: attn, type: attention, heads: 4, kv_heads: 2, rotary: true, bias: false}
  - {name: head, type: dense, units: 10, bias: false%s}
"""


def _report(tmp_path: Path, spec: str, *options: str) -> dict[str, Any]:
    (tmp_path / "o.yaml").write_text(spec, encoding="utf-8")
    result = invoke(["table", str(tmp_path / "o.yaml"), "--train", "adam", "--batch", "2", "-f", "json", *options])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


@pytest.mark.parametrize("option", ["8", "8:q,v", "8:q_proj,v_proj", "8:attn"])
def test_lora_trains_the_adapters_alone_as_peft_does(tmp_path: Path, option: str) -> None:
    # q 8*(16 + 16) = 256 and v 8*(16 + 8) = 192: 448 trainable; frozen the norm's 16, the
    # attention's 768 and the head's 16*10 = 160: 944 (peft's print_trainable_parameters).
    total = _report(tmp_path, NAMED % "", "--lora", option)["total"]
    assert (total["trainable_params"], total["non_trainable_params"]) == (448, 944)


def test_the_option_writes_what_a_spec_would(tmp_path: Path) -> None:
    fields = NAMED.replace("type: rmsnorm}", "type: rmsnorm, trainable: false}")
    fields = fields.replace(
        "bias: false}\n  - {name: head", "bias: false, lora: {rank: 8, targets: [q, v]}}\n  - {name: head"
    )
    by_option = _report(tmp_path, NAMED % "", "--lora", "8:q,v")
    by_fields = _report(tmp_path, fields % ", trainable: false")
    assert by_option["total"] == by_fields["total"] and by_option["memory"] == by_fields["memory"]


def test_a_layer_written_trainable_keeps_training_and_names_mix(tmp_path: Path) -> None:
    # peft's modules_to_save: `trainable: true` in the spec stays trained (the head's 160).
    total = _report(tmp_path, NAMED % ", trainable: true", "--lora", "8")["total"]
    assert total["trainable_params"] == 448 + 160
    # Projections and layers in one list, as peft's target_modules: q (256) and the head,
    # 8*(16 + 10) = 208; frozen 16 + 768 + 160.
    total = _report(tmp_path, NAMED % "", "--lora", "8:q,head")["total"]
    assert (total["trainable_params"], total["non_trainable_params"]) == (256 + 208, 944)


def test_lora_names_a_feed_forwards_projections_as_peft(tmp_path: Path) -> None:
    # NAMED with a SwiGLU 16 -> 32 -> 16 after the attention (frozen 3*16*32 = 1,536): every
    # linear layer of a Llama block, as QLoRA adapts them: q 256, k 8*(16 + 8) = 192, v 192,
    # o 256; gate and up 8*(16 + 32) = 384 each, down 384: 2,048.
    spec = NAMED.replace("  - {name: head", "  - {name: mlp, type: gated_ffn, hidden: 32}\n  - {name: head")
    names = "8:q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
    total = _report(tmp_path, spec % "", "--lora", names)["total"]
    assert (total["trainable_params"], total["non_trainable_params"]) == (2_048, 944 + 1_536)
    # Without names, peft's default for Llama: q and v alone, the feed-forward frozen.
    total = _report(tmp_path, spec % "", "--lora", "8")["total"]
    assert (total["trainable_params"], total["non_trainable_params"]) == (448, 944 + 1_536)


@pytest.mark.parametrize(
    ("spec", "option", "message"),
    [
        (
            NAMED % "",
            "8:x",
            "--lora x: the spec has no layer of that name that takes lora: (dense, attention, gated_ffn), nor is "
            "it a projection (q, k, v, o, gate, up, down)",
        ),
        (NAMED % "", "8:q,norm", "--lora norm: the spec has no layer of that name that takes lora:"),
        (
            "name: d\ninput: {features: 4}\nlayers:\n  - {type: dense, units: 2}\n",
            "8:v",
            "--lora v: the spec has no attention layer with that projection, nor a layer of that name",
        ),
        (
            NAMED % "",
            "8:q,up_proj",
            "--lora up_proj: the spec has no gated_ffn layer with that projection, nor a layer of that name",
        ),
    ],
)
def test_a_lora_name_that_picks_nothing_is_a_usage_error(tmp_path: Path, spec: str, option: str, message: str) -> None:
    (tmp_path / "o.yaml").write_text(spec, encoding="utf-8")
    result = invoke(["table", str(tmp_path / "o.yaml"), "--lora", option])
    assert result.exit_code == 2 and message in result.output, result.output


# peft itself: transformers' LlamaForCausalLM from a small config with real CPU weights,
# LoRA'd by peft 0.21.2 as its users do, against the spec `cnncalc import` writes for the
# same config.json with `--lora 8:q,v`. Llama-2-7B's config made small: 64 wide, 2 layers,
# a vocabulary of 128, 64 tokens; the second with 2 key/value heads (k and v 32 wide) and
# a feed-forward 172 wide.
SMALL_LLAMA = {
    "mha": {"num_key_value_heads": 4, "intermediate_size": 128},
    "gqa": {"num_key_value_heads": 2, "intermediate_size": 172},
}


def _small_llama(kind: str) -> dict[str, Any]:
    from test_import_hf import config_of

    config = config_of("llama-2-7b") | SMALL_LLAMA[kind]
    return config | {"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 128}


ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@pytest.mark.parametrize(
    ("kind", "targets"),
    [("mha", ["q_proj", "v_proj"]), ("gqa", ["q_proj", "v_proj"]), ("gqa", ALL_LINEAR)],
    ids=["mha-qv", "gqa-qv", "gqa-all"],
)
def test_peft_trains_what_cnncalc_says(tmp_path: Path, kind: str, targets: list[str]) -> None:
    """Adapters by hand, r = 8 on q_proj (64 -> 64) and v_proj (64 -> kv width): mha
    8*(64 + 64) + 8*(64 + 64) = 2,048 a layer, 4,096 for two; gqa 8*(64 + 64) + 8*(64 + 32)
    = 1,792 a layer, 3,584. Everything else frozen: mha embeddings 128*64 = 8,192, a layer's
    attention 4*64*64 = 16,384, its SwiGLU 3*64*128 = 24,576 and two norms 128, the final
    norm 64 and the head 64*128 = 8,192: 98,624; gqa a layer's attention 2*64*64 + 2*64*32
    = 12,288 and SwiGLU 3*64*172 = 33,024: 107,328. gqa on every linear layer (QLoRA's
    choice): q 1,024, k and v 8*(64 + 32) = 768 each, o 1,024, gate, up and down
    8*(64 + 172) = 1,888 each: 9,248 a layer, 18,496. One Adam step at batch 4 within 5% of
    PyTorch's tracker on peft's model (the tracker's second step, as cnncalc's own checks)."""
    torch = needs_module("torch")
    from test_import_hf import load_transformers

    from cnncalc.memory_tracker import training_peak as measured_training

    transformers = load_transformers()  # first: peft imports transformers, which may import a broken torchvision
    peft = needs_module("peft")

    config = _small_llama(kind)
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    spec = tmp_path / "llama.yaml"
    assert invoke(["import", str(tmp_path / "config.json"), "--tokens", "64", "-o", str(spec)]).exit_code == 0
    option = "8:" + ",".join(targets)  # peft's names; `8:q,v` is the same
    result = invoke(["table", str(spec), "--lora", option, "--train", "adam", "--batch", "4", "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)

    fields = {k: v for k, v in config.items() if k not in ("model_type", "torch_dtype")}
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(
        transformers.AutoConfig.for_model("llama", **fields), attn_implementation="sdpa", dtype=torch.float32
    )
    model = peft.get_peft_model(model, peft.LoraConfig(r=8, target_modules=targets))
    trainable, params = model.get_nb_trainable_parameters()
    adapters = {"mha": 4_096, "gqa": 3_584 if len(targets) == 2 else 18_496}[kind]
    assert (trainable, params) == (adapters, {"mha": 98_624, "gqa": 107_328}[kind] + adapters)
    assert (report["total"]["trainable_params"], report["total"]["params"]) == (trainable, params)

    class Logits(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: Any) -> Any:
            return self.model(input_ids=ids, use_cache=False).logits

    theirs = measured_training(Logits(), torch.zeros(4, 64, dtype=torch.long), "adam").peak
    ours = report["memory"]["training"]["peak_bytes"]
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, peft {theirs:,} B"


# What peft leaves frozen around the adapters: a frozen RMSNorm keeps its input and the
# reciprocal RMS (its input's gradient needs no more), not the normalised input its weight's
# gradient would; a frozen SwiGLU keeps the gate's output, its activation and the up
# projection (the product's gradients), not the product (down_proj's weight) nor its input.
FROZEN_AROUND = """name: f
input: {l: 32, d: 16}
layers:
  - {type: dense, units: 16}
  - {type: rmsnorm, trainable: false}
  - {type: gated_ffn, hidden: 64, trainable: false}
  - {type: rmsnorm, trainable: false}
  - {type: dense, units: 8}
"""


def test_frozen_norms_and_feed_forwards_keep_what_the_inputs_gradient_needs() -> None:
    from cnncalc.analysis.memory import footprints

    frozen, trained = (
        [(fp.kept, fp.keeps_inputs, fp.inputs_for_weights) for fp in footprints(trace_of(spec).nodes, training=True)]
        for spec in (FROZEN_AROUND, FROZEN_AROUND.replace(", trainable: false", ""))
    )
    # The norm: 32 reciprocal RMS values, and the normalised 32*16 = 512 only if trained.
    assert [e.elements for e in frozen[2][0]] == [32] and [e.elements for e in trained[2][0]] == [32, 512]
    # The SwiGLU, 32 positions of 64: three of 2,048 frozen, four trained; its input kept
    # for gate_proj's and up_proj's weights alone (so not when frozen).
    assert ([e.elements for e in frozen[3][0]], frozen[3][2]) == ([3 * 2_048], True)
    assert [e.elements for e in trained[3][0]] == [4 * 2_048]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_frozen_norms_and_feed_forwards_within_5_percent_of_pytorch(optimizer: str) -> None:
    trace = trace_of(FROZEN_AROUND, batch=8)
    assert_trains_within_5_percent(trace, 8, optimizer)


# LoRA on a SwiGLU between frozen norms: its three projections frozen; each adapted one's A
# keeps its input (the layer's, or the product for down_proj), its B A's output; at the
# product's backward six tensors of the hidden width are alive whichever are adapted.
def _ffn_spec(targets: str, first: str) -> str:
    return (
        f"name: g\ninput: {{l: 64, d: 32}}\nlayers:\n  - {first}\n  - {{type: rmsnorm, trainable: false}}\n"
        f"  - {{type: gated_ffn, hidden: 256, lora: {{rank: 8, targets: [{targets}]}}}}\n"
        "  - {type: rmsnorm, trainable: false}\n  - {type: dense, units: 8}\n"
    )


TRAINED, FROZEN = "{type: dense, units: 32}", "{type: dense, units: 32, trainable: false}"
# With down_proj adapted alone and nothing before it training, the gate, its activation and
# the up projection need no gradient and keep nothing (`Footprint.no_input_gradient`): counted
# as kept, cnncalc said 1.76 MB against PyTorch's 0.97 MB at sgd (1.82x); now to the byte.


@pytest.mark.parametrize("targets", ["gate, up, down", "gate, up", "down"])
@pytest.mark.parametrize("first", [TRAINED, FROZEN], ids=["trained", "frozen"])
@pytest.mark.parametrize("mode", ["inference", "sgd", "adam"])
def test_feed_forward_lora_within_5_percent_of_pytorch(targets: str, first: str, mode: str) -> None:
    from cnncalc.analysis.memory import inference_peak

    trace = trace_of(_ffn_spec(targets, first), batch=4)
    if mode == "inference":
        torch = needs_module("torch")
        from cnncalc.memory_tracker import inference_peak as measured_inference
        from cnncalc.verify import build_module, sample_input

        torch.manual_seed(0)
        ours = inference_peak(trace.nodes, 4).total
        theirs = measured_inference(build_module(trace), sample_input(trace, 4, "cpu")).peak
    else:
        ours, theirs = training_peak(trace.nodes, 4, mode).total, tracker_training_peak(trace, 4, mode)
    assert abs(ours - theirs) <= 0.05 * theirs, f"cnncalc {ours:,} B, PyTorch {theirs:,} B"
    if (targets, first, mode) in (("down", FROZEN, "sgd"), ("down", FROZEN, "adam")):
        assert 0 <= theirs - ours <= 16  # to the byte, Adam's two 8-byte step counts aside


# What autograd saves of one adapted layer whose input needs its gradient, to the byte:
# cnncalc's footprint (its kept tensors, and its input where it keeps it) against the
# storages PyTorch's saved-tensor hooks see on the module cnncalc builds, weights aside.
ATTENTION_16 = "{type: attention, heads: 4, kv_heads: 2, rotary: true, causal: true, bias: false%s}"


def saved_bytes(trace: Trace, *, input_needs_gradient: bool) -> int:
    """The bytes autograd saves for backward in one forward of the module built for `trace`
    at batch 2 of (16, 32), weights aside (PyTorch's saved-tensor hooks)."""
    torch = needs_module("torch")
    from cnncalc.verify import build_module

    torch.manual_seed(0)
    module = build_module(trace).train()
    weights = {p.untyped_storage().data_ptr() for p in module.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: Any) -> Any:
        if tensor.untyped_storage().data_ptr() not in weights:
            saved[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        module(torch.randn(2, 16, 32, requires_grad=input_needs_gradient))
    return sum(saved.values())


@pytest.mark.parametrize(
    ("layer", "by_hand"),
    [
        # (16, 32), batch 2, heads of 8, k and v 16 wide. A sample: its input 512, q 512, k
        # 256, v 256, the attention's output 512 and log-sum-exp 4*16 = 64; the adapters'
        # A outputs 16*4 for q and for v: 2,240 floats; rotary's cos and sin for q and k
        # once, 2*(16 + 16)*8 = 512: (2*2,240 + 512)*4 = 19,968 bytes.
        (ATTENTION_16 % ", lora: {rank: 4}", 19_968),
        # o alone: its A keeps the attention's output (kept anyway) and its own output,
        # nothing keeps the input: (2*(1,600 + 64) + 512)*4 = 15,360.
        (ATTENTION_16 % ", lora: {rank: 4, targets: [o]}", 15_360),
        (ATTENTION_16 % ", lora: {rank: 4, targets: [q, k, v, o]}", None),
        ("{type: gated_ffn, hidden: 64, lora: {rank: 4}}", None),
        ("{type: gated_ffn, hidden: 64, lora: {rank: 4, targets: [down]}}", None),
        ("{type: gated_ffn, hidden: 64, trainable: false}", None),
        ("{type: rmsnorm, trainable: false}", None),
    ],
)
def test_what_autograd_saves_of_an_adapted_layer(layer: str, by_hand: int | None) -> None:
    needs_module("torch")
    from cnncalc.analysis.memory import footprints

    trace = trace_of(one_layer(layer, "{l: 16, d: 32}"))
    footprint = footprints(trace.nodes, training=True)[1]
    kept = sum(e.elements * (2 if e.per_sample else 1) for e in footprint.kept)
    # The pass's rule: inputs kept for the weights alone are not kept for frozen weights.
    frozen = footprint.inputs_for_weights and not trace.nodes[1].params.trainable
    ours = 4 * (kept + (2 * 16 * 32 if footprint.keeps_inputs and not frozen else 0))
    assert ours == saved_bytes(trace, input_needs_gradient=True) == (by_hand or ours)


def test_each_tool_counts_peft_adapters_as_its_preset_does() -> None:
    # The real thing: each counting tool on transformers' small Llama, with and without
    # peft's adapters on q_proj and v_proj (fresh models for each tool: some leave hooks or
    # buffers behind); what the adapters add is what the preset adds on the imported spec
    # with `--lora 8:q,v`. (The whole models' counts differ in rotary and norms, which the
    # tools see differently in transformers' code than in cnncalc's build.)
    torch = needs_module("torch")
    from real_tools import TOOLS, quiet
    from test_import_hf import load_transformers

    from cnncalc import setups
    from cnncalc.conventions._preset import tally
    from cnncalc.conventions.registry import get
    from cnncalc.engine import propagate
    from cnncalc.importers.hf_config import spec_from_config
    from cnncalc.spec import loads_spec

    transformers = load_transformers()
    peft = needs_module("peft")
    config = _small_llama("gqa")
    spec = loads_spec(spec_from_config(json.dumps(config), "config.json", 16), "llama.yaml")
    plain = propagate(spec, "llama.yaml")
    adapted = propagate(setups.apply(spec, setups.Setups(lora_rank=8, lora_on=("q", "v"))), "llama.yaml")
    fields = {k: v for k, v in config.items() if k not in ("model_type", "torch_dtype")}
    hf_config = transformers.AutoConfig.for_model("llama", **fields)

    class Ids(torch.nn.Module):  # type: ignore[misc]
        """The model fed token ids: the tools feed randn floats, turned into ids 0..9."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: Any) -> Any:
            return self.model(input_ids=(x.abs() * 100).long() % 10, use_cache=False).logits

    def model(lora: bool) -> Any:
        torch.manual_seed(0)
        built = transformers.AutoModelForCausalLM.from_config(hf_config, attn_implementation="sdpa")
        if lora:
            built = peft.get_peft_model(built, peft.LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
        return Ids(built.eval())

    # thop cannot profile a PeftModel: it registers a `total_ops` buffer on every module,
    # children first, and PeftModel's __getattr__ finds its wrapped model's, so registering
    # its own raises KeyError "attribute 'total_ops' already exists". On cnncalc's
    # peft-laid-out build thop agrees (above).
    for tool, run in ((t, r) for t, r in TOOLS.items() if t != "thop"):
        with quiet():
            added = run(model(lora=True), (16,)) - run(model(lora=False), (16,))
        assert added == tally(get(tool), adapted).total - tally(get(tool), plain).total, tool


def test_the_expect_claims_are_not_held_to_the_adapted_network() -> None:
    """llama_tiny's `expect:` gives the totals without adapters; `--lora 8:q,v` adds 4 layers x (q
    8 x (256 + 256) + v 8 x (256 + 64), v's 2 heads of 32) = 26,624 params, so, as at
    another `--input`, the claims are not checked and a note says so: exit 0, not 1."""
    spec = Path(__file__).parent.parent / "specs" / "llama_tiny.yaml"
    plain = invoke(["table", str(spec)])
    assert plain.exit_code == 0 and "claims   4/4 confirmed" in plain.stdout
    adapted = invoke(["table", str(spec), "--lora", "8:q,v"])
    assert adapted.exit_code == 0, adapted.stdout
    assert "claims" not in adapted.stdout and "✗" not in adapted.stdout
    assert adapted.stderr.splitlines() == ["note: with --lora 8:q,v the spec's expect: claims are not checked"]


# The same layers as the network's first, so their input needs no gradient: autograd records
# only what leads to the adapters (or a trained norm's weight). Batch 2 of (16, 32), as above.
@pytest.mark.parametrize(
    ("layer", "by_hand"),
    [
        # o alone: nothing before o_proj is recorded; its A keeps the attention's output, 16*32
        # = 512 a sample, and its B A's output, 16*4 = 64: 2*576*4 = 4,608 bytes.
        (ATTENTION_16 % ", lora: {rank: 4, targets: [o]}", 4_608),
        # q alone: as with an input needing its gradient (input 512, q 512, k 256, v 256, the
        # output 512, log-sum-exp 64, A's output 64: 2,176 a sample) but rotary's cos and sin
        # for the queries alone, 2*16*8 = 256: (2*2,176 + 256)*4 = 18,432.
        (ATTENTION_16 % ", lora: {rank: 4, targets: [q]}", 18_432),
        # v alone: no rotary table at all, 2*2,176*4 = 17,408.
        (ATTENTION_16 % ", lora: {rank: 4, targets: [v]}", 17_408),
        (ATTENTION_16 % ", lora: {rank: 4}", None),
        (ATTENTION_16 % ", lora: {rank: 4, targets: [q, k, v, o]}", None),
        # down alone: its A keeps the product, 16*64 = 1,024 a sample, its B 16*4 = 64:
        # 2*1,088*4 = 8,704.
        ("{type: gated_ffn, hidden: 64, lora: {rank: 4, targets: [down]}}", 8_704),
        ("{type: gated_ffn, hidden: 64, lora: {rank: 4, targets: [gate, up]}}", None),
        # A trained RMSNorm keeps the normalised input alone: 2*16*32*4 = 4,096.
        ("{type: rmsnorm}", 4_096),
        ("{type: layernorm}", None),
    ],
)
def test_what_autograd_saves_when_the_input_needs_no_gradient(layer: str, by_hand: int | None) -> None:
    needs_module("torch")
    from cnncalc.analysis.memory import training_footprints

    trace = trace_of(one_layer(layer, "{l: 16, d: 32}"))
    footprint = training_footprints(trace.nodes)[1]
    kept = sum(e.elements * (2 if e.per_sample else 1) for e in footprint.kept)
    ours = 4 * (kept + (2 * 16 * 32 if footprint.keeps_inputs else 0))
    assert ours == saved_bytes(trace, input_needs_gradient=False) == (by_hand or ours)


# o adapted alone after a frozen layer against after a trained one: the frozen first layer
# spares the q, k and v projections' and the attention's saved tensors. PyTorch's peaks of the
# two differ by 111,616 B (batch 4 of 64 tokens); cnncalc's did by 33,792 B when it counted
# them kept. (Both peaks stand 97,288 B under PyTorch's in either case, an attention
# workspace on the CPU that this test leaves aside by comparing the two.)
def _attention_spec(targets: str, first: str) -> str:
    return (
        f"name: g\ninput: {{l: 64, d: 32}}\nlayers:\n  - {first}\n  - {{type: rmsnorm, trainable: false}}\n"
        "  - {type: attention, heads: 4, kv_heads: 2, rotary: true, causal: true, bias: false, "
        f"lora: {{rank: 8, targets: [{targets}]}}}}\n"
        "  - {type: rmsnorm, trainable: false}\n  - {type: dense, units: 8}\n"
    )


# With o alone, since the Llama layout's backward runs in stages (the flash kernel's, then
# o_proj's), cnncalc's two peaks differ by 112,640 B where PyTorch's differ by 111,616: the
# trained-first peak has 1,024 B more, not yet explained (both stand about 97 KB under
# PyTorch, the rmsnorm-after-attention gap the note above leaves aside).
O_ALONE = pytest.param(
    "o", marks=pytest.mark.xfail(strict=True, reason="o alone: 1,024 B beyond PyTorch's difference (see above)")
)


@pytest.mark.parametrize("targets", [O_ALONE, "v", "q, v"])
def test_attention_lora_after_a_frozen_layer_saves_what_pytorch_saves(targets: str) -> None:
    ours, theirs = {}, {}
    for first in (TRAINED, FROZEN):
        trace = trace_of(_attention_spec(targets, first), batch=4)
        ours[first], theirs[first] = training_peak(trace.nodes, 4, "sgd").total, tracker_training_peak(trace, 4, "sgd")
    assert ours[TRAINED] - ours[FROZEN] == theirs[TRAINED] - theirs[FROZEN]
