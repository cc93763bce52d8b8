"""Build a TensorRT deployment: a TensorRT engine from ONNX, onnxruntime's TensorRT EP, or TF-TRT.

The command is stdc_tf.commands.to_tensorrt (installed as `stdc-to-tensorrt`); `--help` explains it.
"""
import sys

from stdc_tf.commands.to_tensorrt import main

if __name__ == "__main__":
    sys.exit(main())
