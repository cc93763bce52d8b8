"""Print the stdc_tf metadata (JSON) stored in a .tflite file.

  python -m stdc_tf.commands.metadata stdc1_int8.tflite
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.export.metadata import METADATA_NAME, MetadataError, read_metadata


def build_parser():
    parser = cli.parser(__doc__, prog="python -m stdc_tf.commands.metadata")
    parser.add_argument("file", type=Path, help=".tflite file")
    return parser


def run(args) -> int:
    cli.check_input(args.file, "FILE")
    meta = read_metadata(args.file)
    if meta is None:
        raise MetadataError(f"{args.file} has no {METADATA_NAME!r} metadata (not written by stdc-tf)")
    print(json.dumps(meta, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
