"""Quantization-aware training and what it hands to the exporters.

:mod:`.bridge` (the Keras 3 → tf_keras rebuild and weight copy: tfmot works on tf_keras only),
:mod:`.configs` (the QuantizeConfigs of STDC's own layers), :mod:`.schemes` (the LiteRT and
TensorRT QAT schemes), :mod:`.qat` (quantize, save and load a QAT model), :mod:`.ranges` (refusing
fake-quant ranges that were never trained) and :mod:`.trained` (loading a run's ``.keras`` or QAT
``.h5``, the one way every command does).
"""
