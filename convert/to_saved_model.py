"""Export a Keras model as a TF Serving SavedModel: uint8 RGB in, class map out.

The command is stdc_tf.commands.to_saved_model (installed as `stdc-to-saved-model`); `--help` explains it.
"""
import sys

from stdc_tf.commands.to_saved_model import main

if __name__ == "__main__":
    sys.exit(main())
