"""The model zoo: shapes, graphs, presets, tf_keras twin, save/load, LiteRT ops, MACs/params."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from stdc_tf.models import PRESETS, build_model, build_stdc_seg, get_preset, inference_model
from stdc_tf.models.io import load_keras, save_keras
from stdc_tf.models.summary import summarize


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(1, h, w, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def seg():
    return build_model("stdc1_seg50", num_classes=5)


@pytest.mark.parametrize("hw", [(64, 128), (72, 100), (45, 61)])
def test_any_input_size(seg, hw):
    out = seg(_image(*hw), training=False)
    assert set(out) == {"out", "out16", "out32", "detail8"}
    for key in ("out", "out16", "out32"):
        assert out[key].shape == (1, *hw, 5)
    # stride-2 ops pad 1 on each side: every stage is ceil(h / 2)
    h8, w8 = hw
    for _ in range(3):
        h8, w8 = -(-h8 // 2), -(-w8 // 2)
    assert out["detail8"].shape == (1, h8, w8, 1)


def test_stdc2_and_fixed_input_shape():
    model = build_model("stdc2_seg75", num_classes=3, input_shape=(96, 160, 3))
    assert model.input.shape[1:3] == (96, 160)
    assert model(_image(96, 160), training=False)["out"].shape == (1, 96, 160, 3)


def test_inference_graph_shares_weights_and_computes_only_the_main_head(seg):
    infer = inference_model(seg)
    x = _image(64, 96, seed=1)
    np.testing.assert_allclose(infer(x, training=False), seg(x, training=False)["out"], atol=1e-6)
    names = {layer.name for layer in infer.layers}
    assert not any(n.startswith(("conv_out16", "conv_out32", "conv_out_sp")) for n in names)
    assert infer.get_layer("conv_out.conv_out") is seg.get_layer("conv_out.conv_out")


@pytest.mark.parametrize("strides", [(), (8,), (2, 4, 8), (16,)])
def test_selectable_detail_heads(strides):
    model = build_stdc_seg("stdc1", 4, (64, 64, 3), detail_strides=strides)
    out = model(_image(64, 64), training=False)
    assert {k for k in out if k.startswith("detail")} == {f"detail{s}" for s in strides}
    for s in strides:
        assert out[f"detail{s}"].shape == (1, 64 // s, 64 // s, 1)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="valid presets: stdc1, stdc2, stdc1_seg50"):
        get_preset("stdc3_seg50")
    with pytest.raises(ValueError, match=r"detail stride\(s\) \[3\]"):
        build_stdc_seg("stdc1", 19, detail_strides=(3,))
    with pytest.raises(ValueError, match="unknown backbone 'stdc9'"):
        build_stdc_seg("stdc9", 19)


def test_presets_registry():
    assert set(PRESETS) == {"stdc1", "stdc2", "stdc1_seg50", "stdc2_seg50", "stdc1_seg75",
                            "stdc2_seg75"}
    assert get_preset("stdc2_seg75").input_size == (768, 1536)
    assert get_preset("stdc1_seg50").eval_scale == 0.5


def test_tf_keras_builds_the_same_model():
    import tf_keras

    k3 = build_model("stdc1_seg50", num_classes=4, input_shape=(64, 96, 3))
    k2 = build_model("stdc1_seg50", num_classes=4, input_shape=(64, 96, 3), k=tf_keras)
    assert type(k2).__module__.startswith("tf_keras")
    weighted = [layer for layer in k3.layers if layer.weights]
    assert len(weighted) == len([layer for layer in k2.layers if layer.weights])
    for layer in weighted:
        k2.get_layer(layer.name).set_weights(layer.get_weights())
    x = _image(64, 96, seed=2)
    a, b = k3(x, training=False), k2(x, training=False)
    for key in a:
        np.testing.assert_allclose(np.asarray(a[key]), np.asarray(b[key]), atol=1e-5, rtol=1e-5)


def test_keras_file_round_trip(seg, tmp_path):
    path = save_keras(seg, tmp_path / "model.keras")
    loaded = load_keras(path)
    x = _image(64, 64, seed=3)
    for key, value in seg(x, training=False).items():
        np.testing.assert_array_equal(np.asarray(loaded(x, training=False)[key]), np.asarray(value))
    assert not list(tmp_path.glob(".*tmp*")), "temporary files left behind"
    with pytest.raises(ValueError, match="must end in .keras"):
        save_keras(seg, tmp_path / "model.h5")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="broken.keras is not a .keras archive"):
        load_keras(tmp_path / "broken.keras")
    (tmp_path / "empty.keras").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty.keras is empty \(0 bytes\)"):
        load_keras(tmp_path / "empty.keras")
    (tmp_path / "truncated.keras").write_bytes(path.read_bytes()[:4096])
    with pytest.raises(ValueError, match="truncated.keras is not a .keras archive"):
        load_keras(tmp_path / "truncated.keras")


def test_plain_keras_load_model_reads_toolkit_files_after_import_stdc_tf(tmp_path):
    """In a fresh process that builds nothing: ``import stdc_tf`` is all it takes (the custom
    layer registers when keras loads, whichever of the two is imported first)."""
    import subprocess
    import sys

    from stdc_tf.models.io import save_keras

    save_keras(build_model("stdc1_seg50", num_classes=3, input_shape=(32, 64, 3)), tmp_path / "m.keras")
    for order in ("import stdc_tf, keras", "import keras, stdc_tf"):
        code = (f"{order}; m = keras.saving.load_model({str(tmp_path / 'm.keras')!r}); "
                f"print(type(m.get_layer('out.up')).__name__)")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and proc.stdout.strip() == "ResizeLike", proc.stderr[-1500:]
        if order.startswith("import stdc_tf"):   # loaded first, it keeps TensorFlow's start-up lines out
            assert "oneDNN" not in proc.stderr and "cuda" not in proc.stderr.lower(), proc.stderr


def test_layer_groups_survive_wrapping_and_prefixed_renames():
    """The model describes itself through reference names found inside wrappers and prefixes, so
    a tfmot-wrapped or renamed layer lands in the same group as the plain one."""
    import tf_keras

    from stdc_tf.models import describe_model
    from stdc_tf.models.structure import inner_layer, layer_part, reference_name
    from stdc_tf.training.task import variable_groups

    model = build_model("stdc2_seg50", num_classes=7, input_shape=(64, 64, 3), detail_strides=(4, 8))
    plain = {reference_name(layer): layer_part(layer) for layer in model.layers}
    structure = describe_model(model)
    assert (structure.backbone, structure.preset, structure.num_classes) == ("stdc2", "stdc2_seg50", 7)
    assert structure.output_keys == ("out", "out16", "out32", "detail4", "detail8")
    assert structure.detail_strides == (4, 8)
    assert plain["features.3.conv_list.0.conv"] == "backbone" and plain["ffm.conv1"] == "ffm"
    assert plain["conv_out_sp8.conv_out"] == "detail_head" and plain["arm16.conv.bn"] == "context"

    class Wrapper(tf_keras.layers.Wrapper):   # what tfmot's QuantizeWrapper looks like from outside
        def call(self, inputs):
            return self.layer(inputs)

    k2 = build_model("stdc1_seg50", num_classes=4, input_shape=(64, 64, 3), k=tf_keras)
    groups = {n: {v.name for v in vs} for n, vs in variable_groups(k2, True).items()}
    wrapped = tf_keras.models.clone_model(k2, clone_function=lambda layer: Wrapper(
        layer.__class__.from_config(layer.get_config()), name=f"quant_{layer.name}")
        if layer.weights else layer.__class__.from_config(layer.get_config()))
    assert all(isinstance(layer, Wrapper) for layer in wrapped.layers if layer.weights)
    for layer in wrapped.layers:
        assert layer_part(layer) == layer_part(k2.get_layer(inner_layer(layer).name)), layer.name
    renamed = {n: {v.name for v in vs} for n, vs in variable_groups(wrapped, True).items()}
    assert {n: len(v) for n, v in renamed.items()} == {n: len(v) for n, v in groups.items()}
    assert describe_model(wrapped).backbone == "stdc1" and describe_model(wrapped).num_classes == 4
    for name, reference in (("student/features.2.conv_list.0.conv", "features.2.conv_list.0.conv"),
                            ("copy_arm32.conv_atten", "arm32.conv_atten"),
                            ("quant_conv_out16.conv.bn", "conv_out16.conv.bn"), ("quantize_layer", None)):
        assert reference_name(type("Layer", (), {"name": name})()) == reference, name


def test_saved_model_serving_signature(seg, tmp_path):
    from stdc_tf.export.contract import AS_IS
    from stdc_tf.export.saved_model import export_saved_model

    infer = inference_model(seg)
    export_saved_model(seg, tmp_path / "sm", AS_IS)      # a training graph exports its inference graph
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    fn = loaded.signatures["serving_default"]
    x = _image(64, 64, seed=4)
    (out,) = fn(tf.constant(x)).values()
    np.testing.assert_allclose(out.numpy(), infer(x, training=False), atol=1e-5)


def test_custom_layers_become_builtin_litert_ops(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    infer = inference_model(build_model("stdc1_seg50", num_classes=3, input_shape=(64, 64, 3)))
    converter = tf.lite.TFLiteConverter.from_keras_model(infer)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    interp = Interpreter(model_content=converter.convert(),
                         experimental_op_resolver_type=__import__(
                             "ai_edge_litert.interpreter", fromlist=["OpResolverType"]
                         ).OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    ops = {op["op_name"] for op in interp._get_ops_details()}
    assert {"RESIZE_BILINEAR", "DEPTH_TO_SPACE", "DEPTHWISE_CONV_2D"} <= ops   # XNNPACK-friendly forms
    assert not any(op.startswith("Flex") for op in ops)
    interp.allocate_tensors()
    x = _image(64, 64, seed=5)
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    ref = np.asarray(infer(x, training=False))
    assert np.abs(got - ref).max() / np.abs(ref).max() < 1e-4


@pytest.mark.parametrize("preset,macs,params", [("stdc1", 806.1e6, 8.444e6),
                                                ("stdc2", 1437.1e6, 12.474e6)])
def test_classifier_macs_and_params_match_the_reference(preset, macs, params):
    total_params, total_macs = summarize(build_model(preset))["total"]
    assert abs(total_macs - macs) / macs < 0.005
    assert abs(total_params - params) / params < 0.005


def test_segmentation_inference_path_macs():
    model = inference_model(build_model("stdc1_seg50", input_shape=(512, 1024, 3)))
    params, macs = summarize(model)["total"]
    assert abs(macs - 16.86e9) / 16.86e9 < 0.005
    assert abs(params - 8.275e6) / 8.275e6 < 0.005


@pytest.mark.parametrize("bad", [True, "19", 0, 2.0])
def test_build_model_refuses_a_class_count_that_is_not_a_positive_int(bad):
    from stdc_tf.errors import ConfigError

    with pytest.raises(ConfigError, match=f"num_classes must be a positive int, got {bad!r}"):
        build_model("stdc1_seg50", num_classes=bad)


def test_the_trained_input_size_is_recorded_in_keras_and_h5_files(tmp_path):
    """One reader for both formats; a file without the record (or not a model) gives None."""
    import h5py

    from conftest import color_model
    from stdc_tf.models.io import record_input_size, trained_input_size

    model = color_model((16, 24, 3))
    save_keras(model, tmp_path / "sized.keras", (16, 24))
    save_keras(model, tmp_path / "plain.keras")
    assert trained_input_size(tmp_path / "sized.keras") == (16, 24)
    assert trained_input_size(tmp_path / "plain.keras") is None
    assert load_keras(tmp_path / "sized.keras").count_params() == model.count_params()
    with h5py.File(tmp_path / "q.h5", "w") as f:
        f.create_dataset("w", data=[1.0])
    assert trained_input_size(tmp_path / "q.h5") is None
    record_input_size(tmp_path / "q.h5", (128, 256))
    assert trained_input_size(tmp_path / "q.h5") == (128, 256)
    (tmp_path / "text.keras").write_text("not a zip")
    assert trained_input_size(tmp_path / "text.keras") is None
