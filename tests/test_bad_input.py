"""Bad input through the real CLI: one positioned message, exit 2 (or 1), no traceback,
nothing executed, nothing on disk changed, in bounded memory. (Tests bound counts and
bytes, never seconds: timings are in benchmarks/run.py; the subprocess timeout only stops a hang.)

Each fixture marks where its error must be reported with `@@` (removed before the file
is written); the expected `line:col` is computed from that mark, never copied from output.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

MARK = "@@"
ROOT = Path(__file__).resolve().parent.parent
HEAD = "name: x\ninput: {h: 4, w: 4, c: 1}\nlayers:\n"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    max_rss_mib: float


# The child's own peak memory: VmHWM of its address space, read as it exits. (wait4's
# ru_maxrss is no good here: Linux carries the parent's peak across fork and exec, so a
# child of a pytest process that has loaded torch reports hundreds of MiB it never used.)
PEAK_WRAPPER = """
import atexit, os, runpy, sys

def peak():
    with open("/proc/self/status") as status, open(os.environ["CNNCALC_TEST_PEAK"], "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))

atexit.register(peak)
sys.argv = ["cnncalc", *sys.argv[1:]]
runpy.run_module("cnncalc", run_name="__main__")
"""


def run_cli(*args: str, cwd: Path) -> Result:
    """`python -m cnncalc ARGS` as a user runs it, with its own peak memory."""
    out, err, peak = cwd / ".stdout", cwd / ".stderr", cwd / ".peak"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "CNNCALC_TEST_PEAK": str(peak)}
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.run(
            [sys.executable, "-c", PEAK_WRAPPER, *args], cwd=cwd, stdout=o, stderr=e, env=env, timeout=120
        )
    result = Result(
        proc.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        int(peak.read_text()) / 1024,  # VmHWM is in KiB
    )
    for path in (out, err, peak):
        path.unlink()
    return result


def position(text: str | bytes) -> tuple[str | bytes, int, int]:
    """The fixture without its mark, and the 1-based line and column of the mark."""
    if isinstance(text, bytes):
        index = text.index(MARK.encode())
        before = text[:index]
        clean: str | bytes = text.replace(MARK.encode(), b"", 1)
        return clean, before.count(b"\n") + 1, index - (before.rfind(b"\n") + 1) + 1
    index = text.index(MARK)
    before = text[:index]
    return text.replace(MARK, "", 1), before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_one_message(result: Result, path: str, line: int | None, col: int | None, *words: str) -> str:
    """One message on stderr, at `path:line:col`, or at `path` alone when there is no position to give."""
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    where = path if line is None else f"{path}:{line}:{col}"
    assert message.startswith(f"{where}: "), (message, (line, col))
    for word in words:
        assert word in message, (word, message)
    return message


# (id, fixture with @@ at the expected position, exit code, words the message must hold)
CASES: list[tuple[str, str | bytes, int, tuple[str, ...]]] = [
    ("unclosed-flow-mapping", "name: x\ninput: {h: 4, w: 4, c: 1\nlayers@@:\n  - {type: relu}\n", 2, ("YAML",)),
    ("unclosed-quote", 'name: "x\ninput: {h: 4}\n@@', 2, ("quoted scalar", "line 1, column 7")),
    ("bad-bracket", HEAD + "  - {type: relu@@]\n", 2, ("YAML",)),
    ("tab-indent", HEAD + "@@\t- {type: relu}\n", 2, ("tab",)),
    ("tab-in-mapping", HEAD + "  - type: relu\n@@\tname: a\n", 2, ("tab",)),
    ("wrong-indent-list", HEAD + "  - {type: relu}\n   @@- {type: relu}\n", 2, ("indentation",)),
    ("wrong-indent-map", "name: x\ninput:\n  h: 4\n @@w: 4\nlayers: []\n", 2, ("indentation",)),
    (
        "duplicate-top-key",
        "name: x\n@@name: y\ninput: {h: 4, w: 4, c: 1}\nlayers:\n  - {type: relu}\n",
        2,
        ("duplicate key 'name'", "line 1"),
    ),
    ("duplicate-layer-key", HEAD + "  - {type: relu, name: a, @@name: b}\n", 2, ("duplicate key 'name'",)),
    ("empty-file", "@@", 2, ("empty",)),
    ("only-comments", "@@\n\n# nothing here\n", 2, ("empty",)),
    ("not-a-mapping", "@@[1, 2]\n", 2, ("mapping",)),
    ("two-documents", "name: x\n@@---\nname: y\n", 2, ("one YAML document",)),
    ("invalid-utf8", b"name: x\ninput: @@\xff\xfe\n", 2, ("UTF-8", "0xff")),
    ("binary-junk", b"@@\x89PNG\r\n\x1a\n" + bytes(range(256)), 2, ("UTF-8",)),
    ("control-characters", b"name: x@@\x00\x01\x02\nlayers: []\n", 2, ("U+0000",)),
    ("unknown-type", HEAD + "  - {type: @@convv, filters: 2, kernel: 1}\n", 2, ("convv", "did you mean 'conv'")),
    ("unknown-field", HEAD + "  - {type: conv, filters: 2, @@kernal: 1}\n", 2, ("kernal", "did you mean 'kernel'")),
    (
        "unknown-top-field",
        "name: x\ninput: {h: 4, w: 4, c: 1}\n@@layer:\n  - {type: relu}\n",
        2,
        ("did you mean 'layers'",),
    ),
    ("missing-field", HEAD + "  - @@{type: conv, filters: 2}\n", 2, ("missing field 'kernel'", "layer 1")),
    ("missing-type", HEAD + "  - @@{name: a}\n", 2, ("missing field 'type'",)),
    ("wrong-value-type", HEAD + "  - {type: conv, filters: @@two, kernel: 1}\n", 2, ("whole number, got 'two'",)),
    ("zero-stride", HEAD + "  - {type: conv, filters: 2, kernel: 1, stride: @@0}\n", 2, ("stride", "greater than 0")),
    ("zero-in-kernel-list", HEAD + "  - {type: maxpool, kernel: [@@0, 2]}\n", 2, ("kernel", "greater than 0")),
    ("negative-padding", HEAD + "  - {type: conv, filters: 2, kernel: 1, padding: @@-1}\n", 2, ("padding",)),
    ("layers-not-a-list", "name: x\ninput: {h: 4, w: 4, c: 1}\nlayers: @@{type: relu}\n", 2, ("list",)),
    ("bad-input-dims", "name: x\ninput: @@{h: 4, w: 4}\nlayers:\n  - {type: relu}\n", 2, ("h, w",)),
    (
        "unknown-from",
        HEAD + "  - {type: relu, name: a}\n  - {type: relu, from: @@aa}\n",
        2,
        ("'aa'", "did you mean 'a'"),
    ),
    (
        "unknown-expect",
        HEAD + "  - {type: relu, name: a}\nexpect:\n  @@aa: {params: 0}\n",
        2,
        ("'aa'", "did you mean 'a'"),
    ),
    # Names are one line: a newline in one would split a one-line message in two.
    ("newline-in-name", HEAD + '  - {type: relu, name: @@"a\\nb"}\n', 2, ("name", "one line", "U+000A")),
    ("tab-in-name", HEAD + '  - {type: relu, name: @@"a\\tb"}\n', 2, ("name", "one line", "U+0009")),
    ("line-separator-in-name", HEAD + '  - {type: relu, name: @@"a\\Lb"}\n', 2, ("name", "U+2028")),
    ("newline-in-spec-name", 'name: @@"x\\ny"\ninput: {h: 4, w: 4, c: 1}\nlayers:\n  - {type: relu}\n', 2, ("U+000A",)),
    (
        "newline-in-block-name",
        'name: x\ninput: {h: 4, w: 4, c: 1}\nblocks:\n  @@"a\\nb": {layers: [{type: relu}]}\n'
        "layers:\n  - {type: relu}\n",
        2,
        ("block", "one line", "U+000A"),
    ),
    (
        "newline-in-block-call-name",
        "name: x\ninput: {h: 4, w: 4, c: 1}\nblocks:\n  b: {layers: [{type: relu}]}\nlayers:\n"
        '  - {type: b, name: @@"a\\nb"}\n',
        2,
        ("name", "one line", "U+000A"),
    ),
    # Any other echoed value is escaped: the message stays on one line.
    ("newline-in-type", HEAD + '  - {type: @@"re\\nlu"}\n', 2, ("'re\\nlu'", "did you mean 'relu'")),
    ("undefined-alias", "name: x\ninput: @@*nowhere\n", 2, ("nowhere",)),
    # Expressions never reach Python: refused where they try, exit 2 (tests/test_expressions.py has the rest).
    (
        "expression-import",
        "name: x\ninput: {h: 4, w: 4, c: 1}\nblocks:\n  b:\n    args: {k: 1}\n    layers:\n"
        "      - {type: conv, filters: 2, kernel: 1, padding: \"${@@__import__('os').system('true')}\"}\n"
        "layers:\n  - {type: b}\n",
        2,
        ("attribute access",),
    ),
    (
        "expression-power-tower",
        "name: x\ninput: {h: 4, w: 4, c: 1}\nblocks:\n  b:\n    layers:\n"
        '      - {type: conv, filters: 2, kernel: 1, padding: "${2**2**2@@**99}"}\n'
        "layers:\n  - {type: b}\n",
        2,
        ("'**'", "limit of 64"),
    ),
    (
        "required-argument",
        "name: x\ninput: {h: 4, w: 4, c: 1}\nblocks:\n  b:\n    args: {f: required}\n    layers:\n"
        "      - {type: conv, filters: $f, kernel: 1}\nlayers:\n  - @@{type: b}\n",
        2,
        ("needs the argument 'f'",),
    ),
    ("refuted-claim", HEAD + "  - {type: conv, name: c, filters: 2, kernel: 3}\nexpect:\n  c: {params: 19}\n", 1, ()),
]


@pytest.mark.parametrize(("text", "code", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_positioned_message(tmp_path: Path, text: str | bytes, code: int, words: tuple[str, ...]) -> None:
    if code == 1:  # a finding, not unusable input: the table still prints
        (tmp_path / "spec.yaml").write_text(text if isinstance(text, str) else text.decode())
        result = run_cli("table", "spec.yaml", cwd=tmp_path)
        assert result.code == 1
        assert "Traceback" not in result.stderr
        assert "claimed 19" in result.stdout
        return
    clean, line, col = position(text)
    spec = tmp_path / "spec.yaml"
    if isinstance(clean, bytes):
        spec.write_bytes(clean)
    else:
        spec.write_text(clean)
    before = snapshot(tmp_path)
    result = run_cli("table", "spec.yaml", cwd=tmp_path)
    assert result.code == code, result.stderr
    assert_one_message(result, "spec.yaml", line, col, *words)
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


def test_impossible_shape_names_layer_shows_arithmetic_points_at_kernel(tmp_path: Path) -> None:
    # A 5x5 kernel on a 4x4 input: (4 + 2*0 - 5) / 1 + 1 = 0 rows, the course's formula.
    text = HEAD + "  - {name: c1, type: conv, filters: 2, kernel: @@5}\n"
    clean, line, col = position(text)
    (tmp_path / "spec.yaml").write_text(str(clean))
    result = run_cli("table", "spec.yaml", cwd=tmp_path)
    assert result.code == 2
    message = assert_one_message(result, "spec.yaml", line, col, "'c1'", "conv")
    assert "(4 + 0 - 5) / 1 + 1 = 0" in message


@pytest.mark.parametrize(
    "text",
    [
        "name: !!python/object/apply:os.system [touch MARKER]\ninput: {h: 4, w: 4, c: 1}\nlayers: [{type: relu}]\n",
        HEAD + "  - !!python/object/apply:os.system\n    args: [touch MARKER]\n",
        HEAD + "  - {type: !!python/object/apply:os.system [touch MARKER]}\n",
        "!!python/object/new:os.system [touch MARKER]\n",
        HEAD + "  - {type: !!python/name:os.system relu}\n",
    ],
    ids=["top-value", "layer-mapping", "flow-value", "root", "python-name"],
)
def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path, text: str) -> None:
    (tmp_path / "spec.yaml").write_text(text)
    tag = re.search(r"!!python/\S+", text)
    assert tag is not None
    line = text[: tag.start()].count("\n") + 1
    col = tag.start() - (text.rfind("\n", 0, tag.start()) + 1) + 1
    result = run_cli("table", "spec.yaml", cwd=tmp_path)
    assert result.code == 2
    assert_one_message(result, "spec.yaml", line, col, "not allowed")
    assert not (tmp_path / "MARKER").exists()


def test_missing_file(tmp_path: Path) -> None:
    result = run_cli("table", "nowhere.yaml", cwd=tmp_path)
    assert result.code == 2
    # A file that is not there has no line to point at: no made-up 1:1.
    assert_one_message(result, "nowhere.yaml", None, None, "no such file")


def test_directory_as_spec(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    result = run_cli("table", "models", cwd=tmp_path)
    assert result.code == 2
    assert_one_message(result, "models", None, None, "directory")


# Large and hostile documents: a clean answer, refused by a count limit, in bounded memory.
MEMORY_MIB = 400


def test_billion_laughs(tmp_path: Path) -> None:
    # 9 levels of 9 aliases each: 9**9 = 387,420,489 strings if expanded.
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        prev, cur = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    (tmp_path / "spec.yaml").write_text("\n".join(lines) + "\nname: x\n")
    result = run_cli("table", "spec.yaml", cwd=tmp_path)
    assert result.code == 2
    message = assert_one_message(result, "spec.yaml", *_line_col_of_alias_limit(lines), "alias")
    assert "bomb" in message
    assert result.max_rss_mib < MEMORY_MIB


def _line_col_of_alias_limit(lines: list[str]) -> tuple[int, int]:
    """Where expansion first passes 2,000,000 values: level k holds 9**k + ... nodes; find the
    first alias whose running total crosses the limit, from the fixture's own structure."""
    weight = {"a": 1 + 9}  # the list plus its 9 scalars
    values = 0
    for row, text in enumerate(lines, start=1):
        values += 1  # the key
        name = text[0]
        if row == 1:
            values += weight["a"]
            continue
        prev = chr(ord(name) - 1)
        values += 1  # the list itself
        col = text.index("*") + 1
        for _ in range(9):
            values += weight[prev]
            if values > 2_000_000:
                return row, col
            col += len(f"*{prev}, ")
        weight[name] = 1 + 9 * weight[prev]
    raise AssertionError("the fixture never crosses the limit")


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting(tmp_path: Path, style: str) -> None:
    depth = 5000
    if style == "flow":
        text = "name: " + "[" * depth + "]" * depth + "\n"
        # the 65th opening bracket is one level too deep (64 allowed under the root mapping)
        line, col = 1, len("name: ") + 64
    else:
        text = "".join(" " * i + "k:\n" for i in range(depth))
        line, col = 65, 65  # the 65th nested mapping starts on line 65, indented 64
    (tmp_path / "spec.yaml").write_text(text)
    result = run_cli("table", "spec.yaml", cwd=tmp_path)
    assert result.code == 2
    assert_one_message(result, "spec.yaml", line, col, "nested deeper than 64")
    assert result.max_rss_mib < MEMORY_MIB


def test_twenty_megabyte_line(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text('name: "' + "x" * (20 * 2**20) + '"\n')
    result = run_cli("table", "spec.yaml", cwd=tmp_path)
    assert result.code == 2
    assert_one_message(result, "spec.yaml", 1, 1, "MiB")
    assert result.max_rss_mib < MEMORY_MIB


# The limits, each on a spec that is valid apart from the limit: take the limit away and
# the spec runs (exit 0), so these fail by outcome, not only by the wording of a message.
SIZE_CAP = 16 * 2**20  # bytes, as documented
SMALL = "name: small\ninput: {features: 8}\nlayers:\n  - {type: dense, units: 4}\n"


def _with_comment(spec: str, size: int) -> str:
    """`spec` after one comment line, `size` bytes in all."""
    return "# " + "x" * (size - len(spec) - len("# \n")) + "\n" + spec


@pytest.mark.parametrize(("size", "code"), [(SIZE_CAP, 0), (SIZE_CAP + 1, 2)])
def test_the_size_cap_on_a_valid_spec(tmp_path: Path, size: int, code: int) -> None:
    (tmp_path / "spec.yaml").write_text(_with_comment(SMALL, size))
    assert (tmp_path / "spec.yaml").stat().st_size == size
    result = run_cli("table", "spec.yaml", cwd=tmp_path)
    assert result.code == code, result.stderr
    if code:
        assert_one_message(result, "spec.yaml", 1, 1, "16 MiB")
    else:
        assert "(4,)" in result.stdout
    assert result.max_rss_mib < MEMORY_MIB


def _laughs(copies: int) -> str:
    """A valid spec whose aliases expand: one parallel layer of 1,000 identity branches
    summed (1 mapping + 5 scalars + 1 list + 1,000 empty lists = 1,007 values), `copies` times."""
    branches = "[" + ", ".join(["[]"] * 1000) + "]"
    layers = [f"&p {{type: parallel, merge: add, branches: {branches}}}", *["*p"] * (copies - 1)]
    return "name: laughs\ninput: {features: 4}\nlayers: [" + ", ".join(layers) + "]\n"


def test_the_alias_limit_on_a_spec_valid_apart_from_it(tmp_path: Path) -> None:
    # 2,100 * 1,007 = 2,114,700 values, over the 2,000,000 the loader allows. Without the
    # limit this is a valid spec of 2,100 adds (it runs in seconds and exits 0).
    (tmp_path / "spec.yaml").write_text(_laughs(2_100))
    result = run_cli("table", "spec.yaml", cwd=tmp_path)
    assert result.code == 2, result.stdout[-500:]
    assert "aliases expand to more than 2,000,000 values" in result.stderr
    assert result.max_rss_mib < MEMORY_MIB


def test_the_same_aliases_under_the_limit_make_a_valid_spec(tmp_path: Path) -> None:
    # 100 * 1,007 = 100,700 values: the construction above is a valid spec, the limit its only fault.
    (tmp_path / "spec.yaml").write_text(_laughs(100))
    result = run_cli("table", "spec.yaml", "--format", "csv", cwd=tmp_path)
    assert result.code == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert len(rows) == 1 + 1 + 100  # the header, the input, one add per copy
    assert all(",add," in row for row in rows[2:])


def test_many_layers_process_fine(tmp_path: Path) -> None:
    """200,000 dense layers (5.6 MB): propagated, not refused; csv keeps the output cheap."""
    n = 200_000
    with (tmp_path / "spec.yaml").open("w") as f:
        f.write("name: big\ninput: {features: 8}\nlayers:\n")
        f.writelines("  - {type: dense, units: 8}\n" for _ in range(n))
    result = run_cli("table", "spec.yaml", "--format", "csv", cwd=tmp_path)
    assert result.code == 0, result.stderr
    rows = [row.split(",") for row in result.stdout.strip().splitlines()]
    header = rows[0]
    layers = [dict(zip(header, row, strict=True)) for row in rows[2:]]  # after the input row
    assert len(layers) == n
    # every layer: 8*8 weights + 8 biases = 72 params, 8*8 = 64 MACs
    assert {(r["params"], r["macs"]) for r in layers} == {("72", "64")}
    # About 240 MiB measured (465 MiB before layers shared their models and the CSV was
    # streamed); the bound leaves room for other Python builds and allocators.
    assert result.max_rss_mib < 350, f"{result.max_rss_mib:.0f} MiB"


# The example folders, driven through the CLI: (file, exit code, text at the reported
# position (its first occurrence, or the Nth with `#N`), words in the message).
SPECS = ROOT / "tests" / "specs"
EXAMPLES: list[tuple[str, int, str, str]] = [
    ("valid/small_convnet.yaml", 0, "", ""),
    ("valid/refuted_claim.yaml", 1, "", ""),
    ("invalid/typo_type.yaml", 2, "maxpol", "did you mean 'maxpool'"),
    ("invalid/kernel_too_big.yaml", 2, "5}", "(4 + 0 - 5) / 1 + 1 = 0"),
    ("invalid/duplicate_key.yaml", 2, "input#2", "duplicate key 'input'"),
    ("invalid/bad_from.yaml", 2, "steem", "did you mean 'stem'"),
]


@pytest.mark.parametrize(("name", "code", "at", "words"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_folders(name: str, code: int, at: str, words: str) -> None:
    result = run_cli("table", name, cwd=SPECS)
    assert result.code == code, result.stderr
    assert "Traceback" not in result.stderr
    if not at:
        assert result.stderr == ""
        return
    text = (SPECS / name).read_text()
    needle, _, nth = at.partition("#")
    index = -1
    for _ in range(int(nth or 1)):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    assert_one_message(result, name, line, col, words)


def test_every_example_is_listed() -> None:
    on_disk = {str(p.relative_to(SPECS)) for p in SPECS.rglob("*.yaml")}
    assert on_disk == {e[0] for e in EXAMPLES}


def test_nesting_limit_holds_when_libyaml_refuses_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever limit the installed libyaml has, cnncalc's own one is what the user sees."""
    import yaml

    from cnncalc.errors import SpecError
    from cnncalc.spec import loader

    real_parse = yaml.parse

    def libyaml_with_a_low_limit(text: str, Loader: object) -> object:
        if Loader is not yaml.SafeLoader:
            mark = yaml.Mark("<string>", 0, 0, 10, None, None)  # type: ignore[no-untyped-call]
            raise yaml.parser.ParserError(None, None, "exceeded maximum nesting depth", mark)  # type: ignore[no-untyped-call]
        return real_parse(text, Loader=Loader)

    monkeypatch.setattr(loader, "_Loader", object())  # stands for the C loader, whatever is installed
    monkeypatch.setattr(yaml, "parse", libyaml_with_a_low_limit)
    with pytest.raises(SpecError) as caught:
        loader.loads("name: " + "[" * 100 + "]" * 100 + "\n", "spec.yaml")
    assert str(caught.value).startswith("spec.yaml:1:70: ")  # the 64th bracket is the 65th level, str(caught.value)
    assert "nested deeper than 64 levels" in str(caught.value)
