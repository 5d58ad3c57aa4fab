"""A spec written by `cnncalc import` that no longer matches its source.

A spec that says `imported: {source: config.json, tokens: 128}` is imported again from
its source (a Hugging Face config, read as JSON data: nothing is executed), and the two
versions' totals and layers are compared: parameters, buffers, MACs and every named
layer's output shape. A difference means the config changed after the spec was written
(or the spec was edited by hand): run `cnncalc import` again. The source is found
relative to the spec's folder.

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
from cnncalc.rules import Context, Rule
from cnncalc.spec.loader import mark_of

RULE = Rule("CNC122", "import-drift", "error")

SHOWN_LAYERS = 3  # layers named in one finding; the rest are counted


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None or ctx.spec is None or ctx.spec.imported is None:
        return
    raw = ctx.raw.get("imported") if isinstance(ctx.raw, dict) else None
    mark = mark_of(raw, "source") or mark_of(ctx.raw, "imported")
    imported = ctx.spec.imported
    source = Path(ctx.path).parent / imported.source
    try:
        fresh = _reimport(str(source), imported.tokens)
    except SpecError as error:
        reason = error.diagnostics[0].message if error.diagnostics else str(error)
        yield RULE.at(ctx, mark, f"cannot import '{imported.source}' again: {reason}", "imported")
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


def _reimport(source: str, tokens: int | None) -> Trace:
    """The trace of the spec `cnncalc import` writes from `source` today."""
    from cnncalc.commands.import_ import read_config
    from cnncalc.engine import propagate
    from cnncalc.importers.hf_config import DEFAULT_TOKENS, spec_from_config
    from cnncalc.spec import loads_spec

    path, text = read_config(source)
    written = spec_from_config(text, path, tokens or DEFAULT_TOKENS)
    return propagate(loads_spec(written, path), path)


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
