"""Crash-safe writes: a file or a folder on disk is always either the old one or the new one.

A file is written to ``NAME.tmp`` in the same folder, flushed and fsync'ed, renamed over
``NAME`` (``os.replace`` is atomic on POSIX and Windows), and the folder is fsync'ed so the
rename itself survives a power cut. A folder is built as ``NAME.tmp/``, every file in it
fsync'ed, then swapped in: the old folder is renamed to ``NAME.old/``, the new one to ``NAME``,
and the old one removed. A kill between the two renames leaves ``NAME.old/`` and no ``NAME``;
the next :func:`atomic_folder` (or :func:`recover_folder`) on that path puts the old one back,
so a reader that calls :func:`recover_folder` first always finds a whole folder.

Used by the annotate checkpoint and the trainers' checkpoints and ``best`` models.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def fsync_folder(path: str | os.PathLike[str]) -> None:
    """Make the entries of a folder (a rename, a new file) durable. A no-op where folders
    cannot be opened (Windows)."""
    try:
        handle = os.open(os.fspath(path), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename is still atomic
    finally:
        os.close(handle)


@contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "wb",
                encoding: str | None = None) -> Iterator[IO[Any]]:
    """``with atomic_file(p) as f: f.write(...)``: ``p`` becomes the written file only if the
    block finishes; on an exception the old ``p`` (if any) is left untouched.

    ``mode`` is ``"wb"`` or ``"w"`` (text; ``encoding`` defaults to UTF-8). The handle can be
    given to ``torch.save`` or ``json.dump``."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_file writes a new file: mode must be 'wb' or 'w', got {mode!r}")
    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    if mode == "w":
        handle: IO[Any] = open(temporary, "w", encoding=encoding or "utf-8")
    else:
        handle = open(temporary, "wb")
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)


def write_file(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, "w" if isinstance(data, str) else "wb") as handle:
        handle.write(data)


def recover_folder(path: str | os.PathLike[str]) -> None:
    """Finish or undo a folder swap that a kill interrupted: with no ``NAME`` but a
    ``NAME.old``, the old folder is put back; a leftover ``NAME.tmp`` is removed."""
    target = Path(path)
    old, temporary = _old(target), _temporary(target)
    if not target.exists() and old.is_dir():
        os.replace(old, target)
        fsync_folder(target.parent)
    elif old.exists() and target.exists():
        shutil.rmtree(old, ignore_errors=True)
    if temporary.exists():
        shutil.rmtree(temporary, ignore_errors=True)


@contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """``with atomic_folder(p) as tmp: save_into(tmp)``: the files written into ``tmp`` replace
    the folder ``p`` as a whole, only if the block finishes (see the module docstring)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_folder(target)
    temporary = _temporary(target)
    temporary.mkdir()
    try:
        yield temporary
        for file in sorted(p for p in temporary.rglob("*") if p.is_file()):
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
        for folder in sorted((p for p in temporary.rglob("*") if p.is_dir()), reverse=True):
            fsync_folder(folder)
        fsync_folder(temporary)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    old = _old(target)
    if target.exists():
        os.replace(target, old)
    os.replace(temporary, target)
    fsync_folder(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def _temporary(target: Path) -> Path:
    return target.with_name(target.name + ".tmp")


def _old(target: Path) -> Path:
    return target.with_name(target.name + ".old")
