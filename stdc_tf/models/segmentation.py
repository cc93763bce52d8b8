"""STDC-Seg: the reference's ``BiSeNet`` (models/model_stages.py) on an STDC backbone.

One functional model, two graphs sharing its layers:

* the **training graph** (:func:`build_stdc_seg`) outputs a dict: ``out`` (main head after the
  FFM), ``out16`` / ``out32`` (auxiliary heads on the context path's stride-8 / stride-16
  features; the reference's names), all three resized to the input size with aligned-corners
  bilinear, and ``detail{s}`` (detail-head logits at stride ``s``, not resized);
* the **inference graph** (:func:`inference_model`) outputs ``out`` only, so nothing is computed
  that would be thrown away (the reference runs every head on every forward).

Head BatchNorms can be cross-replica synchronized (the reference's InPlaceABNSync); the backbone's
are not, as in the reference.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stdc_tf.conventions import DETAIL_STRIDES, MAIN_OUTPUT, SEG_OUTPUT_KEYS, detail_key
from stdc_tf.models.backbone import stdc_backbone
from stdc_tf.models.blocks import Blocks
from stdc_tf.models.layers import custom_layers, keras_module_of

CONTEXT_CHANNELS = 128
FFM_CHANNELS = 256


def head_blocks(k: Any, sync_bn: bool) -> Blocks:
    """Head convs: kaiming-normal with a=1 (fan_in, gain 1), as the head modules' init_weight."""
    return Blocks(k, kernel_init=lambda: k.initializers.VarianceScaling(
        1.0, "fan_in", "untruncated_normal"), sync_bn=sync_bn)


def attention_refinement(b: Blocks, x, name: str, filters: int):
    """ARM: ConvBNReLU, then a channel gate from GAP → 1×1 conv → BN → sigmoid."""
    feat = b.conv_bn_relu(x, f"{name}.conv", filters, kernel=3, sync=True)
    atten = b.global_pool(feat, f"{name}.gap")
    atten = b.conv(atten, f"{name}.conv_atten", filters, kernel=1)
    atten = b.bn(atten, f"{name}.bn_atten", sync=True)
    atten = b.k.layers.Activation("sigmoid", name=f"{name}.sigmoid")(atten)
    return b.k.layers.Multiply(name=f"{name}.mul")([feat, atten])


def feature_fusion(b: Blocks, fsp, fcp, name: str = "ffm", filters: int = FFM_CHANNELS):
    """FFM: concat → 1×1 ConvBNReLU → SE-style gate (no BN); output feat·atten + feat."""
    layers = b.k.layers
    x = layers.Concatenate(name=f"{name}.concat")([fsp, fcp])
    feat = b.conv_bn_relu(x, f"{name}.convblk", filters, kernel=1, sync=True)
    atten = b.global_pool(feat, f"{name}.gap")
    atten = b.conv(atten, f"{name}.conv1", filters // 4, kernel=1)
    atten = layers.ReLU(name=f"{name}.relu")(atten)
    atten = b.conv(atten, f"{name}.conv2", filters, kernel=1)
    atten = layers.Activation("sigmoid", name=f"{name}.sigmoid")(atten)
    gated = layers.Multiply(name=f"{name}.mul")([feat, atten])
    return layers.Add(name=f"{name}.add")([gated, feat])


def output_head(b: Blocks, x, name: str, mid: int, num_classes: int):
    """BiSeNetOutput: 3×3 ConvBNReLU → 1×1 conv to ``num_classes`` (no bias). float32 logits."""
    x = b.conv_bn_relu(x, f"{name}.conv", mid, kernel=3, sync=True)
    return b.conv(x, f"{name}.conv_out", num_classes, kernel=1, dtype="float32")


def context_path(b: Blocks, feat8, feat16, feat32):
    """Global context + ARMs, fused top-down with legacy-nearest upsampling.

    The reference upsamples the 1x1 global context to the stride-32 size with nearest before the
    sum; every output pixel is the one input pixel, so the sum broadcasts it instead (an ADD with
    broadcasting that XNNPACK runs; no RESIZE_NEAREST_NEIGHBOR, same values).

    Returns (feat_cp8, feat_cp16): the ``conv_head16`` (stride 8) and ``conv_head32``
    (stride 16) outputs. The sum comes before each upsample, the 3×3 conv after it.
    """
    layers = b.k.layers
    resize = custom_layers(b.k).ResizeLike
    avg = b.global_pool(feat32, "cp.gap")
    avg = b.conv_bn_relu(avg, "conv_avg", CONTEXT_CHANNELS, kernel=1, sync=True)

    feat32_sum = layers.Add(name="arm32.add")(
        [attention_refinement(b, feat32, "arm32", CONTEXT_CHANNELS), avg])
    feat32_up = resize("nearest", name="conv_head32.up")([feat32_sum, feat16])
    feat_cp16 = b.conv_bn_relu(feat32_up, "conv_head32", CONTEXT_CHANNELS, kernel=3, sync=True)

    feat16_sum = layers.Add(name="arm16.add")(
        [attention_refinement(b, feat16, "arm16", CONTEXT_CHANNELS), feat_cp16])
    feat16_up = resize("nearest", name="conv_head16.up")([feat16_sum, feat8])
    feat_cp8 = b.conv_bn_relu(feat16_up, "conv_head16", CONTEXT_CHANNELS, kernel=3, sync=True)
    return feat_cp8, feat_cp16


def build_stdc_seg(backbone: str = "stdc1", num_classes: int = 19,
                   input_shape: Sequence = (None, None, 3), detail_strides: Sequence[int] = (8,),
                   sync_bn: bool = False, k: Any = None, name: str | None = None):
    """The STDC-Seg training graph (see the module docstring for its outputs).

    ``detail_strides`` picks the detail heads (the reference's ``use_boundary_{s}``); the released
    models use stride 8 only. ``k`` is the Keras module (``keras`` or ``tf_keras``).
    """
    if k is None:
        import keras as k
    bad = sorted(set(detail_strides) - set(DETAIL_STRIDES))
    if bad:
        raise ValueError(f"unknown detail stride(s) {bad}; valid: {list(DETAIL_STRIDES)}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    inputs = k.Input(tuple(input_shape), name="image")
    feat2, feat4, feat8, feat16, feat32 = stdc_backbone(k, inputs, backbone)
    b = head_blocks(k, sync_bn)
    feat_cp8, feat_cp16 = context_path(b, feat8, feat16, feat32)
    ffm = feature_fusion(b, feat8, feat_cp8)

    resize = custom_layers(k).ResizeLike
    heads = zip(SEG_OUTPUT_KEYS, ((ffm, "conv_out", 256), (feat_cp8, "conv_out16", 64),
                                  (feat_cp16, "conv_out32", 64)))
    outputs = {}
    for key, (x, head, mid) in heads:
        logits = output_head(b, x, head, mid, num_classes)
        outputs[key] = resize("bilinear", dtype="float32", name=f"{key}.up")([logits, inputs])
    stage = {2: feat2, 4: feat4, 8: feat8, 16: feat16}
    for s in sorted(set(detail_strides)):
        outputs[detail_key(s)] = output_head(b, stage[s], f"conv_out_sp{s}", 64, 1)
    return k.Model(inputs, outputs, name=name or f"{backbone}_seg")


def num_classes(model) -> int | None:
    """The class count of a segmentation model (its main output's channels), read one way;
    ``None`` for a model whose output has no class axis (a class map already)."""
    shape = inference_model(model).outputs[0].shape
    return int(shape[-1]) if len(shape) == 4 and shape[-1] is not None else None


def fixed_input_model(model, input_size: tuple[int, int]):
    """``model``'s inference graph on a ``[1, H, W, 3]`` input, so that a check or the evaluator
    feeds the Keras model exactly the size an exported file takes."""
    net = inference_model(model)
    k = keras_module_of(net)
    image = k.Input((*input_size, 3), batch_size=1, name="image")
    return k.Model(image, net(image), name=net.name)


def inference_model(model, output: str = MAIN_OUTPUT):
    """The inference graph of a training graph: same layers, only ``output`` computed.

    A model with a single output already is one and is returned as it is.
    """
    if not isinstance(model.output, dict):
        return model
    k = keras_module_of(model)
    return k.Model(model.input, model.output[output], name=f"{model.name}_inference")
