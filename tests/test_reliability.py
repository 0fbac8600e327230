"""docs/reliability.md items not covered elsewhere: Keras safety, no pickle, full disk, export self-check,
Flex ops refused, one-line CLI errors for tampered files. (Index of all items: README / closing note.)"""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, needs_tf, run_cli
from edgegan.errors import DataError, InputError


def test_item6_no_pickle_anywhere_in_the_package():
    for path in (ROOT / "edgegan").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import pickle|from pickle|import cloudpickle)", text, re.M), path
        assert "allow_pickle=True" not in text, path
        for line in text.splitlines():
            if "np.load(" in line:
                assert "allow_pickle=False" in line, (path, line)


def test_item6_object_arrays_in_npz_are_refused(tmp_path):
    from edgegan.data import load_images

    np.savez(tmp_path / "evil.npz", x_train=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(DataError, match="evil.npz: cannot read as .npz"):
        load_images(tmp_path / "evil.npz")


@needs_tf
def test_item5_lambda_layers_are_refused(tmp_path):
    import keras

    from edgegan.errors import ModelFileError
    from edgegan.models import build_discriminator, load_keras

    inp = keras.Input((100,), name="z")
    out = keras.layers.Lambda(lambda t: t * 2, name="code")(inp)
    keras.Model(inp, out).save(tmp_path / "generator.keras")
    with pytest.raises(ModelFileError, match="layer code is a Lambda around a Python lambda"):
        load_keras(tmp_path / "generator.keras", "generator")
    build_discriminator().save(tmp_path / "discriminator.keras")
    r = run_cli("export", "--model", str(tmp_path), "--format", "onnx", "--out", str(tmp_path / "out"))
    assert r.returncode == 1 and "generator.keras" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@needs_tf
def test_item8_nan_images_are_refused_by_the_discriminator(bundle):
    import edgegan

    d = edgegan.load(bundle, role="discriminator", backend="tflite")
    x = np.zeros((2, 28, 28, 1), np.float32)
    x[1, 3, 3, 0] = np.nan
    with pytest.raises(InputError, match="NaN or Inf"):
        d.score(x)
    with pytest.raises(InputError, match=r"expected shape \(N, 28, 28, 1\), got \(2, 28, 28\)"):
        d.score(x[..., 0])


@needs_tf
def test_item1_tampered_file_via_the_cli_is_one_line_exit_1(bundle_copy, tmp_path):
    p = bundle_copy / "generator.int8.tflite"
    p.write_bytes(p.read_bytes()[::-1])
    r = run_cli(
        "generate",
        "--model",
        str(bundle_copy),
        "--backend",
        "tflite",
        "--precision",
        "int8",
        "-o",
        str(tmp_path / "x.png"),
    )
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("edgegan: error: ") and "generator.int8.tflite" in lines[-1] and "sha256" in lines[-1]
    assert "Traceback" not in r.stderr and not (tmp_path / "x.png").exists()


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # a write past the limit fails with EFBIG, like ENOSPC
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
from edgegan.cli import main
sys.exit(main(["export", "--model", sys.argv[1], "--format", "onnx,tflite", "--precision", "fp32", "--out", sys.argv[2]]))
"""


@needs_tf
@pytest.mark.slow
def test_item17_full_disk_during_export_keeps_the_previous_bundle(tiny_run, tmp_path):
    from edgegan.export.bundle import ExportOptions, export_bundle
    from edgegan.export.formats import select
    from edgegan.verify import verify

    out = tmp_path / "bundle"
    export_bundle(tiny_run, out, select("onnx", "fp32"), ExportOptions(calibration_samples=16))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(tiny_run), str(out), str(2_000_000)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 1, r.stderr[-2000:]
    assert "edgegan: error:" in r.stderr and "Traceback" not in r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert verify(out)[1]["failed"] == 0
    assert not list(tmp_path.glob(".bundle.staging-*"))  # the staged half-bundle was removed


@needs_tf
@pytest.mark.slow
def test_a_converter_process_that_dies_costs_one_line_and_nothing_else(tiny_run, tmp_path, monkeypatch):
    """Each conversion runs in a child process (edgegan.export.isolated); one that dies (here by SIGABRT, as the
    kernel's out-of-memory killer would with SIGKILL) stops the export in one line naming the file and the
    signal, and the previous bundle stays as it was."""
    from edgegan.errors import ExportError
    from edgegan.export import isolated
    from edgegan.export.bundle import ExportOptions, export_bundle
    from edgegan.export.formats import select
    from edgegan.verify import verify

    monkeypatch.setenv("EDGEGAN_ISOLATE", "1")  # this small model too (edgegan.export.isolated.ISOLATE_BYTES)
    out = tmp_path / "bundle"
    export_bundle(tiny_run, out, select("onnx,tflite", "fp32,int8"), ExportOptions(calibration_samples=16))
    assert verify(out)[1]["failed"] == 0  # each file made in a child (ONNX int8 quantization too) verifies
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = isolated.call

    def dies(func, what, arrays=None, child=True, **kw):  # the LiteRT converter's process aborts
        assert child
        return real("os:abort", what) if "tflite" in func else real(func, what, arrays, **kw)

    monkeypatch.setattr(isolated, "call", dies)
    with pytest.raises(ExportError, match=r"^generator.fp32.tflite: the converter process was killed by SIGABRT"):
        export_bundle(tiny_run, out, select("onnx,tflite", "fp32"), ExportOptions(calibration_samples=16))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert verify(out)[1]["failed"] == 0
    assert not list(tmp_path.glob(".bundle.staging-*"))


@needs_tf
@pytest.mark.slow
def test_item18_export_refuses_a_file_that_does_not_match_keras(tiny_run, tmp_path, monkeypatch):
    """A converter that silently produced a different network is caught by the re-open check."""
    from edgegan.errors import ExportError
    from edgegan.export import onnx as onnx_export
    from edgegan.export.bundle import ExportOptions, export_bundle
    from edgegan.export.formats import select
    from edgegan.models import build_generator

    real = onnx_export.keras_to_onnx

    def wrong(model, path, *args):
        if model.name.startswith("generator"):
            model = build_generator()  # untrained: not the network that was asked for
            model(np.zeros((1, 100), np.float32))
        return real(model, path, *args)

    monkeypatch.setattr(onnx_export, "keras_to_onnx", wrong)
    with pytest.raises(ExportError, match="misses its bound"):
        export_bundle(tiny_run, tmp_path / "b", select("onnx", "fp32"), ExportOptions(calibration_samples=16))
    assert not (tmp_path / "b").exists()
    assert not list(tmp_path.glob(".b.staging-*"))


@needs_tf
@pytest.mark.slow
def test_item19_flex_ops_are_refused_at_export(tmp_path):
    import tensorflow as tf

    from edgegan.errors import ExportError
    from edgegan.export.tflite import checks
    from edgegan.models import build_generator

    g = build_generator()
    g(np.zeros((1, 100), np.float32))
    path = tmp_path / "flex.tflite"
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    g.export(
        str(path), format="litert", verbose=False, target_spec={"supported_ops": ops}
    )  # dynamic batch -> FlexConv2D
    with pytest.raises(ExportError, match="non-builtin ops .*FlexConv2D"):
        checks(path.read_bytes(), "fp32")


def test_manifest_json_round_trip_has_no_nan(tmp_path):
    from edgegan import manifest as mf

    text = mf.dumps({"a": float("nan"), "b": [float("inf"), 1.0]})
    assert json.loads(text) == {"a": None, "b": [None, 1.0]}
    (tmp_path / "manifest.json").write_text('{"schema_version": NaN}')
    with pytest.raises(mf.ManifestError, match="not valid JSON"):
        mf.load(tmp_path)


@pytest.mark.parametrize("marker", ["manifest.json", "model.json"])
def test_export_never_replaces_a_folder_it_did_not_write(tmp_path, marker):
    """--out pointing at someone's folder: refused, nothing deleted (bundle and web exports share this)."""
    from edgegan.errors import ConfigError
    from edgegan.export.staging import swap_into_place

    out, stage = tmp_path / "mine", tmp_path / "stage"
    out.mkdir()
    (out / "thesis.txt").write_text("years of work")
    stage.mkdir()
    (stage / marker).write_text("{}")
    with pytest.raises(ConfigError, match="was not written by edgegan export"):
        swap_into_place(stage, out, marker=marker)
    assert (out / "thesis.txt").read_text() == "years of work"
    (out / marker).write_text("{}")  # a folder an earlier export wrote is replaced whole
    swap_into_place(stage, out, marker=marker)
    assert sorted(p.name for p in out.iterdir()) == [marker] and not stage.exists()
