"""Accuracy: the reference's evaluation protocol over any Predictor, and what it writes.

:mod:`.metrics` (confusion matrix, IoU, mIoU), :mod:`.evaluator` (the protocol: scales, flips,
aligned-corners resizing, over a :class:`stdc_tf.runtime.Predictor`), :mod:`.predictions` (scoring
folders of prediction PNGs, TensorFlow-free), :mod:`.outputs` (``metrics.json``, the per-class
table, the confusion-matrix PNG) and :mod:`.baselines` (the colour baseline).
"""
