"""Named presets: one registry for every model the toolkit builds.

Seg50 / Seg75 are the same network evaluated on Cityscapes at 0.5 / 0.75 scale (512×1024 /
768×1536 inputs); the preset carries that scale and input size as defaults for training and
evaluation, and ``num_classes`` / ``input_shape`` can be overridden.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stdc_tf.errors import ConfigError


@dataclass(frozen=True)
class Preset:
    name: str
    task: str                      # "seg" or "cls"
    backbone: str                  # "stdc1" or "stdc2"
    num_classes: int
    input_size: tuple[int, int]    # (h, w) default input
    eval_scale: float | None = None    # Cityscapes evaluation scale (Seg50 = 0.5, Seg75 = 0.75)
    description: str = ""


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("stdc1", "cls", "stdc1", 1000, (224, 224),
           description="STDCNet813 ImageNet classifier (73.91 top-1)"),
    Preset("stdc2", "cls", "stdc2", 1000, (224, 224),
           description="STDCNet1446 ImageNet classifier (76.47 top-1)"),
    Preset("stdc1_seg50", "seg", "stdc1", 19, (512, 1024), 0.5,
           "STDC1-Seg50: Cityscapes val 72.2 mIoU at 512x1024"),
    Preset("stdc2_seg50", "seg", "stdc2", 19, (512, 1024), 0.5,
           "STDC2-Seg50: Cityscapes val 74.2 mIoU at 512x1024"),
    Preset("stdc1_seg75", "seg", "stdc1", 19, (768, 1536), 0.75,
           "STDC1-Seg75: Cityscapes val 74.5 mIoU at 768x1536"),
    Preset("stdc2_seg75", "seg", "stdc2", 19, (768, 1536), 0.75,
           "STDC2-Seg75: Cityscapes val 77.0 mIoU at 768x1536"),
)}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name lists the valid ones."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    return PRESETS[name]


def build_model(preset: str, num_classes: int | None = None,
                input_shape: Sequence | None = None, k: Any = None, **kwargs):
    """Build a preset. Segmentation presets return the training graph (dict outputs).

    ``input_shape`` defaults to ``(None, None, 3)`` for segmentation (any size) and to the
    preset's size for classifiers; extra keyword arguments go to the builder
    (e.g. ``detail_strides``, ``sync_bn`` for segmentation, ``dropout`` for classifiers).
    """
    from stdc_tf.models.backbone import build_classifier
    from stdc_tf.models.segmentation import build_stdc_seg

    p = get_preset(preset)
    num_classes = p.num_classes if num_classes is None else num_classes
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ConfigError(f"num_classes must be a positive int, got {num_classes!r}")
    if p.task == "cls":
        shape = input_shape or (*p.input_size, 3)
        return build_classifier(p.backbone, num_classes, shape, k=k, **kwargs)
    shape = input_shape or (None, None, 3)
    return build_stdc_seg(p.backbone, num_classes, shape, k=k, name=preset, **kwargs)
