"""The streaming pipeline: read and prepare | run the model | finish and write, three threads.

A reader thread decodes each frame and prepares the model's input (the evaluator's resize, then
the predictor's normalization or quantization); the calling thread runs the model, in batches
where the artifact takes them; a writer thread turns outputs into class maps, draws and writes.
Queues between them hold a few frames (:data:`QUEUE_FRAMES`), so memory stays flat however long
the video, and one reader and one writer keep frames in order. While the model computes, the
other stages of neighbouring frames run on the other cores (OpenCV, numpy and the runtimes
release the GIL in their native code).

Ctrl-C and SIGTERM (when called from the main thread) finish the batch in the model, let the
writer write every frame the model finished, close the video containers (so they play) and then
raise ``KeyboardInterrupt`` / :class:`~stdc_tf.errors.Terminated` naming what was written; a
second Ctrl-C stops at once.
"""
from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from stdc_tf.data.datasets import DataError, read_image
from stdc_tf.errors import Terminated
from stdc_tf.inference.sources import Input, SourceUnavailable, VideoInfo, open_capture, video_frames

QUEUE_FRAMES = 4
STAGES = ("decode", "preprocess", "model", "postprocess", "encode")
_POLL_S = 0.1


class Model(Protocol):
    """The three calls the pipeline makes of a model (see :mod:`stdc_tf.inference`)."""

    def prepare(self, image: np.ndarray) -> np.ndarray: ...       # RGB [H,W,3] → input [1,h,w,c]
    def run(self, batch: np.ndarray) -> np.ndarray: ...           # inputs [N,…] → raw outputs [N,…]
    def classes(self, out: np.ndarray, size: tuple[int, int]) -> np.ndarray: ...   # one output → [H,W]


@dataclass
class Frame:
    input: Input
    index: int
    image: np.ndarray
    x: np.ndarray | None = None
    out: np.ndarray | None = None
    times: dict[str, float] = field(default_factory=dict)


@dataclass
class Start:
    input: Input
    video: VideoInfo | None


@dataclass
class End:
    input: Input
    frames: int


@dataclass
class Note:
    text: str


@dataclass
class Failed:
    error: BaseException


_DONE = object()


class Sink(Protocol):
    """Where the writer sends each message (``stdc_tf.inference``'s writer)."""

    def start(self, message: Start) -> None: ...
    def frame(self, frame: Frame, classes: np.ndarray) -> dict[str, Any]: ...
    def end(self, message: End) -> None: ...
    def note(self, text: str) -> None: ...
    def close(self, keep: bool) -> None: ...   # keep: finish open videos (else remove them)


@dataclass
class Timings:
    """Per-frame stage times and when each frame was written, in order."""

    stages: list[dict[str, float]] = field(default_factory=list)
    written_at: list[float] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)     # frames per model call
    started: float = field(default_factory=time.perf_counter)

    def summary(self) -> dict[str, Any]:
        """Mean milliseconds per frame of each stage and the frame rates, in the steady state
        (every frame after the first model call, whose graph build or warm-up is reported apart)."""
        n = len(self.stages)
        skip = self.batches[0] if self.batches and n > self.batches[0] else 0
        steady = self.stages[skip:]
        mean = {s: 1000 * float(np.mean([t.get(s, 0.0) for t in steady])) if steady else None for s in STAGES}
        span = self.written_at[-1] - self.written_at[skip - 1] if skip and n > skip else \
            (self.written_at[-1] - self.started if n else 0.0)
        frames = n - skip
        model_s = sum(t.get("model", 0.0) for t in steady)
        return {"frames": n, "steady_frames": frames,
                "ms_per_frame": {**mean, "wall": 1000 * span / frames if frames and span > 0 else None},
                "first_frame": {s: round(1000 * self.stages[0].get(s, 0.0), 3) for s in STAGES} if n else None,
                "fps_end_to_end": frames / span if frames and span > 0 else None,
                "fps_model_only": frames / model_s if model_s > 0 else None,
                "wall_s": (self.written_at[-1] if n else time.perf_counter()) - self.started}


class _Stop:
    """Ctrl-C / SIGTERM requested during the run (the handlers only record it)."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._request)
        return self

    def _request(self, signum: int, frame: Any) -> None:
        self.signal = signum
        self.event.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)   # a second Ctrl-C stops at once

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put unless the run is stopping; False when it is."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _frames_of(item: Input, strict: bool, max_frames: int | None, notes: Callable[[str], None],
               ) -> Iterator[Start | Frame | End]:
    """The messages one input makes: Start, its frames (RGB, with decode time), End."""
    if item.kind == "image":
        started = time.perf_counter()
        try:
            image = read_image(item.location)
        except DataError as e:
            if strict:
                raise
            notes(f"skipped {item.location}: {str(e).replace(str(item.location), '').strip(' :')}")
            return
        frame = Frame(item, 0, image, times={"decode": time.perf_counter() - started})
        yield Start(item, None)
        yield frame
        yield End(item, 1)
        return
    try:
        capture, info = open_capture(item)
    except SourceUnavailable as e:
        if strict or item.live:
            raise
        notes(f"skipped {item.location}: {str(e).split(': ', 1)[-1]}")
        return
    yield Start(item, info)
    count = 0
    try:
        frames = video_frames(capture)
        while max_frames is None or count < max_frames:
            started = time.perf_counter()
            image = next(frames, None)
            if image is None:
                break
            yield Frame(item, count, image, times={"decode": time.perf_counter() - started})
            count += 1
    finally:
        capture.release()
    if info.frames and count < info.frames and (max_frames is None or count < max_frames):
        notes(f"{item.location} ended after {count} of the {info.frames} frames its container declares "
              f"(truncated or corrupt): its output holds the {count} frames read")
    yield End(item, count)


def _reader(inputs: list[Input], model: Model, out: queue.Queue, stop: threading.Event, strict: bool,
            max_frames: int | None) -> None:
    notes = lambda text: _put(out, Note(text), stop)
    try:
        for item in inputs:
            for message in _frames_of(item, strict, max_frames, notes):
                if isinstance(message, Frame):
                    started = time.perf_counter()
                    message.x = model.prepare(message.image)
                    message.times["preprocess"] = time.perf_counter() - started
                if not _put(out, message, stop):
                    return
    except BaseException as e:   # handed to the calling thread, which raises it
        _put(out, Failed(e), stop)
    _put(out, _DONE, stop)


def _writer(sink: Sink, model: Model, inbox: queue.Queue, timings: Timings, failed: list,
            progress: Callable[[dict[str, Any]], None]) -> None:
    while True:
        message = inbox.get()
        if message is _DONE:
            return
        if failed:   # keep draining, so the model thread never blocks on a full queue
            continue
        try:
            if isinstance(message, Frame):
                started = time.perf_counter()
                classes = model.classes(message.out, message.image.shape[:2])
                message.times["postprocess"] = time.perf_counter() - started
                message.times.update(sink.frame(message, classes))
                message.out = message.x = None
                timings.stages.append(message.times)
                timings.written_at.append(time.perf_counter())
                progress(message.times)
            elif isinstance(message, Start):
                sink.start(message)
            elif isinstance(message, End):
                sink.end(message)
            elif isinstance(message, Note):
                sink.note(message.text)
        except BaseException as e:
            failed.append(e)


def run_pipeline(inputs: list[Input], model: Model, sink: Sink, batch_size: int = 1, strict: bool = False,
                 max_frames: int | None = None, progress: Callable[[dict[str, Any]], None] = lambda t: None,
                 ) -> tuple[Timings, str | None]:
    """Segment every input through ``model`` into ``sink``; returns the timings and ``None``, or
    the name of the signal that stopped the run early (after closing every output)."""
    timings = Timings()
    to_model: queue.Queue = queue.Queue(QUEUE_FRAMES)
    to_writer: queue.Queue = queue.Queue(QUEUE_FRAMES)
    failed: list[BaseException] = []
    with _Stop() as stop:
        reader = threading.Thread(target=_reader, name="stdc-read", daemon=True,
                                  args=(inputs, model, to_model, stop.event, strict, max_frames))
        writer = threading.Thread(target=_writer, name="stdc-write", daemon=True,
                                  args=(sink, model, to_writer, timings, failed, progress))
        reader.start()
        writer.start()
        completed = False
        try:
            _model_loop(model, to_model, to_writer, stop, failed, batch_size, timings)
            completed = True
        finally:
            stop.event.set()
            to_writer.put(_DONE)   # after every frame the model finished: the writer writes them
            writer.join()
            sink.close(keep=(completed or stop.signal is not None) and not failed)
        reader.join(timeout=5)
    if failed:
        raise failed[0]
    return timings, (signal.Signals(stop.signal).name if stop.signal is not None else None)


def _model_loop(model: Model, inbox: queue.Queue, outbox: queue.Queue, stop: _Stop, failed: list,
                batch_size: int, timings: Timings) -> None:
    held: Any = None
    while stop.signal is None and not failed:
        message = held if held is not None else _get(inbox)
        held = None
        if message is None:
            continue
        if message is _DONE:
            return
        if isinstance(message, Failed):
            raise message.error
        if not isinstance(message, Frame):
            outbox.put(message)
            continue
        batch = [message]
        while len(batch) < batch_size:   # frames already waiting, of the same input size
            try:
                nxt = inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(nxt, Frame) and nxt.x.shape == message.x.shape:
                batch.append(nxt)
            else:
                held = nxt
                break
        started = time.perf_counter()
        outs = model.run(np.concatenate([f.x for f in batch]))
        seconds = (time.perf_counter() - started) / len(batch)
        timings.batches.append(len(batch))
        for frame, out in zip(batch, outs):
            frame.out, frame.times["model"] = out, seconds
            outbox.put(frame)


def _get(q: queue.Queue) -> Any:
    try:
        return q.get(timeout=_POLL_S)
    except queue.Empty:
        return None


def interrupted_error(signal_name: str, written: str) -> BaseException:
    """The exception a stopped run raises: exit status 130 for Ctrl-C, 143 for SIGTERM."""
    text = f"interrupted: {written}" if signal_name == "SIGINT" else f"terminated: {written}"
    return KeyboardInterrupt(text) if signal_name == "SIGINT" else Terminated(text)

