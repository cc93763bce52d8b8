"""Time a model on a GPU (or the CPU): p50/p90/p99, mean, FPS and images/s per batch.

The command is stdc_tf.commands.profile_gpu (installed as `stdc-profile-gpu`); `--help` explains it.
"""
import sys

from stdc_tf.commands.profile_gpu import main

if __name__ == "__main__":
    sys.exit(main())
