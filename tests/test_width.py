"""At a terminal the human outputs fit its width; piped, they keep every column unless COLUMNS is set.

Run in a real pseudo-terminal with its window size set, as a person's terminal would be.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (60, 80, 120, 200)
TIMEOUT = 60.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LEFT_OUT = "fitted to "

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    # A person's terminal: colour on, and no COLUMNS exported (the window size says it).
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    return {**env, "TERM": "xterm", "PYTHONPATH": str(ROOT), **(extra or {})}


def in_terminal(columns: int, *args: str) -> tuple[int, list[str]]:
    """Exit code and lines (colour codes removed) of `cnncalc ARGS` in a terminal `columns` wide."""
    import fcntl
    import pty
    import struct
    import termios

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnncalc", *args],
        cwd=ROOT,
        stdin=child,
        stdout=child,
        stderr=child,
        env=_environment(),
    )
    os.close(child)
    chunks = []
    try:
        while True:
            # A hung child must fail the test, not stall the run: no output for TIMEOUT s is a
            # hang (a guard against waiting forever, not a measure of speed).
            ready, _, _ = select.select([main], [], [], TIMEOUT)
            if not ready:
                raise AssertionError(f"cnncalc {' '.join(args)} printed nothing for {TIMEOUT} s")
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
        os.close(main)
    text = ANSI.sub("", b"".join(chunks).decode())
    return code, text.replace("\r\n", "\n").split("\n")


def piped(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_environment({"NO_COLOR": "1", **(env or {})}),
        timeout=TIMEOUT,
    )
    return done.stdout


def longest(lines: list[str]) -> int:
    return max(len(line) for line in lines)


def header_of(lines: list[str], kept: list[str]) -> list[str]:
    """The column headings of the first table whose headings include `kept`."""
    for line in lines:
        headings = re.split(r"\s{2,}", line.strip())
        if all(heading in headings for heading in kept):
            return headings
    raise AssertionError(f"no heading line with {kept}")


# (arguments, headings always kept, texts that stay at every width)
TABLES = {
    "lenet": (
        ("table", "specs/lenet.yaml"),
        ["layer", "output (H, W, C)", "params"],
        # The layers and their parameter counts (LeNet-5: 456, 2,416, 48,120, 10,164, 850; hand-counted in
        # test_core) survive at every width.
        ["CONV1", "POOL1", "CONV2", "POOL2", "FC3", "FC4", "Softmax", "456", "2,416", "48,120", "10,164", "850"],
    ),
    "resnet50": (
        ("table", "resnet50"),
        ["layer", "output (H, W, C)", "params"],
        ["conv1", "fc", "2,049,000"],  # fc: 2048 * 1000 + 1000
    ),
    "zoo": (("zoo",), ["name", "params"], ["lenet", "resnet50", "62,006", "25,557,032"]),
    "sweep": (
        ("table", "gpt2_small", "--input", "l=128,512", "--train", "adam"),
        ["input", "params", "MACs"],
        # GPT-2 small's MACs at 128 tokens: 12 * (4*128*768*768 + 2*128*128*768 + 2*128*768*3072)
        # + 128*768*50257 (test_zoo).
        ["l=128", "l=512", "124,439,808", "16,114,089,984"],
    ),
    "diff": (
        ("diff", "resnet18", "resnet50"),
        ["layer", "status", "Δ params"],
        # fc grows from 512 * 1000 + 1000 to 2048 * 1000 + 1000: +1,536,000.
        ["+1,536,000"],
    ),
}


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_fit_the_terminal(name: str, columns: int) -> None:
    args, kept, texts = TABLES[name]
    whole = piped(*args).splitlines()
    _, lines = in_terminal(columns, *args)
    assert longest(lines) <= columns, [line for line in lines if len(line) > columns]
    shown = header_of(lines, kept)
    for heading in kept:
        assert heading in shown
    text = "\n".join(lines)
    for expected in texts:
        assert expected in text
    # One line a row, as piped: a row is never wrapped onto a second line.
    status = re.compile(r"\s(added|removed|changed)\s")
    assert sum(bool(status.search(line)) for line in lines) == sum(bool(status.search(line)) for line in whole)
    # When a column is left out, one line says which, and how to see them all.
    note = [line for line in lines if line.startswith(LEFT_OUT)]
    header_line = next(line for line in whole if re.split(r"\s{2,}", line.strip()) == header_of(whole, kept))
    if len(shown) < len(header_of(whole, kept)) or len(header_line) > columns:
        assert note and "--wide" in text
        for heading in set(header_of(whole, kept)) - set(shown):
            assert heading in text.split(LEFT_OUT, 1)[1]
    else:
        assert shown == header_of(whole, kept)
    if columns == 200:  # every table here is narrower than 200 columns
        assert shown == header_of(whole, kept) and not note


@pytest.mark.parametrize("name", sorted(TABLES))
def test_wide_shows_every_column_at_a_terminal(name: str) -> None:
    args, kept, _ = TABLES[name]
    _, lines = in_terminal(60, *args, "--wide")
    assert header_of(lines, kept) == header_of(piped(*args).splitlines(), kept)
    assert not any(line.startswith(LEFT_OUT) for line in lines)


@pytest.mark.parametrize("columns", WIDTHS)
def test_check_wraps_long_findings_under_their_location(columns: int) -> None:
    whole = piped("check", "tests/specs").splitlines()
    code, lines = in_terminal(columns, "check", "tests/specs")
    assert code == 1
    lines = [line for line in lines if line]
    assert longest(lines) <= columns
    # Each finding still starts with file:line:col: at the start of a line, for editors; its
    # continuation lines are indented; no word of the message is lost.
    starts = [line for line in lines if re.match(r"tests/specs/\S+:\d+:\d+: CNC\d{3}", line)]
    assert [s.split(" ")[0] for s in starts] == [w.split(" ")[0] for w in whole if w.startswith("tests/")]
    assert " ".join(" ".join(lines).split()) == " ".join(" ".join(whole).split())
    for line in lines:
        assert line.startswith(("tests/specs/", "    ")) or re.match(r"\d+ errors?", line)


def test_check_wide_keeps_one_line_per_finding() -> None:
    _, lines = in_terminal(60, "check", "tests/specs", "--wide")
    assert [line for line in lines if line] == piped("check", "tests/specs").splitlines()


def test_piped_output_keeps_every_column() -> None:
    for args, _, _ in TABLES.values():
        out = piped(*args)
        assert LEFT_OUT not in out
        assert out == piped(*args, "--wide")
    assert piped("check", "tests/specs") == piped("check", "tests/specs", "--wide")


@pytest.mark.parametrize("name", sorted(TABLES))
def test_columns_applies_when_piped(name: str) -> None:
    args, kept, _ = TABLES[name]
    out = piped(*args, env={"COLUMNS": "80"}).splitlines()
    assert longest(out) <= 80
    assert any(line.startswith(LEFT_OUT) for line in out)
    for heading in kept:
        assert heading in header_of(out, kept)


def test_columns_applies_to_check_when_piped() -> None:
    check = piped("check", "tests/specs", env={"COLUMNS": "80"}).splitlines()
    assert longest(check) <= 80


def test_the_drop_order_is_documented_as_applied() -> None:
    from cnncalc.fit import order
    from cnncalc.report import diff, sweep, table, zoo

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert order(table.STEPS) in readme
    assert order(sweep.STEPS) in readme
    for command, steps in (
        ("table", order(table.STEPS)),
        ("zoo", order(zoo.STEPS)),
        ("diff", f"{order(diff.STEPS)}; in the totals {order(diff.TOTAL_STEPS)}"),
    ):
        help_text = " ".join(piped(command, "--help", env={"COLUMNS": "1000"}).split())
        assert steps in help_text, command


def test_steps_apply_in_order_only_as_far_as_needed() -> None:
    from cnncalc.fit import Step, fit

    headers = ["name", "notes", "size", "count"]
    steps = (Step("size"), Step("notes", to=6), Step("notes"), Step("name", to=4))
    # Columns 10 + 20 + 8 + 5 wide, 2 apart: 43 + 6 = 49.
    assert fit(headers, [10, 20, 8, 5], 49, steps).shown == [0, 1, 2, 3]
    assert fit(headers, [10, 20, 8, 5], None, steps).left_out == []
    # 48: leaving out size (8 + 2) is enough; notes stays whole.
    at_48 = fit(headers, [10, 20, 8, 5], 48, steps)
    assert (at_48.shown, at_48.left_out, at_48.shortened) == ([0, 1, 3], ["size"], [])
    # 30: without size 39; notes cut by the 9 over, to 11, not to its floor of 6.
    at_30 = fit(headers, [10, 20, 8, 5], 30, steps)
    assert (at_30.shown, at_30.widths[1], at_30.shortened) == ([0, 1, 3], 11, ["notes"])
    # 20: notes at its floor is not enough (10 + 6 + 5 + 4 = 25), so it goes (10 + 5 + 2 = 17).
    at_20 = fit(headers, [10, 20, 8, 5], 20, steps)
    assert (at_20.shown, at_20.left_out, at_20.shortened) == ([0, 3], ["size", "notes"], [])
    # 12: name is cut by the 5 over, to 5 (its floor, 4, is not needed): 5 + 2 + 5 = 12.
    at_12 = fit(headers, [10, 20, 8, 5], 12, steps)
    assert (at_12.shown, at_12.widths[0], at_12.shortened) == ([0, 3], 5, ["name"])


def test_cut_marks_what_it_removed() -> None:
    from cnncalc.fit import cut

    assert cut("layer1.bottleneck.1", 19) == "layer1.bottleneck.1"
    assert cut("layer1.bottleneck.1", 10) == "layer1.bo…"  # 9 characters and the ellipsis
    assert cut("layer1.bottleneck.1", 10, middle=True) == "laye…eck.1"  # 4 + 1 + 5
    assert cut("    conv#12", 8, middle=True) == "    c…12"  # the nesting stays while 4 remain
    assert cut("      batchnorm#1", 8, middle=True) == "bat…rm#1"  # then the name comes first
