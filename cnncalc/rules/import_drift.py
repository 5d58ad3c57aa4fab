"""A spec written by `cnncalc import` that no longer matches its source.

A spec that says `imported: {source: config.json, tokens: 128}` is imported again from
its source, and the two versions' totals and layers are compared: parameters, buffers,
MACs, the output and every layer's shape and parameters. A difference means the source
changed after the spec was written (or the spec was edited by hand): run `cnncalc import`
again. A file is found relative to the spec's folder. A Hugging Face config is JSON data:
nothing is executed. PyTorch code (`{source: package.module:callable, shape: 3x224x224}`)
is imported again only where pyproject.toml says `run-imports = true` under
`[tool.cnncalc]`, since importing runs that code (CNC123 says when it is not).

PASS:

    name: small
    input: {features: 100}
    layers:
      - {type: dense, units: 10}

FAIL:

    name: drifted
    input: {l: 128}
    imported: {source: no_such_config.json}
    layers:
      - {type: embedding, vocab: 100, width: 16}
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cnncalc.engine import Node, Trace
from cnncalc.errors import SpecError
from cnncalc.findings import Finding
from cnncalc.importers import is_code_source
from cnncalc.rules import Context, Rule
from cnncalc.spec.loader import mark_of
from cnncalc.spec.model import Imported

RULE = Rule("CNC122", "import-drift", "error")

SHOWN_LAYERS = 3  # layers named in one finding; the rest are counted


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None or ctx.spec is None or ctx.spec.imported is None:
        return
    raw = ctx.raw.get("imported") if isinstance(ctx.raw, dict) else None
    mark = mark_of(raw, "source") or mark_of(ctx.raw, "imported")
    imported = ctx.spec.imported
    code = is_code_source(imported.source)
    if code and not ctx.run_imports:
        return  # CNC123 says so
    try:
        fresh = _reimport_code(ctx.path, imported) if code else _reimport_config(ctx.path, imported)
    except SpecError as error:
        reason = error.diagnostics[0].message if error.diagnostics else str(error)
        yield RULE.at(ctx, mark, f"cannot import '{imported.source}' again: {reason}", "imported")
        return
    except ReimportError as error:
        yield RULE.at(ctx, mark, f"cannot import '{imported.source}' again: {error}", "imported")
        return
    differences = _differences(ctx.trace, fresh)
    if differences:
        yield RULE.at(
            ctx,
            mark,
            f"the spec differs from what '{imported.source}' imports to now: {'; '.join(differences)} "
            "(run `cnncalc import` again)",
            "imported",
        )


class ReimportError(Exception):
    """The source could not be imported again: the reason."""


def _reimport_config(spec_path: str, imported: Imported) -> Trace:
    """The trace of the spec `cnncalc import` writes today from a config."""
    from cnncalc.commands.import_ import read_config
    from cnncalc.engine import propagate
    from cnncalc.importers.hf_config import DEFAULT_TOKENS, spec_from_config
    from cnncalc.spec import loads_spec

    path, text = read_config(str(Path(spec_path).parent / imported.source))
    written = spec_from_config(text, path, imported.tokens or DEFAULT_TOKENS)
    return propagate(loads_spec(written, path), path)


def _reimport_code(spec_path: str, imported: Imported) -> Trace:
    """The trace of the spec `cnncalc import` writes today from PyTorch code (a file is
    found relative to the spec's folder; a module as `python -m` finds it)."""
    from cnncalc.engine import propagate
    from cnncalc.spec import loads_spec

    try:
        from cnncalc.importers.torch_code import ImportFailed, ImportGaps, import_source
        from cnncalc.verify import VerifyUnavailable, import_torch

        import_torch()
    except (ImportError, VerifyUnavailable) as error:
        raise ReimportError(f"PyTorch is needed: {error}") from None
    module, _, attr = imported.source.rpartition(":")
    source = f"{Path(spec_path).parent / module}:{attr}" if module.endswith(".py") else imported.source
    shape = tuple(int(size) for size in imported.shape.split("x")) if imported.shape else None
    try:
        inputs = {name: dict(dims) for name, dims in imported.inputs.items()} or None
        written = import_source(source, shape, imported.tokens, dict(imported.args), inputs)
    except ImportGaps as gaps:
        raise ReimportError(f"{len(gaps.gaps)} op(s) have no layer kind now, the first {gaps.gaps[0]}") from None
    except ImportFailed as error:
        raise ReimportError(str(error)) from None
    return propagate(loads_spec(written, source), source)


def _differences(spec: Trace, fresh: Trace) -> list[str]:
    """What differs between the spec's trace and the fresh import's, in a few words each."""
    from cnncalc.figures import totals

    found = []
    mine, theirs = totals(spec), totals(fresh)
    for what, here, there in (
        ("params", mine.params.total, theirs.params.total),
        ("buffers", mine.params.buffers, theirs.params.buffers),
        ("MACs", mine.macs, theirs.macs),
    ):
        if here != there:
            found.append(f"{what} {here:,} here, {there:,} from the source")
    if spec.nodes[-1].output != fresh.nodes[-1].output:
        found.append(f"output {_shape(spec.nodes[-1])} here, {_shape(fresh.nodes[-1])} from the source")
    layers = _layer_differences(spec, fresh)
    if layers:
        more = len(layers) - SHOWN_LAYERS
        found.append("layers " + ", ".join(layers[:SHOWN_LAYERS]) + (f" and {more} more" if more > 0 else ""))
    return found


def _layer_differences(spec: Trace, fresh: Trace) -> list[str]:
    """The layers, by label, whose shape or parameters differ, or that only one side has."""
    from cnncalc.diff import match

    changed = []
    for old, new in match(fresh, spec):
        if old is None or new is None:
            node = old or new
            assert node is not None
            side = "the source" if new is None else "the spec"
            changed.append(f"'{_label(fresh if new is None else spec, node)}' (only in {side})")
        elif old.output != new.output:
            changed.append(f"'{_label(spec, new)}' ({_shape(new)} here, {_shape(old)} from the source)")
        elif old.params != new.params:
            changed.append(
                f"'{_label(spec, new)}' ({new.params.total:,} params here, {old.params.total:,} from the source)"
            )
    return changed


def _label(trace: Trace, node: Node) -> str:
    return trace.labels[node.index]


def _shape(node: Node) -> str:
    return "x".join(str(size) for size in node.output)
