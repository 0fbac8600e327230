"""The light tier never imports TensorFlow or Keras (checked in a fresh interpreter)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.light

LIGHT_MODULES = [
    "edgegan",
    "edgegan.cli",
    "edgegan.runtime",
    "edgegan.manifest",
    "edgegan.verify",
    "edgegan.parity",
    "edgegan.bench",
    "edgegan.data",
    "edgegan.evaluate",
    "edgegan.runtime.engines",
    "edgegan.export.formats",
]

CHECK = """
import sys, importlib
for m in sys.argv[1:]:
    importlib.import_module(m)
heavy = sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras', 'tf2onnx', 'onnx'))
print(','.join(heavy))
"""


def heavy_modules_after(*code_or_modules: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", CHECK, *code_or_modules], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.strip().split(",") if m]


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_module_imports_no_tensorflow(module):
    assert heavy_modules_after(module) == []


def test_the_check_catches_a_tensorflow_import():
    pytest.importorskip("keras")
    # If a light module did `import keras`, this is what the check above would see.
    assert "keras" in heavy_modules_after("edgegan", "keras")


def test_cli_help_and_generate_parse_without_tensorflow():
    code = "import sys; from edgegan.cli import build_parser; build_parser(); print(sorted(k for k in sys.modules if k.startswith(('tensorflow','keras'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr
