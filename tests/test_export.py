"""Every format x precision x network: loads in the light runtime, meets its bound, carries its
metadata, has only builtin/standard ops; an interrupted export leaves the old bundle intact."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import needs_tf
from edgegan import manifest as mf
from edgegan.export.formats import BOUNDS, VARIANTS, select

pytestmark = [needs_tf, pytest.mark.slow]
ALL = [(v.format, v.precision, role) for v in VARIANTS for role in ("generator", "discriminator")]


@pytest.mark.parametrize("fmt, precision, role", ALL, ids=[f"{r}-{f}-{p}" for f, p, r in ALL])
def test_every_variant_loads_and_meets_its_bound(bundle, fmt, precision, role):
    import edgegan
    from edgegan import parity
    from edgegan.verify import load_reference

    m = mf.load(bundle)
    (entry,) = m.find(role, fmt, precision)
    model = edgegan.load(bundle, role=role, backend=fmt, precision=precision)
    assert model.info.format == fmt and model.info.precision == precision
    ref = load_reference(m)
    if role == "generator":
        y, want = model.generate(ref["z"]), ref["image"]
    else:
        y, want = model.score(ref["d_input"]), ref["d_score"]
    fig = parity.figures(role, want, y)
    bound = BOUNDS[next(v.bound for v in VARIANTS if v.format == fmt and v.precision == precision)]
    assert {k: v for k, v in entry.tolerance.items() if k != "floor"} == bound
    if precision in ("fp32", "fp16"):  # the original's own error in that float type, measured at export
        floor = entry.tolerance["floor"]
        assert floor["multiple"] == 8 and 0 < floor["mean_abs"] <= floor["max_abs"]
        assert floor["max_abs"] < bound["max_abs"] or precision == "fp16"  # a small model: F32 far below 1e-4
    assert parity.passes(role, bound, fig), fig
    assert parity.passes(role, bound, entry.parity)  # the figure measured at export, recorded


@pytest.mark.parametrize("fmt, precision, role", ALL, ids=[f"{r}-{f}-{p}" for f, p, r in ALL])
def test_metadata_is_embedded_and_ops_are_standard(bundle, fmt, precision, role):
    from edgegan.runtime import make_engine

    m = mf.load(bundle)
    (entry,) = m.find(role, fmt, precision)
    data = (bundle / entry.path).read_bytes()
    engine = make_engine(data, fmt, entry.path)
    meta = json.loads(engine.metadata["edgegan"])
    assert (meta["role"], meta["format"], meta["precision"]) == (role, fmt, precision)
    assert meta["latent_size"] == 100 and meta["image_shape"] == [28, 28, 1]
    if fmt == "onnx":
        import onnx

        model = onnx.load_from_string(data)
        assert {n.domain for n in model.graph.node} <= {"", "ai.onnx"}
        assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
        assert entry.checks["onnx_checker_full"] is True
        # dynamic shapes: the checker's figure as the file is, and with its shapes fixed (more nodes)
        as_is, fixed = entry.checks["mobile_usability"]["nnapi"].split("; with fixed input shapes ")
        assert int(fixed.split("/")[0]) > int(as_is.split("/")[0]), entry.checks["mobile_usability"]
    if fmt == "ort":  # fixed shapes already: one figure, and NNAPI takes nodes (static; NNAPI does not run here)
        nnapi = entry.checks["mobile_usability"]["nnapi"]
        assert "with fixed" not in nnapi and int(nnapi.split("/")[0]) > 0, nnapi
        assert entry.batch == 1
    if fmt == "tflite":
        assert entry.checks["builtin_ops_only"] is True
        assert not any(op.startswith("Flex") for op in entry.checks["ops"])
        assert entry.checks["apis"] == {"interpreter": True, "signature_runner": True, "compiled_model": True}
        assert "gpu_compatible" not in entry.checks  # GPU use is measured (entry.gpu), never guessed


@pytest.mark.parametrize("role", ["generator", "discriminator"])
def test_int8_io_tflite_has_no_float_compute(bundle, role):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    m = mf.load(bundle)
    (entry,) = m.find(role, "tflite", "int8-io")
    assert entry.checks["int8_compute_only"] is True
    it = Interpreter(
        model_content=(bundle / entry.path).read_bytes(),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    it.allocate_tensors()
    tensors = {t["index"]: t for t in it.get_tensor_details()}
    for op in it._get_ops_details():
        types = {np.dtype(tensors[i]["dtype"]).name for i in [*op["inputs"], *op["outputs"]] if i >= 0}
        assert types <= {"int8", "int32"}, (op["op_name"], types)
    assert it.get_input_details()[0]["dtype"] == np.int8 and it.get_output_details()[0]["dtype"] == np.int8


def test_manifest_records_what_the_design_promises(bundle):
    m = mf.load(bundle)
    d = m.data
    assert d["schema_version"] == 1 and d["latent"]["size"] == 100 and d["image"]["shape"] == [28, 28, 1]
    assert {"tensorflow", "onnxruntime", "onnx"} <= set(d["tools"])
    assert len(m.files) == 2 * len(VARIANTS)
    for e in m.files:
        assert e.sha256 == mf.sha256_bytes((bundle / e.path).read_bytes())
        assert e.inputs and e.outputs and e.parity
    tfl = m.find("generator", "tflite", "int8-io")[0]
    assert tfl.batch == 1 and "quantization" in tfl.inputs[0]
    assert m.find("generator", "onnx", "fp32")[0].inputs[0]["name"] == "z"
    assert m.find("discriminator", "onnx", "fp32")[0].outputs[0]["name"] == "score"


def test_reference_latents_are_the_runtime_latents_of_the_export_seed(bundle):
    import edgegan
    from edgegan.latents import latents

    with np.load(bundle / mf.REFERENCE) as ref:
        z = ref["z"]
    np.testing.assert_array_equal(z, latents(len(z), 100, 0))  # export --seed 0
    np.testing.assert_array_equal(z, edgegan.load(bundle).latents(len(z), seed=0))


def test_fixed_batch_option(tiny_run, tmp_path):
    import edgegan
    from edgegan.export.bundle import ExportOptions, export_bundle

    export_bundle(tiny_run, tmp_path / "b4", select("tflite", "fp32"), ExportOptions(batch=4, calibration_samples=16))
    g = edgegan.load(tmp_path / "b4", backend="tflite")
    assert g.engine.batch == 4
    assert g.sample(10, seed=1).shape == (10, 28, 28, 1)  # 3 chunks, the last padded


def test_real_pictures_of_another_size_are_fitted_to_the_discriminator(tiny_run, tmp_path):
    """--calibration-data of pictures larger than D's input (photos for a 28x28 D): centre-cropped and resized, as an
    image-input generator's are, and said in one line (they were refused, after every generator file was made)."""
    from PIL import Image

    from edgegan.export.bundle import ExportOptions, export_bundle

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 256, (40, 60), dtype=np.uint8)).save(photos / f"{i}.png")
    said = []
    opts = ExportOptions(calibration_samples=16, calibration_data=str(photos))
    m = export_bundle(tiny_run, tmp_path / "b", select("onnx", "int8"), opts, log=said.append)
    assert any("its pictures, 60x40, fitted to the discriminator's 28x28" in s for s in said), said
    assert m["calibration"]["discriminator_real_images"] == str(photos)
    assert {f["role"] for f in m["files"]} == {"generator", "discriminator"}


def test_export_refuses_a_missing_model_and_a_mistyped_format(tmp_path):
    from conftest import run_cli

    r = run_cli("export", "--model", str(tmp_path / "none"), "--format", "onnx", "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and "generator.keras: not found" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("export", "--format", "tflit")
    assert r.returncode == 2 and "did you mean 'tflite'" in r.stderr


def test_killed_export_leaves_the_previous_bundle_intact(tiny_run, tmp_path):
    """SIGKILL at several moments of a real export process: the old bundle always verifies."""
    import shutil

    from edgegan.export.bundle import ExportOptions, export_bundle
    from edgegan.verify import verify

    out = tmp_path / "bundle"
    export_bundle(tiny_run, out, select("onnx", "fp32"), ExportOptions(calibration_samples=16))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code = (
        f"from edgegan.export.bundle import export_bundle, ExportOptions; from edgegan.export.formats import select; "
        f"export_bundle({str(tiny_run)!r}, {str(out)!r}, select('onnx,tflite', 'fp32,int8'), ExportOptions(calibration_samples=16))"
    )
    delays = [0.5, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0]  # from start-up to the last files (~20 s here)
    for delay in delays:
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        after = {q.name: q.read_bytes() for q in out.iterdir()}
        if after != before:  # the export finished before the kill: a complete new bundle
            rows, summary = verify(out)
            assert summary["failed"] == 0 and len(rows) == 8
            break
        rows, summary = verify(out)
        assert summary["failed"] == 0 and len(rows) == 2
    names = {p.name for p in tmp_path.iterdir()}
    staging = {n for n in names if n.startswith(".bundle.staging-")}
    assert staging and names - staging == {"bundle"}, names  # killed runs leave hidden staging folders, nothing else
    for leftover in staging:
        shutil.rmtree(tmp_path / leftover)


def test_an_optimized_file_that_misses_its_bound_falls_back_to_the_plain_graph(tiny_run, tmp_path, monkeypatch):
    import keras

    from edgegan.export import bundle as b
    from edgegan.export.bundle import export_bundle

    def wrong_rewrite(model, form, kinds):  # claims a rewrite but changes the outputs: every file built from it misses
        return keras.Model(model.inputs, keras.layers.Rescaling(1.5)(model.outputs[0])), ["fake"], ""

    monkeypatch.setattr(b, "optimize", wrong_rewrite)
    lines = []
    m = export_bundle(tiny_run, tmp_path / "out", select("onnx,tflite", "fp32"), log=lines.append)
    g = [f for f in m["files"] if f["role"] == "generator"]
    assert len(g) == 2 and not any(f["optimized"] for f in g)
    assert all(f["parity"]["max_abs"] <= 1e-4 for f in g)
    assert sum("missed its bound" in line and "exporting the plain graph" in line for line in lines) == 2, lines


def _wrong_fp16(monkeypatch, tmp_path):
    """Fault injection: the generator's fp16 ONNX file is made from a copy of its fp32 file with one weight
    tensor x1.5, so it misses its bound while every other file is right."""
    import onnx
    from onnx import numpy_helper

    from edgegan.export import onnx as onnx_export

    real = onnx_export.to_fp16

    def wrong(src, dst, meta):
        if meta["role"] == "generator":
            m = onnx.load(src)
            w = max(m.graph.initializer, key=lambda t: np.prod(t.dims))
            w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w) * 1.5, w.name))
            src = tmp_path / "wrong.onnx"
            onnx.save(m, src)
        return real(src, dst, meta)

    monkeypatch.setattr(onnx_export, "to_fp16", wrong)


def test_a_default_export_leaves_out_a_file_that_misses_and_says_so(tiny_run, tmp_path, monkeypatch):
    """--precision all: the missing file is left out with one line and recorded with its figure; the bundle is
    whole and verifies; a re-export tries it again. Asked for by name, the same miss stops the export."""
    from edgegan.errors import ExportError
    from edgegan.export.bundle import ExportOptions, _skip_set, export_bundle, find_sources
    from edgegan.verify import verify

    _wrong_fp16(monkeypatch, tmp_path)
    lines: list[str] = []
    m = export_bundle(
        tiny_run, tmp_path / "b", select("onnx", "all"), ExportOptions(calibration_samples=16), lines.append
    )
    names = {f["path"] for f in m["files"]}
    assert "generator.fp16.onnx" not in names and {"generator.fp32.onnx", "discriminator.fp16.onnx"} <= names
    assert m["skipped"] == ["generator:onnx/fp16"]
    assert "misses its bound" in m["skipped_reasons"]["generator:onnx/fp16"]
    (line,) = [s for s in lines if "leaving out" in s]
    assert line.strip().startswith("leaving out generator.fp16.onnx: parity max abs") and "misses its bound" in line
    assert verify(tmp_path / "b")[1]["failed"] == 0
    assert _skip_set(ExportOptions(), find_sources(tmp_path / "b"), lines.append) == frozenset()  # tried again

    with pytest.raises(ExportError, match=r"generator.fp16.onnx: parity max abs .* misses its bound"):
        opts = ExportOptions(calibration_samples=16, precision_requested=True)
        export_bundle(tiny_run, tmp_path / "c", select("onnx", "fp32,fp16"), opts)
    assert not (tmp_path / "c").exists()
