"""The trainer: config/CLI, learning on the quickstart data, multi-replica equivalence,
two-worker MultiWorkerMirroredStrategy on loopback, SIGKILL + resume, non-finite loss."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from conftest import ROOT, run_cli
from stdc_tf.errors import ConfigError
from stdc_tf.training.config import TrainConfig, load_config
from stdc_tf.training.schedule import WarmupPoly

WORKER = str(ROOT / "tests" / "distributed_worker.py")


def tiny(tmp_path, **overrides) -> dict:
    """A config that trains in seconds: 64x128 synthetic images, batch 4."""
    cfg = dict(dataset="synthetic", data_root=str(tmp_path.parent / "synthetic_tiny"),
               synthetic_size=[64, 128], synthetic_counts=[16, 4], crop_size=[64, 128],
               scales=[1.0, 1.25], batch_size=4, iterations=4, warmup_iters=2,
               eval_every=0, eval_scales=[1.0], checkpoint_every=2, log_every=1,
               output_dir=str(tmp_path / "run"))
    cfg.update(overrides)
    return cfg


def flags(cfg: dict) -> list[str]:
    """The command-line form of a config dict."""
    out = []
    for key, value in cfg.items():
        out.append(f"--{key.replace('_', '-')}")
        out.extend(map(str, value) if isinstance(value, list) else [str(value)])
    return out


def test_schedule_matches_the_reference_formula():
    s = WarmupPoly(0.01, 60000, 1000, 1e-5, 0.9)
    assert float(s(0)) == pytest.approx(1e-5)
    assert float(s(500)) == pytest.approx(1e-5 * 1000 ** 0.5, rel=1e-4)
    assert float(s(1000)) == pytest.approx(0.01)
    assert float(s(30500)) == pytest.approx(0.01 * 0.5 ** 0.9, rel=1e-4)
    assert float(s(60000)) == pytest.approx(0.0, abs=1e-9)


def test_config_precedence_and_errors(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("batch_size: 7\ncrop_size: [32, 64]\n")
    cfg = load_config(path=path, iterations=9)
    assert (cfg.batch_size, cfg.crop_size, cfg.iterations, cfg.lr) == (7, [32, 64], 9, 0.01)
    path.write_text("batch_sise: 7\n")
    with pytest.raises(ConfigError, match=r"unknown option\(s\) \['batch_sise'\]"):
        load_config(path=path)
    with pytest.raises(ConfigError, match="--config nope.yaml: no such file"):
        load_config(path="nope.yaml")
    with pytest.raises(ConfigError, match="--crop-size takes two numbers"):
        TrainConfig(crop_size=[1, 2, 3])
    for name in ("cityscapes_stdc1_seg50", "cityscapes_stdc2_seg75", "camvid_stdc1", "quickstart"):
        assert load_config(path=ROOT / "configs" / f"{name}.yaml").iterations > 0


def test_cli_help_documents_every_option_and_bad_input_is_one_line():
    proc = run_cli("training/train.py", "--help")
    assert proc.returncode == 0
    for name in TrainConfig.__dataclass_fields__:
        assert f"--{name.replace('_', '-')}" in proc.stdout
    proc = run_cli("training/train.py", "--preset", "stdc9_seg50", "--iterations", "1")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "train.py: error: unknown --preset 'stdc9_seg50'; valid presets: stdc1, stdc2, stdc1_seg50, "
        "stdc2_seg50, stdc1_seg75, stdc2_seg75"]
    proc = run_cli("training/train.py", "--config", "missing.yaml")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["train.py: error: --config missing.yaml: no such file"]


def test_non_finite_loss_names_the_step_and_terms(tmp_path):
    from stdc_tf.training.trainer import TrainingError, prepare

    cfg = load_config(**tiny(tmp_path, lr=1e12, warmup_iters=0, iterations=10))
    with pytest.raises(TrainingError, match=r"non-finite loss at step \d+: ohem_out="):
        prepare(cfg, verbose=False).fit()


def _run_worker(out, cfg: dict, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, WORKER, str(out), json.dumps(cfg), *extra],
                            cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait(proc: subprocess.Popen, timeout: float = 600) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-3000:]
    return out


@pytest.mark.slow
def test_mirrored_over_two_cpus_equals_one_device(tmp_path):
    cfg = tiny(tmp_path, strategy="mirrored", eval_every=0)
    procs = {n: _run_worker(tmp_path / f"r{n}.npz", cfg, "--cpu-replicas", str(n), "--fixed-batch")
             for n in (1, 2)}
    for proc in procs.values():
        _wait(proc)
    one, two = np.load(tmp_path / "r1.npz"), np.load(tmp_path / "r2.npz")
    losses = [k for k in one.files if k.startswith("loss/")]
    assert "loss/total" in losses
    for key in losses:
        assert two[key] == pytest.approx(one[key], rel=1e-4), key
    weights = [k for k in one.files if k.startswith("w/")]
    assert len(weights) > 200
    # one SGD step from the same initial weights: the whole update vector must agree
    # (single BN betas have near-cancelling gradients, so compare globally, not per tensor)
    for key in weights:
        np.testing.assert_array_equal(one["w0" + key[1:]], two["w0" + key[1:]])
    update = {n: np.concatenate([(r[k] - r["w0" + k[1:]]).ravel() for k in weights])
              for n, r in (("one", one), ("two", two))}
    assert np.linalg.norm(update["one"]) > 0
    rel = np.linalg.norm(update["one"] - update["two"]) / np.linalg.norm(update["one"])
    assert rel < 1e-3, rel


@pytest.mark.slow
def test_head_bn_sync_works_when_replicas_see_different_images(tmp_path):
    """Replicas with different images: synchronized head BNs change the step (identical images
    would hide a sync that does nothing); then the real CLI path with --cpu-replicas 2."""
    cfg = tiny(tmp_path, strategy="mirrored", eval_every=0)
    procs = {sync: _run_worker(tmp_path / f"s{sync}.npz", {**cfg, "sync_bn": sync}, "--cpu-replicas",
                               "2", "--fixed-batch", "--distinct") for sync in (True, False)}
    for proc in procs.values():
        _wait(proc)
    synced, local = np.load(tmp_path / "sTrue.npz"), np.load(tmp_path / "sFalse.npz")
    assert synced["loss/ohem_out"] != pytest.approx(local["loss/ohem_out"], rel=1e-4)
    proc = run_cli("training/train.py", *flags(tiny(tmp_path, iterations=2, eval_every=0)),
                   "--cpu-replicas", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "final val: mIoU100" in proc.stdout


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_two_worker_multi_worker_mirrored_on_loopback(tmp_path):
    ports = _free_ports(4)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports[:2]]}
    cfg = tiny(tmp_path, strategy="multi_worker", iterations=3, checkpoint_every=3)
    procs = [_run_worker(tmp_path / f"w{i}.npz", cfg,
                         env={"TF_CONFIG": json.dumps({"cluster": cluster,
                                                       "task": {"type": "worker", "index": i}})})
             for i in range(2)]
    for proc in procs:
        _wait(proc)
    w0, w1 = np.load(tmp_path / "w0.npz"), np.load(tmp_path / "w1.npz")
    for key in w0.files:
        np.testing.assert_array_equal(w0[key], w1[key], err_msg=key)
    run = tmp_path / "run"
    assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith("ckpt-3")
    assert not list(run.glob(".worker*")), "the non-chief's checkpoint copy must be removed"
    assert (run / "final.keras").is_file()
    trained = [k for k in w0.files if k.startswith("w/")]
    assert sum(not np.array_equal(w0[k], w0["w0" + k[1:]]) for k in trained) > 100, "nothing trained"

    # one step on the same four images: two workers x 1 replica == one process x 2 replicas
    procs = [_run_worker(tmp_path / f"f{i}.npz", cfg, "--fixed-batch", "--distinct",
                         env={"TF_CONFIG": json.dumps({"cluster": {"worker": [
                             f"127.0.0.1:{p}" for p in ports[2:]]}, "task": {"type": "worker", "index": i}})})
             for i in range(2)]
    single = _run_worker(tmp_path / "single.npz", {**cfg, "strategy": "mirrored"}, "--cpu-replicas", "2",
                         "--fixed-batch", "--distinct")
    for proc in (*procs, single):
        _wait(proc)
    multi, one = np.load(tmp_path / "f0.npz"), np.load(tmp_path / "single.npz")
    for key in (k for k in one.files if k.startswith("loss/")):
        assert multi[key] == pytest.approx(one[key], rel=1e-4), key
    weights = [k for k in one.files if k.startswith("w/")]
    update = {n: np.concatenate([(r[k] - r["w0" + k[1:]]).ravel() for k in weights])
              for n, r in (("multi", multi), ("one", one))}
    rel = np.linalg.norm(update["multi"] - update["one"]) / np.linalg.norm(update["one"])
    assert rel < 1e-3, rel


@pytest.mark.slow
def test_sigkill_after_first_checkpoint_then_resume(tmp_path):
    cfg = tiny(tmp_path, iterations=40, checkpoint_every=2, optimizer="sgd", head_lr_mult=10.0)
    flat = flags(cfg)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "training/train.py", *flat], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt_dir = tmp_path / "run" / "checkpoints"
    deadline = time.time() + 300
    while tf.train.latest_checkpoint(str(ckpt_dir)) is None:
        assert proc.poll() is None, "training ended before its first checkpoint"
        assert time.time() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = tf.train.latest_checkpoint(str(ckpt_dir))
    saved_step = int(saved.rsplit("-", 1)[1])
    assert 2 <= saved_step < 40

    from stdc_tf.training.trainer import prepare
    # the configuration the CLI ran with: its default config file, then the flags
    loop = prepare(load_config(path=ROOT / "configs" / "quickstart.yaml", **cfg), verbose=False)
    fresh = {v.path: v.numpy() for v in loop.task.model.weights}
    assert loop.restore() == saved_step
    # the same seed builds the same initial weights: trained values can only come from the checkpoint
    kernel = loop.task.model.get_layer("features.2.conv_list.1.conv").kernel
    assert not np.array_equal(fresh[kernel.path], kernel.numpy()), "model weights not restored"
    momenta = [v for v in loop.task.optimizer.variables if "momentum" in v.path]
    assert len(momenta) > 100
    # a fresh optimizer's momentum is zero: non-zero values can only come from the checkpoint
    assert sum(float(np.abs(v.numpy()).sum()) for v in momenta) > 0, "momentum not restored"

    proc = run_cli("training/train.py", *flat, "--optimizer", "adam", "--head-lr-mult", "1")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f"error: checkpoint {saved} does not fit this configuration")

    proc = run_cli("training/train.py", *flat[:flat.index("--iterations")],
                   "--iterations", str(saved_step + 2),
                   *flat[flat.index("--iterations") + 2:])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"resumed from {saved} at step {saved_step}" in proc.stderr
    assert tf.train.latest_checkpoint(str(ckpt_dir)).endswith(f"ckpt-{saved_step + 2}")


@pytest.mark.slow
def test_quickstart_recipe_learns(tmp_path):
    """A short run of the quickstart config: the loss falls and val mIoU rises."""
    from stdc_tf.training.trainer import prepare

    cfg = load_config(path=ROOT / "configs" / "quickstart.yaml",
                      **tiny(tmp_path, iterations=60, eval_every=20, synthetic_counts=[40, 8],
                             warmup_iters=10, log_every=5))
    loop = prepare(cfg, verbose=False)
    history = []
    original = loop.validate
    loop.validate = lambda step: history.append(original(step)["mIoU100"]) or {"mIoU100": history[-1]}
    summary = loop.fit()
    assert len(history) == 3
    assert history[-1] > history[0] + 0.02, history
    events = list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    assert events
    losses = [e.summary.value[0] for e in tf.compat.v1.train.summary_iterator(str(events[0]))
              for _ in [0] if e.summary.value and e.summary.value[0].tag == "loss/total"]
    values = [float(tf.make_ndarray(v.tensor)) for v in losses]
    assert np.mean(values[-3:]) < np.mean(values[:3])
    assert summary["best"]["mIoU100"]["mIoU"] == max(history)
    assert (tmp_path / "run" / "best_mIoU100.keras").is_file()


@pytest.mark.slow
def test_mixed_precision_cli_run(tmp_path):
    """mixed_float16 end to end through the CLI: loss scaling, float32 logits, export."""
    cfg = tiny(tmp_path, iterations=2, batch_size=2, synthetic_counts=[8, 2])
    proc = run_cli("training/train.py", *flags(cfg), "--mixed-precision", "mixed_float16")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "final val: mIoU100" in proc.stdout
    # what it does before the first step is said, and the graph build is not in the bar's ETA
    for line in ("reading the synthetic dataset at", "building stdc1_seg50 (", "first step done in"):
        assert line in proc.stderr, (line, proc.stderr[-1500:])
    from stdc_tf.models.io import load_keras
    model = load_keras(tmp_path / "run" / "final.keras")
    assert model.get_layer("features.0.conv").compute_dtype == "float16"
    assert model.output["out"].dtype == "float32"


def test_recipe_variable_groups():
    from stdc_tf.models import build_model
    from stdc_tf.training.task import variable_groups

    model = build_model("stdc1_seg50", num_classes=5, input_shape=(64, 64, 3))
    groups = variable_groups(model, freeze_backbone_bn_affine=False)
    frozen = variable_groups(model, freeze_backbone_bn_affine=True)
    names = {k: {v.path for v in vs} for k, vs in groups.items()}
    assert "ffm.conv1/kernel" in names["heads"] and "conv_out_sp8.conv.bn/gamma" in names["heads"]
    assert not any(n.startswith(("arm16", "conv_head", "features.")) for n in names["heads"])
    assert all(n.endswith("kernel") for n in names["decay"])          # no BN, no bias decays
    assert "features.2.avd_layer.0/kernel" in names["decay"]
    lost = names["train"] - {v.path for v in frozen["train"]}
    assert lost and all(n.startswith("features.") and n.endswith(("gamma", "beta")) for n in lost)
    assert "arm16.conv.bn/gamma" in {v.path for v in frozen["train"]}


def test_pretrained_backbone_initialises_the_backbone(tmp_path):
    from conftest import DATA
    from stdc_tf.training.trainer import prepare
    from stdc_tf.weights.parity import seeded_weights

    case = json.loads((DATA / "stdc1_cls_64x64.json").read_text())
    imagenet = seeded_weights(case["weights"], case["seed"])
    np.savez(tmp_path / "STDCNet813M.npz", **imagenet)
    cfg = load_config(**tiny(tmp_path, pretrained_backbone=str(tmp_path / "STDCNet813M.npz")))
    loop = prepare(cfg, verbose=False)
    kernel = loop.task.model.get_layer("features.3.conv_list.2.conv").get_weights()[0]
    np.testing.assert_array_equal(
        kernel, imagenet["features.3.conv_list.2.conv.weight"].transpose(2, 3, 1, 0))


def plain_progress(output: str, total: int) -> list[tuple[int, bool]]:
    """(step, has an ETA) of each plain progress line of a piped training run; every line must
    be whole: step, time per step, ETA until the last, loss, lr."""
    line = re.compile(rf"^train: (\d+)/{total} step \(\d+%\), [\d.]+ (s/step|step/s)(, ETA \d+:\d\d)?, "
                      r"loss [\d.e+-]+, lr [\d.e+-]+$")
    lines = [text for text in output.splitlines() if text.startswith("train: ")]
    matches = [line.match(text) for text in lines]
    assert all(matches), lines
    return [(int(m.group(1)), m.group(3) is not None) for m in matches]


def test_corrupt_training_image_stops_with_its_name(tmp_path):
    """…and the run that skips it, piped as `train.py … 2>&1 | tee train.log` would be, logs one
    plain line per --log-every steps (none for the checkpoint read at step 3), no carriage return
    or colour code; its models record the size they were validated at, the conversion default."""
    from stdc_tf.data.synthetic import generate

    cfg = tiny(tmp_path, data_root=str(tmp_path / "data"), synthetic_counts=[8, 2], iterations=4)
    generate(cfg["data_root"], num_train=8, num_val=2, height=64, width=128)
    bad = sorted((tmp_path / "data" / "leftImg8bit" / "train").rglob("*.png"))[3]
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    proc = run_cli("training/train.py", *flags(cfg))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and bad.name in last, last
    proc = run_cli("training/train.py", *flags(cfg), "--skip-bad-samples", "--max-bad-fraction", "0.05")
    assert proc.returncode == 1   # 1 of 8 files is more than 5 %: one line, never an endless loop
    assert "1 of the 8 files of the training split are unreadable" in proc.stderr.splitlines()[-1]
    proc = run_cli("training/train.py", *flags(cfg), "--skip-bad-samples", "--max-bad-fraction", "0.5",
                   "--log-every", "2", "--checkpoint-every", "3", "--output-dir", str(tmp_path / "skip"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert bad.name in proc.stderr          # logged, then skipped
    assert "\r" not in proc.stdout + proc.stderr and "\x1b" not in proc.stdout + proc.stderr
    assert plain_progress(proc.stderr, 4) == [(2, True), (4, False)]
    assert "step 4: val mIoU100 " in proc.stderr

    from stdc_tf.export.contract import deployment_size
    from stdc_tf.models.io import load_keras, trained_input_size

    final = tmp_path / "skip" / "final.keras"
    assert trained_input_size(final) == trained_input_size(tmp_path / "skip" / "best_mIoU100.keras") == (64, 128)
    assert deployment_size(load_keras(final), None, str(final)) == (64, 128)   # not the preset's 512x1024


def test_decayed_detail_fuse_follows_the_reference_sgd(tmp_path):
    """--detail-fuse decayed: the fuse kernel gets no gradient, only SGD's weight decay with
    momentum at 1x lr (v = mu*v + wd*w; w -= lr*v), once per step; constant by default."""
    from stdc_tf.losses import DETAIL_FUSE_WEIGHTS
    from stdc_tf.training.trainer import prepare

    w0 = np.array(DETAIL_FUSE_WEIGHTS)
    for mode in ("decayed", "constant"):
        loop = prepare(load_config(**tiny(tmp_path / mode, optimizer="sgd", detail_fuse=mode,
                                          weight_decay=0.1, lr=0.01, warmup_iters=0, iterations=100)),
                       verbose=False)
        batches = iter(loop.dataset(0))
        for _ in range(2):
            loop.distributed_step(next(batches))
        lr0, lr1 = loop.task.learning_rate(0), loop.task.learning_rate(1)
        v1 = 0.1 * w0
        w1 = w0 - lr0 * v1
        v2 = 0.9 * v1 + 0.1 * w1
        expected = w1 - lr1 * v2 if mode == "decayed" else w0
        np.testing.assert_allclose(loop.task.fuse_weights.numpy(), expected, rtol=1e-5)


def test_head_lr_multiplier_scales_the_head_updates_only():
    """One SGD step from the same weights and batch at head_lr_mult 10 and 1: the head updates
    differ by exactly 10x, the backbone's are equal (the multiplier is applied, not just listed)."""
    from stdc_tf.training.task import SegmentationTask

    rng = np.random.default_rng(0)
    images = tf.constant(rng.normal(size=(2, 64, 64, 3)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 5, (2, 64, 64)).astype(np.int32))
    updates = {}
    start = None
    for mult in (10.0, 1.0):
        cfg = TrainConfig(optimizer="sgd", lr=0.5, momentum=0.9, warmup_iters=0, iterations=10,
                          head_lr_mult=mult, weight_decay=5e-4)
        task = SegmentationTask(cfg, num_classes=5, replicas=1)
        if start is None:
            start = [v.numpy() for v in task.model.weights]
        task.model.set_weights(start)
        before = {v.path: v.numpy().astype(np.float64) for v in task.groups["train"]}
        task.train_step(images, labels)
        updates[mult] = {v.path: v.numpy() - before[v.path] for v in task.groups["train"]}
        heads = {v.path for v in task.groups["heads"]}
    assert heads and len(heads) < len(updates[1.0])
    for path, one in updates[1.0].items():
        ten = updates[10.0][path]
        if path in heads:
            np.testing.assert_allclose(ten, 10 * one, rtol=1e-3, atol=1e-6, err_msg=path)
        else:
            np.testing.assert_allclose(ten, one, rtol=1e-4, atol=1e-7, err_msg=path)
    assert max(np.abs(u).max() for p, u in updates[1.0].items() if p in heads) > 1e-3


def test_weight_decay_is_the_references_coupled_l2_on_conv_kernels_only():
    """One SGD step from the same weights and batch with the default weight decay and with none:
    the updates differ by exactly lr·5e-4·w (coupled L2, PyTorch's SGD; ×10 on the heads, whose
    lr is 10×) on every conv/dense kernel and by nothing on BN γ/β or biases (the reference's
    param groups, stdc-reference §4), so a changed factor or a changed set of variables shows."""
    from stdc_tf.training.task import SegmentationTask

    rng = np.random.default_rng(1)
    images = tf.constant(rng.normal(size=(2, 64, 64, 3)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 5, (2, 64, 64)).astype(np.int32))
    updates, start = {}, None
    for decay in ({}, {"weight_decay": 0.0}):   # the default, then none
        cfg = TrainConfig(optimizer="sgd", lr=0.5, momentum=0.9, warmup_iters=0, iterations=10, **decay)
        task = SegmentationTask(cfg, num_classes=5, replicas=1)
        start = start or [v.numpy() for v in task.model.weights]
        task.model.set_weights(start)
        before = {v.path: v.numpy() for v in task.groups["train"]}
        task.train_step(images, labels)
        updates[bool(decay)] = {v.path: v.numpy() - before[v.path] for v in task.groups["train"]}
    heads = {v.path for v in task.groups["heads"]}
    kernels = {p for p in before if p.endswith("kernel")}   # conv, depthwise and dense kernels
    assert {"features.0.conv/kernel", "features.2.avd_layer.0/kernel", "conv_out.conv_out/kernel",
            "ffm.conv1/kernel"} <= kernels
    assert any(p.endswith(("gamma", "beta")) for p in before) and len(kernels) < len(before)
    for path, w in before.items():
        lr = 0.5 * (10 if path in heads else 1)
        expected = -lr * 5e-4 * w if path in kernels else np.zeros_like(w)
        np.testing.assert_allclose(updates[False][path] - updates[True][path], expected,
                                   rtol=2e-2, atol=2e-3 * lr * 5e-4 * max(np.abs(w).max(), 1), err_msg=path)
