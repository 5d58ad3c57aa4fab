"""Time cnncalc as a user runs it: whole processes, several repetitions, medians.

    python benchmarks/run.py            # everything, prints a Markdown table
    python benchmarks/run.py --quick    # fewer repetitions, no 100,000-layer table
    python benchmarks/run.py --tree ../base   # time another checkout with these cases

Standard library only. Each case is run once to warm up (disk cache, .pyc files), then
`--reps` times; the table shows the median, the spread and, where a case has one, its
ratio to a baseline measured in the same go, so that a slow or busy machine shifts both.
Beside the wall time it shows the child's CPU time (user + system), which a machine
shared with other work inflates much less, and for the big cases the child's peak
memory (VmHWM, read as it exits).

PYTHONDONTWRITEBYTECODE is removed from the children's environment: some machines set
it, and then every start recompiles the whole package from source, which is not what a
user who installed cnncalc with pip pays (pip writes the .pyc files at install time).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT  # the checkout whose cnncalc is timed (--tree)

# Runs cnncalc as `python -m cnncalc` does and writes the process's peak memory (VmHWM,
# in KiB) to $CNNCALC_BENCH_PEAK as it exits, as tests/test_bad_input.py measures it.
# (wait4's ru_maxrss is no good: Linux carries the parent's peak across fork and exec.)
PEAK_WRAPPER = """
import atexit, os, runpy, sys

def peak():
    with open("/proc/self/status") as status, open(os.environ["CNNCALC_BENCH_PEAK"], "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))

atexit.register(peak)
sys.argv = ["cnncalc", *sys.argv[1:]]
runpy.run_module("cnncalc", run_name="__main__")
"""


def cnncalc_command() -> list[str]:
    """The installed console script beside this Python, else `python -m cnncalc`."""
    script = Path(sys.executable).parent / "cnncalc"
    if TREE == ROOT and script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "cnncalc"]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = str(TREE) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


@dataclass
class Row:
    case: str
    times: list[float]
    cpu: list[float] = field(default_factory=list)  # the child's user + system seconds
    peaks: list[float] = field(default_factory=list)  # MiB, where measured
    baseline: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def _run(argv: list[str], sink: Any, env: dict[str, str], cwd: Path) -> tuple[int, bytes, float, float]:
    """Exit code, stderr, wall seconds and the child's CPU seconds (user + system)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, env=env, cwd=cwd)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    proc.stderr.close()
    return proc.returncode, errors, elapsed, usage.ru_utime + usage.ru_stime


def time_command(
    case: str, argv: list[str], reps: int, stdout: Path | None = None, warm_up: bool = True, cwd: Path | None = None
) -> Row:
    """`reps` runs after one warm-up; the command must exit 0 or 1."""
    env = environment()
    row = Row(case, [])
    for i in range(0 if warm_up else 1, reps + 1):
        sink = stdout.open("wb") if stdout else subprocess.DEVNULL
        code, errors, elapsed, cpu = _run(argv, sink, env, cwd or TREE)
        if stdout:
            sink.close()  # type: ignore[union-attr]
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed ({code}): {errors.decode()[-2000:]}")
        if i:  # the first run warms up
            row.times.append(elapsed)
            row.cpu.append(cpu)
    return row


def cnncalc_peak(case: str, args: list[str], reps: int, stdout: Path) -> Row:
    """`cnncalc ARGS` run `reps` times, with its peak memory; no warm-up (the package is warm)."""
    env = environment()
    peak = stdout.with_suffix(".peak")
    env["CNNCALC_BENCH_PEAK"] = str(peak)
    row = Row(case, [])
    for _ in range(reps):
        with stdout.open("wb") as sink:
            code, errors, elapsed, cpu = _run([sys.executable, "-c", PEAK_WRAPPER, *args], sink, env, TREE)
        if code not in (0, 1):
            raise SystemExit(f"cnncalc {' '.join(args)} failed ({code}): {errors.decode()[-2000:]}")
        row.times.append(elapsed)
        row.cpu.append(cpu)
        row.peaks.append(int(peak.read_text()) / 1024)  # VmHWM is in KiB
    return row


def chain_spec(folder: Path, layers: int) -> Path:
    """A plain chain of small dense layers: the per-layer cost, nothing else."""
    path = folder / f"chain_{layers}.yaml"
    with path.open("w") as f:
        f.write(f"name: chain_{layers}\ninput: {{features: 16}}\nlayers:\n")
        f.writelines("  - {type: dense, units: 16, activation: relu}\n" for _ in range(layers))
    return path


def relu_spec(folder: Path, layers: int) -> Path:
    """`- {type: relu}` repeated: the smallest layer, so the cost of a layer as such."""
    path = folder / f"relu_{layers}.yaml"
    with path.open("w") as f:
        f.write(f"name: relu_{layers}\ninput: {{features: 8}}\nlayers:\n")
        f.writelines("  - {type: relu}\n" for _ in range(layers))
    return path


def residual_spec(folder: Path, blocks: int) -> Path:
    """ResNet-style basic blocks written with the residual composite: about 5 nodes each."""
    path = folder / f"residual_{blocks}.yaml"
    with path.open("w") as f:
        f.write(f"name: residual_{blocks}\ninput: {{h: 8, w: 8, c: 16}}\nlayers:\n")
        body = (
            "[{type: conv, filters: 16, kernel: 3, padding: 1, bias: false}, {type: batchnorm, activation: relu}, "
            "{type: conv, filters: 16, kernel: 3, padding: 1, bias: false}, {type: batchnorm}]"
        )
        f.writelines(f"  - {{type: residual, body: {body}, shortcut: identity}}\n" for _ in range(blocks))
    return path


def transformer_spec(folder: Path, layers: int, length: int) -> Path:
    """GPT-2-wide causal encoder layers on `length` embedded tokens: the counts are formulas
    in L, so the time must not grow with it."""
    path = folder / f"transformer_{layers}x{length}.yaml"
    path.write_text(
        f"name: transformer_{layers}x{length}\ninput: {{l: {length}, d: 768}}\nlayers:\n"
        "  - {type: transformer_encoder_layer, heads: 12, feedforward: 3072, feedforward_activation: gelu,\n"
        f"     norm_first: true, causal: true, repeat: {layers}}}\n"
    )
    return path


def sequence_cases(cli: list[str], reps: int, resnet: Row | None, add: Any) -> None:
    """Issue 11's benchmark: GPT-2 small against ResNet-50, and a long context against a short one."""
    if not (TREE / "specs" / "gpt2_small.yaml").exists():
        return
    gpt2 = time_command("cnncalc table specs/gpt2_small.yaml", [*cli, "table", "specs/gpt2_small.yaml"], reps)
    if resnet is not None:
        gpt2.baseline, gpt2.ratio = "ResNet-50 table", gpt2.median / resnet.median
        gpt2.target, gpt2.met = "≤ 1.2× ResNet-50", gpt2.ratio <= 1.2
    add(gpt2)
    with tempfile.TemporaryDirectory(prefix="cnncalc-bench-") as tmp:
        short, long = (str(transformer_spec(Path(tmp), 96, n)) for n in (128, 32_768))
        base = time_command("table 96 transformer layers at 128 tokens", [*cli, "table", short], reps)
        add(base)
        row = time_command("table 96 transformer layers at 32,768 tokens", [*cli, "table", long], reps)
        row.baseline, row.ratio = "128 tokens", row.median / base.median
        # The same work (7.3 ms in-process at either length); the margin is for the spread of
        # whole processes on a shared machine: a loop over tokens would be 256 times the work.
        row.target, row.met = "≤ 1.2× 128 tokens", row.ratio <= 1.2
        add(row)


def many_specs(folder: Path, count: int) -> Path:
    """`count` small, valid specs in one folder, for `cnncalc check`."""
    out = folder / "many"
    out.mkdir()
    text = (ROOT / "specs" / "lenet.yaml").read_text()
    for i in range(count):
        (out / f"net_{i:04d}.yaml").write_text(text.replace("name: lenet", f"name: net_{i}"))
    return out


TYPER_APP = """import typer

app = typer.Typer()


@app.command()
def table(spec: str, fmt: str = "table") -> None:
    print(spec)


@app.command()
def other() -> None:
    pass


app()
"""


# The floor's `import pydantic` is lazy: it loads neither BaseModel nor pydantic-core's
# schema machinery. Any program that validates with a pydantic model pays for them, as
# cnncalc does for its spec (and typer for each command's parameters): the floor of a
# pydantic-validated spec, one model built and validated.
PYDANTIC_MODEL = """import typer, rich, pydantic, yaml
from pydantic import BaseModel


class Spec(BaseModel):
    name: str


Spec(name="lenet")
"""


# The peer a user would otherwise reach for: torchinfo's summary of the same LeNet (the spec's
# layers, written as PyTorch modules), at the same input, on the CPU. It needs torch and a
# forward pass; cnncalc needs neither.
TORCHINFO_LENET = """import torch
from torch import nn
from torchinfo import summary

model = nn.Sequential(
    nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
    nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10), nn.Softmax(dim=1),
)
summary(model, input_size=(1, 3, 32, 32))
"""


def precommit_repo(folder: Path, cli: list[str]) -> list[str] | None:
    """Make `folder` a git repository with cnncalc as a local pre-commit hook; the command
    that runs it on every file, or None without git or pre-commit."""
    precommit, git = shutil.which("pre-commit"), shutil.which("git")
    if precommit is None or git is None:
        return None
    entry = " ".join(shlex.quote(part) for part in [*cli, "check", "--specs-only"])
    (folder / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: cnncalc\n        name: cnncalc check\n"
        f"        entry: {entry}\n        language: system\n        files: \\.ya?ml$\n"
    )
    for argv in ([git, "init", "-q"], [git, "add", "."]):
        subprocess.run(argv, capture_output=True, check=True, cwd=folder)
    return [precommit, "run", "--all-files"]


def main() -> int:
    global TREE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=7, help="repetitions of each quick case (default 7)")
    parser.add_argument("--quick", action="store_true", help="3 repetitions; skip the 100,000-layer table")
    parser.add_argument(
        "--only-sequences", action="store_true", help="the floor, LeNet, ResNet-50 and issue 11's sequence cases only"
    )
    parser.add_argument("--tree", type=Path, default=ROOT, help="the cnncalc checkout to time (default: this one)")
    args = parser.parse_args()
    TREE = args.tree.resolve()
    reps = 3 if args.quick else args.reps
    big_reps = 3 if not args.quick else 1
    cli = cnncalc_command()
    rows: list[Row] = []

    def add(row: Row) -> None:
        rows.append(row)
        peak = f", peak {statistics.median(row.peaks):.0f} MiB" if row.peaks else ""
        print(f"  {row.case}: median {row.median:.3f} s{peak}", file=sys.stderr, flush=True)

    floor = time_command(
        "floor: python -c 'import typer, rich, pydantic, yaml'",
        [sys.executable, "-c", "import typer, rich, pydantic, yaml"],
        reps,
    )
    add(floor)
    # What typer itself costs over the floor at run time (it builds its commands through
    # pydantic): a two-command app doing nothing. Context for the LeNet ratio, not a target.
    with tempfile.TemporaryDirectory(prefix="cnncalc-bench-") as tmp:
        app = Path(tmp) / "app.py"
        app.write_text(TYPER_APP)
        bare = time_command("a bare two-command typer app", [sys.executable, str(app), "table", "x"], reps)
    bare.baseline, bare.ratio = "floor", bare.median / floor.median
    add(bare)
    model = time_command("the floor and one pydantic model", [sys.executable, "-c", PYDANTIC_MODEL], reps)
    model.baseline, model.ratio = "floor", model.median / floor.median
    add(model)
    lenet = time_command("cnncalc table specs/lenet.yaml", [*cli, "table", "specs/lenet.yaml"], reps)
    lenet.baseline, lenet.ratio = "floor", lenet.median / floor.median
    lenet.target, lenet.met = "≤ 1.5× floor", lenet.ratio <= 1.5
    add(lenet)
    if importlib.util.find_spec("torchinfo") is not None:
        peer = time_command("torchinfo.summary of the same LeNet", [sys.executable, "-c", TORCHINFO_LENET], reps)
        peer.baseline, peer.ratio = "cnncalc LeNet", peer.median / lenet.median
        peer.target, peer.met = "≥ 10× cnncalc", peer.ratio >= 10
        add(peer)

    resnet: Row | None = None
    if (TREE / "specs" / "resnet50.yaml").exists():
        resnet = time_command("cnncalc table specs/resnet50.yaml", [*cli, "table", "specs/resnet50.yaml"], reps)
        resnet.baseline, resnet.ratio = "LeNet table", resnet.median / lenet.median
        resnet.target, resnet.met = "≤ 1.3× LeNet", resnet.ratio <= 1.3
        add(resnet)
    sequence_cases(cli, reps, resnet, add)

    per_layer: dict[str, list[tuple[int, float]]] = {"json": [], "table": []}
    if not args.only_sequences:  # the per-layer and size cases
        with tempfile.TemporaryDirectory(prefix="cnncalc-bench-") as tmp:
            folder = Path(tmp)
            sink = folder / "out"
            for n in (1_000, 10_000, 100_000):
                spec = str(chain_spec(folder, n))
                for fmt in ("json", "table"):
                    if fmt == "table" and n == 100_000 and args.quick:
                        continue
                    # The big runs are long: fewer of them, and the package is warm by now.
                    count = reps if n < 100_000 else (big_reps if fmt == "json" else 1)
                    row = time_command(
                        f"table chain of {n:,} dense layers --format {fmt}",
                        [*cli, "table", spec, "--format", fmt],
                        count,
                        stdout=sink,
                        warm_up=n < 100_000,
                    )
                    if n == 10_000:
                        row.target, row.met = "< 1 s", row.median < 1.0
                    per_layer[fmt].append((n, row.median))
                    add(row)
            # The size case: 200,000 of the smallest layer, in every format.
            relus = str(relu_spec(folder, 200_000))
            for fmt in ("table", "json", "csv", "markdown"):
                row = cnncalc_peak(
                    f"table 200,000 relu layers --format {fmt}", ["table", relus, "--format", fmt], big_reps, sink
                )
                row.target = "< 4 s, < 300 MiB"
                row.met = row.median < 4.0 and statistics.median(row.peaks) < 300
                add(row)
            if (TREE / "cnncalc" / "layers" / "residual.py").exists():
                spec = str(residual_spec(folder, 1_000))
                row = time_command(
                    "table 1,000 residual blocks --format json", [*cli, "table", spec, "-f", "json"], reps
                )
                row.target, row.met = "< 1 s", row.median < 1.0
                add(row)
                row = time_command("table 1,000 residual blocks (plain table)", [*cli, "table", spec], reps)
                row.target, row.met = "< 1 s", row.median < 1.0
                add(row)
            if (TREE / "cnncalc" / "check.py").exists():
                many = str(many_specs(folder, 1_000))
                check = time_command("check 1,000 spec files, one process", [*cli, "check", many], min(reps, 3))
                check.baseline, check.ratio = "LeNet table", check.median / lenet.median
                add(check)
                hook = precommit_repo(Path(many), cli)
                if hook is not None:
                    row = time_command("check 1,000 spec files through pre-commit", hook, min(reps, 3), cwd=Path(many))
                    row.baseline, row.ratio = "one process", row.median / check.median
                    add(row)

    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"cnncalc from {TREE}, {python}, {os.cpu_count()} CPUs\n")
    print("| case | median (s) | min–max (s) | CPU (s) | peak (MiB) | runs | vs | ratio | target | met |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---|---|")
    for r in rows:
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else ""
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        spread = f"{min(r.times):.3f}–{max(r.times):.3f}"
        cpu = f"{statistics.median(r.cpu):.3f}" if r.cpu else ""
        peak = f"{statistics.median(r.peaks):.0f}" if r.peaks else ""
        print(
            f"| {r.case} | {r.median:.3f} | {spread} | {cpu} | {peak} | {len(r.times)} | {r.baseline} | {ratio} "
            f"| {r.target} | {met} |"
        )
    for fmt, points in per_layer.items():
        if len(points) >= 2:
            # Growth: cost per layer above the fixed start-up cost (that of the LeNet table).
            start = lenet.median
            per = [(t - start) / n * 1e6 for n, t in points]
            text = ", ".join(f"{n:,}: {p:.1f} µs" for (n, _), p in zip(points, per, strict=True))
            print(f"\n{fmt}: time per layer above start-up: {text} (linear growth keeps these equal)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
