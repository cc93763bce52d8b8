"""Conv/BN/ReLU building blocks shared by the backbone and the segmentation heads.

Every layer is named after the reference implementation's module path (``features.2.conv_list.0``,
``arm16.conv``, ``conv_out.conv_out``…), which is what :mod:`stdc_tf.weights` maps checkpoint keys
onto. Conventions of the reference: convs have no bias, BatchNorm uses eps 1e-5 and PyTorch momentum
0.1 (Keras 0.9), 3×3 stride-2 ops pad 1 pixel on every side (TF ``same`` would pad asymmetrically).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BN_EPSILON = 1e-5
BN_MOMENTUM = 0.9


@dataclass(frozen=True)
class Blocks:
    """Layer factory bound to one Keras module (``keras`` or ``tf_keras``).

    ``sync_bn`` makes the BatchNorms built with ``sync=True`` cross-replica synchronized (the
    reference syncs the head BNs only). ``kernel_init`` makes the conv initializer of this part
    of the network (the backbone and the heads use different ones in the reference); it is a
    factory because ``tf_keras`` repeats the same values when one unseeded instance is reused.
    """

    k: Any
    kernel_init: Callable[[], Any]
    sync_bn: bool = False

    def conv(self, x, name: str, filters: int, kernel: int = 1, stride: int = 1, **kwargs):
        """A bias-free convolution with PyTorch's symmetric ``kernel // 2`` padding."""
        layers = self.k.layers
        padding = "same"
        if stride > 1 and kernel > 1:
            x = layers.ZeroPadding2D(kernel // 2, name=f"{name}.pad")(x)
            padding = "valid"
        return layers.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False,
                             kernel_initializer=self.kernel_init(), name=name, **kwargs)(x)

    def bn(self, x, name: str, sync: bool = False):
        kwargs = {"synchronized": True} if (sync and self.sync_bn) else {}
        return self.k.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM,
                                                name=name, **kwargs)(x)

    def conv_bn_relu(self, x, name: str, filters: int, kernel: int = 3, stride: int = 1,
                     sync: bool = False):
        """Reference ``ConvX`` / ``ConvBNReLU``: ``{name}.conv`` → ``{name}.bn`` → ReLU."""
        x = self.conv(x, f"{name}.conv", filters, kernel, stride)
        x = self.bn(x, f"{name}.bn", sync=sync)
        return self.k.layers.ReLU(name=f"{name}.relu")(x)

    def depthwise_bn(self, x, name: str):
        """The stride-2 ``avd_layer``: depthwise 3×3/s2 conv + BN, no activation."""
        layers = self.k.layers
        x = layers.ZeroPadding2D(1, name=f"{name}.pad")(x)
        x = layers.DepthwiseConv2D(3, strides=2, padding="valid", use_bias=False,
                                   depthwise_initializer=self.kernel_init(), name=f"{name}.0")(x)
        return self.bn(x, f"{name}.1")

    def avg_pool_s2(self, x, name: str):
        """AvgPool2d(3, 2, 1) with ``count_include_pad=True``: zero-pad, then a valid 3x3/s2 mean,
        as a fixed depthwise conv (:class:`~stdc_tf.models.layers.AveragePool3x3`: XNNPACK takes
        it in int8, where an int8 AVERAGE_POOL_2D would leave its partition)."""
        from stdc_tf.models.layers import custom_layers

        x = self.k.layers.ZeroPadding2D(1, name=f"{name}.pad")(x)
        return custom_layers(self.k).AveragePool3x3(name=name)(x)

    def global_pool(self, x, name: str):
        return self.k.layers.GlobalAveragePooling2D(keepdims=True, name=name)(x)
