"""One module per command: each parses its own options into `Options`, calls the library and
returns an `Emission` for `cnncalc.emit`; none prints or exits but through `emit`.

The helpers here are where a command's spec becomes a trace and its analysis: resolved
(`zoo.locate`), loaded and propagated (`traced`), then analysed (`analysed`: claims, PyTorch's
check, a preset's counts); an unusable spec exits 2 with its diagnostics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc import emit

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis
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


def analysed(
    trace: Trace, options: Options, *, claims: bool = True, strict: bool = True, verify: bool = False
) -> Analysis:
    """`trace`'s analysis at `options` (cnncalc.analysis.analyse); exit 2 for a claim about
    no layer, where PyTorch cannot run (no torch, no CUDA), or where `--count`'s preset has
    no number for this network."""
    from cnncalc.analysis import analyse

    try:
        with emit.spec_errors():
            return analyse(trace, options, claims=claims, strict=strict, verify=verify)
    except Exception as exc:
        # Their modules only where asked for: the plain path imports neither.
        if verify:
            from cnncalc.verify import VerifyUnavailable

            if isinstance(exc, VerifyUnavailable):
                emit.unusable(f"cnncalc: {exc}")
        if options.count is not None:
            from cnncalc.conventions.compare import RecountError

            if isinstance(exc, RecountError):
                emit.unusable(f"{trace.path}:1:1: --count {options.count}: {exc}")
        raise
