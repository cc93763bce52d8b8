"""Names every layer of the toolkit agrees on: a segmentation model's outputs and the ignore label.

Defined once here (the bottom of the layering) so the model builder, the losses, the data
readers, the metrics and the exporters cannot drift apart.
"""
from __future__ import annotations

IGNORE_INDEX = 255                         # label value that is not scored (mapped label maps)
SEG_OUTPUT_KEYS = ("out", "out16", "out32")   # main head, aux heads on the context path
MAIN_OUTPUT = SEG_OUTPUT_KEYS[0]
DETAIL_STRIDES = (2, 4, 8, 16)             # the reference's use_boundary_{2,4,8,16}
DATASETS = ("cityscapes", "camvid", "folder", "synthetic")   # readers in stdc_tf.data.datasets


def detail_key(stride: int) -> str:
    """Output key of the detail head at ``stride`` (``detail8``)."""
    return f"detail{stride}"


DETAIL_OUTPUT_KEYS = tuple(detail_key(s) for s in DETAIL_STRIDES)

# The reference recipe's random scales (relative to the 1024x2048 Cityscapes image).
REFERENCE_SCALES = (0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 1.25, 1.375, 1.5)
