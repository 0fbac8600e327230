"""LiteRT's GPU accelerator for real, and LiteRT's current API (CompiledModel, the signature runner).

The GPU is a software Vulkan device here (Mesa's lavapipe 25, fp16 arithmetic as on phones; .ci/run installs it
with tools/ci/gpu_device.sh). A GPU compilation in a process that has imported TensorFlow crashes (measured), and
this suite imports TensorFlow, so every GPU run happens in a child process: the CLI, or
edgegan.runtime.compiled.measure_isolated. Without a device these tests are skipped with the reason, except
under CI, where a missing device is a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, needs_tf, run_cli, verify_with_broken_file

SHIPPED = [ROOT / "models" / n for n in ("mnist-dcgan", "mnist-cdcgan", "photo-sr4")]
NO_DEVICE_ENV = {"VK_ICD_FILENAMES": str(ROOT / "no-such-icd.json")}


def _inputs(bundle: Path) -> list[np.ndarray]:
    with np.load(bundle / "reference.npz") as z:
        return [z[k][:2] for k in ("z", "source", "label") if k in z.files]


@pytest.mark.light
@pytest.mark.parametrize("bundle_dir", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_litert_file_loads_in_the_signature_runner_and_compiled_model(bundle_dir):
    from edgegan import manifest as mf
    from edgegan.runtime.compiled import api_check

    m = mf.load(bundle_dir)
    lite = [e for e in m.files if e.format == "tflite"]
    assert lite
    for e in lite:
        x = _inputs(bundle_dir) if e.role == "generator" else None
        if x is None:
            with np.load(bundle_dir / "reference.npz") as z:
                x = [z[k][:2] for k in ("d_source", "d_input", "d_label") if k in z.files]
        assert api_check((bundle_dir / e.path).read_bytes(), e.path, x) == {
            "interpreter": True,
            "signature_runner": True,
            "compiled_model": True,
        }
        assert "gpu_compatible" not in e.checks  # the static analyzer's guess is gone


@pytest.mark.light
@pytest.mark.parametrize("bundle_dir", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_run_fully_on_the_gpu_within_the_gpu_bounds(bundle_dir, gpu_device):
    """fp32 and fp16 files of every shipped G and D: fully on the GPU, generators >= 40 dB of Keras, as measured
    again now by `edgegan verify --accelerator gpu` and as recorded in the manifest."""
    r = run_cli("verify", str(bundle_dir), "--accelerator", "gpu", "--json")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    rows = {row["file"]: row for row in json.loads(r.stdout)["rows"]}
    data = json.loads((bundle_dir / "manifest.json").read_text())
    for f in data["files"]:
        if f["format"] != "tflite":
            continue
        assert rows[f["path"]]["ok"], rows[f["path"]]
        gpu = f["gpu"]
        assert gpu["measured"] and gpu["device"], f["path"]
        if f["precision"] in ("fp32", "fp16"):
            assert gpu["fully_accelerated"] and gpu["ops_on_cpu"] == 0, (f["path"], gpu["fallback"])
            assert gpu["passes"], (f["path"], gpu["figure"])
            if f["role"] == "generator":
                assert gpu["parity"]["psnr_db"] >= 40.0


def test_fresh_exports_record_the_gpu_measurement(bundle, cond_bundle, gpu_device):
    """Export measures each LiteRT file on the GPU: a conditional model's fp16 files included (their label
    tables are kept in float32, which the GPU takes)."""
    for b in (bundle, cond_bundle):
        for f in json.loads((b / "manifest.json").read_text())["files"]:
            if f["format"] != "tflite":
                assert "gpu" not in f
                continue
            gpu = f["gpu"]
            assert gpu["measured"] and gpu["device"] == gpu_device
            assert f["checks"]["apis"]["compiled_model"] is True
            if f["precision"] in ("fp32", "fp16"):
                assert gpu["fully_accelerated"], (b.name, f["path"], gpu["fallback"])
                if f["role"] == "generator":
                    assert gpu["parity"]["psnr_db"] >= 40.0, (f["path"], gpu["figure"])


@pytest.fixture(scope="session")
def repeat_file(tmp_path_factory) -> Path:
    """Positive control: an any-size UpSampling2D exported plainly at a fixed size keeps Keras' rank-5 repeat,
    which LiteRT's GPU refuses."""
    import keras

    from edgegan.export.tflite import keras_to_tflite

    inp = keras.Input((None, None, 3), name="source")
    out = keras.layers.Conv2D(3, 3, padding="same")(keras.layers.UpSampling2D(2)(inp))
    path = tmp_path_factory.mktemp("repeat") / "repeat.fp32.tflite"
    keras_to_tflite(keras.Model(inp, out), path, "fp32", 1, None, {"role": "generator"}, size=(8, 8))
    return path


@needs_tf
def test_a_file_that_falls_off_the_gpu_is_named_refused_alone_and_run_with_fallback(repeat_file, gpu_device):
    from edgegan.runtime.compiled import measure_isolated

    x = np.random.default_rng(0).random((2, 8, 8, 3), np.float32)
    runs, outs = measure_isolated([repeat_file], [x])
    where = runs[0].placement
    assert runs[0].measured and not where["fully_accelerated"] and where["cpu_ops"] > 0
    assert any("Tensor dimensions must be less than 5" in f for f in where["fallback"]), where
    code = (
        "import sys, edgegan\n"
        "try:\n    edgegan.load(sys.argv[1], accelerator='gpu')\nexcept edgegan.EdgeGanError as e:\n    print('REFUSED', e)\n"
        "m = edgegan.load(sys.argv[1], accelerator='gpu,cpu')\nprint('FELL BACK', m.engine.placement.line())\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(repeat_file)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "REFUSED" in r.stdout and "cannot run on the GPU" in r.stdout and "gpu,cpu" in r.stdout, r.stdout
    assert "FELL BACK" in r.stdout and "RESHAPE" in r.stdout, r.stdout
    assert r.stderr == "", r.stderr  # LiteRT's log stays off the app's stderr


@pytest.mark.light
def test_generate_and_translate_on_the_gpu_write_pictures(tmp_path, gpu_device):
    from PIL import Image

    from edgegan.runtime.images import synthetic_pictures

    r = run_cli("generate", "-n", "4", "--accelerator", "gpu", "-o", str(tmp_path / "g.png"))
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path / "g.png").size == (4 * 28, 28) or (tmp_path / "g.png").stat().st_size > 100
    Image.fromarray(synthetic_pictures(1, 40, 50, 3, 1)[0]).save(tmp_path / "in.png")
    r = run_cli("translate", str(tmp_path / "in.png"), "--accelerator", "gpu", "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path / "out" / "in.png").size == (200, 160)
    assert r.stderr == ""


@pytest.mark.light
def test_gpu_asked_for_without_a_device_is_one_clear_error():
    r = run_cli("generate", "-n", "1", "--accelerator", "gpu", env=NO_DEVICE_ENV)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "no GPU device" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_process_with_tensorflow_is_refused_the_gpu_in_one_line():
    import tensorflow  # noqa: F401

    import edgegan
    from edgegan.errors import BackendError

    with pytest.raises(BackendError, match="segmentation fault"):
        edgegan.load(ROOT / "models" / "mnist-dcgan", accelerator="gpu")


def _unsigned_int8_io(int8: Path, dst: Path) -> None:
    """What export wrote before: the int8 file's interface rewritten, its SignatureDef left stale."""
    from ai_edge_litert._pywrap_modify_model_interface import modify_model_interface

    assert modify_model_interface(str(int8), str(dst), 9, 9) == 0


@needs_tf
def test_a_stale_signature_is_refused_by_the_api_check_and_by_verify(bundle, tmp_path):
    from edgegan.errors import ModelFileError
    from edgegan.runtime.compiled import api_check

    broken = tmp_path / "broken.tflite"
    _unsigned_int8_io(bundle / "generator.int8.tflite", broken)
    with pytest.raises(ModelFileError, match="signature runner"):
        api_check(broken.read_bytes(), broken.name, _inputs(bundle))
    r = verify_with_broken_file(
        bundle,
        tmp_path / "b",
        "generator.int8-io.tflite",
        lambda p: _unsigned_int8_io(bundle / "generator.int8.tflite", p),
    )
    assert r.returncode == 3, r.stdout + r.stderr
    assert "signature runner" in r.stdout


@needs_tf
def test_export_refuses_a_file_whose_signature_does_not_load(tiny_run, tmp_path, monkeypatch):
    """With the signature fix taken out, export stops at the int8-io file and writes no bundle."""
    import edgegan
    from edgegan.errors import ExportError
    from edgegan.export import tflite

    monkeypatch.setattr(tflite, "with_signature_of", lambda src, data: data)
    with pytest.raises(ExportError, match="signature runner"):
        edgegan.export(tiny_run, out=tmp_path / "b", formats="tflite", precisions="int8,int8-io")
    assert not (tmp_path / "b").exists()


def assert_on_the_gpu(bundle_dir: Path) -> None:
    """Every fp32 and fp16 LiteRT file of the bundle ran fully on LiteRT's GPU at export within its GPU bound
    (generators >= 40 dB of Keras); int8 files ran fully on it too."""
    for f in json.loads((bundle_dir / "manifest.json").read_text())["files"]:
        if f["format"] != "tflite":
            continue
        gpu = f["gpu"]
        assert gpu["measured"], (bundle_dir.name, f["path"], gpu)
        assert gpu["fully_accelerated"], (bundle_dir.name, f["path"], gpu["fallback"])
        if f["precision"] in ("fp32", "fp16"):
            assert gpu["passes"], (bundle_dir.name, f["path"], gpu["figure"])
            if f["role"] == "generator":
                assert gpu["parity"]["psnr_db"] >= 40.0


@pytest.mark.light
@pytest.mark.parametrize(
    "fp16, f32, passes, enforce",
    [(1e-4, None, True, False), (0.05, 1e-4, True, True), (0.05, 0.05, False, False)],
    ids=["fp16-meets", "only-f32-meets", "neither"],
)
def test_enforce_f32_is_chosen_only_when_fp16_arithmetic_misses_and_f32_meets_the_bound(
    monkeypatch, tmp_path, fp16, f32, passes, enforce
):
    """The GPU child's outputs faked (fp16 arithmetic off by ``fp16``, enforce_f32 by ``f32``): the manifest
    section picks enforce_f32 only when it rescues the bound, and asks for it only when fp16 misses."""
    from edgegan.export import gpu
    from edgegan.runtime import compiled
    from edgegan.runtime.compiled import GpuRun

    y = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 3)).astype(np.float32)
    asked = []

    def child(paths, x, enforce_f32=False):
        asked.append(enforce_f32)
        off = f32 if enforce_f32 else fp16
        where = {"device": "dev", "fully_accelerated": True, "cpu_ops": None, "fallback": []}
        return [GpuRun(str(paths[0]), True, placement=where, enforce_f32=enforce_f32)], {"0": y + off * np.sign(y)}

    monkeypatch.setattr(compiled, "measure_isolated", child)
    entry = {"path": "g.tflite", "format": "tflite", "precision": "fp32"}
    gpu.measure_role(gpu.Reference("generator", [y], y, {"peak": 2.0}), [entry], tmp_path, lambda s: None)
    section = entry["gpu"]
    assert asked == ([False] if f32 is None else [False, True])
    assert section["passes"] is passes and section["enforce_f32"] is enforce
    if enforce:
        assert section["fp16_arithmetic"]["parity"]["psnr_db"] < 40 <= section["parity"]["psnr_db"]
    json.dumps(section)  # what the manifest writes: plain JSON types


@pytest.mark.light
def test_the_runtime_sets_enforce_f32_when_the_manifest_says_so(tmp_path, gpu_device):
    import shutil

    b = tmp_path / "b"
    shutil.copytree(ROOT / "models" / "mnist-dcgan", b)
    data = json.loads((b / "manifest.json").read_text())
    for f in data["files"]:
        if f["path"] == "generator.fp32.tflite":
            f["gpu"]["enforce_f32"] = True
    (b / "manifest.json").write_text(json.dumps(data))
    code = (
        "import sys, edgegan\n"
        "for p in ('fp32', 'fp16'):\n"
        "    g = edgegan.load(sys.argv[1], precision=p, accelerator='gpu'); g.sample(2)\n"
        "    print(p, g.engine.enforce_f32)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(b)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["fp32", "True", "fp16", "False"]


@pytest.mark.light
def test_the_clis_copy_of_the_accelerators_is_the_runtimes():
    """edgegan/cli.py repeats ACCELERATORS so that the CLI starts without importing numpy or LiteRT."""
    from edgegan import cli
    from edgegan.runtime import compiled

    assert cli.ACCELERATORS == compiled.ACCELERATORS
