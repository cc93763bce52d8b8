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


CLOSE = 0.04   # points nearer than this fraction of the axis span on both axes share a label fan


def label_offsets(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Label offsets (points of type) for markers at ``points`` (latency, mIoU): a lone marker's
    label sits above right; markers within :data:`CLOSE` of each other (onnx, fp32 and fp16 often
    are) get their labels fanned out one above the other to the right, highest mIoU on top, each
    joined to its marker by a line, so every artifact is named and none hides another."""
    xs, ys = [p[0] for p in points] or [0.0], [p[1] for p in points] or [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    groups: list[list[int]] = []
    for i in sorted(range(len(points)), key=lambda k: points[k]):
        near = next((g for g in groups if any(abs(points[i][0] - points[j][0]) <= CLOSE * span_x
                                              and abs(points[i][1] - points[j][1]) <= CLOSE * span_y
                                              for j in g)), None)
        near.append(i) if near is not None else groups.append([i])
    offsets: list[tuple[float, float]] = [(6.0, 8.0)] * len(points)
    for group in (g for g in groups if len(g) > 1):
        for rank, i in enumerate(sorted(group, key=lambda k: -points[k][1])):
            offsets[i] = (28.0, 14.0 * ((len(group) - 1) / 2 - rank))
    return offsets


def plot_pareto(report: dict, path: Path) -> None:
    """Latency p50 against mIoU, marker area by file size, the Pareto front drawn.

    Each artifact has its own colour and marker shape, the legend draws them with the plot's
    transparency, the larger markers are drawn first (a small file's marker is never covered by a
    larger one) and every marker is named, with the labels of close markers fanned out
    (:func:`label_offsets`); the front's names are red."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    done = [a for a in report["artifacts"] if a["mIoU"] is not None and a["latency"]]
    front = sorted((a for a in done if a["name"] in report["pareto_front"]),
                   key=lambda a: report["pareto_front"].index(a["name"]))
    fig = Figure(figsize=(8, 5))
    ax = fig.add_subplot()
    handles = []
    largest = max((a["size_bytes"] or 1 for a in done), default=1)
    points = [(a["latency"]["p50_ms"], 100 * a["mIoU"]) for a in done]
    style = {a["name"]: (f"C{i % 10}", MARKERS[i % len(MARKERS)]) for i, a in enumerate(done)}
    for a, (x, y) in sorted(zip(done, points), key=lambda pair: -(pair[0]["size_bytes"] or 0)):
        color, marker = style[a["name"]]
        ax.scatter([x], [y], s=40 + 900 * (a["size_bytes"] or 0) / largest,
                   color=color, marker=marker, alpha=ALPHA, edgecolors="black", zorder=3)
    for a in done:
        color, marker = style[a["name"]]
        handles.append(Line2D([], [], marker=marker, linestyle="", color=color, markeredgecolor="black",
                              alpha=ALPHA, label=f"{a['name']}: {(a['size_bytes'] or 0) / 2**20:.1f} MiB"))
    on_front = {a["name"] for a in front}
    for a, point, offset in zip(done, points, label_offsets(points)):
        fanned = offset != (6.0, 8.0)
        ax.annotate(a["name"], point, textcoords="offset points", xytext=offset, fontsize=8,
                    va="center" if fanned else "baseline",
                    color="tab:red" if a["name"] in on_front else "black", zorder=4,
                    arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "0.4"} if fanned else None,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    if front:
        x, y = [a["latency"]["p50_ms"] for a in front], [100 * a["mIoU"] for a in front]
        (line,) = ax.plot(x, y, "--", color="tab:red", drawstyle="steps-post", zorder=2,
                          label="Pareto front: " + " → ".join(a["name"] for a in front))
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


CELL = 2.6          # inches per example image: three fit a page's width at a readable scale
LABEL_WIDTH = 1.3   # inches left of the rows for their names
DPI = 100


def example_classes(images: list[tuple[np.ndarray, np.ndarray]], maps: Sequence[Sequence[np.ndarray]],
                    num_classes: int) -> list[int]:
    """The classes present in the examples' ground truth or in any of the artifacts' ``maps``."""
    values = set()
    for array in [label for _, label in images] + [m for ms in maps for m in ms]:
        values.update(int(v) for v in np.unique(array))
    return sorted(v for v in values if v < num_classes)


def plot_examples(records: Sequence[Artifact], images: list[tuple[np.ndarray, np.ndarray]], info: Any,
                  path: Path) -> list[str]:
    """The same validation images (columns) segmented by each scored artifact (rows), below the
    image and its ground truth, with a legend of the classes present; returns the legend's class
    names. Rows, not columns, per artifact: ten artifacts stay readable at a page's width."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from stdc_tf.visualize import blend

    shown = [r for r in records if r.examples and len(r.examples) == len(images)]
    rows: list[tuple[str, Artifact | None]] = [("image", None), ("ground truth", None)]
    rows += [(f"{r.name}\nmIoU {100 * r.miou:.1f} %", r) for r in shown]
    columns = max(len(images), 1)
    height, width = images[0][1].shape[1:3] if images else (1, 2)
    classes = example_classes(images, [r.examples for r in shown], info.num_classes)
    legend_columns = max(1, min(len(classes), round(2 * columns)))
    legend_height = 0.25 * -(-len(classes) // legend_columns) + 0.3
    grid_height = CELL * height / width * len(rows)
    fig = Figure(figsize=(LABEL_WIDTH + CELL * columns, grid_height + legend_height), dpi=DPI)
    axes = fig.subplots(len(rows), columns, squeeze=False)
    fig.subplots_adjust(left=LABEL_WIDTH / (LABEL_WIDTH + CELL * columns), right=0.99, top=0.995,
                        bottom=legend_height / (grid_height + legend_height), wspace=0.03, hspace=0.05)
    for row, (title, record) in enumerate(rows):
        for col, (image, label) in enumerate(images):
            ax = axes[row][col]
            if record is not None:
                picture = blend(image[0], record.examples[col], info.palette, 255)
            else:
                picture = image[0] if row == 0 else blend(image[0], label[0], info.palette, 255)
            ax.imshow(picture, interpolation="nearest")
        for ax in axes[row]:
            ax.set_axis_off()
        axes[row][0].text(-0.04, 0.5, title, transform=axes[row][0].transAxes, ha="right", va="center",
                          fontsize=9)
    names = [info.class_names[c] for c in classes]
    if classes:
        fig.legend(handles=[Patch(facecolor=np.asarray(info.palette[c]) / 255, edgecolor="0.3", label=name)
                            for c, name in zip(classes, names)],
                   loc="lower center", ncol=legend_columns, fontsize=8, frameon=False,
                   handlelength=1.2, columnspacing=1.0)
    fig.savefig(path, format="png", dpi=DPI)
    return names
