"""The false-claim explainer: each common mistake, recomputed by hand here."""

from __future__ import annotations

import pytest

from cnncalc.engine import propagate
from cnncalc.explain import explain
from cnncalc.figures import check_claims
from cnncalc.spec import loads_spec


def explanations(text: str) -> dict[str, str | None]:
    trace = propagate(loads_spec(text, "t.yaml"), "t.yaml")
    results, unknown = check_claims(trace)
    assert not unknown
    return {f"{r.target}.{r.field}": explain(r, trace) for r in results if not r.confirmed}


CONV2 = """
name: t
input: {h: 14, w: 14, c: 6}
layers:
  - {name: CONV2, type: conv, filters: 16, kernel: 5, bias: %s}
expect:
  CONV2: {params: %d}
"""


@pytest.mark.parametrize(
    ("bias", "claimed", "why"),
    [
        # The course's table: (5*5 + 1) * 16 = 416; the layer sees 6 channels: 5*5*6*16 + 16 = 2,416.
        ("true", 416, "416 = (5*5 + 1) * 16 counts one input channel; this layer sees 6: 5*5*6*16 + 16 = 2,416"),
        # 5*5*16 = 400: neither the channels nor the bias.
        (
            "true",
            400,
            "400 = 5*5 * 16 counts one input channel and no bias; this layer sees 6: 5*5*6*16 + 16 = 2,416",
        ),
        # 5*5*6*16 = 2,400: the bias left out.
        ("true", 2400, "2,400 = 5*5*6*16 leaves out the 16 biases: 5*5*6*16 + 16 = 2,416"),
        # bias: false has 2,400; claiming 2,416 counts biases that are not there.
        ("false", 2416, "2,416 counts 16 biases, but this layer has bias: false: 5*5*6*16 = 2,400"),
        # Without bias, the one-channel count is 5*5*16 = 400.
        ("false", 400, "400 = 5*5 * 16 counts one input channel; this layer sees 6: 5*5*6*16 = 2,400"),
    ],
)
def test_conv_params(bias: str, claimed: int, why: str) -> None:
    assert explanations(CONV2 % (bias, claimed)) == {"CONV2.params": why}


def test_groups_ignored() -> None:
    # 3*3*8*16 + 16 = 1,168 ignores groups=4; each filter sees 2 channels: 3*3*2*16 + 16 = 304.
    text = "name: t\ninput: {h: 8, w: 8, c: 8}\nlayers:\n  - {name: g, type: conv, filters: 16, kernel: 3, groups: 4}\n"
    got = explanations(text + "expect:\n  g: {params: 1168}\n")
    assert got == {"g.params": "1,168 ignores groups=4: each filter sees 2 of the 8 channels: 3*3*2*16 + 16 = 304"}


def test_dense_bias_forgotten() -> None:
    text = "name: t\ninput: {features: 400}\nlayers:\n  - {name: FC3, type: dense, units: 120}\n"
    got = explanations(text + "expect:\n  FC3: {params: 48000}\n")
    assert got == {"FC3.params": "48,000 = 400*120 leaves out the 120 biases: 400*120 + 120 = 48,120"}


def test_batchnorm_buffers_counted() -> None:
    # 16 channels: gamma and beta 32 params; buffers 2*16 + 1 = 33; claiming 65 adds them.
    text = "name: t\ninput: {h: 4, w: 4, c: 16}\nlayers:\n  - {name: bn, type: batchnorm}\n"
    got = explanations(text + "expect:\n  bn: {params: 65}\n")
    assert got == {"bn.params": "65 counts the 33 buffer elements (running statistics), which are not parameters: 32"}


def test_batchnorm_counted_as_keras_does() -> None:
    # Keras counts gamma, beta, moving mean and moving variance: 4 * 16 = 64 for 16 channels.
    text = "name: t\ninput: {h: 4, w: 4, c: 16}\nlayers:\n  - {name: bn, type: batchnorm}\n"
    got = explanations(text + "expect:\n  bn: {params: 64}\n")
    assert got == {
        "bn.params": "64 counts the running mean and variance (32) as parameters, as Keras does; "
        "PyTorch keeps them as buffers: 32 parameters, 33 buffer elements"
    }


def test_total_params_with_one_channel_convs() -> None:
    # One input channel in both convs: (5*5 + 1)*6 = 156 and (5*5 + 1)*16 = 416, so
    # 62,006 - (456 - 156) - (2,416 - 416) = 59,706.
    text = """
name: lenet
input: {h: 32, w: 32, c: 3}
layers:
  - {name: CONV1, type: conv, filters: 6, kernel: 5, activation: relu}
  - {type: maxpool, kernel: 2}
  - {name: CONV2, type: conv, filters: 16, kernel: 5, activation: relu}
  - {type: maxpool, kernel: 2}
  - {type: flatten}
  - {type: dense, units: 120, activation: relu}
  - {type: dense, units: 84, activation: relu}
  - {type: dense, units: 10, activation: softmax}
expect:
  total: {params: 59706}
"""
    assert explanations(text) == {"total.params": "59,706 counts one input channel in every conv layer: 62,006"}


def test_total_bias_forgotten() -> None:
    # 100*10 + 10 = 1,010 params; without the 10 biases 1,000.
    text = "name: t\ninput: {features: 100}\nlayers:\n  - {type: dense, units: 10}\nexpect:\n  total: {params: 1000}\n"
    assert explanations(text) == {"total.params": "1,000 leaves out the 10 biases: 1,010"}


def test_padding_and_stride_ignored_in_shapes() -> None:
    # p=2, f=5, s=1 on 32: (32 + 4 - 5)/1 + 1 = 32; ignoring the padding gives 28.
    padded = (
        "name: t\ninput: {h: 32, w: 32, c: 3}\nlayers:\n  - {name: c, type: conv, filters: 6, kernel: 5, padding: 2}"
    )
    got = explanations(padded + "\nexpect:\n  c: {shape: [28, 28, 6]}\n")
    assert got == {"c.shape": "(28, 28, 6) ignores the padding (2): (32 + 4 - 5)/1 + 1 = 32"}
    # s=2, f=3 on 39: (39 - 3)/2 + 1 = 19; ignoring the stride gives 37.
    strided = (
        "name: t\ninput: {h: 39, w: 39, c: 3}\nlayers:\n  - {name: c, type: conv, filters: 10, kernel: 3, stride: 2}"
    )
    got = explanations(strided + "\nexpect:\n  c: {shape: [37, 37, 10]}\n")
    assert got == {"c.shape": "(37, 37, 10) ignores the stride (2): (39 + 0 - 3)/2 + 1 = 19"}


def test_channels_first_shape() -> None:
    text = "name: t\ninput: {h: 32, w: 32, c: 3}\nlayers:\n  - {name: c, type: conv, filters: 6, kernel: 5}\n"
    got = explanations(text + "expect:\n  c: {shape: [6, 28, 28]}\n")
    assert got == {"c.shape": "(6, 28, 28) is channels first; claims are (H, W, C): (28, 28, 6)"}


def test_macs_and_flops_off_by_two() -> None:
    # LeNet's CONV1: 28*28*6 outputs * 5*5*3 = 352,800 MACs, 705,600 FLOPs.
    text = "name: t\ninput: {h: 32, w: 32, c: 3}\nlayers:\n  - {name: c, type: conv, filters: 6, kernel: 5}\n"
    got = explanations(text + "expect:\n  c: {macs: 705600}\n")
    assert got == {"c.macs": "705,600 is the FLOP count (2 per multiply-accumulate); MACs = 352,800"}
    got = explanations(text + "expect:\n  c: {flops: 352800}\n")
    assert got == {"c.flops": "352,800 is the MAC count; FLOPs = 2 x MACs = 705,600"}
    # Counting one bias addition per output: 352,800 + 4,704 = 357,504.
    got = explanations(text + "expect:\n  c: {macs: 357504}\n")
    assert got == {"c.macs": "357,504 counts one addition per output (the bias); MACs leave those out: 352,800"}


def test_no_story_for_an_unrelated_number() -> None:
    text = "name: t\ninput: {h: 32, w: 32, c: 3}\nlayers:\n  - {name: c, type: conv, filters: 6, kernel: 5}\n"
    assert explanations(text + "expect:\n  c: {params: 457, macs: 1}\n") == {"c.params": None, "c.macs": None}


ATTENTION = """
name: t
input: {l: 128, d: 768}
layers:
  - {name: attn, type: attention, heads: 12}
expect:
  attn: {macs: %d}
  total: {macs: %d}
"""


def test_attention_macs_claimed_without_qk_and_av() -> None:
    # The projections alone: 4 * 128*768*768 = 301,989,888; QK^T and AV add
    # 2 * 128*128*768 = 25,165,824: 327,155,712.
    found = explanations(ATTENTION % (301_989_888, 301_989_888))
    why = (
        "301,989,888 counts the projections but not QK^T and AV (2 * 128*128*768 = 25,165,824), "
        "as fvcore and calflops count attention, and FlopCounterMode on the CPU's fused kernel: 327,155,712"
    )
    assert found == {"attn.macs": why, "total.macs": why}
