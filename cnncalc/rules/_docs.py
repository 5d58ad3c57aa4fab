"""What `cnncalc rules` prints: the one-line-a-rule list, and docs/rules.md, generated from
the rule modules' docstrings (`cnncalc rules --markdown`)."""

from __future__ import annotations

from cnncalc.rules import rules

HEADER = """# Rules

Generated from the rule modules' docstrings by `cnncalc rules --markdown > docs/rules.md`;
edit the docstrings in `cnncalc/rules/`, not this file.

Each rule has a stable code, a name and a default level. `error` findings make
`cnncalc check` exit 1; `warning` and `info` findings are shown but do not fail it.
Select, ignore or re-level rules in `[tool.cnncalc]` of `pyproject.toml` or on the
command line (`--select`, `--ignore`); silence one finding with a YAML comment on the
line it points at, `# cnncalc: ignore[CNC104]`, or a whole file with
`# cnncalc: ignore-file` (or `ignore-file[CNC110]`).
"""


def listing(width: int | None = None) -> str:
    """Code, name, default level and what each rule finds, one line each; within `width`
    (a terminal's) what it finds wraps under its own column."""
    from cnncalc.fit import wrap

    lines = []
    for code, module in rules().items():
        first = f"{code}  {module.rule.name:<26} {module.rule.level:<8} "
        lines += [line.rstrip() for line in wrap(module.summary, width, " " * len(first), first=first)]
    return "\n".join(lines) + "\n"


def markdown() -> str:
    parts = [HEADER, "| code | name | level | what it finds |", "|---|---|---|---|"]
    for code, module in rules().items():
        anchor = f"{code.lower()}-{module.rule.name}"
        parts.append(f"| [{code}](#{anchor}) | {module.rule.name} | {module.rule.level} | {module.summary} |")
    for code, module in rules().items():
        parts += ["", f"## {code} {module.rule.name}", "", f"Level: {module.rule.level}.", "", module.summary]
        if module.description():
            parts += ["", module.description()]
        for heading, word in (("PASS", "Passes"), ("FAIL", "Fails")):
            example = module.section(heading)
            if example:
                parts += ["", f"{word}:", "", "```yaml", example.rstrip("\n"), "```"]
    return "\n".join(parts) + "\n"
