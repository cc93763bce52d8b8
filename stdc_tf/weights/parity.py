"""Parity with the reference implementation: rebuild its seeded weights, compare every stage.

A parity case is ``NAME.json`` + ``NAME.npz`` (the reference's outputs, NHWC). The JSON lists
the checkpoint keys with their PyTorch shapes; the weights are drawn from the seed as the case's
README describes, imported with :func:`load_reference_weights`, and every array is compared
as max |ours − reference| / max |reference|.
(``python -m stdc_tf.commands.parity tests/data/*.json`` runs them).
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stdc_tf.weights.reference import load_reference_weights

TOLERANCE = 1e-4
BACKBONE_NAMES = {"STDCNet813": "stdc1", "STDCNet1446": "stdc2"}


def seeded_weights(keys: Sequence[tuple[str, Sequence[int]]], seed: int) -> dict[str, np.ndarray]:
    """The parity cases' weights: key ``i`` drawn from ``default_rng([seed, i])`` by its leaf."""
    weights = {}
    for i, (key, shape) in enumerate(keys):
        shape = tuple(shape)
        u = np.random.default_rng([seed, i]).random(math.prod(shape), dtype=np.float64)
        u = u.reshape(shape)
        leaf = key.rsplit(".", 1)[-1]
        if leaf == "running_var":
            w = 0.5 + u
        elif leaf in ("running_mean", "bias"):
            w = (u - 0.5) * 0.2
        elif leaf == "weight" and len(shape) == 1:
            w = (u - 0.25) * 2
        else:
            w = (2 * u - 1) * math.sqrt(6 / math.prod(shape[1:]))
        weights[key] = w.astype(np.float32)
    return weights


def seeded_input(seed: int, hw: Sequence[int]) -> np.ndarray:
    rng = np.random.default_rng([seed, 999999])
    return (rng.random((1, *hw, 3)) * 2 - 1).astype(np.float32)


def case_model(case: dict):
    """A model for the case whose outputs are named like the case's arrays."""
    import keras

    from stdc_tf.models import build_classifier, build_stdc_seg, feature_outputs

    variant = BACKBONE_NAMES[case["backbone"]]
    arrays = set(case["arrays"]) - {"input"}
    if case["model"] == "cls":
        model = build_classifier(variant, case["num_classes"], (*case["input_hw"], 3))
        outputs = {"logits": model.output}
    else:
        strides = sorted(int(a[len("detail"):]) for a in arrays if a.startswith("detail"))
        model = build_stdc_seg(variant, case["num_classes"], (None, None, 3),
                               detail_strides=strides)
        outputs = dict(model.output)
    for key, tensor in feature_outputs(model).items():
        outputs[key if key.startswith("context") else f"backbone_{key}"] = tensor
    missing = arrays - set(outputs)
    if missing:
        raise ValueError(f"case asks for arrays the model does not produce: {sorted(missing)}")
    return model, keras.Model(model.input, {k: outputs[k] for k in sorted(arrays)})


def run_case(json_path: str | Path) -> dict[str, float]:
    """Relative error of every array of one case (``NAME.npz`` beside ``NAME.json``)."""
    json_path = Path(json_path)
    case = json.loads(json_path.read_text())
    golden = np.load(json_path.with_suffix(".npz"))
    model, probe = case_model(case)
    load_reference_weights(model, seeded_weights(case["weights"], case["seed"]), part="full")
    x = seeded_input(case["seed"], case["input_hw"])
    if not np.array_equal(x, golden["input"]):
        raise ValueError(f"{json_path}: the regenerated input differs from the stored one")
    ours = {k: np.asarray(v) for k, v in probe(x, training=False).items()}
    return {k: float(np.abs(ours[k] - golden[k]).max() / np.abs(golden[k]).max()) for k in ours}
