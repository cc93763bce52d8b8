"""Add an exported model to a Triton Inference Server model repository.

The command is stdc_tf.commands.to_triton (installed as `stdc-to-triton`); `--help` explains it.
"""
import sys

from stdc_tf.commands.to_triton import main

if __name__ == "__main__":
    sys.exit(main())
