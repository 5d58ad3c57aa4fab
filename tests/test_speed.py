"""Costs bounded by counts, never by seconds: what a run imports, and how often the work
of a long network's repeated layers is done (once per distinct layer, not once per layer)."""

from __future__ import annotations

import csv
import gc
import io
import json
import subprocess
import sys
import tracemalloc
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from cnncalc import engine
from cnncalc.analysis import Analysis, memory
from cnncalc.analysis.memory import forms
from cnncalc.engine import propagate
from cnncalc.errors import Mark
from cnncalc.figures import check_claims, totals
from cnncalc.layers import layer_class
from cnncalc.layers.api import Layer
from cnncalc.report import View, csv_report, json_report, markdown
from cnncalc.report import table as table_report
from cnncalc.spec import loads_spec
from cnncalc.spec.loader import loads, mark_of

ROOT = Path(__file__).resolve().parent.parent
LAYERS = 500


def relu_chain(layers: int = LAYERS) -> str:
    """benchmarks/run.py's size case, smaller: `- {type: relu}` repeated."""
    return "name: relus\ninput: {features: 8}\nlayers:\n" + "  - {type: relu}\n" * layers


def counted(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Replace `owner.name` with a wrapper that counts its calls; the count's list."""
    calls = [0]
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def test_equal_layers_are_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every relu of the chain is one validated object reading the same (8,) input: its
    # parameters are counted once, not once per layer (the numbers are all the same).
    calls = counted(monkeypatch, Layer, "params")
    trace = propagate(loads_spec(relu_chain(), "relus.yaml"), "relus.yaml")
    assert len(trace.nodes) == LAYERS + 1
    assert all(node.params.total == 0 and node.output == (8,) for node in trace.nodes)
    assert calls[0] <= 2


def test_equal_tied_layers_each_record_what_they_share() -> None:
    # Not remembered: a `tie:` reads the names in scope, which change along the network.
    text = (
        "name: tied\ninput: {l: 4}\nlayers:\n"
        "  - {type: embedding, vocab: 6, width: 6, name: emb}\n"
        "  - {type: dense, units: 6, bias: false, tie: emb}\n"
        "  - {type: dense, units: 6, bias: false, tie: emb}\n"
    )
    trace = propagate(loads_spec(text, "tied.yaml"), "tied.yaml")
    assert [node.shares for node in trace.nodes[2:]] == [(("weight", 1),)] * 2


def test_the_table_builds_each_distinct_row_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two share bars a row, before: 2 * 500 calls; the rows are alike but for their index.
    calls = counted(monkeypatch, table_report, "bar")
    trace = propagate(loads_spec(relu_chain(), "relus.yaml"), "relus.yaml")
    claims, _ = check_claims(trace)
    out = io.StringIO()
    table_report.write(Analysis(trace, claims), View(), out)
    lines = out.getvalue().splitlines()
    assert sum(1 for line in lines if line.split()[1:3] == ["relu", "(8,)"]) == LAYERS
    assert calls[0] <= 4


def test_the_plain_path_imports_no_package_metadata() -> None:
    # importlib.metadata (pydantic's plugin loader scanning every installed distribution)
    # and rich (nothing is coloured when piped) cost a plain run time and tell it nothing.
    code = (
        "import sys, runpy\n"
        "sys.argv = ['cnncalc', 'table', 'specs/lenet.yaml']\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "denied = ('importlib.metadata', 'rich', 'torch')\n"
        "found = [m for m in sys.modules if any(m == d or m.startswith(d + '.') for d in denied)]\n"
        "print('IMPORTED', sorted(found), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().splitlines()[-1] == "IMPORTED []"
    assert "62,006" in result.stdout


def test_the_plain_path_builds_only_the_kinds_its_spec_names() -> None:
    # Each kind is a pydantic model, about 4 M instructions to build at start-up (a third
    # of a millisecond): LeNet builds its kinds and their sizes (conv1d and conv3d beside
    # conv), not the eighteen activations (once one module, 5% of a `table lenet` run) nor
    # average pooling beside max pooling (1.5%); nor the attention kinds' parts (1%).
    code = (
        "import sys, runpy\n"
        "sys.argv = ['cnncalc', 'table', 'specs/lenet.yaml']\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "from cnncalc.layers._base import REGISTRY\n"
        "print('BUILT', ' '.join(sorted(REGISTRY)), file=sys.stderr)\n"
        "print('PARTS', 'cnncalc.layers._attention_parts' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    built = "conv conv1d conv3d dense flatten maxpool maxpool1d maxpool3d relu softmax"
    assert result.stderr.strip().splitlines()[-2:] == [f"BUILT {built}", "PARTS False"]
    assert "62,006" in result.stdout


def chain_analysis(layers: int = LAYERS) -> Analysis:
    trace = propagate(loads_spec(relu_chain(layers), "relus.yaml"), "relus.yaml")
    claims, _ = check_claims(trace)
    return Analysis(trace, claims)


def test_loading_makes_marks_without_the_dataclass_init(monkeypatch: pytest.MonkeyPatch) -> None:
    # Three marks a layer (the mapping, `type`, its value), each set through Mark's frozen
    # __init__ before: 1,500 calls here. The loader sets the slots itself (a third of the cost).
    calls = counted(monkeypatch, Mark, "__init__")
    layers = loads(relu_chain(), "relus.yaml")["layers"]
    assert calls[0] == 0
    assert mark_of(layers[4]) == Mark(8, 5)  # line 8: the two lines of the header, the list, then the fifth
    assert mark_of(layers[4], "type", of_key=True) == Mark(8, 6)
    assert mark_of(layers[4], "type") == Mark(8, 12)
    assert type(mark_of(layers[4])) is Mark


def test_a_long_chain_is_put_into_words_only_for_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    # A layer's label (`layer 12 (relu)`) is for messages; it was made for every layer,
    # twice (validated, then walked): 1,000 labels here, for no message.
    calls = counted(monkeypatch, engine._Builder, "_label")
    trace = propagate(loads_spec(relu_chain(), "relus.yaml"), "relus.yaml")
    assert len(trace.nodes) == LAYERS + 1
    assert calls[0] <= 1  # the one distinct layer, validated once


def test_a_long_chain_makes_its_nodes_without_the_dataclass_init(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted(monkeypatch, engine.Node, "__init__")
    trace = propagate(loads_spec(relu_chain(), "relus.yaml"), "relus.yaml")
    assert calls[0] <= 1  # the input's
    node = trace.nodes[7]
    assert (node.index, node.kind, node.sources, node.output, node.groups, node.holds) == (
        7,
        "relu",
        (6,),
        (8,),
        (),
        (),
    )


def test_a_long_chain_works_out_one_layer_on_one_shape_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The second and later relus on the same (8,): found by the ids of the layer and the
    # shape object, without hashing the shapes again (once a layer before, in _work_out).
    calls = counted(monkeypatch, engine._Builder, "_work_out")
    trace = propagate(loads_spec(relu_chain(), "relus.yaml"), "relus.yaml")
    assert len(trace.nodes) == LAYERS + 1
    assert calls[0] == 1
    assert len({id(node.inputs) for node in trace.nodes[1:]}) == 1


def test_the_fast_node_is_the_node() -> None:
    # engine._new_node sets Node's slots in the order of its fields: every field told apart.
    values = [object() for _ in fields(engine.Node)]
    made = engine._new_node(*values)  # type: ignore[arg-type]
    assert made == engine.Node(*values)  # type: ignore[arg-type]
    assert [getattr(made, f.name) for f in fields(engine.Node)] == values


def test_propagating_and_the_table_run_no_cyclic_collection() -> None:
    # Millions of objects and no cycles in a long network: the collector walked them again and
    # again (a fifth of the time of 200,000 layers). Here, 20,000 layers: 40 collections before.
    collections = [0]

    def count(phase: str, info: dict[str, int]) -> None:
        collections[0] += phase == "start"

    spec = loads_spec(relu_chain(20_000), "relus.yaml")
    gc.collect()
    gc.callbacks.append(count)
    try:
        trace = propagate(spec, "relus.yaml")
        during = collections[0]
        table_report.write(Analysis(trace), View(), io.StringIO())
    finally:
        gc.callbacks.remove(count)
    assert during <= 1  # (one once the pause ends, when the next object is made)
    assert collections[0] <= 2


def test_the_json_encodes_each_distinct_layer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted(monkeypatch, json_report, "_layer")
    analysis = chain_analysis()
    out = io.StringIO()
    json_report.write(analysis, View(), out)
    assert calls[0] <= 1
    document = json.loads(out.getvalue())
    assert document == json_report.document(analysis, View())
    assert out.getvalue() == json.dumps(document, ensure_ascii=False) + "\n"


def test_the_csv_writes_each_distinct_layer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted(monkeypatch, csv_report, "rf_text")
    out = io.StringIO()
    csv_report.write(chain_analysis(), View(), out)
    assert calls[0] <= 2  # the input, one relu
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) == LAYERS + 2
    assert rows[10][:6] == ["9", "", "relu", "", "8", "8"]


def test_the_markdown_writes_each_distinct_layer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted(monkeypatch, View, "shape_text")
    out = io.StringIO()
    markdown.write(chain_analysis(), View(), out)
    assert calls[0] <= 2  # the input, one relu
    assert out.getvalue().count("| relu |  | (8,) | 8 | 0 | 0 |  |\n") == LAYERS


class Sink(io.StringIO):
    """Text written and forgotten: what a pipe to another process holds of it."""

    def write(self, text: str) -> int:
        return len(text)


def test_the_table_holds_neither_its_rows_nor_its_lines_whole() -> None:
    # Streamed: each row made as it is read, each line as it is written. Before, a list of
    # every row and one of every line at once: 527 bytes a layer at the peak, now 240.
    analysis = chain_analysis(5_000)
    analysis.receptive_fields, analysis.inference_memory, analysis.memory_forms  # noqa: B018  (worked out first)
    tracemalloc.start()
    try:
        table_report.write(analysis, View(), Sink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000 * 400


def test_the_forms_ask_each_layer_object_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted(monkeypatch, layer_class("relu"), "memory_forms")
    assert forms(propagate(loads_spec(relu_chain(), "relus.yaml"), "relus.yaml").nodes).in_place == {
        "activations": (0, LAYERS)
    }
    assert calls[0] == 1


def test_the_totals_count_elements_without_a_call_a_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    trace = propagate(loads_spec(relu_chain(), "relus.yaml"), "relus.yaml")
    calls = [0]
    size = engine.Node.output_size

    def counting(node: engine.Node) -> int:
        calls[0] += 1
        return size.fget(node)  # type: ignore[no-any-return]

    monkeypatch.setattr(engine.Node, "output_size", property(counting))
    assert totals(trace).activation_elements == 8 * (LAYERS + 1)  # (8,) each, the input's too
    assert calls[0] == 0


def test_the_reports_take_cnncalcs_own_numbers_without_a_lookup_a_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without --count the numbers shown are the nodes' own: Analysis.macs and .params asked
    # the `shown` property first, three times a layer in the table.
    calls = [0]
    shown = Analysis.shown

    def counting(analysis: Analysis) -> Any:
        calls[0] += 1
        return shown.fget(analysis)  # type: ignore[attr-defined]

    analysis = chain_analysis()
    monkeypatch.setattr(Analysis, "shown", property(counting))
    out = io.StringIO()
    table_report.write(analysis, View(), out)
    assert calls[0] <= 5
    assert out.getvalue().count(" relu ") == LAYERS


def test_the_inference_peak_walks_last_readers_without_a_generator_a_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counted(monkeypatch, memory._LastReaders, "of")
    trace = propagate(loads_spec(relu_chain(), "relus.yaml"), "relus.yaml")
    peak = memory.inference_peak(trace.nodes, 1)
    assert calls[0] == 0
    # 8 floats, 32 bytes, three at a time: the input (its caller holds it), and from the
    # second relu on its input and its output (not in place); each goes once read.
    assert (peak.total, peak.parts["activations"]) == (96, 96)
