"""The command line's own surface: help (`-h` and `--help`), what each value is called in
it, the order of the commands, and the messages of option errors."""

from __future__ import annotations

import re

import pytest
from helpers import wide_cli

COMMANDS = ["table", "check", "diff", "draw", "import", "verify", "counters", "zoo", "layers", "rules", "schema"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["app", *COMMANDS])
def test_h_is_help(command: list[str]) -> None:
    long = wide_cli(*command, "--help")
    short = wide_cli(*command, "-h")
    assert short == long and short[0] == 0, short
    assert "-h, --help" in short[1]


def test_commands_are_listed_most_used_first() -> None:
    _, out, _ = wide_cli("--help")
    listed = re.findall(r"^  (\w+)  ", out.split("Commands:", 1)[1], re.MULTILINE)
    assert listed == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_values_as_a_person_would(command: str) -> None:
    _, out, _ = wide_cli(command, "--help")
    # Type names (`<str>`, `<list[str]>`, `<int range>`) or a parameter's Python name.
    for leak in ("<str>", "<list", "<int", "{", "list[str]", "<hwc"):
        assert leak not in out, (leak, out)


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("table", "Usage: cnncalc table [OPTIONS] SPEC\n"),
        ("check", "Usage: cnncalc check [OPTIONS] PATH...\n"),
        ("diff", "Usage: cnncalc diff [OPTIONS] OLD NEW\n"),
        ("verify", "Usage: cnncalc verify [OPTIONS] SPEC...\n"),
        ("zoo", "Usage: cnncalc zoo [OPTIONS]\n"),
    ],
)
def test_usage_lines(command: str, usage: str) -> None:
    assert wide_cli(command, "--help")[1].startswith(usage)


def test_option_metavars() -> None:
    from cnncalc.output import formats

    TABLE_FORMATS, FINDING_FORMATS, DIFF_FORMATS = formats("trace"), formats("findings"), formats("diff")

    table = wide_cli("table", "--help")[1]
    assert f"-f, --format [{'|'.join(TABLE_FORMATS)}]" in table
    assert "--dtype [float32|float16|bfloat16|int8]" in table
    assert "--layout [hwc|chw]" in table and "--batch N" in table and "--depth N" in table
    assert "--device [auto|cuda|cpu|meta]" in table
    check = wide_cli("check", "--help")[1]
    assert f"-f, --format [{'|'.join(FINDING_FORMATS)}]" in check
    assert "--select CODES" in check and "--ignore CODES" in check and "-o, --output FILE" in check
    diff = wide_cli("diff", "--help")[1]
    assert f"-f, --format [{'|'.join(DIFF_FORMATS)}]" in diff and "--fail-on METRIC:+AMOUNT" in diff
    verify = wide_cli("verify", "--help")[1]
    assert "--against SOURCE" in verify and "--arg NAME=VALUE" in verify and "-f, --format [text|json]" in verify


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["table", "lenet", "--dtype", "fp64"], "'fp64' is not one of float32, float16, bfloat16, int8"),
        (["diff", "lenet", "lenet", "--dtype", "double"], "'double' is not one of float32, float16, bfloat16, int8"),
        (["table", "lenet", "--layout", "whc"], "'whc' is not one of hwc, chw"),
        (["table", "lenet", "--device", "gpu"], "'gpu' is not one of auto, cuda, cpu, meta"),
        (["verify", "lenet", "--format", "sarif"], "'sarif' is not one of text, json"),
        (["table", "lenet", "--batch", "0"], "0 is less than 1"),
        (["table", "lenet", "--batch", "two"], "'two' is not a whole number"),
        (["table", "lenet", "--depth", "-1"], "-1 is less than 0"),
    ],
)
def test_option_errors_are_plain(args: list[str], says: str) -> None:
    code, out, err = wide_cli(*args)
    assert code == 2 and out == ""
    assert says in err, err
    assert "Value error" not in err and "Input should" not in err and "Traceback" not in err


def test_a_near_miss_is_suggested() -> None:
    _, _, err = wide_cli("table", "lenet", "--dtype", "float61")
    assert "did you mean 'float16'?" in err
