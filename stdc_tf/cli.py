"""The one convention every command-line entry point follows (``training/``, ``convert/``,
``benchmarks/`` and the ``python -m stdc_tf…`` tools).

* ``--help`` and option errors never import TensorFlow (they are instant); TensorFlow is imported
  through :func:`import_tensorflow`, which keeps its C++ start-up lines (oneDNN, CUDA stub,
  cuInit, CPU feature guard) out of the output. On TF 2.21 ``TF_CPP_MIN_LOG_LEVEL`` no longer
  does that: the lines are written by absl before its logging is initialised, straight to file
  descriptor 2, so stderr is pointed at ``/dev/null`` while TensorFlow loads and initialises its
  devices, and restored right after.
* ``logging`` is configured so the toolkit's ``log.info`` lines reach the user; ``--verbose``
  adds debug lines (and TensorFlow's own warnings), ``--quiet`` keeps warnings and errors only.
* Exit status: 0 success, 1 a runtime error (one ``error: …`` line on stderr, whole for the
  toolkit's own errors; a foreign one is cut at 300 characters unless ``--verbose``), 2 a usage error
  (a bad option value, as argparse does), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
  No traceback reaches the user for an error the toolkit understands.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stdc_tf.errors import ConfigError, StdcError, Terminated, first_line
from stdc_tf.native import discard_stdout, native_stderr, silence_at_exit

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE

log = logging.getLogger("stdc_tf")
MAX_SIDE, MAX_PIXELS = 16384, 1 << 24   # --input-size bounds (a 4096x4096 image is 2^24 pixels)
_QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR", "GLOG_minloglevel": "3"}


def import_tensorflow(configure: Callable[[Any], None] | None = None) -> Any:
    """``import tensorflow`` without its C++ start-up lines; returns the module.

    Device initialisation (where cuInit and the CPU feature guard print) happens inside the
    silenced window too; ``configure(tf)`` runs just before it, for what must precede it
    (logical CPU devices, memory growth). Idempotent: later calls return the module at once.
    """
    if "tensorflow" in sys.modules and getattr(import_tensorflow, "_done", False):
        return sys.modules["tensorflow"]
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
    with native_stderr(passthrough=False):   # start-up lines, -v or not
        import tensorflow as tf
        tf.config.list_physical_devices()
        if configure is not None:
            configure(tf)
        tf.constant(0)   # creates the eager context: the last start-up lines come from here
    tf.get_logger().setLevel(logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.ERROR)
    import_tensorflow._done = True   # type: ignore[attr-defined]
    return tf


# ---- option types: each raises argparse.ArgumentTypeError naming the bad value, so a wrong option
# is a one-line usage error (exit status 2) before anything heavy is imported ----

def int_list(text: str) -> list[int]:
    """``"1,4,8"`` → ``[1, 4, 8]`` (positive integers)."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") \
            from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def choice_list(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    """A parser of ``"a,b"`` whose items must be among ``choices``."""
    def parse(text: str) -> list[str]:
        values = [v.strip() for v in text.split(",") if v.strip()]
        bad = [v for v in values if v not in choices]
        if bad or not values:
            raise argparse.ArgumentTypeError(f"{bad[0] if bad else text!r} is not one of "
                                             f"{', '.join(choices)}")
        return values
    return parse


def input_size(text: str) -> tuple[int, int]:
    """``"512x1024"`` → ``(512, 1024)`` (height, width)."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 512x1024, got {text!r}") \
            from None
    if height < 1 or width < 1:
        raise argparse.ArgumentTypeError(f"expected a positive size, got {text!r}")
    if max(height, width) > MAX_SIDE or height * width > MAX_PIXELS:
        raise argparse.ArgumentTypeError(
            f"{text} is too large: at most {MAX_SIDE} per side and {MAX_PIXELS:,} pixels (the "
            f"conversion holds every activation of that size in memory)")
    return height, width


def whole_number(minimum: int) -> Callable[[str], int]:
    """A parser of whole numbers >= ``minimum`` (``whole_number(1)``: positive counts)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a positive number, got {text!r}" if minimum == 1 else
                f"expected a number >= {minimum}, got {text!r}")
        return value
    return parse


positive_int, non_negative_int = whole_number(1), whole_number(0)


# ---- file checks, before TensorFlow is imported: a missing model or an unwritable output is one
# line at once, not after a 30 s import or a minute of conversion ----

def check_input(path: Path, option: str = "--model") -> Path:
    """``path`` exists (a file, or a folder such as a SavedModel) and a file is not empty; else one
    line naming it (``StdcError``, exit status 1)."""
    path = Path(path)
    if not path.exists():
        raise StdcError(f"{option} {path}: no such file or folder")
    if path.is_file() and path.stat().st_size == 0:
        raise StdcError(f"{option} {path}: the file is empty (0 bytes)")
    return path


def check_output(path: Path, suffix: str | None = None, option: str = "--output",
                 folder: bool = False) -> Path:
    """``path`` can be written: the right ``suffix``, not an existing folder (unless ``folder``:
    then not an existing file), its folder writable or creatable; else one ``ConfigError`` naming
    the user's path (exit status 2)."""
    from stdc_tf.atomic import check_writable_dir

    path = Path(path)
    if suffix is not None and path.suffix != suffix:
        raise ConfigError(f"{option} must end in {suffix}, got {path}")
    if not folder and path.is_dir():
        raise ConfigError(f"{option} {path} is a folder: give a file name such as "
                          f"{path / ('model' + (suffix or ''))}")
    if folder and path.is_file():
        raise ConfigError(f"{option} {path} is a file: give a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{option} {path} is not writable")
    check_writable_dir(path if folder else path.parent, option)
    return path


def add_verbosity(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="store_true",
                       help="also print debug lines and TensorFlow's own warnings")
    group.add_argument("-q", "--quiet", action="store_true",
                       help="print warnings, errors and the final result only")


def setup_logging(verbose: bool = False, quiet: bool = False) -> None:
    """Route the toolkit's log lines to stderr as ``message`` (warnings as ``warning: message``)."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO

    class _Format(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            message = record.getMessage()
            return message if record.levelno < logging.WARNING else \
                f"{record.levelname.lower()}: {message}"

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Format())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def parser(doc: str | None, prog: str | None = None) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` whose description is the module docstring's first paragraph and
    whose epilog (examples) is the rest, with ``--verbose/--quiet``."""
    doc = (doc or "").strip()
    head, _, tail = doc.partition("\n\n")
    p = argparse.ArgumentParser(prog=prog, description=head, epilog=tail or None,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_verbosity(p)
    return p


def attach_dash_values(argp: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``--input-size -128x256`` as ``--input-size=-128x256``: argparse reads a value that starts
    with a minus and a digit (other than a plain number) as an option and answers "expected one
    argument"; attached, the value reaches the option's type, which says what is wrong with it."""
    takes_one = {s for a in argp._actions if a.nargs is None and a.option_strings for s in a.option_strings}
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in takes_one and arg[:1] == "-" and arg[1:2].isdigit():
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(f"terminated by signal {signum}")


def run(main: Callable[[argparse.Namespace], int | None], argp: argparse.ArgumentParser,
        argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, set up logging and signals, call ``main(args)``; map errors to exit codes.

    ``main`` returns an exit status (``None`` = 0). :class:`ConfigError` → 2; any other
    :class:`StdcError`, ``OSError``, ``ValueError`` or ``ImportError`` → 1; Ctrl-C → 130 and
    SIGTERM → 143, each with one line. Anything else is a bug and keeps its traceback.
    """
    args = argp.parse_args(attach_dash_values(argp, sys.argv[1:] if argv is None else argv))
    setup_logging(getattr(args, "verbose", False), getattr(args, "quiet", False))
    if not getattr(args, "verbose", False):
        silence_at_exit()   # LiteRT's teardown lines after the result
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    # A shell starts a script's background jobs with SIGINT ignored, and Python then never raises
    # KeyboardInterrupt: a signal sent to the command must stop it (exit 130) all the same.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler) \
        if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else None
    try:
        return int(main(args) or EXIT_OK)
    except ConfigError as exc:
        print(f"{argp.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:   # `command | head`: the reader has gone; stop quietly
        discard_stdout()
        return EXIT_BROKEN_PIPE
    except (StdcError, OSError, ValueError, ImportError) as exc:
        message = first_line(str(exc), None) if isinstance(exc, StdcError) else \
            first_line(str(exc)) if isinstance(exc, (ImportError, OSError)) else first_line(exc)
        if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in message:
            message = f"{exc.filename}: {message}"
        print(f"error: {message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as exc:   # the library's own carries what it saved, in one line
        print(str(exc) or "interrupted", file=sys.stderr)
        return EXIT_SIGINT
    except Terminated as exc:
        print(str(exc) or "terminated", file=sys.stderr)
        return EXIT_SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
