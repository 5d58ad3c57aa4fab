"""Exact receptive fields for every kind that changes one, worked by hand.

The recurrence (docs: conventions) per spatial axis, from the input's r = 1, j = 1,
start = 0.5 (the centre of pixel 0):
    r_out = r_in + (f - 1) * d * j_in      j_out = j_in * s
    start_out = start_in + ((f - 1) * d / 2 - p_before) * j_in
Each expectation below is worked from that recurrence, or from which input pixels an
output really reads, in the comment beside it; none is copied from cnncalc's output.

They go through the public contract only, `cnncalc table --format json` (the report's
`receptive_field` per layer), so they hold whatever computes the field inside.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import invoke


def fields(tmp_path: Path, text: str) -> dict[int, Any]:
    """The JSON report's receptive field of every layer, by its index (1 = first layer)."""
    path = tmp_path / "rf.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke(["table", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return {layer["index"]: layer["receptive_field"] for layer in doc["layers"]}


def spec(size: int, *layers: str) -> str:
    body = "".join(f"  - {layer}\n" for layer in layers)
    return f"name: rf\ninput: {{h: {size}, w: {size}, c: 2}}\nlayers:\n{body}"


def square(rf: Any) -> tuple[int, float, float]:
    """(size, jump, start) of a field that is the same on both axes."""
    assert rf is not None
    assert rf["size"][0] == rf["size"][1] and rf["jump"][0] == rf["jump"][1] and rf["start"][0] == rf["start"][1], rf
    return rf["size"][0], rf["jump"][0], rf["start"][0]


def covers_the_whole_input(rf: Any, input_size: int) -> bool:
    """No field (every input pixel reaches every output) or one at least the input's size."""
    return rf is None or all(size >= input_size for size in rf["size"])


def test_dilation_spreads_the_kernel(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            32,
            "{type: conv, filters: 2, kernel: 3, dilation: 2}",
            "{type: conv, filters: 2, kernel: 3, dilation: 2}",
            "{type: conv, filters: 2, kernel: 3, stride: 2}",
            "{type: conv, filters: 2, kernel: 3, dilation: 3}",
        ),
    )
    # 1: taps 0, 2, 4: r = 1 + (3 - 1)*2*1 = 5, j = 1, start = 0.5 + (2*2/2 - 0)*1 = 2.5
    assert square(rf[1]) == (5, 1.0, 2.5)
    # 2: r = 5 + (3 - 1)*2*1 = 9, start = 2.5 + 2 = 4.5
    assert square(rf[2]) == (9, 1.0, 4.5)
    # 3: r = 9 + (3 - 1)*1*1 = 11, j = 1*2 = 2, start = 4.5 + 1 = 5.5
    assert square(rf[3]) == (11, 2.0, 5.5)
    # 4: dilation times the jump: r = 11 + (3 - 1)*3*2 = 23, j = 2, start = 5.5 + (2*3/2)*2 = 11.5
    assert square(rf[4]) == (23, 2.0, 11.5)


def test_stride_multiplies_the_jump(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            32,
            "{type: conv, filters: 2, kernel: 3, stride: 2, padding: 1}",
            "{type: conv, filters: 2, kernel: 3}",
            "{type: conv, filters: 2, kernel: 3, stride: 2}",
            "{type: conv, filters: 2, kernel: 5, stride: 3, padding: same}",
        ),
    )
    # 1: r = 1 + 2*1 = 3, j = 2, start = 0.5 + (1 - 1)*1 = 0.5 (the padding centres it on pixel 0)
    assert square(rf[1]) == (3, 2.0, 0.5)
    # 2: r = 3 + 2*2 = 7, j = 2, start = 0.5 + 1*2 = 2.5
    assert square(rf[2]) == (7, 2.0, 2.5)
    # 3: r = 7 + 2*2 = 11, j = 4, start = 2.5 + 1*2 = 4.5
    assert square(rf[3]) == (11, 4.0, 4.5)
    # 4: input 32 -> 16 -> 14 -> floor((14 - 3)/2) + 1 = 6; same with stride 3: out ceil(6/3) = 2,
    # total pad max((2 - 1)*3 + 5 - 6, 0) = 2 -> 1 before. r = 11 + 4*4 = 27, j = 12,
    # start = 4.5 + (4/2 - 1)*4 = 8.5
    assert square(rf[4]) == (27, 12.0, 8.5)


def test_conv1d_and_conv3d_fields(tmp_path: Path) -> None:
    one = fields(
        tmp_path,
        "name: rf\ninput: {l: 40, c: 2}\nlayers:\n"
        "  - {type: conv1d, filters: 2, kernel: 5, stride: 2, dilation: 2}\n"
        "  - {type: conv1d, filters: 2, kernel: 3}\n",
    )
    # r = 1 + 4*2*1 = 9, j = 2, start = 0.5 + 4 = 4.5; then r = 9 + 2*2 = 13, start = 4.5 + 2 = 6.5
    assert (one[1]["size"], one[1]["jump"], one[1]["start"]) == ([9], [2.0], [4.5])
    assert (one[2]["size"], one[2]["jump"], one[2]["start"]) == ([13], [2.0], [6.5])
    three = fields(
        tmp_path,
        "name: rf\ninput: {d: 9, h: 9, w: 9, c: 1}\nlayers:\n"
        "  - {type: conv3d, filters: 1, kernel: [1, 3, 3], dilation: [1, 1, 2], stride: [1, 2, 1]}\n",
    )
    # d: f = 1 -> r 1, j 1, start 0.5; h: r = 3, j = 2, start 1.5; w: r = 1 + 2*2 = 5, j = 1, start 2.5
    assert (three[1]["size"], three[1]["jump"], three[1]["start"]) == ([1, 3, 5], [1.0, 2.0, 1.0], [0.5, 1.5, 2.5])


def test_transposed_conv_divides_the_jump_by_its_stride(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            8,
            "{type: conv_transpose, filters: 2, kernel: 3, stride: 2, padding: 1, output_padding: 1}",
            "{type: conv, filters: 2, kernel: 3}",
        ),
    )
    # Output o of a stride-2, f=3, p=1 transposed conv gets input i when o = 2i - 1 + k, k in 0..2:
    # even o reads i = o/2 alone, odd o reads (o - 1)/2 and (o + 1)/2. At most 2 input pixels:
    # r = 2, and outputs step half a pixel: j = 1/2.
    size, jump, _ = square(rf[1])
    assert (size, jump) == (2, 0.5)
    # The 3x3 conv after it: output 1 reads up-sampled 1, 2, 3 -> inputs {0,1}, {1}, {1,2}: 3 pixels;
    # the recurrence: r = 2 + (3 - 1)*0.5 = 3, j = 0.5.
    size, jump, _ = square(rf[2])
    assert (size, jump) == (3, 0.5)


def test_transposed_conv_after_a_strided_conv(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            9,
            "{type: conv, filters: 2, kernel: 3, stride: 2}",
            "{type: conv_transpose, filters: 2, kernel: 2, stride: 2}",
            "{type: conv, filters: 2, kernel: 3}",
        ),
    )
    # 1: r = 3, j = 2
    assert square(rf[1])[:2] == (3, 2.0)
    # 2: kernel 2 = stride 2: output o reads input o // 2 only, so r stays 3 and j = 2/2 = 1
    assert square(rf[2])[:2] == (3, 1.0)
    # 3: r = 3 + 2*1 = 5 (outputs 0..2 of the transposed conv read conv outputs 0, 0, 1: 3 + 2 pixels)
    assert square(rf[3])[:2] == (5, 1.0)


def test_pooling_windows(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            32,
            "{type: maxpool, kernel: 2, stride: 2}",
            "{type: avgpool, kernel: 3, stride: 1, padding: 1}",
            "{type: maxpool, kernel: 3, stride: 1, dilation: 2}",
            "{type: avgpool, kernel: 2}",
        ),
    )
    # 1: r = 1 + 1*1 = 2, j = 2, start = 0.5 + 0.5 = 1.0 (between pixels 0 and 1)
    assert square(rf[1]) == (2, 2.0, 1.0)
    # 2: r = 2 + 2*2 = 6, j = 2, start = 1.0 + (1 - 1)*2 = 1.0
    assert square(rf[2]) == (6, 2.0, 1.0)
    # 3: r = 6 + 2*2*2 = 14, j = 2, start = 1.0 + 2*2 = 5.0
    assert square(rf[3]) == (14, 2.0, 5.0)
    # 4: stride defaults to the kernel: r = 14 + 1*2 = 16, j = 4, start = 5.0 + 0.5*2 = 6.0
    assert square(rf[4]) == (16, 4.0, 6.0)


def test_depthwise_and_separable(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            32,
            "{type: depthwise_conv, kernel: 3, stride: 2, padding: 1}",
            "{type: separable_conv, filters: 4, kernel: 3, dilation: 2}",
            "{type: depthwise_conv, kernel: 5, dilation: 2, multiplier: 2}",
        ),
    )
    # 1: r = 3, j = 2, start = 0.5 + (1 - 1) = 0.5
    assert square(rf[1]) == (3, 2.0, 0.5)
    # 2: the depthwise part's window (the 1x1 pointwise adds nothing): r = 3 + 2*2*2 = 11,
    # start = 0.5 + (2*2/2)*2 = 4.5
    assert square(rf[2]) == (11, 2.0, 4.5)
    # 3: r = 11 + 4*2*2 = 27, start = 4.5 + (4*2/2)*2 = 12.5
    assert square(rf[3]) == (27, 2.0, 12.5)


def test_adaptive_and_global_pools_see_the_whole_input(tmp_path: Path) -> None:
    for pool in ("adaptive_avgpool, size: 1", "adaptive_maxpool, size: 1", "global_avgpool", "global_maxpool"):
        rf = fields(tmp_path, spec(13, "{type: conv, filters: 2, kernel: 3}", f"{{type: {pool}}}"))
        assert square(rf[1])[0] == 3
        # One output of all 11x11 conv outputs: every one of the 13x13 input pixels.
        assert covers_the_whole_input(rf[2], 13), (pool, rf[2])


def test_an_adaptive_pool_to_two_reads_at_least_its_widest_window(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(13, "{type: conv, filters: 2, kernel: 3}", "{type: adaptive_avgpool, size: 2}", "{type: relu}"),
    )
    # 11 -> 2: window i spans [floor(11i/2), ceil(11(i+1)/2)): [0, 6) and [5, 11), 6 conv outputs
    # at jump 1: at least r = 3 + (6 - 1)*1 = 8 input pixels, and that holds through the relu.
    for index in (2, 3):
        assert rf[index] is None or min(rf[index]["size"]) >= 8, rf[index]


def test_merges_take_the_largest_branch(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            16,
            "{name: a, type: conv, filters: 2, kernel: 3, padding: 1}",
            "{name: b, type: conv, filters: 2, kernel: 7, padding: 3, from: input}",
            "{name: c, type: conv, filters: 2, kernel: 5, padding: 2, from: input}",
            "{type: add, from: [a, b, c]}",
            "{type: conv, filters: 2, kernel: 3, padding: 1}",
            "{type: concat, from: [c, a]}",
        ),
    )
    # a: r 3, b: r 7, c: r 5, all j = 1 and start 0.5 + (f - 1)/2 - p = 0.5
    assert [square(rf[i]) for i in (1, 2, 3)] == [(3, 1.0, 0.5), (7, 1.0, 0.5), (5, 1.0, 0.5)]
    # add: the largest, b's 7 (not the first branch's 3); same jump and centre, so no note
    assert square(rf[4]) == (7, 1.0, 0.5) and rf[4]["note"] == ""
    # the conv after it grows the largest: 7 + 2 = 9
    assert square(rf[5]) == (9, 1.0, 0.5)
    # concat of c (5) and a (3): 5, the first input not being the largest
    assert square(rf[6]) == (5, 1.0, 0.5)


def test_branches_with_other_centres_say_so(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            16,
            "{name: a, type: conv, filters: 2, kernel: 3, padding: 1}",
            "{name: b, type: zeropad, padding: [0, 2, 0, 2], from: input}",
            "{name: c, type: conv, filters: 2, kernel: 3, from: b}",
            "{type: add, from: [a, c]}",
        ),
    )
    # a: 16x16, start 0.5 + (1 - 1) = 0.5; c: (16 + 2 - 3) + 1 = 16, start 0.5 + 1 = 1.5: the
    # centres differ by a pixel, the sizes are both 3, and the note says so.
    assert square(rf[4])[0] == 3 and rf[4]["note"] != ""


def test_residual_adds_body_and_shortcut(tmp_path: Path) -> None:
    text = """name: rf
input: {h: 16, w: 16, c: 2}
layers:
  - type: residual
    body:
      - {type: conv, filters: 4, kernel: 3, stride: 2, padding: 1}
      - {type: conv, filters: 4, kernel: 3, padding: 1}
    shortcut: projection
  - {type: conv, filters: 4, kernel: 3, padding: 1}
"""
    rf = fields(tmp_path, text)
    # body: r = 3, j = 2, start 0.5; then r = 3 + 2*2 = 7. The projection, a 1x1 stride-2 conv,
    # has r = 1. The add (last node of the residual, index 5 after conv, conv, conv 1x1,
    # batchnorm): the larger, 7, at j = 2.
    assert square(rf[5]) == (7, 2.0, 0.5)
    # then a 3x3 conv: 7 + 2*2 = 11
    assert square(rf[6]) == (11, 2.0, 0.5)


def test_zeropad_and_crop_move_the_centre(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            16,
            "{type: zeropad, padding: 2}",
            "{type: conv, filters: 2, kernel: 3}",
            "{type: crop, cropping: [3, 0, 1, 0]}",
            "{type: conv, filters: 2, kernel: 3}",
        ),
    )
    # 1: 2 zeros before pixel 0: the first output is a zero at pixel -2: start = 0.5 - 2 = -1.5, r = 1
    assert square(rf[1]) == (1, 1.0, -1.5)
    # 2: r = 3, start = -1.5 + 1 = -0.5 (the same as a conv with padding 2)
    assert square(rf[2]) == (3, 1.0, -0.5)
    # 3: crop 3 rows from the top and 1 column from the left: starts -0.5 + 3 = 2.5 and -0.5 + 1 = 0.5
    assert rf[3]["size"] == [3, 3] and rf[3]["start"] == [2.5, 0.5]
    # 4: r = 5, starts 2.5 + 1 and 0.5 + 1
    assert rf[4]["size"] == [5, 5] and rf[4]["start"] == [3.5, 1.5]


def test_upsample_divides_the_jump(tmp_path: Path) -> None:
    rf = fields(
        tmp_path,
        spec(
            8,
            "{type: conv, filters: 2, kernel: 3, stride: 2, padding: 1}",
            "{type: upsample, scale: 2}",
            "{type: conv, filters: 2, kernel: 3}",
        ),
    )
    # 1: r = 3, j = 2
    assert square(rf[1])[:2] == (3, 2.0)
    # 2: nearest: output o reads conv output o // 2 alone: r = 3, j = 2/2 = 1
    assert square(rf[2])[:2] == (3, 1.0)
    # 3: reads up-sampled 0, 1, 2 = conv outputs 0, 0, 1: r = 3 + 1*2 = 5 (the recurrence:
    # 3 + (3 - 1)*1 = 5)
    assert square(rf[3])[:2] == (5, 1.0)
    bilinear = fields(
        tmp_path,
        spec(
            8,
            "{type: conv, filters: 2, kernel: 3, stride: 2, padding: 1}",
            "{type: upsample, scale: 2, mode: bilinear}",
        ),
    )
    # bilinear reads the two conv outputs around it: r = 3 + (2 - 1)*2 = 5, j = 1
    assert square(bilinear[2])[:2] == (5, 1.0)
