"""Progress of long work, readable wherever the output goes.

On a terminal a tqdm bar redraws in place; when the stream is a file or a pipe (``cmd | tee
run.log``, CI, a notebook) the same calls print plain newline-terminated lines instead: no
carriage return, no colour, one line every ``every`` items (or every ``seconds`` when ``every`` is
not given) and one at the end, so a log has a line per interval that ``grep`` and a reader can use.
"""
from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def is_terminal(stream: TextIO | None = None) -> bool:
    """``stream`` (default stderr) is an interactive terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):   # a closed or file-less stream
        return False


def format_seconds(seconds: float) -> str:
    """``75.2`` → ``"1:15"``, ``3725`` → ``"1:02:05"``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _field(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class Progress:
    """Count ``total`` items of ``unit`` (``total=None``: unknown), shown as ``desc``.

    ``update(n, **fields)`` advances and attaches fields (``loss=0.31``) to the next line;
    ``write(text)`` prints a line that never glues to a bar; ``close()`` ends the bar's line.
    ``start`` is where the count begins (a resumed run shows its own step numbers); ``leave=False``
    clears a terminal bar when it closes (a log keeps its lines).
    """

    def __init__(self, total: int | None, desc: str, unit: str = "it", *, start: int = 0,
                 every: int | None = None, seconds: float = 10.0, stream: TextIO | None = None,
                 enabled: bool = True, terminal: bool | None = None, leave: bool = True) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled, self.every, self.seconds = enabled, every, seconds
        self.done = self.start = start
        self.fields: dict[str, Any] = {}
        self._t0 = self._last_line = time.perf_counter()
        self._last_done = start
        self._bar = None
        self._closed = False
        if enabled and (is_terminal(self.stream) if terminal is None else terminal):
            from tqdm import tqdm
            self._bar = tqdm(total=total, initial=start, desc=desc, unit=unit, file=self.stream,
                             dynamic_ncols=True, leave=leave)

    @property
    def plain(self) -> bool:
        """Lines, not a bar (the stream is not a terminal)."""
        return self._bar is None

    def rate(self) -> float:
        """Items per second since the start."""
        elapsed = time.perf_counter() - self._t0
        return (self.done - self.start) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """The plain progress line for the current state."""
        parts = [f"{self.desc}: {self.done}" + (f"/{self.total}" if self.total else "")]
        if self.total:
            parts[0] += f" {self.unit} ({100 * self.done / self.total:.0f}%)"
        else:
            parts[0] += f" {self.unit}"
        rate = self.rate()
        if rate > 0:   # as tqdm: the time per item when items are slow (a training step)
            parts.append(f"{rate:.3g} {self.unit}/s" if rate >= 1 else f"{1 / rate:.3g} s/{self.unit}")
            if self.total and self.done < self.total:
                parts.append(f"ETA {format_seconds((self.total - self.done) / rate)}")
        parts += [f"{k} {_field(v)}" for k, v in self.fields.items()]
        return ", ".join(parts)

    def update(self, n: int = 1, **fields: Any) -> None:
        self.done += n
        self.fields.update(fields)
        if not self.enabled:
            return
        if self._bar is not None:
            if fields:
                self._bar.set_postfix({k: _field(v) for k, v in self.fields.items()}, refresh=False)
            self._bar.update(n)
            return
        now = time.perf_counter()
        due = (self.done // self.every > self._last_done // self.every) if self.every \
            else now - self._last_line >= self.seconds
        if due or (self.total is not None and self.done >= self.total):
            self._print(self.line())
            self._last_line, self._last_done = now, self.done

    def write(self, text: str) -> None:
        """A message on its own line (a bar's line is ended first and redrawn after)."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            self._print(text)

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif self.enabled and self.done != self._last_done:
            self._print(self.line())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
