"""The traits a layer kind may declare, and what each means.

A kind lists its traits in `traits: ClassVar[frozenset[str]]` (inherited by its
subclasses); the lint rules ask for traits, never for kind names, so a new kind joins
every rule that concerns it by declaring what it is. A trait is a promise about the
kind's behaviour that a rule relies on: declare one only when the description holds
for every instance of the kind. An unknown trait is an error when the class is defined.
"""

from __future__ import annotations

TRAITS: dict[str, str] = {
    "shape-only": (
        "At inference every input value reaches the output once, unchanged: only the shape or the order "
        "changes (flatten, identity, dropout). Such a layer does not separate two layers around it."
    ),
    "fully-connected": (
        "A learned matrix over one axis, the last as PyTorch's nn.Linear (or the one its `features_axis` "
        "names): every output unit reads every input value of that axis (dense)."
    ),
    "windowed": "Slides a kernel over the spatial axes, with `kernel`, `stride` and `padding` fields (conv, maxpool).",
    "has-bias": "Has a `bias: true|false` field that adds learned constants to its output.",
    "normalizing": "Rescales its input by statistics of the input itself (batchnorm, groupnorm, layernorm).",
    "batch-statistics": (
        "Normalizes each channel by its mean and variance over the batch and the positions, kept as running "
        "statistics for inference (batchnorm): a constant added per channel before it cancels, and whatever "
        "differs between training and inference before it skews those statistics."
    ),
    "stochastic": "Random while training, deterministic at inference (dropout).",
    "activation": "A nonlinearity with nothing learned; a layer can apply it to its output (`activation: relu`).",
    "elementwise": "Each output value is computed from the input value at the same position alone (relu, sigmoid).",
    "probabilities": (
        "Outputs probabilities: each value in (0, 1) (sigmoid) or a distribution summing to 1 (softmax), "
        "which is what a network's output, not a hidden layer, should hold."
    ),
    "gating": "Multiplies its inputs elementwise, so that an input in (0, 1) acts as a gate on another (multiply).",
    "merge": "Joins the outputs of several layers into one (add, concat, multiply).",
}


def check(owner: str, traits: frozenset[str]) -> None:
    """Refuse a trait outside the vocabulary: a typo would silently opt a kind out of a rule."""
    unknown = sorted(traits - TRAITS.keys())
    if unknown:
        raise TypeError(f"{owner} declares unknown trait(s) {', '.join(unknown)}; known: {', '.join(TRAITS)}")
