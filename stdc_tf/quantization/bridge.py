"""The one bridge between Keras 3 (training, export) and tf_keras (what tfmot quantizes).

:func:`to_tf_keras` rebuilds a trained model's architecture with the same builder in tf_keras
(the model says what it is: :func:`stdc_tf.models.describe_model`), copies every weight by layer
name and shape — a layer missing on either side or a shape mismatch names the layer — and
:func:`check_same_outputs` proves the copy by comparing the two models' outputs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from stdc_tf.errors import StdcError
from stdc_tf.models import build_model, describe_model
from stdc_tf.models.backbone import build_classifier
from stdc_tf.models.structure import inner_layer, reference_name


class BridgeError(StdcError, ValueError):
    """The two frameworks' models do not match layer for layer."""


def _weighted(model: Any) -> dict[str, Any]:
    return {reference_name(layer) or layer.name: inner_layer(layer) for layer in model.layers
            if inner_layer(layer).weights}


def copy_weights(source: Any, target: Any, subset: bool = False) -> int:
    """Copy every weight of ``source`` into ``target`` (any framework, wrapped or not) by reference
    layer name and shape; returns the number of layers copied. ``subset``: ``source`` may have
    layers ``target`` lacks (detail heads a run does not train), which are left out."""
    theirs, ours = _weighted(source), _weighted(target)
    missing = sorted(set(ours) - set(theirs) if subset else set(theirs) ^ set(ours))
    if subset:
        theirs = {name: layer for name, layer in theirs.items() if name in ours}
    if missing:
        raise BridgeError(f"layers in only one of the two models: {', '.join(missing[:5])}"
                          f"{' …' if len(missing) > 5 else ''}")
    for name, layer in theirs.items():
        values = layer.get_weights()
        shapes = [w.shape for w in ours[name].get_weights()]
        if [v.shape for v in values] != shapes:
            raise BridgeError(f"layer {name}: weights {[v.shape for v in values]} do not fit {shapes}")
        ours[name].set_weights(values)
    return len(theirs)


def to_tf_keras(model: Any, input_shape: tuple | None = None) -> Any:
    """The same network with the same weights, built in tf_keras (float, not yet quantized)."""
    import tf_keras

    structure = describe_model(model)
    shape = tuple(input_shape or model.inputs[0].shape[1:])
    if structure.task == "cls":
        twin = build_classifier(structure.backbone, structure.num_classes, shape, k=tf_keras)
    else:
        preset = structure.preset or f"{structure.backbone}_seg50"
        twin = build_model(preset, structure.num_classes, shape, k=tf_keras,
                           detail_strides=structure.detail_strides or (8,))
        if not structure.is_training_graph:   # keep the graph the caller had
            from stdc_tf.models import inference_model
            twin = inference_model(twin)
    copy_weights(model, twin)
    return twin


def check_same_outputs(a: Any, b: Any, shape: tuple[int, int] = (64, 128), tolerance: float = 1e-5) -> float:
    """Max relative difference of the two models' outputs on one seeded image; raises above
    ``tolerance``."""
    x = np.random.default_rng(0).standard_normal((1, *shape, 3)).astype(np.float32)
    out_a, out_b = a(x, training=False), b(x, training=False)
    pairs = ([(out_a[k], out_b[k]) for k in out_a] if isinstance(out_a, dict) else [(out_a, out_b)])
    worst = max(float(np.abs(np.asarray(p) - np.asarray(q)).max() / max(np.abs(np.asarray(p)).max(), 1e-12))
                for p, q in pairs)
    if worst > tolerance:
        raise BridgeError(f"the tf_keras copy differs from the Keras 3 model by {worst:.2e} (> {tolerance:g})")
    return worst
