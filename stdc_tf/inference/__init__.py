"""Segment your own images, folders, videos, cameras and streams with any artifact (``stdc-predict``).

:func:`predict` opens the artifact through :func:`stdc_tf.runtime.load_predictor` (so every kind
the evaluator takes works, with the same runtime options), reads the source
(:mod:`.sources`), runs the streaming pipeline (:mod:`.pipeline`) and writes overlays, colour
masks, label PNGs and videos (:mod:`.outputs`) plus ``predictions.json``: the artifact, the
machine, per-stage timings and the frame rates.

The protocol is the evaluator's (:mod:`stdc_tf.evaluation.evaluator`), so a label PNG written
here equals the one ``evaluate --save-predictions`` writes for the same image: the image is
resized to the model's fixed input size, to the size a ``.keras`` model records it was trained and
validated at (as ``evaluate`` scores it), or by ``scale`` (default 1) for a model that takes any
size (aspect kept), bilinear with aligned corners; logits come back to the image's size the same
way and are argmaxed, class maps come back with nearest neighbour.

Classes and colours come from the artifact's metadata (a ``.tflite`` records its classes and
palette; ``.onnx`` and ``.keras`` their class count); otherwise ``palette`` (a dataset name or a
``classes.yaml``/``.json`` file) or the Cityscapes colours for 19 classes, and a line says so.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from stdc_tf.data.labels import DatasetInfo
from stdc_tf.errors import ConfigError, StdcError
from stdc_tf.inference.outputs import (
    CODECS,
    IMAGE_DEFAULT,
    KINDS,
    VIDEO_DEFAULT,
    Style,
    VideoSink,
    image_paths,
    pictures,
    write_json,
    write_label_png,
    write_picture,
)
from stdc_tf.inference.pipeline import STAGES, End, Frame, Start, interrupted_error, run_pipeline
from stdc_tf.inference.sources import Input, check_output, open_capture, resolve

log = logging.getLogger("stdc_tf")
SUMMARY_FILE = "predictions.json"
PALETTE_DATASETS = ("cityscapes", "camvid", "synthetic")


class PredictError(StdcError, ValueError):
    """The artifact and the options or classes do not fit together."""


@dataclass
class PredictResult:
    """What a run wrote and measured; ``record`` is what ``predictions.json`` holds."""

    outputs: list[Path]
    frames: int
    skipped: list[str]
    record: dict[str, Any] = field(default_factory=dict)


def plan(source: str | Path, output: str | Path) -> list[Input]:
    """The inputs of ``source``, checked against ``output``; cameras and streams are opened once
    to prove they answer. No TensorFlow: a bad source is refused at once."""
    inputs = resolve(source)
    check_output(inputs, source, Path(output))
    for item in inputs:
        if item.live:
            capture, _ = open_capture(item)
            capture.release()
    return inputs


def read_palette(spec: str) -> DatasetInfo:
    """``cityscapes``/``camvid``/``synthetic``, or a ``classes.yaml``/``.json`` file (or the folder
    holding one) in the folder dataset's format."""
    from stdc_tf.data.datasets import read_class_file
    from stdc_tf.data.labels import CAMVID, CITYSCAPES, SYNTHETIC

    named = {"cityscapes": CITYSCAPES, "camvid": CAMVID, "synthetic": SYNTHETIC}
    if spec in named:
        return named[spec]
    path = Path(spec)
    if path.is_file() and path.stem == "classes":
        path = path.parent
    if not path.is_dir():
        raise ConfigError(f"--palette {spec}: not one of {', '.join(PALETTE_DATASETS)} nor a classes.yaml/.json "
                          f"file (the folder dataset's format)")
    return read_class_file(path)[0]


def artifact_classes(predictor: Any, palette: DatasetInfo | None, num_classes: int | None,
                     channels: int | None = None) -> tuple[DatasetInfo, str]:
    """The classes to draw and where they came from (``metadata``, ``--palette``, ``default``);
    ``channels``: the logits' count, seen on the first output of a file that records none."""
    from stdc_tf.export.metadata import default_dataset_info

    meta = _metadata(predictor.path)
    recorded = meta.get("num_classes") or channels
    if palette is not None:
        if recorded is not None and recorded != palette.num_classes:
            raise PredictError(f"{predictor.path or 'the model'} outputs {recorded} classes but --palette "
                               f"{palette.name!r} has {palette.num_classes}")
        return palette, "--palette"
    if meta.get("classes") and meta.get("palette"):
        return DatasetInfo(meta.get("dataset") or "metadata", tuple(meta["classes"]),
                           tuple(tuple(c) for c in meta["palette"])), "metadata"
    count = recorded or num_classes
    name = predictor.path or "the model"
    if count is None:
        log.info("%s records no classes: drawing Cityscapes' 19 (--num-classes or --palette to choose)", name)
        count = 19
    info = default_dataset_info(count)
    if recorded is not None and num_classes is None:
        log.info("%s outputs %d classes and records no names or colours: drawing %s (--palette to choose)", name,
                 count, "Cityscapes'" if info.name == "cityscapes" else "a fixed palette")
    return info, "default"


def _metadata(path: Path | None) -> dict[str, Any]:
    """Classes, palette and class count the artifact file records (empty where it records none)."""
    if path is not None and path.suffix == ".tflite":
        from stdc_tf.export.metadata import read_metadata

        meta = read_metadata(path) or {}
        return {"num_classes": meta.get("output", {}).get("num_classes"), "classes": meta.get("classes"),
                "palette": meta.get("palette"), "dataset": meta.get("dataset")}
    if path is not None and path.suffix == ".onnx":
        import onnx

        from stdc_tf.export.onnx import METADATA_PREFIX

        props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
        count = props.get(METADATA_PREFIX + "num_classes")
        return {"num_classes": int(count)} if count else {}
    return {}


class _Stages:
    """The evaluator's protocol split into the pipeline's three calls (see module docstring)."""

    def __init__(self, predictor: Any, scale: float | None, size: tuple[int, int] | None):
        from stdc_tf.evaluation.evaluator import resolve_scales

        self.predictor = predictor
        self.scale = resolve_scales([scale] if scale else None, False, predictor)[0]
        self.size = size
        self.warned: set[tuple] = set()

    def prepare(self, image: np.ndarray) -> np.ndarray:
        from stdc_tf.evaluation.evaluator import model_input

        return self.predictor.prepare_input(model_input(self.predictor, image[None], self.scale, self.warned,
                                                        self.size))

    def run(self, batch: np.ndarray) -> np.ndarray:
        fixed = self.predictor.io.batch
        if fixed is None or len(batch) == fixed:
            return self.predictor.run_prepared(batch)
        pad = -len(batch) % fixed   # a fixed-batch artifact: chunks of its size, the last padded
        padded = np.concatenate([batch, np.repeat(batch[-1:], pad, axis=0)]) if pad else batch
        return np.concatenate([self.predictor.run_prepared(padded[i:i + fixed])
                               for i in range(0, len(padded), fixed)])[:len(batch)]

    def classes(self, out: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        from stdc_tf.evaluation.evaluator import class_map

        return class_map(self.predictor, self.predictor.finish_output(out[None]), size)[0]


class _Writer:
    """The pipeline's sink: image files, video containers, notes and progress.

    The classes to draw are settled on the first output (``classes_for(out)``), where a file that
    records none shows how many logits it has.
    """

    def __init__(self, output: Path, classes_for: Any, opacity: float, ids: str,
                 kinds: tuple[tuple[str, ...], tuple[str, ...]], codec: str, show: bool, progress: Any):
        self.output, self.classes_for, self.opacity, self.ids = output, classes_for, opacity, ids
        self.kinds, self.codec, self.show, self.progress = kinds, codec, show, progress
        self.styles: tuple[Style, Style] | None = None
        self.classes_from: str | None = None
        self.outputs: list[Path] = []
        self.skipped: list[str] = []
        self.frames = 0
        self.sources: list[dict[str, Any]] = []
        self._video: VideoSink | None = None
        self._fps: float | None = None   # of the video being read, until its first frame

    def start(self, message: Start) -> None:
        item, video = message.input, message.video
        entry = {"source": item.location, "kind": item.kind}
        if video is not None:
            self._fps = video.fps if 0 < video.fps <= 1000 else 30.0
            if self._fps != video.fps:
                self.note(f"{item.location} declares no frame rate: its output video runs at 30 fps")
            entry.update(fps=self._fps, size=[video.width, video.height], declared_frames=video.frames)
        self.sources.append(entry)

    def frame(self, frame: Frame, classes: np.ndarray) -> dict[str, float]:
        started = time.perf_counter()
        if self.styles is None:
            self._settle(frame.out)
        image_style, video_style = self.styles
        if self._fps is not None and self._video is None:
            self._video = VideoSink(self.output, frame.input.name, video_style, self._fps, self.codec)
        style = video_style if self._video is not None else image_style
        pics = pictures(frame.image, classes, style, style.kinds)
        drawn = time.perf_counter()
        if self._video is not None:
            self._video.write(pics, classes)
        else:
            paths = image_paths(self.output, frame.input.name, style)
            for kind, picture in pics.items():
                write_picture(paths[kind], picture)
            if "labels" in paths:
                write_label_png(paths["labels"], classes, style.ids)
            self.outputs += list(paths.values())
        if self.show:
            self._show(pics.get("overlay", frame.image))
        self.frames += 1
        return {"postprocess": frame.times.get("postprocess", 0.0) + drawn - started,
                "encode": time.perf_counter() - drawn}

    def _settle(self, out: np.ndarray | None) -> None:
        """The classes and styles, from the artifact and its first output."""
        from stdc_tf.evaluation.label_files import check_ids

        info, self.classes_from = self.classes_for(out)
        try:
            check_ids(self.ids, info)
        except ValueError as e:
            raise PredictError(f"--ids {self.ids}: {e}") from None
        self.styles = tuple(Style(info, self.opacity, self.ids, kinds) for kinds in self.kinds)

    def _show(self, rgb: np.ndarray) -> None:
        import cv2

        cv2.imshow("stdc-predict", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        cv2.waitKey(1)

    def end(self, message: End) -> None:
        self.sources[-1]["frames"] = message.frames
        self._finish(keep=True)

    def note(self, text: str) -> None:
        if text.startswith("skipped "):
            self.skipped.append(text.removeprefix("skipped "))
        self.progress.write(f"warning: {text}")

    def close(self, keep: bool) -> None:
        self._finish(keep)

    def _finish(self, keep: bool) -> None:
        """Close the video being written: named and playable (``keep``), or removed."""
        self._fps = None
        if self._video is None:
            return
        if keep:
            written = self._video.close()
            self.sources[-1].update(frames=self._video.frames, outputs=[str(p) for p in written])
            self.outputs += written
        else:
            self._video.discard()
        self._video = None


def _can_show() -> str | None:
    """Why no window can open here, or ``None`` when one can."""
    import os
    import sys

    import cv2

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display (DISPLAY is not set)"
    try:
        cv2.namedWindow("stdc-predict", cv2.WINDOW_NORMAL)
    except cv2.error:
        return "this OpenCV has no window support (opencv-python-headless; install opencv-python)"
    return None


def predict(model: str | Path | Any, source: str | Path | list[Input], output: str | Path, *,
            save: Sequence[str] | None = None, opacity: float = 0.5, ids: str = "trainIds",
            scale: float | None = None, input_size: tuple[int, int] | None = None,
            palette: str | DatasetInfo | None = None, num_classes: int | None = None, batch_size: int = 1,
            strict: bool = False, show: bool = False, max_frames: int | None = None,
            video_codec: str = "mp4v", runtime_options: dict[str, Any] | None = None,
            progress: bool = True) -> PredictResult:
    """Segment ``source`` (or the inputs :func:`plan` made of it) with ``model`` (an artifact
    path or a Keras model) into ``output``.

    ``save``: which outputs (of ``overlay``, ``mask``, ``labels``, ``side_by_side``); default
    overlay, mask and labels for images, the overlay for videos. ``scale`` resizes images by a
    factor for a model that takes any size (aspect kept), ``input_size`` to a fixed ``(h, w)``.
    Returns what was written; Ctrl-C or SIGTERM closes everything written so far, then raises
    ``KeyboardInterrupt``/``Terminated`` naming it.
    """
    from stdc_tf.profiling.environment import cpu_device, library_versions, nvidia_gpus
    from stdc_tf.progress import Progress
    from stdc_tf.runtime import load_predictor

    output = Path(output)
    check_options(save, opacity, scale, input_size, batch_size, video_codec)
    inputs = source if isinstance(source, list) else plan(source, output)
    image_kinds = tuple(save) if save else IMAGE_DEFAULT
    video_kinds = tuple(save) if save else VIDEO_DEFAULT
    started = time.perf_counter()
    predictor = load_predictor(model, **(runtime_options or {}))
    load_s = time.perf_counter() - started
    if input_size is not None and predictor.input_size not in (None, tuple(input_size)):
        h, w = predictor.input_size
        raise PredictError(f"--input-size {input_size[0]}x{input_size[1]}: {predictor.path} takes {h}x{w} only")
    if input_size is None and scale is None and predictor.input_size is None:
        input_size = _trained_size(predictor.path)
    if batch_size > 1 and predictor.io.batch not in (None, batch_size):
        log.info("%s takes batches of %d: running %d frames a call", predictor.path, predictor.io.batch,
                 predictor.io.batch)
    chosen = read_palette(palette) if isinstance(palette, str) else palette
    classes_for = lambda out: artifact_classes(predictor, chosen, num_classes,
                                               out.shape[-1] if predictor.output_kind == "logits" else None)
    if show and (reason := _can_show()):
        log.info("--show: %s; writing the outputs only", reason)
        show = False
    output.mkdir(parents=True, exist_ok=True)
    total = None if any(i.live for i in inputs) else sum(1 if i.kind == "image" else _declared(i) for i in inputs)
    if max_frames is not None and total is not None:
        total = min(total, max_frames * len(inputs))
    bar = Progress(total or None, "predict", "frames", enabled=progress)
    writer = _Writer(output, classes_for, opacity, ids, (image_kinds, video_kinds), video_codec, show, bar)
    stages = _Stages(predictor, scale, tuple(input_size) if input_size else None)
    log.info("segmenting %d input(s) with %s (%s)%s", len(inputs), predictor.path or "the model", predictor.name,
             f", batches of {batch_size}" if batch_size > 1 else "")
    threads = cv2.getNumThreads()
    if predictor.device == "cpu":   # OpenCV's own workers would take the model's cores
        cv2.setNumThreads(1)
    try:
        timings, stopped = run_pipeline(inputs, stages, writer, batch_size=predictor.io.batch or batch_size,
                                        strict=strict, max_frames=max_frames, progress=lambda t: bar.update(1))
    finally:
        bar.close()
        cv2.setNumThreads(threads)
    device = cpu_device() if predictor.device == "cpu" else {"kind": predictor.device, "gpus": nvidia_gpus(),
                                                               "host": cpu_device()}
    record = {
        "artifact": {**predictor.describe(), "options": predictor.options(), "load_s": round(load_s, 3)},
        "machine": device, "versions": library_versions(),
        "protocol": {"input_size": list(input_size or predictor.input_size or ()) or None,
                     "scale": stages.scale,
                     "image_resize": "bilinear, align_corners=True",
                     "output_resize": "nearest (class-map output)" if predictor.output_kind == "classes"
                     else "bilinear, align_corners=True, then argmax"},
        "classes": {"from": writer.classes_from, "dataset": writer.styles[0].info.name,
                    "names": list(writer.styles[0].info.class_names)} if writer.styles else None,
        "outputs": {"kinds_images": list(image_kinds), "kinds_videos": list(video_kinds), "ids": ids,
                    "opacity": opacity, "video_codec": video_codec},
        "sources": writer.sources, "skipped": writer.skipped,
        "timing": timings.summary(), "interrupted": stopped,
    }
    summary_path = write_json(output / SUMMARY_FILE, json.dumps(_json_safe(record), indent=2) + "\n")
    result = PredictResult(writer.outputs + [summary_path], writer.frames, writer.skipped, record)
    if not writer.frames and writer.skipped and not stopped:
        raise PredictError(f"nothing segmented: every input was unreadable ({writer.skipped[0]})")
    if stopped:
        raise interrupted_error(stopped, f"wrote {writer.frames} frame(s) to {output} (finished files, "
                                         f"videos closed and playable; {SUMMARY_FILE} records them)")
    return result


def _trained_size(path: Path | None) -> tuple[int, int] | None:
    """The size a ``.keras`` model was trained and validated at, as ``evaluate`` scores it by default."""
    from stdc_tf.models.io import trained_input_size

    size = trained_input_size(path) if path is not None and path.suffix == ".keras" else None
    if size is not None:
        log.info("segmenting at %dx%d, the size %s was trained and validated at, as evaluate scores it "
                 "(--scale S or --input-size HxW to choose)", *size, path)
    return size


def _declared(item: Input) -> int:
    capture, info = open_capture(item)
    capture.release()
    return info.frames or 0


def check_options(save: Sequence[str] | None, opacity: float, scale: float | None,
                  input_size: tuple[int, int] | None, batch_size: int, video_codec: str) -> None:
    """The options' values, before anything loads (``ConfigError``: exit status 2)."""
    bad = [k for k in (save or ()) if k not in KINDS]
    if bad:
        raise ConfigError(f"--save {bad[0]!r} is not one of {', '.join(KINDS)}")
    if not 0.0 <= opacity <= 1.0:
        raise ConfigError(f"--opacity must be in 0..1, got {opacity:g}")
    if scale is not None and not 0 < scale <= 16:
        raise ConfigError(f"--scale must be in (0, 16], got {scale:g}")
    if scale is not None and input_size is not None:
        raise ConfigError("--scale and --input-size exclude each other")
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {batch_size}")
    if video_codec not in CODECS:
        raise ConfigError(f"--video-codec {video_codec!r} is not one of {', '.join(CODECS)}")


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else round(float(value), 6)
    return value


def format_timings(record: dict[str, Any]) -> str:
    """The end-of-run table: mean ms per frame of each stage, wall, and the frame rates."""
    timing = record["timing"]
    ms = timing["ms_per_frame"]
    rows = [f"{'stage':<12} {'ms/frame':>9}"]
    rows += [f"{stage:<12} {ms[stage]:>9.1f}" for stage in (*STAGES, "wall") if ms.get(stage) is not None]
    e2e, model = timing["fps_end_to_end"], timing["fps_model_only"]
    if e2e and model:
        steady, frames = timing["steady_frames"], timing["frames"]
        span = f"over the {steady} frames after the first" if steady < frames else \
            f"over {frames} frame(s), the first included (too few to leave it out)"
        rows.append(f"end-to-end {e2e:.2f} FPS, model only {model:.2f} FPS ({e2e / model:.2f}x), {span}")
    first = timing.get("first_frame")
    if first:
        rows.append(f"model load {record['artifact']['load_s']:.2f} s; first frame: model {first['model']:.0f} ms "
                    f"(graph build, warm-up), kept out of the rates")
    return "\n".join(rows)
