"""The rules the tree keeps, checked on the source: runtimes are opened only in ``runtime/``, no
module probes a Predictor for undeclared members, one native-stderr silencer, one HxW parser,
command-line ``main``s only in ``commands/``, and the README's layout names every package."""
from __future__ import annotations

import ast
import re

from conftest import ROOT

LIBRARY = ROOT / "stdc_tf"
# Calls that open a model to run it: onnxruntime sessions, LiteRT interpreters and compiled
# models, TensorRT engines, TensorFlow SavedModels.
OPENERS = {"InferenceSession", "Interpreter", "CompiledModel.from_file", "CompiledModel.from_buffer",
           "deserialize_cuda_engine", "saved_model.load", "models.load_model"}


def _modules(exclude: str | None = None) -> dict[str, ast.Module]:
    return {str(p.relative_to(ROOT)): ast.parse(p.read_text()) for p in LIBRARY.rglob("*.py")
            if exclude is None or not p.relative_to(LIBRARY).as_posix().startswith(exclude)}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _calls(tree: ast.Module) -> list[tuple[str, ast.Call]]:
    return [(_dotted(n.func), n) for n in ast.walk(tree) if isinstance(n, ast.Call)]


def opened_outside_runtime() -> list[str]:
    found = []
    for name, tree in _modules(exclude="runtime/").items():
        for called, node in _calls(tree):
            if any(called == o or called.endswith("." + o) for o in OPENERS):
                found.append(f"{name}:{node.lineno} {called}")
    return found


def test_models_are_opened_to_run_only_in_runtime():
    # tf_keras' load_model in quantization/qat.py reads a QAT .h5 (a model to train and convert,
    # like models/io.py's .keras reader), not a runtime: the one allowed exception.
    assert [f for f in opened_outside_runtime() if "quantization/qat.py" not in f] == []


def test_the_opener_scan_finds_what_it_looks_for(tmp_path):
    tree = ast.parse("import onnxruntime as ort\nsession = ort.InferenceSession('m.onnx')\n"
                     "tf.saved_model.load('x')\n")
    assert [c for c, _ in _calls(tree) if any(c.endswith(o) for o in OPENERS)] == [
        "ort.InferenceSession", "tf.saved_model.load"]


def test_no_module_probes_a_predictor_for_undeclared_members():
    probes = []
    for name, tree in _modules(exclude="runtime/").items():
        for called, node in _calls(tree):
            if called in ("getattr", "hasattr") and node.args and "predictor" in ast.unparse(node.args[0]):
                probes.append(f"{name}:{node.lineno} {ast.unparse(node)}")
            if called == "isinstance" and len(node.args) == 2 and "Predictor" in ast.unparse(node.args[1]):
                probes.append(f"{name}:{node.lineno} {ast.unparse(node)}")
    assert probes == []


def test_one_native_stderr_silencer_and_one_size_parser():
    dup2 = [name for name, tree in _modules().items() for called, _ in _calls(tree) if called == "os.dup2"]
    assert set(dup2) == {"stdc_tf/native.py"}, dup2
    size_parsers = [str(p.relative_to(ROOT)) for p in LIBRARY.rglob("*.py")
                    if re.search(r"""split\(\s*["']x["']\s*\)""", p.read_text())]
    assert size_parsers == ["stdc_tf/cli.py"], size_parsers


def test_command_line_mains_live_in_commands_only():
    mains = [name for name, tree in _modules(exclude="commands/").items()
             if any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in tree.body)
             or any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body)]
    assert mains == []


def test_every_package_has_an_opening_docstring_and_a_line_in_the_readme_layout():
    layout = ROOT.joinpath("README.md").read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]
    packages = sorted(p.name for p in LIBRARY.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    assert len(packages) >= 10
    missing = [p for p in packages if f"stdc_tf/{p}/" not in layout]
    assert missing == [], f"README layout lacks {missing}"
    modules = sorted(p.stem for p in LIBRARY.glob("*.py") if not p.stem.startswith("_"))
    assert [m for m in modules if f"{m}.py" not in layout] == []
    undocumented = [p for p in packages if not ast.get_docstring(ast.parse((LIBRARY / p / "__init__.py").read_text()))]
    assert undocumented == []
