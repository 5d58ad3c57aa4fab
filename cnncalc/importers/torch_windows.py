"""Channels-last maps and window attention for `cnncalc import` (torchvision's Swin and MaxViT).

A spec keeps an image's channels first, (C, H, W), and says `axis: channels` where a norm or
a dense layer acts on the channels at each position. PyTorch code often moves the channels
last instead: Swin permutes its map to (N, H, W, C) once, after the stem; MaxViT reshapes
and permutes it into (N, groups, w*w, C) partitions around each attention. Between such
moves, the ops that act on each position alone (LayerNorm over C, Linear, activations,
dropout, stochastic depth, sums) count the same in either layout, so `rearrange` makes each
move read as its input, writes those ops with `axis: channels`, and records each op's shape
in the spec's (C, H, W) for the import's shape check.

A move is a chain of reshape, view, permute, transpose and contiguous ops. Its effect is not
guessed from the shapes: the chain is run on a tensor of positions (an arange) and must put
the channels last, one position per row, or put them back first exactly where the map had
them. Each channels-last tensor carries, for each of its rows, the position of the map it
holds (`_Map.where`); window attention reads the groups off it (w x w windows, or a w x w
grid), and a sum needs both sides in the same order.

torch is imported inside functions only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnncalc.importers.torch_code import Op

# Ops that only move a tensor's values around (the chains `rearrange` runs).
_MOVES = {"reshape", "view", "permute", "transpose", "swapaxes", "swapdims", "contiguous", "flatten", "unflatten"}
# Kinds that act on each position alone and keep the channels last where they were.
_POSITIONWISE = {
    "add",
    "multiply",
    "dropout",
    "stochastic_depth",
    "identity",
    "relu",
    "relu6",
    "gelu",
    "silu",
    "sigmoid",
    "tanh",
    "hardswish",
    "hardsigmoid",
    "mish",
    "selu",
    "_pass",
}
_LAST = "channels last: the format keeps an image's channels first (axis: channels on norms and dense)"

# torchvision's window attention modules, kept whole by the tracer (their forward is not
# read op by op): the class name -> the module that defines it.
_WINDOW_MODULES = {
    "ShiftedWindowAttention": "torchvision.models.swin_transformer",
    "ShiftedWindowAttentionV2": "torchvision.models.swin_transformer",
    "RelativePositionalMultiHeadAttention": "torchvision.models.maxvit",
}


def is_leaf(module: Any) -> bool:
    """Whether the tracer keeps `module` whole: one of torchvision's window attentions."""
    cls = type(module)
    return _WINDOW_MODULES.get(cls.__name__) == cls.__module__


@dataclass
class _Map:
    """A channels-last tensor of a (C, H, W) map: `where` holds, for each row of C values
    (the tensor without its last axis, batch first), the flat index n*H*W + h*W + w of the
    position it is."""

    height: int
    width: int
    where: Any  # torch tensor of int64


def _shape(node: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in node.meta["tensor_meta"].shape)


def _name(node: Any) -> str:
    target = node.target
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


def _canonical(torch: Any, batch: int, height: int, width: int) -> Any:
    """`where` of a map held as (N, H, W, C), row by row."""
    return torch.arange(batch * height * width).reshape(batch, height, width)


def _run(chain: list[Op], tensor: Any) -> Any:
    """`tensor` moved by each op of `chain`; None when an op's arguments are not plain ints."""
    for op in chain:
        node, name = op.node, _name(op.node)
        if name in ("reshape", "view", "flatten", "unflatten"):
            tensor = tensor.reshape(_shape(node))  # the op's own output shape, as ShapeProp saw it
        elif name == "permute":
            dims = node.args[1] if len(node.args) == 2 and isinstance(node.args[1], (tuple, list)) else node.args[1:]
            if not dims or not all(isinstance(d, int) for d in dims):
                return None
            tensor = tensor.permute(*dims)
        elif name in ("transpose", "swapaxes", "swapdims"):
            axes = node.args[1:3]
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                return None
            tensor = tensor.transpose(*axes)
        if tuple(tensor.shape) != _shape(node):
            return None
    return tensor


def _chain(first: Op, readers: dict[int, list[Op]]) -> list[Op]:
    """`first` and the moves after it, each the one reader of the one before."""
    chain = [first]
    while True:
        after = readers.get(id(chain[-1]), [])
        if len(after) != 1 or not _is_move(after[0]) or after[0].inputs != [chain[-1]]:
            return chain
        chain.append(after[0])


def _is_move(op: Op) -> bool:
    from cnncalc.importers.torch_code import PASS

    unread = op.layer is None or (op.layer == PASS and _name(op.node) == "contiguous")
    return unread and op.node.op in ("call_function", "call_method") and _name(op.node) in _MOVES


def _move(chain: list[Op], source: Op, maps: dict[int, _Map]) -> None:
    """Make `chain` read as its input where running it shows that it puts the channels of
    `source`'s map last (or, from channels last, back first where they were)."""
    import torch

    from cnncalc.importers.torch_code import PASS

    shape = _shape(source.node) if source.node is not None else ()
    held = maps.get(id(source))
    result: _Map | None = None
    if held is None:
        if len(shape) != 4:
            return
        n, c, h, w = shape
        moved = _run(chain, torch.arange(n * c * h * w).reshape(shape))
        if moved is None or moved.shape[-1] != c:
            return
        where = (moved // (c * h * w)) * (h * w) + moved % (h * w)
        if not bool(((moved // (h * w)) % c == torch.arange(c)).all()) or not bool((where == where[..., :1]).all()):
            return
        result = _Map(h, w, where[..., 0])
    else:
        c = shape[-1]
        moved = _run(chain, held.where.unsqueeze(-1) * c + torch.arange(c))
        if moved is None:
            return
        n = held.where.numel() // (held.height * held.width)
        first = _canonical(torch, n, held.height, held.width).unsqueeze(1) * c + torch.arange(c).reshape(1, c, 1, 1)
        if tuple(moved.shape) == tuple(first.shape) and bool((moved == first).all()):
            result = None  # back to (N, C, H, W), every value where it was
        elif moved.shape[-1] == c and bool((moved % c == torch.arange(c)).all()):
            result = _Map(held.height, held.width, moved[..., 0] // c)
        else:
            return
    for op in chain:
        op.layer, op.reason = dict(PASS), ""
        if result is not None:
            maps[id(op)] = result


def _spec_shape(out: tuple[int, ...], held: _Map) -> tuple[int, ...]:
    return (out[-1], held.height, held.width)


def _positionwise(op: Op, maps: dict[int, _Map]) -> None:
    """An op that reads channels-last tensors: written with `axis: channels` where it acts
    on the channels, kept where it acts on each value alone, a gap otherwise."""
    held = [maps[id(s)] for s in op.inputs if id(s) in maps]
    if op.layer is None or len(held) != len(op.inputs):
        if op.layer is not None:
            op.layer, op.reason = None, "it reads a channels-last tensor and a channels-first one"
        return
    kind = op.layer["type"]
    out = _shape(op.node)
    if kind in ("add", "multiply") and any(
        _shape(s.node) != out or not bool((maps[id(s)].where == held[0].where).all()) for s in op.inputs
    ):
        op.layer, op.reason = None, "a sum or product of channels-last tensors in different orders"
        return
    if kind == "layernorm" and op.layer.get("dims") == 1:
        op.layer.update(axis="channels", dims=None)
    elif kind == "dense":
        op.layer["axis"] = "channels"
    elif kind not in _POSITIONWISE:
        op.layer, op.reason = None, _LAST
        return
    maps[id(op)] = held[0]
    op.spec_shape = _spec_shape(out, held[0])


def _partition_type(path: str, modules: dict[str, Any]) -> str | None:
    """MaxViT's PartitionAttentionLayer says which partition it cuts (`partition_type`): the
    nearest module around `path` that says so."""
    parts = path.split(".")
    for end in range(len(parts) - 1, 0, -1):
        said = getattr(modules.get(".".join(parts[:end])), "partition_type", None)
        if said in ("window", "grid"):
            return str(said)
    return None


def _window_attention(op: Op, module: Any, maps: dict[int, _Map], said: str | None) -> None:
    """torchvision's ShiftedWindowAttention (Swin, on (N, H, W, C)) or MaxViT's
    RelativePositionalMultiHeadAttention (on (N, groups, w*w, C)): the window_attention kind."""
    import torch

    name = type(module).__name__
    held = maps.get(id(op.inputs[0])) if len(op.inputs) == 1 else None
    if name == "ShiftedWindowAttentionV2":
        op.reason = (
            "Swin V2's cosine attention with a learned logit scale and a continuous position bias MLP: "
            "the window_attention kind has neither"
        )
        if held is not None and _shape(op.node) == _shape(op.inputs[0].node):
            maps[id(op)] = held  # the gap reads as its input: what follows is still read
        return
    if held is None:
        op.reason = "window attention on a tensor that is not a channels-last map"
        return
    biases = {m.bias is not None for m in ((module.qkv, module.proj) if hasattr(module, "qkv") else ())}
    if name == "ShiftedWindowAttention":
        size, shift = module.window_size, module.shift_size
        canonical = _canonical(torch, held.where.shape[0], held.height, held.width)
        if len(set(size)) != 1 or len(set(shift)) != 1 or len(biases) != 1:
            op.reason = "windows that are not square, or biases on one projection only: the kind has no field for it"
            return
        if tuple(held.where.shape) != tuple(canonical.shape) or not bool((held.where == canonical).all()):
            op.reason = "window attention on a map whose rows are not in the map's order"
            return
        layer = {"type": "window_attention", "heads": module.num_heads, "window_size": size[0], "shift": shift[0]}
        layer["bias"] = biases.pop()
    else:
        size, partition = module.size, _partition(held, module.size, said)
        if partition is None or (module.to_qkv.bias is None) != (module.merge.bias is None):
            op.reason = "groups that are neither w x w windows nor a w x w grid of the map"
            return
        layer = {"type": "window_attention", "heads": module.n_heads, "window_size": size, "partition": partition}
        layer.update(bias=module.to_qkv.bias is not None, style="maxvit")
    op.layer, op.reason = layer, ""
    maps[id(op)] = held
    op.spec_shape = _spec_shape(_shape(op.node), held)


def _partition(held: _Map, size: int, said: str | None) -> str | None:
    """`window` when each group (the rows of `where`'s one-but-last axis) is a size x size
    window of the map, `grid` when it is a size x size grid spread over it; else None. On a
    map of one group, both are: then the one the model `said`, if any."""
    where = held.where
    if where.dim() != 3 or where.shape[-1] != size * size:
        return None
    row = (where % (held.height * held.width)) // held.width
    column = where % held.width
    if held.height % size or held.width % size:
        return None
    spaced_h, spaced_w = held.height // size, held.width // size
    keys = {"window": (row // size, column // size), "grid": (row % spaced_h, column % spaced_w)}
    fits = [name for name, pair in keys.items() if all(bool((key == key[..., :1]).all()) for key in pair)]
    return said if said in fits else fits[0] if fits else None


def _is_patch_merging(op: Op) -> bool:
    target = op.node.target
    return op.node.op == "call_function" and (getattr(target, "__module__", ""), _name(op.node)) == (
        "torchvision.models.swin_transformer",
        "_patch_merging_pad",
    )


def _patch_merging(op: Op, held: _Map, maps: dict[int, _Map]) -> None:
    """torchvision's `_patch_merging_pad(x)` on (N, H, W, C): `torch.cat([x[..., 0::2, 0::2, :],
    x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], -1)`, the map padded
    to even sizes first. On an even map, the same 4C values as pixel_unshuffle(2) gives in
    another order (which the norm and linear layer after it do not count differently)."""
    import torch

    n, h, w, c = _shape(op.node)
    if (held.height, held.width) != (2 * h, 2 * w) or c != 4 * _shape(op.inputs[0].node)[-1]:
        op.reason = "PatchMerging pads an odd map first; pixel_unshuffle needs an even one"
        return
    op.layer, op.reason = {"type": "pixel_unshuffle", "factor": 2}, ""
    maps[id(op)] = _Map(h, w, _canonical(torch, n, h, w))
    op.spec_shape = (c, h, w)


def rearrange(ops: list[Op], modules: dict[str, Any]) -> None:
    """Read the channels-last stretches of a captured graph as the format writes them (see
    the module's docstring); ops it cannot read stay gaps, with the reason."""
    readers: dict[int, list[Op]] = {}
    for op in ops:
        for source in op.inputs:
            readers.setdefault(id(source), []).append(op)
    maps: dict[int, _Map] = {}
    moved: set[int] = set()
    for op in ops:
        if id(op) in moved:
            continue
        held = maps.get(id(op.inputs[0])) if op.inputs else None
        if _is_move(op) and len(op.inputs) == 1:
            chain = _chain(op, readers)
            moved.update(id(o) for o in chain)
            _move(chain, op.inputs[0], maps)
        elif op.node.op == "call_module" and is_leaf(modules[op.node.target]):
            _window_attention(op, modules[op.node.target], maps, _partition_type(str(op.node.target), modules))
        elif _is_patch_merging(op) and held is not None:
            _patch_merging(op, held, maps)
        elif any(id(s) in maps for s in op.inputs):
            _positionwise(op, maps)
    _unwrap(ops)


def _unwrap(ops: list[Op]) -> None:
    """A module whose ops all read as their input (torchvision's Permute, MaxViT's
    WindowPartition) writes no layer: no block either; its ops belong to the module around it."""
    from cnncalc.importers.torch_code import PASS

    members: dict[str, list[Op]] = {}
    for op in ops:
        for key, _, _ in op.stack:
            members.setdefault(key, []).append(op)
    empty = {key for key, inside in members.items() if all(op.layer == PASS for op in inside)}
    for op in ops:
        if any(key in empty for key, _, _ in op.stack):
            op.stack = tuple(scope for scope in op.stack if scope[0] not in empty)
