"""Train an STDC segmentation model (the toolkit's main job).

The command is stdc_tf.commands.train (installed as `stdc-train`); `--help` explains it.
"""
import sys

from stdc_tf.commands.train import main

if __name__ == "__main__":
    sys.exit(main())
