"""`cnncalc draw`: a diagram of a spec's layers, in any drawing format."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Annotated

from cnncalc import emit
from cnncalc.commands import analysed, traced
from cnncalc.emit import Emission
from cnncalc.options import (
    Layout,
    LayoutOption,
    Options,
    RankDir,
    SpecArgument,
    depth_option,
    enum_option,
    format_option,
    output_option,
)

FORMAT = (
    "dot, mermaid, svg, png, pdf (these three need Graphviz) or html (the SVG and the table in "
    "one page); default: from -o's suffix, else dot."
)


def draw(
    spec: SpecArgument,
    output_format: Annotated[str | None, format_option("drawing", FORMAT)] = None,
    output: Annotated[str | None, output_option("Write the diagram here, not stdout.")] = None,
    depth: Annotated[int | None, depth_option("Draw blocks nested deeper than this as one box each.")] = None,
    rankdir: Annotated[RankDir, enum_option(RankDir, "Top to bottom or left to right.")] = RankDir.TB,
    layout: LayoutOption = Layout.hwc,
) -> Emission:
    """Draw a spec's layers with their shapes, parameters and MACs.

    Every layer a box, shaded by its share of the MACs.
    """
    from cnncalc.draw import DrawUnavailable
    from cnncalc.draw.graph import depth_hint
    from cnncalc.output import SUFFIXES, format_named
    from cnncalc.report import View

    chosen = output_format or format_named("drawing", output)
    if chosen is None:
        # Never DOT text in a file whose name says something else (x.png, x.jpg): refuse.
        known = ", ".join(SUFFIXES["drawing"])
        emit.unusable(
            f"cnncalc draw: cannot tell a format from the name {output} (known suffixes: {known}); "
            "name one with --format"
        )
    options = Options(format=chosen, output=output, batch=1, layout=layout.value, depth=depth)
    path, trace = traced(spec, options)  # a drawing's figures are per sample
    trace = replace(trace, path=shared_name(spec))
    # The page marks the claims; `table` and `check` report claims about no layer.
    analysis = analysed(trace, options, strict=False)
    view = View(layout=options.layout, depth=options.depth)
    try:
        text = emit.rendered("drawing", options.format, analysis, view, rankdir.value)
    except DrawUnavailable as exc:
        emit.unusable(f"cnncalc draw: {exc}")
    hint = depth_hint(analysis, view)
    if hint is not None:
        emit.note(f"cnncalc draw: note: {hint}")
    if options.format == "mermaid":
        from cnncalc.draw.mermaid import over_limits

        over = over_limits(text)
        if over is not None:
            emit.note(f"cnncalc draw: note: Mermaid (and GitHub) will not draw {over}: draw it with --depth")
    return Emission(None, options.format, (text,), output=output, inputs=[spec, path], command="cnncalc draw")


def shared_name(spec: str) -> str:
    """A page is shared: it names the spec as given, never by an absolute path of this machine."""
    if not os.path.isabs(spec):
        return spec
    inside = os.path.relpath(spec) if os.path.splitdrive(spec)[0] == os.path.splitdrive(os.getcwd())[0] else ".."
    return os.path.basename(spec) if inside.startswith("..") else inside
