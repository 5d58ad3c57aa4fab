"""Memory per GPU when a training step (or a forward) is spread over several GPUs.

The single-GPU figures of `cnncalc.analysis.memory` come in parts: weights (with, under
mixed precision, a master copy), gradients, optimizer state, the optimizer step's
temporaries and activations. Each part is divided here by the number of GPUs holding a
share of it:

- Data parallel over N GPUs with ZeRO (Rajbhandari et al., 2019; FSDP is stage 3): stage 1
  shards the optimizer state (the master weights and the step's temporaries with it),
  stage 2 the gradients too, stage 3 the weights too; stage 0 replicates everything.
  Activations are not divided: each GPU runs its own batch (the batch given is per GPU).
- Tensor parallel over T GPUs: every weight-sized part is split T ways, and so are the
  activations (Megatron with sequence parallelism: each rank holds 1/T of every tensor).
- Pipeline parallel over P GPUs: every weight-sized part is split P ways (P equal stages);
  the activations are not: under 1F1B the first stage holds P micro-batches in flight,
  each through 1/P of the layers, about one micro-batch through the whole network.

A shard is rounded up to a whole byte. Not counted: the full weights of the layer being
gathered under stage 3, gradient buckets before their reduce-scatter, communication
buffers, and a pipeline's unequal stages.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.analysis.memory import OPTIMIZER_STATE, Precision

STAGES = (0, 1, 2, 3)
MASTER = "master weights"


@dataclass(frozen=True)
class Parallel:
    """How many GPUs share the work, and how."""

    gpus: int = 1  # data-parallel ranks, N
    zero: int = 0  # ZeRO stage, 0 to 3
    tensor: int = 1  # tensor-parallel ranks, T
    pipeline: int = 1  # pipeline stages, P

    @property
    def plain(self) -> bool:
        """One GPU holding everything: the figures are the single-GPU ones."""
        return self.gpus * self.tensor * self.pipeline == 1

    def divisor(self, part: str) -> int:
        """How many GPUs share one copy of `part`."""
        model = self.tensor * self.pipeline
        if part in ("activations", "kv cache"):  # a KV cache is split by heads, as the attention
            return self.tensor
        if part == "weights":
            return model * (self.gpus if self.zero >= 3 else 1)
        if part == "gradients":
            return model * (self.gpus if self.zero >= 2 else 1)
        # The optimizer state, the master weights it updates and the update's temporaries.
        return model * (self.gpus if self.zero >= 1 else 1)

    def describe(self) -> str:
        """`64 GPUs data parallel, ZeRO-3 · tensor parallel 2`, in the report's words."""
        said = []
        if self.gpus > 1:
            said.append(f"{self.gpus} GPUs data parallel" + (f", ZeRO-{self.zero}" if self.zero else ", replicated"))
        if self.tensor > 1:
            said.append(f"tensor parallel {self.tensor}")
        if self.pipeline > 1:
            said.append(f"pipeline parallel {self.pipeline}")
        return " · ".join(said)


def _share(size: int, ways: int) -> int:
    return -(-size // ways)


def per_gpu(parts: dict[str, int], master: int, parallel: Parallel) -> dict[str, int]:
    """One GPU's share of each part; `parts["weights"]` holds `master` bytes of master
    weights, split out as their own part since they are sharded with the optimizer state."""
    shared: dict[str, int] = {}
    for name, size in parts.items():
        if name == "weights" and master:
            shared[name] = _share(size - master, parallel.divisor(name))
            shared[MASTER] = _share(master, parallel.divisor(MASTER))
        else:
            shared[name] = _share(size, parallel.divisor(name))
    return shared


def model_states(
    trainable: int, frozen: int, optimizer: str, precision: Precision, parallel: Parallel, state: int | None = None
) -> dict[str, int]:
    """The ZeRO paper's model states per GPU: weights, master weights, gradients and
    optimizer state, without activations or the update's temporaries (a fused update
    makes none). Mixed-precision Adam, fp16 weights and fp32 master and moments: 2 + 2 + K
    bytes a parameter with K = 4 + 4 + 4 = 12. `state`: the optimizer state's bytes where
    they are not a whole number of bytes a parameter (8-bit state, tensor by tensor)."""
    tensors, _ = OPTIMIZER_STATE[optimizer]
    master = trainable * precision.master
    parts = {
        "weights": (trainable + frozen) * precision.weights + master,
        "gradients": trainable * precision.weights,
        "optimizer state": tensors * trainable * precision.state_bytes if state is None else state,
    }
    return per_gpu(parts, master, parallel)
