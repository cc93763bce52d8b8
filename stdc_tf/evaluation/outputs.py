"""Evaluation output: ``metrics.json``, a Markdown per-class IoU table and a confusion-matrix PNG.

Every file is written under a temporary name and renamed, so a crash never leaves a half-written
report that looks complete.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.evaluation.evaluator import EvalResult

METRICS_FILE = "metrics.json"
TABLE_FILE = "per_class_iou.md"
CONFUSION_FILE = "confusion_matrix.png"
VOID_COLUMN = "(no class)"
ABSENT_NOTE = ("classes that appear neither in the ground truth nor in the predictions; their "
               "IoU is undefined and they are left out of the mean")


def metrics_dict(result: EvalResult, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every number of ``result``, plus ``context`` (e.g. the dataset's root and split)."""
    s = result.summary
    columns = list(result.class_names) + [VOID_COLUMN] * (result.hist.shape[1] - result.hist.shape[0])
    return _json_safe({
        **(context or {}),
        "source": result.source,
        "protocol": result.protocol,
        "num_images": result.num_images,
        "mIoU": s["mIoU"], "pixel_accuracy": s["pixel_accuracy"], "fwIoU": s["fwIoU"],
        "per_class_iou": s["per_class_iou"],
        "absent_classes": s["absent_classes"],
        "absent_note": ABSENT_NOTE,
        "num_pixels": s["num_pixels"],
        "throughput": {"images_per_s": result.images_per_s,
                       "model_images_per_s": result.model_images_per_s,
                       "seconds": result.seconds},
        "confusion_matrix": {"rows": "ground truth", "columns": columns,
                             "counts": result.hist.tolist()},
    })


def format_summary(result: EvalResult) -> str:
    """A few lines for the console: the headline numbers, throughput and absent classes."""
    s = result.summary
    model_rate = (f", model only {result.model_images_per_s:.1f} images/s"
                  if result.model_images_per_s else "")
    lines = [f"{result.source.get('path') or result.source['runtime']} "
             f"({result.source['runtime']}), {result.num_images} images",
             f"mIoU {_pct(s['mIoU'])}  pixel accuracy {_pct(s['pixel_accuracy'])}  "
             f"fwIoU {_pct(s['fwIoU'])}",
             f"throughput {result.images_per_s:.1f} images/s{model_rate}"]
    if s["absent_classes"]:
        lines.append(f"absent: {', '.join(s['absent_classes'])} ({ABSENT_NOTE})")
    return "\n".join(lines)


def markdown_table(result: EvalResult) -> str:
    """Per-class IoU in percent, ``absent`` where undefined, then the means."""
    s = result.summary
    rows = ["| class | IoU (%) |", "| --- | ---: |"]
    rows += [f"| {name} | {'absent' if iou is None else f'{100 * iou:.2f}'} |"
             for name, iou in s["per_class_iou"].items()]
    rows += [f"| **mIoU** | **{_pct(s['mIoU'])}** |",
             f"| pixel accuracy | {_pct(s['pixel_accuracy'])} |",
             f"| fwIoU | {_pct(s['fwIoU'])} |"]
    note = f"\n\nAbsent: {', '.join(s['absent_classes'])} ({ABSENT_NOTE})." \
        if s["absent_classes"] else ""
    source = result.source.get("path") or result.source["runtime"]
    return (f"# Per-class IoU\n\n{source} ({result.source['runtime']}), {result.num_images} images, "
            f"{result.images_per_s:.1f} images/s\n\n" + "\n".join(rows) + note + "\n")


def plot_confusion(result: EvalResult, path: Path) -> None:
    """Rows normalized to 1 (what fraction of each true class went where), names on both axes."""
    from matplotlib.figure import Figure

    hist = result.hist.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalized = np.nan_to_num(hist / hist.sum(1, keepdims=True))
    rows = list(result.class_names)
    columns = rows + [VOID_COLUMN] * (hist.shape[1] - hist.shape[0])
    side = 2.0 + 0.4 * len(columns)
    fig = Figure(figsize=(side + 1.5, side))
    ax = fig.add_subplot()
    image = ax.imshow(normalized, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(columns)), columns, rotation=90)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("prediction")
    ax.set_ylabel("ground truth")
    ax.set_title(f"confusion matrix (rows normalized), mIoU {_pct(result.summary['mIoU'])}")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)


def write_report(result: EvalResult, output_dir: str | Path,
                 context: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write the three report files into ``output_dir``; returns their paths by kind."""
    output_dir = Path(output_dir)
    paths = {"metrics": output_dir / METRICS_FILE, "table": output_dir / TABLE_FILE,
             "confusion": output_dir / CONFUSION_FILE}
    with atomic_output(paths["metrics"]) as tmp:
        tmp.write_text(json.dumps(metrics_dict(result, context), indent=2, allow_nan=False) + "\n")
    with atomic_output(paths["table"]) as tmp:
        tmp.write_text(markdown_table(result))
    with atomic_output(paths["confusion"]) as tmp:
        plot_confusion(result, tmp)
    return paths


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.2f}"


def _json_safe(value: Any) -> Any:
    """NaN becomes ``null`` (JSON has no NaN); numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
