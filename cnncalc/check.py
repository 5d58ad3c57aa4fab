"""`cnncalc check`: files and folders -> findings, with configuration and suppressions.

Every file is loaded, validated, propagated and passed through every selected rule;
a file that fails at any stage gives findings, never an exception, and the next file
is checked all the same. Nothing here writes to a file it reads.

Folders are searched recursively for `*.yaml` and `*.yml` files that look like specs
(a top-level `layers:` key at the start of a line), skipping hidden folders; files named
on the command line are always checked, and a named folder without a spec is an error
(unless `specs_only`, for pre-commit, which skips both).

Configuration, from `[tool.cnncalc]` in the nearest pyproject.toml:

    [tool.cnncalc]
    select = ["CNC"]            # code prefixes or rule names to run (default: all)
    ignore = ["CNC104"]         # code prefixes or rule names to skip
    include = ["**/*.yaml", "**/*.yml"]   # patterns searched for in folders
    exclude = ["build/**"]      # patterns (relative to the folder) to skip
    [tool.cnncalc.levels]
    CNC104 = "error"            # error, warning, info or off
    [tool.cnncalc.limits]
    params = "25M"              # default limits for specs without their own
    count = "fvcore"            # measured as this tool counts (where a spec's limits name none)
    [tool.cnncalc]
    run-imports = true          # import specs' PyTorch code again (it runs that code) for CNC122

Suppressions, as YAML comments: `# cnncalc: ignore[CNC104]` (or `ignore[CNC104,CNC106]`,
or a bare `ignore` for every code) on the line a finding points at; `# cnncalc:
ignore-file` or `ignore-file[CNC110]` anywhere in the file.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnncalc.errors import SpecError
from cnncalc.findings import LEVELS, CheckResult, Finding
from cnncalc.rules import Context, Failure, RuleModule, rules

if TYPE_CHECKING:
    from cnncalc.spec.model import Spec

INTERNAL = ("CNC000", "internal-error")
DEFAULT_INCLUDE = ("**/*.yaml", "**/*.yml")
_SPEC_LIKE = re.compile(rb"^layers\s*:", re.MULTILINE)
_SUPPRESS = re.compile(r"#\s*cnncalc:\s*(ignore-file|ignore)\b(?:\[([^\]]*)\])?")


class UsageError(Exception):
    """An unusable invocation: a missing path, a bad option or configuration (exit 2)."""


class PathError(UsageError):
    """A usage error about one file, shown as `path:line:col: message` (1-based), or as
    `path: message` (line None) when it is about the file as a whole: none there, a folder."""

    def __init__(self, path: str | Path, message: str, line: int | None = 1, col: int = 1) -> None:
        super().__init__(f"{path}: {message}" if line is None else f"{path}:{line}:{col}: {message}")


@dataclass
class Config:
    """What to check and how; pyproject.toml's `[tool.cnncalc]`, then command-line options."""

    select: list[str] = field(default_factory=lambda: ["CNC"])
    ignore: list[str] = field(default_factory=list)
    levels: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    count: str | None = None  # the preset limits are measured by where a spec's name none
    include: list[str] = field(default_factory=lambda: list(DEFAULT_INCLUDE))
    exclude: list[str] = field(default_factory=list)
    specs_only: bool = False
    # Whether CNC122 may import a spec's PyTorch code again, which runs it: the repository
    # says so, never a spec (a spec in a pull request must not run code in CI).
    run_imports: bool = False
    # `--input l=4096`: every spec checked at these input dimensions, its expect: claims not
    # checked there (they are about the spec's own input); its limits: are.
    inputs: dict[str, int] = field(default_factory=dict)
    source: str | None = None  # the pyproject.toml it came from
    warnings: list[str] = field(default_factory=list)

    def _matches(self, patterns: Iterable[str], module: RuleModule) -> bool:
        return any(module.rule.code.startswith(p.upper()) or p == module.rule.name for p in patterns)

    def validate(self) -> None:
        """UsageError for a select or ignore entry that matches no rule (a typo selects nothing)."""
        modules = list(rules().values())
        for key, patterns in (("select", self.select), ("ignore", self.ignore)):
            for p in patterns:
                if not any(self._matches([p], m) for m in modules):
                    raise UsageError(f"{key} {p!r} matches no rule code or name (see cnncalc rules)")

    def level(self, module: RuleModule) -> str | None:
        """The level the rule reports at, or None when it is not run."""
        if not self._matches(self.select, module) or self._matches(self.ignore, module):
            return None
        level = self.levels.get(module.rule.code, self.levels.get(module.rule.name, module.rule.level))
        return None if level == "off" else level


# Configuration.

_KNOWN_KEYS = {
    "select",
    "ignore",
    "levels",
    "limits",
    "include",
    "exclude",
    "specs-only",
    "specs_only",
    "run-imports",
    "run_imports",
}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a `[tool.cnncalc]` table.

    Each candidate that mentions cnncalc is parsed (a broken `[tool.cnncalc` header must
    not pass for "no configuration"); PathError, at its line and column, if it is not TOML.
    One that never mentions cnncalc cannot configure it and is not parsed.
    """
    here = start.resolve()
    for folder in [here, *here.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = candidate.read_bytes()
            except OSError:
                continue
            if b"cnncalc" in data:
                tool = _parse_toml(candidate, data).get("tool")
                if isinstance(tool, dict) and "cnncalc" in tool:
                    return candidate
        if (folder / ".git").exists():
            break  # the repository root: look no further
    return None


_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _parse_toml(path: Path, data: bytes) -> dict[str, Any]:
    """The TOML document in `data`; PathError at the line and column of the first problem."""
    # tomllib is in the standard library from 3.11; tomli is the same parser for 3.10.
    # Imported here: only a run that reads a pyproject.toml pays for it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line, col = before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1
        raise PathError(path, f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded", line, col) from None
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The parser puts the position at the end of its message: "... (at line 4, column 14)".
        message = str(exc)
        found = _TOML_POSITION.search(message)
        if found is None:
            raise PathError(path, f"not valid TOML: {message}") from None
        if found[1] is not None:
            line, col = int(found[1]), int(found[2])
        else:  # at the end of the document
            line, col = text.count("\n") + 1, len(text) - (text.rfind("\n") + 1) + 1
        raise PathError(path, f"not valid TOML: {message[: found.start()]}", line, col) from None
    return document


def _strings(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"[tool.cnncalc] {key} must be a list of strings")
    return list(value)


def load_config(path: Path | None) -> Config:
    """Read `[tool.cnncalc]` from `path`; an empty Config when None."""
    config = Config()
    if path is None:
        return config
    try:
        data = _parse_toml(path, path.read_bytes())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    tool = data.get("tool", {})
    table = tool.get("cnncalc", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.cnncalc] must be a table")
    config.source = str(path)
    for key in table:
        if key not in _KNOWN_KEYS:
            from cnncalc.errors import did_you_mean

            config.warnings.append(f"{path}: unknown key [tool.cnncalc] {key}{did_you_mean(key, sorted(_KNOWN_KEYS))}")
    if "select" in table:
        config.select = _strings(table["select"], "select")
    if "ignore" in table:
        config.ignore = _strings(table["ignore"], "ignore")
    if "include" in table:
        config.include = _strings(table["include"], "include")
    if "exclude" in table:
        config.exclude = _strings(table["exclude"], "exclude")
    config.specs_only = bool(table.get("specs-only", table.get("specs_only", False)))
    run_imports = table.get("run-imports", table.get("run_imports", False))
    if not isinstance(run_imports, bool):
        raise UsageError(f"{path}: [tool.cnncalc] run-imports must be true or false")
    config.run_imports = run_imports
    config.levels = parse_levels(table.get("levels", {}))
    config.limits = parse_limits(table.get("limits", {}), str(path))
    config.count = table["limits"].get("count") if "limits" in table else None  # validated just above
    return config


def parse_levels(levels: Any) -> dict[str, str]:
    if not isinstance(levels, dict):
        raise UsageError("[tool.cnncalc.levels] must map rule codes to error, warning, info or off")
    known = {m.rule.code for m in rules().values()} | {m.rule.name for m in rules().values()}
    out = {}
    for key, level in levels.items():
        if key not in known:
            raise UsageError(f"[tool.cnncalc.levels] {key}: no rule has that code or name")
        if level not in (*LEVELS, "off"):
            raise UsageError(f"[tool.cnncalc.levels] {key} = {level!r}: use error, warning, info or off")
        out[key] = level
    return out


def parse_limits(limits: Any, where: str) -> dict[str, int]:
    """Default limits, validated by the same rules as a spec's `limits:`."""
    from pydantic import ValidationError

    from cnncalc.spec.model import Limits

    if not isinstance(limits, dict):
        raise UsageError(f"{where}: [tool.cnncalc.limits] must be a table")
    try:
        parsed = Limits.model_validate(limits)
        if parsed.train_memory is not None:
            # Its batch and optimizer belong to a network: a spec's limits say them.
            raise UsageError(f"{where}: [tool.cnncalc.limits] train_memory goes in a spec's limits, not a default")
        return parsed.budgets()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"{where}: [tool.cnncalc.limits] {problems}") from None


# Finding the files.


def looks_like_spec(path: Path) -> bool:
    """A top-level `layers:` key: cheap, and true of a spec whose YAML is broken elsewhere."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
    except OSError:
        return True  # let the check report why it cannot be read
    return bool(_SPEC_LIKE.search(head))


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(Path(relative).name, p) for p in patterns)


def _included(relative: str, patterns: Sequence[str]) -> bool:
    # `**/*.yaml` should also match `net.yaml` at the top of the folder.
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(relative, p.removeprefix("**/")) for p in patterns)


def discover(paths: Sequence[str], config: Config) -> list[str]:
    """The spec files to check, in a stable order.

    PathError for a path that does not exist, and for a folder that holds no spec (a typo
    in a CI path must not pass as "no problems in 0 files"), unless `specs_only`.
    """
    from cnncalc.files import dangling

    found: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            before = len(found)
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "node_modules"))
                for name in sorted(files):
                    full = Path(folder) / name
                    relative = full.relative_to(path).as_posix()
                    wanted = _included(relative, config.include) and not _excluded(relative, config.exclude)
                    if wanted and looks_like_spec(full):
                        found.append(str(full))
            if len(found) == before and not config.specs_only:
                patterns = ", ".join(config.include)
                raise PathError(
                    given, f"no spec in this folder: no file matching {patterns} has a top-level `layers:`", None
                )
        elif path.exists():
            if not config.specs_only or looks_like_spec(path):
                found.append(given)
        else:
            raise PathError(given, dangling(given) or "no such file or folder", None)
    return list(dict.fromkeys(found))  # a file named twice is checked once


# Checking one file.


def _failures(error: SpecError, stage: str) -> list[Failure]:
    return [Failure(diagnostic, stage, error.cause, error.kind) for diagnostic in error.diagnostics]


def _suppressions(text: str) -> tuple[set[str] | None, dict[int, set[str] | None]]:
    """(codes ignored in the whole file, codes ignored per line); None means every code."""
    whole: set[str] | None = set()
    lines: dict[int, set[str] | None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if "cnncalc" not in line:
            continue
        for match in _SUPPRESS.finditer(line):
            codes = {c.strip().upper() for c in match[2].split(",") if c.strip()} if match[2] else None
            if match[1] == "ignore-file":
                whole = None if codes is None or whole is None else whole | codes
            else:
                previous = lines.get(number, set())
                lines[number] = None if codes is None or previous is None else previous | codes
    return whole, lines


def _suppressed(finding: Finding, whole: set[str] | None, lines: dict[int, set[str] | None]) -> bool:
    if finding.code == INTERNAL[0]:
        return False
    if whole is None or finding.code in whole:
        return True
    if finding.line in lines:
        codes = lines[finding.line]
        return codes is None or finding.code in codes
    return False


def _read_text(path: str) -> str:
    from cnncalc.spec.loader import MAX_BYTES

    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1).decode("utf-8", errors="replace")
    except OSError:
        return ""


def check_file(path: str, config: Config) -> list[Finding]:
    """Every finding for one file, suppressions and configuration applied; never raises."""
    try:
        return _check_file(path, config)
    except Exception as exc:  # a bug in cnncalc: report it as a finding and go on
        code, name = INTERNAL
        message = f"cnncalc failed on this file: {type(exc).__name__}: {exc} (please report it)"
        return [Finding(code, name, "error", path, 1, 1, message)]


def _check_file(path: str, config: Config) -> list[Finding]:
    from cnncalc.engine import propagate
    from cnncalc.spec import from_data
    from cnncalc.spec.loader import load

    ctx = Context(path, limits=config.limits, count=config.count, run_imports=config.run_imports)
    try:
        ctx.raw = load(path)
        ctx.spec = from_data(ctx.raw, path)
        if config.inputs:
            ctx.spec = _at_inputs(ctx.spec, path, config.inputs)
        try:
            ctx.trace = propagate(ctx.spec, path)
        except SpecError as error:
            if not config.inputs:
                raise
            label = " ".join(f"{k}={v}" for k, v in config.inputs.items())
            raise SpecError(
                [replace(d, message=f"{d.message} (at --input {label})") for d in error.diagnostics]
            ) from None
    except SpecError as error:
        ctx.failures = _failures(error, "load" if ctx.spec is None else "propagate")
    modules = rules()
    owners = [m for m in modules.values() if m.owns is not None]
    for i, failure in enumerate(ctx.failures):
        owner = next((m.rule.code for m in owners if m.owns and m.owns(failure)), "CNC001")
        ctx.owners[i] = owner
    findings: list[Finding] = []
    for module in modules.values():
        level = config.level(module)
        if level is None:
            continue
        try:
            for finding in module.check(ctx):
                findings.append(replace(finding, level=level) if level != finding.level else finding)
        except Exception as exc:  # one broken rule must not hide the others' findings
            code, name = INTERNAL
            rule = f"{module.rule.code} {module.rule.name}"
            message = f"rule {rule} failed: {type(exc).__name__}: {exc} (please report it)"
            findings.append(Finding(code, name, "error", path, 1, 1, message))
    whole, lines = _suppressions(_read_text(path))
    kept = [f for f in findings if not _suppressed(f, whole, lines)]
    return sorted(kept, key=lambda f: (f.line, f.col, f.code))


def _at_inputs(spec: Spec, path: str, inputs: dict[str, int]) -> Spec:
    """`spec` at the `--input` dimensions, without its claims; SpecError at its `input:`
    for a dimension it does not have."""
    from cnncalc.inputs import InputError, resized

    try:
        return resized(spec, path, inputs, expect={})
    except InputError as error:
        raise SpecError.at(path, error.mark, error.message) from None


def check_paths(files: Sequence[str], config: Config, progress: Callable[[str], None] | None = None) -> CheckResult:
    """Check each file in turn; `progress` is called after each one."""
    result = CheckResult(files=list(files))
    for path in files:
        result.findings.extend(check_file(path, config))
        if progress is not None:
            progress(path)
    return result


def progress_bar(total: int) -> tuple[Callable[[str], None] | None, Callable[[], None]]:
    """A rich progress bar on stderr when it is a terminal and the run is long enough."""
    if total <= 20 or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("checking", total=total)
    bar.start()
    return (lambda _path: bar.advance(task)), bar.stop
