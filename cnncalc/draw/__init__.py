"""Diagrams of a propagated spec: `cnncalc draw`. `graph.py` turns a Report into boxes,
arrows and clusters at a depth; one module per format only writes them out.

`FORMATS` maps a format to its module, imported only when chosen (the plain `table` path
imports none of this package).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from cnncalc.report import Report

FORMATS: dict[str, str] = {
    "dot": "cnncalc.draw.dot",
    "mermaid": "cnncalc.draw.mermaid",
    "svg": "cnncalc.draw.svg",
    "html": "cnncalc.draw.html",
}
# What `-o FILE` implies when --format is not given.
SUFFIXES = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid", ".svg": "svg"}
SUFFIXES |= {".html": "html", ".htm": "html"}

Drawer = Callable[[Report, str], str]  # (report, rankdir) -> text


class DrawUnavailable(Exception):
    """A format needs a program that is not installed (exit 2)."""


def drawer(name: str) -> Drawer:
    draw: Drawer = importlib.import_module(FORMATS[name]).render
    return draw
