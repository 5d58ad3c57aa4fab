"""Python's cyclic garbage collector, paused over work that makes many objects and no cycles.

The collector runs after every few hundred new container objects and, as they pile up,
walks all of them again and again: reading, propagating and rendering a network of
200,000 layers makes millions, none in a reference cycle, and spent a fifth of its time
there. Refcounting still frees everything as before; a cycle made meanwhile waits for the
next collection after the pause.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off (as it was after: a nested pause leaves it off)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
