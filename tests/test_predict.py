"""stdc-predict: every source kind, outputs that mirror the input tree, the evaluator's protocol
for three artifact kinds, videos in order at the source's rate and size, interruption, faults."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT, TF_STARTUP_NOISE, color_model, run_cli

NUM_CLASSES = 5
MODEL_SIZE = (32, 48)
STRIPES = 8


def smooth_image(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Natural-looking RGB: upscaled noise, so class borders fall between pixels."""
    small = rng.integers(0, 256, (size[0] // 6 + 2, size[1] // 6 + 2, 3)).astype(np.uint8)
    return cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_CUBIC)


def mixed_model():
    """A small two-layer network with fixed random weights: logits with many class borders."""
    import keras

    keras.utils.set_random_seed(3)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Conv2D(NUM_CLASSES, 1)(x))


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    """A ``folder`` dataset of odd-sized images (45x70, 50x66), 5 classes."""
    root = tmp_path_factory.mktemp("scenes")
    (root / "images").mkdir()
    (root / "labels").mkdir()
    (root / "classes.json").write_text(json.dumps({"classes": [
        {"name": f"c{i}", "color": [40 * i, 255 - 40 * i, 60]} for i in range(NUM_CLASSES)]}))
    rng = np.random.default_rng(0)
    for i, size in enumerate([(45, 70), (50, 66), (45, 70)]):
        cv2.imwrite(str(root / "images" / f"scene_{i}.png"), smooth_image(rng, size))
        cv2.imwrite(str(root / "labels" / f"scene_{i}.png"), rng.integers(0, NUM_CLASSES, size).astype(np.uint8))
    return root


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory, scenes) -> dict[str, Path]:
    """The same network as .keras (any size, logits), int8 .tflite and .onnx (32x48, class maps)."""
    from stdc_tf.export.contract import ExportSpec
    from stdc_tf.export.onnx import export_onnx
    from stdc_tf.export.tflite import export_tflite

    folder = tmp_path_factory.mktemp("artifacts")
    model = mixed_model()
    model.save(folder / "mixed.keras")
    rng = np.random.default_rng(1)
    calibration = np.stack([smooth_image(rng, MODEL_SIZE) for _ in range(8)])
    export_tflite(model, folder / "mixed_int8.tflite",
                  ExportSpec(MODEL_SIZE, precision="int8", calibration=calibration, calibration_steps=8,
                             check_images=0))
    export_onnx(model, folder / "mixed.onnx", ExportSpec(MODEL_SIZE, check_images=0))
    return {"keras": folder / "mixed.keras", "tflite_int8": folder / "mixed_int8.tflite",
            "onnx": folder / "mixed.onnx"}


def read_labels(folder: Path) -> dict[str, np.ndarray]:
    return {p.name: cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(folder.rglob("*_labelTrainIds.png"))}


@pytest.mark.parametrize("kind, scale", [("keras", None), ("keras", 0.5), ("tflite_int8", None), ("onnx", None)])
def test_label_png_equals_the_evaluators_saved_prediction(kind, scale, artifacts, scenes, tmp_path):
    from stdc_tf.data.datasets import load_dataset
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.inference import predict
    from stdc_tf.runtime import load_predictor

    dataset = load_dataset("folder", scenes, "val")
    evaluate(load_predictor(artifacts[kind]), dataset, [scale] if scale else None, progress=False,
             save_predictions=tmp_path / "evaluator")
    result = predict(artifacts[kind], scenes / "images", tmp_path / "predict", save=("labels",), scale=scale,
                     palette=str(scenes / "classes.json"), progress=False)
    expected, got = read_labels(tmp_path / "evaluator"), read_labels(tmp_path / "predict")
    assert sorted(got) == sorted(expected) == [f"scene_{i}_labelTrainIds.png" for i in range(3)]
    for name in expected:
        assert got[name].shape == expected[name].shape
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
        assert len(np.unique(got[name])) >= 3, "a test on a near-constant map would prove little"
    assert result.frames == 3 and result.record["classes"]["from"] == "--palette"


@pytest.fixture(scope="module")
def color_keras(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("color") / "color.keras"
    color_model().save(path)
    return path


def write_image(path: Path, rng) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), smooth_image(rng, (24, 40)))
    return path


def test_every_file_source_mirrors_its_tree_and_keeps_same_stems_apart(color_keras, tmp_path):
    from stdc_tf.inference import predict

    rng = np.random.default_rng(0)
    src = tmp_path / "photos"
    for rel in ("a.png", "sub/b.jpg", "sub/deeper/c.bmp", "twin.png", "twin.jpg"):
        write_image(src / rel, rng)
    (src / "notes.txt").write_text("not an image")
    per_image = ["_labelTrainIds.png", "_mask.png", "_overlay.jpg"]

    def outputs(folder: Path) -> list[str]:
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    predict(color_keras, src, tmp_path / "out_folder", progress=False)
    names = ["a", "sub/b", "sub/deeper/c", "twin_jpg", "twin_png"]
    assert outputs(tmp_path / "out_folder") == sorted([f"{n}{s}" for n in names for s in per_image]
                                                      + ["predictions.json"])
    predict(color_keras, str(src / "sub" / "**" / "*.*"), tmp_path / "out_glob", save=("labels",), progress=False)
    assert outputs(tmp_path / "out_glob") == ["b_labelTrainIds.png", "deeper/c_labelTrainIds.png", "predictions.json"]
    listing = tmp_path / "list.txt"
    listing.write_text("# two photos\nphotos/a.png\n\nphotos/sub/b.jpg  # the second\n")
    predict(color_keras, listing, tmp_path / "out_list", save=("overlay",), progress=False)
    assert outputs(tmp_path / "out_list") == ["a_overlay.jpg", "predictions.json", "sub/b_overlay.jpg"]
    predict(color_keras, src / "a.png", tmp_path / "out_one", save=("side_by_side",), progress=False)
    side = cv2.imread(str(tmp_path / "out_one" / "a_side_by_side.jpg"))
    assert side.shape == (24, 80, 3)


def pattern_video(path: Path, frames: int, size=(64, 128), fps=12.5, codec="mp4v") -> Path:
    """Frame i: 8 vertical stripes, stripe k green where bit k of i is set, else red."""
    h, w = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (w, h))
    for i in range(frames):
        frame = np.zeros((h, w, 3), np.uint8)
        for k in range(STRIPES):
            channel = 1 if (i >> k) & 1 else 2   # BGR: green or red
            frame[:, k * w // STRIPES:(k + 1) * w // STRIPES, channel] = 255
        writer.write(frame)
    writer.release()
    return path


def frame_index(rgb_or_classes: np.ndarray, classes: bool = False) -> int:
    """The number a pattern frame carries, read from an RGB frame or from its class map."""
    w = rgb_or_classes.shape[1]
    index = 0
    for k in range(STRIPES):
        stripe = rgb_or_classes[:, k * w // STRIPES + 3:(k + 1) * w // STRIPES - 3]
        green = np.median(stripe) == 1 if classes else stripe[..., 1].mean() > stripe[..., 0].mean()
        index |= int(green) << k
    return index


def read_video(path: Path) -> tuple[list[np.ndarray], float, tuple[int, int]]:
    capture = cv2.VideoCapture(str(path))
    fps, size = capture.get(cv2.CAP_PROP_FPS), (int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                                               int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames, fps, size
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))


@pytest.mark.parametrize("codec", ["mp4v", "mjpg"])
def test_video_keeps_frame_count_size_rate_and_order(codec, color_keras, tmp_path):
    from stdc_tf.inference import predict

    source = pattern_video(tmp_path / "clip.mp4", 40)
    result = predict(color_keras, source, tmp_path / "out", save=("overlay", "labels"), video_codec=codec,
                     batch_size=3, progress=False)
    video = tmp_path / "out" / ("clip_overlay.mp4" if codec == "mp4v" else "clip_overlay.avi")
    frames, fps, size = read_video(video)
    assert (len(frames), fps, size) == (40, 12.5, (64, 128))
    assert [frame_index(f) for f in frames] == list(range(40))
    labels = sorted((tmp_path / "out" / "clip_frames").glob("*.png"))
    assert [p.name for p in labels] == [f"clip_{i:06d}_labelTrainIds.png" for i in range(40)]
    assert [frame_index(cv2.imread(str(p), cv2.IMREAD_UNCHANGED), classes=True) for p in labels] == list(range(40))
    assert result.record["sources"] == [{"source": str(source), "kind": "video", "fps": 12.5, "size": [128, 64],
                                         "declared_frames": 40, "frames": 40,
                                         "outputs": [str(video), str(tmp_path / "out" / "clip_frames")]}]
    assert max(result.record["timing"]["ms_per_frame"].values()) > 0
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_corrupt_image_is_skipped_truncated_video_stops_at_its_last_good_frame(color_keras, tmp_path, caplog):
    from stdc_tf.data.datasets import DataError
    from stdc_tf.inference import PredictError, predict

    src = tmp_path / "src"
    write_image(src / "good.png", np.random.default_rng(0))
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    full = pattern_video(tmp_path / "full.avi", 30, codec="MJPG").read_bytes()
    (src / "cut.avi").write_bytes(full[:len(full) * 2 // 3])
    result = predict(color_keras, src, tmp_path / "out", progress=False)
    assert [s.split(":")[0] for s in result.skipped] == [str(src / "broken.png")]
    frames, _, _ = read_video(tmp_path / "out" / "cut_overlay.mp4")
    cut = next(s for s in result.record["sources"] if s["source"].endswith("cut.avi"))
    assert 5 < len(frames) == cut["frames"] < 30 == cut["declared_frames"]
    assert [frame_index(f) for f in frames] == list(range(len(frames)))
    assert (tmp_path / "out" / "good_overlay.jpg").is_file() and not (tmp_path / "out" / "broken_overlay.jpg").exists()
    with pytest.raises(DataError, match="broken.png"):
        predict(color_keras, src, tmp_path / "strict", strict=True, progress=False)
    with pytest.raises(PredictError, match="nothing segmented.*broken.png"):
        predict(color_keras, src / "broken.png", tmp_path / "none", progress=False)


def test_files_without_classes_say_so_and_take_the_options(artifacts, scenes, tmp_path, caplog):
    import onnx

    from stdc_tf.inference import predict

    bare = tmp_path / "bare.onnx"
    proto = onnx.load(str(artifacts["onnx"]))
    del proto.metadata_props[:]
    onnx.save(proto, str(bare))
    image = scenes / "images" / "scene_0.png"
    caplog.set_level("INFO", logger="stdc_tf")
    record = predict(bare, image, tmp_path / "a", progress=False).record
    assert "bare.onnx records no classes: drawing Cityscapes' 19" in caplog.text
    assert (record["classes"]["from"], record["classes"]["dataset"]) == ("default", "cityscapes")
    record = predict(bare, image, tmp_path / "b", num_classes=NUM_CLASSES, progress=False).record
    assert record["classes"]["names"] == [f"class_{i}" for i in range(NUM_CLASSES)]
    record = predict(bare, image, tmp_path / "c", palette=str(scenes / "classes.json"), progress=False).record
    assert record["classes"]["names"] == [f"c{i}" for i in range(NUM_CLASSES)]
    record = predict(artifacts["tflite_int8"], image, tmp_path / "d", progress=False).record
    assert (record["classes"]["from"], record["classes"]["names"]) == (
        "metadata", [f"class_{i}" for i in range(NUM_CLASSES)])
    mask = cv2.cvtColor(cv2.imread(str(tmp_path / "c" / "scene_0_mask.png")), cv2.COLOR_BGR2RGB)
    labels = cv2.imread(str(tmp_path / "c" / "scene_0_labelTrainIds.png"), cv2.IMREAD_UNCHANGED)
    palette = np.array([[40 * i, 255 - 40 * i, 60] for i in range(NUM_CLASSES)], np.uint8)
    np.testing.assert_array_equal(mask, palette[labels])


def test_cli_segments_a_folder_piped_as_a_plain_log(color_keras, tmp_path):
    rng = np.random.default_rng(0)
    for i in range(3):
        write_image(tmp_path / "src" / f"p{i}.png", rng)
    proc = run_cli("-m", "stdc_tf.commands.predict", "--model", str(color_keras), "--source",
                   str(tmp_path / "src"), "--output", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + proc.stderr
    assert "\r" not in text and "\x1b" not in text
    assert "predict: 3/3 frames (100%)" in proc.stderr
    rows = [line.split()[0] for line in proc.stdout.splitlines()]
    assert rows[:8] == ["stage", "decode", "preprocess", "model", "postprocess", "encode", "wall", "end-to-end"]
    record = json.loads((tmp_path / "out" / "predictions.json").read_text())
    assert sorted(record) == ["artifact", "classes", "interrupted", "machine", "outputs", "protocol", "skipped",
                              "sources", "timing", "versions"]
    assert record["machine"]["kind"] == "cpu" and record["machine"]["isa_features"]
    assert sorted(record["timing"]) == ["first_frame", "fps_end_to_end", "fps_model_only", "frames",
                                        "ms_per_frame", "steady_frames", "wall_s"]
    assert record["timing"]["frames"] == 3 and record["interrupted"] is None


BAD_OPTIONS = [
    (["--source", "nowhere/"], "--source nowhere/: no such file or folder"),
    (["--source", "{src}", "--output", "{src}/out"], "is inside the source folder"),
    (["--source", "{src}/a.png", "--output", "{src}"], "holds source files"),
    (["--source", "{src}", "--opacity", "1.5"], "--opacity must be in 0..1, got 1.5"),
    (["--source", "17"], "--source 17: no camera 17 on this machine"),
    (["--source", "rtsp://127.0.0.1:9/live"], "OpenCV cannot open the stream"),
    (["--source", "{src}", "--save", "overlay,movie"], "'movie' is not one of overlay, mask, labels, side_by_side"),
]


def test_bad_options_are_one_line_before_tensorflow_loads(tmp_path):
    write_image(tmp_path / "src" / "a.png", np.random.default_rng(0))
    (tmp_path / "m.keras").write_bytes(b"PK")
    cases = [[a.format(src=tmp_path / "src") for a in argv] for argv, _ in BAD_OPTIONS]
    code = ("import sys, json, contextlib, io\n"
            "from stdc_tf.commands.predict import main\n"
            "out = []\n"
            "for argv in json.loads(sys.argv[1]):\n"
            "    err = io.StringIO()\n"
            "    with contextlib.redirect_stderr(err):\n"
            "        try:\n"
            "            rc = main(['--model', sys.argv[2], '--output', sys.argv[3]] + argv)\n"
            "        except SystemExit as e:   # argparse's own usage errors\n"
            "            rc = e.code\n"
            "    out.append([rc, err.getvalue()])\n"
            "assert 'tensorflow' not in sys.modules\n"
            "print(json.dumps(out))\n")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(cases), str(tmp_path / "m.keras"),
                           str(tmp_path / "default_out")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for (rc, err), (_, expected) in zip(json.loads(proc.stdout), BAD_OPTIONS):
        assert rc == 2 and expected in err.strip().splitlines()[-1] and "Traceback" not in err, (rc, err)


def test_an_option_the_runtime_does_not_take_is_one_line(color_keras, tmp_path):
    write_image(tmp_path / "src" / "a.png", np.random.default_rng(0))
    proc = run_cli("-m", "stdc_tf.commands.predict", "--model", str(color_keras), "--source",
                   str(tmp_path / "src"), "--output", str(tmp_path / "out"), "--threads", "2", "--show")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: a .keras file (Keras) takes no option threads (it takes: none)")
    assert not (tmp_path / "out" / "a_overlay.jpg").exists()


@pytest.mark.slow
@pytest.mark.parametrize("signum, status, word", [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")])
def test_a_signal_mid_video_leaves_a_playable_file_of_the_frames_written(signum, status, word, color_keras,
                                                                        tmp_path):
    source = pattern_video(tmp_path / "long.mp4", 255, size=(480, 960))
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    proc = subprocess.Popen([sys.executable, "-m", "stdc_tf.commands.predict", "--model", str(color_keras),
                             "--source", str(source), "--output", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".long_overlay") for p in (out.iterdir() if out.is_dir() else ())):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == status, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"{word}: wrote ") and "videos closed and playable" in last
    written = int(last.split("wrote ")[1].split()[0])
    frames, fps, size = read_video(out / "long_overlay.mp4")
    assert 0 < len(frames) == written < 255 and (fps, size) == (12.5, (480, 960))
    assert [frame_index(f) for f in frames] == list(range(written))
    assert sorted(p.name for p in out.iterdir()) == ["long_overlay.mp4", "predictions.json"]
    record = json.loads((out / "predictions.json").read_text())
    assert record["interrupted"] == signal.Signals(signum).name and record["timing"]["frames"] == written
    assert not [line for line in stderr.splitlines() if any(n in line for n in TF_STARTUP_NOISE)]


def test_a_keras_model_is_run_at_the_size_training_recorded_as_evaluate_scores_it(artifacts, scenes, tmp_path):
    """evaluate's default for such a file is a fixed-size model at that size; predict's label PNGs
    equal its saved predictions, and --scale still chooses."""
    import shutil

    from stdc_tf.data.datasets import load_dataset
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.inference import predict
    from stdc_tf.models import fixed_input_model
    from stdc_tf.models.io import load_keras, record_input_size
    from stdc_tf.runtime.tensorflow import KerasPredictor

    trained = tmp_path / "trained.keras"
    shutil.copy(artifacts["keras"], trained)
    record_input_size(trained, (24, 40))
    evaluate(KerasPredictor(fixed_input_model(load_keras(trained), (24, 40)), trained),
             load_dataset("folder", scenes, "val"), progress=False, save_predictions=tmp_path / "evaluator")
    record = predict(trained, scenes / "images", tmp_path / "predict", save=("labels",), progress=False).record
    assert record["protocol"]["input_size"] == [24, 40]
    expected, got = read_labels(tmp_path / "evaluator"), read_labels(tmp_path / "predict")
    assert sorted(got) == sorted(expected) and len(got) == 3
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    record = predict(trained, scenes / "images", tmp_path / "scaled", save=("labels",), scale=1.0,
                     progress=False).record
    assert (record["protocol"]["input_size"], record["protocol"]["scale"]) == (None, 1.0)


def test_a_predict_output_folder_is_scored_as_it_is_and_equals_the_evaluator(artifacts, scenes, tmp_path):
    """The colour masks beside the label PNGs are no second prediction of their image."""
    from stdc_tf.data.datasets import load_dataset
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.evaluation.predictions import score_predictions
    from stdc_tf.inference import predict
    from stdc_tf.runtime import load_predictor

    dataset = load_dataset("folder", scenes, "val")
    predict(artifacts["onnx"], scenes / "images", tmp_path / "out", progress=False)
    assert len(list((tmp_path / "out").glob("*_mask.png"))) == 3
    scored = score_predictions(tmp_path / "out", dataset, progress=False)
    direct = evaluate(load_predictor(artifacts["onnx"]), dataset, progress=False)
    np.testing.assert_array_equal(scored.hist[:, :NUM_CLASSES], direct.hist)
