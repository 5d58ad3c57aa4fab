"""The test suite's own rules: no subprocess without a timeout, no silent skip in CI, and
a summary line for the GPU tests a CPU machine cannot run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from needs import in_ci, needs_executable, needs_module

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
pytest_plugins = ["pytester"]


def _calls(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS)))
def test_every_subprocess_has_a_timeout(path: Path) -> None:
    """A hung child fails its test in minutes instead of stalling CI until its own limit."""
    waiting = ("subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output")
    for call in _calls(path):
        if _name(call) in waiting:
            assert any(k.arg == "timeout" for k in call.keywords), f"{path.name}:{call.lineno}: no timeout"


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_silent_skip_of_a_missing_tool(path: Path) -> None:
    """Missing tools go through tests/needs.py, which fails in CI instead of skipping."""
    for call in _calls(path):
        assert _name(call) != "pytest.importorskip", f"{path.name}:{call.lineno}: use needs.needs_module"
        if _name(call) in ("pytest.mark.skipif", "mark.skipif"):
            text = ast.unparse(call)
            assert "which(" not in text and "find_spec(" not in text, f"{path.name}:{call.lineno}: use needs.py"


def test_a_missing_tool_skips_here_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", "0", "false"):
        monkeypatch.setenv("CI", value)
        assert not in_ci()
        with pytest.raises(pytest.skip.Exception):
            needs_module("cnncalc_no_such_module")
        with pytest.raises(pytest.skip.Exception):
            needs_executable("cnncalc-no-such-tool")
    for value in ("true", "1", "yes"):
        monkeypatch.setenv("CI", value)
        assert in_ci()
        with pytest.raises(pytest.fail.Exception, match="CI needs it"):
            needs_module("cnncalc_no_such_module")
        with pytest.raises(pytest.fail.Exception, match="CI needs it"):
            needs_executable("cnncalc-no-such-tool")
    assert needs_module("json").dumps([]) == "[]"


def test_ci_runs_with_ci_set() -> None:
    assert 'export CI="${CI:-true}"' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_summary_names_the_cuda_tests_not_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.skipif(True, reason="needs a CUDA device")
        def test_on_the_gpu():
            pass

        @pytest.mark.skipif(True, reason="needs a CUDA device")
        def test_on_the_gpu_too():
            pass

        def test_on_the_cpu():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*2 CUDA tests skipped: no CUDA device on this machine*"])


def test_property_tests_draw_new_examples_in_ci_and_replay_a_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    import randomness

    for name in ("CI", "CNNCALC_VERIFY_RANDOM", randomness.SEED_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    assert randomness._seed() is None  # locally: the same examples every run
    monkeypatch.setenv("CI", "true")
    drawn = {randomness._seed() for _ in range(5)}
    assert None not in drawn and len(drawn) > 1  # in CI: a fresh seed each run
    monkeypatch.setenv(randomness.SEED_VARIABLE, "1234")
    assert randomness._seed() == 1234  # a printed seed replays
    monkeypatch.delenv("CI")
    assert randomness._seed() == 1234


def test_property_tests_discard_nothing_and_spell_the_variables_right() -> None:
    drawing = [*(TESTS / "verify").glob("test_verify_*.py"), *(TESTS / "cases").glob("*.py")]
    for path in drawing:
        assert not [c.lineno for c in _calls(path) if _name(c) in ("assume", "hypothesis.assume")], "draw valid inputs"
    typo = "CNC" + "CALC"  # spelled apart, so that this file passes its own check
    for path in [*TESTS.rglob("*.py"), ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        assert typo not in path.read_text(encoding="utf-8"), f"{path.name}: the prefix is CNNCALC_"
