"""The QAT schemes (stdc_tf.quantization.schemes): the ``tensorrt`` scheme places symmetric
fake-quant on the inputs of Conv/Add/Concat/Mul only, its trained STDC1 model exports to an ONNX
whose Q/DQ TensorRT 10's rules accept (after the exact UINT8(128) → INT8(0) rewrite), the
``litert`` scheme stays the default; untrained ranges are refused in one line."""
from __future__ import annotations

import argparse

import numpy as np
import pytest

from stdc_tf.errors import ConfigError
from stdc_tf.models import build_model, inference_model

SIZE = (64, 128)


@pytest.fixture(scope="module")
def float_tf_keras():
    import keras

    from stdc_tf.quantization.bridge import to_tf_keras

    keras.utils.set_random_seed(3)
    return to_tf_keras(build_model("stdc1_seg50", num_classes=5, input_shape=(*SIZE, 3)))


@pytest.fixture(scope="module")
def trained_tensorrt_qat(float_tf_keras):
    """The tensorrt-scheme QAT model after a few real optimizer steps (ranges and weights move)."""
    import tensorflow as tf
    import tf_keras

    from stdc_tf.quantization.qat import quantize

    qat = quantize(float_tf_keras, "tensorrt")
    rng = np.random.default_rng(0)
    optimizer = tf_keras.optimizers.Adam(1e-3)
    for _ in range(3):
        x = rng.standard_normal((2, *SIZE, 3)).astype(np.float32)
        y = rng.integers(0, 5, (2, *SIZE))
        with tf.GradientTape() as tape:
            logits = qat(x, training=True)["out"]
            loss = tf.reduce_mean(tf_keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, qat.trainable_variables), qat.trainable_variables))
    return qat


def to_onnx_proto(model):
    """What the ONNX export does with a QAT model (tf2onnx, then per-channel int8 conv weights)."""
    import tensorflow as tf
    import tf2onnx

    from stdc_tf.export.onnx import quantize_conv_weights

    net = inference_model(model)
    signature = [tf.TensorSpec((None, *SIZE, 3), tf.float32, name="image")]
    proto, _ = tf2onnx.convert.from_function(tf.function(lambda image: {"logits": net(image, training=False)}),
                                             input_signature=signature, opset=17)
    quantize_conv_weights(proto)
    return proto


def test_scheme_option_is_validated_and_on_the_command_line(tmp_path):
    from stdc_tf.training.config import TrainConfig, add_arguments, load_config

    init = str(tmp_path / "float.keras")
    assert TrainConfig(output_dir=str(tmp_path)).qat_scheme == "litert"
    cfg = TrainConfig(qat=True, init=init, qat_scheme="tensorrt", output_dir=str(tmp_path))
    assert cfg.qat_scheme == "tensorrt"
    with pytest.raises(ConfigError, match="unknown --qat-scheme 'tflite'; valid: litert, tensorrt"):
        TrainConfig(qat=True, init=init, qat_scheme="tflite", output_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="--qat-scheme tensorrt chooses how --qat quantizes: add --qat"):
        TrainConfig(qat_scheme="tensorrt", output_dir=str(tmp_path))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--qat", "--init", init, "--qat-scheme", "tensorrt", "--output-dir", str(tmp_path)])
    assert load_config(args).qat_scheme == "tensorrt"


def test_tensorrt_placement_quantizes_exactly_the_inputs_of_conv_add_concat_mul(float_tf_keras):
    from stdc_tf.models.structure import layer_kind
    from stdc_tf.quantization.schemes import QUANTIZED_CONSUMERS, consumers, tensorrt_placement

    placement = tensorrt_placement(float_tf_keras)
    fed = consumers(float_tf_keras)
    kinds = {layer.name: layer_kind(layer) for layer in float_tf_keras.layers}
    for name, config in placement.items():
        assert config.quantize_output == any(k in QUANTIZED_CONSUMERS for k in fed[name]), name
        if kinds[name] in ("Conv2D", "BatchNormalization") and set(fed[name]) <= {"BatchNormalization", "ReLU"}:
            assert not config.quantize_output, f"fake-quant between {name} and its BN/ReLU"
        if kinds[name] == "Conv2D":
            assert (config.weights, config.per_axis) == ("kernel", True), name
        if kinds[name] == "DepthwiseConv2D":
            assert config.weights == "depthwise_kernel", name
    quantized = {kinds[n] for n, c in placement.items() if c.quantize_output}
    assert {"ReLU", "Concatenate", "Multiply", "Activation", "AveragePool3x3"} <= quantized
    assert not placement["conv_out.conv_out"].quantize_output   # the logits stay float


def test_tensorrt_qat_quantizers_are_symmetric(trained_tensorrt_qat):
    from stdc_tf.quantization.ranges import untrained_ranges

    wrappers = [layer for layer in trained_tensorrt_qat.layers if hasattr(layer, "quantize_config")]
    assert len(wrappers) > 150
    for layer in wrappers:
        for _, quantizer in layer.quantize_config.get_weights_and_quantizers(layer.layer):
            assert quantizer.symmetric and quantizer.narrow_range
        for quantizer in layer.quantize_config.get_output_quantizers(layer.layer):
            assert quantizer.symmetric and not quantizer.narrow_range and not quantizer.per_axis
    inputs = [layer for layer in trained_tensorrt_qat.layers if type(layer).__name__ == "QuantizeLayer"]
    assert len(inputs) == 1 and inputs[0].quantizer.symmetric
    assert untrained_ranges(trained_tensorrt_qat) == []


@pytest.mark.slow
def test_trained_tensorrt_qat_onnx_has_no_qdq_tensorrt_refuses(trained_tensorrt_qat, tmp_path):
    import onnxruntime as ort

    from stdc_tf.export.qdq import symmetric_int8_qdq
    from stdc_tf.export.tensorrt_rules import check_tensorrt_onnx, qdq_summary, tensorrt_violations
    from stdc_tf.quantization.qat import load_qat, save_qat

    model = load_qat(save_qat(trained_tensorrt_qat, tmp_path / "trt.h5"))   # the scheme survives .h5
    proto = to_onnx_proto(model)
    before = qdq_summary(proto)
    assert before["qdq_nodes"] > 100 and before["refused"] > 100   # tf2onnx writes UINT8 zero point 128
    x = np.random.default_rng(5).standard_normal((2, *SIZE, 3)).astype(np.float32)
    session = lambda p: ort.InferenceSession(p.SerializeToString(), providers=["CPUExecutionProvider"])
    out_uint8 = session(proto).run(None, {"image": x})[0]
    assert symmetric_int8_qdq(proto) == before["refused"]
    assert tensorrt_violations(proto) == []
    check_tensorrt_onnx(proto)
    assert qdq_summary(proto) == {"qdq_nodes": before["qdq_nodes"], "refused": 0}
    np.testing.assert_array_equal(session(proto).run(None, {"image": x})[0], out_uint8)   # exact rewrite
    keras_out = np.asarray(inference_model(model)(x, training=False))
    agreement = (out_uint8.argmax(-1) == keras_out.argmax(-1)).mean()
    assert agreement > 0.95, agreement
    # where the Q/DQ sit: before Conv/Add/Concat/Mul, never between a conv and a BN/ReLU
    graph = proto.graph
    producer = {o: n for n in graph.node for o in n.output}
    users: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node.op_type)
    for node in graph.node:
        if node.op_type == "QuantizeLinear":
            source = producer.get(node.input[0])
            dq_users = {u for dq in graph.node if dq.op_type == "DequantizeLinear" and dq.input[0] == node.output[0]
                        for u in users.get(dq.output[0], [])}
            assert not (source is not None and source.op_type == "Conv" and dq_users & {"BatchNormalization", "Relu"})


@pytest.mark.slow
def test_litert_scheme_is_the_default_and_is_what_tensorrt_refuses(float_tf_keras):
    from stdc_tf.export.qdq import symmetric_int8_qdq
    from stdc_tf.export.tensorrt_rules import qdq_summary
    from stdc_tf.quantization.qat import quantize

    qat = quantize(float_tf_keras)
    qat(np.random.default_rng(0).standard_normal((2, *SIZE, 3)).astype(np.float32), training=True)
    proto = to_onnx_proto(qat)
    symmetric_int8_qdq(proto)
    summary = qdq_summary(proto)
    assert summary["refused"] > 50, summary   # asymmetric UINT8 zero points remain


def test_untrained_ranges_are_refused_in_one_line(float_tf_keras):
    from stdc_tf.quantization.qat import quantize
    from stdc_tf.quantization.ranges import UntrainedRangesError, require_trained_ranges, untrained_ranges

    for scheme in ("litert", "tensorrt"):
        qat = quantize(float_tf_keras, scheme)
        assert untrained_ranges(qat), scheme
        with pytest.raises(UntrainedRangesError) as err:
            require_trained_ranges(qat, "m.h5")
        message = str(err.value)
        assert "\n" not in message and message.startswith("m.h5: 1 of ")
        assert "fake-quant ranges were never trained (min == max: quantize_layer" in message
        qat(np.random.default_rng(0).standard_normal((1, *SIZE, 3)).astype(np.float32), training=True)
        require_trained_ranges(qat, "m.h5")
    with pytest.raises(ConfigError, match="unknown QAT scheme 'int4'"):
        quantize(float_tf_keras, "int4")
