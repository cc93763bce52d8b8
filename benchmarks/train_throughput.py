"""Training throughput, measured side by side in one run (not a test).

Prints images/s of
  1. the input pipeline alone (decode + augment + batch),
  2. our tf.distribute custom loop (``TrainingLoop.distributed_step``), without and with reading
     the losses back every step (the loop reads them only every --log-every steps),
  3. ``model.fit`` on the same model, losses and data,
and the ratios: custom loop / fit (goal ≥ 0.95) and pipeline / training step (goal ≥ 3).

    python benchmarks/train_throughput.py --steps 30 --batch-size 8 --crop 128 256
"""
from __future__ import annotations

import sys
import time

from stdc_tf import cli


def _rate(fn, steps: int, batch: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return steps * batch / (time.perf_counter() - start)


def build_parser():
    parser = cli.parser(__doc__)
    parser.add_argument("--config", default="configs/quickstart.yaml", help="training config")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per measurement")
    parser.add_argument("--batch-size", type=int, default=8, help="global batch size")
    parser.add_argument("--crop", type=int, nargs=2, default=[128, 256], metavar=("H", "W"))
    parser.add_argument("--output-dir", default="runs/benchmark_throughput")
    return parser


def run(args) -> int:
    tf = cli.import_tensorflow()
    import keras

    from stdc_tf.data.pipeline import train_dataset
    from stdc_tf.losses import detail_loss, detail_targets, ohem_cross_entropy
    from stdc_tf.training.config import load_config
    from stdc_tf.training.trainer import prepare

    cfg = load_config(path=args.config, batch_size=args.batch_size, crop_size=args.crop,
                      output_dir=args.output_dir, weight_decay=0.0)
    loop = prepare(cfg, verbose=False)

    # 1. the input pipeline alone
    pipeline = iter(train_dataset(loop.train_data, cfg.batch_size, tuple(cfg.crop_size),
                                  cfg.scales, seed=cfg.seed))
    data_rate = _rate(lambda: next(pipeline), args.steps, cfg.batch_size)

    # 2. the custom loop's step (with its own distributed input)
    batches = iter(loop.dataset(0))
    loop_rate = _rate(lambda: loop.distributed_step(next(batches)), args.steps, cfg.batch_size)
    # the same step with the loss read back every step (the loop before it read at boundaries only)
    synced_rate = _rate(lambda: {k: float(v) for k, v in loop.distributed_step(next(batches)).items()},
                        args.steps, cfg.batch_size)

    # 3. model.fit: same model architecture, same losses (OHEM x3 + BCE/Dice), same data
    model = loop.task.model

    def detail(y, logits):
        bce, dice = detail_loss(detail_targets(y), logits)
        return bce + dice

    losses = {k: (detail if k.startswith("detail") else ohem_cross_entropy) for k in model.output}
    with loop.strategy.scope():   # the model's variables live in the loop's strategy
        model.compile(optimizer=keras.optimizers.SGD(cfg.lr, momentum=cfg.momentum), loss=losses)
    fit_data = train_dataset(loop.train_data, cfg.batch_size, tuple(cfg.crop_size), cfg.scales,
                             seed=cfg.seed).map(
        # a channel axis on the detail labels, else Keras squeezes the 1-channel logits to match
        lambda x, y: (x, {k: y[..., None] if k.startswith("detail") else y for k in model.output}))
    model.fit(fit_data, steps_per_epoch=3, epochs=1, verbose=0)          # trace + warm up
    start = time.perf_counter()
    model.fit(fit_data, steps_per_epoch=args.steps, epochs=1, verbose=0)
    fit_rate = args.steps * cfg.batch_size / (time.perf_counter() - start)

    print(f"{'input pipeline alone':28s} {data_rate:8.1f} images/s")
    print(f"{'custom loop (tf.distribute)':28s} {loop_rate:8.1f} images/s")
    print(f"{'custom loop, host read/step':28s} {synced_rate:8.1f} images/s")
    print(f"{'model.fit':28s} {fit_rate:8.1f} images/s")
    print(f"reads at boundaries / read every step = {loop_rate / synced_rate:.2f}")
    print(f"custom loop / fit      = {loop_rate / fit_rate:.2f}  (goal >= 0.95)")
    print(f"pipeline / train step  = {data_rate / loop_rate:.2f}  (goal >= 3)")
    print(f"replicas: {loop.strategy.num_replicas_in_sync}, devices: "
          f"{[d.name for d in tf.config.list_logical_devices()]}")
    return 0


def main(argv=None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
