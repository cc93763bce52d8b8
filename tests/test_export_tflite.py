"""LiteRT conversion (:mod:`stdc_tf.export.tflite`) and its metadata (:mod:`stdc_tf.export.metadata`).

Real converter, real LiteRT interpreter, a real (tiny) STDC1-Seg at 64x128 and a real tfmot QAT
model; every file is loaded back with the runtime predictor the evaluator uses.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_cli
from stdc_tf.errors import ConfigError
from stdc_tf.export import ExportError
from stdc_tf.export.contract import ExportSpec
from stdc_tf.export.metadata import METADATA_NAME, SCHEMA, MetadataError, read_metadata, write_metadata
from stdc_tf.export.tflite import convert_tflite, export_tflite
from stdc_tf.runtime.flatbuffer import float_ops_inside, read_graph, tensor_detail

SIZE = (64, 128)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from stdc_tf.data import load_dataset

    root = tmp_path_factory.mktemp("synthetic")
    return {split: load_dataset("synthetic", root, split, num_train=3, num_val=2, height=SIZE[0],
                                width=SIZE[1]) for split in ("train", "val")}


@pytest.fixture(scope="module")
def stdc():
    import keras

    from stdc_tf.models import build_model

    keras.utils.set_random_seed(0)
    return build_model("stdc1_seg50", input_shape=(None, None, 3))   # training graph, 19 classes


@pytest.fixture(scope="module")
def converted(stdc, synthetic, tmp_path_factory):
    """precision/io/output → ExportResult, converted once per module on first use."""
    out, cache = tmp_path_factory.mktemp("tflite"), {}

    def get(precision: str, io: str, output: str):
        key = (precision, io, output)
        if key not in cache:
            spec = ExportSpec(SIZE, io, output, precision, synthetic["train"], calibration_steps=4,
                              check=synthetic["val"], check_images=2)
            cache[key] = export_tflite(stdc, out / f"{precision}_{io}_{output}.tflite", spec)
        return cache[key]
    return get


@pytest.mark.parametrize("precision, io, output, min_agreement", [
    ("fp32", "uint8", "classes", 0.999),
    ("fp16", "float", "logits", 0.99),
    ("dynamic", "uint8", "logits", 0.9),
    ("int8", "uint8", "classes", 0.75),   # random weights: small margins between 19 logits
])
def test_each_precision_converts_runs_and_agrees_with_keras(converted, precision, io, output,
                                                            min_agreement):
    from stdc_tf.runtime import load_predictor

    report = converted(precision, io, output)
    predictor = load_predictor(report.path)
    assert predictor.input_size == SIZE and predictor.output_kind == output
    assert predictor.io.input_dtype == (np.uint8 if io == "uint8" else np.float32)
    assert predictor.io.input_quantization is None   # uint8 means raw pixels, in every precision
    out = predictor.predict(np.zeros((1, *SIZE, 3), np.uint8))
    assert out.shape == ((1, *SIZE) if output == "classes" else (1, *SIZE, 19))
    assert report.check.class_agreement >= min_agreement and report.check.images == 2
    assert report.check.runtime.startswith("interpreter xnnpack")
    assert (report.check.max_logit_diff is None) == (output == "classes")
    if precision == "fp16":
        assert report.check.max_logit_diff < 0.05
    assert ("ARG_MAX" in report.ops) == (output == "classes")
    assert report.metadata["precision"] == precision
    assert not any(op.startswith("Flex") for op in report.ops)


def test_int8_and_qat_graphs_are_integer_inside_and_float_graphs_are_not(converted):
    int8 = read_graph(converted("int8", "uint8", "classes").path)
    assert float_ops_inside(int8) == []
    counts = int8.op_counts()
    assert counts["QUANTIZE"] == 1 and "DEQUANTIZE" not in counts and counts["CONV_2D"] > 30
    # The check is not vacuous: float graphs are flagged, with the ops that compute in float.
    assert any(op.startswith("CONV_2D x") for op in float_ops_inside(read_graph(converted(
        "fp32", "uint8", "classes").path)))
    assert any(op.startswith("DEQUANTIZE x") for op in float_ops_inside(read_graph(converted(
        "fp16", "float", "logits").path)))


def tiny_qat_model():
    """A tf_keras conv net quantized by tfmot, as the QAT trainer will hand it over."""
    import tensorflow_model_optimization as tfmot
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    image = tf_keras.Input((*SIZE, 3))
    x = tf_keras.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(image)
    x = tf_keras.layers.BatchNormalization()(x)
    x = tf_keras.layers.ReLU()(x)
    x = tf_keras.layers.Conv2D(3, 1)(x)
    x = tf_keras.layers.UpSampling2D(2, interpolation="nearest")(x)
    qat = tfmot.quantization.keras.quantize_model(tf_keras.Model(image, x))
    rng = np.random.default_rng(0)   # a few steps so that the fake-quant ranges are learned
    qat.compile("adam", "mse")
    qat.fit(rng.normal(size=(4, *SIZE, 3)).astype("float32"),
            rng.normal(size=(4, *SIZE, 3)).astype("float32"), epochs=2, verbose=0)
    return qat


def test_qat_model_converts_without_calibration_to_an_integer_graph(tmp_path):
    from stdc_tf.errors import ConfigError
    from stdc_tf.runtime import load_predictor

    qat = tiny_qat_model()
    report = export_tflite(qat, tmp_path / "qat.tflite", ExportSpec(SIZE, output="logits", precision="qat",
                                                                     check_images=2))
    assert float_ops_inside(read_graph(report.path)) == []
    predictor = load_predictor(report.path)
    assert predictor.io.input_dtype == np.uint8 and predictor.io.input_quantization is None
    assert predictor.io.output_quantization is not None   # int8 logits, dequantized by the reader
    compiled = load_predictor(report.path, api="compiled_model", threads=1)   # reads them from the file
    assert compiled.io == predictor.io and compiled._interpreter is None      # (no second runtime)
    x = np.random.default_rng(0).integers(0, 256, (1, *SIZE, 3), dtype=np.uint8)
    np.testing.assert_allclose(compiled.predict(x), predictor.predict(x), atol=1e-6)
    assert report.metadata["output"]["dtype"] == "int8" and report.metadata["output"]["quantization"]
    assert report.check.class_agreement > 0.9   # int8 file vs the fake-quant Keras simulation
    with pytest.raises(ConfigError, match="quantization-aware"):
        convert_tflite(qat, ExportSpec(SIZE, precision="int8", calibration=[]))


def test_metadata_is_written_into_the_file_and_reads_back(converted, synthetic):
    report = converted("fp32", "uint8", "classes")
    meta = read_metadata(report.path)
    assert meta == report.metadata
    assert meta["schema"] == SCHEMA and meta["preset"] == "stdc1_seg50" and meta["backbone"] == "stdc1"
    normalization = {"in_graph": True, "scale": 1 / 255, "mean": [0.485, 0.456, 0.406],
                     "std": [0.229, 0.224, 0.225]}
    assert meta["input"] == {"height": 64, "width": 128, "layout": "NHWC", "color": "RGB",
                             "dtype": "uint8", "normalization": normalization, "quantization": None}
    assert meta["output"] == {"kind": "classes", "dtype": "uint8", "quantization": None, "num_classes": 19}
    info = synthetic["val"].info
    assert meta["classes"] == list(info.class_names) and meta["classes"][0] == "road"
    assert meta["palette"] == [list(c) for c in info.palette] and meta["ignore_index"] == 255
    # RGB, not BGR: entries whose channel order shows (sidewalk, person, car of Cityscapes)
    assert [meta["palette"][i] for i in (1, 11, 13)] == [[244, 35, 232], [220, 20, 60], [0, 0, 142]]
    assert meta["dataset"] == info.name and meta["toolkit"]["name"] == "stdc-tf"
    float_input = read_metadata(converted("fp16", "float", "logits").path)["input"]
    assert float_input["dtype"] == "float32" and float_input["normalization"]["in_graph"] is False


def test_metadata_round_trip_keeps_the_model_running(converted, tmp_path):
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.interpreter import Interpreter

    original = converted("dynamic", "uint8", "logits").path.read_bytes()
    meta = {"schema": SCHEMA, "classes": ["straße", "car"], "nested": {"values": [1, 2.5, None]}}
    first = write_metadata(original, {"schema": SCHEMA, "classes": ["old"]})
    updated = write_metadata(first, meta)
    assert read_metadata(updated) == meta
    # What a plain flatbuffer reader (the Android app) sees: one "stdc_tf" entry, UTF-8 JSON.
    model = schema.Model.GetRootAs(updated, 0)
    entries = [model.Metadata(i) for i in range(model.MetadataLength())]
    ours = [e for e in entries if e.Name().decode() == METADATA_NAME]
    assert len(ours) == 1
    assert json.loads(model.Buffers(ours[0].Buffer()).DataAsNumpy().tobytes().decode("utf-8")) == meta

    def run(flatbuffer: bytes) -> np.ndarray:
        interpreter = Interpreter(model_content=flatbuffer)
        interpreter.allocate_tensors()
        x = np.random.default_rng(0).integers(0, 256, (1, *SIZE, 3), dtype=np.uint8)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_array_equal(run(updated), run(original))

    without = tmp_path / "plain.tflite"
    without.write_bytes(convert_tflite(tiny_conv_model(), ExportSpec((8, 8)), metadata=False))
    assert read_metadata(without) is None
    (tmp_path / "junk.tflite").write_bytes(b"not a flatbuffer at all")
    with pytest.raises(MetadataError, match="junk.tflite is not a LiteRT"):
        read_metadata(tmp_path / "junk.tflite")


def tiny_conv_model(extra=None):
    import keras

    image = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(2, 1)(image)
    return keras.Model(image, keras.layers.Lambda(extra)(x) if extra else x)


def test_an_op_without_builtin_fails_with_its_name_and_leaves_no_file(tmp_path):
    import tensorflow as tf

    # det over (H, W) per channel: MatrixDeterminant exists only as a Flex (SELECT_TF_OPS) op.
    flex = tiny_conv_model(lambda t: t + tf.reshape(tf.linalg.det(tf.transpose(t, [0, 3, 1, 2])),
                                                    [-1, 1, 1, 2]))
    path = tmp_path / "flex.tflite"
    path.write_bytes(b"an older file")
    with pytest.raises(ExportError) as err:
        export_tflite(flex, path, ExportSpec((8, 8), "float", "logits"))
    message = str(err.value)
    assert "MatrixDeterminant" in message and "Flex" in message and str(path) in message
    assert "\n" not in message
    assert path.read_bytes() == b"an older file"   # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["flex.tflite"]   # no temporary leftovers


def test_interrupted_calibration_leaves_no_file(stdc, tmp_path):
    def interrupted():   # Ctrl-C arrives while the converter pulls the third calibration image
        yield from np.zeros((2, *SIZE, 3), np.uint8)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_tflite(stdc, tmp_path / "int8.tflite", ExportSpec(SIZE, precision="int8",
                                                                 calibration=interrupted(), calibration_steps=10))
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_calibration_is_an_interruption_not_a_conversion_failure(stdc, tmp_path):
    """SIGTERM (the command lines raise Terminated for it) while the converter pulls calibration
    images: the signal is held while the converter is in native code, calibration stops feeding
    images, and Terminated (exit 143), not "cannot convert …", comes out; no file is left."""
    import os
    import signal

    from stdc_tf.errors import Terminated

    def terminate(signum, frame):
        raise Terminated("terminated by signal 15")

    pulled = []

    def images():
        for i in range(50):
            if i == 2:
                os.kill(os.getpid(), signal.SIGTERM)
            pulled.append(i)
            yield np.zeros((*SIZE, 3), np.uint8)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        with pytest.raises(Terminated):
            export_tflite(stdc, tmp_path / "int8.tflite",
                          ExportSpec(SIZE, precision="int8", calibration=images(), calibration_steps=50))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(pulled) <= 4 and list(tmp_path.iterdir()) == []


def test_deferred_signals_hold_a_signal_until_the_block_ends():
    import os
    import signal

    from stdc_tf.native import deferred_signals

    reached = False
    with pytest.raises(KeyboardInterrupt):
        with deferred_signals() as held:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGTERM)   # only the first is delivered
            assert held.signum == signal.SIGINT
            reached = True
    assert reached and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_check_that_fails_after_writing_keeps_the_earlier_file_and_no_temporary(tmp_path):
    """The file is written (under a temporary name), opened on LiteRT and refused there: the
    user's earlier file at the path stays as it was and the temporary is gone."""
    path = tmp_path / "m.tflite"
    path.write_bytes(b"an older file")
    spec = ExportSpec((8, 8), "float", "logits", check_images=2, min_class_agreement=1.01)
    with pytest.raises(ExportError, match="class agreement .* below the 101% accepted; nothing written"):
        export_tflite(tiny_conv_model(), path, spec)
    assert path.read_bytes() == b"an older file"
    assert [p.name for p in tmp_path.iterdir()] == ["m.tflite"]
    assert export_tflite(tiny_conv_model(), path, spec.with_(min_class_agreement=1.0)).check.class_agreement == 1.0
    assert path.read_bytes()[4:8] == b"TFL3" and [p.name for p in tmp_path.iterdir()] == ["m.tflite"]


def test_class_map_file_scores_exactly_like_the_logits_file(converted, synthetic):
    """The uint8-in / class-map-out file (normalization and argmax in the graph) through the
    evaluator gives the same confusion matrix as the float-in / logits-out file."""
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.runtime import load_predictor

    val = synthetic["val"]
    classes = evaluate(load_predictor(converted("fp32", "uint8", "classes").path), val, progress=False)
    logits = evaluate(load_predictor(converted("fp32", "float", "logits").path), val, progress=False)
    assert classes.protocol["output_resize"].startswith("nearest")
    np.testing.assert_array_equal(classes.hist, logits.hist)
    assert classes.summary["mIoU"] == logits.summary["mIoU"]
    assert np.count_nonzero(classes.hist.sum(axis=0)) >= 2   # the model predicts several classes


def test_cli_rejects_bad_options_with_one_line(tmp_path):
    result = run_cli("convert/to_tflite.py", "--model", str(tmp_path / "m.keras"), "--precision", "int8",
                     "--output", str(tmp_path / "m.tflite"))
    assert result.returncode == 2 and "--dataset" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run_cli("convert/to_tflite.py", "--model", str(tmp_path / "missing.keras"),
                     "--output", str(tmp_path / "m.tflite"))
    assert result.returncode == 1 and "missing.keras" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.tflite").exists()
    result = run_cli("convert/to_tflite.py", "--model", str(tmp_path / "m.keras"), "--input-size", "-128x256",
                     "--output", str(tmp_path / "m.tflite"))   # a leading minus is a value, not an option
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1] == (
        "to_tflite.py: error: argument --input-size: expected a positive size, got '-128x256'")


def test_class_counts_are_checked_before_conversion_and_before_evaluation(tmp_path):
    """A 3-class dataset with a 19-class model is refused before calibration; a .tflite whose
    metadata records 19 classes is refused up front by the evaluator against a 3-class dataset."""
    from conftest import make_color_dataset
    from stdc_tf.data import load_dataset
    from stdc_tf.models import build_model

    color = load_dataset("folder", make_color_dataset(tmp_path / "color"), "val")
    model = build_model("stdc1_seg50", num_classes=19, input_shape=(None, None, 3))

    def calibration_never_read():
        raise AssertionError("calibration started")
        yield
    with pytest.raises(ConfigError, match="predicts 19 classes but dataset 'color' has 3"):
        convert_tflite(model, ExportSpec((32, 64), precision="int8", calibration=calibration_never_read(),
                                         check=color))
    path = export_tflite(model, tmp_path / "m.tflite", ExportSpec((32, 64), check_images=0)).path
    assert read_metadata(path)["output"]["num_classes"] == 19
    result = run_cli("training/evaluate.py", "--model", str(path), "--dataset", "folder",
                     "--data-root", str(tmp_path / "color"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {path} was exported for 19 classes (its metadata) but dataset 'color' has 3"]


def test_int8_calibrates_on_the_calibration_split_and_only_on_it(tmp_path):
    """`--calibration-split calib` with a white calibration split and a black evaluation split
    (which the checks read): a float-input int8 file stores the calibrated range of its input,
    the normalized images, in the QUANTIZE op after it. It must be white's range exactly,
    [0, (1 - 0.406) / 0.225]; one black image in the calibration would pull its low end below 0,
    and calibrating on the evaluation split would give [-2.118, 0]."""
    import cv2

    from conftest import COLOR_CLASSES, color_model

    root, size = tmp_path / "data", (32, 48)
    for split, value in (("calib", 255), ("val", 0)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(2):
            cv2.imwrite(str(root / "images" / split / f"{split}{i}.png"), np.full((*size, 3), value, np.uint8))
            cv2.imwrite(str(root / "labels" / split / f"{split}{i}.png"), np.full(size, i, np.uint8))
    (root / "classes.json").write_text(json.dumps({"classes": [
        {"name": n, "color": c} for n, c in zip(COLOR_CLASSES, np.eye(3, dtype=int).tolist())]}))
    color_model().save(tmp_path / "m.keras")
    out = tmp_path / "m.tflite"
    result = run_cli("convert/to_tflite.py", "--model", str(tmp_path / "m.keras"), "--precision", "int8",
                     "--io", "float", "--output-kind", "logits", "--input-size", "32x48", "--dataset", "folder",
                     "--data-root", str(root), "--calibration-split", "calib", "--eval-split", "val",
                     "--calibration-steps", "4", "--check-images", "2", "--output", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    graph = read_graph(out)
    quantize = next(op for op in graph.ops if op.name == "QUANTIZE" and op.inputs == graph.inputs)
    scale, zero_point = tensor_detail(out, quantize.outputs[0])["quantization"]
    low, high = (-128 - zero_point) * scale, (127 - zero_point) * scale
    assert (low, high) == pytest.approx((0.0, (1 - 0.406) / 0.225), abs=scale)

def test_calibration_progress_in_a_log_is_plain_lines(capfd):
    """int8 calibration with progress, stderr a file (a log): a plain line per 10 s and one at
    the end, written past the converter's silenced stderr, no carriage return or colour codes."""
    from conftest import color_model

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (1, 8, 8, 3), dtype=np.uint8) for _ in range(4)]
    convert_tflite(color_model((8, 8, 3)), ExportSpec((8, 8), output="logits", precision="int8",
                                                      calibration=images, calibration_steps=4,
                                                      progress=True), metadata=False)
    err = capfd.readouterr().err
    assert "\r" not in err and "\x1b" not in err
    assert [line.split(",")[0] for line in err.splitlines() if line.startswith("calibrating")] == [
        "calibrating: 4/4 img (100%)"]
