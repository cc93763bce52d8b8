"""A training process for the distribution tests (run as a script, one per worker/strategy).

    python tests/distributed_worker.py OUT.npz CONFIG_JSON [--cpu-replicas N] [--fixed-batch]

Trains with the library (prepare + TrainingLoop) and writes the final weights (and, with --fixed-batch, the
loss terms of one step on a fixed duplicated batch) to OUT.npz.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("config")
    parser.add_argument("--cpu-replicas", type=int, default=1)
    parser.add_argument("--fixed-batch", action="store_true")
    parser.add_argument("--distinct", action="store_true",
                        help="with --fixed-batch: four different images, so replicas differ")
    args = parser.parse_args()

    from stdc_tf.training.strategy import split_cpu
    if "TF_CONFIG" not in os.environ:
        split_cpu(2)   # both single-process runs see the same devices; --cpu-replicas picks

    import numpy as np
    import tensorflow as tf

    from stdc_tf.data.pipeline import train_dataset
    from stdc_tf.training.config import load_config
    from stdc_tf.training.strategy import make_strategy
    from stdc_tf.training.trainer import prepare

    cfg = load_config(**json.loads(args.config))
    strategy = (make_strategy(cfg.strategy) if cfg.strategy == "multi_worker" else
                tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]) if args.cpu_replicas == 2
                else tf.distribute.OneDeviceStrategy("/cpu:0"))
    loop = prepare(cfg, strategy, verbose=False)
    model = loop.task.model
    result = {f"w0/{getattr(v, 'path', v.name)}": v.numpy() for v in model.weights}
    if args.fixed_batch:
        # the same two images twice: each replica's half equals the whole batch's statistics
        images, labels = next(iter(train_dataset(loop.train_data, 4 if args.distinct else 2,
                                                 tuple(cfg.crop_size), [1.0], seed=1)))
        if not args.distinct:
            images, labels = tf.concat([images, images], 0), tf.concat([labels, labels], 0)

        def per_pipeline(ctx: tf.distribute.InputContext) -> tf.data.Dataset:
            # the same global batch whatever the layout: replica r of the whole job always gets
            # the r-th per-replica slice (one process with 2 replicas or 2 workers with 1 each)
            per = ctx.get_per_replica_batch_size(int(images.shape[0]))
            chunks = [(images[i:i + per], labels[i:i + per]) for i in range(0, images.shape[0], per)]
            mine = chunks[ctx.input_pipeline_id::ctx.num_input_pipelines]
            return tf.data.Dataset.from_tensor_slices(
                (tf.stack([c[0] for c in mine]), tf.stack([c[1] for c in mine])))

        batch = next(iter(strategy.distribute_datasets_from_function(per_pipeline)))
        terms = loop.distributed_step(batch)
        result.update({f"loss/{k}": float(v) for k, v in terms.items()})
    else:
        loop.fit()
    result.update({f"w/{getattr(v, 'path', v.name)}": v.numpy() for v in model.weights})
    np.savez(args.out, **result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
