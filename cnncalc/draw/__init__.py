"""Diagrams of a propagated spec: `cnncalc draw`. `graph.py` turns a Report into boxes,
arrows and clusters at a depth; one module per format only writes them out.

Each format's renderer is listed in `cnncalc.output` ("drawing"), imported only when chosen
(the plain `table` path imports none of this package).
"""

from __future__ import annotations

from collections.abc import Callable

from cnncalc.report import Report

Drawer = Callable[[Report, str], "str | bytes"]  # (report, rankdir) -> text, or a picture's bytes


class DrawUnavailable(Exception):
    """A format needs a program that is not installed (exit 2)."""


def drawer(name: str) -> Drawer:
    from cnncalc.output import renderer

    return renderer("drawing", name)
