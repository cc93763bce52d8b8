"""Training configuration: one dataclass, YAML files in ``configs/``, command-line overrides.

Every field is a command-line option (``--batch-size 8``) whose help text is the field's
``help`` metadata, so ``--help`` documents every option. Precedence: defaults < YAML < flags.
The whole configuration is checked (types, ranges, names, combinations) when it is made, before
anything is written, generated or imported: a bad value is one :class:`ConfigError` line naming
the option. This module imports neither TensorFlow nor the data pipeline (``--help`` is instant).

Batch size: the reference trains 16 images per GPU on 3 GPUs, and its backbone BNs and OHEM work
per GPU, so the reference configs give ``per_replica_batch: 16`` and the global batch follows
the number of replicas. ``batch_size`` (global, split over the replicas) is for runs that want a
fixed global batch whatever the hardware, such as the quickstart.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stdc_tf.conventions import DATASETS, DETAIL_STRIDES, REFERENCE_SCALES
from stdc_tf.errors import ConfigError

OPTIMIZERS = ("sgd", "adam")
QAT_SCHEMES = ("litert", "tensorrt")   # stdc_tf.quantization.schemes.SCHEMES (not imported: no TF here)
STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")   # training.strategy builds them
MIXED_PRECISION = ("mixed_float16", "mixed_bfloat16")
DETAIL_FUSE = ("constant", "decayed")
REFERENCE_PER_REPLICA_BATCH = 16


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
    detail_fuse: str = _opt("constant", "detail-target fuse kernel: constant [0.6, 0.3, 0.1] or "
                            "decayed (the reference's: shrinks under weight decay at 1x lr)")
    pretrained_backbone: str | None = _opt(
        None, "reference ImageNet checkpoint (.tar/.pth/.npz) to initialise the backbone from")
    init: str | None = _opt(None, "a trained .keras model (same preset and classes) to start from")
    qat: bool = _opt(False, "quantization-aware fine-tuning (tfmot, in tf_keras) of the --init model; "
                     "writes .h5 QAT models for convert/to_tflite.py --precision qat")
    qat_scheme: str = _opt("litert", "with --qat: litert (tfmot's default 8-bit, for phones) or tensorrt "
                           "(symmetric int8, Q/DQ on the inputs of Conv/Add/Concat/Mul, for TensorRT)")
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
    skip_bad_samples: bool = _opt(False, "log and skip corrupt images (training and validation) "
                                  "instead of stopping")
    max_bad_fraction: float = _opt(0.05, "with --skip-bad-samples: stop when more than this "
                                   "fraction of a split's files is unreadable")
    # optimisation (the reference recipe)
    batch_size: int | None = _opt(16, "global batch size, split over all replicas")
    per_replica_batch: int | None = _opt(None, "images per replica; the global batch is this times "
                                         "the replica count (the reference: 16); overrides --batch-size")
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
    log_every: int = _opt(20, "TensorBoard scalars, and a progress line when the output is a log, "
                               "every N iterations")
    output_dir: str = _opt("runs/stdc", "checkpoints, TensorBoard logs and exported models")
    restart: bool = _opt(False, "start from step 0 even if --output-dir holds checkpoints "
                         "(they are deleted); without it a run resumes or refuses")
    seed: int = _opt(0, "seed of the data order, augmentation and initialisation")

    def __post_init__(self):
        validate(self)

    def global_batch(self, replicas: int) -> int:
        """The batch of one step over all replicas (see the module docstring)."""
        if self.per_replica_batch:
            return self.per_replica_batch * replicas
        if self.batch_size % replicas:
            raise ConfigError(f"--batch-size {self.batch_size} is not divisible by the {replicas} "
                              f"replicas; use a multiple, or --per-replica-batch")
        return self.batch_size


def _flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def _elem_type(f: dataclasses.Field) -> type:
    kind = str(f.type)
    return bool if "bool" in kind else float if "float" in kind else int if "int" in kind else str


def _check_types(cfg: TrainConfig) -> None:
    """Each value has its field's type (YAML can hold anything): ints, floats, lists of them."""
    for f in dataclasses.fields(cfg):
        value, kind = getattr(cfg, f.name), str(f.type)
        if value is None:
            if "None" not in kind:
                raise ConfigError(f"{_flag(f.name)} needs a value")
            continue
        elem = _elem_type(f)
        items = value if "list" in kind else [value]
        if "list" in kind and not isinstance(value, list):
            raise ConfigError(f"{_flag(f.name)} takes a list, got {value!r}")
        for item in items:
            ok = (isinstance(item, bool) if elem is bool else
                  isinstance(item, int) and not isinstance(item, bool) if elem is int else
                  isinstance(item, (int, float)) and not isinstance(item, bool) and math.isfinite(item)
                  if elem is float else isinstance(item, str))
            if not ok:
                raise ConfigError(f"{_flag(f.name)} takes {'a list of ' if 'list' in kind else ''}"
                                  f"{elem.__name__} values, got {value!r}")


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value is not None and value not in choices:
        raise ConfigError(f"unknown {_flag(name)} {value!r}; valid: {', '.join(choices)}")


def validate(cfg: TrainConfig) -> None:
    """Every check that needs no file and no TensorFlow; raises one :class:`ConfigError` line."""
    from stdc_tf.models.registry import PRESETS  # TensorFlow-free

    _check_types(cfg)
    if cfg.preset not in PRESETS:
        raise ConfigError(f"unknown --preset {cfg.preset!r}; valid presets: {', '.join(PRESETS)}")
    if PRESETS[cfg.preset].task != "seg":
        raise ConfigError(f"--preset {cfg.preset} is a classifier; train a *_seg50/75 preset")
    for name, choices in (("dataset", DATASETS), ("optimizer", OPTIMIZERS), ("strategy", STRATEGIES),
                          ("mixed_precision", MIXED_PRECISION), ("detail_fuse", DETAIL_FUSE),
                          ("qat_scheme", QAT_SCHEMES)):
        _check_choice(name, getattr(cfg, name), choices)
    bad = sorted(set(cfg.detail_strides) - set(DETAIL_STRIDES))
    if bad:
        raise ConfigError(f"--detail-strides {bad} not available; valid: {list(DETAIL_STRIDES)}")
    for name in ("crop_size", "synthetic_size", "base_size", "synthetic_counts"):
        value = getattr(cfg, name)
        if value is not None and len(value) != 2:
            raise ConfigError(f"{_flag(name)} takes two numbers H W, got {value}")
    positive = ("iterations", "checkpoint_every", "keep_checkpoints", "log_every", "cpu_replicas",
                "lr", "warmup_start_lr", "head_lr_mult", "crop_size", "synthetic_size", "base_size",
                "synthetic_counts", "scales", "eval_scales", "batch_size", "per_replica_batch",
                "eval_limit", "num_classes")
    for name in positive:
        value = getattr(cfg, name)
        values = value if isinstance(value, list) else [value]
        if value is not None and (not values or any(v <= 0 for v in values)):
            raise ConfigError(f"{_flag(name)} must be positive, got "
                              f"{' '.join(map(str, values)) if isinstance(value, list) else value}")
    for name in ("eval_every", "warmup_iters", "weight_decay", "momentum", "poly_power"):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"{_flag(name)} must not be negative, got {getattr(cfg, name)}")
    if cfg.momentum >= 1:
        raise ConfigError(f"--momentum must be below 1, got {cfg.momentum}")
    if not 0 <= cfg.max_bad_fraction <= 1:
        raise ConfigError(f"--max-bad-fraction must be in 0..1, got {cfg.max_bad_fraction}")
    if cfg.batch_size is None and cfg.per_replica_batch is None:
        raise ConfigError("give --batch-size (global) or --per-replica-batch")
    if cfg.optimizer == "adam" and cfg.head_lr_mult != 1:
        raise ConfigError("--head-lr-mult needs --optimizer sgd: it scales the heads' gradients, "
                          "which Adam normalizes away; set it to 1 with adam")
    if cfg.detail_fuse == "decayed" and cfg.optimizer != "sgd":
        raise ConfigError("--detail-fuse decayed reproduces the reference's SGD weight decay: "
                          "it needs --optimizer sgd")
    if cfg.num_classes is not None and cfg.num_classes > 255:
        raise ConfigError(f"--num-classes {cfg.num_classes}: label maps are 8-bit (255 = ignore)")
    if cfg.qat and not cfg.init:
        raise ConfigError("--qat fine-tunes a trained float model: give it with --init MODEL.keras")
    if cfg.qat_scheme != "litert" and not cfg.qat:
        raise ConfigError(f"--qat-scheme {cfg.qat_scheme} chooses how --qat quantizes: add --qat")
    if cfg.qat and cfg.mixed_precision:
        raise ConfigError("--qat trains with float32 fake-quant: drop --mixed-precision")
    if cfg.init and not cfg.init.endswith(".keras"):
        raise ConfigError(f"--init {cfg.init}: expected a .keras model written by training")
    out = Path(cfg.output_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--output-dir {out} is a file, not a folder")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML file of options (e.g. configs/quickstart.yaml)")
    for f in dataclasses.fields(TrainConfig):
        flag = _flag(f.name)
        if "bool" in str(f.type) and "None" not in str(f.type):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                help=f.metadata["help"])
            continue
        elem = _elem_type(f)
        if elem is bool:
            elem = _parse_bool
        parser.add_argument(flag, type=elem, nargs="+" if "list" in str(f.type) else None,
                            default=None, help=f"{f.metadata['help']} (default: {_show(f)})")


def _parse_bool(text: str) -> bool:
    if text.lower() not in ("1", "true", "yes", "0", "false", "no"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return text.lower() in ("1", "true", "yes")


def _show(f: dataclasses.Field) -> str:
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return " ".join(map(str, default)) if isinstance(default, list) else str(default)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A YAML mapping of options; a missing, unreadable or malformed file is one line naming it
    (a usage error, exit status 2, like every other bad option)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}: malformed YAML{where}: "
                          f"{getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping of options, got {type(loaded).__name__}")
    return loaded


def load_config(args: argparse.Namespace | None = None, path: str | Path | None = None,
                **overrides: Any) -> TrainConfig:
    """Defaults, then the YAML file, then command-line values that were given, then overrides."""
    values: dict[str, Any] = {}
    path = path or (args.config if args is not None else None)
    if path:
        values.update(read_yaml(path))
    if args is not None:
        values.update({k: v for k, v in vars(args).items()
                       if v is not None and k not in ("config", "verbose", "quiet")})
    given = {**(vars(args) if args is not None else {}), **overrides}
    if given.get("batch_size") is not None and given.get("per_replica_batch") is None:
        values["per_replica_batch"] = None   # a global batch given here beats the file's per-replica one
    values.update(overrides)
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown option(s) {unknown} in {path or 'arguments'}")
    return TrainConfig(**values)
