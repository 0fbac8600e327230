"""Staging and the atomic swap: a bundle (or web folder) is written in full beside its destination, flushed, then
made the destination in one step, so a reader sees the old folder or the new one, never half of either, and a failed
export leaves the previous one as it was (docs/reliability.md)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from edgegan import manifest as mf
from edgegan.errors import ConfigError


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh folder beside ``out`` to write into, removed if the block fails (then ``out`` is untouched)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        os.chmod(stage, 0o755)
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_into_place(stage: Path, out: Path, marker: str = mf.MANIFEST) -> None:
    """Make ``out`` the staged folder. On Linux, renameat2(RENAME_EXCHANGE) swaps the two folders
    atomically, so ``out`` never stops existing; elsewhere two renames. An existing ``out`` is
    replaced only if it is empty or holds ``marker`` (what an earlier export wrote there)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is a file; choose another --out")
    if not out.exists():
        os.rename(stage, out)
    else:
        if not (out / marker).exists() and any(out.iterdir()):
            raise ConfigError(
                f"{out}: exists and was not written by edgegan export (no {marker}); choose another --out"
            )
        if not _exchange(stage, out):
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.rename(out, old)
            os.rename(stage, out)
            stage = old
        shutil.rmtree(stage, ignore_errors=True)
    fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0
