"""Import a reference STDC PyTorch checkpoint (MichaelFan01/STDC-Seg) into a Keras model.

The command is stdc_tf.commands.import_reference (installed as `stdc-import-reference`); `--help` explains it.
"""
import sys

from stdc_tf.commands.import_reference import main

if __name__ == "__main__":
    sys.exit(main())
