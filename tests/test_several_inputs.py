"""Networks with several inputs (`inputs:` by name): each input a node of its own, read by
`from: <name>`, shown, counted in memory, overridden per name by `--input`, and given in
order to the module verify builds. Numbers worked by hand, or PyTorch's own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import assert_agrees, assert_error_at_mark, cli, trace_of, wide_cli
from needs import needs_module

from cnncalc.analysis.memory import inference_peak

TWO = """\
name: two
inputs:
  a: {features: 4}
  b: {features: 6}
layers:
  - {name: x, type: dense, units: 3}
  - {name: y, type: dense, units: 3, from: b}
  - {type: add, from: [x, y]}
"""


def test_each_input_is_a_node_and_a_layer_reads_one_by_name() -> None:
    trace = trace_of(TWO)
    assert [(n.name, n.kind, tuple(n.output)) for n in trace.nodes[:2]] == [("a", "input", (4,)), ("b", "input", (6,))]
    assert trace.input_count == 2
    x, y, add = trace.layer_nodes
    assert (x.sources, y.sources, add.sources) == ((0,), (1,), (2, 3))  # x reads the first input
    # x: 4*3 + 3 = 15 params, 4*3 = 12 MACs; y: 6*3 + 3 = 21 params, 18 MACs
    assert [n.params.total for n in trace.layer_nodes] == [15, 21, 0]
    assert [n.macs for n in trace.layer_nodes] == [12, 18, 0]


def test_the_inference_peak_holds_every_input() -> None:
    trace = trace_of(TWO)
    peak = inference_peak(trace.nodes, batch=1)
    # weights (15 + 21) * 4 = 144 bytes; at the add: a 4 + b 6 + x 3 + y 3 + the sum 3 = 19
    # floats = 76 bytes (the caller holds both inputs throughout)
    assert peak.parts == {"weights": 144, "activations": 76}
    assert peak.total == 220


def test_an_input_of_its_own_dtype_counts_its_own_bytes() -> None:
    trace = trace_of(TWO.replace("b: {features: 6}", "b: {features: 6, dtype: float16}"))
    peak = inference_peak(trace.nodes, batch=1)
    # b in float16: 6 * 2 = 12 bytes, not 24: activations 76 - 12 = 64
    assert peak.parts["activations"] == 64


def test_the_table_and_its_title_name_each_input(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO, encoding="utf-8")
    code, out, err = wide_cli("table", str(spec))
    assert code == 0, err
    assert "inputs a 4, b 6" in out.splitlines()[0]
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["0"], ["1"])]
    assert rows[0][:3] == ["0", "a", "input"] and rows[1][:3] == ["1", "b", "input"]


def test_input_per_name_on_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO, encoding="utf-8")
    # b at 10 features: y is 10*3 + 3 = 33 params; x 15: 48 in all
    code, out, err = wide_cli("table", str(spec), "--input", "b.features=10", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["total"]["params"] == 48
    assert [i["name"] for i in document["inputs"]] == ["a", "b"]
    assert [i["size"] for i in document["inputs"]] == [4, 10]
    # a bare dimension changes every input that has it: 8*3+3 + 8*3+3 = 54
    code, out, err = wide_cli("table", str(spec), "--input", "features=8", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["total"]["params"] == 54


def test_input_naming_no_input_or_dimension_is_an_error_at_the_inputs(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO, encoding="utf-8")
    code, _, err = cli("table", str(spec), "--input", "c.features=10")
    assert code == 2
    assert "two.yaml:3:3: --input c.features: the network has no input 'c'; its inputs are a, b" in err
    code, _, err = cli("table", str(spec), "--input", "b.l=10")
    assert code == 2
    assert "two.yaml:4:6: --input b.l: input 'b' has no dimension 'l'; it has features" in err
    code, _, err = cli("table", str(spec), "--input", "h=10")
    assert code == 2
    assert "--input h: no input has a dimension 'h' (a has features; b has features)" in err


def test_an_unknown_input_name_in_from_is_an_error_with_a_hint() -> None:
    marked = TWO.replace("from: b}", "from: @@bb}")
    assert_error_at_mark(marked, "from 'bb' names no earlier layer", "did you mean 'b'?")


def test_input_and_inputs_together_are_an_error() -> None:
    marked = TWO.replace("inputs:\n  a:", "input: {features: 4}\ninputs:\n  @@a:")
    assert_error_at_mark(marked, "inputs: give `input:` (one input) or `inputs:` (several by name), not both")


def test_no_input_at_all_is_an_error() -> None:
    marked = "@@name: n\nlayers:\n  - {type: dense, units: 3}\n"
    assert_error_at_mark(marked, "missing field 'input'", "or several by name (`inputs:`)")


def test_inputs_of_different_batches_are_an_error() -> None:
    marked = TWO.replace("  a: {features: 4}", "  @@a: {features: 4, batch: 2}").replace("6}", "6, batch: 3}", 1)
    assert_error_at_mark(marked, "one batch runs through the network, but the inputs give a 2, b 3")


def test_an_input_called_input_is_an_error() -> None:
    marked = TWO.replace("  b: {features: 6}", "  input: {features: 6}").replace("  a:", "  @@a:")
    assert_error_at_mark(marked, "'input' is the name of a network's one input")


def test_a_layer_named_as_an_input_is_an_error() -> None:
    marked = TWO.replace("{name: x,", "{name: @@b,").replace("from: [x, y]", "from: [b, y]")
    assert_error_at_mark(marked, "the name 'b' is one of the network's inputs")


def test_verify_builds_a_module_taking_each_input_in_order() -> None:
    torch = needs_module("torch")
    from cnncalc.verify import build_module

    trace = trace_of(TWO)
    assert_agrees(trace, spec=TWO)
    module = build_module(trace)
    out = module(torch.zeros(2, 4), torch.zeros(2, 6))
    assert tuple(out.shape) == (2, 3)
    with pytest.raises(TypeError, match="takes 2 input"):
        module(torch.zeros(2, 4))


def test_memory_of_two_inputs_matches_the_tracker() -> None:
    needs_module("torch")
    from cnncalc.memory_tracker import check_memory

    text = """\
name: mix
inputs:
  image: {h: 32, w: 32, c: 8}
  side: {h: 32, w: 32, c: 4}
layers:
  - {name: a, type: conv, filters: 16, kernel: 3, padding: same}
  - {name: b, type: conv, filters: 16, kernel: 3, padding: same, from: side}
  - {type: concat, from: [a, b]}
  - {type: conv, filters: 8, kernel: 1}
"""
    for found in check_memory(trace_of(text), batch=4):
        assert found.agrees, found


def test_a_sweep_shows_each_inputs_shape(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO, encoding="utf-8")
    code, out, err = wide_cli("table", str(spec), "--input", "b.features=6,8")
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("b.features=")}
    # a stays (4,); b is (6,) then (8,): y is 6*3 + 3 = 21, then 8*3 + 3 = 27 params; x 15
    assert "(4,), (6,)" in rows["b.features=6"] and "36" in rows["b.features=6"].split()
    assert "(4,), (8,)" in rows["b.features=8"] and "42" in rows["b.features=8"].split()


def test_a_drawing_names_each_input(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO, encoding="utf-8")
    code, out, err = cli("draw", str(spec), "--format", "mermaid")
    assert code == 0, err
    assert 'n0["<b>a</b><br>(4,)"]' in out and 'n1["<b>b</b><br>(6,)"]' in out
    assert 'n1 -->|"(6,)"| n3' in out  # y reads b
    code, out, err = cli("draw", str(spec), "--format", "dot")
    assert code == 0, err
    assert "two · inputs a 4, b 6" in out  # the title, both inputs by name


def test_from_input_in_a_network_of_named_inputs_names_them() -> None:
    marked = TWO.replace("from: b}", "from: @@input}")
    assert_error_at_mark(marked, "from 'input' names no earlier layer; the network's inputs are named a, b (inputs:)")


def test_verify_runs_an_input_of_another_float_dtype_in_the_modules_float32() -> None:
    needs_module("torch")
    assert_agrees(trace_of(TWO.replace("b: {features: 6}", "b: {features: 6, dtype: bfloat16}")), spec=TWO)
