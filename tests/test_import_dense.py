"""`cnncalc import` of DenseNet's dense connections (a list of features each layer concatenates)
folded into one repeated block, and `verify --against` of torchvision's LayerNorm2d.

References: hand arithmetic in the comments, and PyTorch's own counts of the model the code
builds (`cnncalc.verify.compare_with_model`, which never reads the spec's expect:).
"""

from __future__ import annotations

import re
from pathlib import Path

from needs import needs_module
from torchvision_models import needs_torchvision
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.engine import propagate
from cnncalc.figures import totals
from cnncalc.spec import loads_spec

DENSE = Path(__file__).parent / "data" / "torch_code" / "dense_features.py"
runner = CliRunner()


def test_a_list_of_features_folds_into_repeated_layers(tmp_path: Path) -> None:
    """Three units each concatenating every feature before it: a block that reads the running
    concatenation and appends its own, repeated. By hand on 4x8x8, growth 2: convs 3*3*2
    * (4 + 6 + 8) = 324 params, 64 positions * 324 = 20,736 MACs, 4 + 3*2 = 10 channels out."""
    needs_module("torch")
    from cnncalc.importers.torch_code import import_source

    text = import_source(f"{DENSE}:DenseFeatures", (4, 8, 8))
    assert "      - {type: concat, from: [input, conv]}\n" in text
    assert "layers:\n  - {type: unit, repeat: 3}\n" in text
    trace = propagate(loads_spec(text, "dense.yaml"), "dense.yaml")
    figures = totals(trace)
    assert (figures.params.total, figures.macs, tuple(figures.output)) == (324, 20_736, (10, 8, 8))
    spec = tmp_path / "dense.yaml"
    spec.write_text(text)
    checked = runner.invoke(app, ["verify", str(spec), "--against", f"{DENSE}:DenseFeatures"])
    assert checked.exit_code == 0, checked.stdout + checked.stderr


def test_the_imported_densenet121_is_short_with_repeated_dense_layers() -> None:
    """As specs/densenet121.yaml writes it: one dense layer block, repeated 6, 12, 24 and 16
    times (the blocks of 6, 12, 24 and 16 layers torchvision builds); 423 lines before."""
    needs_torchvision()
    from cnncalc.importers.torch_code import import_source
    from cnncalc.verify import compare_with_model

    text = import_source("torchvision.models:densenet121", (3, 32, 32))
    assert len(text.splitlines()) < 45
    assert re.findall(r"type: dense_layer, repeat: (\d+)", text) == ["6", "12", "24", "16"]
    trace = propagate(loads_spec(text, "densenet121.yaml"), "densenet121.yaml")
    comparison = compare_with_model(trace, "torchvision.models:densenet121", "meta")
    assert comparison.agrees, comparison


def test_verify_against_takes_layernorm2d_leaf_by_leaf() -> None:
    """torchvision's LayerNorm2d (a subclass of nn.LayerNorm that permutes inside its own
    forward) gives the (C, H, W) map as a leaf: the spec's `layernorm, axis: channels, form:
    subclass` builds as such a subclass too, so the zoo's ConvNeXt-T lines up leaf by leaf
    (it did not: the spec's leaf gave (H, W, C))."""
    needs_torchvision()
    from cnncalc import zoo
    from cnncalc.verify import compare_with_model

    text = Path(zoo.locate("convnext_tiny", "verify")).read_text(encoding="utf-8")
    text = text.replace("input: {h: 224, w: 224, c: 3}", "input: {h: 64, w: 64, c: 3}")
    text = "\n".join(line for line in text.splitlines() if "{shape:" not in line)  # expect: is for 224
    trace = propagate(loads_spec(text, "convnext_tiny.yaml"), "convnext_tiny.yaml")
    comparison = compare_with_model(trace, "torchvision.models:convnext_tiny", "meta")
    assert comparison.first_leaf_mismatch is None, comparison.spec_leaves[:3]
    norms = [leaf.shape for leaf in comparison.spec_leaves if "layernorm" in leaf.label]
    assert norms[0] == (96, 16, 16)  # the stem's LayerNorm2d: 64 / 4 = 16
    assert comparison.agrees
