"""What a built STDC model is, asked of the model itself: task, backbone, outputs, layer groups.

Every consumer that needs to know which part of the network a layer belongs to — the trainer's
variable groups (10× learning rate, weight decay, frozen backbone BN γ/β, BN statistics), the
reference-checkpoint importer, the MACs/params summary, the parity probes, the QAT bridge — asks
this module instead of parsing layer names itself.

Layers are named after the reference implementation's module paths (``features.3.conv_list.0.conv``,
``arm16.conv.bn``, ``conv_out_sp8.conv_out``; see :mod:`stdc_tf.models.blocks`). A layer's
*reference name* is found inside whatever wraps or renames it: a wrapper's inner layer is
unwrapped (tfmot's ``QuantizeWrapper``, anything with a ``.layer``), and the reference path is
searched for after a prefix (tfmot's ``quant_``, a ``student/`` scope, a clone's ``copy_``), so a
wrapped or prefixed layer still lands in its group. A layer whose name keeps no reference path
at all is in no group.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from stdc_tf.conventions import MAIN_OUTPUT
from stdc_tf.models.backbone import BACKBONES, STAGE_NAMES, stage_layer_names

PARTS = ("backbone", "context", "ffm", "head", "detail_head", "classifier")
LR_MULT_PARTS = ("ffm", "head", "detail_head")   # the reference's lr_mul groups: FFM + BiSeNetOutputs
HEAD_BN_PARTS = ("context", "ffm", "head", "detail_head")   # InPlaceABNSync in the reference
CONTEXT_FEATURES = {"conv_head16.relu": "context_feat8", "conv_head32.relu": "context_feat16"}

_PART_OF = (   # (pattern of the reference module at the start of a name, part)
    (r"features\.\d+", "backbone"),
    (r"conv_last|fc|fc_relu|linear|square|gap|dropout", "classifier"),
    (r"arm16|arm32|conv_avg|conv_head16|conv_head32|cp\.gap", "context"),
    (r"ffm", "ffm"),
    (r"conv_out_sp\d+", "detail_head"),
    (r"conv_out16|conv_out32|conv_out|out16\.up|out32\.up|out\.up", "head"),
)
_REFERENCE = re.compile(r"(?:^|(?<=[/_:]))((?:" + "|".join(p for p, _ in _PART_OF) + r")(?:\..+)?)$")
_FEATURE_INDEX = re.compile(r"^features\.(\d+)")
_DETAIL = re.compile(r"^conv_out_sp(\d+)\.conv_out$")


def inner_layer(layer: Any) -> Any:
    """The layer a wrapper (tfmot's ``QuantizeWrapper``, ``Bidirectional``-style) wraps."""
    while hasattr(layer, "layer") and hasattr(layer.layer, "name"):
        layer = layer.layer
    return layer


def reference_name(layer: Any) -> str | None:
    """The reference module path a layer implements, or ``None`` (input, tfmot's quantize layer)."""
    for name in dict.fromkeys((inner_layer(layer).name, layer.name)):
        found = _REFERENCE.search(name)
        if found:
            return found.group(1)
    return None


def part_of(name: str | None) -> str | None:
    """The part (one of :data:`PARTS`) of a reference module path."""
    if name is None:
        return None
    for pattern, part in _PART_OF:
        if re.match(rf"(?:{pattern})(?:\.|$)", name):
            return part
    return None


def layer_part(layer: Any) -> str | None:
    return part_of(reference_name(layer))


def layer_kind(layer: Any) -> str:
    """The class name of the (unwrapped) layer: ``Conv2D``, ``BatchNormalization`` …"""
    return type(inner_layer(layer)).__name__


def is_batch_norm(layer: Any) -> bool:
    return layer_kind(layer).startswith(("BatchNormalization", "SyncBatchNormalization"))


def is_weighted_conv(layer: Any) -> bool:
    """Convolutions and dense layers: the layers with a kernel, MACs and weight decay."""
    return layer_kind(layer) in ("Conv2D", "DepthwiseConv2D", "Dense")


def kernel_of(layer: Any) -> Any:
    """The kernel variable of a conv/dense layer, wrapped or not (tfmot's wrapper takes the inner
    layer's variables into its own list and replaces its ``kernel`` attribute with a tensor)."""
    for var in layer.weights:
        if var.name.split("/")[-1].split(":")[0] in ("kernel", "depthwise_kernel"):
            return var
    raise ValueError(f"layer {layer.name} has no kernel variable")


def backbone_stage(name: str, backbone: str) -> str | None:
    """``feat2`` … ``feat32``: the backbone stage a ``features.N…`` module belongs to."""
    found = _FEATURE_INDEX.match(name)
    if not found:
        return None
    index = int(found.group(1))
    if index < 2:
        return STAGE_NAMES[index]
    ends = [1 + sum(BACKBONES[backbone].layers[:i + 1]) for i in range(len(BACKBONES[backbone].layers))]
    return STAGE_NAMES[2 + next(i for i, end in enumerate(ends) if index <= end)]


@dataclass(frozen=True)
class ModelStructure:
    """What :func:`describe_model` finds in a built model."""

    task: str                       # "seg" or "cls"
    backbone: str                   # "stdc1" or "stdc2"
    preset: str | None              # the registry preset the model was built from, if known
    num_classes: int
    output_keys: tuple[str, ...]    # dict outputs of a training graph; ("out",) for inference
    detail_strides: tuple[int, ...]   # detail heads built (whether or not the graph outputs them)

    @property
    def is_training_graph(self) -> bool:
        return len(self.output_keys) > 1


def layers_by_part(model: Any, *parts: str) -> Iterator[Any]:
    """The model's layers (as the model holds them: wrapped, if they are) in any of ``parts``."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown part(s) {sorted(unknown)}; valid: {', '.join(PARTS)}")
    return (layer for layer in model.layers if layer_part(layer) in parts)


def describe_model(model: Any) -> ModelStructure:
    """Task, backbone, preset, classes, outputs and detail heads of a model built by the toolkit.

    A model this toolkit did not build (no ``features.N`` backbone) raises ``ValueError``.
    """
    from stdc_tf.models.registry import PRESETS

    names = [n for n in (reference_name(layer) for layer in model.layers) if n]
    indices = [int(m.group(1)) for m in map(_FEATURE_INDEX.match, names) if m]
    modules = 1 + max(indices, default=-1)   # features.0 … features.{N-1}
    backbone = next((b for b, spec in BACKBONES.items() if modules == 2 + sum(spec.layers)), None)
    if backbone is None:
        raise ValueError(f"model {model.name!r} is not an STDC model built by stdc_tf "
                         f"(found {modules} backbone modules)")
    by_name = {reference_name(layer): layer for layer in model.layers}
    task = "seg" if "conv_out.conv_out" in by_name else "cls"
    head = inner_layer(by_name["conv_out.conv_out" if task == "seg" else "linear"])
    num_classes = int(head.filters if task == "seg" else head.units)
    strides = tuple(sorted(int(m.group(1)) for m in map(_DETAIL.match, names) if m))
    output = model.output
    if isinstance(output, dict):
        keys = tuple(output)
    else:
        keys = (MAIN_OUTPUT,) if task == "seg" else ("logits",)
    name = model.name.removesuffix("_inference")
    preset = name if name in PRESETS and PRESETS[name].backbone == backbone else None
    return ModelStructure(task, backbone, preset, num_classes, keys, strides)


def feature_outputs(model: Any) -> dict[str, Any]:
    """The named intermediate tensors of a model: backbone stages ``feat2`` … ``feat32`` and, for
    segmentation models, the context path's ``context_feat8`` / ``context_feat16`` (inputs of the
    FFM and the aux heads). Found by reference name, so wrapped models work too."""
    structure = describe_model(model)
    wanted = dict(zip(stage_layer_names(structure.backbone), STAGE_NAMES))
    if structure.task == "seg":
        wanted.update(CONTEXT_FEATURES)
    by_name = {reference_name(layer): layer for layer in model.layers}
    return {key: by_name[name].output for name, key in wanted.items() if name in by_name}
