"""Training setups from the command line (`--freeze`, `--checkpoint`, `--lora`): each writes
into a copy of the spec the field a person would write there (`trainable: false`,
`checkpoint: true`, `lora: {rank: r}`), so that the spec fields and the options are counted
by one path (the engine's) and say the same.

A name picks the layers it names (`name:`), or every use of the block it names (a block
call's `type`). A name that picks nothing is a usage error: a typo would otherwise leave the
network as it was, silently.

`--lora RANK[:NAMES]` does what peft's `get_peft_model(model, LoraConfig(r, target_modules))`
does: adapters on the targets, and every other layer frozen (`trainable: false` written on
each layer that has no `lora:` and no `trainable:` of its own; one written `trainable: true`
keeps training, as peft's `modules_to_save`). Its names are peft's target_modules: `q`, `k`,
`v`, `o` (or `q_proj`, ...) name those projections in every attention layer, `gate`, `up`,
`down` those of every gated_ffn; a name also picks the layers so named (a dense layer adapted;
an attention layer on q and v, a gated_ffn on all three), as peft matches module names. Without
names: q and v of every attention layer (peft's default for Llama), or, where the spec has no
attention, every dense layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnncalc.layers.api import FFN_PROJECTIONS, PROJECTIONS, Composite
from cnncalc.spec.loader import LocatedDict, LocatedList

if TYPE_CHECKING:
    from cnncalc.spec.model import Spec


class SetupError(Exception):
    """An option names no layer or block of the spec (a usage error)."""


@dataclass(frozen=True)
class Setups:
    """What the command line asks to freeze, checkpoint and adapt."""

    freeze: tuple[str, ...] = ()
    checkpoint: tuple[str, ...] = ()
    lora_rank: int = 0  # 0: no adapters
    # The targets: projections (q, ..., gate, ...) in every layer that has them, and layers by
    # name; () the defaults
    lora_on: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.freeze or self.checkpoint or self.lora_rank)


def parse_lora(text: str) -> tuple[int, tuple[str, ...]]:
    """`8` or `8:q,v`: the rank, and the targets' names (none: the default ones)."""
    rank_text, _, names = text.partition(":")
    if not rank_text.strip().isdigit() or int(rank_text) < 1:
        raise SetupError(
            f"--lora {text}: give a rank of 1 or more, then the projections (q, k, v, o) or layers adapted "
            "if not the default (8:q,v)"
        )
    return int(rank_text), tuple(n.strip() for n in names.split(",") if n.strip())


def projection(name: str) -> str | None:
    """The projection a target names (`q` or peft's `q_proj`, `gate`...), or None for a layer's name."""
    short = name.removesuffix("_proj")
    return short if short in (*PROJECTIONS, *FFN_PROJECTIONS) else None


@dataclass
class _Walk:
    setups: Setups
    blocks: frozenset[str]
    # The names --lora gives (projections, q or q_proj, and layers); none: the defaults.
    names: tuple[str, ...] = ()
    default_dense: bool = False  # --lora alone on a spec without attention: every dense layer
    used: set[str] = field(default_factory=set)

    def layer(self, raw: LocatedDict) -> LocatedDict:
        """`raw` with the fields the setups give it, its nested layers too."""
        kind, name = raw.get("type"), raw.get("name")
        picked = {kind if kind in self.blocks else None, name} - {None}
        added: dict[str, Any] = {}
        for wanted in self.setups.freeze:
            if wanted in picked:
                added["trainable"] = False
                self.used.add(f"--freeze {wanted}")
        for wanted in self.setups.checkpoint:
            if wanted in picked and kind in self.blocks:
                added["checkpoint"] = True
                self.used.add(f"--checkpoint {wanted}")
        if self.setups.lora_rank:
            added.update(self.lora(raw))
        copy = LocatedDict((key, self.value(value)) for key, value in raw.items())
        copy.mark, copy.marks = raw.mark, list(raw.marks)
        for key, value in added.items():
            if key in copy:
                copy.marks[2 * list(copy).index(key) + 1] = raw.mark
            else:
                copy.marks += [raw.mark, raw.mark]  # an option's field: at the layer it is added to
            copy[key] = value
        return copy

    def lora(self, raw: LocatedDict) -> dict[str, Any]:
        """The fields `--lora` gives the layer `raw`: its adapters, or `trainable: false`."""
        kind, name = raw.get("type"), raw.get("name")
        cls = _layer_class(kind) if kind not in self.blocks else None
        if cls is None or "lora" in raw:
            return {}  # a block call (its layers are walked), or the spec adapts it already
        field_: dict[str, Any] = {"rank": self.setups.lora_rank}
        # A name picks projections of that name and layers of that name, as peft's
        # target_modules matches module names (dense layers called `up` stay reachable).
        if cls.lora_projections:
            picks = [(n, projection(n)) for n in self.names if projection(n) in cls.lora_projections]
            named = list(dict.fromkeys(p for _, p in picks))
            default = cls.lora_by_default and not self.setups.lora_on
            if named or name in self.names or default:
                self.used.update(f"--lora {n}" for n, _ in picks)
                self.used.add(f"--lora {name}" if name in self.names else "--lora")
                return {"lora": {**field_, "targets": named} if named else field_}
        elif "lora" in cls.model_fields and (name in self.names or self.default_dense):
            self.used.add(f"--lora {name}" if name in self.names else "--lora")
            return {"lora": field_}
        # peft freezes the whole model but the adapters: each layer's own parameters here
        # (a composite's layers are walked, so that adapters inside it still train), but
        # one the spec says trains (peft's modules_to_save).
        return {} if issubclass(cls, Composite) or "trainable" in raw else {"trainable": False}

    def value(self, value: Any) -> Any:
        if isinstance(value, LocatedList):
            copy = LocatedList(self.value(v) for v in value)
            copy.mark, copy.item_marks = value.mark, value.item_marks
            return copy
        if isinstance(value, LocatedDict) and "type" in value:
            return self.layer(value)
        return value


def _layer_class(kind: Any) -> Any:
    """The kind's class (asked what it takes, never named here); None for no kind."""
    from cnncalc.layers import layer_class

    return layer_class(kind) if isinstance(kind, str) else None


def _has_projections(spec: Spec) -> bool:
    """Whether some layer of the spec has projections `--lora` adapts by default (attention)."""
    found = False

    def visit(value: Any) -> None:
        nonlocal found
        if isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            cls = _layer_class(value.get("type"))
            found = found or bool(cls is not None and cls.lora_by_default)
            for item in value.values():
                visit(item)

    visit([spec.layers, *(block.layers for block in spec.blocks.values())])
    return found


def apply(spec: Spec, setups: Setups) -> Spec:
    """`spec` with the setups written into its layers and blocks; SetupError for an option
    that picks nothing."""
    if not setups.any:
        return spec
    walk = _Walk(
        setups,
        frozenset(spec.blocks),
        setups.lora_on,
        bool(setups.lora_rank and not setups.lora_on and not _has_projections(spec)),
    )
    layers = walk.value(spec.layers)
    blocks = {
        name: block.model_copy(update={"layers": walk.value(block.layers)}) for name, block in spec.blocks.items()
    }
    asked = [f"--freeze {n}" for n in setups.freeze] + [f"--checkpoint {n}" for n in setups.checkpoint]
    if setups.lora_rank:
        asked += [f"--lora {n}" for n in setups.lora_on] or ["--lora"]
    unused = [a for a in asked if a not in walk.used]
    if unused:
        raise SetupError(f"{unused[0]}: the spec has no {_nothing_picked(unused[0])}")
    return spec.model_copy(update={"layers": layers, "blocks": blocks})


def _nothing_picked(option: str) -> str:
    """What `option` (`--freeze NAME`, `--lora NAME`...) looked for and the spec lacks; the
    kinds that take adapters are asked of the registry (an error's path: every kind loaded)."""
    if not option.startswith("--lora"):
        return "layer or block of that name"
    from cnncalc.layers import registry

    adapted = {kind: cls for kind, cls in registry().items() if "lora" in cls.model_fields}
    wanted = projection(option.removeprefix("--lora "))
    owners = [kind for kind, cls in adapted.items() if wanted in cls.lora_projections]
    if owners:
        return f"{' or '.join(owners)} layer with that projection, nor a layer of that name"
    projections = ", ".join(dict.fromkeys(p for cls in adapted.values() for p in cls.lora_projections))
    return f"layer of that name that takes lora: ({', '.join(adapted)}), nor is it a projection ({projections})"
