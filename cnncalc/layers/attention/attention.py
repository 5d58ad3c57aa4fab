"""Multi-head attention over a sequence of vectors: `{type: attention, heads: 12}`.

Self-attention reads one `(L, E)` input; cross-attention reads `from: [query, memory]`
(the memory `(L_k, D_k)` gives keys and values; a third input gives the values apart).
Parameters are `nn.MultiheadAttention`'s: the in-projections `3E^2 + 3E` (`E*kdim + E*vdim
+ E^2` plus `3E` biases when the memory is not `E` wide) and the out-projection `E^2 + E`.
MACs: the four projections as dense layers, plus `QK^T` and `AV`, `2 * L_q * L_k * E`
(each head `L_q*L_k*d` twice). A causal mask changes no count: PyTorch computes the full
product, then masks it. Softmax, scaling and masking count 0.

With `kv_heads` below `heads` (grouped-query attention; 1 is multi-query), or with
`rotary: true`, the layer is Llama's: separate `q_proj`, `k_proj`, `v_proj`, `o_proj`,
the keys and values `kv_heads * E/heads` wide, each shared by `heads / kv_heads` query
heads. Rotary position embeddings hold no parameters and count 0 MACs.

`kernel: eager` (that layout only) is how transformers' eager attention runs it, for the
memory figures: the `heads x L_q x L_k` scores and probabilities made, the probabilities kept
for backward; the default `fused` is scaled dot-product attention (flash), which keeps none.
The counts are the same.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field, NonNegativeFloat, PositiveInt, model_validator

from cnncalc.errors import LayerError
from cnncalc.layers.api import (
    EVERYTHING,
    PROJECTIONS,
    AttentionPart,
    Everything,
    Extra,
    Footprint,
    Inputs,
    Layer,
    Linear,
    Parts,
    ProjectionLoRA,
    Shape,
    Stage,
    Tensor,
    Work,
    grouped_attention_module,
    heads_divide,
    linear_tensors,
    mha_tensors,
    multihead_module,
    sequence,
)


class Attention(Layer):
    """Multi-head (or grouped-query) attention, self or cross, as PyTorch computes it."""

    traits: ClassVar[frozenset[str]] = frozenset({"has-bias"})
    arity: ClassVar[tuple[int, int | None]] = (1, 3)
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})
    lora_projections: ClassVar[tuple[str, ...]] = PROJECTIONS
    lora_by_default: ClassVar[bool] = True
    type: Literal["attention"]
    heads: PositiveInt = Field(description="Number of attention heads; they must divide the width E.")
    kv_heads: PositiveInt | None = Field(
        None,
        description="Key/value heads (grouped-query attention; 1 is multi-query); they must divide `heads`. "
        "Default: `heads`.",
    )
    head_dim: PositiveInt | None = Field(
        None,
        description="Each head's width, where it is not E / heads (Gemma-7B: 16 heads of 256 in a model 3,072 "
        "wide): q and o map E to and from heads x head_dim; needs the separate projections (`kv_heads` or "
        "`rotary`). Default: E / heads.",
    )
    bias: bool = Field(True, description="Biases on the four projections.")
    out_bias: bool | None = Field(
        None,
        description="A bias on the output projection, where it differs from `bias` (Qwen2: `bias: true, "
        "out_bias: false`); needs the separate projections (`kv_heads` or `rotary`). Default: `bias`.",
    )
    causal: bool = Field(False, description="Each position attends to itself and earlier ones only (same counts).")
    rotary: bool = Field(False, description="Rotary position embeddings on queries and keys (0 parameters).")
    dropout: NonNegativeFloat = Field(0.0, lt=1, description="Dropout on the attention weights while training.")
    kernel: Literal["fused", "eager"] = Field(
        "fused",
        description="How the attention runs, for memory: fused (scaled dot-product attention, flash: no L x L "
        "scores kept) or eager (transformers' eager attention: the L x L scores and probabilities made, the "
        "probabilities kept for backward); the Llama layout (kv_heads or rotary) only. Same counts.",
    )

    lora: ProjectionLoRA | None = Field(
        None,
        description="Low-rank adapters on the projections, `{rank: 8, targets: [q, v]}` (peft's LoraConfig; the "
        "layout of `kv_heads` or `rotary`): the four projections frozen, r * (in + out) adapter parameters for "
        "each one targeted the only trainable ones, and their MACs. Default targets: q and v, peft's for Llama.",
    )

    @model_validator(mode="after")
    def _eager_is_the_llama_layout(self) -> Attention:
        if self.kernel == "eager" and not self.llama_layout():
            raise ValueError(
                "kernel: eager is the Llama layout's (give kv_heads or rotary: true); nn.MultiheadAttention "
                "picks its own kernel"
            )
        return self

    def _groups(self) -> int:
        return self.heads if self.kv_heads is None else self.kv_heads

    def _inner(self, width: int) -> int:
        """The queries' and the attention output's width: E, or heads x head_dim."""
        return width if self.head_dim is None else self.heads * self.head_dim

    def _out_bias(self) -> bool:
        return self.bias if self.out_bias is None else self.out_bias

    def llama_layout(self) -> bool:
        """Separate q/k/v/o projections (Llama's) rather than nn.MultiheadAttention's."""
        return self._groups() != self.heads or self.rotary

    def _sizes(self, inputs: Inputs) -> tuple[int, int, int, int, int, int]:
        """(L_q, E, L_k, kdim, vdim, kv width), checked."""
        q_len, width = sequence(inputs[0], self.kind)
        key = inputs[1] if len(inputs) > 1 else inputs[0]
        value = inputs[2] if len(inputs) > 2 else key
        kv_len, kdim = sequence(key, self.kind)
        v_len, vdim = sequence(value, self.kind)
        if v_len != kv_len:
            raise LayerError(f"keys have {kv_len} positions but values {v_len}", "from")
        if self.head_dim is not None and not self.llama_layout():
            raise LayerError(
                "nn.MultiheadAttention's heads are E / heads wide: a head_dim needs the separate projections of "
                "`kv_heads` or `rotary`",
                "head_dim",
            )
        head = heads_divide(width, self.heads) if self.head_dim is None else self.head_dim
        groups = self._groups()
        if self.heads % groups:
            raise LayerError(f"{groups} kv_heads do not divide {self.heads} heads", "kv_heads")
        if self.rotary and head % 2:
            raise LayerError(f"rotary embeddings rotate pairs: the head width {head} is odd", "rotary")
        if self.out_bias is not None and self.out_bias != self.bias and not self.llama_layout():
            raise LayerError(
                "nn.MultiheadAttention has biases on all four projections or on none: an out_bias other than "
                "bias needs the separate projections of `kv_heads` or `rotary`",
                "out_bias",
            )
        if self.lora is not None and not self.llama_layout():
            raise LayerError(
                "lora adapts the separate q, k, v and o projections: give kv_heads or rotary: true "
                "(nn.MultiheadAttention packs q, k and v in one weight)",
                "lora",
            )
        return q_len, width, kv_len, kdim, vdim, groups * head

    def _adapted(self, part: AttentionPart) -> list[tuple[str, Linear]]:
        """The projections `lora.targets` names, by name (q_proj, ...): [] without lora."""
        if self.lora is None:
            return []
        by_letter = dict(zip("qkvo", part.projections, strict=True))
        return [(f"{t}_proj", by_letter[t]) for t in self.lora.targets]

    def _adapters(self, part: AttentionPart) -> tuple[Linear, ...]:
        """Each adapted projection's A and B, as the nn.Linears (no bias) peft runs them with."""
        rank = self.lora.rank if self.lora else 0
        pairs = [
            (Linear(p.rows, p.fan_in, rank, False), Linear(p.rows, rank, p.fan_out, False))
            for _, p in self._adapted(part)
        ]
        return tuple(linear for pair in pairs for linear in pair)

    def output_shape(self, inputs: Inputs) -> Shape:
        self._sizes(inputs)
        return inputs[0]

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        _, width, _, kdim, vdim, kv_width = self._sizes(inputs)
        if not self.llama_layout():
            return mha_tensors("", width, kdim, vdim, self.bias)
        inner = self._inner(width)
        found = [
            *linear_tensors("q_proj", width, inner, self.bias),
            *linear_tensors("k_proj", kdim, kv_width, self.bias),
            *linear_tensors("v_proj", vdim, kv_width, self.bias),
            *linear_tensors("o_proj", inner, width, self._out_bias()),
        ]
        if self.lora is None:
            return found
        # As peft freezes the model: every projection frozen, the adapters alone trained.
        (part,) = self.parts(inputs).attentions
        adapters = [t for name, p in self._adapted(part) for t in self.lora.tensors(p.fan_in, p.fan_out, f"{name}.")]
        return [replace(t, role="frozen") for t in found] + adapters

    def parts(self, inputs: Inputs) -> Parts:
        q_len, width, kv_len, kdim, vdim, kv_width = self._sizes(inputs)
        multihead = not self.llama_layout()
        part = AttentionPart(
            q_len,
            kv_len,
            width,
            self.heads,
            kv_width,
            kdim,
            vdim,
            self.bias,
            multihead=multihead,
            fast_path=multihead and len(inputs) == 1 and self.bias and self.heads % 2 == 0,
            out_bias=self._out_bias(),
            inner=None if self.head_dim is None else self._inner(width),
        )
        rotated = q_len * self._inner(width) + kv_len * kv_width
        return Parts(attentions=(part,), linears=self._adapters(part), rotated=rotated if self.rotary else 0)

    def work(self, inputs: Inputs, output: Shape) -> Work:
        parts = self.parts(inputs)
        return Work(macs=parts.macs, bias=parts.bias, elementwise=parts.softmax)

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # The projections keep their inputs; the attention itself, _attention_parts.AttentionPart.
        (part,) = self.parts(inputs).attentions
        eager = self.kernel == "eager"
        if not training:
            return Footprint(passing=part.passing(self.rotary, eager))
        unknown = (
            "with dropout, the attention kernel (and what it keeps) depends on the backend" if self.dropout else ""
        )
        kept = part.kept(self.rotary, self.dropout, eager)
        alone = None  # the same footprint when the inputs need no gradient
        if part.multihead and len(inputs) == 1 and not self.dropout:
            return self.packed_footprint(part)
        if self.lora is None:
            # The Llama layout's inputs serve only the projections' weights (frozen: none kept).
            keeps, for_weights = tuple(range(len(inputs))), self.llama_layout()
        else:
            # Each adapted projection's A keeps its input, its B A's output (rows x r); the
            # frozen projections keep nothing (measured on peft's LoRA'd LlamaAttention).
            reads = {"q": 0, "k": min(1, len(inputs) - 1), "v": len(inputs) - 1, "o": -1}
            keeps = tuple(sorted({reads[t] for t in self.lora.targets} - {-1}))
            low = sum(a.rows * a.fan_out for a in self.parts(inputs).linears[::2])
            kept, for_weights = (*kept, Extra(low)), False
            alone = self._without_input_gradient(part, keeps, kept, unknown)
        if not part.multihead and not eager and len(inputs) == 1:
            stages = self.flash_stages(part, kept[0])
            return Footprint(
                keeps_inputs=keeps,
                kept=kept,
                stages=stages,
                unknown=unknown,
                inputs_for_weights=for_weights,
                no_input_gradient=alone,
            )
        return Footprint(
            keeps_inputs=keeps,
            kept=kept,
            backward=(part.backward(),),
            unknown=unknown,
            inputs_for_weights=for_weights,
            no_input_gradient=alone,
        )

    def _without_input_gradient(
        self, part: AttentionPart, keeps: tuple[int, ...], kept: tuple[Extra, ...], unknown: str
    ) -> Footprint | None:
        """What the adapters keep when the layer's inputs need no gradient (nothing before it
        trains), from what they keep when they do (`keeps`, `kept`: the attention's tensors,
        rotary's tables where rotary, A's outputs): with o's alone nothing before o is recorded,
        its A keeps the attention's output and its B A's output; else rotary's cos and sin are
        kept only for the adapted of q and k (measured with saved-tensor hooks). None: the same."""
        assert self.lora is not None
        targets, low = set(self.lora.targets), kept[-1]
        if targets == {"o"}:
            return Footprint(kept=(Extra(part.q_len * part.q_width), low))
        if not self.rotary or {"q", "k"} <= targets:
            return None
        rotated = part.q_len * ("q" in targets) + part.kv_len * ("k" in targets)
        tables = (Extra(2 * rotated * (part.q_width // part.heads), per_sample=False),) if rotated else ()
        return Footprint(keeps_inputs=keeps, kept=(kept[0], *tables, low), backward=(part.backward(),), unknown=unknown)

    def flash_stages(self, part: AttentionPart, flash: Extra) -> tuple[Stage, ...]:
        """The Llama layout's self-attention (flash kernel), its backward's first parts as
        autograd runs them on the CPU (the tracker's op list, torch 2.13): `o_proj` makes its
        weights' gradients (its adapter's, with LoRA on it) and its input's (`L x q_width`);
        the flash kernel's makes the queries', keys' and values' and frees what it kept (the
        first of `kept`), where the step peaks. The rotary embeddings' backward and the
        projections' come after, with the rest of the gradients. Counted as a fitted
        `L x q_width + L x kv_width` made inside, a lone rotary attention layer came out
        -4.0% (-14.6% with LoRA on q and v) at 32 x 64, batch 4."""
        q, kv = part.q_len * part.q_width, part.kv_len * part.kv_width
        out_proj = part.projections[-1]
        if self.lora is not None:  # o_proj is frozen: only its adapter, where it has one, trains
            out_proj_params = self.lora.rank * (out_proj.fan_in + out_proj.fan_out) if "o" in self.lora.targets else 0
        else:
            out_proj_params = out_proj.params
        return (
            Stage(out_proj_params, Extra(q), consumes=()),
            Stage(0, Extra(q + 2 * kv), frees=(flash,)),
        )

    def packed_footprint(self, part: AttentionPart) -> Footprint:
        """nn.MultiheadAttention as a self-attention (batch first, flash kernel), op by op as
        autograd runs it on the CPU (the tracker's op list, torch 2.13). The packed
        in-projection reads the input transposed, hence copied, and keeps that copy (`LE`),
        not the input: the caller's input (the network's own, or a tensor something else
        reads) lives beside it. The flash kernel keeps the packed queries, keys and values
        (`3LE`), its output (`LE`, which `out_proj` reads and keeps as it is) and `hL`
        log-sum-exps. Backward: `out_proj` makes its weights' gradients and its input's
        (`LE`); the flash kernel's makes the queries', keys' and values' (`3LE`), freeing
        what it kept; those are made contiguous, and each is padded out to the packed
        projection's shape (`select_backward`, `3LE`) and summed into the packed gradient:
        at the first sum two padded ones and their sum (`9LE`) and the values' own are
        alive, the queries' and keys' gone, `7LE` more than the three handed on. The
        in-projection then makes its weights' gradients and the input's. Counted as a
        fitted `2LE` made inside and the input kept, a lone attention layer on the
        network's input came out 16% under the tracker. At batch 1 the transpose needs no
        copy: the input itself is kept (the same bytes); nor where the input is another
        attention's output, transposed back (`if_reordered`)."""
        lw = part.q_len * part.width
        flash = Extra(4 * lw + part.heads * part.q_len)
        stages = (
            Stage(part.projections[-1].params, Extra(lw), consumes=()),
            Stage(0, Extra(3 * lw), frees=(flash,)),
            Stage(0, Extra(7 * lw), consumes=(Extra(7 * lw),)),
        )
        # Its output is the out-projection's, transposed back to batch first: out of storage
        # order. Reading such a tensor, the transpose makes it contiguous again: no copy.
        reading_reordered = Footprint(keeps_inputs=(0,), kept=(flash,), stages=stages, reorders=True)
        return Footprint(kept=(flash, Extra(lw)), stages=stages, reorders=True, if_reordered=reading_reordered)

    def kv_cache_per_token(self, inputs: Inputs) -> int:
        """Key and value elements a generating model caches per token: 2 * kv_heads * head
        width for a causal self-attention, else 0."""
        return 2 * self._sizes(inputs)[5] if self.causal and len(inputs) == 1 else 0

    def attention_kernel(self) -> str:
        """The kernel the memory figures assume (the report says which)."""
        return self.kernel

    def cached_passing(self, inputs: Inputs, context: int) -> tuple[Extra, ...]:
        """What one sample's attention makes and frees while this call's positions attend to
        `context` cached ones (the cache allocated beforehand, written in place)."""
        (part,) = self.parts(inputs).attentions
        return part.passing(self.rotary, self.kernel == "eager", context)

    def cached_macs(self, inputs: Inputs, context: int) -> int:
        """One sample's MACs when this call's positions attend to `context` cached ones: the
        projections of this call's positions, QK^T and AV over the context."""
        parts = self.parts(inputs)
        (part,) = parts.attentions
        return sum(p.macs for p in (*part.projections, *parts.linears)) + 2 * part.q_len * context * part.q_width

    def window(self, inputs: Inputs) -> Everything:
        # Every output position reads every input position (a causal one, all before it).
        return EVERYTHING

    def summary(self, inputs: Inputs) -> str:
        parts = [f"h={self.heads}"]
        if self.kv_heads is not None and self.kv_heads != self.heads:
            parts.append(f"kv={self.kv_heads}")
        parts += [flag for flag, on in (("causal", self.causal), ("rotary", self.rotary)) if on]
        parts += ["eager"] if self.kernel == "eager" else []
        parts += [f"lora r={self.lora.rank} {','.join(self.lora.targets)}"] if self.lora else []
        if len(inputs) > 1:
            parts.append("cross")
        return " ".join(parts)

    def to_torch(self, inputs: Inputs) -> Any:
        _, width, _, kdim, vdim, _ = self._sizes(inputs)
        if self.llama_layout():
            return grouped_attention_module(
                width,
                self.heads,
                self._groups(),
                kdim,
                vdim,
                bias=self.bias,
                causal=self.causal,
                rotary=self.rotary,
                out_bias=self._out_bias(),
                eager=self.kernel == "eager",
                head_dim=self.head_dim,
                lora=self.lora,
            )
        return multihead_module(width, self.heads, kdim, vdim, bias=self.bias, causal=self.causal, dropout=self.dropout)
