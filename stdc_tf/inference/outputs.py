"""What ``stdc-predict`` writes for each input, under ``--output`` (mirroring the input tree).

For an image ``a/street.jpg``:

* ``a/street_overlay.jpg``: the image with the class colours laid over it (``--opacity``);
* ``a/street_mask.png``: the class colours alone (pixels of no class black);
* ``a/street_labelTrainIds.png`` (``_labelIds.png`` with ``--ids labelIds``): the class map as the
  evaluator writes it (:mod:`stdc_tf.evaluation.label_files`), scoreable with ``--predictions``;
* ``a/street_side_by_side.jpg``: the image and the overlay side by side.

For a video (or camera, stream) ``a/drive.mp4``: ``a/drive_overlay.mp4`` (and ``_mask.mp4``,
``_side_by_side.mp4``) with the source's frame rate and size, one output frame per input frame
in order (mp4v in MP4, or Motion JPEG in AVI with ``--video-codec mjpg``: pip's OpenCV has no
H.264 encoder); label PNGs go to ``a/drive_frames/drive_000000_labelTrainIds.png`` ….

Every file is written under a temporary name and renamed; a video is renamed when it is closed,
so an interrupted run leaves a playable file of the frames written and nothing half-written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from stdc_tf.atomic import atomic_output, publish, temporary_beside
from stdc_tf.data.labels import DatasetInfo
from stdc_tf.evaluation.label_files import label_file_name, write_label_png
from stdc_tf.visualize import blend, colorize, opacity_alpha

KINDS = ("overlay", "mask", "labels", "side_by_side")
IMAGE_DEFAULT = ("overlay", "mask", "labels")
VIDEO_DEFAULT = ("overlay",)
CODECS = {"mp4v": ("mp4v", ".mp4"), "mjpg": ("MJPG", ".avi")}
JPEG_QUALITY = 95


@dataclass(frozen=True)
class Style:
    """How predictions are drawn and saved."""

    info: DatasetInfo
    opacity: float = 0.5
    ids: str = "trainIds"
    kinds: tuple[str, ...] = IMAGE_DEFAULT

    @property
    def alpha(self) -> int:
        return opacity_alpha(self.opacity)


def pictures(image: np.ndarray, classes: np.ndarray, style: Style, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The RGB pictures of ``kinds`` (``overlay``, ``mask``, ``side_by_side``) for one frame."""
    palette = style.info.palette
    out: dict[str, np.ndarray] = {}
    if "overlay" in kinds or "side_by_side" in kinds:
        out["overlay"] = blend(image, classes, palette, style.alpha)
    if "side_by_side" in kinds:
        out["side_by_side"] = np.concatenate([image, out["overlay"]], axis=1)
    if "mask" in kinds:
        out["mask"] = colorize(classes, palette, 255)[..., :3]
    return {k: v for k, v in out.items() if k in kinds}


def image_paths(output: Path, name: Path, style: Style) -> dict[str, Path]:
    """Where each kind of output of the image ``name`` goes."""
    base = output / name
    paths = {"overlay": base.with_name(base.name + "_overlay.jpg"),
             "mask": base.with_name(base.name + "_mask.png"),
             "labels": base.with_name(label_file_name(base.name, style.ids)),
             "side_by_side": base.with_name(base.name + "_side_by_side.jpg")}
    return {k: paths[k] for k in style.kinds}


def write_picture(path: Path, rgb: np.ndarray) -> None:
    with atomic_output(path) as tmp:
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if path.suffix == ".jpg" else []
        if not cv2.imwrite(str(tmp), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params):
            raise OSError(f"cannot write {path}")


@dataclass
class VideoSink:
    """The video outputs of one video source: one container per picture kind, plus label PNGs.

    Containers are opened at the first frame under temporary names and renamed by :meth:`close`;
    :meth:`discard` removes them (an error that leaves nothing worth keeping).
    """

    output: Path
    name: Path
    style: Style
    fps: float
    codec: str = "mp4v"
    frames: int = 0
    _writers: dict[str, tuple[cv2.VideoWriter, Path, Path]] = field(default_factory=dict)

    def paths(self) -> dict[str, Path]:
        """Final path of each container (and the label PNG folder)."""
        base = self.output / self.name
        suffix = CODECS[self.codec][1]
        out = {k: base.with_name(f"{base.name}_{k}{suffix}") for k in self.style.kinds if k != "labels"}
        if "labels" in self.style.kinds:
            out["labels"] = base.with_name(f"{base.name}_frames")
        return out

    def write(self, pics: dict[str, np.ndarray], classes: np.ndarray) -> None:
        """One frame: its pictures (:func:`pictures`) into their containers, its label PNG."""
        for kind, picture in pics.items():
            self._writer(kind, picture.shape).write(cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
        if "labels" in self.style.kinds:
            folder = self.paths()["labels"]
            write_label_png(folder / label_file_name(f"{self.name.name}_{self.frames:06d}", self.style.ids),
                            classes, self.style.ids)
        self.frames += 1

    def _writer(self, kind: str, shape: tuple[int, ...]) -> cv2.VideoWriter:
        if kind not in self._writers:
            final = self.paths()[kind]
            tmp = temporary_beside(final)
            writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*CODECS[self.codec][0]), self.fps,
                                     (shape[1], shape[0]))
            if not writer.isOpened():
                tmp.unlink()
                raise OSError(f"cannot write video {final}: OpenCV has no {self.codec} encoder for "
                              f"{final.suffix} here (try --video-codec mjpg)")
            self._writers[kind] = (writer, tmp, final)
        return self._writers[kind][0]

    def close(self) -> list[Path]:
        """Finish every container (playable with the frames written) and give it its name."""
        done = []
        for writer, tmp, final in self._writers.values():
            writer.release()
            done.append(publish(tmp, final))
        self._writers.clear()
        if "labels" in self.style.kinds and self.frames:
            done.append(self.paths()["labels"])
        return done

    def discard(self) -> None:
        for writer, tmp, _ in self._writers.values():
            writer.release()
            tmp.unlink(missing_ok=True)
        self._writers.clear()


def write_json(path: Path, text: str) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text)
    return path
