"""`cnncalc layers`: each layer kind, what it does, and its own fields with their defaults.

One kind a paragraph: its name and description, then its fields. Within a width (a
terminal's) both wrap under the description's column, a field never split across lines;
piped, one line each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnncalc.layers.api import Layer

NAME_WIDTH = 18  # the longest kind name, and the column the descriptions start after


def description(cls: type[Layer]) -> str:
    """The docstring's whole first paragraph, on one line: a first sentence may run over several."""
    return " ".join(line.strip() for line in (cls.__doc__ or "").strip().split("\n\n")[0].splitlines())


def fields(cls: type[Layer], common: set[str]) -> list[str]:
    """`kernel (required)`, `stride=1`: the kind's own fields; a default of None says what it
    stands for where the kind declares it (`none_means`), as PyTorch's own None defaults do."""
    none_means: dict[str, str] = getattr(cls, "none_means", {})
    shown = []
    for name, info in cls.model_fields.items():
        if name in common:
            continue
        if info.is_required():
            shown.append(f"{name} (required)")
            continue
        default = info.default
        text = str(default).lower() if isinstance(default, bool) else str(default)
        meaning = f" ({none_means[name]})" if default is None and name in none_means else ""
        shown.append(f"{name}={text}{meaning}")
    return shown


def pack(items: list[str], width: int | None, first: str, indent: str) -> list[str]:
    """`items`, comma-separated, in lines of at most `width` (None: one line), broken only
    between items; continuation lines start with `indent`."""
    from cnncalc.fit import wrap

    lines = [first]
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        line = lines[-1]
        fresh = line == (first if len(lines) == 1 else indent)
        joined = line + ("" if fresh else " ") + piece
        if width is None or len(joined) <= width:
            lines[-1] = joined
        elif fresh:  # an item wider than the whole line: wrapped at its spaces
            lines[-1:] = wrap(piece, width, indent, first=line)
        else:
            lines += wrap(piece, width, indent, first=indent)
    return lines


def render(kinds: dict[str, type[Layer]], common: set[str], width: int | None = None) -> str:
    from cnncalc.fit import wrap

    indent = " " * (NAME_WIDTH + 1)
    lines = []
    for kind, cls in kinds.items():
        lines += [line.rstrip() for line in wrap(description(cls), width, indent, first=f"{kind:<{NAME_WIDTH}} ")]
        own = fields(cls, common)
        if own:
            lines += pack(own, width, indent, indent)
    return "\n".join(lines) + "\n" if lines else ""
