"""The rules the tree keeps, checked on the source: runtimes are opened only in ``runtime/``, no
module probes a Predictor for undeclared members, one native-stderr silencer, one HxW parser,
command-line ``main``s only in ``commands/``, and the README's layout names every package."""
from __future__ import annotations

import ast
import os
import re

import pytest

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
    size_parsers = [str(p.relative_to(ROOT)) for folder in (LIBRARY, ROOT / "benchmarks") for p in folder.rglob("*.py")
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


# ---- bad input to the deployment commands: one line, exit 2 (usage) or 1 (error), before
# TensorFlow is imported (a stand-in `tensorflow` package that refuses to import proves it) ----

def _cli_without_tensorflow(tmp_path, *args: str):
    import subprocess
    import sys

    fake = tmp_path / "fake_tf" / "tensorflow"
    fake.mkdir(parents=True, exist_ok=True)
    (fake / "__init__.py").write_text("raise ImportError('TensorFlow was imported')\n")
    env = {**os.environ, "PYTHONPATH": str(fake.parent)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


BAD_INPUT = [   # (command and options, exit status, words of the one line); M = a model file
    (["convert/to_tflite.py", "--model", "MISSING", "--output", "OUT/x.tflite"], 1, "no such file"),
    (["convert/to_tflite.py", "--model", "EMPTY", "--output", "OUT/x.tflite"], 1, "empty (0 bytes)"),
    (["convert/to_tflite.py", "--model", "M", "--output", "DIR.tflite"], 2, "is a folder"),
    (["convert/to_tflite.py", "--model", "M", "--output", "M/x.tflite"], 2, "is a file, not a folder"),
    (["convert/to_tflite.py", "--model", "M", "--output", "OUT/x.tflite", "--input-size", "100000x100000"],
     2, "too large"),
    (["convert/to_tflite.py", "--model", "M", "--output", "OUT/x.tflite", "--input-size", "16384x2048"],
     2, "too large"),
    (["convert/to_onnx.py", "--model", "MISSING", "--output", "OUT/x.onnx"], 1, "no such file"),
    (["convert/to_onnx.py", "--model", "M", "--output", "DIR.onnx"], 2, "is a folder"),
    (["convert/to_onnx.py", "--model", "M", "--output", "OUT/x.tflite"], 2, "must end in .onnx"),
    (["convert/to_tflite.py", "--model", "M", "--output", "OUT/x.tflite", "--threads", "0"], 2,
     "--threads must be positive"),
    (["convert/to_saved_model.py", "--model", "M", "--output", "OUT/sm", "--version", "0"], 2,
     "--version must be a positive integer"),
    (["convert/to_saved_model.py", "--model", "MISSING", "--output", "OUT/sm"], 1, "no such file"),
    (["convert/to_saved_model.py", "--model", "M", "--output", "M"], 2, "is a file"),
    (["convert/to_triton.py", "--model", "M", "--repository", "OUT/r", "--max-batch", "-1"], 2,
     "expected a positive number"),
    (["convert/to_triton.py", "--model", "EMPTY", "--repository", "OUT/r"], 1, "empty (0 bytes)"),
    (["convert/to_triton.py", "--model", "MISSING", "--repository", "OUT/r"], 1, "no such file"),
    (["convert/to_tensorrt.py", "--model", "MISSING", "--output", "OUT/x.plan"], 1, "no such file"),
    (["convert/to_tensorrt.py", "--model", "M", "--output", "OUT/x.txt"], 2, "must end in one of .plan"),
    (["convert/to_tensorrt.py", "--model", "M", "--output", "DIR.onnx", "--engine", "ort"], 2, "is a folder"),
    (["convert/to_tensorrt.py", "--engine", "tftrt", "--model", "M", "--output", "M"], 2, "is a file"),
    (["training/evaluate.py", "--model", "MISSING"], 1, "no such file"),
    (["convert/profile_edge.py", "--model", "M"], 2, "must be a .tflite file"),
    (["convert/profile_edge.py", "--model", "MISSING.tflite"], 1, "no such file"),
    (["convert/deployment_report.py", "--model", "MISSING", "--output", "OUT/r"], 1, "no such file"),
    (["convert/deployment_report.py", "--model", "M", "--qat-model", "MISSING", "--output", "OUT/r"],
     1, "--qat-model"),
    (["-m", "stdc_tf.commands.metadata", "EMPTY"], 1, "empty (0 bytes)"),
]


@pytest.mark.parametrize("args, status, words", BAD_INPUT, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_input_is_one_line_before_tensorflow(tmp_path, args, status, words):
    (tmp_path / "m.keras").write_bytes(b"PK not really a model")
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "dir.tflite").mkdir()
    (tmp_path / "dir.onnx").mkdir()
    names = {"MISSING": tmp_path / "missing.keras", "MISSING.tflite": tmp_path / "missing.tflite",
             "EMPTY": tmp_path / "empty", "M": tmp_path / "m.keras", "DIR.tflite": tmp_path / "dir.tflite",
             "DIR.onnx": tmp_path / "dir.onnx"}
    argv = [str(names.get(a, a)).replace("OUT/", f"{tmp_path}/out/").replace("M/", f"{tmp_path}/m.keras/")
            for a in args]
    proc = _cli_without_tensorflow(tmp_path, *argv)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == status, proc.stderr[-1500:]
    assert "TensorFlow was imported" not in proc.stderr and "Traceback" not in proc.stderr
    assert words in err[-1] and (len(err) == 1 or err[-1].startswith(err[-1].split(":")[0]))
    if status == 1 or not err[0].startswith("usage:"):
        assert len(err) == 1, err
    assert not (tmp_path / "out").exists()


def test_error_lines_are_cut_at_a_word_and_say_so():
    from stdc_tf.errors import first_line

    line = first_line(ValueError("not a valid archive: " + "truncated header data " * 40))
    assert len(line) <= 320 and line.endswith(" …") and "\n" not in line
    assert line[:-2].split()[-1] in {"truncated", "header", "data"}   # a whole word before the cut
    assert first_line("short message\nmore") == "short message"


def test_the_toolkits_own_error_lines_are_whole_and_verbose_never_cuts(tmp_path):
    """A hint or list the user needs (the TensorRT install line, the supported model kinds) is
    never cut; a foreign error is cut at 300 characters, except with -v."""
    import subprocess
    import sys

    from stdc_tf.runtime.tensorrt import ENGINE_INSTALL

    hint = "TensorRT is not installed; " + ENGINE_INSTALL + "; supported: " + "; ".join(
        f"kind {i} (a folder)" for i in range(20))
    foreign = "not a valid archive: " + "truncated header data " * 40
    (tmp_path / "fail.py").write_text(
        "import sys\nfrom stdc_tf import cli\nfrom stdc_tf.errors import StdcError\n"
        f"def main(args):\n    raise StdcError({hint!r}) if args.own else OSError({foreign!r})\n"
        "p = cli.parser('fail')\np.add_argument('--own', action='store_true')\n"
        "sys.exit(cli.run(main, p))\n")

    def error(*args: str) -> str:
        proc = subprocess.run([sys.executable, str(tmp_path / "fail.py"), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1
        return proc.stderr

    assert error("--own") == f"error: {hint}\n"
    assert len(hint) > 400
    cut = error()
    assert cut.endswith(" …\n") and len(cut) < 320
    assert error("-v") == f"error: {foreign.strip()}\n"


def test_a_closed_pipe_ends_the_output_quietly(tmp_path):
    """`command | head`: no "Broken pipe" line, no traceback."""
    import subprocess
    import sys

    (tmp_path / "many.py").write_text(
        "import sys\nfrom stdc_tf import cli\n"
        "def main(args):\n    for i in range(200000):\n        print('line', i)\n"
        "sys.exit(cli.run(main, cli.parser('many'), []))\n")
    shell = subprocess.run(f"{sys.executable} {tmp_path / 'many.py'} | head -2", shell=True, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert shell.stdout.splitlines() == ["line 0", "line 1"]
    assert shell.stderr == "", shell.stderr
