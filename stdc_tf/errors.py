"""The toolkit's error types and the two message helpers every layer uses.

Every error a user can cause (a bad file, a bad option, a model that cannot be converted) is a
:class:`StdcError` with a one-line message that names the file or the option; command-line
entry points print that line and exit non-zero (:mod:`stdc_tf.cli`). :class:`ConfigError` is an
option's value that is wrong (exit status 2, like argparse's usage errors); every other
:class:`StdcError` is a runtime failure (exit status 1).

This module imports nothing of the toolkit, so every layer can use it.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

SHOWN_ITEMS = 5


class StdcError(Exception):
    """A failure the user can act on; ``str()`` is one line naming the file or option."""


class ConfigError(StdcError, ValueError):
    """An option or configuration value is of the wrong type, out of range, or inconsistent."""


class Terminated(Exception):
    """SIGTERM arrived (a scheduler, ``docker stop``): raised in the main thread like Ctrl-C."""


def first_line(error: BaseException | str, limit: int | None = 300) -> str:
    """The first non-empty line of an error (prefixed with its type): converters and TensorFlow
    print pages of context after the one line that matters.

    A line over ``limit`` characters (foreign noise: an MLIR dump, a protobuf) is cut; ``None``
    never cuts (the toolkit's own messages, whose hints and lists the user needs), nor does a
    ``--verbose`` run (the toolkit's logger at debug level)."""
    text = str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head = lines[0] if lines else ""
    if limit is not None and len(head) > limit \
            and not logging.getLogger("stdc_tf").isEnabledFor(logging.DEBUG):   # cut at a word, say so
        cut = head[:limit].rsplit(" ", 1)[0] if " " in head[:limit] else head[:limit]
        head = cut.rstrip(" ,;:") + " …"
    return head if isinstance(error, str) else f"{type(error).__name__}: {head}"


def shown(items: Iterable, limit: int = SHOWN_ITEMS) -> str:
    """``"a, b, c (+N more)"``: a few items of a long list, and how many were left out."""
    items = [str(i) for i in items]
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" (+{more} more)" if more > 0 else "")
