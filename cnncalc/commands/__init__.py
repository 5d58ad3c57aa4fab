"""One module per command: each parses its own options into `Options`, calls the library and
returns an `Emission` for `cnncalc.emit`; none prints or exits but through `emit`.

The helpers here are where a command's spec becomes a trace: resolved (`zoo.locate`),
loaded, propagated and, with `--count`, recounted; an unusable spec exits 2 with its
diagnostics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnncalc import emit

if TYPE_CHECKING:
    from cnncalc.engine import Trace
    from cnncalc.options import Options


def resolved(spec: str, command: str = "table") -> str:
    """The path of `spec`, a file or a bundled spec's name; exit 2 when it is neither."""
    from cnncalc import zoo

    with emit.spec_errors():
        return zoo.locate(spec, command)


def traced(spec: str, options: Options) -> tuple[str, Trace]:
    """`spec`'s path and its trace at `options`' batch and dtype; exit 2 if it is unusable."""
    from cnncalc.engine import propagate
    from cnncalc.spec import load_spec

    path = resolved(spec)
    with emit.spec_errors():
        return path, propagate(load_spec(path), path, batch=options.batch, dtype=options.dtype)


def recounted(trace: Trace, name: str) -> tuple[Trace, dict[str, Any]]:
    """`trace` with a preset's numbers, and what a report says of them (the convention line,
    the preset, the trace uncounted); exit 2 where the preset has no number for this network."""
    from cnncalc.conventions.compare import RecountError, convention, recount
    from cnncalc.conventions.registry import get

    preset = get(name)
    try:
        counted = recount(trace, preset)
    except RecountError as exc:
        emit.unusable(f"{trace.path}:1:1: --count {name}: {exc}")
    return counted, {"convention": convention(preset), "count": name, "uncounted": trace}
