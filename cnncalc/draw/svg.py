"""SVG, PNG and PDF, drawn by Graphviz's `dot` from the DOT output (Debian's `graphviz` package)."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from cnncalc.draw import DrawUnavailable
from cnncalc.draw import dot as dot_format
from cnncalc.report import View

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis

INSTALL = "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)"


def render(analysis: Analysis, view: View, rankdir: str = "TB") -> str:
    return to_svg(dot_format.render(analysis, view, rankdir))


def png(analysis: Analysis, view: View, rankdir: str = "TB") -> bytes:
    return graphviz(dot_format.render(analysis, view, rankdir), "png")


def pdf(analysis: Analysis, view: View, rankdir: str = "TB") -> bytes:
    return graphviz(dot_format.render(analysis, view, rankdir), "pdf")


def to_svg(dot_text: str) -> str:
    """`dot -Tsvg`; DrawUnavailable when it is not installed or fails."""
    return graphviz(dot_text, "svg").decode("utf-8")


def graphviz(dot_text: str, output_format: str) -> bytes:
    """`dot -T<format>` on `dot_text`, run directly (no shell); DrawUnavailable when it is not
    installed or fails, so that nothing half drawn is ever written."""
    program = shutil.which("dot")
    if program is None:
        raise DrawUnavailable(
            f"{output_format.upper()} needs Graphviz's `dot`, which is not on PATH: {INSTALL}, or use --format dot"
        )
    done = subprocess.run(
        [program, f"-T{output_format}"], input=dot_text.encode("utf-8"), capture_output=True, check=False, timeout=300
    )
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DrawUnavailable(f"Graphviz's dot failed (exit {done.returncode}): {why[0] if why else 'no message'}")
    return done.stdout
