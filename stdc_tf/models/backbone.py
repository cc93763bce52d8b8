"""STDC backbones (STDCNet813 = STDC1, STDCNet1446 = STDC2) and their ImageNet classifier.

Follows the reference code, not the paper's figure, where they differ: in a stride-2 STDC module
the stride sits in an extra depthwise 3×3 conv + BN (``avd_layer``) between block 1 and block 2,
and the skip path is a 3×3/s2 average pool that counts padding. The classifier squares the
``conv_last`` output before global pooling and never calls its BatchNorm1d.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stdc_tf.models.blocks import Blocks


@dataclass(frozen=True)
class BackboneSpec:
    name: str            # the reference's class name
    layers: tuple        # STDC modules per stage (strides 8, 16, 32)
    base: int = 64
    block_num: int = 4


BACKBONES = {
    "stdc1": BackboneSpec("STDCNet813", (2, 2, 2)),
    "stdc2": BackboneSpec("STDCNet1446", (4, 5, 3)),
}

STAGE_NAMES = ("feat2", "feat4", "feat8", "feat16", "feat32")


def backbone_spec(variant: str) -> BackboneSpec:
    if variant not in BACKBONES:
        raise ValueError(f"unknown backbone {variant!r}; valid: {', '.join(BACKBONES)}")
    return BACKBONES[variant]


def backbone_blocks(k: Any) -> Blocks:
    """Backbone convs: kaiming-normal, fan_out (the reference's ``init_params``)."""
    return Blocks(k, kernel_init=lambda: k.initializers.VarianceScaling(
        2.0, "fan_out", "untruncated_normal"))


def branch_channels(out_channels: int, block_num: int) -> list[int]:
    """Output channels of the branch convs of one STDC module (they concatenate to ``out``)."""
    chans = []
    for i in range(block_num):
        if i == 0:
            chans.append(out_channels // 2)
        elif i == 1 and block_num == 2:
            chans.append(out_channels // 2)
        elif i == 1:
            chans.append(out_channels // 4)
        elif i < block_num - 1:
            chans.append(out_channels // 2 ** (i + 1))
        else:
            chans.append(out_channels // 2 ** i)
    return chans


def stdc_module(b: Blocks, x, name: str, out_channels: int, stride: int, block_num: int = 4):
    """The reference ``CatBottleneck``: a chain of convs whose outputs are concatenated."""
    chans = branch_channels(out_channels, block_num)
    out0 = b.conv_bn_relu(x, f"{name}.conv_list.0", chans[0], kernel=1)
    y = out0
    if stride == 2:
        y = b.depthwise_bn(out0, f"{name}.avd_layer")
        out0 = b.avg_pool_s2(out0, f"{name}.skip")
    outs = [out0]
    for i in range(1, block_num):
        y = b.conv_bn_relu(y, f"{name}.conv_list.{i}", chans[i], kernel=3)
        outs.append(y)
    return b.k.layers.Concatenate(name=f"{name}.concat")(outs)


def stdc_backbone(k: Any, inputs, variant: str) -> list:
    """Apply the backbone to ``inputs``; return the five stages (strides 2, 4, 8, 16, 32).

    Layers are named ``features.N…`` after the reference's ``features`` Sequential.
    """
    spec = backbone_spec(variant)
    b = backbone_blocks(k)
    x = b.conv_bn_relu(inputs, "features.0", spec.base // 2, kernel=3, stride=2)
    feat2 = x
    x = b.conv_bn_relu(x, "features.1", spec.base, kernel=3, stride=2)
    feats = [feat2, x]
    idx = 2
    for stage, n_blocks in enumerate(spec.layers):
        out_channels = spec.base * 4 * 2 ** stage
        for j in range(n_blocks):
            x = stdc_module(b, x, f"features.{idx}", out_channels, stride=2 if j == 0 else 1,
                            block_num=spec.block_num)
            idx += 1
        feats.append(x)
    return feats


def stage_layer_names(variant: str) -> list[str]:
    """Names of the layers whose outputs are the five stages (strides 2 … 32)."""
    spec = backbone_spec(variant)
    last_block = [1 + sum(spec.layers[:i + 1]) for i in range(len(spec.layers))]
    return ["features.0.relu", "features.1.relu"] + [f"features.{n}.concat" for n in last_block]


def build_backbone(variant: str = "stdc1", input_shape=(None, None, 3), k: Any = None):
    """A model whose outputs are the five backbone stages, keyed ``feat2`` … ``feat32``."""
    k = k or _keras()
    inputs = k.Input(input_shape, name="image")
    feats = stdc_backbone(k, inputs, variant)
    return k.Model(inputs, dict(zip(STAGE_NAMES, feats)), name=f"{variant}_backbone")


def build_classifier(variant: str = "stdc1", num_classes: int = 1000, input_shape=(224, 224, 3),
                     dropout: float = 0.2, k: Any = None):
    """The ImageNet classifier of the reference (``forward_impl``); outputs logits.

    The checkpoint's BatchNorm1d (``bn.*``) is never called by the reference and is not built.
    """
    k = k or _keras()
    b = backbone_blocks(k)
    inputs = k.Input(input_shape, name="image")
    feats = stdc_backbone(k, inputs, variant)
    last = max(1024, backbone_spec(variant).base * 16)
    x = b.conv_bn_relu(feats[-1], "conv_last", last, kernel=1)
    x = k.layers.Multiply(name="square")([x, x])
    x = k.layers.GlobalAveragePooling2D(name="gap")(x)
    def dense_init():
        return k.initializers.RandomNormal(stddev=0.001)

    x = k.layers.Dense(last, use_bias=False, kernel_initializer=dense_init(), name="fc")(x)
    x = k.layers.ReLU(name="fc_relu")(x)
    x = k.layers.Dropout(dropout, name="dropout")(x)
    logits = k.layers.Dense(num_classes, use_bias=False, kernel_initializer=dense_init(),
                            dtype="float32", name="linear")(x)
    return k.Model(inputs, logits, name=f"{variant}_classifier")


def _keras():
    import keras
    return keras
