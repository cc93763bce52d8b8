"""The evaluation protocol, prediction-folder scoring (against cityscapesscripts), reports, CLI.

The protocol tests use the "colour" dataset of conftest.py, which a 1x1 convolution solves
exactly, so any deviation from 100 % is a bug in the protocol.
"""
from __future__ import annotations

import copy
import json
import logging
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import COLOR_SIZE, color_model, make_color_dataset, run_cli
from stdc_tf.data.datasets import load_dataset
from stdc_tf.data.labels import cityscapes_label_lut
from stdc_tf.evaluation.evaluator import EvaluationError, evaluate
from stdc_tf.evaluation.outputs import write_report
from stdc_tf.evaluation.predictions import score_predictions
from stdc_tf.runtime import load_predictor

# ---- protocol ----

@pytest.mark.parametrize("scales, flip, batch_size, at_least", [
    (None, False, 1, 1.0), ([1.0], True, 2, 1.0), ([0.5], False, 1, 0.9),
    ([0.5, 1.0, 1.5], True, 3, 0.95)])
def test_protocol_on_a_model_that_solves_the_data(color_data, scales, flip, batch_size, at_least):
    """Exact at scale 1 (with flip too: flipped logits must be flipped back, or half the pixels
    would disagree); nearly exact at other scales (block edges blur)."""
    result = evaluate(load_predictor(color_model()), color_data, scales, flip, batch_size,
                      progress=False)
    assert result.summary["mIoU"] >= at_least
    assert result.num_images == 6
    h, w = COLOR_SIZE
    assert result.summary["num_pixels"] == 6 * (h - 1) * w   # every non-ignored pixel, once
    assert result.protocol["scales"] == list(scales or [1.0]) and result.protocol["flip"] == flip
    assert result.images_per_s > 0 and result.model_images_per_s > 0


def test_progress_in_a_log_is_plain_lines(color_data, capsys):
    """stderr is not a terminal here (as in `evaluate.py … 2>&1 | tee eval.log`): the progress is
    a newline-terminated line with the running mIoU, no carriage return, no colour codes."""
    evaluate(load_predictor(color_model()), color_data, progress=True)
    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b" not in err
    assert re.fullmatch(r"eval keras: 6/6 img \(100%\), [\d.e+]+ img/s, mIoU 100\.00\n", err), err


def test_fixed_size_model_gets_images_resized_to_its_input(color_data, caplog):
    h, w = COLOR_SIZE
    predictor = load_predictor(color_model((h // 2, w // 2, 3)))
    assert predictor.input_size == (h // 2, w // 2)
    warnings = lambda: [r.getMessage() for r in caplog.records if r.name == "stdc_tf.evaluation.evaluator"]
    with caplog.at_level(logging.WARNING):
        result = evaluate(predictor, color_data, progress=False)
        assert result.summary["mIoU"] >= 0.9 and result.protocol["scales"] is None
        assert warnings() == []   # no scale asked for: the input size is the protocol
        evaluate(predictor, color_data, [1.0], progress=False)
    assert len(warnings()) == 1   # once per evaluation, not per image
    assert f"takes {h // 2}x{w // 2} inputs; scale 1 of {h}x{w} images" in warnings()[0]
    with pytest.raises(EvaluationError, match="fixed 16x24 input.*multi-scale"):
        evaluate(predictor, color_data, [0.5, 1.0], progress=False)


def test_class_map_output_is_scored_single_scale_only(color_data):
    predictor = load_predictor(color_model(argmax=True))
    assert predictor.output_kind == "classes"
    result = evaluate(predictor, color_data, [0.5], progress=False)
    assert result.summary["mIoU"] >= 0.9 and "nearest" in result.protocol["output_resize"]
    with pytest.raises(EvaluationError, match="class map"):
        evaluate(predictor, color_data, [1.0], flip=True, progress=False)


def test_model_with_other_classes_than_the_dataset_is_an_error(color_data):
    with pytest.raises(EvaluationError, match="outputs 4 classes but dataset .* has 3"):
        evaluate(load_predictor(color_model(classes=4)), color_data, progress=False)


def test_label_value_outside_the_classes_names_file_and_value(tmp_path):
    root = make_color_dataset(tmp_path / "bad", num=2)
    bad = root / "labels" / "img_1.png"
    label = cv2.imread(str(bad), cv2.IMREAD_UNCHANGED)
    label[5, 5] = 7
    cv2.imwrite(str(bad), label)
    data = load_dataset("folder", root, "val")
    with pytest.raises(ValueError, match=f"{bad}.*value 7"):
        evaluate(load_predictor(color_model()), data, progress=False)
    labels_as_predictions = tmp_path / "pred"
    shutil.copytree(root / "labels", labels_as_predictions)
    with pytest.raises(ValueError, match=f"{bad}.*value 7"):
        score_predictions(labels_as_predictions, data, progress=False)


# ---- prediction folders ----

CS_IDS = [i for i in range(34) if i != 31]   # every Cityscapes labelId but "train" (absent)
CS_SIZE = (24, 40)


@pytest.fixture(scope="module")
def cityscapes_preds(tmp_path_factory):
    """A Cityscapes-layout val split (2 cities, 5 images) and noisy predictions of it, written
    twice: labelIds named ``*_leftImg8bit.png`` in city folders, trainIds named ``*_pred.png``."""
    root = tmp_path_factory.mktemp("cityscapes")
    rng = np.random.default_rng(1)
    h, w = CS_SIZE
    lut = cityscapes_label_lut()
    for i in range(5):
        city = ("aachen", "bonn")[i % 2]
        stem = f"{city}_{i:06d}_000019"
        gt = np.kron(rng.choice(CS_IDS, (h // 4, w // 4)), np.ones((4, 4), int)).astype(np.uint8)
        pred = np.where(rng.random(gt.shape) < 0.3, rng.choice(CS_IDS, gt.shape), gt).astype(np.uint8)
        image = np.zeros((h, w, 3), np.uint8)
        for sub, name, array in (("gtFine/val", f"{stem}_gtFine_labelIds.png", gt),
                                 ("leftImg8bit/val", f"{stem}_leftImg8bit.png", image),
                                 ("label_ids", f"{stem}_leftImg8bit.png", pred)):
            (root / sub / city).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / sub / city / name), array)
        (root / "train_ids").mkdir(exist_ok=True)
        cv2.imwrite(str(root / "train_ids" / f"{stem}_pred.png"), lut[pred])
    return root


def cityscapesscripts_scores(root: Path) -> dict:
    """cityscapesscripts' own evaluator on the labelIds predictions (no env vars, no JSON file)."""
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as cs

    args = copy.copy(cs.args)
    args.evalInstLevelScore, args.JSONOutput, args.quiet = False, False, True
    gts = sorted(str(p) for p in (root / "gtFine" / "val").glob("*/*_gtFine_labelIds.png"))
    preds = [str(root / "label_ids" / Path(g).parent.name / Path(g).name.replace(
        "_gtFine_labelIds", "_leftImg8bit")) for g in gts]
    return cs.evaluateImgLists(preds, gts, args)


@pytest.mark.parametrize("folder, ids", [("label_ids", "labelIds"), ("train_ids", "trainIds")])
def test_prediction_folder_scores_equal_cityscapesscripts(cityscapes_preds, folder, ids):
    data = load_dataset("cityscapes", cityscapes_preds, "val")
    ours = score_predictions(cityscapes_preds / folder, data, ids, progress=False).summary
    theirs = cityscapesscripts_scores(cityscapes_preds)
    assert ours["absent_classes"] == ["train"]
    for name, iou in ours["per_class_iou"].items():
        expected = theirs["classScores"][name]
        assert (iou is None and np.isnan(expected)) or iou == pytest.approx(expected, abs=1e-12), name
    assert ours["mIoU"] == pytest.approx(theirs["averageScoreClasses"], abs=1e-12)


def test_unmatched_predictions_and_labels_are_listed_with_counts(cityscapes_preds, tmp_path):
    preds = tmp_path / "preds"
    shutil.copytree(cityscapes_preds / "train_ids", preds)
    missing = sorted(preds.glob("*.png"))[0]
    missing.unlink()
    cv2.imwrite(str(preds / "cologne_000000_000019_pred.png"), np.zeros(CS_SIZE, np.uint8))
    data = load_dataset("cityscapes", cityscapes_preds, "val")
    with pytest.raises(EvaluationError) as err:
        score_predictions(preds, data, progress=False)
    message = str(err.value)
    assert "1 predictions without ground truth" in message and "cologne_000000_000019_pred.png" in message
    assert "1 ground-truth labels without a prediction" in message
    assert missing.name.replace("_pred.png", "_gtFine_labelIds.png") in message


def test_prediction_of_another_size_names_both_files(cityscapes_preds, tmp_path):
    preds = tmp_path / "preds"
    shutil.copytree(cityscapes_preds / "train_ids", preds)
    wrong = sorted(preds.glob("*.png"))[2]
    cv2.imwrite(str(wrong), np.zeros((12, 20), np.uint8))
    data = load_dataset("cityscapes", cityscapes_preds, "val")
    with pytest.raises(EvaluationError,
                       match=f"{wrong} is 12x20 .* but its label .*gtFine_labelIds.png is 24x40"):
        score_predictions(preds, data, progress=False)


def test_prediction_value_that_is_no_class_names_file_and_value(cityscapes_preds, tmp_path):
    preds = tmp_path / "preds"
    shutil.copytree(cityscapes_preds / "train_ids", preds)
    bad = sorted(preds.glob("*.png"))[1]
    cv2.imwrite(str(bad), np.full(CS_SIZE, 40, np.uint8))
    data = load_dataset("cityscapes", cityscapes_preds, "val")
    with pytest.raises(EvaluationError, match=f"{bad} holds value 40.*trainIds"):
        score_predictions(preds, data, progress=False)


def test_label_ids_need_a_cityscapes_dataset(color_data, tmp_path):
    with pytest.raises(EvaluationError, match="labelIds predictions need a Cityscapes"):
        score_predictions(tmp_path, color_data, "labelIds", progress=False)


# ---- report ----

def test_report_writes_metrics_table_and_confusion_png(color_data, tmp_path):
    result = evaluate(load_predictor(color_model(classes=3)), color_data, progress=False)
    paths = write_report(result, tmp_path / "out", {"dataset": {"split": "val"}})
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["mIoU"] == 1.0 and metrics["pixel_accuracy"] == 1.0 and metrics["fwIoU"] == 1.0
    assert metrics["per_class_iou"] == {"red": 1.0, "green": 1.0, "blue": 1.0}
    assert metrics["absent_classes"] == [] and "left out of the mean" in metrics["absent_note"]
    assert metrics["source"]["runtime"] == "keras" and metrics["throughput"]["images_per_s"] > 0
    assert metrics["dataset"] == {"split": "val"} and len(metrics["confusion_matrix"]["counts"]) == 3
    assert "| red | 100.00 |" in paths["table"].read_text()
    assert paths["confusion"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in paths.values())   # no temporary files left behind


# ---- CLI ----

def cli_main(argv: list[str]) -> int:
    from stdc_tf.commands.evaluate import main

    return main(argv)


def test_cli_help_runs_from_the_repo_root():
    proc = run_cli("training/evaluate.py", "--help")
    assert proc.returncode == 0 and "--predictions" in proc.stdout and "--flip" in proc.stdout


def test_cli_evaluates_a_keras_file_and_writes_the_report(color_data, tmp_path, capsys):
    model_path = tmp_path / "color.keras"
    color_model().save(model_path)
    root = color_data.samples[0].image.parents[1]
    rc = cli_main(["--model", str(model_path), "--dataset", "folder", "--data-root", str(root),
                   "--scale", "1.0", "--output", str(tmp_path / "out"), "--no-progress"])
    assert rc == 0
    assert "mIoU 100.00" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["source"]["path"] == str(model_path)
    assert metrics["source"]["size_bytes"] == model_path.stat().st_size
    assert metrics["dataset"]["name"] == "folder" and metrics["protocol"]["scales"] == [1.0]


def test_cli_scores_a_keras_file_at_the_size_training_recorded(color_data, tmp_path, capsys):
    """Without --scale a .keras model that records its validation size is scored at it (the
    number training reported); --scale 1 scores the images at their own size."""
    from stdc_tf.models.io import save_keras

    h, w = COLOR_SIZE
    model_path = save_keras(color_model(), tmp_path / "sized.keras", (h // 2, w // 2))
    root = color_data.samples[0].image.parents[1]
    common = ["--model", str(model_path), "--dataset", "folder", "--data-root", str(root), "--no-progress"]
    assert cli_main([*common, "--output", str(tmp_path / "recorded")]) == 0
    assert cli_main([*common, "--scale", "1", "--output", str(tmp_path / "scaled")]) == 0
    capsys.readouterr()
    recorded, scaled = (json.loads((tmp_path / name / "metrics.json").read_text())
                        for name in ("recorded", "scaled"))
    assert (recorded["protocol"]["input_size"], recorded["protocol"]["scales"]) == ([h // 2, w // 2], None)
    assert (scaled["protocol"]["input_size"], scaled["protocol"]["scales"]) == (None, [1.0])
    assert recorded["source"]["path"] == scaled["source"]["path"] == str(model_path)


def test_cli_scores_a_prediction_folder(cityscapes_preds, capsys):
    rc = cli_main(["--predictions", str(cityscapes_preds / "label_ids"), "--ids", "labelIds",
                   "--dataset", "cityscapes", "--data-root", str(cityscapes_preds), "--no-progress"])
    assert rc == 0
    expected = 100 * cityscapesscripts_scores(cityscapes_preds)["averageScoreClasses"]
    assert f"mIoU {expected:.2f}" in capsys.readouterr().out


@pytest.mark.parametrize("argv, expected", [
    (["--model", "missing.tflite"], "--model missing.tflite: no such file or folder"),
    (["--model", "README.md"], "README.md is not a model"),
    (["--predictions", "nowhere"], "--predictions nowhere: no such file or folder"),
])
def test_cli_bad_input_is_one_error_line(color_data, argv, expected, capsys):
    root = color_data.samples[0].image.parents[1]
    rc = cli_main([*argv, "--dataset", "folder", "--data-root", str(root), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and err.startswith("error: ") and expected in err and "\n" not in err


def _resize_np(x: np.ndarray, size: tuple[int, int], method: str) -> np.ndarray:
    """Independent numpy resizes of [N, H, W, C]: aligned-corners / half-pixel bilinear, nearest."""
    def axis_weights(n_in: int, n_out: int) -> np.ndarray:
        out = np.arange(n_out, dtype=np.float64)
        if method == "aligned":
            src = out * (n_in - 1) / max(n_out - 1, 1)
        elif method == "half_pixel":
            src = np.clip((out + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        else:   # nearest (legacy)
            src = np.floor(out * n_in / n_out)
        low = np.floor(src).astype(int)
        high = np.minimum(low + 1, n_in - 1)
        frac = src - low
        weights = np.zeros((n_out, n_in))
        np.add.at(weights, (np.arange(n_out), low), 1 - frac)
        np.add.at(weights, (np.arange(n_out), high), frac)
        return weights

    rows, cols = axis_weights(x.shape[1], size[0]), axis_weights(x.shape[2], size[1])
    return np.einsum("Hh,nhwc,Ww->nHWc", rows, x.astype(np.float64), cols)


def test_scaled_protocol_resizes_with_aligned_corners_both_ways(color_data):
    """At scale 0.5 the class map must equal an independent aligned-corners computation, and
    logits resized back with half-pixel bilinear or nearest give a measurably other map — so this
    test fails for either wrong method."""
    from stdc_tf.data.datasets import read_image
    from stdc_tf.evaluation.evaluator import predict_classes
    from stdc_tf.models.preprocessing import normalize

    images = np.stack([read_image(s.image) for s in color_data.samples]).astype(np.float64)
    h, w = COLOR_SIZE
    preds, _ = predict_classes(load_predictor(color_model()), images.astype(np.uint8), (h, w), [0.5],
                               False, color_data.info, set())

    def expected(image_method: str, logits_method: str) -> np.ndarray:
        small = _resize_np(images, (h // 2, w // 2), image_method)
        logits = normalize(small.astype(np.float32)).astype(np.float64)   # the colour model
        return _resize_np(logits, (h, w), logits_method).argmax(-1)

    right = expected("aligned", "aligned")
    assert (preds != right).sum() <= 2   # float32 vs float64 ties at block edges
    for wrong in (("aligned", "half_pixel"), ("aligned", "nearest")):
        assert (preds != expected(*wrong)).sum() >= 10, wrong


def test_cli_checks_options_before_evaluating(color_data, tmp_path, capsys):
    """Bad values are refused before any model is loaded or image read, and a scale that leaves
    nothing to segment is one line; nothing is generated at a mistyped synthetic root."""
    root = str(color_data.samples[0].image.parents[1])
    model = tmp_path / "color.keras"
    color_model().save(model)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    (tmp_path / "empty.keras").write_bytes(b"")
    cases = [
        (["--model", str(model), "--scale", "0"], 2, "--scale(s) must be in (0, 16], got 0"),
        (["--model", str(model), "--output", str(blocker / "out")], 2, "--output"),
        (["--model", str(model), "--scale", "0.001"], 1, "scale 0.001 makes 32x48 images 0x0"),
        (["--model", str(tmp_path / "empty.keras")], 1, "empty.keras: the file is empty (0 bytes)"),
    ]
    for argv, status, expected in cases:
        rc = cli_main([*argv, "--dataset", "folder", "--data-root", root, "--no-progress"])
        err = capsys.readouterr().err.strip()
        assert rc == status and expected in err and "\n" not in err, (argv, err)
    rc = cli_main(["--model", str(model), "--data-root", str(tmp_path / "typo"), "--no-progress"])
    assert rc == 1 and "holds no complete synthetic dataset" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_cli_scores_a_tflite_file_without_litert_lines(color_data, tmp_path):
    """LiteRT's "Created TensorFlow Lite XNNPACK delegate" line stays off the output (run_cli
    fails on it)."""
    from conftest import COLOR_SIZE, color_model, run_cli
    from stdc_tf.export.contract import ExportSpec
    from stdc_tf.export.tflite import export_tflite

    path = export_tflite(color_model(), tmp_path / "color.tflite", ExportSpec(COLOR_SIZE, check_images=0)).path
    root = color_data.samples[0].image.parents[1]
    proc = run_cli("training/evaluate.py", "--model", str(path), "--dataset", "folder", "--data-root",
                   str(root), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "mIoU 100.00" in proc.stdout
