"""Reference checkpoint import: real-checkpoint quirks, strictness, backbone-only, .pth, CLI."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import DATA, ROOT, run_cli
from stdc_tf.models import build_model
from stdc_tf.models.backbone import backbone_spec
from stdc_tf.weights import CheckpointError, load_reference_weights
from stdc_tf.weights.parity import seeded_weights

SEG_CASE = json.loads((DATA / "stdc1_seg_64x128.json").read_text())
CLS_CASE = json.loads((DATA / "stdc1_cls_64x64.json").read_text())


def _seg_state() -> dict[str, np.ndarray]:
    return seeded_weights(SEG_CASE["weights"], SEG_CASE["seed"])


def _alias(key: str, variant: str = "stdc1") -> str:
    """``features.N.…`` under the reference's ``x{2..32}.0.N.…`` Sequential alias."""
    n = int(key.split("features.")[1].split(".")[0])
    ends = np.cumsum((1, 1, *backbone_spec(variant).layers))
    group = (2, 4, 8, 16, 32)[int(np.searchsorted(ends, n + 1))]
    return key.replace(f"features.{n}.", f"x{group}.0.{n}.")


def _model():
    return build_model("stdc1_seg50", num_classes=19, input_shape=(64, 64, 3))


def _outputs(model) -> dict[str, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(1, 64, 64, 3)).astype(np.float32)
    return {k: np.asarray(v) for k, v in model(x, training=False).items()}


@pytest.fixture(scope="module")
def clean_outputs():
    model = _model()
    load_reference_weights(model, _seg_state())
    return _outputs(model)


def test_real_checkpoint_quirks_are_tolerated(clean_outputs):
    state = {}
    for key, value in _seg_state().items():
        state[f"module.{key}"] = value
        if ".bn." in key and key.startswith("cp.backbone.") and key.endswith("running_var"):
            state[f"module.{key[:-len('running_var')]}num_batches_tracked"] = np.array(7)
        if key.startswith("cp.backbone.features."):
            state[f"module.{_alias(key)}"] = value
    model = _model()
    report = load_reference_weights(model, {"state_dict": state, "epoch": 3})
    assert report.part == "full"
    assert any(k.startswith("conv_out_sp2") for k in report.skipped)
    for key, value in _outputs(model).items():
        np.testing.assert_array_equal(value, clean_outputs[key])


def test_alias_only_checkpoint(clean_outputs):
    state = {(_alias(k) if k.startswith("cp.backbone.features.") else k): v
             for k, v in _seg_state().items()}
    assert not any("features." in k for k in state)
    model = _model()
    load_reference_weights(model, state)
    np.testing.assert_array_equal(_outputs(model)["out"], clean_outputs["out"])


def test_head_batchnorm_uses_abs_weight_plus_eps():
    state = _seg_state()
    model = _model()
    load_reference_weights(model, state)
    gamma = model.get_layer("arm16.conv.bn").get_weights()[0]
    np.testing.assert_allclose(gamma, np.abs(state["cp.arm16.conv.bn.weight"]) + 1e-5)
    backbone_gamma = model.get_layer("features.0.bn").get_weights()[0]
    np.testing.assert_array_equal(backbone_gamma, state["cp.backbone.features.0.bn.weight"])
    assert (state["cp.arm16.conv.bn.weight"] < 0).any()


def test_strict_errors_name_the_keys():
    state = _seg_state()
    del state["cp.arm16.conv_atten.weight"]
    with pytest.raises(CheckpointError, match=r"missing from the checkpoint: arm16\.conv_atten\[0\]"):
        load_reference_weights(_model(), state)
    state = {**_seg_state(), "cp.mystery.weight": np.zeros(3, np.float32)}
    with pytest.raises(CheckpointError, match=r"1 unexpected key\(s\): mystery\.weight"):
        load_reference_weights(_model(), state)
    report = load_reference_weights(_model(), state, strict=False)
    assert len(report.loaded) + len(report.skipped) == len(state) - 1
    state = _seg_state()
    state["ffm.conv1.weight"] = np.zeros((64, 200, 1, 1), np.float32)
    with pytest.raises(CheckpointError, match=r"ffm\.conv1\.weight: checkpoint \(64, 200, 1, 1\).*"
                                              r"vs model \(1, 1, 256, 64\)"):
        load_reference_weights(_model(), state, strict=False)


def test_wrong_num_classes_is_a_shape_error():
    model = build_model("stdc1_seg50", num_classes=11, input_shape=(64, 64, 3))
    with pytest.raises(CheckpointError, match=r"conv_out\.conv_out\.weight: checkpoint \(19, 256, 1, 1\)"
                                              r".*likely cause: the checkpoint has 19 classes"):
        load_reference_weights(model, _seg_state())


def test_backbone_checkpoint_into_segmentation_model():
    imagenet = seeded_weights(CLS_CASE["weights"], CLS_CASE["seed"])   # keys "features.…", "fc.…"
    model = _model()
    heads_before = model.get_layer("conv_out.conv_out").get_weights()[0].copy()
    report = load_reference_weights(model, imagenet)
    assert report.part == "backbone"
    assert {k.split(".")[0] for k in report.skipped} == {"conv_last", "fc", "bn", "linear"}
    np.testing.assert_array_equal(model.get_layer("conv_out.conv_out").get_weights()[0], heads_before)
    kernel = model.get_layer("features.1.conv").get_weights()[0]
    np.testing.assert_array_equal(kernel, imagenet["features.1.conv.weight"].transpose(2, 3, 1, 0))
    with pytest.raises(CheckpointError, match="missing"):
        load_reference_weights(_model(), imagenet, part="full")


class Payload:
    """What a malicious or careless checkpoint pickles besides tensors."""


def test_pth_file_via_torch(tmp_path, clean_outputs):
    torch = pytest.importorskip("torch", reason="torch is installed by .ci/run for this test")
    state = {f"module.{k}": torch.from_numpy(v) for k, v in _seg_state().items()}
    torch.save({"state_dict": state}, tmp_path / "model_maxmIOU50.pth")
    model = _model()
    load_reference_weights(model, tmp_path / "model_maxmIOU50.pth")
    np.testing.assert_array_equal(_outputs(model)["out"], clean_outputs["out"])
    (tmp_path / "junk.pth").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="junk.pth: not a plain tensor checkpoint") as info:
        load_reference_weights(_model(), tmp_path / "junk.pth")
    assert "weights_only=False" not in str(info.value)

    torch.save({"state_dict": state, "extra": Payload()}, tmp_path / "pickled.pth")
    with pytest.raises(CheckpointError, match="pickled Python objects, and pickled code is refused") as info:
        load_reference_weights(_model(), tmp_path / "pickled.pth")
    assert "weights_only" not in str(info.value)
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty.pth is empty \(0 bytes\)"):
        load_reference_weights(_model(), tmp_path / "empty.pth")


def test_stdc1_checkpoint_into_stdc2_is_short_and_names_the_cause():
    model = build_model("stdc2_seg50", num_classes=19, input_shape=(64, 64, 3))
    with pytest.raises(CheckpointError) as info:
        load_reference_weights(model, _seg_state())
    message = str(info.value)
    assert len(message) < 1200 and "\n" not in message
    assert "more)" in message and "likely cause: the checkpoint is STDC1, the model STDC2" in message


def test_without_torch_the_error_says_how_to_install(tmp_path):
    (tmp_path / "a.pth").write_bytes(b"x")
    code = ("import sys; sys.modules['torch'] = None\n"
            "from stdc_tf.weights.reference import read_checkpoint\n"
            f"read_checkpoint({str(tmp_path / 'a.pth')!r})")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0
    assert "needs PyTorch" in proc.stderr and "whl/cpu" in proc.stderr


def test_import_cli(tmp_path, clean_outputs):
    np.savez(tmp_path / "ckpt.npz", **_seg_state())
    out = tmp_path / "m.keras"
    proc = run_cli("convert/import_reference.py", "--checkpoint", str(tmp_path / "ckpt.npz"),
                   "--preset", "stdc1_seg50", "--num-classes", "19", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "imported" in proc.stdout and out.is_file()
    from stdc_tf.models.io import load_keras
    np.testing.assert_array_equal(_outputs(load_keras(out))["out"], clean_outputs["out"])

    proc = run_cli("convert/import_reference.py", "--checkpoint", str(tmp_path / "nope.pth"),
                   "--preset", "stdc1_seg50", "--output", str(tmp_path / "x.keras"))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"error: checkpoint not found: {tmp_path / 'nope.pth'}"]
    assert not (tmp_path / "x.keras").exists()
    started = time.perf_counter()   # refused before the checkpoint is read or TensorFlow loads
    proc = run_cli("convert/import_reference.py", "--checkpoint", str(tmp_path / "ckpt.npz"),
                   "--preset", "stdc1_seg50", "--output", str(tmp_path / "x.h5"))
    assert proc.returncode == 2 and "must end in .keras" in proc.stderr.strip().splitlines()[-1]
    assert time.perf_counter() - started < 10 and not (tmp_path / "x.h5").exists()
    (tmp_path / "zero.pth").write_bytes(b"")
    proc = run_cli("convert/import_reference.py", "--checkpoint", str(tmp_path / "zero.pth"),
                   "--preset", "stdc1_seg50", "--output", str(tmp_path / "x.keras"))
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'zero.pth'} is empty (0 bytes): not a checkpoint"]
    proc = run_cli("convert/import_reference.py", "--checkpoint", "a", "--preset", "stdc9",
                   "--output", "x.keras")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_summary_cli():
    proc = run_cli("-m", "stdc_tf.commands.summary", "stdc1")
    assert proc.returncode == 0, proc.stderr
    total = [line for line in proc.stdout.splitlines() if line.startswith("total")][0]
    assert total.split()[1:] == ["8.442", "0.806"]
    proc = run_cli("-m", "stdc_tf.commands.summary", "nope")
    assert proc.returncode == 2 and "valid presets" in proc.stderr


def test_import_cli_class_count_limit_is_for_segmentation_only(tmp_path):
    """8-bit class maps bound segmentation presets to 255 classes; a classifier takes 1000."""
    seg = run_cli("convert/import_reference.py", "--checkpoint", str(tmp_path / "nope.pth"),
                  "--preset", "stdc1_seg50", "--num-classes", "1000", "--output", str(tmp_path / "s.keras"))
    assert seg.returncode == 2 and "1..255 for segmentation preset stdc1_seg50" in seg.stderr
    cls = run_cli("convert/import_reference.py", "--checkpoint", str(tmp_path / "nope.pth"),
                  "--preset", "stdc2", "--num-classes", "1000", "--output", str(tmp_path / "c.keras"))
    # past the class check: it stops at the missing checkpoint, not at --num-classes
    assert cls.returncode == 1 and "checkpoint not found" in cls.stderr, cls.stderr
