"""torchvision's own model code, for tests and benchmarks only (cnncalc never imports it).

Why `import torchvision` needs care here: the torchvision 0.28.0 wheel on the package index
is built against CUDA, so its compiled operators (`torchvision/_C.so`) link
`libc10_cuda.so`, which the CPU build of torch 2.13 does not ship. torchvision tolerates
that much (`torchvision.extension._load_library` catches the OSError, `_has_ops()` is then
False and every other operator registration is skipped), except for two lines:
`torchvision/_meta_registrations.py` registers fake (meta) kernels for `torchvision::nms`
and `torchvision::qnms` unconditionally, and `torch.library.register_fake` refuses an
operator whose schema nobody defined: `RuntimeError: operator torchvision::nms does not
exist`, and the package import fails.

The fix here: try the plain import first (where `_C.so` loads, as with a CPU wheel or on a
CUDA machine, nothing needs doing, and defining the schemas ourselves would then clash with
the ones `_C.so` defines). If it fails for exactly that reason, drop the half-imported
`torchvision` modules, define the two schemas (with the arguments of torchvision's
`meta_nms` and `meta_qnms`: boxes, scores, an IoU threshold; a tensor of kept indices) in a
`torch.library.Library("torchvision", "FRAGMENT")` kept alive for the process, and import
again: the fake kernels now register on the defined-but-kernel-less operators. Calling
`torchvision.ops.nms` would still fail (there is no kernel), but the classification models
never call it; their code, `torchvision.models.*`, is pure Python over torch and runs as is.

No environment variable of torchvision skips the registration
(TORCHVISION_WARN_WHEN_EXTENSION_LOADING_FAILS only makes the failed load warn).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

from needs import _missing

# The schemas of the operators torchvision registers fake kernels for without checking
# that its compiled library loaded.
_UNGUARDED_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_fragment: Any = None  # the torch.library.Library holding them; dropped, it would unregister them


def _forget_torchvision() -> None:
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]


def import_torchvision() -> ModuleType:
    """`import torchvision`, working around the missing compiled operators (see above).
    ImportError where torchvision is not installed."""
    global _fragment
    try:
        return importlib.import_module("torchvision")
    except RuntimeError as error:
        extension = sys.modules.get("torchvision.extension")
        loaded = extension is not None and extension._has_ops()
        if loaded or "torchvision::nms does not exist" not in str(error):
            raise
    _forget_torchvision()
    import torch

    _fragment = torch.library.Library("torchvision", "FRAGMENT")
    for schema in _UNGUARDED_SCHEMAS:
        _fragment.define(schema)
    return importlib.import_module("torchvision")


def needs_torchvision() -> ModuleType:
    """torchvision, or a skip where it is missing (a failure in CI, as tests/needs.py does)."""
    try:
        return import_torchvision()
    except ImportError:
        _missing("the Python module 'torchvision'")


# Each zoo spec that is a torchvision model: the constructor and its arguments. The zoo's
# GoogLeNet and Inception v3 have no auxiliary heads; init_weights=False skips their slow
# truncated-normal initialisation (the numbers do not depend on the values).
ZOO: dict[str, tuple[str, dict[str, Any]]] = {
    "alexnet": ("alexnet", {}),
    "vgg16": ("vgg16", {}),
    "resnet18": ("resnet18", {}),
    "resnet50": ("resnet50", {}),
    "googlenet": ("googlenet", {"aux_logits": False, "init_weights": False}),
    "densenet121": ("densenet121", {}),
    "mobilenet_v2": ("mobilenet_v2", {}),
    "squeezenet1_1": ("squeezenet1_1", {}),
    "shufflenet_v2_x1_0": ("shufflenet_v2_x1_0", {}),
    "convnext_tiny": ("convnext_tiny", {}),
    "vit_b_16": ("vit_b_16", {}),
    "vgg11": ("vgg11", {}),
    "resnet34": ("resnet34", {}),
    "resnext50_32x4d": ("resnext50_32x4d", {}),
    "wide_resnet50_2": ("wide_resnet50_2", {}),
    "squeezenet1_0": ("squeezenet1_0", {}),
    "regnet_x_400mf": ("regnet_x_400mf", {}),
    "mnasnet1_0": ("mnasnet1_0", {}),
    "mobilenet_v3_small": ("mobilenet_v3_small", {}),
    "mobilenet_v3_large": ("mobilenet_v3_large", {}),
    "efficientnet_b0": ("efficientnet_b0", {}),
    "inception_v3": ("inception_v3", {"aux_logits": False, "init_weights": False}),
    "swin_t": ("swin_t", {}),
    "maxvit_t": ("maxvit_t", {}),
}


def build(spec_name: str, torchvision: ModuleType | None = None) -> Any:
    """torchvision's module for the zoo spec `spec_name`, with no weights (random init)."""
    tv = torchvision if torchvision is not None else import_torchvision()
    constructor, arguments = ZOO[spec_name]
    return getattr(tv.models, constructor)(weights=None, **arguments)
