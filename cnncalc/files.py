"""Paths a person names and files cnncalc writes.

`dangling` says what stands at a path that cannot be followed (a symbolic link loop, a
broken link), so that it is not reported as missing; `repository_root` finds git's top
level; `write_report` writes a report whole or not at all, and never over a file the run
reads.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path


def dangling(path: str) -> str | None:
    """What is at `path` that cannot be opened, in words; None when it is plainly absent or fine."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (following its links never reaches a file)"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return f"broken symbolic link to {os.readlink(path)}, which does not exist"
    return None


def repository_root(start: str | Path) -> Path | None:
    """The nearest folder at or above `start` with a `.git` (a folder, or a worktree's file),
    as `git rev-parse --show-toplevel` finds it, without running git."""
    here = Path(os.path.abspath(start))
    for folder in [here, *here.parents]:
        if (folder / ".git").exists():
            return folder
    return None


def same_file(path: str, candidates: Iterable[str]) -> str | None:
    """The candidate that `path` is (the same file by any name: a symbolic or hard link), or None."""
    if not os.path.exists(path):
        return None
    for candidate in candidates:
        with contextlib.suppress(OSError):
            if os.path.samefile(path, candidate):
                return candidate
    return None


class InputClash(Exception):
    """The report would replace a file the run reads (exit 2, nothing written)."""

    def __init__(self, output: str, given: str) -> None:
        same = "" if given == output else f" ({given})"
        super().__init__(f"{output}:1:1: is an input of this run{same}; not writing the report over it")


def write_report(path: str, text: str | bytes, inputs: Iterable[str]) -> None:
    """Write `text` (UTF-8), or a picture's bytes, to `path` whole or not at all; InputClash
    if `path` is one of `inputs`.

    A temporary file in the same folder, then `os.replace`: an interrupted or failed write
    leaves the previous report as it was. A link is written through to the file it names;
    a report written over an old one keeps its permissions, a new one gets open()'s.
    """
    import tempfile  # here: only a run that writes a report pays for it

    given = same_file(path, inputs)
    if given is not None:
        raise InputClash(path, given)
    target = os.path.realpath(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    folder, name = os.path.split(target)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as picture:
                picture.write(text)
                picture.flush()
                os.fsync(picture.fileno())
        else:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
