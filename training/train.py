"""Train an STDC segmentation model (the toolkit's main job).

With no arguments: STDC1-Seg on the built-in synthetic dataset (configs/quickstart.yaml), a few
minutes on a CPU. With a config, the reference recipe on Cityscapes or CamVid:

  python training/train.py
  python training/train.py --config configs/cityscapes_stdc1_seg50.yaml --data-root /data/cityscapes
  TF_CONFIG='{"cluster": {...}, "task": {...}}' python training/train.py --config ...   # multi-worker

Resumes from the last checkpoint in --output-dir. Options given on the command line override
the config file.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "quickstart.yaml"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")   # keep TensorFlow's C++ start-up logs out


def main(argv=None) -> int:
    from stdc_tf.training.config import add_arguments, load_config

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.config is None:
        args.config = str(DEFAULT_CONFIG)
    try:
        cfg = load_config(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")   # errors reach the user as one line below, not as TF warnings

    from stdc_tf.training.strategy import split_cpu
    split_cpu(cfg.cpu_replicas)   # before TensorFlow initialises its devices

    from stdc_tf.data.pipeline import DataError
    from stdc_tf.training.trainer import TrainingError, train
    from stdc_tf.weights import CheckpointError
    try:
        summary = train(cfg)
    except (DataError, TrainingError, CheckpointError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = Path(summary["output_dir"])
    print("final val: " + ", ".join(f"{k} {100 * v:.2f}" for k, v in summary["final"].items()))
    for key, best in summary["best"].items():
        print(f"best val {key} {100 * best['mIoU']:.2f} at step {best['step']}: {out / f'best_{key}.keras'}")
    print(f"checkpoints: {out / 'checkpoints'}")
    print(f"final model: {out / 'final.keras'}")
    print(f"TensorBoard: tensorboard --logdir {out / 'tensorboard'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
