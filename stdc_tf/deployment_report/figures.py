"""``pareto.png`` and ``examples.png``: the trade-off at a glance, and what quantization did to the maps.

matplotlib's ``Figure`` draws without pyplot or a display (the Agg canvas).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.deployment_report.artifacts import Artifact

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
ALPHA = 0.6


def plot_pareto(report: dict, path: Path) -> None:
    """Latency p50 against mIoU, marker area by file size, the Pareto front drawn and labelled.

    Each artifact has its own colour and marker shape, and the legend draws them with the plot's
    transparency, so overlapping markers stay tellable and match the legend; neighbours on the
    front are labelled on alternate sides (above right, below right) so close points do not run
    their names together."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    done = [a for a in report["artifacts"] if a["mIoU"] is not None and a["latency"]]
    front = sorted((a for a in done if a["name"] in report["pareto_front"]),
                   key=lambda a: report["pareto_front"].index(a["name"]))
    fig = Figure(figsize=(8, 5))
    ax = fig.add_subplot()
    handles = []
    largest = max((a["size_bytes"] or 1 for a in done), default=1)
    for i, a in enumerate(done):
        color, marker = f"C{i % 10}", MARKERS[i % len(MARKERS)]
        ax.scatter([a["latency"]["p50_ms"]], [100 * a["mIoU"]], s=40 + 900 * (a["size_bytes"] or 0) / largest,
                   color=color, marker=marker, alpha=ALPHA, edgecolors="black", zorder=3)
        handles.append(Line2D([], [], marker=marker, linestyle="", color=color, markeredgecolor="black",
                              alpha=ALPHA, label=f"{a['name']}: {(a['size_bytes'] or 0) / 2**20:.1f} MiB"))
    if front:   # the front's points are distinct, so their labels never sit on each other
        x, y = [a["latency"]["p50_ms"] for a in front], [100 * a["mIoU"] for a in front]
        (line,) = ax.plot(x, y, "--", color="tab:red", drawstyle="steps-post", zorder=2,
                          label="Pareto front: " + " → ".join(a["name"] for a in front))
        for k, (a, xi, yi) in enumerate(zip(front, x, y)):
            ax.annotate(a["name"], (xi, yi), textcoords="offset points", xytext=(6, 8 if k % 2 == 0 else -16),
                        fontsize=8,
                        color="tab:red", zorder=4, bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                                         "ec": "none", "alpha": 0.8})
        handles.append(line)
    if not done:
        ax.text(0.5, 0.5, "no artifact was both scored and timed", ha="center", transform=ax.transAxes)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                  title="marker area = file size", title_fontsize=8)
        ax.margins(0.15)
        ax.set_xlim(left=0)
    ax.set_xlabel(f"latency p50 (ms), fastest configuration on\n{report['host']['name']}")
    ax.set_ylabel("mIoU (%)")
    ax.set_title("latency vs accuracy")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=110)


def plot_examples(records: Sequence[Artifact], images: list[tuple[np.ndarray, np.ndarray]], info: Any,
                  path: Path) -> None:
    """The same validation images segmented by each scored artifact, beside the ground truth
    (classes in the dataset's palette; ignored pixels show the image)."""
    from matplotlib.figure import Figure

    from stdc_tf.visualize import blend

    shown = [r for r in records if r.examples and len(r.examples) == len(images)]
    columns: list[tuple[str, Artifact | None]] = [("image", None), ("ground truth", None)]
    columns += [(f"{r.name}\nmIoU {100 * r.miou:.1f} %", r) for r in shown]
    rows = max(len(images), 1)
    height, width = images[0][1].shape[1:3] if images else (1, 2)
    cell = 2.6
    fig = Figure(figsize=(cell * len(columns), cell * height / width * rows + 0.7))
    for row, (image, label) in enumerate(images):
        for col, (title, record) in enumerate(columns):
            ax = fig.add_subplot(rows, len(columns), row * len(columns) + col + 1)
            if record is not None:
                picture = blend(image[0], record.examples[row], info.palette, 255)
            else:
                picture = image[0] if col == 0 else blend(image[0], label[0], info.palette, 255)
            ax.imshow(picture, interpolation="nearest")
            ax.set_axis_off()
            if row == 0:
                ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
