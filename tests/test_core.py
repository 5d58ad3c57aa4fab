"""The core path: spec -> trace -> report, checked against the course and hand arithmetic."""

from __future__ import annotations

import csv
import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, run, trace_of

from cnncalc.analysis.receptive_field import receptive_fields
from cnncalc.engine import Trace, propagate
from cnncalc.errors import SpecError
from cnncalc.figures import check_claims, hwc, totals
from cnncalc.spec import load_spec, loads_spec

LENET = ROOT / "specs" / "lenet.yaml"

# The course's LeNet-5 table (week 1), with its two wrong conv counts corrected, and the
# reference MACs of the PyTorch model (conv + linear multiply-accumulates, no bias):
# name, output (H, W, C), output size, params, MACs.
LENET_TABLE = [
    ("input", (32, 32, 3), 3072, 0, 0),
    ("CONV1", (28, 28, 6), 4704, 456, 352_800),  # course prints 158; 5*5*3*6 + 6 = 456
    ("POOL1", (14, 14, 6), 1176, 0, 0),
    ("CONV2", (10, 10, 16), 1600, 2416, 240_000),  # course prints 416; 5*5*6*16 + 16 = 2416
    ("POOL2", (5, 5, 16), 400, 0, 0),
    ("", (400,), 400, 0, 0),  # flatten
    ("FC3", (120,), 120, 48_120, 48_000),
    ("FC4", (84,), 84, 10_164, 10_080),
    ("Softmax", (10,), 10, 850, 840),
]


def one_layer(size: int, channels: int, layer: str) -> Trace:
    """A spec of one layer on a size x size x channels input."""
    return trace_of(f"name: t\ninput: {{h: {size}, w: {size}, c: {channels}}}\nlayers:\n  - {layer}")


def test_lenet_matches_the_course_table_and_the_reference() -> None:
    trace = propagate(load_spec(LENET), str(LENET))
    got = [(n.name, hwc(n.output), n.output_size, n.params.total, n.macs) for n in trace.nodes]
    assert got == LENET_TABLE
    t = totals(trace)
    assert (t.params.total, t.params.trainable, t.params.buffers) == (62_006, 62_006, 0)
    assert t.macs == 651_720 and t.flops == 2 * 651_720
    # Every output, input included, as float32: (3072+4704+1176+1600+400+400+120+84+10) * 4 bytes.
    assert t.activation_bytes == 11_566 * 4
    claims, unknown = check_claims(trace)
    assert not unknown and claims and all(c.confirmed for c in claims)


@pytest.mark.parametrize("size", [6, 39, 224])
def test_two_3x3x3_filters_have_56_params_whatever_the_input(size: int) -> None:
    trace = trace_of(
        f"name: t\ninput: {{h: {size}, w: {size}, c: 3}}\nlayers:\n  - {{type: conv, filters: 2, kernel: 3}}"
    )
    assert trace.nodes[1].params.total == 2 * (3 * 3 * 3 + 1)


@pytest.mark.parametrize(
    ("n", "f", "s", "p", "out"),
    [
        (39, 3, 1, 0, 37),  # the course's ConvNet, first conv
        (37, 5, 2, 0, 17),  # (37 - 5)/2 + 1 = 17
        (17, 5, 2, 0, 7),  # (17 - 5)/2 + 1 = 7
        (8, 3, 2, 0, 3),  # (8 - 3)/2 + 1 = 3.5 -> floor 3: the last row never reaches the output
        (6, 3, 2, 1, 3),  # (6 + 2 - 3)/2 + 1 = 3.5 -> 3
        (32, 5, 1, 2, 32),  # p = (f - 1)/2 keeps the size at stride 1
    ],
)
def test_the_course_floor_formula(n: int, f: int, s: int, p: int, out: int) -> None:
    trace = one_layer(n, 1, f"{{type: conv, filters: 1, kernel: {f}, stride: {s}, padding: {p}}}")
    assert trace.nodes[1].output == (1, out, out)


@pytest.mark.parametrize(
    ("n", "f", "s", "out", "pads"),
    [
        (7, 3, 2, 4, (1, 1)),  # ceil(7/2) = 4; total (4-1)*2 + 3 - 7 = 2
        (8, 3, 2, 4, (0, 1)),  # total (4-1)*2 + 3 - 8 = 1: the extra pixel goes bottom/right
        (224, 7, 2, 112, (2, 3)),  # total 111*2 + 7 - 224 = 5
        (5, 4, 1, 5, (1, 2)),  # even kernel at stride 1: total 3, asymmetric
    ],
)
def test_same_padding(n: int, f: int, s: int, out: int, pads: tuple[int, int]) -> None:
    trace = one_layer(n, 1, f"{{type: conv, filters: 1, kernel: {f}, stride: {s}, padding: same}}")
    assert trace.nodes[1].output == (1, out, out)
    layer = trace.nodes[1].layer
    assert layer is not None and layer.pads(trace.nodes[0].output) == (pads, pads)  # type: ignore[attr-defined]


def test_valid_padding_is_zero() -> None:
    spec = "name: t\ninput: {h: 9, w: 9, c: 2}\nlayers:\n  - {type: conv, filters: 4, kernel: 3, padding: valid}"
    assert trace_of(spec).nodes[1].output == (4, 7, 7)


def test_course_convnet() -> None:
    spec = """
name: course
input: {h: 39, w: 39, c: 3}
layers:
  - {type: conv, filters: 10, kernel: 3, stride: 1}
  - {type: conv, filters: 20, kernel: 5, stride: 2}
  - {type: conv, filters: 40, kernel: 5, stride: 2}
  - {type: flatten}
  - {type: dense, units: 1, activation: sigmoid}
"""
    shapes = [hwc(n.output) for n in trace_of(spec).nodes]
    assert shapes == [(39, 39, 3), (37, 37, 10), (17, 17, 20), (7, 7, 40), (1960,), (1,)]


def test_batchnorm_buffers_and_dense_on_nd_input() -> None:
    spec = """
name: t
input: {h: 4, w: 5, c: 8}
layers:
  - {type: batchnorm}
  - {type: dense, units: 3}
"""
    bn, dense = trace_of(spec).nodes[1:]
    assert (bn.params.trainable, bn.params.buffers) == (16, 17)  # gamma, beta; mean, var + counter
    assert dense.output == (8, 4, 3)  # acts on the last axis, like nn.Linear
    assert dense.params.total == 5 * 3 + 3
    assert dense.macs == 8 * 4 * 5 * 3


def test_receptive_field_of_lenet() -> None:
    # r_out = r_in + (f - 1) * j_in, j_out = j_in * s: 1 -> 5 -> 6 -> 14 -> 16
    trace = propagate(load_spec(LENET), str(LENET))
    fields = receptive_fields(trace.nodes)
    sizes = [rf.size[0] if rf else None for rf in fields]
    assert sizes == [1, 5, 6, 14, 16, None, None, None, None]
    assert fields[4] is not None and fields[4].jump == (4.0, 4.0)


def test_table_prints_the_right_lenet_numbers_plainly_when_piped() -> None:
    result = run("table", "specs/lenet.yaml")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # piped: no colour codes
    for text in ("456", "2,416", "48,120", "10,164", "850", "62,006", "651,720", "(28, 28, 6)", "(5, 5, 16)"):
        assert text in out
    assert "158" not in out and " 416 " not in out
    assert "FLOPs = 2 × MACs" in out  # the convention line


def test_bundled_spec_by_name_from_any_folder(tmp_path: Path) -> None:
    result = run("table", "lenet", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"]["params"] == 62_006


def test_json_contract() -> None:
    result = run("table", "specs/lenet.yaml", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1 and doc["name"] == "lenet"
    assert doc["input"]["shape"] == [32, 32, 3]
    for layer in doc["layers"]:
        for key in ("name", "type", "output_shape", "output_size", "params", "macs", "flops"):
            assert key in layer
        assert isinstance(layer["output_shape"], list)
        assert layer["flops"] == 2 * layer["macs"]
    conv1 = doc["layers"][0]
    assert (conv1["name"], conv1["type"], conv1["output_shape"], conv1["params"]) == ("CONV1", "conv", [28, 28, 6], 456)
    total = doc["total"]
    assert (total["params"], total["trainable_params"], total["non_trainable_params"], total["buffers"]) == (
        62_006,
        62_006,
        0,
        0,
    )
    assert (total["macs"], total["flops"]) == (651_720, 1_303_440)
    assert sum(layer["params"] for layer in doc["layers"]) == total["params"]
    chw = json.loads(run("table", "specs/lenet.yaml", "--format", "json", "--layout", "chw").stdout)
    assert chw["layers"][0]["output_shape"] == [6, 28, 28]


def test_batch_and_dtype_scale_compute_and_memory() -> None:
    doc = json.loads(run("table", "specs/lenet.yaml", "-f", "json", "--batch", "8", "--dtype", "float16").stdout)
    assert doc["total"]["macs"] == 8 * 651_720
    assert doc["total"]["activation_bytes"] == 8 * 11_566 * 2
    assert doc["total"]["weights_bytes"] == 62_006 * 2
    assert doc["total"]["params"] == 62_006  # parameters do not depend on the batch


def test_csv_and_markdown_columns_add_up_to_the_totals() -> None:
    rows = list(csv.DictReader(io.StringIO(run("table", "specs/lenet.yaml", "-f", "csv").stdout)))
    assert sum(int(r["params"]) for r in rows) == 62_006
    assert sum(int(r["macs"]) for r in rows) == 651_720
    # The input row and every output, for the batch: as the JSON report's total.
    out = run("table", "specs/lenet.yaml", "-f", "csv", "--batch", "8", "--dtype", "float16").stdout
    header, *_ = out.splitlines()
    assert header.split(",")[-3:] == ["receptive_field", "non_trainable_params", "activation_bytes"]
    assert header.split(",")[:3] == ["index", "name", "type"]
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(int(r["activation_bytes"]) for r in rows) == 8 * 11_566 * 2
    assert rows[1]["activation_bytes"] == str(8 * 28 * 28 * 6 * 2)
    assert {r["non_trainable_params"] for r in rows} == {"0"}
    markdown = run("table", "specs/lenet.yaml", "-f", "markdown").stdout
    assert "| 1 | CONV1 | conv | f=5 s=1 · relu | (28, 28, 6) | 4,704 | 456 | 352,800 | 5 |" in markdown


def test_a_refuted_claim_exits_1_and_says_so(tmp_path: Path) -> None:
    spec = LENET.read_text().replace(
        "CONV2: {shape: [10, 10, 16], params: 2416", "CONV2: {shape: [10, 10, 16], params: 416"
    )
    path = tmp_path / "lenet.yaml"
    path.write_text(spec)
    result = run("table", str(path))
    assert result.returncode == 1
    assert "✗ claimed 416" in result.stdout
    assert "CONV2 params: claimed 416, computed 2,416; 416 = (5*5 + 1) * 16 counts one input channel" in result.stdout


def test_an_impossible_shape_exits_2_with_the_arithmetic(tmp_path: Path) -> None:
    text = "name: t\ninput: {h: 4, w: 4, c: 1}\nlayers:\n  - {name: big, type: conv, filters: 1, kernel: 5}\n"
    path = tmp_path / "t.yaml"
    path.write_text(text)
    result = run("table", str(path))
    assert result.returncode == 2 and result.stdout == ""
    line = 4
    col = text.splitlines()[line - 1].index("5}") + 1
    assert result.stderr.startswith(f"{path}:{line}:{col}: layer 1 'big' (conv): ")
    assert "(4 + 0 - 5) / 1 + 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_plain_path_never_imports_torch() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['cnncalc', 'table', 'specs/lenet.yaml']\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'CLEAN', file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().endswith("CLEAN")
    assert "62,006" in result.stdout


def test_layers_lists_every_kind_with_its_fields() -> None:
    out = run("layers").stdout
    assert "conv " in out and "filters (required)" in out and "kernel (required)" in out
    assert "maxpool" in out and "ceil_mode=false" in out
    # A first paragraph over two docstring lines is shown whole, on one line.
    assert "every input feature; on an N-D input it acts on the last axis, as `nn.Linear` does." in out


def test_help_shows_the_zoo_command_whole_sentence() -> None:
    out = run("--help", env={"COLUMNS": "200"}).stdout
    assert "List the bundled specs, usable by name: `cnncalc table resnet50`." in out


def test_version_and_usage_errors() -> None:
    assert run("--version").stdout.startswith("cnncalc ")
    bad = run("table", "specs/lenet.yaml", "--format", "yaml")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = run("table", "lenett")
    assert missing.returncode == 2 and "did you mean 'lenet'" in missing.stderr


def test_the_kind_index_read_from_source_matches_the_imported_registry() -> None:
    from cnncalc.layers import kinds, registry

    assert {kind: cls.__module__.rsplit(".", 1)[1] for kind, cls in registry().items()} == kinds()


def test_the_readme_lists_every_lint_rule() -> None:
    from cnncalc.rules import rules

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for module in rules().values():
        rule = module.rule
        assert f"| {rule.name} | {rule.level} |" in readme and f"[{rule.code}]" in readme


def test_the_readme_shows_the_lenet_table_as_it_prints() -> None:
    # The README's copy was checked by hand against the course and the reference once;
    # this keeps it equal to what the command prints.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ cnncalc table specs/lenet.yaml\n", 1)[1].split("```", 1)[0]
    assert run("table", "specs/lenet.yaml").stdout == shown


def _in_a_terminal(env: dict[str, str]) -> str:
    """Output of `cnncalc table lenet` run in a pseudo-terminal."""
    import pty

    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnncalc", "table", "specs/lenet.yaml"],
        cwd=ROOT,
        stdin=child,
        stdout=child,
        stderr=child,
        env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "TERM": "xterm", **env},
    )
    os.close(child)
    chunks = []
    while True:
        # A hung child must fail the test, not stall the run: no output for 60 s is a hang
        # (a guard against waiting forever, not a measure of speed: nothing reads the clock).
        if not select.select([main], [], [], 60)[0]:
            proc.kill()
            raise AssertionError("cnncalc table printed nothing more for 60 s in a terminal")
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_at_a_terminal_unless_no_color() -> None:
    coloured = _in_a_terminal({})
    plain = _in_a_terminal({"NO_COLOR": "1"})
    assert "\x1b[" in coloured and "62,006" in coloured
    assert "\x1b[" not in plain and "62,006" in plain


def test_same_padding_shows_the_pads_it_came_to() -> None:
    # 11 x 10 input, f=3, s=2: H total (6-1)*2 + 3 - 11 = 2 -> 1+1; W total (5-1)*2 + 3 - 10 = 1 -> 0+1.
    layer = "  - {type: conv, filters: 1, kernel: 3, stride: 2, padding: same}"
    spec = f"name: t\ninput: {{h: 11, w: 10, c: 1}}\nlayers:\n{layer}"
    assert trace_of(spec).nodes[1].summary == "f=3 s=2 p=same(1+1,0+1)"
    even = one_layer(9, 1, "{type: conv, filters: 1, kernel: 3, padding: same}")
    assert even.nodes[1].summary == "f=3 s=1 p=same(1)"


def test_table_shows_each_budget_against_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "l.yaml"
    path.write_text(
        "name: t\ninput: {features: 100}\nlayers:\n  - {type: dense, units: 100}\nlimits: {params: 2000, macs: 1M}\n"
    )
    out = run("table", str(path)).stdout
    # dense 100 -> 100: 100*100 + 100 = 10,100 params over 2,000; 10,000 MACs within 1,000,000.
    assert "params 10,100 of 2,000 ✗ over · macs 10,000 of 1,000,000 ✓" in out


def test_the_readme_shows_the_lenet_spec_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert LENET.read_text(encoding="utf-8") in readme


def test_verification_headlines_say_1_layer_not_1_layers() -> None:
    from cnncalc.report.verification import headline
    from cnncalc.verify import Check, NodeCheck, Verification

    one = NodeCheck(1, (Check("macs", 10, 10),))
    assert "agrees on its 1 layer and the totals" in headline(Verification("cpu", "2.1", 2, [one], []))
    two = [one, NodeCheck(2, (Check("macs", 4, 4),))]
    assert "agrees on all 2 layers and the totals" in headline(Verification("cpu", "2.1", 2, two, []))
    wrong = NodeCheck(1, (Check("macs", 10, 11),))
    assert headline(Verification("cpu", "2.1", 2, [wrong], [])).endswith(": 1 difference in 1 layer")
    both = NodeCheck(2, (Check("macs", 4, 5), Check("buffers", 0, 2)))
    found = headline(Verification("cpu", "2.1", 2, [wrong, both], [Check("macs", 14, 16)]))
    assert found.endswith(": 4 differences in 2 layers and the totals")


def test_a_path_to_a_bundled_spec_from_elsewhere_points_at_its_name(tmp_path: Path) -> None:
    result = run("table", "specs/lenet.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "did you mean the bundled spec 'lenet'" in result.stderr


def test_values_are_not_coerced_from_other_types() -> None:
    with pytest.raises(SpecError, match="filters"):
        one_layer(8, 1, "{type: conv, filters: true, kernel: 3}")
    with pytest.raises(SpecError, match="filters"):
        one_layer(8, 1, "{type: conv, filters: '8', kernel: 3}")


def test_equal_looking_layers_of_other_types_are_each_validated() -> None:
    """Layers are validated once per distinct content; `1`, `1.0` and `true` are equal in
    Python, yet a strict schema takes only the int: each must still get its own message."""
    spec = (
        "name: n\ninput: {h: 4, w: 4, c: 1}\nlayers:\n"
        "  - {type: conv, filters: 2, kernel: 1}\n"
        "  - {type: conv, filters: 2, kernel: 1.0}\n"
        "  - {type: conv, filters: 2, kernel: true}\n"
        "  - {type: conv, filters: 2, kernel: 1}\n"
    )
    with pytest.raises(SpecError) as caught:
        loads_spec_and_propagate(spec)
    column = len("  - {type: conv, filters: 2, kernel: ") + 1
    lines = [(d.mark.line, d.mark.col) for d in caught.value.diagnostics]
    assert lines == [(5, column), (6, column)], [str(d) for d in caught.value.diagnostics]
    # Identical layers still become one node each, each with its own numbers. 1x1 convs:
    # 1 -> 2 channels: 2 * 1 weights + 2 biases = 4 params, 4 * 4 * 2 * 1 = 32 MACs; then
    # 2 -> 2 channels: 2 * 2 + 2 = 6 params, 4 * 4 * 2 * 2 = 64 MACs.
    trace = loads_spec_and_propagate(spec.replace("1.0", "1").replace("true", "1"))
    assert [(n.params.total, n.macs) for n in trace.nodes[1:]] == [(4, 32), (6, 64), (6, 64), (6, 64)]


def loads_spec_and_propagate(text: str) -> Trace:
    return propagate(loads_spec(text), "<string>")
