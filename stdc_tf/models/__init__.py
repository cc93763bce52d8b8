"""STDC models: backbones, classifier, STDC-Seg, presets."""
from stdc_tf.models.backbone import build_backbone, build_classifier, stage_outputs
from stdc_tf.models.layers import custom_objects
from stdc_tf.models.registry import PRESETS, build_model, get_preset
from stdc_tf.models.segmentation import build_stdc_seg, inference_model

__all__ = ["PRESETS", "build_backbone", "build_classifier", "build_model", "build_stdc_seg",
           "custom_objects", "get_preset", "inference_model", "stage_outputs"]
