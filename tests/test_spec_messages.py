"""Messages a person gets for a spec (issue 19): a display label used as a name, a spec
that is not there, and expression columns counted in characters, not UTF-8 bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import error_of, wide_cli


@pytest.mark.parametrize("label", ["upsample#1", "stage.1/conv#2"])
def test_a_display_label_in_from_says_to_give_the_layer_a_name(label: str) -> None:
    text = (
        "name: n\ninput: {h: 8, w: 8, c: 3}\nlayers:\n  - {type: upsample, scale: 2}\n"
        f'  - {{type: conv, filters: 3, kernel: 1}}\n  - {{type: add, from: ["{label}", conv#1]}}\n'
    )
    # `  - {type: add, from: [` is 23 characters: the quoted label starts in column 24.
    assert error_of(text) == (
        f"net.yaml:6:24: layer 3 (add): from '{label}' names no earlier layer; '{label}' is how reports "
        "label an unnamed layer, not a name: give that layer a `name:` and use that"
    )


@pytest.mark.parametrize("command", [["table"], ["draw"], ["diff", "lenet"]])
def test_a_spec_that_is_not_there_has_no_position_and_a_close_bundled_name(command: list[str]) -> None:
    args = [*command, "resnet5"] if command[0] != "diff" else ["diff", "resnet5", "lenet"]
    code, out, err = wide_cli(*args)
    assert (code, out) == (2, "")
    assert err == "resnet5: no such file, and no bundled spec of that name; did you mean 'resnet50'?\n"


def test_a_folder_or_a_missing_path_has_no_position(tmp_path: Path) -> None:
    assert wide_cli("table", str(tmp_path))[2] == f"{tmp_path}: is a directory, not a spec file\n"
    assert wide_cli("check", f"{tmp_path}/gone.yaml")[2] == f"{tmp_path}/gone.yaml: no such file or folder\n"


def test_an_expression_error_after_non_ascii_text_is_at_its_character_column() -> None:
    text = 'name: n\ninput: {features: 16}\nlayers:\n  - {type: dense, units: 4, name: "größe ${1/0}"}\n'
    # `  - {type: dense, units: 4, name: "größe ${1` is 44 characters (48 UTF-8 bytes): `/` is column 45.
    assert error_of(text) == "net.yaml:4:45: expression '1/0': '/' by zero"


@pytest.mark.parametrize(
    ("units", "column", "says"),
    [
        # `      - {type: dense, units: "${größe ` is 38 characters (40 bytes): `//` is column 39.
        ("größe // 0", 39, "'//' by zero"),
        # `      - {type: dense, units: "${größe + ` is 40 characters (42 bytes): zzz is column 41.
        ("größe + zzz", 41, "no name 'zzz'"),
    ],
)
def test_a_column_after_a_non_ascii_name_inside_the_expression_counts_characters(
    units: str, column: int, says: str
) -> None:
    text = (
        "name: n\ninput: {features: 16}\nblocks:\n  b:\n    args: {größe: 4}\n    layers:\n"
        f'      - {{type: dense, units: "${{{units}}}"}}\nlayers:\n  - {{type: b}}\n'
    )
    message = error_of(text)
    assert message.startswith(f"net.yaml:7:{column}: in block 'b': expression '{units}': "), message
    assert says in message
