"""Transformer layers with PyTorch's exact layout: `{type: transformer_encoder_layer, heads: 12,
feedforward: 3072, feedforward_activation: gelu}` and `transformer_decoder_layer` with
`from: [target, memory]`.

They are `nn.TransformerEncoderLayer` / `nn.TransformerDecoderLayer` (batch first): the width
E is the input's D; self-attention (`nn.MultiheadAttention`, `4E^2 + 4E`), for the decoder
cross-attention on the memory (another `4E^2 + 4E`; the memory must be E wide, as PyTorch's
layer has no kdim), the feed-forward `linear1` (E -> F) and `linear2` (F -> E), and a layer
norm after each (`norm_first`: before each) with `2E` parameters. With `bias: false` the
projections and the norms have no bias.

MACs, as `FlopCounterMode` measures them (halved): each attention's projections plus its
`QK^T` and `AV` (`2 * L_q * L_k * E`), and the feed-forward `2 * L * E * F`. Norms,
softmax, the activation, dropout and the residual adds count 0. A causal mask changes no
count.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from cnncalc.errors import LayerError
from cnncalc.layers.api import (
    EVERYTHING,
    AttentionPart,
    Everything,
    Extra,
    Footprint,
    Inputs,
    Layer,
    Linear,
    Parts,
    Shape,
    Stage,
    Tensor,
    Work,
    causal_mask,
    heads_divide,
    linear_tensors,
    mha_tensors,
    sequence,
)


class TransformerLayer(Layer):
    """What the encoder and decoder layers share: attention heads, feed-forward, norms."""

    traits: ClassVar[frozenset[str]] = frozenset({"has-bias"})
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})
    heads: PositiveInt = Field(description="Attention heads (PyTorch's nhead); they must divide the width.")
    feedforward: PositiveInt = Field(2048, description="Width of the feed-forward layer (dim_feedforward).")
    feedforward_activation: Literal["relu", "gelu"] = Field(
        "relu", description="Activation between the feed-forward layers (PyTorch's `activation`)."
    )
    feedforward_activation_form: Literal["captured", "module"] = Field(
        "captured",
        description="How the code runs the feed-forward activation, for other tools' counts: `captured` (the "
        "F.relu/F.gelu nn.TransformerEncoderLayer captures when built, which tools wrapping F.* never see) or "
        "`module` (an nn.GELU module, as torchvision's ViT MLPBlock).",
    )
    norm_first: bool = Field(False, description="Layer norm before each sub-layer (pre-norm), not after.")
    eps: PositiveFloat = Field(1e-5, description="The layer norms' epsilon (layer_norm_eps).")
    bias: bool = Field(True, description="Biases on every projection and layer norm.")
    causal: bool = Field(False, description="Self-attention to earlier positions only (same counts).")
    dropout: NonNegativeFloat = Field(0.1, lt=1, description="Dropout while training (PyTorch's default 0.1).")

    norm_count: ClassVar[int] = 2
    # Whether a causal mask shuts nn.MultiheadAttention's fused inference path for the
    # self-attention (measured, torch 2.13: in the encoder layer it does, in the decoder not).
    causal_shuts_fast_path: ClassVar[bool] = True

    def width(self, inputs: Inputs) -> tuple[int, int]:
        """(L, E), checked against the heads."""
        length, width = sequence(inputs[0], self.kind)
        heads_divide(width, self.heads)
        return length, width

    def attention(self, length: int, memory_length: int, width: int, *, own: bool) -> AttentionPart:
        """An nn.MultiheadAttention of the layer: its self-attention (`own`) or cross-attention."""
        shut = self.causal and self.causal_shuts_fast_path
        fast = own and self.bias and self.heads % 2 == 0 and not shut
        return AttentionPart(length, memory_length, width, self.heads, width, width, width, self.bias, fast_path=fast)

    def feedforward_parts(self, length: int, width: int) -> Parts:
        return Parts(
            linears=(
                Linear(length, width, self.feedforward, self.bias),
                Linear(length, self.feedforward, width, self.bias),
            ),
            norms=(length * width,) * self.norm_count,
            activations=length * self.feedforward,
        )

    def common_tensors(self, width: int) -> list[Tensor]:
        norms = []
        for i in range(1, self.norm_count + 1):
            norms.append(Tensor(f"norm{i}.weight", (width,)))
            if self.bias:
                norms.append(Tensor(f"norm{i}.bias", (width,)))
        return [
            *mha_tensors("self_attn.", width, width, width, self.bias),
            *linear_tensors("linear1", width, self.feedforward, self.bias),
            *linear_tensors("linear2", self.feedforward, width, self.bias),
            *norms,
        ]

    def parts(self, inputs: Inputs) -> Parts:
        raise NotImplementedError

    def output_shape(self, inputs: Inputs) -> Shape:
        self.parts(inputs)
        return inputs[0]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        parts = self.parts(inputs)
        elementwise = parts.softmax + sum(parts.norms) + parts.activations
        return Work(macs=parts.macs, bias=parts.bias, elementwise=elementwise)

    def window(self, inputs: Inputs) -> Everything:
        # Every output position reads every input position (a causal one, all before it).
        return EVERYTHING

    def kv_cache_per_token(self, inputs: Inputs) -> int:
        """Key and value elements a generating model caches per token: 2E for a causal
        self-attention, else 0."""
        return 2 * self.width(inputs)[1] if self.causal else 0

    def cached_macs(self, inputs: Inputs, context: int) -> int:
        """One sample's MACs when this call's positions attend to `context` cached ones in
        the self-attention: the layer's own, with QK^T and AV over the context."""
        parts = self.parts(inputs)
        own = parts.attentions[0]
        return parts.macs + 2 * own.q_len * (context - own.kv_len) * own.width

    def summary(self, inputs: Inputs) -> str:
        flags = [flag for flag, on in (("pre-norm", self.norm_first), ("causal", self.causal)) if on]
        return " ".join([f"h={self.heads}", f"ff={self.feedforward}", self.feedforward_activation, *flags])

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        """What nn.TransformerEncoderLayer / DecoderLayer save for backward on the CPU, op by
        op (torch 2.13; checked against autograd's saved tensors over stacks, both norm
        placements, both activations, with and without dropout, memory longer than target).

        Per sample, with S sub-layers (2, the decoder 3), each sub-layer's norm keeps its
        input and two L-vectors (`2LS`); post-norm, the norms' inputs are the S residual
        sums; pre-norm, the first norm keeps the layer's input (`keeps_inputs`) and the last
        sum is the output, so `S - 1` sums. `linear1` keeps its input, the last norm's
        output (post-norm: the one before it). Dropout keeps a mask per sub-layer and one in
        the feed-forward: the feed-forward then keeps three `L x F` (the activation's input
        or output, the mask, the dropped tensor `linear2` reads); without dropout `linear2`
        reads what ReLU keeps (one) or what GELU does not (two).
        Each nn.MultiheadAttention (batch first) projects a transposed, hence copied, query
        (`LE`) and key (`ME`; the self-attention's packed projection copies one input)
        and makes its packed projections contiguous (`3LE`; a cross-attention's keys and
        values `2ME`, its queries `LE` as projected). With dropout the math path keeps the
        scaled queries and keys (`LE + ME`), the scores' softmax, its mask and the dropped
        probabilities (`3hLM`) and the attention output's contiguous copy for `out_proj`
        (`LE`); without, the flash path keeps the queries, keys, values, its output (which
        `out_proj` reads as it is) and `hL` log-sum-exps.
        The layer's input is not kept otherwise: post-norm, nothing keeps it (at batch 1 the
        transpose needs no copy and the projection keeps the input itself, the same bytes).
        Without gradients the fused path makes its temporaries inside one op, and the slow
        path frees them as it goes: nothing is counted besides the output."""
        if not training:
            return Footprint()
        length, width = self.width(inputs)
        lw, lf = length * width, length * self.feedforward
        attentions = self.parts(inputs).attentions
        subs = len(attentions) + 1  # each attention's sub-layer and the feed-forward's
        sums = subs - 1 if self.norm_first else subs
        elements = sums * lw + lw + 2 * length * subs
        if self.dropout:
            elements += subs * lw + 3 * lf
        else:
            elements += (1 if self.feedforward_activation == "relu" else 2) * lf
        for i, part in enumerate(attentions):
            memory = part.kv_len
            mw, scores = memory * width, self.heads * length * memory
            if i == 0:  # self-attention: one copied input, packed q, k, v
                elements += lw + 3 * lw
                elements += 2 * lw + lw + 3 * scores if self.dropout else lw + self.heads * length
            else:  # cross-attention: copied query and memory, q as projected, k and v packed
                elements += lw + mw + 2 * mw
                elements += lw + mw + lw + 3 * scores if self.dropout else lw + lw + self.heads * length
        keeps = (0,) if self.norm_first else ()
        return Footprint(keeps_inputs=keeps, kept=(Extra(elements),), stages=self.feedforward_stages(length, width))

    def feedforward_stages(self, length: int, width: int) -> tuple[Stage, ...]:
        """The backward of the last sub-layer, op by op, as autograd runs it (the tracker's
        op list, torch 2.13): the layer's step peaks here, in `linear2`'s backward, with
        only `linear2`'s weight gradients new. Each op makes its input's gradient, then
        lets go of what it kept and of the gradient it read; the residual's gradient lives
        on to the sum where the branch's meets it (a new tensor). Post-norm the last norm
        runs first and its input's gradient is the residual's; pre-norm the output's
        gradient is, and the second norm runs after `linear1`. The rest of the layer (the
        attention) runs as one part, its weights' gradients at once."""
        lw, lf = Extra(length * width), Extra(length * self.feedforward)
        norm_params = width * (2 if self.bias else 1)
        dropped = self.dropout > 0
        pre = self.norm_first  # the output's gradient is the residual's until the last sum
        norm = Stage(norm_params, lw, frees=(lw, Extra(2 * length)), consumes=(lw,) if pre else None)
        stages: list[Stage] = [] if pre else [norm]
        if dropped:  # the sub-layer's dropout: its mask goes
            stages.append(Stage(0, lw, frees=(lw,), consumes=(), holds_output_gradient=pre))
        # linear2 keeps the tensor it read: the dropped one, or GELU's output; ReLU's output
        # is kept by the ReLU too, until its own backward.
        reads = (lf,) if dropped or self.feedforward_activation == "gelu" else ()
        stages.append(
            Stage(
                self.feedforward * width + (width if self.bias else 0),
                lf,
                frees=reads,
                consumes=(lw,) if dropped else (),  # without dropout it read the residual's
                holds_output_gradient=pre,
            )
        )
        if dropped:
            stages.append(Stage(0, lf, frees=(lf,), consumes=(lf,), holds_output_gradient=pre))
        stages.append(Stage(0, lf, frees=(lf,), consumes=(lf,), holds_output_gradient=pre))  # the activation
        linear1 = width * self.feedforward + (self.feedforward if self.bias else 0)
        stages.append(Stage(linear1, lw, frees=(lw,), consumes=(lf,), holds_output_gradient=pre))
        if pre:
            stages.append(replace(norm, holds_output_gradient=True))
        # The residual's gradient and the branch's, summed into a new tensor.
        stages.append(Stage(0, lw, consumes=(lw,) if pre else (lw, lw)))
        return tuple(stages)

    def torch_options(self) -> dict[str, Any]:
        activation: Any = self.feedforward_activation
        if self.feedforward_activation_form == "module":  # nn.GELU(): a child module, called
            from torch import nn

            activation = nn.GELU() if activation == "gelu" else nn.ReLU()
        return {
            "dim_feedforward": self.feedforward,
            "dropout": self.dropout,
            "activation": activation,
            "layer_norm_eps": self.eps,
            "batch_first": True,
            "norm_first": self.norm_first,
            "bias": self.bias,
        }


class TransformerEncoderLayer(TransformerLayer):
    """`nn.TransformerEncoderLayer`: self-attention, then the feed-forward, each with a residual."""

    type: Literal["transformer_encoder_layer"]
    fused: bool = Field(
        True,
        description="Inference runs as nn.TransformerEncoderLayer's one fused op; false: its parts run "
        "one by one (only the attention fused), as torchvision's ViT EncoderBlock, pre-norm only.",
    )

    @model_validator(mode="after")
    def _unfused_is_pre_norm(self) -> TransformerEncoderLayer:
        if not self.fused and not self.norm_first:
            raise ValueError("fused: false is the pre-norm block of torchvision's ViT; it needs norm_first: true")
        return self

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        if training or self.fused:
            return super().footprint(inputs, output, training)
        # Part by part, the peak is at the feed-forward's activation: the sum after the
        # attention, the second norm's output (L x E each), linear1's output and the
        # activation's (L x F each) are alive with the input; the output, counted by the
        # pass, is made once those are gone, so one L x E of them stands in for it.
        length, width = self.width(inputs)
        return Footprint(passing=(Extra(length * width + 2 * length * self.feedforward),))

    def parts(self, inputs: Inputs) -> Parts:
        length, width = self.width(inputs)
        own = Parts(attentions=(self.attention(length, length, width, own=True),))
        return own + self.feedforward_parts(length, width)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return self.common_tensors(self.width(inputs)[1])

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        width = self.width(inputs)[1]
        causal = self.causal

        class EncoderLayer(nn.Module):
            def __init__(self, options: dict[str, Any]) -> None:
                super().__init__()
                self.layer = nn.TransformerEncoderLayer(width, options.pop("heads"), **options)

            def forward(self, x: Any) -> Any:
                mask = causal_mask(x.shape[1], x.shape[1], x.device) if causal else None
                return self.layer(x, src_mask=mask, is_causal=causal)

        if not self.fused:
            return _part_by_part(width, self.heads, self.torch_options(), causal)
        return EncoderLayer({"heads": self.heads, **self.torch_options()})


def _part_by_part(width: int, heads: int, options: dict[str, Any], causal: bool) -> Any:
    """The pre-norm encoder layer written out as torchvision's ViT EncoderBlock writes it
    (`x = ln_1(input); x = attn(x); x = x + input; y = mlp(ln_2(x)); return x + y`), with
    nn.TransformerEncoderLayer's tensor names: only the attention takes a fused path."""
    import torch
    from torch import nn

    class EncoderBlock(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            bias, eps, p = options["bias"], options["layer_norm_eps"], options["dropout"]
            self.self_attn = nn.MultiheadAttention(width, heads, dropout=p, bias=bias, batch_first=True)
            self.linear1 = nn.Linear(width, options["dim_feedforward"], bias=bias)
            self.linear2 = nn.Linear(options["dim_feedforward"], width, bias=bias)
            self.norm1 = nn.LayerNorm(width, eps=eps, bias=bias)
            self.norm2 = nn.LayerNorm(width, eps=eps, bias=bias)
            self.dropout, self.dropout1, self.dropout2 = nn.Dropout(p), nn.Dropout(p), nn.Dropout(p)
            activation = options["activation"]  # a name (a captured function) or an nn.GELU module
            self.activation = (
                activation if isinstance(activation, nn.Module) else getattr(torch.nn.functional, activation)
            )

        def forward(self, input: Any) -> Any:
            mask = causal_mask(input.shape[1], input.shape[1], input.device) if causal else None
            x = self.norm1(input)
            x, _ = self.self_attn(x, x, x, attn_mask=mask, need_weights=False, is_causal=causal)
            x = self.dropout1(x) + input
            y = self.norm2(x)
            y = self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(y)))))
            return x + y

    return EncoderBlock()


class TransformerDecoderLayer(TransformerLayer):
    """`nn.TransformerDecoderLayer`: self-attention on the target, cross-attention on the
    memory (`from: [target, memory]`), then the feed-forward, each with a residual."""

    type: Literal["transformer_decoder_layer"]
    arity: ClassVar[tuple[int, int | None]] = (2, 2)
    norm_count: ClassVar[int] = 3
    causal_shuts_fast_path: ClassVar[bool] = False

    def parts(self, inputs: Inputs) -> Parts:
        length, width = self.width(inputs)
        memory_length, memory_width = sequence(inputs[1], self.kind)
        if memory_width != width:
            raise LayerError(
                f"the memory is {memory_width} wide but the target {width}: PyTorch's decoder layer "
                "attends to a memory of its own width",
                "from",
            )
        attentions = (
            self.attention(length, length, width, own=True),
            self.attention(length, memory_length, width, own=False),
        )
        return Parts(attentions=attentions) + self.feedforward_parts(length, width)

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        if training:
            return super().footprint(inputs, output, training)
        return Footprint(passing=(Extra(self.inference_passing(inputs)),))

    def inference_passing(self, inputs: Inputs) -> int:
        """What the layer holds at its inference peak besides its inputs and one L x E that
        its output, counted by the pass, stands in for (per sample; the tracker's op list,
        torch 2.13, CPU). nn.TransformerDecoderLayer has no fused inference op: its parts run
        one by one, and the largest of three moments is the peak.
        - The feed-forward's activation: linear1's output and the activation's (`2LF`), with
          the sub-layer's input (post-norm the second norm's output; pre-norm also the sum
          it normed, `LE` more).
        - The cross-attention's key-value projection: the memory's transposed copy, once
          projected (`2ME`), gets its bias in a new tensor (`2ME`), beside the queries' copy
          (`LE`) and the sub-layer's input (`LE`; pre-norm `2LE`).
        - A self-attention off the fused path (odd heads, no bias): its packed projection
          and the bias added (`3LE` each), the input's transposed copy gone (pre-norm the
          first norm's output alive too, `LE`).
        Before these were modelled (nothing but the output counted), nn.Transformer's
        inference peak came out 16-19% under the tracker."""
        length, width = self.width(inputs)
        memory_length = sequence(inputs[1], self.kind)[0]
        lw, lf, mw = length * width, length * self.feedforward, memory_length * width
        pre = lw if self.norm_first else 0  # pre-norm, the residual sum and its norm's output
        feedforward = 2 * lf + pre
        cross = lw + 4 * mw + pre
        own = 0 if self.parts(inputs).attentions[0].fast_path else 5 * lw + pre
        return max(feedforward, cross, own)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        width = self.width(inputs)[1]
        return [*self.common_tensors(width), *mha_tensors("multihead_attn.", width, width, width, self.bias)]

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        width = self.width(inputs)[1]
        causal = self.causal

        class DecoderLayer(nn.Module):
            def __init__(self, options: dict[str, Any]) -> None:
                super().__init__()
                self.layer = nn.TransformerDecoderLayer(width, options.pop("heads"), **options)

            def forward(self, target: Any, memory: Any) -> Any:
                mask = causal_mask(target.shape[1], target.shape[1], target.device) if causal else None
                return self.layer(target, memory, tgt_mask=mask, tgt_is_causal=causal)

        return DecoderLayer({"heads": self.heads, **self.torch_options()})
