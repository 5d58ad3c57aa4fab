"""Diagrams of a propagated spec: `cnncalc draw`. `graph.py` turns an Analysis, seen in a View, into boxes,
arrows and clusters at a depth; one module per format only writes them out.

Each format's renderer is listed in `cnncalc.output` ("drawing"), imported only when chosen
(the plain `table` path imports none of this package).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis
    from cnncalc.report import View

# (analysis, view, rankdir) -> text, or a picture's bytes
Drawer = Callable[["Analysis", "View", str], "str | bytes"]


class DrawUnavailable(Exception):
    """A format needs a program that is not installed (exit 2)."""


def drawer(name: str) -> Drawer:
    from cnncalc.output import renderer

    return renderer("drawing", name)
