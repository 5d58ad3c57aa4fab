"""The command line: the list of commands. Each is a module of `cnncalc.commands` that
parses its options and returns what to emit; `cnncalc.emit` renders it, writes it and
picks the exit code (0 success, 1 findings, 2 unusable input or usage, 3 a bug)."""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from cnncalc import __version__
from cnncalc.commands import check, counters, diff, draw, import_, listings, table, verify
from cnncalc.emit import EXIT_BUG, Emission, emit

# The commands in `cnncalc --help`, most used first (typer lists them as defined).
COMMAND_ORDER = ("table", "check", "diff", "draw", "import", "verify", "counters", "zoo", "layers", "rules", "schema")


class _Commands(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: COMMAND_ORDER.index(n) if n in COMMAND_ORDER else len(COMMAND_ORDER))


class _Command(TyperCommand):
    """A command whose help names each argument by its metavar alone: `table [OPTIONS] SPEC`
    and `SPEC  A spec file...`, where typer writes `{spec}` and `SPEC <str>`."""

    def get_short_help_str(self, limit: int = 45) -> str:
        """The docstring's first paragraph, whole, for `cnncalc --help`: click would cut it at
        `limit` mid-sentence; each command's is one short sentence, wrapped if need be."""
        return " ".join((self.help or "").split("\n\n")[0].split())

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            named = isinstance(param, TyperArgument) and param.metavar
            pieces += [str(param.metavar)] if named else param.get_usage_pieces(ctx)
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((str(param.metavar), record[1]) if param.metavar else record)
            else:
                options.append(record)
        for heading, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(heading):
                    formatter.write_dl(records)


app = typer.Typer(
    name="cnncalc",
    help="Exact shapes, parameters and MACs of neural networks from a YAML spec; no framework needed.",
    cls=_Commands,
    # inherited by every command; up to 100 columns, so that `counters` leaves room for whole summaries
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """cnncalc: a static, exact shape and parameter calculator for neural networks."""


def _emitting(command: Callable[..., Emission]) -> Callable[..., None]:
    """`command` as typer calls it: what it returns goes out through `cnncalc.emit`."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        emit(command(*args, **kwargs))

    return run


for name, command in (
    ("table", table.table),
    ("counters", counters.counters),
    ("verify", verify.verify),
    ("layers", listings.layers),
    ("zoo", listings.zoo),
    ("check", check.check),
    ("rules", listings.rules),
    ("schema", listings.schema),
    ("diff", diff.diff),
    ("draw", draw.draw),
    ("import", import_.import_),
):
    app.command(name, cls=_Command)(_emitting(command))


def _without_pydantic_plugins() -> None:
    """Run without pydantic plugins, as PYDANTIC_DISABLE_PLUGINS=__all__ would, and without
    importing their loader: it imports importlib.metadata and scans every installed
    distribution for them, a tenth of a small run's time. cnncalc's models use none."""
    if "pydantic.plugin._loader" not in sys.modules:
        import types

        def get_plugins() -> tuple[()]:
            return ()

        loader = types.ModuleType("pydantic.plugin._loader")
        loader.get_plugins = get_plugins  # type: ignore[attr-defined]
        sys.modules["pydantic.plugin._loader"] = loader


def main() -> None:
    # A short-lived process that builds large acyclic structures: the cyclic garbage
    # collector only costs time here (20-25% on a 100,000-layer spec).
    gc.disable()
    _without_pydantic_plugins()
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, never a traceback
        print(f"cnncalc: internal error: {type(exc).__name__}: {exc} (please report it)", file=sys.stderr)
        sys.exit(EXIT_BUG)
