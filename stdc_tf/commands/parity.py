"""Parity with the reference implementation: rebuild each case's seeded weights, compare every stage.

    python -m stdc_tf.commands.parity tests/data/*.json

Exit status 1 when any stage differs by more than the tolerance (relative).
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from stdc_tf import cli
from stdc_tf.weights.parity import TOLERANCE, run_case


def build_parser():
    parser = cli.parser(__doc__, prog="python -m stdc_tf.commands.parity")
    parser.add_argument("cases", nargs="+", type=Path, help="parity case JSON files (NAME.npz beside each)")
    return parser


def run(args) -> int:
    cli.import_tensorflow()
    worst = 0.0
    for path in args.cases:
        if not path.is_file() or not path.with_suffix(".npz").is_file():
            raise FileNotFoundError(f"parity case {path} (and {path.with_suffix('.npz').name} beside it) "
                                    f"not found")
        for name, err in run_case(path).items():
            print(f"{path.stem:24s} {name:16s} {err:.3e}")
            worst = max(worst, err)
    print(f"worst relative error {worst:.3e} (tolerance {TOLERANCE:g})")
    return 0 if worst <= TOLERANCE else 1


def main(argv: Sequence[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
