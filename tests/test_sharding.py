"""Memory per GPU (cnncalc.analysis.sharding): ZeRO stages 1-3 against the ZeRO paper's
Figure 1, tensor and pipeline parallel, 8-bit optimizer state, and whether a peak fits a
device (cnncalc.analysis.fits), with the search for the largest batch bounded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import check_readme_block
from typer.testing import CliRunner

from cnncalc.analysis.fits import BATCH_BOUND, largest_batch
from cnncalc.analysis.memory import Precision
from cnncalc.analysis.sharding import Parallel, model_states
from cnncalc.cli import app

# The ZeRO paper (Rajbhandari et al., 2019), Figure 1: Psi = 7.5B parameters, N = 64 GPUs,
# mixed-precision Adam (fp16 weights and gradients, fp32 master weights and moments: K = 12).
PSI = 7_500_000_000
# Model states per GPU in GB (10^9 bytes), to one decimal, as the paper prints them:
# stage 0: 16 Psi = 120; stage 1: 4 Psi + 12 Psi / 64 = 30 + 1.40625 = 31.4;
# stage 2: 2 Psi + 14 Psi / 64 = 15 + 1.640625 = 16.6; stage 3: 16 Psi / 64 = 1.875 = 1.9.
FIGURE_1 = {0: 120.0, 1: 31.4, 2: 16.6, 3: 1.9}
# One dense layer of 75,000 -> 100,000 features, no bias: 7.5B parameters.
PAPER_SPEC = "name: zero_paper\ninput: {features: 75000}\nlayers:\n  - {type: dense, units: 100000, bias: false}\n"
# A dense layer 10 -> 20: 220 parameters, 880 B in float32; its input 40 B and output 80 B a sample.
SMALL_SPEC = "name: small\ninput: {features: 10}\nlayers:\n  - {type: dense, units: 20}\n"


def table_json(tmp_path: Path, spec: str, *args: str) -> dict[str, Any]:
    path = tmp_path / "net.yaml"
    path.write_text(spec, encoding="utf-8")
    result = CliRunner().invoke(app, ["table", str(path), "-f", "json", *args])
    assert result.exit_code == 0, result.output
    memory: dict[str, Any] = json.loads(result.output)["memory"]
    return memory


@pytest.mark.parametrize(("stage", "gigabytes"), FIGURE_1.items())
def test_zero_model_states_are_the_papers_figure_1(stage: int, gigabytes: float) -> None:
    states = model_states(PSI, 0, "adam", Precision(2, 2, 4), Parallel(gpus=64, zero=stage))
    assert round(sum(states.values()) / 10**9, 1) == gigabytes


def test_zero_figure_1_from_the_command_line(tmp_path: Path) -> None:
    # The same inputs as the paper, given as a spec and flags: every stage's four numbers.
    found = {}
    for stage in FIGURE_1:
        args = ["--dtype", "fp16", "--train", "adam", "--master-weights", "fp32", "--gpus", "64", "--zero", str(stage)]
        found[stage] = round(table_json(tmp_path, PAPER_SPEC, *args)["parallel"]["model_states_bytes"] / 10**9, 1)
    assert found == FIGURE_1


def test_zero_stage_1_keeps_full_weights_and_gradients() -> None:
    # Stage 1, Psi = 7.5B, N = 64: fp16 weights 15 GB and gradients 15 GB whole; the fp32
    # master weights 30 GB and moments 60 GB in 64 shards: 468,750,000 and 937,500,000.
    states = model_states(PSI, 0, "adam", Precision(2, 2, 4), Parallel(gpus=64, zero=1))
    assert states == {
        "weights": 15_000_000_000,
        "master weights": 468_750_000,
        "gradients": 15_000_000_000,
        "optimizer state": 937_500_000,
    }


def test_8_bit_adam_holds_two_bytes_a_parameter() -> None:
    # Adam's two moments in one byte each: 2 Psi = 15 GB, beside 4 bytes each in fp32 (60 GB).
    states = model_states(PSI, 0, "adam", Precision(4, 4, 0, 1), Parallel())
    assert states["optimizer state"] == 15_000_000_000


def test_8_bit_adam_on_the_command_line_has_no_temporaries(tmp_path: Path) -> None:
    # 220 params in two tensors (200 and 20 elements), both under bitsandbytes' 4,096-element
    # minimum for 8-bit state, so their two moments stay float32: 2 x 220 x 4 = 1,760 B. The
    # update is one fused kernel: no temporaries, so the step peaks at its start: weights 880
    # + gradients 880 + state 1,760 + input 40 = 3,560.
    memory = table_json(tmp_path, SMALL_SPEC, "--train", "adam", "--optimizer-bits", "8")
    assert memory["optimizer_bits"] == 8
    assert memory["training"]["parts"] == {
        "weights": 880,
        "optimizer state": 1_760,
        "gradients": 880,
        "activations": 40,
    }
    assert memory["training"]["peak_bytes"] == 3_560


def test_zero_2_divides_the_gradients_of_a_training_step(tmp_path: Path) -> None:
    # SGD, float32, 4 GPUs, stage 2: weights 880 whole, gradients 880 / 4 = 220, input 40:
    # 1,140 at the start (the forward holds 880 + 40 + 80 = 1,000; backward 880 + 220 + 40).
    memory = table_json(tmp_path, SMALL_SPEC, "--train", "sgd", "--gpus", "4", "--zero", "2")
    assert memory["training"]["peak_bytes"] == 1_140
    assert memory["training"]["parts"] == {"weights": 880, "optimizer state": 0, "gradients": 220, "activations": 40}
    # Inference is not sharded below stage 3: 880 + 40 + 80.
    assert memory["inference_peak_bytes"] == 1_000


def test_zero_3_divides_the_weights_and_peaks_in_the_forward(tmp_path: Path) -> None:
    # Stage 3: weights 220 and gradients 220 a GPU; at the start 220 + 220 + 40 = 480, in
    # the forward 220 + 40 + 80 = 340: the start holds the peak.
    memory = table_json(tmp_path, SMALL_SPEC, "--train", "sgd", "--gpus", "4", "--zero", "3", "--batch", "8")
    # At batch 8 the forward's 220 + 8 x 120 = 1,180 passes the start's 220 + 220 + 320 = 760.
    assert (memory["training"]["peak_bytes"], memory["training"]["phase"]) == (1_180, "forward")
    assert memory["inference_peak_bytes"] == 1_180
    assert memory["parallel"]["model_states_bytes"] == 440


def test_zero_1_keeps_the_gradients_backward_is_making_whole(tmp_path: Path) -> None:
    # Dense 10 -> 20 -> 30, SGD, float32: weights (220 + 630) x 4 = 3,400 B. In backward at
    # the first layer: the second's gradients 2,520, the first's being made 880, the input
    # 40 and the first output's gradient 80: 3,400 + 3,400 + 120 = 6,920 (the start holds
    # 3,400 + 3,400 + 40). Stage 1 shards neither weights nor gradients: 6,920 per GPU too,
    # the gradients being made counted as gradients, not as the update's temporaries.
    two = "name: two\ninput: {features: 10}\nlayers:\n  - {type: dense, units: 20}\n  - {type: dense, units: 30}\n"
    memory = table_json(tmp_path, two, "--train", "sgd", "--gpus", "4", "--zero", "1")
    assert (memory["training"]["peak_bytes"], memory["training"]["phase"]) == (6_920, "backward")
    assert memory["training"]["parts"] == {
        "weights": 3_400,
        "optimizer state": 0,
        "gradients": 3_400,
        "activations": 120,
    }


def test_tensor_parallel_divides_weights_and_activations(tmp_path: Path) -> None:
    # T = 2: weights 880 / 2 = 440, activations (40 + 80) / 2 = 60: 500 a GPU.
    memory = table_json(tmp_path, SMALL_SPEC, "--tensor-parallel", "2")
    assert memory["inference_parts"] == {"weights": 440, "activations": 60}
    assert memory["parallel"]["model_states_bytes"] is None  # no --train: no optimizer


def test_pipeline_parallel_divides_the_weights_only(tmp_path: Path) -> None:
    # P = 4: weights 880 / 4 = 220; the activations stay 120 (1F1B: P micro-batches in flight).
    memory = table_json(tmp_path, SMALL_SPEC, "--pipeline-parallel", "4")
    assert memory["inference_parts"] == {"weights": 220, "activations": 120}


def test_without_the_options_nothing_is_added(tmp_path: Path) -> None:
    memory = table_json(tmp_path, SMALL_SPEC, "--train", "adam")
    assert not {"parallel", "fits", "optimizer_bits", "device_memory_bytes"} & set(memory)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--zero", "2"], "--zero shards over --gpus"),
        (["--optimizer-bits", "8"], "--optimizer-bits needs --train"),
        (["--zero", "4", "--gpus", "2"], "'4' is not one of 0, 1, 2, 3"),
        (["--device-memory", "lots"], "'lots' is not a size"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(SMALL_SPEC, encoding="utf-8")
    result = CliRunner().invoke(app, ["table", str(path), *args])
    assert result.exit_code == 2 and message in result.output, result.output


# Fits: the largest batch whose peak fits a device.


def test_the_largest_batch_that_fits_by_hand(tmp_path: Path) -> None:
    # Inference of the dense layer at batch b: 880 + 120 b bytes. On 10,000 B: b = 76 holds
    # 880 + 9,120 = 10,000 exactly, b = 77 10,120.
    memory = table_json(tmp_path, SMALL_SPEC, "--device-memory", "10000", "--batch", "8")
    (inference,) = memory["fits"]
    # At batch 8: 880 + 960 = 1,840, 8,160 B headroom.
    assert inference == {
        "what": "inference",
        "peak_bytes": 1_840,
        "fits": True,
        "headroom_bytes": 8_160,
        "largest_batch": 76,
        "largest_batch_searched": False,
    }


def test_a_training_step_that_does_not_fit(tmp_path: Path) -> None:
    # Adam, batch 8: 5,440 B (tests/test_memory.py); on 5,000 B it is 440 over. At batch 1
    # the update's peak is 880 + 880 + 1,760 + 40 + 1,600 temporaries = 5,160: not even batch 1.
    memory = table_json(tmp_path, SMALL_SPEC, "--train", "adam", "--device-memory", "5000", "--batch", "8")
    training = memory["fits"][1]
    assert (training["fits"], training["headroom_bytes"], training["largest_batch"]) == (False, -440, None)


def test_the_search_is_bounded_and_exact() -> None:
    # A peak of 1,000 + 10 b: on 1,000,000 B the largest batch is 99,900.
    calls: list[int] = []

    def peak(batch: int) -> int:
        calls.append(batch)
        return 1_000 + 10 * batch

    batch, analyses = largest_batch(peak, 1_000_000)
    assert batch == 99_900 and analyses == len(calls)
    # Doubling to 2^17 = 131,072 (18 peaks), then bisecting (65,536, 131,072): 16 more.
    assert analyses <= 2 * 20 + 1
    # Everything fits: the search stops at its bound, 2^20, after 1 + 20 peaks.
    batch, analyses = largest_batch(lambda b: b, 10**12)
    assert (batch, analyses) == (BATCH_BOUND, 21)
    # Nothing fits: one peak.
    assert largest_batch(lambda b: 10 * b, 5) == (None, 1)


@pytest.mark.parametrize("device", range(1, 60))
def test_the_search_finds_the_boundary_of_any_step(device: int) -> None:
    # Peaks that grow in steps: 3 b rounded down to tens. The answer is the brute force's.
    def peak(batch: int) -> int:
        return 3 * batch // 10 * 10

    expected = max((b for b in range(1, 200) if peak(b) <= device), default=None)
    assert largest_batch(peak, device, bound=128)[0] == (None if expected is None else min(expected, 128))


def check_spec(tmp_path: Path, limits: str) -> tuple[int, str]:
    # The dense layer at batch 8: inference 880 + 8 x 120 = 1,840 B; a step of Adam 5,440 B.
    text = (
        f"name: budget\ninput: {{features: 10, batch: 8}}\nlayers:\n  - {{type: dense, units: 20}}\nlimits: {limits}\n"
    )
    (tmp_path / "budget.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(tmp_path / "budget.yaml")])
    return result.exit_code, result.output


@pytest.mark.parametrize(("limit", "code"), [("1840", 0), ("1839", 1), ("2 KiB", 0)])
def test_a_device_memory_limit_holds_the_inference_peak(tmp_path: Path, limit: str, code: int) -> None:
    exit_code, output = check_spec(tmp_path, f"{{device_memory: {limit}}}")
    assert exit_code == code, output
    if code:
        assert "CNC114 device_memory 1,840 bytes at the largest peak" in output
        assert "budget.yaml:5:25:" in output  # at the limit's value


@pytest.mark.parametrize(("limit", "code"), [("5440", 0), ("5439", 1)])
def test_a_device_memory_limit_holds_the_train_memory_step(tmp_path: Path, limit: str, code: int) -> None:
    limits = f"{{device_memory: {limit}, train_memory: {{batch: 8, optimizer: adam, max: 1MiB}}}}"
    exit_code, output = check_spec(tmp_path, limits)
    assert exit_code == code, output
    if code:
        assert "device_memory 5,440 bytes" in output and "train_memory" not in output.split("exceed")[1]


def test_the_readmes_will_it_fit_example_is_what_the_commands_print(tmp_path: Path, monkeypatch: Any) -> None:
    # Each `$ cnncalc ...` of the README's language-model block, run; every line shown under
    # it must be a line it prints (piped: unwrapped).
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Language models: will it fit?")[1].split("```")[1]
    monkeypatch.chdir(tmp_path)
    assert check_readme_block(section) == 4


# A spec's `training:` section: the defaults of --train and the options beside it.
TRAINED = SMALL_SPEC + "training: {optimizer: sgd, gpus: 4, zero: 3}\n"


def test_a_training_section_is_as_the_options(tmp_path: Path) -> None:
    from_spec = table_json(tmp_path, TRAINED)
    from_flags = table_json(tmp_path, SMALL_SPEC, "--train", "sgd", "--gpus", "4", "--zero", "3")
    assert from_spec == from_flags
    # As test_zero_3_... at batch 1: 220 + 220 + 40 = 480 a GPU at the start.
    assert from_spec["training"]["peak_bytes"] == 480


def test_the_command_line_overrides_the_training_section(tmp_path: Path) -> None:
    # Adam under ZeRO-2 on the spec's 4 GPUs: state 2 x 880 / 4 = 440, gradients 880 / 4 = 220.
    memory = table_json(tmp_path, TRAINED, "--train", "adam", "--zero", "2")
    assert memory["training"]["optimizer"] == "adam"
    assert memory["parallel"]["model_states"] == {"weights": 880, "gradients": 220, "optimizer state": 440}


def test_device_memory_holds_the_training_sections_step_per_gpu(tmp_path: Path) -> None:
    # At batch 8 under ZeRO-3 on 4 GPUs: the forward's 220 + 8 x 120 = 1,180 a GPU, more than
    # the start's 220 + 220 + 320; inference per GPU 1,180 as well.
    path = tmp_path / "budget.yaml"
    text = TRAINED.replace("{features: 10}", "{features: 10, batch: 8}") + "limits: {device_memory: 1000}\n"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "device_memory 1,180 bytes at the largest peak" in result.output
    path.write_text(text.replace("1000", "1180"), encoding="utf-8")
    assert CliRunner().invoke(app, ["check", str(path)]).exit_code == 0


def test_a_bad_training_field_is_positioned(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(SMALL_SPEC + "training: {optimizer: sgd, zero: 4}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["table", str(path)])
    assert result.exit_code == 2
    assert f"{path}:5:" in result.output and "zero" in result.output
