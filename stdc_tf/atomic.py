"""Atomic file output: write to a temporary name beside the target, rename when complete.

A crash or an error mid-write never leaves a half-written artifact under the final name.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def temporary_beside(path: str | os.PathLike) -> Path:
    """A new empty file beside ``path`` (same folder, same suffix, hidden name) to write into
    before :func:`publish`; the suffix stays so writers that pick a format by it (OpenCV's video
    containers, Keras) still do."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    return Path(tmp_name)


def publish(tmp: Path, path: str | os.PathLike) -> Path:
    """Give a finished temporary file or folder its final name (a folder replaces the old one)."""
    path = Path(path)
    if tmp.is_file():   # mkstemp makes 0600 files: give the usual umask-based mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    if tmp.is_dir() and path.is_dir():
        shutil.rmtree(path)
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path (same folder and suffix as ``path``); move it to ``path`` on success.

    ``directory=True`` is for outputs that are folders (SavedModel): the yielded path does not
    exist yet and the old folder, if any, is replaced.
    """
    tmp = temporary_beside(path)
    if directory:
        tmp.unlink()
    try:
        yield tmp
        publish(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def check_writable_dir(path: str | os.PathLike, option: str) -> None:
    """``path`` is a writable folder or can be made one; else one ``ConfigError`` line naming
    ``option``. Checked before any work, so a long job never fails at its very end."""
    from stdc_tf.errors import ConfigError

    path = Path(path)
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"{option} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: {existing} is not writable")
