"""How the property tests draw their examples.

Locally they draw the same examples every run (reproducible, and quick to compare). In CI
(`CI` set) or with CNNCALC_VERIFY_RANDOM=1 they draw new ones each run from a fresh seed,
which the test summary prints; CNNCALC_VERIFY_SEED=N replays a run's draws exactly.
CNNCALC_VERIFY_EXAMPLES sets how many examples the random-spec test draws (default 60).
"""

from __future__ import annotations

import os
import random

from needs import in_ci

SEED_VARIABLE = "CNNCALC_VERIFY_SEED"


def _seed() -> int | None:
    given = os.environ.get(SEED_VARIABLE, "").strip()
    if given:
        return int(given)
    if in_ci() or os.environ.get("CNNCALC_VERIFY_RANDOM", "").strip() not in ("", "0"):
        return random.SystemRandom().randrange(2**32)
    return None


SEED = _seed()  # None: derandomized, the same examples every run
EXAMPLES = int(os.environ.get("CNNCALC_VERIFY_EXAMPLES", "60"))


def summary() -> str:
    if SEED is None:
        return "property tests: the same examples as every local run (CNNCALC_VERIFY_RANDOM=1 for new ones)"
    return f"property tests: seed {SEED}; replay this run's examples with {SEED_VARIABLE}={SEED}"
