"""Time a .tflite model with LiteRT, on this host or on an Android phone over adb.

The command is stdc_tf.commands.profile_edge (installed as `stdc-profile-edge`); `--help` explains it.
"""
import sys

from stdc_tf.commands.profile_edge import main

if __name__ == "__main__":
    sys.exit(main())
