"""An independent PyTorch model of the reference STDC networks (MichaelFan01/STDC-Seg).

Written from the behaviour described in the project's reference notes (not from the reference's
source) so that our Keras port can be checked against PyTorch semantics on configurations the
shipped golden data does not cover: STDCNet1446 (STDC2), sizes whose context-path nearest resizes
are not exact 2x ratios, other class counts and detail-head sets. It is itself validated against
the golden outputs in ``tests/data`` (see ``test_parity_torch.py``).

What it reproduces (eval-mode forward):

* ``STDCNet`` (``STDCNet813`` = STDC1, layers [2, 2, 2]; ``STDCNet1446`` = STDC2, [4, 5, 3]):
  ``features`` = two stride-2 3x3 ConvX, then CatBottleneck modules. A stride-2 module runs its
  1x1 conv at full resolution, downsamples the main branch with a depthwise 3x3/s2 conv + BN (no
  ReLU, ``avd_layer``) before the first 3x3 ConvX (built with stride 1), and the skip branch with
  ``AvgPool2d(3, 2, 1)`` (count_include_pad=True). ``x2 … x32`` are extra Sequentials around the
  same modules (aliased state_dict keys, as in real checkpoints; ``aliases=False`` drops them).
  ``forward`` returns the five stages; ``forward_impl`` is the ImageNet classifier:
  conv_last → square → GAP → fc → ReLU → dropout → linear (the BatchNorm1d ``bn`` is unused).
* ``BiSeNet`` (STDC-Seg): context path with ARMs, a global-context branch and legacy
  ``F.interpolate(mode="nearest")`` to each target size, FFM, BiSeNetOutput heads, the three
  segmentation outputs resized to the input size with bilinear ``align_corners=True``, detail
  heads sp2/sp4/sp8/sp16 (all computed; returned per the ``use_boundary_*`` flags).
* Head BatchNorms are InPlaceABN(activation="none") stand-ins: the scale used is
  ``|weight| + 1e-5`` and there is no ``num_batches_tracked``.
"""
from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import nn

BACKBONE_LAYERS = {"STDCNet813": (2, 2, 2), "STDCNet1446": (4, 5, 3)}
VARIANTS = {"stdc1": "STDCNet813", "stdc2": "STDCNet1446"}
ABN_EPS = 1e-5
_ALIAS = re.compile(r"(^|\.)x(2|4|8|16|32)\.0\.")


# --------------------------------------------------------------------------------------------
# Backbone
# --------------------------------------------------------------------------------------------
class ConvX(nn.Module):
    """conv (bias-free, symmetric padding k//2) → BatchNorm2d → ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


def _branch_widths(out_planes: int, block_num: int) -> list[int]:
    widths = []
    for i in range(block_num):
        if i == 0 or (i == 1 and block_num == 2):
            widths.append(out_planes // 2)
        elif i == 1:
            widths.append(out_planes // 4)
        elif i < block_num - 1:
            widths.append(out_planes // 2 ** (i + 1))
        else:
            widths.append(out_planes // 2 ** i)
    return widths


class CatBottleneck(nn.Module):
    """The STDC module: chained convs whose outputs are concatenated (no residual)."""

    def __init__(self, in_planes: int, out_planes: int, block_num: int = 4, stride: int = 1):
        super().__init__()
        widths = _branch_widths(out_planes, block_num)
        self.stride = stride
        self.conv_list = nn.ModuleList()       # registered first: conv_list keys precede avd_layer
        if stride == 2:
            half = widths[0]
            self.avd_layer = nn.Sequential(
                nn.Conv2d(half, half, 3, 2, 1, groups=half, bias=False),
                nn.BatchNorm2d(half),
            )
            self.skip = nn.AvgPool2d(3, 2, 1)  # count_include_pad=True, ceil_mode=False
        cin = in_planes
        for i, w in enumerate(widths):
            self.conv_list.append(ConvX(cin, w, 1 if i == 0 else 3, 1))
            cin = w

    def forward(self, x):
        first = self.conv_list[0](x)
        branch = self.avd_layer(first) if self.stride == 2 else first
        outs = [self.skip(first) if self.stride == 2 else first]
        for conv in self.conv_list[1:]:
            branch = conv(branch)
            outs.append(branch)
        return torch.cat(outs, dim=1)


class STDCNet(nn.Module):
    """STDCNet813 / STDCNet1446 with its (ImageNet) classification head."""

    def __init__(self, name: str = "STDCNet813", num_classes: int = 1000, base: int = 64,
                 block_num: int = 4, dropout: float = 0.2, aliases: bool = True):
        super().__init__()
        layers = BACKBONE_LAYERS[name]
        mods = [ConvX(3, base // 2, 3, 2), ConvX(base // 2, base, 3, 2)]
        cin = base
        for stage, n in enumerate(layers):
            cout = base * 4 * 2 ** stage
            for j in range(n):
                mods.append(CatBottleneck(cin if j == 0 else cout, cout, block_num,
                                          2 if j == 0 else 1))
            cin = cout
        self.features = nn.Sequential(*mods)
        # stage boundaries in `features` (indices of the last module of each stage, exclusive)
        e8 = 2 + layers[0]
        e16 = e8 + layers[1]
        self._bounds = [(0, 1), (1, 2), (2, e8), (e8, e16), (e16, len(mods))]
        self.aliases = aliases
        if aliases:   # Sequential slicing keeps the original child indices: x8.0.2, x8.0.3, …
            self.x2 = nn.Sequential(self.features[0:1])
            self.x4 = nn.Sequential(self.features[1:2])
            self.x8 = nn.Sequential(self.features[2:e8])
            self.x16 = nn.Sequential(self.features[e8:e16])
            self.x32 = nn.Sequential(self.features[e16:])
        width = max(1024, base * 16)
        self.conv_last = ConvX(base * 16, width, 1, 1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, width, bias=False)
        self.bn = nn.BatchNorm1d(width)       # saved in checkpoints, never called
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(p=dropout)
        self.linear = nn.Linear(width, num_classes, bias=False)

    def forward(self, x):
        """The five stages (strides 2, 4, 8, 16, 32)."""
        stages = []
        for lo, hi in self._bounds:
            for i in range(lo, hi):
                x = self.features[i](x)
            stages.append(x)
        return tuple(stages)

    def forward_impl(self, x):
        """ImageNet classification logits."""
        out = self.conv_last(self.features(x)).pow(2)
        out = self.gap(out).flatten(1)
        out = self.relu(self.fc(out))
        return self.linear(self.dropout(out))


# --------------------------------------------------------------------------------------------
# Segmentation heads
# --------------------------------------------------------------------------------------------
class ABN(nn.BatchNorm2d):
    """InPlaceABN(activation='none') stand-in: scale |weight| + eps, no num_batches_tracked."""

    def __init__(self, channels: int, eps: float = ABN_EPS, momentum: float = 0.1):
        super().__init__(channels, eps=eps, momentum=momentum)
        self.num_batches_tracked = None   # the reference ABN has no such buffer

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var,
                            self.weight.abs() + self.eps, self.bias, self.training,
                            self.momentum, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # skip _NormBase's hook, which would insert a num_batches_tracked entry
        nn.Module._load_from_state_dict(self, state_dict, prefix, *args, **kwargs)


class ConvBNReLU(nn.Module):
    def __init__(self, cin: int, cout: int, ks: int = 3, stride: int = 1, padding: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, ks, stride, padding, bias=False)
        self.bn = ABN(cout)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class BiSeNetOutput(nn.Module):
    def __init__(self, cin: int, mid: int, n_classes: int):
        super().__init__()
        self.conv = ConvBNReLU(cin, mid, 3, 1, 1)
        self.conv_out = nn.Conv2d(mid, n_classes, 1, bias=False)

    def forward(self, x):
        return self.conv_out(self.conv(x))


class AttentionRefinementModule(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = ConvBNReLU(cin, cout, 3, 1, 1)
        self.conv_atten = nn.Conv2d(cout, cout, 1, bias=False)
        self.bn_atten = ABN(cout)
        self.sigmoid_atten = nn.Sigmoid()

    def forward(self, x):
        feat = self.conv(x)
        atten = feat.mean(dim=(2, 3), keepdim=True)
        atten = self.sigmoid_atten(self.bn_atten(self.conv_atten(atten)))
        return feat * atten


class FeatureFusionModule(nn.Module):
    def __init__(self, cin: int = 384, cout: int = 256):
        super().__init__()
        self.convblk = ConvBNReLU(cin, cout, 1, 1, 0)
        self.conv1 = nn.Conv2d(cout, cout // 4, 1, bias=False)
        self.conv2 = nn.Conv2d(cout // 4, cout, 1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.sigmoid = nn.Sigmoid()

    def forward(self, fsp, fcp):
        feat = self.convblk(torch.cat([fsp, fcp], dim=1))
        atten = feat.mean(dim=(2, 3), keepdim=True)
        atten = self.sigmoid(self.conv2(self.relu(self.conv1(atten))))
        return feat * atten + feat


class ContextPath(nn.Module):
    def __init__(self, backbone: str = "STDCNet813", aliases: bool = True):
        super().__init__()
        self.backbone = STDCNet(backbone, aliases=aliases)
        self.arm16 = AttentionRefinementModule(512, 128)
        self.arm32 = AttentionRefinementModule(1024, 128)
        self.conv_head32 = ConvBNReLU(128, 128, 3, 1, 1)
        self.conv_head16 = ConvBNReLU(128, 128, 3, 1, 1)
        self.conv_avg = ConvBNReLU(1024, 128, 1, 1, 0)

    def forward(self, x):
        """(feat2, feat4, feat8, feat16, feat_cp8, feat_cp16), as the reference returns."""
        return self.forward_with_feat32(x)[:6]

    def forward_with_feat32(self, x):
        feat2, feat4, feat8, feat16, feat32 = self.backbone(x)
        size8, size16, size32 = feat8.shape[2:], feat16.shape[2:], feat32.shape[2:]
        avg = self.conv_avg(feat32.mean(dim=(2, 3), keepdim=True))
        avg_up = F.interpolate(avg, size=size32, mode="nearest")
        feat32_sum = self.arm32(feat32) + avg_up
        feat32_up = self.conv_head32(F.interpolate(feat32_sum, size=size16, mode="nearest"))
        feat16_sum = self.arm16(feat16) + feat32_up
        feat16_up = self.conv_head16(F.interpolate(feat16_sum, size=size8, mode="nearest"))
        return feat2, feat4, feat8, feat16, feat16_up, feat32_up, feat32


class BiSeNet(nn.Module):
    """STDC-Seg. ``forward`` returns the reference's tuple; ``forward_all`` a dict of everything."""

    def __init__(self, backbone: str = "STDCNet813", n_classes: int = 19,
                 use_boundary_2: bool = False, use_boundary_4: bool = False,
                 use_boundary_8: bool = False, use_boundary_16: bool = False,
                 aliases: bool = True):
        super().__init__()
        self.use_boundary_2 = use_boundary_2
        self.use_boundary_4 = use_boundary_4
        self.use_boundary_8 = use_boundary_8
        self.use_boundary_16 = use_boundary_16   # no effect, as in the reference
        self.cp = ContextPath(backbone, aliases=aliases)
        self.ffm = FeatureFusionModule(256 + 128, 256)
        self.conv_out = BiSeNetOutput(256, 256, n_classes)
        self.conv_out16 = BiSeNetOutput(128, 64, n_classes)
        self.conv_out32 = BiSeNetOutput(128, 64, n_classes)
        self.conv_out_sp16 = BiSeNetOutput(512, 64, 1)
        self.conv_out_sp8 = BiSeNetOutput(256, 64, 1)
        self.conv_out_sp4 = BiSeNetOutput(64, 64, 1)
        self.conv_out_sp2 = BiSeNetOutput(32, 64, 1)

    def forward_all(self, x) -> dict:
        size = x.shape[2:]
        feat2, feat4, feat8, feat16, cp8, cp16, feat32 = self.cp.forward_with_feat32(x)
        res = {"detail2": self.conv_out_sp2(feat2), "detail4": self.conv_out_sp4(feat4),
               "detail8": self.conv_out_sp8(feat8), "detail16": self.conv_out_sp16(feat16)}
        fuse = self.ffm(feat8, cp8)
        for name, logits in (("out", self.conv_out(fuse)), ("out16", self.conv_out16(cp8)),
                             ("out32", self.conv_out32(cp16))):
            res[name] = F.interpolate(logits, size=size, mode="bilinear", align_corners=True)
        res["context_feat8"], res["context_feat16"] = cp8, cp16
        for s, f in zip((2, 4, 8, 16, 32), (feat2, feat4, feat8, feat16, feat32)):
            res[f"backbone_feat{s}"] = f
        return res

    def returned_details(self) -> list[str]:
        """The detail outputs the reference's forward returns for these flags (None: a bug)."""
        b2, b4, b8 = self.use_boundary_2, self.use_boundary_4, self.use_boundary_8
        if b2 and b4 and b8:
            return ["detail2", "detail4", "detail8"]
        if not b2 and b4 and b8:
            return ["detail4", "detail8"]
        if not b2 and not b4 and b8:
            return ["detail8"]
        if not b2 and not b4 and not b8:
            return []
        return None

    def forward(self, x):
        names = self.returned_details()
        if names is None:
            return None
        res = self.forward_all(x)
        return tuple(res[k] for k in ["out", "out16", "out32", *names])


def stage_arrays(net: STDCNet | BiSeNet, x) -> dict:
    """The five backbone stages of either model, keyed ``backbone_feat2`` … ``backbone_feat32``."""
    backbone = net.cp.backbone if isinstance(net, BiSeNet) else net
    return {f"backbone_feat{s}": f for s, f in zip((2, 4, 8, 16, 32), backbone(x))}


def canonical_keys(model: nn.Module) -> list[tuple[str, list[int]]]:
    """``(key, shape)`` of the state_dict without ``num_batches_tracked`` and ``x2 … x32`` aliases,
    in state_dict order (the parity cases' ``weights`` list format)."""
    out = []
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        if _ALIAS.search(key):
            continue
        out.append((key, list(value.shape)))
    return out


def build_seg(variant: str = "stdc1", num_classes: int = 19, detail_strides=(8,),
              aliases: bool = True) -> BiSeNet:
    flags = {f"use_boundary_{s}": True for s in detail_strides}
    return BiSeNet(VARIANTS.get(variant, variant), num_classes, aliases=aliases, **flags).eval()


def build_classifier(variant: str = "stdc1", num_classes: int = 1000,
                     aliases: bool = True) -> STDCNet:
    return STDCNet(VARIANTS.get(variant, variant), num_classes, aliases=aliases).eval()


def load_numpy(model: nn.Module, weights: dict) -> None:
    """Load a name → numpy mapping (canonical keys; aliases/num_batches_tracked optional).

    Strict except for the alias keys and ``num_batches_tracked``, which may be absent.
    """
    state = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys
               if not k.endswith("num_batches_tracked") and not _ALIAS.search(k)]
    if missing or result.unexpected_keys:
        raise KeyError(f"missing {missing[:10]}, unexpected {result.unexpected_keys[:10]}")


def state_dict_numpy(model: nn.Module) -> dict:
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
