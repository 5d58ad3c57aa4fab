"""Training setups from the command line (`--freeze`, `--checkpoint`, `--lora`): each writes
into a copy of the spec the field a person would write there (`trainable: false`,
`checkpoint: true`, `lora: {rank: r}`), so that the spec fields and the options are counted
by one path (the engine's) and say the same.

A name picks the layers it names (`name:`), or every use of the block it names (a block
call's `type`); `--lora` without names adapts every dense layer. A name that picks nothing is
a usage error: a typo would otherwise leave the network as it was, silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
    lora_on: tuple[str, ...] = ()  # the dense layers adapted, by name; () every one

    @property
    def any(self) -> bool:
        return bool(self.freeze or self.checkpoint or self.lora_rank)


def parse_lora(text: str) -> tuple[int, tuple[str, ...]]:
    """`8` or `8:q,v`: the rank, and the names of the dense layers adapted (none: every one)."""
    rank_text, _, names = text.partition(":")
    if not rank_text.strip().isdigit() or int(rank_text) < 1:
        raise SetupError(
            f"--lora {text}: give a rank of 1 or more, then the layers' names if not every dense layer (8:q,v)"
        )
    return int(rank_text), tuple(n.strip() for n in names.split(",") if n.strip())


@dataclass
class _Walk:
    setups: Setups
    blocks: frozenset[str]
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
        adapted = not self.setups.lora_on or name in self.setups.lora_on
        if self.setups.lora_rank and adapted and _takes_lora(kind):
            added["lora"] = {"rank": self.setups.lora_rank}
            self.used.add(f"--lora {name}" if self.setups.lora_on else "--lora")
        copy = LocatedDict((key, self.value(value)) for key, value in raw.items())
        copy.mark, copy.marks = raw.mark, list(raw.marks)
        for key, value in added.items():
            if key in copy:
                copy.marks[2 * list(copy).index(key) + 1] = raw.mark
            else:
                copy.marks += [raw.mark, raw.mark]  # an option's field: at the layer it is added to
            copy[key] = value
        return copy

    def value(self, value: Any) -> Any:
        if isinstance(value, LocatedList):
            copy = LocatedList(self.value(v) for v in value)
            copy.mark, copy.item_marks = value.mark, value.item_marks
            return copy
        if isinstance(value, LocatedDict) and "type" in value:
            return self.layer(value)
        return value


def _takes_lora(kind: Any) -> bool:
    """Whether a layer kind has a `lora:` field (asked of the kind, not named here)."""
    from cnncalc.layers import layer_class

    cls = layer_class(kind) if isinstance(kind, str) else None
    return cls is not None and "lora" in cls.model_fields


def apply(spec: Spec, setups: Setups) -> Spec:
    """`spec` with the setups written into its layers and blocks; SetupError for an option
    that picks nothing."""
    if not setups.any:
        return spec
    walk = _Walk(setups, frozenset(spec.blocks))
    layers = walk.value(spec.layers)
    blocks = {
        name: block.model_copy(update={"layers": walk.value(block.layers)}) for name, block in spec.blocks.items()
    }
    asked = [f"--freeze {n}" for n in setups.freeze] + [f"--checkpoint {n}" for n in setups.checkpoint]
    if setups.lora_rank:
        asked += [f"--lora {n}" for n in setups.lora_on] or ["--lora"]
    unused = [a for a in asked if a not in walk.used]
    if unused:
        what = "dense layer" if unused[0].startswith("--lora") else "layer or block"
        raise SetupError(f"{unused[0]}: the spec has no {what} of that name")
    return spec.model_copy(update={"layers": layers, "blocks": blocks})
