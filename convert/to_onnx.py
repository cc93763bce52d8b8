"""Export a Keras model to ONNX (tf2onnx) and check it against Keras on onnxruntime (CPU).

The command is stdc_tf.commands.to_onnx (installed as `stdc-to-onnx`); `--help` explains it.
"""
import sys

from stdc_tf.commands.to_onnx import main

if __name__ == "__main__":
    sys.exit(main())
