"""Train an STDC segmentation model (the toolkit's main job).

With no arguments: STDC1-Seg on the built-in synthetic dataset (configs/quickstart.yaml), a few
minutes on a CPU. With a config, the reference recipe on Cityscapes or CamVid:

  python training/train.py
  python training/train.py --config configs/cityscapes_stdc1_seg50.yaml --data-root /data/cityscapes
  TF_CONFIG='{"cluster": {...}, "task": {...}}' python training/train.py --config ...   # multi-worker

Resumes from the newest readable checkpoint in --output-dir (--restart starts over). Ctrl-C or
SIGTERM saves a checkpoint of the current step first. Options given on the command line
override the config file. Exit status: 0 done, 1 error, 2 bad option, 130/143 interrupted.
"""
from __future__ import annotations

import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.training.config import add_arguments, load_config

# The checkout's configs/ (an editable install), else configs/ of the working directory.
DEFAULT_CONFIG = next((p for p in (Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml",
                                   Path("configs") / "quickstart.yaml") if p.is_file()),
                      Path("configs") / "quickstart.yaml")


def run(args) -> int:
    if args.config is None:
        args.config = str(DEFAULT_CONFIG)
    cfg = load_config(args)
    from stdc_tf.training.strategy import split_cpu

    cli.import_tensorflow(lambda tf: split_cpu(cfg.cpu_replicas))   # before devices initialise
    from stdc_tf.training.trainer import train

    summary = train(cfg)
    out = Path(summary["output_dir"])
    print("final val: " + ", ".join(f"{k} {100 * v:.2f}" for k, v in summary["final"].items()))
    suffix = summary["model_suffix"]
    for key, best in summary["best"].items():
        print(f"best val {key} {100 * best['mIoU']:.2f} at step {best['step']}: {out / f'best_{key}{suffix}'}")
    if summary["skipped_files"]:
        print(f"skipped {len(summary['skipped_files'])} unreadable file(s) (listed in the warnings)")
    print(f"checkpoints: {out / 'checkpoints'}")
    print(f"final model: {summary['final_model']}")
    print(f"TensorBoard: tensorboard --logdir {out / 'tensorboard'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__)
    add_arguments(parser)
    return cli.run(run, parser, argv)


if __name__ == "__main__":
    sys.exit(main())
