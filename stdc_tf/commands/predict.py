"""Segment your own images, folders, videos, cameras and streams with any model artifact.

Writes, under --output (mirroring the source's tree, never beside a source): for each image
IMAGE_overlay.jpg, IMAGE_mask.png and IMAGE_labelTrainIds.png (the class map, as the evaluator
writes it); for each video VIDEO_overlay.mp4 with the source's frame rate, size and frame count;
and predictions.json (artifact, machine, per-stage timings, frame rates). The model is any file
the evaluator takes (.keras, SavedModel, .tflite, .onnx, TensorRT .plan, QAT .h5), resized to and
from the source the evaluator's way.

  stdc-predict --model runs/quickstart/final.keras --source street.jpg --output out/
  stdc-predict --model stdc1_int8.tflite --source photos/ --output out/ --save overlay,labels
  stdc-predict --model stdc1_int8.tflite --source dashcam.mp4 --output out/ --threads 1
  stdc-predict --model model.onnx --source "shots/**/*.png" --output out/ --palette camvid
  stdc-predict --model final.keras --source 0 --output out/ --show     # camera 0 until Ctrl-C

--source takes an image, a folder (recursive), a glob, a .txt list of paths, a video file, a
camera index or an rtsp/http stream URL. Ctrl-C or SIGTERM finishes the current frame, closes
the videos (they play) and says how many frames were written.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdc_tf import cli

SAVE_KINDS = ("overlay", "mask", "labels", "side_by_side")


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__, prog="stdc-predict")
    p.add_argument("--model", type=Path, required=True, metavar="PATH",
                   help="artifact: .keras, SavedModel folder, .tflite, .onnx, .plan/.engine or QAT .h5")
    p.add_argument("--source", required=True, metavar="SOURCE",
                   help="image, folder, glob, .txt list, video, camera index or stream URL")
    p.add_argument("--output", type=Path, required=True, metavar="DIR",
                   help="folder for the outputs; must not be (or be inside) the source folder")
    p.add_argument("--save", type=cli.choice_list(SAVE_KINDS), metavar="KINDS",
                   help=f"comma-separated, of {', '.join(SAVE_KINDS)} (default: overlay,mask,labels for "
                        f"images; overlay for videos; labels of a video are one PNG per frame)")
    p.add_argument("--opacity", type=float, default=0.5, help="class colours over the image, 0..1 "
                   "(default: %(default)s)")
    p.add_argument("--ids", choices=("trainIds", "labelIds"), default="trainIds",
                   help="label PNG values: class indices, or Cityscapes labelIds (default: %(default)s)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--scale", type=float, metavar="S", help="resize images by S for a model that takes any "
                      "size, aspect kept (the evaluator's --scale; default 1, or the model's fixed size)")
    size.add_argument("--input-size", type=cli.input_size, metavar="HxW",
                      help="resize images to HxW for a model that takes any size (a fixed-size model "
                           "takes only its own)")
    p.add_argument("--palette", metavar="NAME|FILE", help="classes and colours for a file that records none: "
                   "cityscapes, camvid, synthetic, or a classes.yaml/.json (default: the artifact's own, "
                   "else Cityscapes for 19 classes)")
    p.add_argument("--num-classes", type=cli.positive_int, metavar="N",
                   help="class count of a class-map file that records none (colours: --palette)")
    p.add_argument("--batch-size", type=cli.positive_int, default=1,
                   help="frames per model call, for artifacts that take a batch (default: %(default)s)")
    p.add_argument("--threads", type=cli.positive_int, help="inference threads (LiteRT, onnxruntime)")
    p.add_argument("--provider", help="onnxruntime execution provider (cpu, cuda, tensorrt; default: auto)")
    p.add_argument("--no-xnnpack", action="store_true", help="LiteRT: the reference kernels, no XNNPACK")
    p.add_argument("--video-codec", choices=("mp4v", "mjpg"), default="mp4v",
                   help="output videos: mp4v in .mp4, or Motion JPEG in .avi (default: %(default)s)")
    p.add_argument("--max-frames", type=cli.positive_int, metavar="N", help="stop each video after N frames")
    p.add_argument("--strict", action="store_true", help="stop at an unreadable image or video "
                   "(default: say so in one line and skip it)")
    p.add_argument("--show", action="store_true", help="also show the overlay in a window (where a "
                   "display exists)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    return p


def runtime_options(args: argparse.Namespace) -> dict:
    """The options the artifact's runtime takes, only where given (load_predictor refuses the
    ones a runtime does not take, naming them)."""
    options = {}
    if args.threads is not None:
        options["threads"] = args.threads
    if args.provider is not None:
        options["provider"] = args.provider
    if args.no_xnnpack:
        options["accelerator"] = "none"
    return options


def run(args: argparse.Namespace) -> int:
    cli.check_input(args.model)
    cli.check_output(args.output, option="--output", folder=True)
    from stdc_tf.inference import check_options, format_timings, plan, predict, read_palette

    check_options(args.save, args.opacity, args.scale, args.input_size, args.batch_size, args.video_codec)
    palette = read_palette(args.palette) if args.palette is not None else None
    inputs = plan(args.source, args.output)   # a bad source or camera: one line before TensorFlow loads
    cli.import_tensorflow()
    result = predict(args.model, inputs, args.output, save=args.save, opacity=args.opacity,
                     ids=args.ids, scale=args.scale, input_size=args.input_size, palette=palette,
                     num_classes=args.num_classes, batch_size=args.batch_size, strict=args.strict,
                     show=args.show, max_frames=args.max_frames, video_codec=args.video_codec,
                     runtime_options=runtime_options(args), progress=not args.no_progress)
    print(format_timings(result.record))
    print(f"wrote {result.frames} frame(s) from {len(result.record['sources'])} input(s) to {args.output}"
          + (f"; skipped {len(result.skipped)} unreadable" if result.skipped else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
