"""The command lines, importable: ``training/*.py`` and ``convert/*.py`` are thin shims that run
these modules' ``main``, and ``pyproject.toml``'s ``[project.scripts]`` installs them as
``stdc-train``, ``stdc-evaluate``, ``stdc-to-tflite`` … Each parses its arguments, calls one
library function and prints, following :mod:`stdc_tf.cli`."""
