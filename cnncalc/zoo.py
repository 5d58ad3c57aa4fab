"""The bundled model zoo: `cnncalc table resnet50` finds `specs/resnet50.yaml` from anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnncalc.shape import Shape


def zoo_dir() -> Path:
    """Installed wheels carry the specs inside the package; a source checkout has them beside it."""
    here = Path(__file__).resolve().parent
    packaged = here / "specs"
    return packaged if packaged.is_dir() else here.parent / "specs"


def names() -> list[str]:
    folder = zoo_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def resolve(spec: str) -> Path | None:
    """A path as given if it exists, else the bundled spec of that name; None if neither."""
    path = Path(spec)
    if path.exists():
        return path
    if "/" not in spec and "\\" not in spec:
        bundled = zoo_dir() / (spec if spec.endswith((".yaml", ".yml")) else f"{spec}.yaml")
        if bundled.is_file():
            return bundled
    return None


@dataclass(frozen=True)
class Entry:
    """One bundled spec as `cnncalc zoo` lists it."""

    name: str
    description: str
    input: Shape  # the first input's
    params: int
    macs: int  # per sample
    named: tuple[tuple[str, Shape], ...] = ()  # every input by name, where it takes several


def entries() -> list[Entry]:
    """Every bundled spec, propagated; a SpecError if one of them is broken."""
    from cnncalc.engine import propagate
    from cnncalc.figures import totals
    from cnncalc.spec import load_spec

    found = []
    for name in names():
        path = zoo_dir() / f"{name}.yaml"
        spec = load_spec(path)
        trace = propagate(spec, str(path), batch=1)
        total = totals(trace)
        inputs = trace.nodes[: trace.input_count]
        named = tuple((n.name, n.output) for n in inputs) if len(inputs) > 1 else ()
        found.append(Entry(name, spec.description or "", inputs[0].output, total.params.total, total.macs, named))
    return found


def locate(spec: str, command: str = "table") -> str:
    """The path of `spec`, a file or a bundled spec's name: the one place every command
    resolves what it is given. A SpecError about the file (`spec: no such file...`) when it is neither;
    `command` names the command in the hint for a path to a bundled spec from elsewhere."""
    found = resolve(spec)
    if found is not None:
        return str(found)
    from cnncalc.errors import SpecError, did_you_mean
    from cnncalc.files import dangling

    stem = Path(spec).stem
    problem = dangling(spec)  # something is there: a symbolic link loop, a broken link
    if problem is not None:
        message = problem
    elif stem in names():  # a path to a bundled spec, from another folder
        message = f"no such file; did you mean the bundled spec '{stem}' (cnncalc {command} {stem})?"
    else:
        message = f"no such file, and no bundled spec of that name{did_you_mean(spec, names())}"
    raise SpecError.about(spec, message)
