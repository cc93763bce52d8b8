"""QAT: the Keras 3 → tf_keras bridge, tfmot quantization of STDC1/STDC2, integer LiteRT files
from the QAT models, save/load, and a QAT step under MirroredStrategy over 2 logical CPUs."""
from __future__ import annotations

import json

import numpy as np
import pytest
from test_training import _run_worker, _wait, tiny

from stdc_tf.models import build_model, inference_model

SIZE = (64, 128)


@pytest.fixture(scope="module")
def float_model():
    import keras

    keras.utils.set_random_seed(1)
    return build_model("stdc1_seg50", num_classes=5, input_shape=(*SIZE, 3))


def test_bridge_copies_every_weight_and_proves_it(float_model):
    from stdc_tf.quantization.bridge import BridgeError, check_same_outputs, copy_weights, to_tf_keras

    twin = to_tf_keras(float_model)
    assert type(twin).__module__.startswith("tf_keras")
    assert check_same_outputs(float_model, twin) < 1e-5
    broken = to_tf_keras(float_model)
    kernel = broken.get_layer("ffm.conv1")
    kernel.set_weights([w + 1.0 for w in kernel.get_weights()])
    with pytest.raises(BridgeError, match="differs from the Keras 3 model"):
        check_same_outputs(float_model, broken)
    other = build_model("stdc2_seg50", num_classes=5, input_shape=(*SIZE, 3))
    with pytest.raises(BridgeError, match="layers in only one of the two models: features"):
        copy_weights(float_model, other)
    wider = build_model("stdc1_seg50", num_classes=7, input_shape=(*SIZE, 3))
    with pytest.raises(BridgeError, match=r"layer conv_out\.conv_out: weights"):
        copy_weights(float_model, wider)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["stdc1_seg50", "stdc2_seg50"])
def test_qat_model_builds_converts_and_is_integer_inside(preset, tmp_path):
    import keras

    from stdc_tf.export.contract import ExportSpec
    from stdc_tf.export.tflite import convert_tflite
    from stdc_tf.quantization.bridge import to_tf_keras
    from stdc_tf.quantization.qat import is_quantization_aware, load_qat, quantize, save_qat
    from stdc_tf.runtime.flatbuffer import float_ops_inside, read_graph

    keras.utils.set_random_seed(2)
    model = build_model(preset, num_classes=5, input_shape=(*SIZE, 3))
    qat = quantize(to_tf_keras(model))
    assert is_quantization_aware(qat)
    x = np.random.default_rng(0).standard_normal((2, *SIZE, 3)).astype(np.float32)
    assert not np.asarray(qat(x, training=False)["out"]).any()   # no activation ranges yet
    qat(x, training=True)   # a training step sets the fake-quant ranges
    out = qat(x, training=False)
    assert np.asarray(out["out"]).std() > 0
    path = save_qat(qat, tmp_path / "m.h5")
    again = load_qat(path)
    np.testing.assert_allclose(np.asarray(again(x, training=False)["out"]), np.asarray(out["out"]),
                               atol=1e-5)
    flatbuffer = convert_tflite(inference_model(again), ExportSpec(SIZE, precision="qat"))
    graph = read_graph(flatbuffer)
    assert float_ops_inside(graph) == []
    ops = {op.name for op in graph.ops}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "MUL"} <= ops
    _assert_resizes_keep_their_input_scale(qat, flatbuffer, graph)
    with pytest.raises(Exception, match="not a readable QAT model"):
        (tmp_path / "bad.h5").write_bytes(b"nope")
        load_qat(tmp_path / "bad.h5")


def _tensor_quantization(flatbuffer: bytes) -> dict[int, tuple]:
    """Tensor index -> (scales, zero points) of the main subgraph, from the flatbuffer schema."""
    from ai_edge_litert import schema_py_generated as schema

    sub = schema.Model.GetRootAs(flatbuffer, 0).Subgraphs(0)
    out = {}
    for i in range(sub.TensorsLength()):
        q = sub.Tensors(i).Quantization()
        out[i] = ((tuple(q.ScaleAsNumpy().tolist()) if q is not None and q.ScaleLength() else ()),
                  (tuple(q.ZeroPointAsNumpy().tolist()) if q is not None and q.ZeroPointLength() else ()))
    return out


def _assert_resizes_keep_their_input_scale(qat, flatbuffer: bytes, graph) -> None:
    """ResizeLike (nearest and bilinear) has no fake-quant of its own, so the int8 file's resizes
    keep their input's scale and zero point with no requantize after them, and the only
    float-to-int QUANTIZE is the one at the input edge."""
    resizes = [layer for layer in qat.layers if "ResizeLike" in type(getattr(layer, "layer", layer)).__name__]
    assert {getattr(layer, "layer", layer).mode for layer in resizes} == {"nearest", "bilinear"}
    for layer in resizes:   # no range of its own (one would make the converter requantize)
        assert not [w for w in layer.weights if w.name.split("/")[-1].startswith(("output_min", "output_max"))], \
            layer.name
    quant = _tensor_quantization(flatbuffer)
    resize_ops = [op for op in graph.ops if op.name.startswith("RESIZE") or op.name == "DEPTH_TO_SPACE"]
    assert {op.name for op in resize_ops} >= {"RESIZE_BILINEAR"} and len(resize_ops) >= 3
    for op in resize_ops:
        assert quant[op.outputs[0]] == quant[op.inputs[0]] and quant[op.inputs[0]][0], op
    resized = {op.outputs[0] for op in resize_ops}
    assert not [op for op in graph.ops if op.name == "QUANTIZE" and set(op.inputs) & resized]
    from_float = [op for op in graph.ops if op.name == "QUANTIZE"
                  and graph.tensor_types[op.inputs[0]] in ("FLOAT32", "FLOAT16")]
    assert len(from_float) == 1, from_float
    feeders = {o: op for op in graph.ops for o in op.outputs}
    source = from_float[0].inputs[0]
    assert source in graph.inputs or (feeders[source].name == "CAST"
                                      and feeders[source].inputs[0] in graph.inputs)


@pytest.mark.slow
def test_qat_step_under_mirrored_strategy_over_two_cpus(tmp_path, float_model):
    from stdc_tf.models.io import save_keras

    init = save_keras(build_model("stdc1_seg50", num_classes=19), tmp_path / "float.keras")
    cfg = tiny(tmp_path, strategy="mirrored", qat=True, init=str(init), optimizer="adam",
               head_lr_mult=1.0, lr=1e-3, eval_every=0)
    _wait(_run_worker(tmp_path / "q.npz", cfg, "--cpu-replicas", "2", "--fixed-batch", "--distinct"))
    result = np.load(tmp_path / "q.npz")
    losses = {k: float(result[k]) for k in result.files if k.startswith("loss/")}
    assert losses and all(np.isfinite(v) for v in losses.values()), losses
    weights = [k for k in result.files if k.startswith("w/") and "kernel" in k and "quant" not in k]
    changed = sum(not np.array_equal(result[k], result["w0" + k[1:]]) for k in weights)
    assert changed > 0.5 * len(weights), (changed, len(weights))
    ranges = [k for k in result.files if k.startswith("w/") and k.endswith(("_min:0", "_max:0"))]
    assert ranges, "no fake-quant ranges in the QAT model"
    assert json.dumps(losses)


@pytest.mark.slow
def test_qat_model_exports_to_onnx_with_explicit_qdq(tmp_path):
    """The QAT model becomes an ONNX with QuantizeLinear/DequantizeLinear (what a strongly typed
    int8 TensorRT engine is built from): every conv weight is dequantized from int8, and
    onnxruntime agrees with the QAT model (up to rounding: fake-quant rounds half away from zero,
    QuantizeLinear to even, and the converter folds BN into the quantized conv)."""
    import onnx
    import onnxruntime as ort
    import tensorflow_model_optimization as tfmot
    import tf_keras

    from stdc_tf.export.contract import AS_IS
    from stdc_tf.export.onnx import export_onnx
    from stdc_tf.quantization.bridge import to_tf_keras
    from stdc_tf.quantization.qat import quantize

    tf_keras.utils.set_random_seed(0)   # the error bound holds for these weights, not any
    inputs = tf_keras.Input((32, 32, 3))
    x = tf_keras.layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    x = tf_keras.layers.BatchNormalization()(x)
    x = tf_keras.layers.ReLU()(x)
    small = tfmot.quantization.keras.quantize_model(tf_keras.Model(inputs, tf_keras.layers.Conv2D(4, 1)(x)))
    images = np.random.default_rng(0).standard_normal((4, 32, 32, 3)).astype(np.float32)
    small(images, training=True)
    session = ort.InferenceSession(str(export_onnx(small, tmp_path / "small.onnx", AS_IS.with_(precision="qat")).path),
                                   providers=["CPUExecutionProvider"])
    out = session.run(None, {session.get_inputs()[0].name: images})[0]
    ref = np.asarray(small(images, training=False))
    assert np.abs(out - ref).max() < 0.05 * np.abs(ref).max()

    qat = quantize(to_tf_keras(build_model("stdc1_seg50", num_classes=5, input_shape=(*SIZE, 3))))
    qat(np.random.default_rng(1).standard_normal((2, *SIZE, 3)).astype(np.float32), training=True)
    graph = onnx.load(str(export_onnx(inference_model(qat), tmp_path / "qat.onnx",
                                      AS_IS.with_(precision="qat")).path)).graph
    produced_by = {o: n for n in graph.node for o in n.output}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    assert len(convs) > 30
    inits = {i.name: i for i in graph.initializer}
    int8 = {name for name, i in inits.items() if i.data_type == onnx.TensorProto.INT8}
    for conv in convs:   # int8 weights, per output channel (BN folded in), dequantized at the conv
        weight = produced_by.get(conv.input[1])
        assert weight is not None and weight.op_type == "DequantizeLinear", conv.name
        assert weight.input[0] in int8 and weight.attribute[0].i == 0, conv.name
        out_channels = inits[weight.input[0]].dims[0]
        scale = onnx.numpy_helper.to_array(inits[weight.input[1]])
        assert scale.shape == (out_channels,), (conv.name, scale.shape, out_channels)
        if ".skip/" not in conv.name:   # the skip pool's fixed 1/9 kernel has one value per channel alike
            assert len(np.unique(scale)) > 1, conv.name   # really one scale per channel
    assert sum(n.op_type == "QuantizeLinear" for n in graph.node) >= 30   # the activations


def test_kernel_similarity_tells_a_fine_tune_from_another_run():
    """What the deployment report warns on: a --qat-model not fine-tuned from --model."""
    import keras

    from stdc_tf.quantization.bridge import to_tf_keras
    from stdc_tf.quantization.qat import quantize
    from stdc_tf.quantization.trained import SAME_RUN_SIMILARITY, kernel_similarity

    keras.utils.set_random_seed(0)
    model = build_model("stdc1_seg50", num_classes=5, input_shape=(*SIZE, 3))
    qat = quantize(to_tf_keras(model))
    keras.utils.set_random_seed(1)
    other = build_model("stdc1_seg50", num_classes=5, input_shape=(*SIZE, 3))
    assert kernel_similarity(qat, model) > 0.999
    assert abs(kernel_similarity(qat, other)) < 0.1 < SAME_RUN_SIMILARITY
    assert kernel_similarity(qat, build_model("stdc1", input_shape=(64, 64, 3))) is not None   # backbone shared


def test_each_precision_names_the_file_it_takes_before_loading(tmp_path):
    """A QAT .h5 given to a float precision, or a float .keras given to qat: one line that says
    which precision the file is for, before the file is read."""
    from stdc_tf.errors import ConfigError
    from stdc_tf.quantization.trained import load_trained_model

    with pytest.raises(ConfigError, match=r"q\.h5 is a quantization-aware \(QAT\) \.h5 model: convert it "
                                          r"with precision qat"):
        load_trained_model(tmp_path / "q.h5", quantized=False)
    with pytest.raises(ConfigError, match=r"f\.keras is a float \.keras model: precision qat takes the QAT "
                                          r"trainer's \.h5"):
        load_trained_model(tmp_path / "f.keras", quantized=True)
