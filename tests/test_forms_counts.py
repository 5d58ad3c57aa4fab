"""How a layer is written (`form:`) and what other tools count (issue 22).

Two halves:
- every preset against its real tool on torchvision's OWN module, for every zoo spec that is
  a torchvision model: the zoo says how torchvision writes each layer (F.relu in GoogLeNet's
  BasicConv2d, F.adaptive_avg_pool2d in DenseNet and MobileNetV2, x.mean([2, 3]) in
  ShuffleNetV2, ConvNeXt's LayerNorm2d subclass and bare layer-scale nn.Parameter, ViT's bare
  position embedding and nn.GELU module), and each preset must give the tool's number;
- every form built by cnncalc's own `--verify` builder (`Layer.build_torch`), run through
  each real tool, against the preset: the builder writes the layer the way the spec says.

The tools run as tests/test_conventions_tools.py runs them (batch 1); the models at 64x64
(ViT built with image_size=64: 16 patches and the class token) to keep the run short.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from needs import needs_module
from real_tools import TOOLS, quiet
from torchvision_models import ZOO, needs_torchvision

from cnncalc.conventions._preset import tally
from cnncalc.conventions.registry import get
from cnncalc.engine import Trace, propagate
from cnncalc.spec import loads_spec
from cnncalc.zoo import zoo_dir

torch = needs_module("torch")

SIZE = 64
# Inception v3's two grid reductions need more: 75x75 is torchvision's own min_size for it.
# MaxViT's grid attention needs every stage's map a multiple of its 7x7 grid: 224 (7 at the last).
SMALLEST = {"inception_v3": 75, "maxvit_t": 224}
# ViT at 64x64: (64 / 16)^2 = 16 patches and the class token.
VIT_TOKENS = (SIZE // 16) ** 2 + 1


@cache
def _zoo_trace(name: str) -> Trace:
    text = (zoo_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    size = SMALLEST.get(name, SIZE)
    text = re.sub(r"input: \{h: \d+, w: \d+, c: 3\}", f"input: {{h: {size}, w: {size}, c: 3}}", text)
    text = text.replace("max_len: 197", f"max_len: {VIT_TOKENS}")  # ViT's position table
    return propagate(loads_spec(text, f"{name}.yaml"), f"{name}.yaml")


def _torchvision_module(name: str) -> Any:
    tv = needs_torchvision()
    constructor, arguments = ZOO[name]
    extra = {"image_size": SIZE} if name.startswith("vit") else {}
    torch.manual_seed(0)
    return getattr(tv.models, constructor)(weights=None, **arguments, **extra).eval()


def _real(make: Callable[[], Any], shape: tuple[int, ...], tool: str) -> int:
    with quiet():
        return TOOLS[tool](make(), shape)  # a fresh module per tool: some leave hooks behind


def _preset(trace: Trace, tool: str) -> int | None:
    return tally(get(tool), trace).total


@pytest.mark.parametrize("name", list(ZOO))
def test_every_preset_equals_its_tool_on_torchvisions_module(name: str) -> None:
    trace = _zoo_trace(name)
    shape = tuple(trace.nodes[0].output)
    pristine = _torchvision_module(name)  # built once (VGG's and ConvNeXt's init is slow), copied per tool
    differences = {}
    for tool in TOOLS:
        real = _real(lambda: copy.deepcopy(pristine), shape, tool)
        preset = _preset(trace, tool)
        if preset != real:
            differences[tool] = (preset, real)
    assert differences == {}


# Small specs, one per form, built by cnncalc's own builder and run through every tool.
FORMS: dict[str, str] = {
    # F.relu after a batchnorm (GoogLeNet's BasicConv2d), F.max_pool2d, F.adaptive_avg_pool2d.
    "function": """
layers:
  - {type: conv, filters: 8, kernel: 3, padding: 1, bias: false}
  - {type: batchnorm, activation: relu, activation_form: function}
  - {type: relu, form: function}
  - {type: maxpool, kernel: 2, form: function}
  - {type: adaptive_avgpool, size: 3, form: function}
  - {type: upsample, size: 6, form: function}
  - {type: global_avgpool, form: function}
  - {type: dense, units: 10}
""",
    # x.mean([2, 3]), as ShuffleNetV2.
    "method": """
layers:
  - {type: conv, filters: 8, kernel: 3, padding: 1}
  - {type: relu}
  - {type: global_avgpool, form: method}
  - {type: dense, units: 10}
""",
    # LayerNorm2d(nn.LayerNorm), and subclasses of a conv, a batchnorm, a relu and a pool.
    "subclass": """
layers:
  - {type: conv, filters: 8, kernel: 3, padding: 1, form: subclass}
  - {type: batchnorm, form: subclass}
  - {type: relu, form: subclass}
  - {type: layernorm, axis: channels, form: subclass}
  - {type: maxpool, kernel: 2, form: subclass}
  - {type: global_avgpool, form: subclass}
  - {type: dense, units: 10, form: subclass}
""",
    # ConvNeXt's bare layer scale.
    "parameter": """
layers:
  - {type: conv, filters: 8, kernel: 3, padding: 1}
  - {type: scale, form: parameter}
  - {type: global_avgpool}
  - {type: dense, units: 10}
""",
}


def _form_trace(form: str) -> Trace:
    text = f"name: {form}\ninput: {{h: 12, w: 12, c: 3}}\n{FORMS[form]}"
    return propagate(loads_spec(text, f"{form}.yaml"), f"{form}.yaml")


def _built(trace: Trace) -> Any:
    from cnncalc.verify import build_module

    torch.manual_seed(0)
    return build_module(trace).eval()


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("form", list(FORMS))
def test_the_builder_writes_each_form_as_its_preset_counts_it(form: str, tool: str) -> None:
    trace = _form_trace(form)
    assert _preset(trace, tool) == _real(lambda: _built(trace), tuple(trace.nodes[0].output), tool)


VIT_PARTS = """
name: vit_parts
input: {l: 5, d: 16}
layers:
  - {type: class_token, form: parameter}
  - {type: position_embedding, max_len: 6, form: parameter}
  - {type: transformer_encoder_layer, heads: 2, feedforward: 32, feedforward_activation: gelu,
     feedforward_activation_form: module, norm_first: true, dropout: 0.0}
  - {type: select, index: 0}
  - {type: dense, units: 4}
"""


@pytest.mark.parametrize("tool", list(TOOLS))
def test_vits_bare_parameters_and_gelu_module_as_built(tool: str) -> None:
    trace = propagate(loads_spec(VIT_PARTS, "vit_parts.yaml"), "vit_parts.yaml")
    assert _preset(trace, tool) == _real(lambda: _built(trace), (5, 16), tool)


def _error_of(text: str) -> str:
    from cnncalc.errors import SpecError

    with pytest.raises(SpecError) as caught:
        propagate(loads_spec(text, "net.yaml"), "net.yaml")
    return str(caught.value)


def test_a_form_the_kind_is_never_written_in_is_a_located_error() -> None:
    # `  - {type: conv, filters: 4, kernel: 3, form: ` is 46 characters: the value starts in column 47.
    text = "name: n\ninput: {h: 8, w: 8, c: 3}\nlayers:\n  - {type: conv, filters: 4, kernel: 3, form: method}\n"
    assert (
        _error_of(text) == "net.yaml:4:47: layer 1 (conv): form: a conv is written as module or subclass, not `method`"
    )


def test_a_misspelt_form_says_which_it_meant() -> None:
    text = "name: n\ninput: {h: 8, w: 8, c: 3}\nlayers:\n  - {type: relu, form: functional}\n"
    assert _error_of(text).endswith("did you mean 'function'?")


def test_the_module_form_is_the_default_and_builds_as_before() -> None:
    # No spec that leaves `form:` out changes: the layer is built as its torch module.
    plain = "name: n\ninput: {h: 8, w: 8, c: 3}\nlayers:\n  - {type: relu}\n  - {type: global_avgpool}\n"
    written = plain.replace("{type: relu}", "{type: relu, form: module}")
    assert [n.layer for n in _trace_of(plain).nodes] == [n.layer for n in _trace_of(written).nodes]
    module = _built(_trace_of(plain))
    assert [type(m).__name__ for m in module.nodes] == ["Identity", "ReLU", "Sequential"]


def _trace_of(text: str) -> Trace:
    return propagate(loads_spec(text, "net.yaml"), "net.yaml")
