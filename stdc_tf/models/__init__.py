"""STDC models: backbones, classifier, STDC-Seg, presets, and what a built model is.

Names are imported on first use (PEP 562), so ``stdc_tf.models.registry`` — the presets — can be
read without importing TensorFlow (``--help`` and configuration checks stay instant).
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "build_backbone": "backbone", "build_classifier": "backbone",
    "custom_objects": "layers",
    "PRESETS": "registry", "build_model": "registry", "get_preset": "registry",
    "build_stdc_seg": "segmentation", "inference_model": "segmentation",
    "fixed_input_model": "segmentation", "num_classes": "segmentation",
    "ModelStructure": "structure", "describe_model": "structure", "feature_outputs": "structure",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'stdc_tf.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"stdc_tf.models.{_EXPORTS[name]}"), name)
