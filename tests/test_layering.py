"""The layering rule (a module imports only those below it, no package cycles) and the modules
that must load without TensorFlow, checked on the source itself."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

# Lower numbers are lower layers. stdc_tf/__init__.py (the import hook) is left out on purpose.
RANKS = {
    "conventions": 0, "errors": 0, "atomic": 0, "cli": 0, "native": 0, "progress": 0,
    "data": 1, "models": 1, "runtime": 1, "losses": 1,
    "evaluation": 2, "weights": 2, "profiling": 2, "quantization": 2, "visualize": 2,
    "export": 3, "training": 3,
    "commands": 4, "deployment_report": 4, "inference": 4,
}


def _imports() -> dict[str, set[str]]:
    """stdc_tf top-level package (or module) → the stdc_tf packages it imports, anywhere in it."""
    edges: dict[str, set[str]] = {}
    for path in (ROOT / "stdc_tf").rglob("*.py"):
        parts = path.relative_to(ROOT / "stdc_tf").with_suffix("").parts
        if parts == ("__init__",):
            continue
        owner = parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            for name in imported_modules(node, parts):
                if name.startswith("stdc_tf.") and name.split(".")[1] in RANKS:
                    edges.setdefault(owner, set()).add(name.split(".")[1])
    return edges


def imported_modules(node: ast.AST, parts: tuple[str, ...]) -> list[str]:
    """Every stdc_tf module an import statement reaches, whatever its form: ``import stdc_tf.x``,
    ``from stdc_tf.x import y``, ``from stdc_tf import x`` (→ ``stdc_tf.x``) and relative imports
    (resolved against the module at ``parts``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    package = ["stdc_tf", *parts[:-1]]
    base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
    module = ".".join(p for p in (base, node.module or "") if p)
    return [module] + [f"{module}.{a.name}" for a in node.names]


def test_every_import_form_is_seen():
    def seen(code: str, parts: tuple[str, ...] = ("export", "onnx")) -> set[str]:
        return {m for node in ast.walk(ast.parse(code)) for m in imported_modules(node, parts)
                if m.startswith("stdc_tf.")}
    assert "stdc_tf.cli" in seen("from stdc_tf import cli")
    assert "stdc_tf.runtime.predictors" in seen("import stdc_tf.runtime.predictors as p")
    assert "stdc_tf.export.tflite" in seen("from .tflite import convert")
    assert "stdc_tf.models.io" in seen("from ..models import io")


def test_every_package_has_a_layer():
    packages = {p.stem if p.is_file() else p.name for p in (ROOT / "stdc_tf").iterdir()
                if not p.name.startswith(("_", ".")) and (p.suffix == ".py" or p.is_dir())}
    assert packages <= set(RANKS), packages - set(RANKS)


def module_imports(package: Path = ROOT / "stdc_tf") -> dict[str, set[str]]:
    """stdc_tf module (a package is its ``__init__``) → the stdc_tf modules it imports, at module
    level or inside a function: a deferred import still makes a circle the code has to work around."""
    paths = {".".join(("stdc_tf", *p.relative_to(package).with_suffix("").parts))
             .removesuffix(".__init__"): p for p in package.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for module, path in paths.items():
        parts = path.relative_to(package).with_suffix("").parts
        for node in ast.walk(ast.parse(path.read_text())):
            for name in imported_modules(node, parts):
                while name and name not in paths:   # stdc_tf.runtime.base.ModelIO → stdc_tf.runtime.base
                    name = name.rpartition(".")[0]
                if name and name != module:
                    edges.setdefault(module, set()).add(name)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every group of nodes that reach each other (a strongly connected component of two or more,
    Tarjan's algorithm), each sorted, the list sorted: one entry per circle, however long."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def test_cycle_finder_reports_every_circle_and_nothing_else():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set(),
             "x": {"y"}, "y": {"x"}, "p": {"q"}, "q": {"r"}}
    assert cycles(graph) == [["a", "b", "c"], ["x", "y"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_module_circle_inside_one_package_is_found(tmp_path):
    """A circle planted between two modules of one package, through a deferred import, is seen."""
    package = tmp_path / "stdc_tf" / "quantization"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "configs.py").write_text("def scope():\n    from stdc_tf.quantization.schemes import Config\n")
    (package / "schemes.py").write_text("from . import configs\n")
    (package / "qat.py").write_text("from stdc_tf.quantization import configs, schemes\n")
    assert module_imports(tmp_path / "stdc_tf") == {
        "stdc_tf.quantization.configs": {"stdc_tf.quantization.schemes"},
        "stdc_tf.quantization.schemes": {"stdc_tf.quantization", "stdc_tf.quantization.configs"},
        "stdc_tf.quantization.qat": {"stdc_tf.quantization", "stdc_tf.quantization.configs",
                                     "stdc_tf.quantization.schemes"}}
    assert cycles(module_imports(tmp_path / "stdc_tf")) == [
        ["stdc_tf.quantization.configs", "stdc_tf.quantization.schemes"]]


def test_nothing_imports_from_above_and_nothing_forms_a_circle():
    edges = _imports()
    upward = sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets if RANKS[b] > RANKS[a])
    assert not upward, upward
    assert cycles({a: targets - {a} for a, targets in edges.items()}) == []   # across packages
    assert cycles(module_imports()) == []                                      # between modules


def test_options_presets_data_lists_and_prediction_scoring_load_without_tensorflow():
    code = ("import sys\n"
            "import stdc_tf.training.config, stdc_tf.models.registry, stdc_tf.data.datasets\n"
            "import stdc_tf.evaluation.predictions, stdc_tf.export.metadata, stdc_tf.cli\n"
            "from stdc_tf.models.registry import PRESETS\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith(('tensorflow', 'keras')))[:3]\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
