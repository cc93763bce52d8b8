"""Convert a trained STDC model to a LiteRT (.tflite) file for phones: fp32, fp16, dynamic, int8 or qat.

The command is stdc_tf.commands.to_tflite (installed as `stdc-to-tflite`); `--help` explains it.
"""
import sys

from stdc_tf.commands.to_tflite import main

if __name__ == "__main__":
    sys.exit(main())
