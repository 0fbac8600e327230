"""The command line contract: help, version, exit codes, one-line errors, generate outputs."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import edgegan
from conftest import needs_tf, run_cli

pytestmark = pytest.mark.light  # the tests that need the export tier say so


def test_help_lists_only_built_commands():
    r = run_cli("--help")
    assert r.returncode == 0
    for cmd in ("train", "export", "generate", "verify", "bench", "demo", "evaluate"):
        assert cmd in r.stdout


def test_version():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"edgegan {edgegan.__version__}"


def test_usage_errors_exit_2():
    assert run_cli("frobnicate").returncode == 2
    assert run_cli("generate", "--backend", "coreml").returncode == 2
    assert run_cli().returncode == 2
    r = run_cli("export", "--optimize-form", "pads-bogus")  # a rewrite tag is checked before anything loads
    assert r.returncode == 2 and "not a rewrite choice: 'pads-bogus'" in r.stderr.splitlines()[-1], r.stderr


def test_errors_are_one_line_exit_1_and_debug_shows_the_traceback(tmp_path):
    r = run_cli("generate", "--model", str(tmp_path / "missing"), "-o", str(tmp_path / "x.png"))
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"edgegan: error: {tmp_path / 'missing'}: no such bundle folder or model file"
    ]
    r = run_cli("--debug", "generate", "--model", str(tmp_path / "missing"))
    assert r.returncode == 1 and "Traceback" in r.stderr


@needs_tf
def test_generate_grid_each_npy_and_interpolate(bundle, tmp_path):
    out = tmp_path / "grid.png"
    r = run_cli(
        "generate",
        "--model",
        str(bundle),
        "-n",
        "6",
        "--seed",
        "2",
        "-o",
        str(out),
        "--each",
        str(tmp_path / "each"),
        "--npy",
        str(tmp_path / "a.npy"),
        "--backend",
        "tflite",
        "--precision",
        "int8",
    )
    assert r.returncode == 0, r.stderr
    assert Image.open(out).size[0] > 28 * 2
    assert len(list((tmp_path / "each").glob("*.png"))) == 6
    a = np.load(tmp_path / "a.npy", allow_pickle=False)
    assert a.shape == (6, 28, 28, 1) and a.dtype == np.uint8
    g = edgegan.load(bundle, backend="tflite", precision="int8")
    np.testing.assert_array_equal(a, g.sample(6, seed=2))
    r = run_cli("generate", "--model", str(bundle), "--interpolate", "8", "-o", str(tmp_path / "walk.png"))
    assert r.returncode == 0 and (tmp_path / "walk.gif").is_file()
    assert Image.open(tmp_path / "walk.gif").n_frames == 8


@needs_tf
def test_generate_from_a_bare_file(bundle, tmp_path):
    r = run_cli("generate", "--model", str(bundle / "generator.fp32.onnx"), "-n", "4", "-o", str(tmp_path / "g.png"))
    assert r.returncode == 0 and (tmp_path / "g.png").is_file()


def test_generate_never_imports_tensorflow(tmp_path):
    """Even its error path: the light CLI must not load TensorFlow."""
    code = (
        "import sys; from edgegan.cli import main; rc = main(['generate', '--model', sys.argv[1], '-o', sys.argv[2]]); "
        "print(rc, any(k.startswith(('tensorflow', 'keras')) for k in sys.modules))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "none"), str(tmp_path / "o.png")], capture_output=True, text=True
    )
    assert r.stdout.split() == ["1", "False"]


@pytest.mark.parametrize("n", ["0", "-3"])
def test_generate_rejects_a_bad_count(n, tmp_path):
    r = run_cli("generate", "-n", n, "-o", str(tmp_path / "o.png"))
    assert r.returncode == 1 and "-n must be at least 1" in r.stderr
