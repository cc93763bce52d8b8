"""Option types shared by the profiling command lines (``convert/profile_*.py``).

Each raises ``argparse.ArgumentTypeError`` with a message naming the bad value, so a wrong option
is a one-line usage error (exit status 2) before anything heavy is imported.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable


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
    return height, width
