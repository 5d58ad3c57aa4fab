"""A spec from a Hugging Face `config.json`, as transformers builds the model from it.

The config is JSON data, read with `json` (never evaluated, no transformers needed). Each
supported `model_type` maps to the layout transformers' modeling code gives it: the decoder
families (llama, mistral, mixtral, gemma, phi3, qwen2) to an embedding, a `decoder_layer` block with
`repeat:`, the final norm and the LM head over every position; gpt2 to its
`transformer_encoder_layer` stack with a tied head; bert to BertModel with its pooler.

A key the spec needs and the config lacks is taken as transformers' own default for the
family (so the spec is the model `from_config` builds from the same file), except the sizes,
which must be there. What the format cannot state exactly is refused (exit 2), never
approximated. What changes no count (rotary scaling, sliding
windows at short lengths, Gemma's embedding scale) is said in a comment of the spec.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.errors import START, Mark, SpecError, one_line

DEFAULT_TOKENS = 128
SUPPORTED = ("llama", "mistral", "mixtral", "gemma", "phi3", "qwen2", "gpt2", "bert")
# Families the format cannot state exactly yet, with the reason.
REFUSED: dict[str, str] = {}
_MISSING = object()


class Config:
    """The parsed config, with typed reads that point at the key's value when it is wrong."""

    def __init__(self, path: str, text: str, data: dict[str, Any]) -> None:
        self.path, self.text, self.data = path, text, data
        self.model_type = str(data.get("model_type"))

    def mark(self, key: str | None) -> Mark:
        """Where `key`'s value starts in the file (its first occurrence), else 1:1."""
        found = None if key is None else re.search(rf'"{re.escape(key)}"\s*:\s*', self.text)
        if found is None:
            return START
        start = found.end()
        line_start = self.text.rfind("\n", 0, start) + 1
        return Mark(self.text.count("\n", 0, start) + 1, start - line_start + 1)

    def refuse(self, key: str | None, message: str) -> SpecError:
        return SpecError.at(self.path, self.mark(key), message)

    def _value(self, key: str, default: Any) -> Any:
        value = self.data.get(key, default)
        if value is _MISSING:
            raise self.refuse(None, f"{self.model_type} config has no '{key}', which the spec needs")
        return value

    def whole(self, key: str, default: Any = _MISSING) -> int:
        value = self._value(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.refuse(key, f"'{key}': expected a positive whole number, got {json.dumps(value)}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self._value(key, default)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.refuse(key, f"'{key}': expected a non-negative number, got {json.dumps(value)}")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._value(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.refuse(key, f"'{key}': expected true or false, got {json.dumps(value)}")
        return value

    def word(self, key: str, default: str) -> str:
        value = self._value(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.refuse(key, f"'{key}': expected text, got {json.dumps(value)}")
        return value


def parse_config(text: str, path: str) -> Config:
    """The config in `text`; SpecError (at the fault) when it is no JSON object or names no
    family this importer writes."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SpecError.at(path, Mark(error.lineno, error.colno), f"not JSON: {error.msg}") from None
    except RecursionError:
        raise SpecError.at(path, START, "not a config: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise SpecError.at(path, START, "not a Hugging Face config: expected a JSON object at the top")
    config = Config(path, text, data)
    model_type = data.get("model_type", _MISSING)
    known = ", ".join(SUPPORTED)
    if model_type is _MISSING:
        raise config.refuse(None, f"no 'model_type': cannot tell the model family (supported: {known})")
    if model_type in REFUSED:
        raise config.refuse("model_type", f"model_type '{model_type}' is not supported yet: {REFUSED[model_type]}")
    if model_type not in SUPPORTED:
        raise config.refuse("model_type", f"unknown model_type {json.dumps(model_type)}: this importer writes {known}")
    return config


def _text(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back as the same text, else quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.()/ ,+-]*", value) and not value.endswith(" "):
        return value
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar


def _float(value: float) -> str:
    """A float as YAML 1.1 and 1.2 both read it: 1.0e-05, not 1e-05 (text to YAML 1.1)."""
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def _gate(config: Config, key: str, default: str) -> tuple[str, str | None]:
    """The gated feed-forward's activation in the format's words, and a note when the
    function differs from the format's in values only (a tanh GELU), not in counts."""
    act = config.word(key, default)
    if act in ("silu", "swish"):
        return "silu", None
    if act == "gelu":
        return "gelu", None
    if act in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_python"):
        return "gelu", f"{key} {act}: the tanh approximation of GELU, written gelu (the same counts)"
    raise config.refuse(key, f"{key} '{act}': the gated feed-forward takes silu or gelu")


@dataclass
class Decoder:
    """A decoder-only language model as transformers' <Family>ForCausalLM builds it."""

    model_class: str
    layer_class: str
    vocab: int
    width: int
    layers: int
    heads: int
    kv_heads: int
    ffn_hidden: int
    gate: str
    eps: float
    head_dim: int | None = None  # each head's width where it is not hidden / heads (Gemma-7B)
    attention_bias: bool = False
    out_bias: bool | None = None  # o_proj's bias where it differs from q, k and v's (Qwen2: none)
    mlp_bias: bool = False
    attention_dropout: float = 0.0
    tied: bool = False
    experts: int = 0  # Mixtral's routed experts a layer (0: a gated feed-forward)
    top_k: int = 0  # the experts each token is routed to
    notes: list[str] = field(default_factory=list)


def _decoder(config: Config) -> Decoder:
    family = config.model_type
    width = config.whole("hidden_size")
    heads = config.whole("num_attention_heads")
    kv_default = {"mistral": 8, "mixtral": 8, "gemma": 16}.get(family, heads)
    kv_heads = config.whole("num_key_value_heads") if config.data.get("num_key_value_heads") is not None else kv_default
    if heads % kv_heads:
        raise config.refuse("num_key_value_heads", f"{kv_heads} key/value heads do not divide {heads} heads")
    head_dim = config.whole("head_dim") if config.data.get("head_dim") is not None else None
    if head_dim is None and family == "gemma":
        head_dim = 256  # GemmaConfig's default, whatever the width
    if head_dim is None and width % heads:
        raise config.refuse("num_attention_heads", f"{heads} heads do not divide hidden_size {width}")
    if head_dim is not None and head_dim * heads == width:
        head_dim = None  # hidden_size / heads: the format's default
    names = {
        "llama": "Llama",
        "mistral": "Mistral",
        "mixtral": "Mixtral",
        "gemma": "Gemma",
        "phi3": "Phi3",
        "qwen2": "Qwen2",
    }[family]
    gate, gate_note = _gate(config, "hidden_act", "gelu_pytorch_tanh" if family == "gemma" else "silu")
    decoder = Decoder(
        model_class=f"{names}ForCausalLM",
        layer_class=f"{names}DecoderLayer",
        vocab=config.whole("vocab_size"),
        width=width,
        layers=config.whole("num_hidden_layers"),
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        ffn_hidden=config.whole("intermediate_size"),
        gate=gate,
        eps=config.number("rms_norm_eps", 1e-5 if family == "phi3" else 1e-6),
        # Mistral's and Phi-3's projections never have biases; Gemma's and Llama's follow the config.
        attention_bias=config.flag("attention_bias", False) if family in ("llama", "gemma") else False,
        mlp_bias=config.flag("mlp_bias", False) if family == "llama" else False,
        attention_dropout=config.number("attention_dropout", 0.0),
        tied=config.flag("tie_word_embeddings", family == "gemma"),
    )
    if family == "qwen2":  # Qwen2Attention: biases on q_proj, k_proj and v_proj, none on o_proj
        decoder.attention_bias, decoder.out_bias = True, False
    if family == "mixtral":  # MixtralConfig's defaults: 8 experts, 2 a token
        decoder.experts = config.whole("num_local_experts", 8)
        decoder.top_k = config.whole("num_experts_per_tok", 2)
        if decoder.top_k > decoder.experts:
            raise config.refuse("num_experts_per_tok", f"{decoder.top_k} experts a token of {decoder.experts}")
    notes = decoder.notes
    if gate_note:
        notes.append(gate_note)
    if family == "gemma":
        notes.append("Gemma multiplies the embeddings by sqrt(hidden_size) (0 MACs; transformers holds the factor")
        notes.append("as a one-element buffer, embed_tokens.embed_scale, not counted here), and its RMSNorm scales")
        notes.append("by (1 + weight): one weight per feature, as rmsnorm counts")
    if family == "phi3":
        notes.append("Phi-3 fuses q, k, v into one qkv_proj and gate, up into one gate_up_proj: the same")
        notes.append("weights and MACs as the separate projections written here")
        if config.number("partial_rotary_factor", 1.0) != 1.0:
            notes.append("partial_rotary_factor: rotary on part of each head (no parameters, 0 MACs either way)")
    window = config.data.get("sliding_window")
    if window and (family != "gemma") and config.flag("use_sliding_window", family != "qwen2"):
        notes.append(
            f"sliding_window {window}: transformers' eager attention computes the whole L x L product and masks"
        )
        notes.append("it, so no count changes; the KV cache here is the whole context's, not capped at the window")
    if config.data.get("rope_scaling") or config.data.get("rope_parameters"):
        notes.append("rope scaling changes the rotary frequencies only: no parameters, 0 MACs")
    notes.append("transformers also holds the rotary frequencies as two buffers, rotary_emb.inv_freq and")
    notes.append(
        f"original_inv_freq ({(head_dim or width // heads) // 2} values each), which the format does not count: "
        "buffers here are 0"
    )
    return decoder


def _decoder_spec(decoder: Decoder, name: str, source: str, family: str, tokens: int) -> list[str]:
    d = decoder
    kv = f", kv_heads: {d.kv_heads}" if d.kv_heads != d.heads else ""
    dropout = f", dropout: {_float(d.attention_dropout)}" if d.attention_dropout else ""
    out_bias = "" if d.out_bias is None else f", out_bias: {str(d.out_bias).lower()}"
    head_dim = "" if d.head_dim is None else f", head_dim: {d.head_dim}"
    gate = f", gate: {d.gate}" if d.gate != "silu" else ""
    ffn_bias = ", bias: true" if d.mlp_bias else ""
    ffn_note = "SwiGLU" if d.gate == "silu" else "GeGLU"
    tie = ", tie: embed_tokens" if d.tied else ""
    eps = _float(d.eps)
    lines = [
        f"# Written by `cnncalc import` from {source} (model_type {family}): transformers' {d.model_class},",
        "# the logits at every position.",
        *(f"# {note}" for note in d.notes),
        f"name: {name}",
        "description: " + _text(f"{d.model_class} from {source}, {d.layers} decoder layers {d.width} wide"),
        f"input: {{l: {tokens}}}  # {tokens} token ids",
        "blocks:",
        f"  decoder_layer:  # transformers' {d.layer_class}",
        "    keeps_argument: true  # the model's loop holds each layer's input while the layer runs",
        "    layers:",
        "      - type: residual",
        "        body:",
        f"          - {{name: input_layernorm, type: rmsnorm, eps: {eps}}}",
        f"          - {{name: self_attn, type: attention, heads: {d.heads}{kv}{head_dim}, rotary: true, causal: true,"
        f" bias: {str(d.attention_bias).lower()}{out_bias}{dropout}}}",
        "        shortcut: identity",
        "      - type: residual",
        "        body:",
        f"          - {{name: post_attention_layernorm, type: rmsnorm, eps: {eps}}}",
        f"          - {{name: mlp, type: gated_ffn, hidden: {d.ffn_hidden}{gate}{ffn_bias}}}  # {ffn_note}:"
        f" gate, up ({d.width} -> {d.ffn_hidden}), down"
        if not d.experts
        else f"          - {{name: block_sparse_moe, type: moe, experts: {d.experts}, top_k: {d.top_k},"
        f" hidden: {d.ffn_hidden}{gate}}}  # a router, {d.experts} {ffn_note} experts, {d.top_k} a token",
        "        shortcut: identity",
        "layers:",
        f"  - {{name: embed_tokens, type: embedding, vocab: {d.vocab}, width: {d.width}}}",
        f"  - {{name: layers, type: decoder_layer, repeat: {d.layers}}}",
        f"  - {{name: norm, type: rmsnorm, eps: {eps}}}",
        f"  - {{name: lm_head, type: dense, units: {d.vocab}, bias: false{tie}}}"
        + ("  # the weight is embed_tokens'" if d.tied else ""),
    ]
    return lines


def _positions(config: Config, key: str, default: int, tokens: int) -> int:
    max_len = config.whole(key, default)
    if tokens > max_len:
        raise config.refuse(key, f"--tokens {tokens} is more than {key} {max_len}, the model's longest input")
    return max_len


def _encoder_activation(config: Config, key: str, default: str) -> tuple[str, str | None]:
    act = config.word(key, default)
    if act == "relu":
        return "relu", None
    gate, note = _gate(config, key, default)
    if gate != "gelu":
        raise config.refuse(key, f"{key} '{act}': the transformer layer's feed-forward takes relu or gelu")
    return gate, note


def _dropout(config: Config, key: str) -> str:
    rate = config.number(key, 0.1)
    return "" if rate == 0.1 else f", dropout: {_float(rate)}"


def _gpt2_spec(config: Config, name: str, source: str, tokens: int) -> list[str]:
    if config.flag("add_cross_attention", False):
        raise config.refuse("add_cross_attention", "GPT-2 with cross-attention is not supported")
    vocab = config.whole("vocab_size")
    width = config.whole("n_embd")
    layers = config.whole("n_layer")
    heads = config.whole("n_head")
    if width % heads:
        raise config.refuse("n_head", f"{heads} heads do not divide n_embd {width}")
    max_len = _positions(config, "n_positions", 1024, tokens)
    inner = config.whole("n_inner") if config.data.get("n_inner") is not None else 4 * width
    activation, note = _encoder_activation(config, "activation_function", "gelu_new")
    eps = _float(config.number("layer_norm_epsilon", 1e-5))
    tied = config.flag("tie_word_embeddings", True)
    embd_rate = config.number("embd_pdrop", 0.1)
    return [
        f"# Written by `cnncalc import` from {source} (model_type gpt2): transformers' GPT2LMHeadModel,",
        "# the logits at every position. GPT-2's Conv1D projections are nn.Linear's transposed: the same counts.",
        *([f"# {note}"] if note else []),
        f"name: {name}",
        "description: " + _text(f"GPT2LMHeadModel from {source}, {layers} pre-norm causal blocks {width} wide"),
        f"input: {{l: {tokens}}}  # {tokens} token ids",
        "layers:",
        f"  - {{name: wte, type: embedding, vocab: {vocab}, width: {width}}}",
        f"  - {{name: wpe, type: position_embedding, max_len: {max_len}, positions: row}}  # position_ids (1, L)",
        f"  - {{type: dropout, rate: {_float(embd_rate)}}}",
        f"  # {layers} pre-norm causal blocks: x + attn(ln_1(x)), then x + mlp(ln_2(x)).",
        f"  - {{name: h, type: transformer_encoder_layer, heads: {heads}, feedforward: {inner},",
        f"     feedforward_activation: {activation}, norm_first: true, causal: true, eps: {eps}"
        f"{_dropout(config, 'resid_pdrop')}, repeat: {layers}}}",
        f"  - {{name: ln_f, type: layernorm, dims: 1, eps: {eps}}}",
        f"  - {{name: lm_head, type: dense, units: {vocab}, bias: false{', tie: wte' if tied else ''}}}"
        + ("  # the weight is wte's" if tied else ""),
    ]


def _bert_spec(config: Config, name: str, source: str, tokens: int) -> list[str]:
    if config.flag("is_decoder", False) or config.flag("add_cross_attention", False):
        raise config.refuse("is_decoder", "BERT as a decoder (is_decoder, add_cross_attention) is not supported")
    kind = config.word("position_embedding_type", "absolute")
    if kind != "absolute":
        raise config.refuse("position_embedding_type", f"position_embedding_type '{kind}': only absolute is supported")
    vocab = config.whole("vocab_size")
    width = config.whole("hidden_size")
    layers = config.whole("num_hidden_layers")
    heads = config.whole("num_attention_heads")
    if width % heads:
        raise config.refuse("num_attention_heads", f"{heads} heads do not divide hidden_size {width}")
    inner = config.whole("intermediate_size")
    max_len = _positions(config, "max_position_embeddings", 512, tokens)
    segments = config.whole("type_vocab_size", 2)
    activation, note = _encoder_activation(config, "hidden_act", "gelu")
    eps = _float(config.number("layer_norm_eps", 1e-12))
    rate = config.number("hidden_dropout_prob", 0.1)
    return [
        f"# Written by `cnncalc import` from {source} (model_type bert): transformers' BertModel with its",
        "# pooler (no pre-training or task head). Every token is in segment 0, as token_type_ids default.",
        "# transformers also holds two index buffers, embeddings.position_ids and token_type_ids",
        f"# ({max_len} int64 each), which the format does not count: buffers here are 0.",
        *([f"# {note}"] if note else []),
        f"name: {name}",
        "description: "
        + _text(f"BertModel from {source}, {layers} post-norm encoder layers {width} wide, with the pooler"),
        f"input: {{l: {tokens}}}  # {tokens} token ids",
        "layers:",
        f"  - {{name: word_embeddings, type: embedding, vocab: {vocab}, width: {width}}}",
        f"  - {{name: position_embeddings, type: position_embedding, max_len: {max_len}, positions: row}}"
        "  # position_ids (1, L)",
        f"  - {{name: token_type_embeddings, type: segment_embedding, segments: {segments}}}",
        f"  - {{type: layernorm, dims: 1, eps: {eps}}}",
        f"  - {{type: dropout, rate: {_float(rate)}}}",
        f"  # {layers} post-norm encoder layers: ln(x + attn(x)), then ln(x + ffn(x)).",
        f"  - {{name: encoder, type: transformer_encoder_layer, heads: {heads}, feedforward: {inner},",
        f"     feedforward_activation: {activation}, eps: {eps}{_dropout(config, 'hidden_dropout_prob')},"
        f" repeat: {layers}}}",
        "  # The pooler: the first token ([CLS]) through a dense layer and tanh.",
        "  - {name: cls, type: select, index: 0}",
        f"  - {{name: pooler, type: dense, units: {width}, activation: tanh}}",
    ]


def _spec_name(path: str, family: str) -> str:
    """The file's name without .json; a config.json is named after its folder (a model's
    snapshot folder), else after the family."""
    file = Path(path)
    if file.stem != "config":
        return file.stem
    folder = file.resolve().parent.name
    return folder or family


def spec_from_config(text: str, path: str, tokens: int = DEFAULT_TOKENS, recorded: str | None = None) -> str:
    """The spec (YAML text) of the model transformers builds from the config in `text`, at
    `tokens` token ids; SpecError, pointing into the config, for what it cannot write exactly.
    With `recorded` (the config's path from where the spec will be), the spec says where it
    came from, and `cnncalc check` imports it again and reports drift."""
    config = parse_config(text, path)
    family = config.model_type
    # The config as named (a machine's absolute path would leak into a shared spec: its name only).
    source = one_line(Path(path).name if Path(path).is_absolute() else Path(path).as_posix())
    name = _text(_spec_name(path, family))
    if family == "gpt2":
        lines = _gpt2_spec(config, name, source, tokens)
    elif family == "bert":
        lines = _bert_spec(config, name, source, tokens)
    else:
        lines = _decoder_spec(_decoder(config), name, source, family, tokens)
    if recorded is not None:
        after_input = next(i for i, line in enumerate(lines) if line.startswith("input:")) + 1
        lines.insert(
            after_input,
            f"imported: {{source: {_text(recorded)}, tokens: {tokens}}}  # cnncalc check reports drift from it",
        )
    return "\n".join(lines) + "\n"
