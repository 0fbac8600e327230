"""The shipped reference bundle works with the light tier alone (CI runs these in a venv
without TensorFlow: `pytest -m light`)."""

import json

import numpy as np
import pytest

from conftest import ROOT, run_cli

SHIPPED = ROOT / "models" / "mnist-dcgan"
pytestmark = [
    pytest.mark.light,
    pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped bundle"),
]


def _variants():
    if not (SHIPPED / "manifest.json").is_file():
        return []
    return [
        (f["format"], f["precision"])
        for f in json.loads((SHIPPED / "manifest.json").read_text())["files"]
        if f["role"] == "generator"
    ]


def test_shipped_bundle_verifies():
    r = run_cli("verify", str(SHIPPED))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("fmt, precision", _variants())
def test_generate_writes_a_png_with_each_backend_and_precision(tmp_path, fmt, precision):
    out = tmp_path / "s.png"
    r = run_cli(
        "generate", "--model", str(SHIPPED), "-n", "8", "--backend", fmt, "--precision", precision, "-o", str(out)
    )
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 100


def test_load_without_a_path_is_the_shipped_model():
    import edgegan

    g = edgegan.load()  # the README's first runtime line
    assert g.sample(2, seed=3).shape == (2, 28, 28, 1)
    assert g.info.path.startswith(str(SHIPPED)) or "default_bundle" in g.info.path


def test_shipped_files_cover_what_a_device_needs():
    have = set(_variants())
    assert {("onnx", "fp32"), ("onnx", "int8"), ("tflite", "fp32"), ("tflite", "int8"), ("tflite", "int8-io")} <= have


def test_shipped_generator_images_agree_across_engines():
    import edgegan

    a = edgegan.load(SHIPPED, backend="onnx").generate(
        np.random.default_rng(0).standard_normal((8, 100)).astype(np.float32)
    )
    b = edgegan.load(SHIPPED, backend="tflite").generate(
        np.random.default_rng(0).standard_normal((8, 100)).astype(np.float32)
    )
    assert np.abs(a - b).max() < 1e-4


CONDITIONAL = ROOT / "models" / "mnist-cdcgan"


@pytest.mark.skipif(not (CONDITIONAL / "manifest.json").is_file(), reason="no shipped conditional bundle")
def test_shipped_conditional_bundle_verifies_and_draws_each_digit_in_every_file(tmp_path):
    import edgegan
    from edgegan import manifest as mf

    r = run_cli("verify", str(CONDITIONAL))
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_cli("generate", "--model", str(CONDITIONAL), "--label", "all", "-n", "4", "-o", str(tmp_path / "all.png"))
    assert r.returncode == 0 and "40 images" in r.stdout, r.stderr
    fp32 = edgegan.load(CONDITIONAL, backend="onnx", precision="fp32").sample(10, seed=1, labels=np.arange(10))
    for e in mf.load(CONDITIONAL).find("generator"):  # the same digits, class by class, within a few gray levels
        g = edgegan.load(CONDITIONAL, backend=e.format, precision=e.precision)
        got = g.sample(10, seed=1, labels=np.arange(10)).astype(int)
        assert np.abs(got - fp32).mean() < 8, e.path
