"""Training configuration: one dataclass, YAML files in ``configs/``, command-line overrides.

Every field is a command-line option (``--batch-size 8``) whose help text is the field's
``help`` metadata, so ``--help`` documents every option. Precedence: defaults < YAML < flags.
"""
from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stdc_tf.data.pipeline import REFERENCE_SCALES

OPTIMIZERS = ("sgd", "adam")


def _opt(default: Any, help: str, **kw) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig:
    # model
    preset: str = _opt("stdc1_seg50", "model preset (stdc1_seg50, stdc2_seg50, stdc1_seg75, stdc2_seg75)")
    num_classes: int | None = _opt(None, "number of classes (default: the dataset's)")
    detail_strides: list[int] = _opt([8], "detail heads trained with the detail loss (of 2 4 8 16)")
    pretrained_backbone: str | None = _opt(
        None, "reference ImageNet checkpoint (.tar/.pth/.npz) to initialise the backbone from")
    # data
    dataset: str = _opt("synthetic", "dataset kind: cityscapes, camvid, folder, synthetic")
    data_root: str = _opt("data/synthetic", "dataset root folder (official layout)")
    train_split: str = _opt("train", "split to train on (cityscapes: train or trainval)")
    val_split: str = _opt("val", "split to validate on")
    synthetic_size: list[int] = _opt([128, 256], "synthetic dataset image size H W")
    synthetic_counts: list[int] = _opt([240, 60], "synthetic dataset train/val image counts")
    crop_size: list[int] = _opt([512, 1024], "training crop H W")
    base_size: list[int] | None = _opt(None, "size H W the scales are relative to (default: each image's own)")
    scales: list[float] = _opt(list(REFERENCE_SCALES), "random-scale list (one chosen per image)")
    skip_bad_samples: bool = _opt(False, "log and skip corrupt images instead of stopping")
    # optimisation (the reference recipe)
    batch_size: int = _opt(16, "global batch size, split over all replicas")
    iterations: int = _opt(60000, "training iterations")
    optimizer: str = _opt("sgd", "sgd (the reference's, with momentum) or adam (quick runs from scratch)")
    lr: float = _opt(0.01, "base learning rate")
    momentum: float = _opt(0.9, "SGD momentum")
    weight_decay: float = _opt(5e-4, "coupled L2 weight decay on conv/dense kernels")
    warmup_iters: int = _opt(1000, "geometric warmup iterations")
    warmup_start_lr: float = _opt(1e-5, "learning rate at iteration 0 of the warmup")
    poly_power: float = _opt(0.9, "poly decay power after the warmup")
    head_lr_mult: float = _opt(10.0, "learning-rate multiplier of the FFM and output heads")
    freeze_backbone_bn_affine: bool = _opt(
        False, "keep backbone BN gamma/beta fixed (the reference does, after ImageNet init)")
    sync_bn: bool | None = _opt(None, "synchronize head BNs across replicas (default: when >1 replica)")
    mixed_precision: str | None = _opt(None, "mixed_float16 or mixed_bfloat16 (default: float32)")
    # distribution
    strategy: str = _opt("auto", "auto, one_device, mirrored, multi_worker or tpu")
    cpu_replicas: int = _opt(1, "split the CPU into N logical devices and mirror over them")
    # validation, checkpoints, logs
    eval_every: int = _opt(1000, "validate every N iterations (0: only at the end)")
    eval_scales: list[float] = _opt([0.5, 0.75], "evaluation scales; the best model is kept per scale")
    eval_limit: int | None = _opt(None, "validate on the first N val images only")
    checkpoint_every: int = _opt(1000, "checkpoint every N iterations")
    keep_checkpoints: int = _opt(3, "checkpoints kept")
    log_every: int = _opt(20, "TensorBoard scalars every N iterations")
    output_dir: str = _opt("runs/stdc", "checkpoints, TensorBoard logs and exported models")
    seed: int = _opt(0, "seed of the data order, augmentation and initialisation")

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown --optimizer {self.optimizer!r}; valid: {', '.join(OPTIMIZERS)}")
        if self.optimizer == "adam" and self.head_lr_mult != 1:
            raise ValueError("--head-lr-mult needs --optimizer sgd: it scales the heads' gradients, "
                             "which Adam normalizes away; set it to 1 with adam")
        for name in ("crop_size", "synthetic_size", "base_size"):
            value = getattr(self, name)
            if value is not None and len(value) != 2:
                raise ValueError(f"--{name.replace('_', '-')} takes two numbers H W, got {value}")


def _arg_type(f: dataclasses.Field) -> tuple[Any, Any]:
    """(element type, nargs) of a field for argparse."""
    kind = str(f.type)
    elem = float if "float" in kind else int if "int" in kind else str
    return elem, ("+" if "list" in kind else None)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML file of options (e.g. configs/quickstart.yaml)")
    for f in dataclasses.fields(TrainConfig):
        flag = f"--{f.name.replace('_', '-')}"
        if "bool" in str(f.type) and "None" not in str(f.type):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                help=f.metadata["help"])
            continue
        elem, nargs = _arg_type(f)
        if "bool" in str(f.type):
            elem = lambda s: s.lower() in ("1", "true", "yes")  # noqa: E731
        parser.add_argument(flag, type=elem, nargs=nargs, default=None,
                            help=f"{f.metadata['help']} (default: {_show(f)})")


def _show(f: dataclasses.Field) -> str:
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return " ".join(map(str, default)) if isinstance(default, list) else str(default)


def load_config(args: argparse.Namespace | None = None, path: str | Path | None = None,
                **overrides: Any) -> TrainConfig:
    """Defaults, then the YAML file, then command-line values that were given, then overrides."""
    values: dict[str, Any] = {}
    path = path or (args.config if args is not None else None)
    if path:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: expected a mapping of options")
        values.update(loaded)
    if args is not None:
        values.update({k: v for k, v in vars(args).items() if v is not None and k != "config"})
    values.update(overrides)
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} in {path or 'arguments'}")
    return TrainConfig(**values)
