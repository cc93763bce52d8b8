"""Shared fixtures: quiet TensorFlow, the repo root, parity case paths, the "colour" dataset.

The colour dataset is one a 1x1 convolution solves exactly: every 8x8 block is pure red, green or
blue and its class is that channel, so any deviation from 100 % is a bug in what is tested (a
flip not undone, logits resized wrongly, a runtime that mangles its input).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import stdc_tf  # noqa: F401  (keeps TensorFlow's start-up lines out of the test output)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


TF_STARTUP_NOISE = ("oneDNN custom operations", "cuda drivers", "cuInit", "absl::InitializeLog",
                    "cpu_feature_guard", "This TensorFlow binary is optimized",
                    # LiteRT's own INFO lines: a delegate created, accelerators torn down at exit,
                    # the CompiledModel's environment and accelerator registry ("INFO: [env…")
                    "Created TensorFlow Lite XNNPACK delegate", "DestroyAccelerator",
                    "INFO: [", "WARNING: [")


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command-line entry point from the repo root, as a user would (no TF_CPP_* set, so
    TensorFlow's start-up lines would show), and check none of them, nor LiteRT's INFO lines,
    reached its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)
    noise = [line for line in (proc.stdout + proc.stderr).splitlines()
             if any(n in line for n in TF_STARTUP_NOISE)]
    assert not noise, f"TensorFlow start-up lines in the output of {args[0]}: {noise[:2]}"
    return proc


@pytest.fixture(scope="session")
def parity_cases() -> list[Path]:
    return sorted(DATA.glob("*.json"))


COLOR_CLASSES = ("red", "green", "blue")
COLOR_SIZE = (32, 48)
BLOCK = 8


def make_color_dataset(root: Path, num: int = 6, seed: int = 0) -> Path:
    """A ``folder`` dataset of pure-colour blocks; the top row of every label is ignored (255)."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    (root / "classes.json").write_text(json.dumps({"classes": [
        {"name": n, "color": c} for n, c in zip(COLOR_CLASSES, np.eye(3, dtype=int).tolist())]}))
    h, w = COLOR_SIZE
    for i in range(num):
        label = np.kron(rng.integers(0, 3, (h // BLOCK, w // BLOCK)),
                        np.ones((BLOCK, BLOCK), int)).astype(np.uint8)
        image = (np.eye(3)[label] * 255).astype(np.uint8)
        label[0] = 255
        cv2.imwrite(str(root / "images" / f"img_{i}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(root / "labels" / f"img_{i}.png"), label)
    return root


def color_model(input_shape=(None, None, 3), batch_size: int | None = None, classes: int = 3,
                argmax: bool = False):
    """logits = the normalized RGB channels (a 1x1 identity convolution): solves the colour data."""
    import keras
    import tensorflow as tf

    inputs = keras.Input(input_shape, batch_size=batch_size)
    conv = keras.layers.Conv2D(classes, 1, use_bias=False)
    outputs = conv(inputs)
    conv.set_weights([np.eye(3, classes, dtype=np.float32)[None, None]])
    if argmax:   # tf.argmax: keras.ops.argmax lowers to ops that LiteRT has no builtin for
        outputs = keras.layers.Lambda(lambda t: tf.argmax(t, axis=-1, output_type=tf.int32))(outputs)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def color_data(tmp_path_factory):
    from stdc_tf.data.datasets import load_dataset

    return load_dataset("folder", make_color_dataset(tmp_path_factory.mktemp("color")), "val")
