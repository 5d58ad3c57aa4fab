"""Recurrent layers over a sequence of vectors: `rnn`, `gru` and `lstm`, as PyTorch's
`nn.RNN`, `nn.GRU` and `nn.LSTM` with `batch_first=True`.

`{type: lstm, hidden: 512, num_layers: 2, dropout: 0.2}` reads (L, I) and gives the whole
sequence (L, H) (times 2 when bidirectional; P with an LSTM's `proj_size`), or with
`output: last` the last layer's final hidden state (H,) (both directions' concatenated).

Per layer and direction, with g gates (RNN 1, GRU 3, LSTM 4), input width I (layer 2 and
later read the previous layer's output, H or P, times 2 when bidirectional) and recurrent
width R (H, or P with a projection):
- parameters: `g*H*I + g*H*R`, plus PyTorch's two bias vectors `b_ih` and `b_hh`
  (`2*g*H`; Keras keeps one, a classic false claim), plus `P*H` projection weights;
- MACs: the same matmuls at every time step, `L * (g*H*(I + R) + H*P)`. Gate
  nonlinearities and element-wise products count 0.
FlopCounterMode sees these only with oneDNN off (`torch.backends.mkldnn.flags(enabled=
False)`), which is how `--verify` runs it; through oneDNN on the CPU it counts 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.api import (
    EVERYTHING,
    Everything,
    Extra,
    Footprint,
    Inputs,
    Layer,
    Shape,
    Stage,
    Tensor,
    Work,
)
from cnncalc.shape import flat


class Recurrent(Layer):
    """A stack of recurrent layers run over every time step of a sequence (L, I)."""

    traits: ClassVar[frozenset[str]] = frozenset({"has-bias"})
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})
    gates: ClassVar[int] = 1
    torch_class: ClassVar[str] = ""
    hidden: PositiveInt = Field(description="Hidden state width H (PyTorch's hidden_size).")
    num_layers: PositiveInt = Field(1, description="Recurrent layers stacked, each reading the one before.")
    bidirectional: bool = Field(False, description="Also run each layer backwards; outputs concatenate (2H).")
    bias: bool = Field(True, description="PyTorch's two bias vectors per gate, b_ih and b_hh.")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout between stacked layers (not after the last).")
    output: Literal["sequence", "last"] = Field(
        "sequence",
        description="`sequence`: the last layer's output at every step, (L, H); "
        "`last`: its final hidden state, (H,) (both directions' concatenated).",
    )

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def projection(self) -> int:
        """P, the width an LSTM projects its hidden state to; 0 for none."""
        return 0

    @property
    def width(self) -> int:
        """What each direction outputs per step: P with a projection, else H."""
        return self.projection or self.hidden

    def input_widths(self, x: Shape) -> list[int]:
        """The input width I of each stacked layer."""
        return [x.size("D"), *[self.directions * self.width] * (self.num_layers - 1)]

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        features = self.directions * self.width
        return Shape((x.size("L"), features), "LD") if self.output == "sequence" else flat(features)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        gated, projection = self.gates * self.hidden, self.projection
        found = []
        for layer, width in enumerate(self.input_widths(inputs[0])):
            for suffix in ("", "_reverse")[: self.directions]:
                tail = f"_l{layer}{suffix}"  # PyTorch's names: weight_ih_l0, bias_hh_l1_reverse
                found += [Tensor(f"weight_ih{tail}", (gated, width)), Tensor(f"weight_hh{tail}", (gated, self.width))]
                if self.bias:
                    found += [Tensor(f"bias_ih{tail}", (gated,)), Tensor(f"bias_hh{tail}", (gated,))]
                if projection:
                    found.append(Tensor(f"weight_hr{tail}", (projection, self.hidden)))
        return found

    def step_macs(self, width: int) -> int:
        """One direction of one layer at one time step: the gate matmuls and the projection."""
        return self.gates * self.hidden * (width + self.width) + self.hidden * self.projection

    def work(self, inputs: Inputs, output: Shape) -> Work:
        x = inputs[0]
        per_step = sum(self.step_macs(width) for width in self.input_widths(x)) * self.directions
        # Both bias vectors are added to every gate at every step.
        biased = 2 * self.gates * self.hidden * self.num_layers * self.directions * x.size("L") if self.bias else 0
        return Work(macs=x.size("L") * per_step, bias=biased)

    def window(self, inputs: Inputs) -> Everything:
        return EVERYTHING  # a state carried along the sequence: no local field

    def summary(self, inputs: Inputs) -> str:
        parts = [f"H={self.hidden}"]
        if self.projection:
            parts.append(f"P={self.projection}")
        if self.num_layers > 1:
            parts.append(f"x{self.num_layers}")
        if self.bidirectional:
            parts.append("bi")
        if self.output == "last":
            parts.append("last")
        return " ".join(parts)

    def torch_options(self) -> dict[str, Any]:
        return {}

    # What a training step keeps per step, layer and direction, in units of H (each kind
    # says, from autograd's saved tensors on the CPU, torch 2.13).
    kept_per_step: ClassVar[int] = 1
    kept_initial: ClassVar[int] = 0  # H-vectors per layer and direction besides: the initial state
    padding: ClassVar[int] = 0  # elements per layer and direction besides, for the whole batch
    # Whether backward runs one stacked layer at a time, each layer's weight gradients made
    # (and its saved tensors freed) before the next: measured for the LSTM on the CPU, one
    # fused op per layer (oneDNN's; the native path a projection takes runs by layer too).
    backward_by_layer: ClassVar[bool] = False

    # Whether backward runs step by step in ATen ops (GRU, RNN on the CPU), layer by layer
    # top first, each step's hidden-to-hidden weight gradient summed into a new tensor.
    backward_by_step: ClassVar[bool] = False
    # Whether the CPU runs it through oneDNN's fused op, whose workspace the library sizes
    # (the LSTM's); GRU and RNN run in ordinary ATen ops there, every tensor counted.
    library_workspace: ClassVar[bool] = False

    def _step_peak(self, layer: Sequence[Tensor]) -> int:
        """Weight-gradient elements alive at a step-by-step layer's peak: the directions run
        before the last complete, and the last's hidden-to-hidden three times (the running
        sum, the step's and their new sum); its input-to-hidden comes once the steps are done."""
        one = [t for t in layer if not t.name.endswith("_reverse")]
        hidden = sum(t.size for t in one if "_hh_" in t.name)
        return (self.directions - 1) * sum(t.size for t in one) + 3 * hidden

    def kept_by_layer(self, inputs: Inputs) -> list[tuple[Extra, ...]]:
        """What a training step keeps for each stacked layer's backward: its gates and
        states at every step and direction, and its input."""
        length = inputs[0].size("L")
        return [
            (
                Extra(
                    (self.kept_per_step * length + self.kept_initial) * self.directions * self.hidden + length * width
                ),
                Extra(self.padding * self.directions, per_sample=False),
            )
            for width in self.input_widths(inputs[0])
        ]

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        """The input projections of all steps and the step outputs live while a layer runs;
        training keeps each step's gates and states. On the CPU PyTorch runs most recurrent
        layers through oneDNN, which keeps a padded workspace whose size the library
        decides: counted as a measured mean, said to be unknown. Backward runs one stacked
        layer after another, top first (one fused op per layer on the CPU): a layer's
        weight gradients appear, and what it kept goes, before the layer below runs."""
        length = inputs[0].size("L")
        if not training:
            running = (self.gates + 1) * length * self.hidden * self.directions
            before = length * self.width * self.directions if self.num_layers > 1 else 0  # the layer below's output
            # Batch-first outputs are time-major underneath: out of storage order.
            return Footprint(passing=(Extra(running + before),), reorders=True)
        kept = self.kept_by_layer(inputs)
        widths = self.input_widths(inputs[0])
        tensors = self.tensors(inputs)
        per_layer = len(tensors) // self.num_layers  # weights and biases of each layer, both directions
        by_step = self.backward_by_step  # every layer a part, the bottom one too
        layers = range(0 if by_step else 1, self.num_layers if self.backward_by_layer or by_step else 1)
        stages = tuple(
            Stage(
                sum(t.size for t in tensors[layer * per_layer : (layer + 1) * per_layer]),
                Extra(length * widths[layer]),  # the gradient of the layer's input, the layer below's output
                kept[layer],
                peak_params=self._step_peak(tensors[layer * per_layer : (layer + 1) * per_layer]) if by_step else None,
            )
            for layer in reversed(layers)
        )
        # ATen's step-by-step path (GRU, RNN; an LSTM's projection) keeps what autograd saves;
        # oneDNN's fused op (an LSTM's on the CPU) keeps a workspace the library sizes.
        why = "" if self.projection or not self.library_workspace else LIBRARY_WORKSPACE
        everything = tuple(extra for extras in kept for extra in extras)
        return Footprint(keeps_inputs=(0,), kept=everything, unknown=why, reorders=True, stages=stages)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        cell = getattr(nn, self.torch_class)(
            inputs[0].size("D"),
            self.hidden,
            num_layers=self.num_layers,
            bias=self.bias,
            batch_first=True,
            dropout=self.dropout if self.num_layers > 1 else 0.0,  # PyTorch warns on dropout after one layer
            bidirectional=self.bidirectional,
            **self.torch_options(),
        )
        last, directions = self.output == "last", self.directions

        class RecurrentModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """The output sequence, or the last layer's final hidden state (directions concatenated)."""

            def __init__(self) -> None:
                super().__init__()
                self.rnn = cell

            def forward(self, x: Any) -> Any:
                sequence, state = self.rnn(x)
                if not last:
                    return sequence
                hidden = state[0] if isinstance(state, tuple) else state  # an LSTM's (h_n, c_n)
                return hidden[-directions:].transpose(0, 1).reshape(x.shape[0], -1)

        return RecurrentModule()


LIBRARY_WORKSPACE = "oneDNN's workspace on the CPU (cuDNN's on the GPU) is sized by the library"


class RNN(Recurrent):
    """Elman RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh): one gate."""

    type: Literal["rnn"]
    torch_class: ClassVar[str] = "RNN"
    # On the CPU it runs step by step in ATen ops (no oneDNN); autograd keeps each step's
    # state h_t once (the nonlinearity's output, which the next step's hidden projection
    # reads), and the zero initial state the first step reads (torch 2.13, autograd's saved
    # tensors; a fitted 2 per step came out up to +27% on a 2-layer RNN).
    kept_per_step: ClassVar[int] = 1
    kept_initial: ClassVar[int] = 1
    backward_by_step: ClassVar[bool] = True
    nonlinearity: Literal["tanh", "relu"] = Field("tanh", description="The nonlinearity of each step.")

    def torch_options(self) -> dict[str, Any]:
        return {"nonlinearity": self.nonlinearity}


class GRU(Recurrent):
    """Gated recurrent unit: reset, update and new gates (3)."""

    type: Literal["gru"]
    gates: ClassVar[int] = 3
    # Step by step in ATen ops on the CPU: per step the previous state (the hidden
    # projection's input, the zero initial state the first), the hidden gates (3H; the
    # reset and update gates are sigmoids taken in place in them), the new gate's tanh,
    # and two H copies that the in-place products keep of what they overwrite (torch 2.13,
    # autograd's saved tensors; a fitted 8 came out up to +11%).
    kept_per_step: ClassVar[int] = 7
    backward_by_step: ClassVar[bool] = True
    torch_class: ClassVar[str] = "GRU"


class LSTM(Recurrent):
    """Long short-term memory: input, forget, cell and output gates (4), optionally a projection."""

    type: Literal["lstm"]
    gates: ClassVar[int] = 4
    kept_per_step: ClassVar[int] = 18  # oneDNN's workspace at large H; with a projection, 8 (the native path)
    padding: ClassVar[int] = 8_192  # oneDNN's workspace at small H: 32 KiB a layer and direction
    backward_by_layer: ClassVar[bool] = True
    library_workspace: ClassVar[bool] = True

    def kept_by_layer(self, inputs: Inputs) -> list[tuple[Extra, ...]]:
        if not self.projection:
            return super().kept_by_layer(inputs)
        # A projection shuts oneDNN out: the native path keeps 8 H per step (measured).
        length = inputs[0].size("L")
        return [(Extra(8 * self.directions * length * self.hidden),)] * self.num_layers

    torch_class: ClassVar[str] = "LSTM"
    proj_size: NonNegativeInt = Field(
        0, description="Project the hidden state to this width P < H (0: none); the output is then P wide."
    )

    @property
    def projection(self) -> int:
        return self.proj_size

    def output_shape(self, inputs: Inputs) -> Shape:
        if self.proj_size >= self.hidden:
            raise LayerError(
                f"proj_size={self.proj_size} must be smaller than hidden={self.hidden}, as PyTorch requires",
                "proj_size",
            )
        return super().output_shape(inputs)

    def torch_options(self) -> dict[str, Any]:
        return {"proj_size": self.proj_size}
