"""The one report format of every profiler (GPU/host, host LiteRT, phone over adb): JSON + table.

A report says what was timed and how, next to the numbers: the model(s), the device and library
versions, the protocol (warm-up, runs, input size, batches), and per configuration a result
entry with its timed region, its clock, latency statistics (:mod:`stdc_tf.profiling.stats`),
throughput, peak memory, delegation, warnings (e.g. a GPU delegate that silently left the model
on the CPU) and op-type times. A configuration that could not run is an entry with status
``skipped`` (its runtime is missing) or ``failed`` and a one-line reason, so the report still
says what was tried. :data:`REPORT_SCHEMA` is the JSON Schema of the file.
"""
from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.profiling.stats import LATENCY_FIELDS, throughput

SCHEMA_VERSION = "stdc_tf.profile/1"
STATUSES = ("ok", "skipped", "failed")

_NUMBER = {"type": ["number", "null"]}
_STRING = {"type": ["string", "null"]}
_LATENCY = {
    "type": ["object", "null"],
    "required": list(LATENCY_FIELDS),
    "additionalProperties": False,
    "properties": {f: ({"type": ["integer", "null"]} if f == "count" else _NUMBER)
                   for f in LATENCY_FIELDS},
}
_RESULT = {
    "type": "object",
    "required": ["name", "model", "config", "status", "reason", "batch", "timed_region", "timer",
                 "init_ms", "first_inference_ms", "warmup_ms", "latency_ms", "fps", "images_per_s",
                 "peak_memory_mb", "delegation", "warnings", "op_profile"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "model": {"type": "string"},
        "config": {"type": "object"},
        "status": {"enum": list(STATUSES)},
        "reason": _STRING,
        "batch": {"type": "integer", "minimum": 1},
        "timed_region": _STRING,
        "timer": _STRING,
        "init_ms": _NUMBER,
        "first_inference_ms": _NUMBER,
        "warmup_ms": _LATENCY,
        "latency_ms": _LATENCY,
        "fps": _NUMBER,
        "images_per_s": _NUMBER,
        "peak_memory_mb": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"host": _NUMBER, "host_delta": _NUMBER, "device": _NUMBER,
                           "scope": _STRING},
        },
        "delegation": {
            "type": ["object", "null"],
            "properties": {"delegate": {"type": "string"},
                           "nodes_delegated": {"type": ["integer", "null"]},
                           "nodes_total": {"type": ["integer", "null"]},
                           "partitions": {"type": ["integer", "null"]},
                           "applied": {"type": ["boolean", "null"]},
                           "unsupported_ops": {"type": "array", "items": {"type": "string"}}},
            "required": ["delegate"],
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
        "op_profile": {
            "type": ["array", "null"],
            "items": {"type": "object", "required": ["op", "count", "avg_ms", "percent"],
                      "properties": {"op": {"type": "string"},
                                     "count": {"type": "integer"},
                                     "avg_ms": {"type": "number"},
                                     "percent": _NUMBER}},
        },
    },
    # an "ok" entry carries its numbers; a skipped/failed one says why
    "allOf": [{"if": {"properties": {"status": {"const": "ok"}}},
               "then": {"properties": {"latency_ms": {"type": "object"}}},
               "else": {"properties": {"reason": {"type": "string"}}}}],
}
REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "stdc_tf latency profile",
    "type": "object",
    "required": ["schema", "tool", "created", "models", "device", "libraries", "protocol",
                 "results"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": SCHEMA_VERSION},
        "tool": {"type": "string"},
        "created": {"type": "string"},
        "models": {"type": "array", "items": {"type": "object", "required": ["path"]}},
        "device": {"type": "object", "required": ["kind", "name"],
                   "properties": {"kind": {"enum": ["cpu", "gpu", "android"]},
                                  "name": {"type": "string"}}},
        "libraries": {"type": "object", "additionalProperties": {"type": "string"}},
        "protocol": {"type": "object", "required": ["warmup", "runs"]},
        "results": {"type": "array", "items": _RESULT},
        "compatibility": {"type": ["object", "null"]},
    },
}


def new_report(tool: str, models: Sequence[dict], device: dict, libraries: dict[str, str],
               protocol: dict) -> dict[str, Any]:
    """An empty report; profilers append entries from :func:`result` to ``report["results"]``."""
    return {"schema": SCHEMA_VERSION, "tool": tool,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "models": list(models), "device": device, "libraries": libraries,
            "protocol": protocol, "results": []}


def result(name: str, model: str, config: dict, *, status: str = "ok", reason: str | None = None,
           batch: int = 1, timed_region: str | None = None, timer: str | None = None,
           init_ms: float | None = None, first_inference_ms: float | None = None,
           warmup_ms: dict | None = None, latency_ms: dict | None = None,
           peak_memory_mb: dict | None = None, delegation: dict | None = None,
           warnings: Sequence[str] = (), op_profile: list[dict] | None = None) -> dict[str, Any]:
    """One result entry; ``fps``/``images_per_s`` follow from the mean latency and the batch."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    rates = throughput(latency_ms["mean"] if latency_ms else None, batch)
    return {"name": name, "model": model, "config": config, "status": status, "reason": reason,
            "batch": batch, "timed_region": timed_region, "timer": timer, "init_ms": init_ms,
            "first_inference_ms": first_inference_ms, "warmup_ms": warmup_ms,
            "latency_ms": latency_ms, **rates, "peak_memory_mb": peak_memory_mb,
            "delegation": delegation, "warnings": list(warnings), "op_profile": op_profile}


def skipped(name: str, model: str, config: dict, reason: str, batch: int = 1) -> dict[str, Any]:
    """An entry for a configuration whose runtime or accelerator is not there."""
    return result(name, model, config, status="skipped", reason=reason, batch=batch)


def write_json(report: dict, path: str | Path) -> Path:
    """Write ``report`` as indented JSON (temporary file, then rename)."""
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    return path


def finish(report: dict, output: str | Path | None) -> None:
    """What every profiler command ends with: the JSON written where asked, and an error when
    nothing at all could be timed (each skipped entry already says why)."""
    import logging

    if output:
        write_json(report, output)
        logging.getLogger("stdc_tf").info("wrote %s", output)
    if not any(entry["status"] == "ok" for entry in report["results"]):
        from stdc_tf.errors import StdcError
        raise StdcError("nothing was timed (the notes above say why)")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}" if value < 100 else f"{value:.1f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _memory(entry: dict) -> str:
    memory = entry["peak_memory_mb"] or {}
    value = memory.get("device") if memory.get("device") is not None else memory.get("host")
    return "-" if value is None else f"{value:.0f}"


def _note(entry: dict) -> str:
    if entry["status"] != "ok":
        return f"{entry['status']}: {entry['reason']}"
    return "; ".join(entry["warnings"])


_COLUMNS = (("configuration", lambda e: e["name"]), ("batch", lambda e: str(e["batch"])),
            ("region", lambda e: e["config"].get("region", "")),
            ("init ms", lambda e: _ms(e["init_ms"])),
            ("first ms", lambda e: _ms(e["first_inference_ms"])),
            ("p50 ms", lambda e: _ms((e["latency_ms"] or {}).get("p50"))),
            ("p90 ms", lambda e: _ms((e["latency_ms"] or {}).get("p90"))),
            ("p99 ms", lambda e: _ms((e["latency_ms"] or {}).get("p99"))),
            ("mean ms", lambda e: _ms((e["latency_ms"] or {}).get("mean"))),
            ("FPS", lambda e: _rate(e["fps"])), ("img/s", lambda e: _rate(e["images_per_s"])),
            ("peak MB", _memory), ("notes", _note))


def format_table(report: dict) -> str:
    """The results as an aligned text table (columns no entry fills are left out)."""
    entries = report["results"]
    columns = [(title, cell) for title, cell in _COLUMNS
               if title in ("configuration", "notes")
               or any(cell(e) not in ("", "-") for e in entries)]
    rows = [[title for title, _ in columns]] + [[cell(e) for _, cell in columns] for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns) - 1)]
    lines = ["  ".join([c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row[:-1], widths, strict=True))]
                       + [row[-1]]).rstrip()
             for row in rows]
    device = report["device"]
    head = f"device: {device['name']} ({device['kind']})"
    return "\n".join([head, *lines])
