"""The one way the toolkit keeps native libraries' lines off the terminal.

TensorFlow (absl), the LiteRT converter (MLIR) and LiteRT's runtime write straight to file
descriptor 2, below Python's ``sys.stderr``, so neither logging levels nor
``contextlib.redirect_stderr`` stop them. :func:`native_stderr` points descriptor 2 at a
temporary file for the block and hands back what was written (for the reason of a failure) and
a stream to the real terminal (for progress bars). Standard library only: ``import stdc_tf``
uses it while TensorFlow loads.

Native code also breaks Ctrl-C: a ``KeyboardInterrupt`` raised while the LiteRT converter is
inside C++ that calls back into Python surfaces as an unrelated error (``KeyError``,
``SystemError``) or is lost. :func:`deferred_signals` holds SIGINT/SIGTERM for such a call and
delivers them, to the handlers that were there before, when the call is over.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import TextIO


@dataclass
class NativeOutput:
    """What :func:`native_stderr` caught: ``lines`` (filled when the block ends) and
    ``terminal``, a stream to the real stderr that stays usable inside the block."""

    terminal: TextIO
    lines: list[str] = field(default_factory=list)


@contextlib.contextmanager
def native_stderr(passthrough: bool | None = None) -> Iterator[NativeOutput]:
    """Catch what native code writes to descriptor 2 during the block.

    ``passthrough`` leaves descriptor 2 alone, so everything reaches the terminal; by default it
    does so in debug runs (``-v``: the toolkit's logger at debug level).
    """
    if passthrough is None:
        passthrough = logging.getLogger("stdc_tf").isEnabledFor(logging.DEBUG)
    if passthrough or not hasattr(sys.stderr, "fileno"):
        yield NativeOutput(sys.stderr)
        return
    sys.stderr.flush()
    saved = os.dup(2)
    terminal = os.fdopen(os.dup(saved), "w")
    caught = NativeOutput(terminal)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield caught
        finally:
            sys.stderr.flush()
            terminal.close()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            caught.lines.extend(sink.read().decode(errors="replace").splitlines())


@dataclass
class DeferredSignals:
    """What :func:`deferred_signals` held back: ``signum`` is the first signal that arrived."""

    signum: int | None = None


@contextlib.contextmanager
def deferred_signals() -> Iterator[DeferredSignals]:
    """Hold SIGINT and SIGTERM during the block; when it ends, deliver the first that arrived to
    the handler that was installed before (Ctrl-C → ``KeyboardInterrupt``, the command lines'
    SIGTERM → :class:`stdc_tf.errors.Terminated`). Code inside may poll ``signum`` to finish
    early (calibration stops feeding images). Outside the main thread it holds nothing."""
    held = DeferredSignals()
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def hold(signum: int, frame: FrameType | None) -> None:
        if held.signum is None:
            held.signum = signum

    previous = {s: signal.signal(s, hold) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield held
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if held.signum is not None:
            signal.raise_signal(held.signum)


@functools.cache   # registered once, however many commands run in the process
def silence_at_exit() -> None:
    """Send what native libraries write while the process exits (after Python is done: LiteRT
    logs every accelerator it destroys) to /dev/null. For command lines, whose output ends with
    their result."""
    atexit.register(lambda: os.dup2(os.open(os.devnull, os.O_WRONLY), 2))


def discard_stdout() -> None:
    """Point file descriptor 1 at /dev/null: after the reader of a pipe went away
    (``command | head``), Python's final flush would fail again with a second traceback."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
