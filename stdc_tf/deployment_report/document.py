"""``report.json`` and ``report.md``: the artifacts' records side by side, the reference and the front."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

from stdc_tf.deployment_report.artifacts import WORTH_A_LOOK, Artifact, ReportSettings

SCHEMA_VERSION = "stdc_tf.report/1"
REFERENCES = ("fp32", "keras")          # the Δ reference: the first of these that was scored
FILES = {"json": "report.json", "markdown": "report.md", "pareto": "pareto.png",
         "examples": "examples.png"}
SHOWN_CLASSES = 3


def reference_of(records: Sequence[Artifact]) -> Artifact | None:
    scored = {r.name: r for r in records if r.miou is not None}
    return next((scored[n] for n in REFERENCES if n in scored), None)


def pareto_front(records: Sequence[Artifact]) -> list[Artifact]:
    """The artifacts that no other one beats on both latency (p50) and mIoU, fastest first."""
    points = sorted((r for r in records if r.miou is not None and r.headline()),
                    key=lambda r: (r.headline()["latency_ms"]["p50"], -r.miou))
    front: list[Artifact] = []
    for record in points:
        if not front or record.miou > front[-1].miou:
            front.append(record)
    return front


def report_json(records: Sequence[Artifact], settings: ReportSettings, model_path: Path, root: Path,
                dataset: dict) -> dict:
    """The whole report as one JSON-ready dict (``dataset``: name, root, split, classes, images)."""
    from stdc_tf.profiling import environment

    reference = reference_of(records)
    protocol = next((r.evaluation["protocol"] for r in records if r.evaluation), None)
    return {
        "schema": SCHEMA_VERSION, "tool": "report",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "model": {"path": str(model_path), "input_size": list(settings.input_size),
                  "qat_model": str(settings.qat_model) if settings.qat_model else None},
        "dataset": dataset,
        "host": {**environment.cpu_device(), "gpus": environment.nvidia_gpus()},
        "libraries": environment.library_versions(),
        "protocol": {"evaluation": protocol, "warmup": settings.warmup, "runs": settings.runs,
                     "threads": list(settings.threads), "batches": list(settings.batches),
                     "calibration_steps": settings.calibration_steps,
                     "timed_region": "the model alone: LiteRT's invoke, the other runtimes' "
                                     "'compute' region (input already on the device)",
                     "latency": "p50/p90 of the fastest configuration that ran; every "
                                "configuration is in the artifact's 'profile'",
                     "contract": "uint8 RGB in, uint8 class map out (the Keras model: logits)"},
        "reference": reference.name if reference else None,
        "artifacts": [r.as_dict(root, reference) for r in records],
        "pareto_front": [r.name for r in pareto_front(records)],
        "files": dict(FILES),
    }


def _num(value: float | None, scale: float = 1.0, sign: bool = False) -> str:
    if value is None:
        return ""
    return f"{value * scale:+.2f}" if sign else f"{value * scale:.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _status(a: dict) -> str:
    if a["status"] == "ok":
        return "ok"
    where = f" at {a['stage']}" if a["status"] == "failed" and a["stage"] else ""
    return f"{a['status']}{where}: {a['reason']}"


def summary_table(report: dict) -> str:
    """The headline table (Markdown): one row per artifact, skipped and failed ones with why."""
    rows = [f"| artifact | mIoU (%) | Δ vs {report['reference'] or '-'} | p50 ms | p90 ms | timed with | "
            f"size (MiB) | ops | status |",
            "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |"]
    for a in report["artifacts"]:
        latency = a["latency"] or {}
        config = latency.get("configuration", "")
        if config and latency["batch"] != 1:
            config += f", batch {latency['batch']}"
        name = f"**{a['name']}**" if a["name"] in report["pareto_front"] else a["name"]
        rows.append("| " + " | ".join([
            name, _num(a["mIoU"], 100), _num(a["delta_mIoU"], 100, sign=True),
            _num(latency.get("p50_ms")), _num(latency.get("p90_ms")), config,
            _num(a["size_bytes"], 2 ** -20), str(a["op_count"] or ""), _cell(_status(a))]) + " |")
    return "\n".join(rows)


def _latency_rows(report: dict) -> list[str]:
    rows = ["| artifact | where | configuration | batch | p50 ms | p90 ms | mean ms | notes |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for a in report["artifacts"]:
        phone = a["phone"] or {}
        timed = [("host", e) for e in a["profile"]] + \
            [(f"phone: {phone['device']['name']}", e) for e in phone.get("results") or []]
        for where, e in timed:
            stats = e["latency_ms"] or {}
            note = "; ".join(e["warnings"]) if e["status"] == "ok" else f"{e['status']}: {e['reason']}"
            rows.append(f"| {a['name']} | {_cell(where)} | {e['name']} | {e['batch']} | {_num(stats.get('p50'))} | "
                        f"{_num(stats.get('p90'))} | {_num(stats.get('mean'))} | {_cell(note)} |")
    return rows


def _where(dataset: dict) -> str:
    """``synthetic val (data/synthetic)``, from what is known about the split."""
    name = " ".join(str(dataset[k]) for k in ("name", "split") if dataset.get(k)) or dataset["classes"]
    return f"{name} ({dataset['root']})" if dataset.get("root") else name


def _class_lines(report: dict) -> list[str]:
    lines = []
    for a in report["artifacts"]:
        classes = a["classes_worth_a_look"]
        if classes:
            more = len(classes) - SHOWN_CLASSES
            lines.append(f"- {a['name']}: " + ", ".join(f"{c['class']} {100 * c['delta']:+.2f}"
                                                       for c in classes[:SHOWN_CLASSES])
                         + (f" (+{more} more in report.json)" if more > 0 else ""))
    return lines or ["none"]


def _notes(report: dict) -> list[str]:
    notes = []
    for a in report["artifacts"]:
        check = a["check"] or {}
        if check.get("class_agreement") is not None:
            notes.append(f"- {a['name']}: class maps agree with the Keras model's on "
                         f"{100 * check['class_agreement']:.2f} % of the pixels of {check['images']} images")
        notes += [f"- {a['name']}: {w}" for w in a["warnings"]]
    return notes or ["none"]


def markdown(report: dict) -> str:
    """``report.md``: the summary table, per-class changes, latency per configuration, ops, notes."""
    host, protocol = report["host"], report["protocol"]
    gpus = ", ".join(g["name"] for g in host["gpus"])
    size = "x".join(map(str, report["model"]["input_size"]))
    ops = [f"- {a['name']} ({a['op_count']}): " + ", ".join(f"{op} x{n}" for op, n in a["ops"].items())
           for a in report["artifacts"] if a["ops"]]
    return "\n".join([
        f"# Deployment report: {report['model']['path']}", "",
        f"Scored by the evaluator on {report['dataset']['num_images']} images of {_where(report['dataset'])} "
        f"at {size}; timed on {host['name']}{f' with {gpus}' if gpus else ''}, {protocol['warmup']} "
        f"warm-up + {protocol['runs']} runs, the model alone; latency = the fastest configuration "
        f"that ran. **Bold**: on the Pareto front (no other artifact is both faster and more "
        f"accurate). Δ in mIoU points.", "",
        summary_table(report), "", f"![latency vs mIoU]({FILES['pareto']})", "",
        f"## Per-class IoU changes of {100 * WORTH_A_LOOK:g} point or more against {report['reference']}", "",
        *_class_lines(report), "", "## Latency per configuration", "", *_latency_rows(report), "",
        "## Ops", "", *(ops or ["none recorded"]), "", "## Conversion checks and warnings", "",
        *_notes(report), "", "## Examples", "", f"![examples]({FILES['examples']})", ""])
