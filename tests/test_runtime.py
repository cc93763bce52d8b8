"""Runtime predictors: every artifact kind on its real runtime, quantized I/O, the registry, errors.

The slow test is the issue's acceptance check: one STDC1 model evaluated as Keras (in memory
and ``.keras``), SavedModel, fp32 ``.tflite`` (LiteRT) and ``.onnx`` (onnxruntime) on the
synthetic val split gives the same mIoU within 0.1 point.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from conftest import COLOR_SIZE, color_model
from stdc_tf.data.datasets import load_dataset, read_image
from stdc_tf.errors import ConfigError
from stdc_tf.evaluation.evaluator import evaluate
from stdc_tf.export import ExportError
from stdc_tf.export.contract import AS_IS
from stdc_tf.export.onnx import export_onnx
from stdc_tf.export.saved_model import export_saved_model
from stdc_tf.export.tflite import export_tflite
from stdc_tf.models.preprocessing import normalize
from stdc_tf.runtime import ModelIO, ModelLoadError, Predictor, load_predictor, register_predictor, registry


def color_images(color_data, n: int = 3) -> np.ndarray:
    return np.stack([read_image(s.image) for s in color_data.samples[:n]])


# ---- LiteRT: quantized I/O, class maps, fixed batch ----

def quantized_tflite(model, path: Path, io_type: tf.DType, color_data) -> Path:
    """Full-integer PTQ with ``io_type`` input and output (Model Garden's recipe)."""
    def representative():
        for sample in color_data.samples:
            yield [normalize(read_image(sample.image)[None])]

    with tempfile.TemporaryDirectory() as saved_model:
        model.export(saved_model, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = converter.inference_output_type = io_type
        path.write_bytes(converter.convert())
    return path


@pytest.mark.parametrize("io_type", [tf.uint8, tf.int8])
def test_litert_quantized_input_and_output_use_the_tensors_parameters(color_data, tmp_path, io_type):
    path = quantized_tflite(color_model((*COLOR_SIZE, 3)), tmp_path / "q.tflite", io_type, color_data)
    predictor = load_predictor(path)
    assert predictor.io.input_dtype == io_type.as_numpy_dtype
    assert predictor.io.input_quantization and predictor.io.output_quantization
    assert predictor.output_kind == "logits" and "quantized" in predictor.describe()["preprocessing"]
    images = color_images(color_data)
    expected = normalize(images)   # what the float model outputs
    np.testing.assert_allclose(predictor.predict(images), expected,
                               atol=3 * predictor.io.output_quantization[0] + 0.05)
    assert evaluate(predictor, color_data, progress=False).summary["mIoU"] == 1.0


@pytest.mark.parametrize("export", ["tflite", "onnx"])
def test_class_map_outputs(color_data, tmp_path, export):
    model = color_model(argmax=True)
    path = (export_tflite(model, tmp_path / "argmax.tflite", AS_IS) if export == "tflite"
            else export_onnx(model, tmp_path / "argmax.onnx", AS_IS)).path
    predictor = load_predictor(path)
    assert predictor.output_kind == "classes" and predictor.input_size is None
    out = predictor.predict(color_images(color_data))
    assert out.dtype == np.int32 and out.shape == (3, *COLOR_SIZE)
    assert evaluate(predictor, color_data, progress=False).summary["mIoU"] == 1.0


def nchw_onnx(path: Path, batch: int | str = "N") -> Path:
    """An NCHW identity 1x1-conv model, as exported from PyTorch, built with the onnx helpers."""
    from onnx import TensorProto, helper, numpy_helper, save

    dims = [batch, 3, "H", "W"]
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "w"], ["logits"])], "nchw",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, dims)],
        [numpy_helper.from_array(np.eye(3, dtype=np.float32)[:, :, None, None], "w")])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8),
         str(path))
    return path


def test_onnx_channels_first_model_is_transposed(color_data, tmp_path):
    predictor = load_predictor(nchw_onnx(tmp_path / "nchw.onnx"))
    assert predictor.io.channels_first and predictor.io.batch is None
    images = color_images(color_data)
    np.testing.assert_allclose(predictor.predict(images), normalize(images), atol=1e-6)


def test_fixed_batch_model_gets_chunks_padded_to_its_batch(color_data, tmp_path):
    predictor = load_predictor(nchw_onnx(tmp_path / "batch2.onnx", batch=2))
    assert predictor.io.batch == 2
    images = color_images(color_data, 3)   # one full chunk, one padded
    np.testing.assert_allclose(predictor.predict(images), normalize(images), atol=1e-6)


def test_wrong_input_size_is_an_error_naming_both_sizes(color_data):
    predictor = load_predictor(color_model((16, 24, 3)))
    with pytest.raises(ValueError, match="takes 16x24 \\(HxW\\) images, got 32x48"):
        predictor.predict(color_images(color_data))


def test_model_that_does_not_take_rgb_images_is_a_load_error():
    import keras

    inputs = keras.Input((8, 8, 4))
    with pytest.raises(ModelLoadError, match=r"input of shape \[None, 8, 8, 4\]; expected RGB images"):
        load_predictor(keras.Model(inputs, keras.layers.Conv2D(3, 1)(inputs)))


def test_export_failures_are_one_line_naming_the_output(tmp_path):
    """keras.ops.argmax lowers to a bitwise op that LiteRT has no builtin for: no silent Flex op."""
    import keras

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.ops.argmax(inputs, axis=-1))
    with pytest.raises(ExportError) as err:
        export_tflite(model, tmp_path / "flex.tflite", AS_IS)
    assert str(tmp_path / "flex.tflite") in str(err.value) and "\n" not in str(err.value)
    assert not list(tmp_path.iterdir())   # nothing half-written
    with pytest.raises(ConfigError, match=r"input size must be two positive numbers \(H, W\), got \[8\]"):
        AS_IS.with_(input_size=(8,))


# ---- registry and load errors ----

class NpyLinearPredictor(Predictor):
    """A real (tiny) runtime: logits = normalized RGB @ a (3, C) matrix stored in a ``.npy`` file."""

    runtime = "npy-linear"

    def __init__(self, path: Path):
        self.path, self.weights = path, np.load(path)
        self.io = ModelIO(None, None, None, np.dtype(np.float32), "logits")

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weights


class NpyScaledPredictor(NpyLinearPredictor):
    runtime = "npy-scaled"


def test_registered_runtime_is_picked_and_later_kinds_come_first(color_data, tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    np.save(tmp_path / "eye.npy", np.eye(3, dtype=np.float32))
    np.save(tmp_path / "scaled_eye.npy", 2 * np.eye(3, dtype=np.float32))
    register_predictor("npy", ".npy linear model", lambda p: p.suffix == ".npy", NpyLinearPredictor)
    register_predictor("npy_scaled", ".npy scaled model",
                       lambda p: p.name.startswith("scaled_"), NpyScaledPredictor)
    assert load_predictor(tmp_path / "eye.npy").runtime == "npy-linear"
    predictor = load_predictor(tmp_path / "scaled_eye.npy")
    assert predictor.runtime == "npy-scaled"
    assert evaluate(predictor, color_data, progress=False).summary["mIoU"] == 1.0
    (tmp_path / "eye.bin").write_bytes(b"")
    with pytest.raises(ModelLoadError,
                       match=r"eye.bin is not a model .*: .npy scaled model; .npy linear model; "):
        load_predictor(tmp_path / "eye.bin")


@pytest.mark.parametrize("name, content, expected", [
    ("missing.tflite", None, "does not exist"),
    ("model.bin", b"\0" * 16, "is not a model this toolkit can run"),
    ("model.tflite", b"not a flatbuffer", "cannot read .* as a .tflite file \\(LiteRT\\)"),
    ("model.onnx", b"not a protobuf", "cannot read .* as a .onnx file \\(onnxruntime\\)"),
    ("model.keras", b"not a zip", "cannot read .* as a .keras file \\(Keras\\)"),
    ("saved", b"", "cannot read .* as a SavedModel directory"),
])
def test_unreadable_model_is_one_line_naming_it_and_the_supported_kinds(tmp_path, name, content,
                                                                        expected):
    path = tmp_path / name
    if name == "saved":
        path.mkdir()
        (path / "saved_model.pb").write_bytes(b"garbage")
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelLoadError) as err:
        load_predictor(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    assert re.search(expected, message)
    assert ".tflite file (LiteRT)" in message and ".onnx file (onnxruntime)" in message


# ---- the acceptance check: one STDC model, every runtime, same mIoU ----

@pytest.fixture(scope="module")
def stdc_artifacts(tmp_path_factory):
    """STDC1-Seg (19 classes, 64x128 input) with the reference's weights of the parity case (so
    its logits are not near-uniform, as a fresh model's are) as Keras, .keras, SavedModel, .tflite
    and .onnx."""
    import json

    from conftest import DATA
    from stdc_tf.models import build_model, inference_model
    from stdc_tf.weights import load_reference_weights
    from stdc_tf.weights.parity import seeded_weights

    out = tmp_path_factory.mktemp("stdc")
    case = json.loads((DATA / "stdc1_seg_64x128.json").read_text())
    model = build_model("stdc1_seg50", num_classes=19, input_shape=(64, 128, 3))
    load_reference_weights(model, seeded_weights(case["weights"], case["seed"]), part="full")
    model = inference_model(model)
    model.save(out / "model.keras")
    return {"keras (in memory)": model,
            "keras (.keras file)": out / "model.keras",
            "saved_model": export_saved_model(model, out / "saved_model", AS_IS).path,
            "litert": export_tflite(model, out / "model.tflite", AS_IS).path,
            "onnxruntime": export_onnx(model, out / "model.onnx", AS_IS).path}


@pytest.mark.slow
def test_every_runtime_gives_the_keras_logits(stdc_artifacts, tmp_path_factory):
    """Logits, not only mIoU: a runtime fed BGR instead of RGB, or normalized twice, moves them by
    far more than the tolerance (an untrained model's mIoU would hide it)."""
    data = load_dataset("synthetic", tmp_path_factory.mktemp("synthetic_logits"), "val",
                        num_train=1, num_val=2, height=64, width=128)
    images = np.stack([read_image(s.image) for s in data.samples])
    reference = load_predictor(stdc_artifacts["keras (in memory)"]).predict(images)
    assert len(np.unique(reference.argmax(-1))) > 3   # the classes really compete
    swapped = load_predictor(stdc_artifacts["keras (in memory)"]).predict(images[..., ::-1])
    assert np.abs(swapped - reference).max() > 100 * 1e-4 * np.abs(reference).max()
    for name, source in stdc_artifacts.items():
        logits = load_predictor(source).predict(images)
        error = np.abs(logits - reference).max() / np.abs(reference).max()
        assert error < 1e-4, (name, error)
        assert (logits.argmax(-1) == reference.argmax(-1)).mean() > 0.999, name


@pytest.mark.slow
def test_same_model_same_miou_on_every_runtime(stdc_artifacts, tmp_path_factory):
    data = load_dataset("synthetic", tmp_path_factory.mktemp("synthetic"), "val",
                        num_train=1, num_val=8)
    results = {name: evaluate(load_predictor(source), data, [0.5], progress=False)
               for name, source in stdc_artifacts.items()}
    reference = results["keras (in memory)"].summary["mIoU"]
    assert reference > 0
    for name, result in results.items():
        print(f"{name:20s} mIoU {100 * result.summary['mIoU']:6.3f}  "
              f"{result.images_per_s:6.1f} images/s  (model only {result.model_images_per_s:6.1f})")
        assert result.summary["mIoU"] == pytest.approx(reference, abs=1e-3), name
        assert result.source["input_size"] == [64, 128]
    assert {r.source["runtime"] for r in results.values()} == {
        "keras", "saved_model", "litert", "onnxruntime"}


# ---- the declared contract ----

def test_options_go_to_the_runtime_that_claims_the_file_and_others_are_refused(color_data, tmp_path):
    from stdc_tf.export.contract import ExportSpec

    path = export_tflite(color_model(), tmp_path / "m.tflite", ExportSpec(COLOR_SIZE, "float", "logits")).path
    one = load_predictor(path, threads=1)
    assert one.name == "interpreter xnnpack threads=1" and one.options()["threads"] == 1
    plain = load_predictor(path, accelerator="none", threads=1)
    assert plain.delegation() is None and one.delegation()["partitions"] == 1
    compiled = load_predictor(path, api="compiled_model", threads=1)
    images = color_images(color_data)
    np.testing.assert_allclose(compiled.predict(images), one.predict(images), atol=1e-5)
    with pytest.raises(ModelLoadError, match=r"\.tflite file \(LiteRT\) takes no option provider "
                                             r"\(it takes: threads, accelerator, api\)"):
        load_predictor(path, provider="cuda")
    with pytest.raises(ModelLoadError, match="LiteRT interpreter has no accelerator 'gpu'"):
        load_predictor(path, accelerator="gpu")
    x = one.prepare_input(images[:1])
    assert one.device_run(x)() is None and one.device == "cpu" and one.timer == "host clock"


def test_a_qat_h5_opens_in_a_fresh_process_without_importing_quantization_first(tmp_path):
    """The QAT runtime is registered with the others (by name, loaded on use)."""
    import subprocess
    import sys

    import tensorflow_model_optimization as tfmot
    import tf_keras

    from conftest import ROOT
    from stdc_tf.quantization.qat import save_qat

    inputs = tf_keras.Input((16, 24, 3))
    qat = tfmot.quantization.keras.quantize_model(tf_keras.Model(inputs, tf_keras.layers.Conv2D(3, 1)(inputs)))
    qat(np.random.default_rng(0).standard_normal((2, 16, 24, 3)).astype(np.float32), training=True)
    path = save_qat(qat, tmp_path / "qat.h5")
    code = ("import sys, numpy as np\nfrom stdc_tf.runtime import load_predictor\n"
            f"p = load_predictor({str(path)!r})\n"
            "assert 'stdc_tf.quantization.qat' in sys.modules\n"
            "print(p.runtime, p.predict(np.zeros((1, 16, 24, 3), np.uint8)).shape)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["keras", "(1,", "16,", "24,", "3)"]
