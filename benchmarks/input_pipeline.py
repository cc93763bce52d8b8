"""Training input pipeline throughput at Cityscapes size, per CPU core (not a test).

Generates Cityscapes-sized files (2048x1024 RGB PNG images with street-scene content and 8-bit
labelId PNGs) once, then times the training pipeline (decode + the reference augmentation +
512x1024 crop + batch) with 1 and 2 cores (tf.data's private thread pool and TensorFlow's
intra-op threads both limited to N, OpenCV to one thread per call) and prints images/s and
images/s per core. Goal: >= 12 images/s per core, scaling with cores.

    python benchmarks/input_pipeline.py --images 24 --batches 12
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from stdc_tf import cli

FULL = (1024, 2048)


def build_parser():
    parser = cli.parser(__doc__)
    parser.add_argument("--root", type=Path, default=Path("runs/benchmark_cityscapes"),
                        help="where the generated files go (reused; default: %(default)s)")
    parser.add_argument("--images", type=int, default=24, help="files to generate (default: 24)")
    parser.add_argument("--batches", type=int, default=12, help="timed batches per core count")
    parser.add_argument("--batch-size", type=int, default=4, help="images per batch (default: 4)")
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2], help="core counts (default: 1 2)")
    return parser


def make_files(root: Path, count: int) -> Path:
    """Cityscapes layout at full resolution: synthetic scenes upscaled, with sensor-like noise so
    PNG compression (and so decoding) costs what a real photo's does."""
    import cv2
    import numpy as np

    from stdc_tf.data.synthetic import render_scene

    images, labels = root / "leftImg8bit" / "train" / "bench", root / "gtFine" / "train" / "bench"
    if len(list(images.glob("*.png"))) >= count:
        return root
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        image, label = render_scene((0, 9, i), FULL[0] // 4, FULL[1] // 4)
        image = cv2.resize(image, FULL[::-1], interpolation=cv2.INTER_LINEAR).astype(np.int16)
        image = np.clip(image + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)
        label = cv2.resize(label, FULL[::-1], interpolation=cv2.INTER_NEAREST)
        stem = f"bench_{i:06d}_000019"
        cv2.imwrite(str(images / f"{stem}_leftImg8bit.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(labels / f"{stem}_gtFine_labelIds.png"), label)
    return root


def rate(dataset, batches: int, batch_size: int) -> float:
    iterator = iter(dataset)
    next(iterator)   # pipeline start-up and the first file reads
    started = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - started)


def run(args) -> int:
    tf = cli.import_tensorflow()
    import cv2

    from stdc_tf.data.datasets import load_dataset
    from stdc_tf.data.pipeline import train_dataset

    root = make_files(args.root, args.images)
    data = load_dataset("cityscapes", root, "train")
    cv2.setNumThreads(1)
    print(f"{len(data)} files {FULL[1]}x{FULL[0]}, crop 512x1024, reference scales, batch {args.batch_size}")
    results = {}
    for cores in args.cores:
        options = tf.data.Options()
        options.threading.private_threadpool_size = cores
        options.threading.max_intra_op_parallelism = 1
        dataset = train_dataset(data, args.batch_size, (512, 1024), base_size=FULL, seed=cores)
        results[cores] = rate(dataset.with_options(options), args.batches, args.batch_size)
        print(f"{cores} core(s): {results[cores]:6.1f} images/s = {results[cores] / cores:5.1f} per core")
    if len(results) > 1:
        low, high = min(results), max(results)
        print(f"scaling {low} -> {high} cores: x{results[high] / results[low]:.2f} "
              f"(ideal x{high / low:.0f})")
    return 0


def main(argv=None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
