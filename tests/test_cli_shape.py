"""The command line's shape, bounded by counts: cli.py is the list of commands, each command
a module of cnncalc/commands of short functions, and only cnncalc/emit.py exits."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cnncalc"
COMMAND_FILES = [PACKAGE / "cli.py", *sorted((PACKAGE / "commands").glob("*.py"))]


def functions(path: Path) -> list[ast.FunctionDef]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)]


def test_cli_is_the_list_of_commands() -> None:
    assert len((PACKAGE / "cli.py").read_text().splitlines()) < 250


def test_no_command_function_is_long() -> None:
    # Signature and body together: a command's flags come from cnncalc/options.py.
    long = {
        f"{path.name}:{node.name}": node.end_lineno - node.lineno + 1  # type: ignore[operator]
        for path in COMMAND_FILES
        for node in functions(path)
        if node.end_lineno - node.lineno + 1 > 60  # type: ignore[operator]
    }
    assert not long, long


def test_only_emit_exits_or_prints() -> None:
    # typer.Exit and print() live in cnncalc/emit.py (and cli.py's --version and main()).
    for path in COMMAND_FILES[1:]:
        text = path.read_text()
        assert "typer.Exit" not in text and "print(" not in text and "sys.stdout" not in text, path.name
    assert (PACKAGE / "cli.py").read_text().count("typer.Exit") == 1
