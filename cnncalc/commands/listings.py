"""`cnncalc layers`, `zoo`, `rules` and `schema`: what cnncalc knows, listed."""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc import emit
from cnncalc.emit import Emission
from cnncalc.options import WIDE_HELP, wide_option

ZOO_WIDE = WIDE_HELP.format(order="'description' cut to 20, 'input', 'description', 'MACs'", kept="name and params")


def layers(
    names: Annotated[
        list[str] | None, typer.Argument(metavar="[KIND]...", help="Show only these kinds (attention, conv...).")
    ] = None,
) -> Emission:
    """List the layer kinds and their fields.

    Every layer also takes name, from, repeat and when. At a terminal, or with COLUMNS set,
    the list wraps at its width.
    """
    from cnncalc.layers import registry
    from cnncalc.layers.api import Layer

    every = dict(sorted(registry().items()))
    unknown = [name for name in names or [] if name not in every]
    if unknown:
        from cnncalc.errors import did_you_mean

        hint = did_you_mean(unknown[0], list(every))
        emit.usage(f"unknown layer kind '{unknown[0]}' (cnncalc layers lists them){hint}")
    chosen = {kind: every[kind] for kind in dict.fromkeys(names)} if names else every
    return Emission("kinds", "text", (chosen, set(Layer.model_fields)), width=emit.width(False))


def zoo(wide: Annotated[bool, wide_option(ZOO_WIDE)] = False) -> Emission:
    """List the bundled specs, usable by name: `cnncalc table resnet50`."""
    from cnncalc import zoo as bundled

    with emit.spec_errors():
        found = bundled.entries()
    return Emission("zoo", "text", (found, emit.color()), width=emit.width(wide))


def rules(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print docs/rules.md, every rule with examples.")
    ] = False,
) -> Emission:
    """List the lint rules of `cnncalc check`.

    Each rule's code, name, default level and what it finds; at a terminal, or with COLUMNS
    set, wrapped at its width.
    """
    return Emission("rules", "markdown" if markdown else "text", (), width=emit.width(False))


def schema() -> Emission:
    """Print the JSON Schema of the spec format, for editors.

    The same as docs/spec.schema.json, which editors read for completion.
    """
    return Emission("schema", "json", ())
