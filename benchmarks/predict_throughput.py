"""End-to-end video throughput of stdc-predict against the model alone, side by side (not a test).

Makes a 2048x1024 (``--size``) street-scene video (mp4v; pip's OpenCV has no H.264 encoder) once, then for
each model: the model alone (its prepared input, ``--repeats`` calls, same runtime options),
the streaming pipeline (``stdc_tf.inference.predict``: decode, resize, model, class map,
overlay, encode) and a plain sequential loop of the same steps, all in this one run. Prints
the machine line, per-stage milliseconds, and end-to-end FPS as a ratio of model-only FPS
(steady state: the first frame left out). ``--rss`` also runs the command on 100 and 1000
frames in fresh processes and compares their peak resident memory.

    python benchmarks/predict_throughput.py --model stdc1_seg50_int8.tflite --threads 1
    python benchmarks/predict_throughput.py --model a_int8.tflite --model a_fp32.tflite --model a_int8.onnx --rss
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from stdc_tf import cli
from stdc_tf.errors import ConfigError

SIZE = (1024, 2048)


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--model", type=Path, action="append", default=[], help="artifact (repeatable)")
    p.add_argument("--frames", type=cli.positive_int, default=300, help="video frames (default: 300)")
    p.add_argument("--threads", type=cli.positive_int, nargs="+", default=[1],
                   help="inference threads, each timed (default: 1)")
    p.add_argument("--repeats", type=cli.positive_int, default=30, help="model-only calls (default: 30)")
    p.add_argument("--work", type=Path, default=Path("runs/benchmark_predict"), help="video and outputs")
    p.add_argument("--rss", action="store_true", help="peak RSS of 100 vs 1000 frames (fresh processes)")
    p.add_argument("--size", type=cli.input_size, default=SIZE, metavar="HxW",
                   help="video frame size (default: 1024x2048)")
    p.add_argument("--video-only", action="store_true",
                   help="only make the video (WORK/pan_FRAMES.mp4), e.g. to try stdc-predict on one")
    p.add_argument("--sequential", action=__import__("argparse").BooleanOptionalAction, default=True,
                   help="also time a plain sequential loop (default: on)")
    return p


def make_video(path: Path, frames: int, size: tuple[int, int] = SIZE) -> Path:
    """A camera panning over street scenes, with sensor noise (so encoding costs what a real
    video's does); reused when it exists with the right frame count."""
    import cv2
    import numpy as np

    from stdc_tf.data.synthetic import render_scene

    if path.is_file() and int(cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT)) == frames:
        return path
    h, w = size
    pan = w // 4
    scenes = [render_scene((7, i), h, w + pan)[0] for i in range(3)]
    rng = np.random.default_rng(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
    for i in range(frames):
        scene = scenes[(i // 100) % len(scenes)]
        x = (i * max(1, pan // 100)) % pan
        frame = scene[:, x:x + w].astype(np.int16) + rng.integers(-6, 7, (h, w, 1), dtype=np.int16)
        writer.write(cv2.cvtColor(np.clip(frame, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def model_only(model: Path, threads: int, video: Path, repeats: int) -> float:
    """Frames per second of the model's own call on a prepared frame of the video."""
    import cv2

    from stdc_tf.inference import _Stages
    from stdc_tf.runtime import load_predictor

    predictor = load_predictor(model, threads=threads)
    ok, frame = cv2.VideoCapture(str(video)).read()
    x = _Stages(predictor, None, None).prepare(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    predictor.run_prepared(x)   # warm-up
    started = time.perf_counter()
    for _ in range(repeats):
        predictor.run_prepared(x)
    return repeats / (time.perf_counter() - started)


def sequential(model: Path, threads: int, video: Path, out: Path) -> float:
    """FPS of one thread doing every step in turn (the loop a user writes first)."""
    import cv2

    from stdc_tf.inference import _Stages, artifact_classes
    from stdc_tf.inference.outputs import Style, pictures
    from stdc_tf.runtime import load_predictor

    predictor = load_predictor(model, threads=threads)
    stages = _Stages(predictor, None, None)
    style = Style(artifact_classes(predictor, None, None)[0], kinds=("overlay",))
    capture = cv2.VideoCapture(str(video))
    writer = None
    count, started = 0, None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        if writer is None:
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30, rgb.shape[1::-1])
        classes = stages.classes(stages.run(stages.prepare(rgb))[0], rgb.shape[:2])
        writer.write(cv2.cvtColor(pictures(rgb, classes, style, ("overlay",))["overlay"], cv2.COLOR_RGB2BGR))
        count += 1
        if count == 1:
            started = time.perf_counter()
    writer.release()
    return (count - 1) / (time.perf_counter() - started)


def peak_rss_mb(model: Path, video: Path, frames: int, out: Path, threads: int) -> float:
    """Peak resident memory of ``stdc-predict`` on ``frames`` frames, in a fresh process."""
    code = ("import resource, sys; from stdc_tf.commands.predict import main; "
            f"rc = main(['--model', {str(model)!r}, '--source', {str(video)!r}, '--output', {str(out)!r}, "
            f"'--max-frames', '{frames}', '--threads', '{threads}', '--no-progress', '-q']); "
            "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(proc.stdout.split("RSS")[-1])


def run(args) -> int:
    video = make_video(args.work / f"pan_{args.frames}.mp4", args.frames, args.size)
    if args.video_only:
        print(f"wrote {video} ({args.frames} frames, {args.size[1]}x{args.size[0]}, mp4v)")
        return 0
    if not args.model:
        raise ConfigError("--model is required (or --video-only)")
    cli.import_tensorflow()
    import cv2

    from stdc_tf.inference import predict
    from stdc_tf.profiling.environment import isa_line, library_versions

    versions = {**library_versions(), "opencv": cv2.__version__}
    print(f"machine: {isa_line()}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"video: {video} ({args.frames} frames, {args.size[1]}x{args.size[0]}, mp4v)")
    rows = []
    for model in args.model:
        for threads in args.threads:
            alone = model_only(model, threads, video, args.repeats)
            result = predict(model, str(video), args.work / f"out_{model.stem}_t{threads}", save=("overlay",),
                             runtime_options={"threads": threads}, progress=False)
            timing = result.record["timing"]
            seq = sequential(model, threads, video, args.work / "sequential.mp4") if args.sequential else None
            e2e = timing["fps_end_to_end"]
            rows.append((model.name, threads, alone, e2e, seq, timing["ms_per_frame"]))
            print(json.dumps({"model": str(model), "threads": threads, "model_only_fps": alone,
                              "pipeline_fps": e2e, "sequential_fps": seq, "ms_per_frame": timing["ms_per_frame"]}))
    print("\n| model | threads | model only FPS | pipeline FPS | ratio | sequential FPS | ratio | "
          "decode | preprocess | model | postprocess | encode (ms/frame) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, threads, alone, e2e, seq, ms in rows:
        seq_cells = f"{seq:.2f} | {seq / alone:.2f}x" if seq else "- | -"
        stages = " | ".join(f"{ms[s]:.1f}" for s in ("decode", "preprocess", "model", "postprocess", "encode"))
        print(f"| {name} | {threads} | {alone:.2f} | {e2e:.2f} | {e2e / alone:.2f}x | {seq_cells} | {stages} |")
    if args.rss:
        model, threads = args.model[0], args.threads[0]
        long_video = make_video(args.work / "pan_1000.mp4", 1000, args.size)
        small = peak_rss_mb(model, long_video, 100, args.work / "rss100", threads)
        large = peak_rss_mb(model, long_video, 1000, args.work / "rss1000", threads)
        print(f"\npeak RSS ({model.name}, {threads} thread(s)): 100 frames {small:.0f} MB, 1000 frames "
              f"{large:.0f} MB ({large - small:+.0f} MB)")
    return 0


def main(argv=None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
