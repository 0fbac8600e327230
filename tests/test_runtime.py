"""The light runtime: loading, generation, input checks, safety rules and thread safety."""

import json
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from conftest import needs_tf
from edgegan import manifest as mf
from edgegan.errors import ConfigError, InputError, ManifestError, ModelFileError
from edgegan.latents import latents

pytestmark = needs_tf  # the bundle fixture is made by the export tier; the runtime itself is light


@pytest.mark.parametrize(
    "backend, precision",
    [("onnx", "fp32"), ("onnx", "int8"), ("tflite", "fp32"), ("tflite", "int8-io"), ("ort", "fp32")],
)
def test_generator_api(bundle, backend, precision):
    import edgegan

    g = edgegan.load(bundle, backend=backend, precision=precision)
    a = g.sample(5, seed=3)
    assert a.shape == (5, 28, 28, 1) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, g.sample(5, seed=3))
    assert not np.array_equal(a, g.sample(5, seed=4))
    z = g.latents(3, seed=3)
    np.testing.assert_array_equal(z, latents(3, 100, 3))
    img = g.generate(z)
    assert img.dtype == np.float32 and img.min() >= -1 and img.max() <= 1
    walk = g.interpolate(z[0], z[1], steps=6)
    assert walk.shape == (6, 28, 28, 1)
    from edgegan.runtime.images import to_uint8

    np.testing.assert_array_equal(walk[0], to_uint8(g.generate(z[:1]))[0])  # the walk starts at z0 ...
    np.testing.assert_array_equal(walk[-1], to_uint8(g.generate(z[1:2]))[0])  # ... and ends at z1


def test_discriminator_scores_probabilities(bundle):
    import edgegan

    g = edgegan.load(bundle)
    d = edgegan.load(bundle, role="discriminator", backend="tflite", precision="int8-io")
    p = d.score(g.sample(7))
    assert p.shape == (7,) and ((p >= 0) & (p <= 1)).all()


def test_int8_io_quantizes_with_the_files_own_parameters(bundle):
    import edgegan

    g = edgegan.load(bundle, backend="tflite", precision="int8-io")
    entry = mf.load(bundle).find("generator", "tflite", "int8-io")[0]
    q = entry.inputs[0]["quantization"]
    assert g.engine.input.scale == pytest.approx(q["scale"]) and g.engine.input.zero_point == q["zero_point"]
    ref = edgegan.load(bundle, backend="tflite", precision="int8")  # same weights, float I/O
    z = g.latents(4, 0)
    assert np.abs(g.generate(z) - ref.generate(z)).max() < 0.05


def test_bare_file_gets_its_role_from_the_files_metadata(bundle, tmp_path):
    import edgegan

    for name in (
        "discriminator.fp32.onnx",
        "discriminator.int8.tflite",
        "generator.fp32.ort",
        "generator.int8-io.tflite",
    ):
        shutil.copy(bundle / name, tmp_path / name)
        m = edgegan.load(tmp_path / name)
        assert type(m).__name__.lower() == name.split(".")[0]
        assert m.info.precision == name.split(".")[1]


@pytest.mark.parametrize(
    "z, words",
    [
        (np.zeros((2, 99), np.float32), "expected shape (N, 100), got (2, 99)"),
        (np.zeros((2, 100, 1), np.float32), "expected shape (N, 100), got (2, 100, 1)"),
        (np.zeros((2, 100), np.int64), "expected float32 values, got dtype int64"),
        (np.array([[np.nan] * 100]), "contains NaN or Inf"),
        (np.array([[np.inf] * 100]), "contains NaN or Inf"),
        ("zeros", "expected a numpy array"),
    ],
)
@pytest.mark.parametrize("backend", ["onnx", "tflite"])
def test_bad_latents_give_the_same_clear_error_on_both_backends(bundle, backend, z, words):
    import edgegan

    g = edgegan.load(bundle, backend=backend)
    with pytest.raises(InputError) as e:
        g.generate(z)
    assert words in str(e.value)


def test_batch_cap_refuses_before_allocating_and_large_batches_run_in_chunks(bundle):
    import edgegan

    g = edgegan.load(bundle, backend="tflite", max_batch=50)
    with pytest.raises(InputError, match="over the cap of 50"):
        g.sample(51)
    with pytest.raises(InputError, match="over the cap"):
        g.generate(np.zeros((51, 100), np.float32))
    big = edgegan.load(bundle, backend="onnx")
    a = big.sample(600, seed=1)  # 3 engine calls of <= 256 rows
    assert a.shape == (600, 28, 28, 1)
    np.testing.assert_allclose(
        big.generate(big.latents(600, 1))[590:], big.generate(big.latents(600, 1)[590:]), atol=1e-6
    )


@pytest.mark.parametrize("backend", ["onnx", "tflite"])
def test_sixteen_threads_share_one_generator(bundle, backend):
    import edgegan

    g = edgegan.load(bundle, backend=backend, precision="fp32")
    want = {s: g.sample(3, seed=s) for s in range(16)}
    got, errors = {}, []

    def work(s):
        try:
            for _ in range(5):
                got.setdefault(s, []).append(g.sample(3, seed=s))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for s in range(16):
        for a in got[s]:
            np.testing.assert_array_equal(a, want[s])


# -------------------------------------------------------------- safety: files and manifest
def test_tampered_file_is_refused_before_any_engine_sees_it(bundle_copy):
    import edgegan

    p = bundle_copy / "generator.fp32.tflite"
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="sha256 differs from the manifest"):
        edgegan.load(bundle_copy, backend="tflite")


def test_truncated_and_swapped_files_are_refused(bundle_copy):
    import edgegan

    p = bundle_copy / "generator.fp32.onnx"
    p.write_bytes(p.read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="truncated or replaced"):
        edgegan.load(bundle_copy, backend="onnx")
    shutil.copy(bundle_copy / "discriminator.fp32.tflite", bundle_copy / "generator.fp32.tflite")
    with pytest.raises(ModelFileError, match="generator.fp32.tflite"):
        edgegan.load(bundle_copy, backend="tflite")


def _edit_manifest(bundle, fn):
    p = bundle / "manifest.json"
    d = json.loads(p.read_text())
    fn(d)
    p.write_text(json.dumps(d))


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda d: d.update(schema_version=99), "unknown schema_version 99"),
        (lambda d: d.pop("latent"), "missing field latent"),
        (lambda d: d["files"][0].pop("sha256"), "missing field files[0].sha256"),
        (lambda d: d["files"][0].update(path="../../etc/passwd"), "leaves the bundle"),
        (lambda d: d["files"][0].update(path="/etc/passwd"), "leaves the bundle"),
        (lambda d: d["files"][0].update(role="painter"), "role 'painter'"),
        (lambda d: d["files"][0].update(bytes=-5), "out of range"),
    ],
)
def test_bad_manifests_are_refused_with_nothing_loaded(bundle_copy, edit, words):
    import edgegan

    _edit_manifest(bundle_copy, edit)
    with pytest.raises(ManifestError, match=words.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        edgegan.load(bundle_copy)


def test_invalid_json_and_symlink_escape(bundle_copy, tmp_path):
    import edgegan

    outside = tmp_path / "outside.onnx"
    shutil.copy(bundle_copy / "generator.fp32.onnx", outside)
    (bundle_copy / "generator.fp32.onnx").unlink()
    (bundle_copy / "generator.fp32.onnx").symlink_to(outside)
    with pytest.raises(ManifestError, match="link that leaves the bundle"):
        edgegan.load(bundle_copy)
    (bundle_copy / "manifest.json").write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        edgegan.load(bundle_copy)


def test_onnx_with_external_data_is_refused(bundle, tmp_path):
    import onnx

    import edgegan

    m = onnx.load(str(bundle / "generator.fp32.onnx"))
    onnx.save_model(
        m,
        str(tmp_path / "ext.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    with pytest.raises(ModelFileError, match="external data"):
        edgegan.load(tmp_path / "ext.onnx")


def test_external_data_inside_a_subgraph_or_a_sparse_tensor_is_found():
    """The check reads protobuf itself: tensors in an If node's branches and sparse initializers count too."""
    import onnx
    from onnx import TensorProto, helper

    from edgegan.runtime.engines import has_external_data

    def tensor(external: bool):
        t = helper.make_tensor("c", TensorProto.FLOAT, [1], [1.0])
        if external:
            t.data_location = TensorProto.EXTERNAL
            t.external_data.add(key="location", value="../../etc/passwd")
        return t

    def model(external: bool, where: str):
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
        if where == "branch":
            branch = helper.make_graph([helper.make_node("Constant", [], ["y"], value=tensor(external))], "b", [], [y])
            node = helper.make_node("If", ["cond"], ["y"], then_branch=branch, else_branch=branch)
            cond = [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])]
            return helper.make_model(helper.make_graph([node], "g", cond, [y])).SerializeToString()
        sparse = helper.make_sparse_tensor(tensor(external), helper.make_tensor("i", TensorProto.INT64, [1], [0]), [4])
        graph = helper.make_graph(
            [helper.make_node("Identity", ["s"], ["y"])], "g", [], [y], sparse_initializer=[sparse]
        )
        return helper.make_model(graph).SerializeToString()

    for where in ("branch", "sparse"):
        assert has_external_data(model(True, where)), where
        assert not has_external_data(model(False, where)), where  # positive control
    assert onnx.load_model_from_string(model(False, "branch"))  # what we built is a real model


def test_a_metadata_key_named_location_is_not_external_data(bundle, tmp_path):
    import onnx

    import edgegan

    m = onnx.load(str(bundle / "generator.fp32.onnx"))
    onnx.helper.set_model_props(m, {"location": "Lisbon", "edgegan": m.metadata_props[0].value})
    onnx.save_model(m, str(tmp_path / "loc.onnx"))
    g = edgegan.load(tmp_path / "loc.onnx")  # a byte scan for the key 'location' refused this file
    assert g.sample(1).shape == (1, 28, 28, 1)


def test_wrong_backend_or_precision_lists_what_the_bundle_has(bundle):
    import edgegan

    with pytest.raises(ConfigError, match="bundle has: onnx/fp32"):
        edgegan.load(bundle, backend="onnx", precision="int8-io")
    with pytest.raises(ConfigError, match="backend must be one of"):
        edgegan.load(bundle, backend="coreml")


def test_missing_provider_and_delegate_give_clear_errors(bundle):
    import edgegan
    from edgegan.errors import BackendError

    with pytest.raises(BackendError, match="NoSuchExecutionProvider is not in this onnxruntime build"):
        edgegan.load(bundle, backend="onnx", providers=["NoSuchExecutionProvider"])
    with pytest.raises(BackendError, match="libedgetpu.so.1"):
        edgegan.load(bundle, backend="tflite", precision="int8-io", delegate="libedgetpu.so.1")


MALFORMED = {
    "empty": b"",
    "eight_bytes": b"\x08\x00\x00\x00TFL3",
    "wrong_magic": b"NOPE" * 64,
    "huge_offsets": b"\xff\xff\xff\x7fTFL3" + b"\xff" * 120,
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.parametrize("suffix", [".tflite", ".onnx"])
def test_malformed_bare_files_give_an_error_never_a_crash(tmp_path, name, suffix):
    """In a subprocess: the process must exit 1 with one line, not die by a signal."""
    p = tmp_path / f"bad{suffix}"
    p.write_bytes(MALFORMED[name])
    r = subprocess.run(
        [sys.executable, "-m", "edgegan", "generate", "--model", str(p), "-n", "1", "-o", str(tmp_path / "o.png")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, (r.returncode, r.stderr[-500:])
    assert "edgegan: error:" in r.stderr and str(p) in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.png").exists()
