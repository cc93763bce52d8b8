"""Measure the mIoU of any model artifact, or of a folder of predictions, the same way.

The command is stdc_tf.commands.evaluate (installed as `stdc-evaluate`); `--help` explains it.
"""
import sys

from stdc_tf.commands.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
