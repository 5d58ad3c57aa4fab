"""`cnncalc draw`: DOT read by the real Graphviz, Mermaid by Mermaid's own parser, golden
files for LeNet, names that every format would misread, depth, folding and the page.

Graphviz (`dot`) and Node are outside Python: without them these tests skip, saying why,
except under CI (`CI` set), where a missing tool is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from helpers import invoke

from cnncalc import zoo
from cnncalc.analysis import Analysis
from cnncalc.draw import dot, graph, mermaid
from cnncalc.engine import Trace, propagate
from cnncalc.report import View
from cnncalc.spec import load_spec, loads_spec

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
MERMAID = Path(__file__).parent / "mermaid"
UPDATE = os.environ.get("CNNCALC_UPDATE_GOLDEN") == "1"  # rewrite the golden files; check them by eye
IN_CI = bool(os.environ.get("CI"))
ZOO = zoo.names()
# A name with every character DOT, Mermaid, Markdown or HTML treats as syntax.
AWKWARD = 'a"b<c>]x[y{z}|#1;&amp;`t`*_\\q'


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cnncalc", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
    )


def need(program: str, why: str) -> str:
    found = shutil.which(program)
    if found is None:
        if IN_CI:
            pytest.fail(f"{program} is not installed on this CI machine ({why}); .ci/run installs it")
        pytest.skip(f"{program} is not installed ({why})")
    return found


def report_of(trace: Trace, depth: int | None = None) -> tuple[Analysis, View]:
    """What a drawing renderer takes: the trace's analysis, and the view at `depth`."""
    return Analysis(trace), View(depth=depth)


@cache
def zoo_trace(name: str) -> Trace:
    path = zoo.zoo_dir() / f"{name}.yaml"
    return propagate(load_spec(path), str(path))


def awkward_trace() -> Trace:
    spec = {
        "name": "awkward",
        "input": {"h": 8, "w": 8, "c": 3},
        "layers": [
            {"name": AWKWARD, "type": "conv", "filters": 4, "kernel": 3, "padding": 1},
            {"name": "left", "type": "conv", "filters": 4, "kernel": 1},
            {"name": "right", "type": "conv", "filters": 4, "kernel": 1, "from": AWKWARD},
            {"name": "end", "type": "add", "from": ["left", "right"]},
        ],
    }
    return propagate(loads_spec(yaml.safe_dump(spec), "awkward.yaml"), "awkward.yaml")


# Graphviz


@pytest.mark.parametrize("name", ZOO)
def test_graphviz_draws_the_dot_of_every_zoo_spec(name: str, tmp_path: Path) -> None:
    program = need("dot", "Debian package graphviz")
    text = dot.render(*report_of(zoo_trace(name)))
    done = subprocess.run([program, "-Tsvg"], input=text, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # not even a warning
    svg = ET.fromstring(done.stdout)
    boxes = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    assert len(boxes) == len(zoo_trace(name).nodes)


def svg_texts(svg_text: str) -> list[str]:
    """Every line of text in an SVG, as a reader sees it."""
    return ["".join(t.itertext()) for t in ET.fromstring(svg_text).iter("{http://www.w3.org/2000/svg}text")]


def test_an_awkward_name_reaches_the_svg_as_written() -> None:
    program = need("dot", "Debian package graphviz")
    text = dot.render(*report_of(awkward_trace()))
    assert AWKWARD not in text  # escaped in the DOT source
    done = subprocess.run([program, "-Tsvg"], input=text, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert AWKWARD in svg_texts(done.stdout)


def test_svg_without_graphviz_names_the_package_and_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "lenet.svg"
    result = cli("draw", "lenet", "-o", str(out), env={**os.environ, "PATH": str(empty)})
    assert result.returncode == 2
    assert "graphviz" in result.stderr.lower() and "apt-get install graphviz" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing written


def test_draw_writes_the_format_its_output_file_names(tmp_path: Path) -> None:
    need("dot", "Debian package graphviz")
    for suffix, start in (
        (".svg", "<?xml"),
        (".html", "<!DOCTYPE html>"),
        (".mmd", "flowchart TB"),
        (".gv", "digraph"),
    ):
        out = tmp_path / f"lenet{suffix}"
        result = cli("draw", "lenet", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert out.read_text(encoding="utf-8").startswith(start), suffix


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def test_the_html_page_holds_the_svg_and_the_table_and_fetches_nothing() -> None:
    need("dot", "Debian package graphviz")
    from cnncalc.draw import html as page_format

    text = page_format.render(*report_of(awkward_trace()))
    page = _Page()
    page.feed(text)
    tags = [tag for tag, _ in page.tags]
    assert "svg" in tags and "table" in tags
    assert "script" not in tags and "link" not in tags and "img" not in tags
    for _, attrs in page.tags:  # nothing from the network: no src, no external href
        assert "src" not in attrs
        assert not str(attrs.get("href") or "").startswith(("http:", "https:", "//"))
    assert "@import" not in text and "url(" not in text
    assert AWKWARD not in text  # always escaped in the source...
    assert page.texts.count(AWKWARD) >= 2  # ...and read back as written: in the table and in the SVG


# Mermaid


@cache
def mermaid_parser() -> Path:
    """A folder with Mermaid (pinned in tests/mermaid/package.json) installed by npm, cached
    between runs outside the repository."""
    need("node", "Mermaid's parser runs in Node")
    npm = need("npm", "installs Mermaid's parser")
    pinned = json.loads((MERMAID / "package.json").read_text(encoding="utf-8"))["dependencies"]
    tag = "-".join(f"{k}{v}" for k, v in sorted(pinned.items()))
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "cnncalc-tests" / f"mermaid-{tag}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "parse.mjs"):
        shutil.copyfile(MERMAID / name, folder / name)
    if not (folder / "node_modules" / "mermaid" / "package.json").is_file():
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            message = f"npm could not install Mermaid: {done.stderr.strip()[-500:]}"
            pytest.fail(message) if IN_CI else pytest.skip(message)
    return folder


def mermaid_parse(texts: dict[str, str], tmp_path: Path) -> dict[str, dict[str, object]]:
    folder = mermaid_parser()
    files = []
    for name, text in texts.items():
        path = tmp_path / f"{name}.mmd"
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    done = subprocess.run(
        ["node", "parse.mjs", *files], cwd=folder, capture_output=True, text=True, timeout=600, check=True
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {Path(r["file"]).stem: r for r in results}


def shown(mermaid_text: str) -> str:
    """What a reader sees of a label Mermaid holds: Mermaid writes `#35;` as `ﬂ°°35¶ß` while
    parsing and turns it into `&#35;` in the HTML it renders (its decodeEntities)."""
    markup = mermaid_text.replace("ﬂ°°", "&#").replace("ﬂ°", "&").replace("¶ß", ";")
    page = _Page()
    page.feed(markup.replace("<br>", "\n"))
    page.close()
    return "".join(page.texts)  # the parser has decoded the entities, once, as a browser does


def test_mermaids_parser_reads_every_zoo_spec(tmp_path: Path) -> None:
    # A drawing past Mermaid's limits says so and is drawn at --depth 1 instead (the test
    # below): its parser refuses it, as GitHub would (maxvit_t's 502 edges).
    full = {name: mermaid.render(*report_of(zoo_trace(name))) for name in ZOO}
    texts = {name: text for name, text in full.items() if text.count("-->") <= 500}
    texts |= {f"{name}-depth1": mermaid.render(*report_of(zoo_trace(name), depth=1)) for name in ZOO}
    results = mermaid_parse(texts, tmp_path)
    assert set(results) == set(texts)
    failed = {name: r["error"] for name, r in results.items() if not r["ok"]}
    assert not failed
    lenet = results["lenet"]
    assert len(lenet["vertices"]) == 9  # type: ignore[arg-type]
    assert shown(lenet["vertices"][1]) == (  # type: ignore[index]
        "CONV1\nconv · f=5 s=1 · relu\n(28, 28, 6)\nparams 456 · MACs 352,800 (353 k)"
    )


@pytest.mark.parametrize("name", ZOO)
def test_every_zoo_specs_mermaid_is_within_mermaids_limits_or_says_so(name: str) -> None:
    # Mermaid's defaults, which GitHub keeps: maxTextSize 50,000 characters, maxEdges 500.
    # A drawing past them (DenseNet-121's 364 boxes) says so on stderr, and --depth 1 fits.
    text = mermaid.render(*report_of(zoo_trace(name)))
    within = len(text) <= 50_000 and text.count("-->") <= 500
    if not within:
        result = invoke(["draw", f"specs/{name}.yaml", "-f", "mermaid"], cwd=ROOT)
        assert "Mermaid (and GitHub) will not draw" in result.stderr and "--depth" in result.stderr
        text = mermaid.render(*report_of(zoo_trace(name), depth=1))
        assert len(text) <= 50_000 and text.count("-->") <= 500


def test_a_mermaid_drawing_within_the_limits_says_nothing_of_them() -> None:
    result = invoke(["draw", "specs/resnet50.yaml", "-f", "mermaid"], cwd=ROOT)
    assert result.exit_code == 0 and "Mermaid (and GitHub)" not in result.stderr


def test_an_awkward_name_reaches_mermaid_as_written(tmp_path: Path) -> None:
    text = mermaid.render(*report_of(awkward_trace()))
    assert AWKWARD not in text
    result = mermaid_parse({"awkward": text}, tmp_path)["awkward"]
    assert result["ok"], result["error"]
    names = [shown(v).split("\n")[0] for v in result["vertices"]]  # type: ignore[union-attr]
    assert AWKWARD in names
    assert len(result["edges"]) == 5  # type: ignore[arg-type]  # input->a, a->left, a->right, left->end, right->end


# Golden files: checked by hand once; CNNCALC_UPDATE_GOLDEN=1 rewrites them.


@pytest.mark.parametrize(("fmt", "suffix"), [("dot", "dot"), ("mermaid", "mmd")])
def test_lenet_matches_its_golden_file(fmt: str, suffix: str) -> None:
    result = cli("draw", "lenet", "--format", fmt)
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / f"lenet.{suffix}"
    if UPDATE:
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


# The graph


def test_merges_skips_and_branches_are_arrows_from_each_source() -> None:
    diagram = graph.build(*report_of(zoo_trace("resnet18")))
    into: dict[str, list[str]] = {}
    for arrow in diagram.arrows:
        into.setdefault(arrow.target, []).append(arrow.source)
    adds = [b for b in diagram.boxes if b.kind == "add"]
    assert len(adds) == 8  # 4 stages x 2 basic blocks
    assert all(len(into[b.id]) == 2 for b in adds)
    # The first block's skip: the maxpool's output goes to its first conv and to its add.
    maxpool = next(b for b in diagram.boxes if b.name == "maxpool")
    assert {diagram_box.kind for diagram_box in diagram.boxes if maxpool.id in into.get(diagram_box.id, [])} == {
        "conv",
        "add",
    }
    googlenet = graph.build(*report_of(zoo_trace("googlenet")))
    fed = {a.target: 0 for a in googlenet.arrows}
    for arrow in googlenet.arrows:
        fed[arrow.target] += 1
    concats = [b for b in googlenet.boxes if b.kind == "concat"]
    assert concats and all(fed[b.id] == 4 for b in concats)  # four inception branches


def test_arrows_carry_the_shape_that_flows_along_them() -> None:
    diagram = graph.build(*report_of(zoo_trace("lenet")))
    shapes = [a.shape for a in diagram.arrows]
    # LeNet by hand: 32 -> conv5 -> 28 -> pool2 -> 14 -> conv5 -> 10 -> pool2 -> 5; 5*5*16 = 400.
    expected = ["(32, 32, 3)", "(28, 28, 6)", "(14, 14, 6)", "(10, 10, 16)", "(5, 5, 16)", "(400,)", "(120,)"]
    assert shapes == [*expected, "(84,)"]


def test_depth_collapses_blocks_into_boxes_with_their_totals() -> None:
    trace = zoo_trace("resnet50")
    top = graph.build(*report_of(trace, depth=0))
    stages = [b for b in top.boxes if b.kind == "stage"]
    assert [b.name for b in stages] == ["layer1", "layer2", "layer3", "layer4"]
    assert not top.clusters
    # Every layer is counted once: the boxes add up to the network (25,557,032 params,
    # 4,089,184,256 MACs in the spec's torchvision reference).
    assert sum(b.params for b in top.boxes) == 25_557_032
    assert sum(b.macs for b in top.boxes) == 4_089_184_256
    # layer1 by hand: 3 bottlenecks (1x1 to 64, 3x3 64, 1x1 to 256, no conv bias), the first
    # with a 1x1 projection 64 -> 256; every batchnorm has a weight and a bias per channel.
    first = 64 * 64 + 9 * 64 * 64 + 64 * 256 + 64 * 256  # block 1 conv weights, projection included
    later = 256 * 64 + 9 * 64 * 64 + 64 * 256  # blocks 2 and 3
    norms = 2 * (64 + 64 + 256 + 256) + 2 * 2 * (64 + 64 + 256)  # batchnorm weight + bias
    assert stages[0].params == first + 2 * later + norms
    open_all = graph.build(*report_of(trace))
    assert len(open_all.boxes) == len(trace.nodes)


def test_blocks_of_one_kind_in_a_row_fold_and_a_resnet152_fits_a_page(tmp_path: Path) -> None:
    program = need("dot", "Debian package graphviz")
    text = (ROOT / "specs" / "resnet50.yaml").read_text(encoding="utf-8")
    # ResNet-152: stages of 3, 8, 36 and 3 bottlenecks (torchvision: 60,192,808 parameters).
    text = text.replace("name: resnet50", "name: resnet152").split("\nexpect:")[0]
    text = text.replace("blocks: 4, stride: 2}", "blocks: 8, stride: 2}").replace("blocks: 6,", "blocks: 36,")
    spec = tmp_path / "resnet152.yaml"
    spec.write_text(text, encoding="utf-8")
    trace = propagate(load_spec(spec), str(spec))
    assert Analysis(trace).totals.params.total == 60_192_808
    diagram = graph.build(*report_of(trace, depth=1))
    folded = {b.copies for b in diagram.boxes}
    assert folded == {1, 2, 7, 35}
    assert sum(b.params for b in diagram.boxes) == 60_192_808
    assert len(diagram.boxes) <= 16
    svg = subprocess.run(
        [program, "-Tsvg"], input=dot.write(diagram), capture_output=True, text=True, check=True, timeout=120
    )
    size = re.search(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', svg.stdout)
    assert size is not None
    width, height = float(size[1]), float(size[2])
    # An A4 page less 2 cm margins is 481 x 728 pt; the drawing fits it at 55% or more,
    # so its 10 pt names print at 5.5 pt or larger.
    assert min(481 / width, 728 / height) >= 0.55, (width, height)


def test_densenets_dense_layers_fold_into_one_box_per_dense_block() -> None:
    diagram = graph.build(*report_of(zoo_trace("densenet121"), depth=0))
    runs = [b for b in diagram.boxes if b.kind == "dense_layer"]
    assert [b.copies for b in runs] == [6, 12, 24, 16]
    # Each dense layer appends 32 channels: 64 + 6*32 = 256, 128 + 12*32 = 512,
    # 256 + 24*32 = 1024, 512 + 16*32 = 1024 leave each block.
    assert [b.shape for b in runs] == ["(56, 56, 256)", "(28, 28, 512)", "(14, 14, 1024)", "(7, 7, 1024)"]
    assert sum(b.params for b in diagram.boxes) == 7_978_856  # torchvision's densenet121
    assert len(diagram.boxes) == 14


# The command line


def test_the_table_never_imports_the_drawing_code() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['cnncalc', 'table', 'specs/lenet.yaml']\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('cnncalc.draw')), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().endswith("[]")


def test_draw_rejects_unknown_choices_and_specs_with_exit_2() -> None:
    for args in (("--format", "gif"), ("--rankdir", "BT"), ("--depth", "-1")):
        result = cli("draw", "lenet", *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, args
    missing = cli("draw", "lenett")
    assert missing.returncode == 2 and "did you mean 'lenet'" in missing.stderr


def test_rankdir_lr_lays_out_left_to_right() -> None:
    result = cli("draw", "lenet", "--rankdir", "LR", "--format", "mermaid")
    assert result.stdout.startswith("flowchart LR\n")
    assert "rankdir=LR;" in cli("draw", "lenet", "--rankdir", "LR").stdout


def test_ci_installs_graphviz_and_node_before_the_tests() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    tests = script.index("python -m pytest")
    for package in ("graphviz", "nodejs", "npm"):
        assert f"missing+=({package})" in script[:tests]
    assert script.index("apt-get install") < tests


# The diff's Markdown


def test_diff_markdown_embeds_a_mermaid_drawing_of_what_changed(tmp_path: Path) -> None:
    lenet = (ROOT / "specs" / "lenet.yaml").read_text(encoding="utf-8").split("\nexpect:")[0]
    lenet = lenet.replace("  - {name: FC4,", "  - {name: drop, type: dropout, rate: 0.5}\n  - {name: FC4,")
    changed = lenet.replace("units: 120", "units: 100").replace("  - {name: drop, type: dropout, rate: 0.5}\n", "")
    changed = changed.replace(
        "  - {type: flatten}", f"  - {{name: {json.dumps(AWKWARD)}, type: batchnorm}}\n  - {{type: flatten}}"
    )
    (tmp_path / "old.yaml").write_text(lenet, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(changed, encoding="utf-8")
    result = cli("diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--format", "markdown")
    assert result.returncode == 0, result.stderr
    block = re.search(r"```mermaid\n(.*?)```", result.stdout, re.S)
    assert block is not None
    parsed = mermaid_parse({"diff": block[1]}, tmp_path)["diff"]
    assert parsed["ok"], parsed["error"]
    seen = [shown(v) for v in parsed["vertices"]]  # type: ignore[union-attr]
    # FC3 by hand: 400 * 100 + 100 = 40,100 params, 8,020 fewer than 400 * 120 + 120.
    assert "FC3\ndense · changed\nparams 40,100 (-8,020)\nMACs 40,000 (-8,000)" in seen
    assert any(s.startswith(f"{AWKWARD}\nbatchnorm · added") for s in seen)
    assert any(s.startswith("drop\ndropout · removed") for s in seen)
    assert "CONV1 … POOL2\n4 unchanged layers" in seen
    same = cli("diff", "lenet", "lenet", "--format", "markdown")
    assert "```mermaid" not in same.stdout  # nothing changed, nothing drawn


def test_the_readme_shows_the_lenet_diagram_as_drawn() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    golden = (GOLDEN / "lenet.mmd").read_text(encoding="utf-8")
    assert f"```mermaid\n{golden}```" in readme


# Pictures through Graphviz: `-o FILE`'s suffix names the format, or the run is refused


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_draw_renders_png_and_pdf_through_graphviz(tmp_path: Path) -> None:
    need("dot", "Debian package graphviz")
    for suffix, magic in ((".png", PNG_MAGIC), (".pdf", b"%PDF-")):
        out = tmp_path / f"lenet{suffix}"
        result = cli("draw", "lenet", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert out.read_bytes().startswith(magic), suffix
    # --format names it too, and writes it to stdout like `dot -Tpng` does
    piped = subprocess.run(
        [sys.executable, "-m", "cnncalc", "draw", "lenet", "--format", "png"],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )
    assert piped.returncode == 0 and piped.stdout.startswith(PNG_MAGIC)


@pytest.mark.parametrize("name", ["lenet.txt", "lenet.jpg", "lenet"])
def test_draw_refuses_an_output_suffix_it_cannot_tell_and_writes_nothing(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    result = cli("draw", "lenet", "-o", str(out))
    assert result.returncode == 2
    assert "--format" in result.stderr and ".png" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file
    # Naming the format writes it whatever the file is called.
    named = cli("draw", "lenet", "-o", str(out), "--format", "dot")
    assert named.returncode == 0 and out.read_text(encoding="utf-8").startswith("digraph")


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg"])
def test_a_picture_without_graphviz_exits_2_and_writes_nothing(suffix: str, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / f"lenet{suffix}"
    result = cli("draw", "lenet", "-o", str(out), env={**os.environ, "PATH": str(empty)})
    assert result.returncode == 2
    assert "Graphviz" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


def test_a_failing_graphviz_leaves_no_partial_picture(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    script = fake / "dot"  # writes half a PNG, then fails, as a crashing dot would
    script.write_text("#!/bin/sh\nprintf '\\211PNG'\necho 'dot: out of memory' >&2\nexit 1\n", encoding="utf-8")
    script.chmod(0o755)
    out = tmp_path / "lenet.png"
    result = cli("draw", "lenet", "-o", str(out), env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"})
    assert result.returncode == 2
    assert "out of memory" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


# Repeats, folding, order and clusters


def test_a_repeated_layer_folds_like_repeated_blocks() -> None:
    trace = zoo_trace("vit_b_16")
    for depth in (0, 1):
        diagram = graph.build(*report_of(trace, depth=depth))
        encoders = [b for b in diagram.boxes if b.kind == "transformer_encoder_layer"]
        assert len(encoders) == 1
        (encoder,) = encoders
        assert encoder.copies == 12 and encoder.heading == "encoder.1 … 12 ×12"
        # Per layer, by hand (the spec's comment): attention 4*768*768 + 4*768 = 2,362,368, MLP
        # 2*768*3072 + 3072 + 768 = 4,722,432, two norms 2*1,536: 7,087,872; twelve of them.
        assert encoder.params == 12 * 7_087_872
        assert encoder.detail == "transformer_encoder_layer · h=12 ff=3072 gelu pre-norm"
        assert sum(b.params for b in diagram.boxes) == 86_567_656
        assert len(diagram.boxes) == len(trace.nodes) - 11
    # Every layer drawn without --depth; two layers written out, not repeated, never fold.
    assert len(graph.build(*report_of(trace)).boxes) == len(trace.nodes)
    twice = {
        "name": "twice",
        "input": {"h": 8, "w": 8, "c": 4},
        "layers": [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}] * 2,
    }
    written = propagate(loads_spec(yaml.safe_dump(twice), "twice.yaml"), "twice.yaml")
    assert [b.copies for b in graph.build(*report_of(written, depth=0)).boxes] == [1, 1, 1]


def test_branches_keep_the_specs_order() -> None:
    trace = zoo_trace("googlenet")
    text = dot.render(*report_of(trace))
    # Inception3a's four branches start at nodes 9, 11, 15 and 19 (1x1 | 1x1, 3x3 | 1x1, 3x3 |
    # pool, 1x1; two layers a basic conv): kept on one rank in this order by invisible arrows.
    assert "    {rank=same; n9 -> n11 -> n15 -> n19 [style=invis];}\n  }\n" in text
    assert text.count("rank=same") == 9  # one per inception block
    declared = [int(m[1]) for m in re.finditer(r"^\s*n(\d+) \[label=", text, re.M)]
    assert declared == sorted(declared)  # boxes written in the spec's order, inside clusters too
    mmd = mermaid.render(*report_of(trace))
    declared = [int(m[1]) for m in re.finditer(r"^\s*n(\d+)\[", mmd, re.M)]
    assert declared == sorted(declared)


def test_graphviz_lays_out_inception_branches_left_to_right_in_order() -> None:
    program = need("dot", "Debian package graphviz")
    trace = zoo_trace("googlenet")
    done = subprocess.run(
        [program, "-Tsvg"], input=dot.render(*report_of(trace)), capture_output=True, text=True, check=True, timeout=120
    )
    svg = ET.fromstring(done.stdout)
    x: dict[int, float] = {}
    for g in svg.iter("{http://www.w3.org/2000/svg}g"):
        title = g.find("{http://www.w3.org/2000/svg}title")
        if g.get("class") == "node" and title is not None and title.text:
            x[int(title.text[1:])] = min(float(t.get("x", 0)) for t in g.iter("{http://www.w3.org/2000/svg}text"))
    fed_by: dict[int, list[int]] = {}
    for node in trace.nodes[1:]:
        for source in node.sources:
            fed_by.setdefault(source, []).append(node.index)
    branching = [heads for heads in fed_by.values() if len(heads) == 4]
    assert len(branching) == 9  # nine inception blocks of four branches
    for heads in branching:
        assert [x[h] for h in heads] == sorted(x[h] for h in heads), heads


def test_a_block_of_two_layers_in_a_row_is_no_cluster() -> None:
    diagram = graph.build(*report_of(zoo_trace("googlenet")))
    headings = [c.heading for c in diagram.clusters.values()]
    # torchvision's BasicConv2d (conv, batchnorm) is drawn as its two boxes; the inceptions stay clusters.
    assert not any(h.endswith("(basic)") for h in headings)
    assert len(headings) == 9 and all(h.endswith("(inception)") for h in headings)
    names = {(b.name, b.cluster) for b in diagram.boxes}
    assert ("conv1/conv#1", None) in names and ("conv1/batchnorm#1", None) in names
    inception3a = next(c.id for c in diagram.clusters.values() if c.name == "inception3a")
    assert ("basic.1/conv#1", inception3a) in names and ("maxpool#1", inception3a) in names
    # A pair whose layers both read the block's input is still drawn as its own cluster.
    pair = {
        "name": "pair",
        "input": {"h": 8, "w": 8, "c": 4},
        "blocks": {
            "two": {
                "layers": [
                    {"name": "a", "type": "conv", "filters": 4, "kernel": 1},
                    {"name": "b", "type": "conv", "filters": 4, "kernel": 1, "from": "input"},
                ]
            }
        },
        "layers": [{"name": "p", "type": "two"}, {"type": "relu"}],
    }
    trace = propagate(loads_spec(yaml.safe_dump(pair), "pair.yaml"), "pair.yaml")
    assert [c.heading for c in graph.build(*report_of(trace)).clusters.values()] == ["p (two)"]


def test_a_large_drawing_hints_at_depth_on_stderr_only(tmp_path: Path) -> None:
    big = cli("draw", "resnet50")
    assert big.returncode == 0, big.stderr
    assert big.stdout.startswith("digraph") and "--depth" not in big.stdout
    # Every layer is a box; the deepest blocks (depth 2: each bottleneck's residual) drawn as one
    # box each, with the bottlenecks after each stage's first folded, fit a page.
    trace = zoo_trace("resnet50")
    assert max(g.depth for g in trace.groups) == 2
    fits = len(graph.build(*report_of(trace, depth=2)).boxes)
    assert fits <= 100
    assert big.stderr == (
        f"cnncalc draw: note: {len(trace.nodes)} boxes make a large drawing; --depth 2 draws blocks nested "
        f"deeper than 2 as one box each ({fits} boxes)\n"
    )
    out = tmp_path / "resnet50.dot"
    written = cli("draw", "resnet50", "-o", str(out))
    assert "--depth" in written.stderr and "--depth" not in out.read_text(encoding="utf-8")
    for small in (("resnet50", "--depth", "1"), ("lenet",)):
        assert cli("draw", *small).stderr == "", small


class _Table(HTMLParser):
    """The rows of an HTML page's table, each a list of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.heading = ""
        self._where = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th", "h1"):
            self._where = tag
            if tag != "h1":
                self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "h1"):
            self._where = ""

    def handle_data(self, data: str) -> None:
        if self._where == "h1":
            self.heading += data
        elif self._where:
            self.rows[-1][-1] += data


def page_of(*args: str, tmp_path: Path) -> _Table:
    need("dot", "Debian package graphviz")
    out = tmp_path / "page.html"
    result = cli("draw", *args, "-o", str(out))
    assert result.returncode == 0, result.stderr
    page = _Table()
    page.feed(out.read_text(encoding="utf-8"))
    return page


def test_the_html_table_folds_like_the_drawing(tmp_path: Path) -> None:
    page = page_of("llama_tiny", "--depth", "0", tmp_path=tmp_path)
    names = [row[1].strip() for row in page.rows[1:]]
    assert names == ["input", "layers.1 … 4 ×4", "norm", "lm_head"]
    layers = page.rows[2]
    # Per layer, by hand (the spec's comment): 2 norms 2*256, attention 163,840, SwiGLU 528,384: 692,736.
    assert layers[6] == f"{4 * 692_736:,}"
    assert layers[0] == f"1-{len(zoo_trace('llama_tiny').nodes) - 3}"


def test_the_html_heading_shows_the_spec_as_given_and_claims_are_marked(tmp_path: Path) -> None:
    page = page_of("lenet", tmp_path=tmp_path)
    assert page.heading.startswith("lenet · lenet · input 32×32×3")
    by_name = {row[1].strip(): row for row in page.rows[1:]}
    assert by_name["CONV1"][4] == "(28, 28, 6) ✓" and by_name["CONV1"][6] == "456 ✓"
    assert by_name["CONV1"][7] == "352,800 ✓"
    assert by_name["FC3"][6] == "48,120 ✓" and by_name["POOL1"][6] == "0"
    relative = page_of("specs/lenet.yaml", tmp_path=tmp_path)
    assert relative.heading.startswith("lenet · specs/lenet.yaml · input")
    # An absolute path: relative to the folder it runs in, else the file's name alone.
    inside = page_of(str(ROOT / "specs" / "lenet.yaml"), tmp_path=tmp_path)
    assert inside.heading.startswith("lenet · specs/lenet.yaml · input")
    elsewhere = tmp_path / "mine.yaml"
    shutil.copyfile(ROOT / "specs" / "lenet.yaml", elsewhere)
    outside = page_of(str(elsewhere), tmp_path=tmp_path)
    assert outside.heading.startswith("lenet · mine.yaml · input")
