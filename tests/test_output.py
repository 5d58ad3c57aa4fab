"""cnncalc.output: one registry of renderers, by what is rendered and format name."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from cnncalc.output import RENDERERS, UnknownFormat, check_format, formats, renderer

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("what", "name"), [(w, n) for w, names in RENDERERS.items() for n in names])
def test_every_registered_renderer_exists(what: str, name: str) -> None:
    module, function = RENDERERS[what][name].split(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_the_cli_offers_exactly_the_registered_formats() -> None:
    assert formats("trace") == ["table", "json", "csv", "markdown"]
    assert formats("findings") == ["text", "json", "sarif", "junit", "github"]
    assert formats("diff") == ["table", "json", "markdown"]
    assert formats("verification") == ["text", "json"]
    for what, command in (("trace", "table"), ("findings", "check"), ("diff", "diff"), ("verification", "verify")):
        args = [command, "specs/lenet.yaml", *(["specs/lenet.yaml"] if command == "diff" else []), "-f", "yaml"]
        done = subprocess.run(
            [sys.executable, "-m", "cnncalc", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
        )
        assert done.returncode == 2 and f"'yaml' is not one of {', '.join(formats(what))}" in done.stderr  # type: ignore[arg-type]


def test_an_unknown_format_names_the_choices() -> None:
    with pytest.raises(UnknownFormat, match="'svg' is not one of table, json, csv, markdown"):
        check_format("trace", "svg")
    with pytest.raises(UnknownFormat):
        renderer("findings", "table")


def test_the_verification_formats_render_nothing_checked() -> None:
    assert "".join(renderer("verification", "json")([], "hwc")) == "[]\n"
    assert "".join(renderer("verification", "text")([], "hwc")) == ""


def test_json_output_imports_no_other_renderer() -> None:
    program = (
        "import sys\n"
        "from cnncalc.cli import main\n"
        "sys.argv = ['cnncalc', 'table', 'specs/lenet.yaml', '-f', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('cnncalc.report.', 'cnncalc.findings.', 'rich'))),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "['cnncalc.report.json_report']"
