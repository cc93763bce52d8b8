"""What ``--source`` names, turned into a list of inputs, and how their frames are read.

A source is an image file; a folder (searched recursively, sorted, every image and video format
OpenCV reads); a glob (``"shots/**/*.jpg"``); a ``.txt`` file of paths, one a line (relative to
the list's folder; ``#`` starts a comment); a video file; a camera index (``0``); or a stream URL
(``rtsp://``, ``http://`` …). Each input keeps its path relative to the source's root, so the
outputs mirror the input tree.

Cameras and streams are opened with an open timeout (OpenCV's ``CAP_PROP_OPEN_TIMEOUT_MSEC``,
and a thread that gives up on it as a backstop), so an unreachable one is one line, never a hang.
Everything here happens before TensorFlow is imported: a bad source is refused at once.
"""
from __future__ import annotations

import glob
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")   # FFmpeg's own lines (damaged frames) stay quiet
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from stdc_tf.data.datasets import IMAGE_SUFFIXES as DATASET_IMAGE_SUFFIXES  # noqa: E402
from stdc_tf.errors import ConfigError, shown  # noqa: E402

# what OpenCV's imread decodes (its documented list) and what its FFmpeg backend demuxes
IMAGE_SUFFIXES = tuple(sorted(set(DATASET_IMAGE_SUFFIXES) | {
    ".webp", ".jp2", ".jpe", ".pbm", ".pgm", ".ppm", ".pxm", ".pnm", ".sr", ".ras", ".exr", ".hdr",
    ".pic", ".avif", ".gif"}))
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv", ".flv",
                  ".ts", ".3gp", ".mjpeg", ".mjpg")
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://",
                  "srt://")
OPEN_TIMEOUT_S = 10.0
LIVE_KINDS = ("camera", "stream")


@dataclass(frozen=True)
class Input:
    """One thing to segment: ``kind`` is image, video, camera or stream; ``location`` its path,
    URL or camera index; ``name`` its path under ``--output`` without a suffix."""

    kind: str
    location: str
    name: Path

    @property
    def live(self) -> bool:
        return self.kind in LIVE_KINDS


def resolve(source: str | os.PathLike) -> list[Input]:
    """The inputs ``source`` names (module docstring); one ``ConfigError`` line if none."""
    text = str(source)
    if text.strip().isdigit():
        return [Input("camera", str(int(text)), Path(f"camera{int(text)}"))]
    if text.lower().startswith(STREAM_SCHEMES):
        tail = text.split("://", 1)[1].split("?")[0].rstrip("/")
        stem = Path(tail).stem or "stream"
        return [Input("stream", text, Path("".join(c if c.isalnum() or c in "-_." else "_" for c in stem)))]
    path = Path(text)
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file() and _kind(p) is not None]
        if not files:
            raise ConfigError(f"--source {path}: the folder holds no image or video file "
                              f"({', '.join(IMAGE_SUFFIXES + VIDEO_SUFFIXES)})")
        return _inputs(sorted(files), path)
    if path.is_file() and path.suffix.lower() == ".txt":
        return _listed(path)
    if path.is_file():
        return _inputs([path], path.parent)
    if glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise ConfigError(f"--source {text}: the pattern matches no file")
        return _inputs(files, Path(os.path.commonpath([str(p.parent) for p in files])))
    raise ConfigError(f"--source {text}: no such file or folder (nor a camera index, stream URL or "
                      f"glob pattern)")


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return "video" if suffix in VIDEO_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES else None


def _listed(list_file: Path) -> list[Input]:
    files, missing = [], []
    for number, line in enumerate(list_file.read_text(errors="replace").splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        path = Path(entry) if Path(entry).is_absolute() else list_file.parent / entry
        (files if path.is_file() else missing).append(path if path.is_file() else f"line {number}: {entry}")
    if missing:
        raise ConfigError(f"--source {list_file}: {len(missing)} listed file(s) do not exist: {shown(missing)}")
    if not files:
        raise ConfigError(f"--source {list_file}: the list names no file")
    return _inputs(files, Path(os.path.commonpath([str(p.parent.resolve()) for p in files])))


def _inputs(files: list[Path], root: Path) -> list[Input]:
    """Inputs named by their path under ``root``; two files of one stem in one folder keep their
    suffix in the name (``a_jpg``, ``a_png``) so their outputs never overwrite each other."""
    root = root.resolve()
    relative = [p.resolve().relative_to(root) if p.resolve().is_relative_to(root) else Path(p.name)
                for p in files]
    stems = [r.with_suffix("") for r in relative]
    inputs = []
    for path, rel, stem in zip(files, relative, stems):
        name = stem if stems.count(stem) == 1 else rel.with_name(rel.name.replace(".", "_"))
        inputs.append(Input(_kind(path) or "image", str(path), name))
    return inputs


def check_output(inputs: list[Input], source: str | os.PathLike, output: Path) -> None:
    """Outputs never land next to or over a source: ``output`` is not the source folder (or inside
    it), nor a folder that holds a source file."""
    out = output.resolve()
    files = [Path(i.location).resolve() for i in inputs if not i.live]
    src = Path(source)
    if src.is_dir() and out.is_relative_to(src.resolve()):
        raise ConfigError(f"--output {output} is inside the source folder {source}: choose a folder "
                          f"outside it (the outputs mirror its tree)")
    inside = [f for f in files if f.is_relative_to(out)]
    if inside:
        raise ConfigError(f"--output {output} holds source files ({shown(inside, 2)}): choose a "
                          f"folder of its own so no output lands beside a source")


# ---- reading frames ----

@dataclass
class VideoInfo:
    fps: float
    width: int
    height: int
    frames: int | None      # what the container declares; None for live sources


class SourceUnavailable(ConfigError):
    """A camera, stream or video that cannot be opened."""


def open_capture(item: Input, timeout_s: float = OPEN_TIMEOUT_S) -> tuple[cv2.VideoCapture, VideoInfo]:
    """Open a video, camera or stream; one line naming it when OpenCV cannot, within ``timeout_s``."""
    if item.kind == "camera" and sys.platform.startswith("linux") \
            and not Path(f"/dev/video{item.location}").exists():
        raise SourceUnavailable(f"--source {item.location}: no camera {item.location} on this machine "
                                f"(/dev/video{item.location} does not exist)")
    location: int | str = int(item.location) if item.kind == "camera" else item.location
    milliseconds = int(timeout_s * 1000)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, milliseconds, cv2.CAP_PROP_READ_TIMEOUT_MSEC, milliseconds]
    opened: list[cv2.VideoCapture] = []
    opener = threading.Thread(target=lambda: opened.append(cv2.VideoCapture(location, cv2.CAP_ANY, params)),
                              daemon=True)
    opener.start()
    opener.join(timeout_s + 2)
    what = {"camera": "camera", "stream": "stream", "video": "video"}[item.kind]
    if not opened:
        raise SourceUnavailable(f"--source {item.location}: the {what} did not open within {timeout_s:g} s")
    capture = opened[0]
    if not capture.isOpened():
        reason = "corrupt, or a codec this OpenCV build cannot decode" if item.kind == "video" \
            else "unreachable or refused"
        raise SourceUnavailable(f"--source {item.location}: OpenCV cannot open the {what} ({reason})")
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    info = VideoInfo(fps=capture.get(cv2.CAP_PROP_FPS) or 0.0,
                     width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                     frames=count if count > 0 and not item.live else None)
    return capture, info


def video_frames(capture: cv2.VideoCapture) -> Iterator[np.ndarray]:
    """RGB frames until the capture ends (or a frame cannot be decoded: the rest is lost)."""
    while True:
        ok, frame = capture.read()
        if not ok or frame is None:
            return
        yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
