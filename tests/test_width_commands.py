"""`counters`, `verify`, `layers`, `rules` and `--help` fit an 80-column terminal, losing no word.

Run in a real pseudo-terminal 80 columns wide (tests/test_width.py's `in_terminal`), as a
person's terminal would be; piped, each keeps its one line per row.
"""

from __future__ import annotations

import re
import sys

import pytest

from tests.needs import needs_module
from tests.test_width import in_terminal, longest, piped

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")

COLUMNS = 80

COMMANDS = {
    "counters lenet": ("counters", "specs/lenet.yaml"),
    "counters llama_tiny": ("counters", "specs/llama_tiny.yaml"),
    "counters bert_base": ("counters", "specs/bert_base.yaml"),
    "layers": ("layers",),
    "layers attention rmsnorm": ("layers", "attention", "rmsnorm"),
    "rules": ("rules",),
}
VERIFY = {
    "verify lenet": ("verify", "specs/lenet.yaml", "--device", "cpu"),
    "verify llama_tiny": ("verify", "specs/llama_tiny.yaml", "--device", "cpu"),
    "verify --memory lenet": ("verify", "specs/lenet.yaml", "--memory", "--device", "cpu"),
}


def _words(text: str) -> list[str]:
    return text.split()


def _fits_and_keeps_every_word(args: tuple[str, ...]) -> list[str]:
    whole = piped(*args)
    code, lines = in_terminal(COLUMNS, *args)
    assert code == 0, lines
    assert longest(lines) <= COLUMNS, [line for line in lines if len(line) > COLUMNS]
    # Wrapped, not cut: the same words in the same order as the piped lines.
    assert _words("\n".join(lines)) == _words(whole)
    # Piped, at least one of these runs past 80 columns on one line (what the terminal fits).
    return whole.splitlines()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_fits_80_columns(name: str) -> None:
    whole = _fits_and_keeps_every_word(COMMANDS[name])
    assert longest(whole) > COLUMNS  # piped, one line a row: the terminal's lines are wrapped ones


@pytest.mark.parametrize("name", sorted(VERIFY))
def test_verify_fits_80_columns(name: str) -> None:
    needs_module("torch")
    whole = _fits_and_keeps_every_word(VERIFY[name])
    assert longest(whole) > COLUMNS


def test_counters_wide_keeps_one_line_per_counter() -> None:
    args = ("counters", "specs/llama_tiny.yaml")
    _, lines = in_terminal(COLUMNS, *args, "--wide")
    assert [line for line in lines if line] == [line for line in piped(*args).splitlines() if line]


def test_counters_rows_start_their_lines_at_80_columns() -> None:
    _, lines = in_terminal(COLUMNS, "counters", "specs/llama_tiny.yaml")
    # Each counter's row starts a line with its name and its count; its why follows, indented.
    for name, count in (("cnncalc", "1,436,549,120"), ("fvcore", "1,402,994,688"), ("keras", "10,963,200")):
        assert any(re.match(rf"{re.escape(name)}\s+{re.escape(count)}\s", line) for line in lines), name


def test_help_lists_each_command_with_a_whole_sentence() -> None:
    from cnncalc.cli import COMMAND_ORDER

    code, lines = in_terminal(COLUMNS, "--help")
    assert code == 0
    assert longest(lines) <= COLUMNS
    listed = lines[next(i for i, line in enumerate(lines) if line == "Commands:") + 1 :]
    for command in COMMAND_ORDER:
        summary = next(line for line in listed if line.split()[:1] == [command])
        said = summary.split(None, 1)[1]
        # One short sentence each, whole: ends with its period, never click's "..." cut.
        assert said.endswith(".") and "..." not in said, summary
        # The same sentence as the command's own help opens with.
        _, own = in_terminal(200, command, "--help")
        assert said in " ".join(" ".join(own).split()), command


def test_layers_shows_only_the_kinds_asked_for() -> None:
    from helpers import run

    shown = run("layers", "attention", "rmsnorm")
    assert shown.returncode == 0, shown.stderr
    kinds = [line.split()[0] for line in shown.stdout.splitlines() if not line.startswith(" ")]
    assert kinds == ["attention", "rmsnorm"]
    assert "heads (required)" in shown.stdout


def test_layers_refuses_an_unknown_kind_with_a_guess() -> None:
    from helpers import run

    refused = run("layers", "atention")
    assert refused.returncode == 2
    assert "'atention'" in refused.stderr and "did you mean 'attention'" in refused.stderr
    assert "Traceback" not in refused.stderr and not refused.stdout


def test_layers_says_what_rmsnorm_eps_none_means() -> None:
    from helpers import run

    # nn.RMSNorm(eps=None) uses torch.finfo(x.dtype).eps: the default must say so, not a bare None.
    out = run("layers", "rmsnorm").stdout
    assert "eps=None (torch.finfo(dtype).eps)" in out


def test_token_id_inputs_are_labelled_as_tokens() -> None:
    from helpers import run

    # BERT-base reads 128 token ids, GPT-2 small 1,024 (their specs' `input: {l: ...}`).
    assert "· input 128 tokens ·" in run("table", "bert_base").stdout.splitlines()[0]
    # An image's title is as it was: H×W×C.
    assert "· input 32×32×3 ·" in run("table", "lenet").stdout.splitlines()[0]
    rows = {line.split()[0]: line for line in run("zoo").stdout.splitlines()[1:]}
    header = run("zoo").stdout.splitlines()[0]
    assert "(H, W, C)" not in header and "input" in header.split()
    assert " 128 tokens " in rows["bert_base"] and " 1024 tokens " in rows["gpt2_small"]
    assert " 224×224×3 " in rows["resnet50"]
    # llama_tiny's input is 128 embedded tokens of width 256: (L, D), not an image.
    assert " 128×256 (L, D) " in rows["llama_tiny"]
