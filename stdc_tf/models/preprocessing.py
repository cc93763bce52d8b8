"""The input normalization every STDC model expects (the reference's ImageNet mean/std on RGB).

Models take normalized float input, exactly like the reference, so weights and golden outputs
carry over unchanged; data pipelines and runtime predictors call :func:`normalize` on uint8 RGB.
"""
from __future__ import annotations

import numpy as np

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def normalize(images):
    """uint8 (or 0–255 float) RGB, channels last → (x / 255 − mean) / std, float32.

    Works on numpy arrays and TensorFlow tensors alike.
    """
    if isinstance(images, np.ndarray):
        return ((images.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32)
    import tensorflow as tf
    x = tf.cast(images, tf.float32) / 255.0
    return (x - IMAGENET_MEAN) / IMAGENET_STD
