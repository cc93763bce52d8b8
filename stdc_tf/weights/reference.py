"""Import the reference implementation's (MichaelFan01/STDC-Seg) PyTorch checkpoints.

Accepted sources: a mapping of names to numpy arrays (no torch needed), an ``.npz`` file, or a
``.pth`` / ``.tar`` file written by ``torch.save`` (reading those needs PyTorch, an optional
dependency). Real checkpoints carry extras that are normalized away first:

* a ``state_dict`` (or ``model``) wrapper and a ``module.`` prefix (DataParallel/DDP);
* ``num_batches_tracked`` entries;
* the ``x2 … x32`` Sequential aliases of ``features.N`` (same tensors under a second name);
* the ``cp.`` / ``cp.backbone.`` prefixes of segmentation checkpoints.

Keys are then matched to Keras layers, which are named after the reference's module paths.
Known-unused reference tensors are skipped and reported, not errors: the classifier head
(``conv_last``, ``fc``, ``bn``, ``linear``) inside a segmentation checkpoint, the classifier's
BatchNorm1d (never called by the reference), and detail heads the model was built without.
Everything else is strict: missing or unexpected keys are listed; a shape mismatch names the key
and both shapes.

Head BatchNorms of the segmentation network are InPlaceABN layers in the reference, whose
effective scale is ``|weight| + 1e-5``: that is what becomes Keras ``gamma``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.errors import StdcError, first_line, shown
from stdc_tf.models.backbone import BACKBONES
from stdc_tf.models.structure import (
    HEAD_BN_PARTS,
    describe_model,
    inner_layer,
    is_batch_norm,
    layer_kind,
    layer_part,
    part_of,
    reference_name,
)

ABN_EPSILON = 1e-5
TORCH_HINT = ("reading .pth/.tar checkpoints needs PyTorch; install the CPU build with "
              "`pip install torch --index-url https://download.pytorch.org/whl/cpu`, or pass an "
              ".npz / a dict of numpy arrays")
CLASSIFIER_BN1D = "bn."   # the classifier's BatchNorm1d: in the checkpoint, never called
_ALIAS = re.compile(r"^x(2|4|8|16|32)\.0\.(\d+)\.")
_BN_PARAMS = {"weight": 0, "bias": 1, "running_mean": 2, "running_var": 3}


class CheckpointError(StdcError, ValueError):
    """A checkpoint that does not fit the model; the message lists what is wrong."""


@dataclass
class ImportReport:
    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # known-unused reference tensors
    part: str = "full"                                 # "full" or "backbone"

    def __str__(self) -> str:
        return (f"imported {len(self.loaded)} tensors ({self.part} checkpoint); "
                f"skipped {len(self.skipped)} unused reference tensors")


def read_checkpoint(source: str | Path | Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Load a checkpoint into a flat name → float32 numpy mapping (wrappers not yet removed)."""
    if isinstance(source, Mapping):
        return {str(k): np.asarray(v) for k, v in _unwrap(source).items()}
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes): not a checkpoint")
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except Exception as exc:  # numpy raises several types for damaged archives
            raise CheckpointError(f"{path}: not a readable .npz archive ({first_line(exc, 150)})") from None
    try:
        import torch
    except ImportError:
        raise ImportError(TORCH_HINT) from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for non-checkpoint files
        # Never suggest weights_only=False: that would run whatever code the file pickles.
        pickled = "weights_only" in str(exc) or "Unsupported global" in str(exc)
        raise CheckpointError(
            f"{path}: not a plain tensor checkpoint (a torch.save of a state_dict); "
            + ("it holds pickled Python objects, and pickled code is refused" if pickled else
               f"unreadable: {type(exc).__name__}")) from None
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{path}: expected a state_dict mapping, found {type(obj).__name__}")
    return {str(k): v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
            for k, v in _unwrap(obj).items() if hasattr(v, "shape")}


def _unwrap(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in ("state_dict", "model"):
        if key in obj and isinstance(obj[key], Mapping):
            return obj[key]
    return obj


def normalize_keys(state: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical reference names: no wrapper prefixes, no aliases, no ``num_batches_tracked``."""
    out: dict[str, np.ndarray] = {}
    aliases: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            continue
        key = key.removeprefix("module.").removeprefix("cp.").removeprefix("backbone.")
        alias = _ALIAS.match(key)
        if alias:
            aliases[_ALIAS.sub(rf"features.{alias.group(2)}.", key)] = value
        else:
            out[key] = value
    for key, value in aliases.items():
        out.setdefault(key, value)
    return out


def _layer_and_param(key: str) -> tuple[str, str]:
    layer, _, param = key.rpartition(".")
    return layer, param


def _to_keras(layer: Any, param: str, value: np.ndarray) -> tuple[int, np.ndarray]:
    """Index into ``layer.get_weights()`` and the value converted to Keras layout."""
    kind = layer_kind(layer)
    if is_batch_norm(layer):
        if param not in _BN_PARAMS:
            raise KeyError(param)
        if param == "weight" and layer_part(layer) in HEAD_BN_PARTS:
            value = np.abs(value) + ABN_EPSILON
        return _BN_PARAMS[param], value
    if param != "weight":
        raise KeyError(param)
    if kind == "DepthwiseConv2D":          # [C, 1, kh, kw] → (kh, kw, C, 1)
        return 0, value.transpose(2, 3, 0, 1)
    if kind == "Conv2D":                   # [O, I, kh, kw] → (kh, kw, I, O)
        return 0, value.transpose(2, 3, 1, 0)
    if kind == "Dense":                    # [out, in] → (in, out)
        return 0, value.T
    raise KeyError(param)


def _param_layers(model: Any) -> dict[str, Any]:
    """Reference module path → the (unwrapped) layer holding its weights."""
    return {reference_name(layer): inner_layer(layer) for layer in model.layers
            if inner_layer(layer).weights and reference_name(layer)}


def _key_part(key: str) -> str | None:
    return "classifier" if key.startswith(CLASSIFIER_BN1D) else part_of(_layer_and_param(key)[0])


def _known_unused(key: str, task_is_seg: bool) -> bool:
    """Classifier tensors in a segmentation checkpoint, the never-called BatchNorm1d, and detail
    heads the model was built without."""
    if key.startswith(CLASSIFIER_BN1D):
        return True
    return task_is_seg and _key_part(key) in ("classifier", "detail_head")


def _likely_cause(state: Mapping[str, Any], model: Any, mismatched: list[str]) -> str:
    """A guess at why a checkpoint does not fit, from what it holds (backbone depth, classes)."""
    structure = describe_model(model)
    modules = 1 + max((int(k.split(".")[1]) for k in state if k.startswith("features.")), default=-1)
    theirs = next((name for name, spec in BACKBONES.items() if modules == 2 + sum(spec.layers)), None)
    if theirs and theirs != structure.backbone:
        return f" (likely cause: the checkpoint is {theirs.upper()}, the model {structure.backbone.upper()})"
    head = state.get("conv_out.conv_out.weight")
    if head is not None and structure.task == "seg" and head.shape[0] != structure.num_classes:
        return (f" (likely cause: the checkpoint has {head.shape[0]} classes, the model "
                f"{structure.num_classes}: set --num-classes {head.shape[0]})")
    return ""


def load_reference_weights(model: Any, source: str | Path | Mapping[str, Any],
                           part: str = "auto", strict: bool = True) -> ImportReport:
    """Copy a reference checkpoint into ``model`` (built by :mod:`stdc_tf.models`).

    ``part``: ``"full"`` (every model weight must come from the checkpoint), ``"backbone"``
    (an ImageNet backbone checkpoint into a classifier or a segmentation model: only
    ``features.*`` layers must be covered) or ``"auto"`` (backbone when the checkpoint has no
    segmentation-head keys). ``strict=False`` only reports missing/unexpected keys.
    """
    state = normalize_keys(read_checkpoint(source))
    layers = _param_layers(model)
    is_seg = describe_model(model).task == "seg"
    has_head = any(_key_part(k) not in ("backbone", "classifier") for k in state)
    if part == "auto":
        part = "full" if (has_head or not is_seg) else "backbone"
    if part not in ("full", "backbone"):
        raise ValueError(f"unknown part {part!r}; valid: auto, full, backbone")

    report = ImportReport(part=part)
    pending: dict[str, list] = {name: layer.get_weights() for name, layer in layers.items()}
    assigned: set[tuple[str, int]] = set()
    unexpected, mismatched = [], []
    for key, value in state.items():
        layer_name, param = _layer_and_param(key)
        layer = layers.get(layer_name)
        if layer is None:
            (report.skipped if _known_unused(key, is_seg) else unexpected).append(key)
            continue
        try:
            index, converted = _to_keras(layer, param, np.asarray(value, dtype=np.float32))
        except KeyError:
            unexpected.append(key)
            continue
        target = pending[layer_name][index]
        if converted.shape != target.shape:
            mismatched.append(f"{key}: checkpoint {tuple(value.shape)} (Keras layout "
                              f"{converted.shape}) vs model {target.shape}")
            continue
        pending[layer_name][index] = converted
        assigned.add((layer_name, index))
        report.loaded.append(key)

    required = [name for name in layers if part == "full" or part_of(name) == "backbone"]
    missing = [f"{name}[{i}]" for name in required
               for i in range(len(pending[name])) if (name, i) not in assigned]
    problems = []
    if mismatched:
        problems.append(f"{len(mismatched)} shape mismatch(es): {shown(mismatched, 3)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s): {shown(unexpected, 3)}")
    if missing:
        problems.append(f"{len(missing)} model weight(s) missing from the checkpoint: "
                        f"{shown(missing, 3)}")
    if mismatched or (strict and problems):
        raise CheckpointError("; ".join(problems) + _likely_cause(state, model, mismatched))
    for name, values in pending.items():
        if any((name, i) in assigned for i in range(len(values))):
            layers[name].set_weights(values)
    return report
