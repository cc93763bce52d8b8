"""Training never loses or silently discards work, and every bad option is one line before
anything is written: resume safety, signals, bad samples, option checks, fault injection."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_training import flags, tiny

from conftest import ROOT, run_cli
from stdc_tf.errors import ConfigError
from stdc_tf.training.config import load_config

TRAIN = ["training/train.py"]


# ---- every option checked before work starts ----

@pytest.mark.parametrize("option, value, message", [
    ("batch_size", 0, "--batch-size must be positive"),
    ("batch_size", 2.5, "--batch-size takes int values"),
    ("iterations", -5, "--iterations must be positive"),
    ("iterations", 0, "--iterations must be positive"),
    ("checkpoint_every", 0, "--checkpoint-every must be positive"),
    ("log_every", "ten", "--log-every takes int values"),
    ("eval_every", -1, "--eval-every must not be negative"),
    ("crop_size", [0, 64], "--crop-size must be positive"),
    ("crop_size", [64], "--crop-size takes two numbers"),
    ("scales", [-1.0], "--scales must be positive"),
    ("scales", [], "--scales must be positive"),
    ("eval_scales", [0.0], "--eval-scales must be positive"),
    ("cpu_replicas", 0, "--cpu-replicas must be positive"),
    ("num_classes", True, "--num-classes takes int values"),
    ("num_classes", "19", "--num-classes takes int values"),
    ("lr", float("nan"), "--lr takes float values"),
    ("momentum", 1.5, "--momentum must be below 1"),
    ("max_bad_fraction", 2.0, "--max-bad-fraction must be in 0..1"),
    ("strategy", "horovod", "unknown --strategy 'horovod'"),
    ("dataset", "coco", "unknown --dataset 'coco'"),
    ("preset", "stdc1", "--preset stdc1 is a classifier"),
    ("detail_strides", [3], r"--detail-strides \[3\] not available"),
    ("detail_fuse", "decayed", "--detail-fuse decayed reproduces the reference's SGD"),
])
def test_bad_option_is_one_config_error_naming_it(tmp_path, option, value, message):
    overrides = {option: value, **({"optimizer": "adam", "head_lr_mult": 1}
                                    if option == "detail_fuse" else {})}
    with pytest.raises(ConfigError, match=message):
        load_config(**tiny(tmp_path, **overrides))


def test_bad_options_on_the_command_line_write_nothing(tmp_path):
    cfg = tiny(tmp_path, data_root=str(tmp_path / "data"))
    for extra, message in ((["--iterations", "0"], "--iterations must be positive"),
                           (["--scales", "-1"], "--scales must be positive"),
                           (["--preset", "stdc9_seg50"], "unknown --preset 'stdc9_seg50'"),
                           (["--num-classes", "3"], "--num-classes 3 is below the 19 classes")):
        proc = run_cli(*TRAIN, *flags(cfg), *extra)
        assert proc.returncode == 2, proc.stderr[-1500:]
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "data").exists() and not (tmp_path / "run").exists()


def test_config_files_and_output_dirs_are_checked_first(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("batch_size: [1, 2\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: malformed YAML \(line 2"):
        load_config(path=bad)
    bad.write_bytes(b"batch_size: 4\n\xff\xfe\n")
    with pytest.raises(ConfigError, match="bad.yaml: not a UTF-8 text file"):
        load_config(path=bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping of options, got list"):
        load_config(path=bad)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        load_config(**tiny(tmp_path, output_dir=str(blocker)))
    proc = run_cli(*TRAIN, *flags(tiny(tmp_path, output_dir=str(blocker / "run"))))
    assert proc.returncode == 2 and "is a file, not a folder" in proc.stderr.strip().splitlines()[-1]


# ---- resume: never start over on top of existing checkpoints ----

def _fit(cfg: dict):
    from stdc_tf.training.trainer import prepare
    return prepare(load_config(**cfg), verbose=False).fit()


@pytest.mark.slow
def test_unreadable_state_and_corrupt_checkpoints(tmp_path, caplog):
    from stdc_tf.training.trainer import TrainingError

    cfg = tiny(tmp_path, iterations=4, checkpoint_every=2)
    _fit(cfg)
    ckpt = tmp_path / "run" / "checkpoints"
    (ckpt / "checkpoint").write_text("this is { not a checkpoint state")
    (ckpt / "ckpt-4.data-00000-of-00001").write_bytes(b"truncated")
    with caplog.at_level("WARNING"):
        assert _fit({**cfg, "iterations": 5})["step"] == 5
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "checkpoints/checkpoint is unreadable" in said
    assert "restored" in said and "ckpt-2 instead of newer" in said and "ckpt-4.data-00000-of-00001" in said

    config = (tmp_path / "run" / "config.yaml").read_text()
    for path in ckpt.glob("ckpt-*.index"):
        path.write_bytes(b"\x00garbage")
    with pytest.raises(TrainingError, match=r"no readable checkpoint in .*ckpt-5.index is corrupt.*--restart"):
        _fit({**cfg, "iterations": 6})
    assert (tmp_path / "run" / "config.yaml").read_text() == config   # nothing overwritten
    assert len(list(ckpt.glob("ckpt-*.index"))) >= 2
    assert _fit({**cfg, "iterations": 2, "restart": True})["step"] == 2


@pytest.mark.slow
def test_rejected_resume_keeps_the_run_config_and_stale_temporaries_go(tmp_path):
    cfg = tiny(tmp_path, iterations=2, checkpoint_every=2)
    _fit(cfg)
    run = tmp_path / "run"
    config = (run / "config.yaml").read_text()
    proc = run_cli(*TRAIN, *flags({**cfg, "iterations": 3}), "--num-classes", "21")
    assert proc.returncode == 1
    assert "does not fit this configuration" in proc.stderr.strip().splitlines()[-1]
    assert (run / "config.yaml").read_text() == config
    # what a SIGKILL during a save leaves behind, and a file of the user's that must stay
    (run / "checkpoints" / "ckpt-3_temp").mkdir()
    (run / "checkpoints" / "ckpt-3_temp" / "part-00000").write_bytes(b"x")
    (run / ".final.keras.abc123.tmp.keras").write_bytes(b"x")
    (run / "notes.txt").write_text("mine")
    _fit({**cfg, "iterations": 3})
    assert not (run / "checkpoints" / "ckpt-3_temp").exists()
    assert not list(run.glob(".*.tmp*")) and (run / "notes.txt").read_text() == "mine"


# ---- signals: save the current step, one line, exit 130 / 143 ----

def _start(cfg: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *TRAIN, *flags(cfg)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_step(run: Path, proc: subprocess.Popen, deadline: float = 300) -> None:
    """Until the first checkpoint exists, i.e. training steps are running."""
    end = time.time() + deadline
    while not list((run / "checkpoints").glob("ckpt-*.index")):
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.time() < end
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("signum, status, word", [(signal.SIGINT, 130, "interrupted"),
                                                  (signal.SIGTERM, 143, "terminated")])
def test_signal_saves_the_current_step_and_the_run_resumes_from_it(tmp_path, caplog, signum, status, word):
    """Ctrl-C or SIGTERM with checkpoints every 1000 steps: none exists when the signal arrives,
    so the checkpoint of the signal's step must be the handler's own save (an every-step
    interval would hide a handler that saves nothing, or one that names an older checkpoint);
    the same command then continues from exactly that step."""
    import tensorflow as tf

    cfg = tiny(tmp_path, iterations=10_000, checkpoint_every=1_000, eval_every=2)
    run = tmp_path / "run"
    proc = _start(cfg)
    end = time.time() + 300
    while not (run / "best_mIoU100.keras").exists():   # step 2 validated: steps are running
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.time() < end
        time.sleep(0.2)
    assert not list((run / "checkpoints").glob("ckpt-*.index"))
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err[-2000:]
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"{word} at step ") and "checkpoint of step" in last, last
    step = int(last.split(" at step ")[1].split(":")[0])
    assert 2 <= step < 1_000
    saved = run / "checkpoints" / f"ckpt-{step}"
    assert last.endswith(f"checkpoint of step {step} saved to {saved}; run the same command to resume")
    assert sorted(p.name for p in (run / "checkpoints").glob("ckpt-*.index")) == [f"ckpt-{step}.index"]
    assert tf.train.latest_checkpoint(str(run / "checkpoints")) == str(saved)

    from stdc_tf.training.trainer import prepare

    quickstart = load_config(path=ROOT / "configs" / "quickstart.yaml", **{**cfg, "iterations": step + 1})
    with caplog.at_level("INFO", logger="stdc_tf"):   # the command's own configuration, one more step
        assert prepare(quickstart, verbose=False).fit()["step"] == step + 1
    assert f"resumed from {saved} at step {step}" in [r.getMessage() for r in caplog.records]


# ---- bad samples ----

@pytest.mark.slow
def test_all_images_bad_stops_with_one_line_and_validation_skips_too(tmp_path):
    from stdc_tf.data.synthetic import generate
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.models import build_model, inference_model
    from stdc_tf.runtime import load_predictor

    cfg = tiny(tmp_path, data_root=str(tmp_path / "data"), synthetic_counts=[4, 3], iterations=2)
    generate(cfg["data_root"], num_train=4, num_val=3, height=64, width=128)
    for image in (tmp_path / "data" / "leftImg8bit" / "train").rglob("*.png"):
        image.write_bytes(b"not a png")
    proc = run_cli(*TRAIN, *flags(cfg), "--skip-bad-samples", "--max-bad-fraction", "1", timeout=300)
    assert proc.returncode == 1
    assert "4 of the 4 files of the training split are unreadable" in proc.stderr.strip().splitlines()[-1]

    from stdc_tf.data.datasets import DataError, load_dataset
    from stdc_tf.data.pipeline import BadSamples
    val = load_dataset("synthetic", cfg["data_root"], "val")
    bad = sorted((tmp_path / "data" / "leftImg8bit" / "val").rglob("*.png"))[1]
    bad.write_bytes(b"")
    predictor = load_predictor(inference_model(build_model("stdc1_seg50", 19, (None, None, 3))))
    with pytest.raises(DataError, match=bad.name):
        evaluate(predictor, val, progress=False)
    skipped = BadSamples(len(val), 0.5, "validation split")
    result = evaluate(predictor, val, progress=False, skip_bad_samples=skipped)
    assert result.num_images == 2 and list(skipped.files) == [str(bad)]


# ---- fault injection ----

@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_loses_nothing(tmp_path):
    """Killed during steps, checkpoint writes and best-model exports, then resumed each time:
    the final step count is right, every .keras file loads, nothing in the folder is partial."""
    from stdc_tf.models.io import load_keras

    rng = random.Random(int(os.environ.get("STDC_FAULT_SEED", "7")))
    cfg = tiny(tmp_path, iterations=24, checkpoint_every=1, eval_every=3, log_every=1)
    run = tmp_path / "run"
    for attempt in range(3):
        proc = _start(cfg)
        if attempt == 0:
            _wait_for_step(run, proc)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.kill()
        proc.communicate()
    proc = run_cli(*TRAIN, *flags(cfg), timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import tensorflow as tf
    assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith("ckpt-24")
    models = list(run.glob("*.keras"))
    assert {p.name for p in models} >= {"final.keras", "best_mIoU100.keras"}
    for path in models:
        model = load_keras(path)
        assert np.asarray(model(np.zeros((1, 64, 128, 3), np.float32))["out"]).shape == (1, 64, 128, 19)
    partial = [p for p in run.rglob("*") if ".tmp" in p.name or p.name.endswith("_temp")]
    assert not partial, partial
