"""Bring your own Keras GAN: the public DCGAN forms of tools/zoo/dcgan.py export with default options, verify,
load and sample with the light runtime, and obey each model's own contract (range, score kind)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import needs_tf, run_cli, run_clis
from zoo import dcgan as zoo

pytestmark = [needs_tf, pytest.mark.slow]
WITH_D = ("tf_tutorial", "kerasio", "kerasgan")
CARRIED = {("tflite", "fp32"), ("tflite", "int8"), ("onnx", "fp32"), ("onnx", "int8")}  # keras.io's k5 conv


@pytest.fixture(scope="session")
def zoo_bundles(tmp_path_factory) -> dict:
    """Each fixture saved as .keras and exported once through the CLI with default options (the four at once)."""
    out, commands = {}, []
    for name in zoo.ZOO:
        src = tmp_path_factory.mktemp(f"zoo-{name}")
        g, d = zoo.save(name, src / "keras")
        args = ["--generator", str(g), "--discriminator", str(d)] if d else ["--model", str(g)]  # a bare G file
        commands.append(["export", *args, "--out", str(src / "bundle")])
        out[name] = {"g": g, "d": d, "bundle": src / "bundle"}
    for name, r in zip(zoo.ZOO, run_clis(commands)):
        out[name] |= {"rc": r.returncode, "stderr": r.stderr, "stdout": r.stdout}
    return out


def _keras(path):
    from edgegan.models import load_keras

    return load_keras(path, "model")


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_export_with_default_options_and_verify_pass(zoo_bundles, name):
    z = zoo_bundles[name]
    assert z["rc"] == 0, z["stderr"][-2000:]
    r = run_cli("verify", str(z["bundle"]))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-1000:]


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_litert_files_run_fully_on_the_gpu(zoo_bundles, name, gpu_device):
    from test_gpu import assert_on_the_gpu

    assert zoo_bundles[name]["rc"] == 0
    assert_on_the_gpu(zoo_bundles[name]["bundle"])


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_files_match_keras_and_pixels_follow_the_models_range(zoo_bundles, name):
    import edgegan
    from edgegan import manifest as mf
    from edgegan.latents import latents
    from edgegan.runtime.images import to_uint8

    z = zoo_bundles[name]
    G = _keras(z["g"])
    m = mf.load(z["bundle"])
    want_range = (0.0, 1.0) if name == "kerasio" else (-1.0, 1.0)
    assert m.contract.image_range == want_range
    lat = latents(8, m.latent_size, 5)
    y = G(lat, training=False).numpy()
    for backend in ("onnx", "tflite"):  # our own check, not the manifest's figure
        g = edgegan.load(z["bundle"], backend=backend, precision="fp32")
        assert np.abs(g.generate(lat) - y).max() <= 1e-4, backend
        got = g.sample(8, seed=5).astype(int)
        assert np.abs(got - to_uint8(y, want_range).astype(int)).max() <= 1, backend
    for e in m.find("generator"):  # every format and precision loads and samples
        assert edgegan.load(z["bundle"], backend=e.format, precision=e.precision).sample(2).shape == (2, *y.shape[1:])


def test_sigmoid_generator_black_is_0_and_white_is_255(tmp_path):
    g, _ = zoo.save("kerasio", tmp_path / "keras", saturate=400.0)  # pixels reach both ends of [0, 1]
    r = run_cli("export", "--model", str(g), "--format", "onnx", "--precision", "fp32", "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    r = run_cli("generate", "--model", str(tmp_path / "b"), "-n", "4", "--npy", str(tmp_path / "g.npy"),
                "-o", str(tmp_path / "g.png"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    a = np.load(tmp_path / "g.npy")
    assert a.shape == (4, 64, 64, 3) and a.min() == 0 and a.max() == 255  # tanh's mapping would put black at 128


def test_a_logit_discriminator_is_judged_at_0_and_scores_probabilities(zoo_bundles):
    import edgegan
    from edgegan import manifest as mf

    z = zoo_bundles["tf_tutorial"]
    m = mf.load(z["bundle"])
    assert m.data["discriminator"] == {"input_range": [-1.0, 1.0], "score": "logit", "threshold": 0.0}
    g = edgegan.load(z["bundle"], backend="onnx")
    d = edgegan.load(z["bundle"], role="discriminator", backend="onnx", precision="fp32")
    images = g.sample(16, seed=1)
    logits = _keras(z["d"])(g.generate(g.latents(16, 1)), training=False).numpy()[:, 0]
    p = d.score(images)
    assert p.min() >= 0 and p.max() <= 1
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-logits)), atol=1e-3)  # uint8 round trip moves pixels 1/255
    for e in m.find("discriminator"):
        assert "decisive" in e.parity and "p_mean_abs" in e.parity, e.path  # agreement taken in P space at 0.5


def test_keras_gan_nested_generator_is_optimized_and_exact(zoo_bundles):
    import edgegan
    from edgegan import manifest as mf
    from edgegan.latents import latents
    from test_optimize import UPSAMPLING, _ops

    z = zoo_bundles["kerasgan"]
    assert "optimized generator:" in z["stdout"], z["stdout"]
    m = mf.load(z["bundle"])
    lat = latents(8, 100, 2)
    y = _keras(z["g"])(lat, training=False).numpy()
    for e in m.find("generator"):  # ONNX/ORT int8 keep upsample+conv blocks as built (bundle.auto_form)
        plain = e.format in ("onnx", "ort") and e.precision == "int8"
        assert e.optimized == (not plain), e.path
        assert bool(_ops(z["bundle"] / e.path, e.format) & UPSAMPLING) == plain, e.path
    for backend in ("onnx", "tflite"):
        g = edgegan.load(z["bundle"], backend=backend, precision="fp32")
        assert np.abs(g.generate(lat) - y).max() <= 1e-5, backend


@pytest.mark.parametrize("name", ["tf_tutorial", "kerasio"])
def test_transposed_convolutions_leave_the_optimized_files(zoo_bundles, name):
    """Where the rewrite applied, no file carries TRANSPOSE_CONV / ConvTranspose (the check's positive control:
    test_optimize.test_the_upsampling_check_sees_a_plain_export), and fp32 stays within 1e-5 of Keras."""
    import edgegan
    from edgegan import manifest as mf
    from edgegan.latents import latents
    from test_optimize import TRANSPOSED, _ops

    z = zoo_bundles[name]
    m = mf.load(z["bundle"])
    optimized = [e for e in m.find("generator") if e.optimized]
    assert {(e.format, e.precision) for e in optimized} >= {("tflite", "fp32"), ("onnx", "fp32")}, m.files
    for e in optimized:
        assert not _ops(z["bundle"] / e.path, e.format) & TRANSPOSED, e.path
    G = _keras(z["g"])
    lat = latents(8, G.inputs[0].shape[1], 3)
    for backend in ("onnx", "tflite"):
        g = edgegan.load(z["bundle"], backend=backend, precision="fp32")
        assert np.abs(g.generate(lat) - G(lat, training=False).numpy()).max() <= 1e-5, backend


def test_keras_io_files_never_interleave_the_wide_tensor(zoo_bundles, tmp_path):
    """keras.io's last Conv2D (16 -> 3 channels here, 512 -> 3 published) runs on the last block's phases: no
    64x64 tensor of more than 4 channels (3, padded to 4) is left in the files that carry it; the check's positive
    control is the plain export (LiteRT and ONNX), which holds the 64x64x16 tensor."""
    from edgegan import manifest as mf
    from edgegan.export.onnx import keras_to_onnx
    from edgegan.export.tflite import keras_to_tflite
    from test_optimize import _tensor_shapes

    def wide(shapes) -> list[tuple]:
        return [s for s in shapes if list(s).count(64) == 2 and max((d for d in s if d != 64), default=0) > 4]

    z = zoo_bundles["kerasio"]
    G, m = _keras(z["g"]), mf.load(z["bundle"])
    carried = [e for e in m.find("generator") if e.carried]
    assert {(e.format, e.precision) for e in carried} >= CARRIED, [(e.path, e.carried) for e in m.find("generator")]
    for e in carried:
        assert e.carried == [G.layers[-1].name], e.path
        if e.format != "ort":  # an .ort file is its .onnx file in ONNX Runtime's own format
            assert not wide(_tensor_shapes(z["bundle"] / e.path, e.format)), e.path
    keras_to_tflite(G, tmp_path / "plain.tflite", "fp32", 1, None, {})
    assert (1, 64, 64, 16) in wide(_tensor_shapes(tmp_path / "plain.tflite", "tflite"))
    keras_to_onnx(G, tmp_path / "plain.onnx", "z", "image", {})  # NCHW inside, batch unknown: (0, 16, 64, 64)
    assert (0, 16, 64, 64) in wide(_tensor_shapes(tmp_path / "plain.onnx", "onnx"))


def _activation_types(path) -> set[str]:
    """The integer types an ONNX int8 file quantizes its activations to (its QuantizeLinear zero points)."""
    import onnx

    m = onnx.load(str(path))
    inits = {i.name: i.data_type for i in m.graph.initializer}
    return {
        onnx.helper.tensor_dtype_to_np_dtype(inits[n.input[2]]).name
        for n in m.graph.node
        if n.op_type == "QuantizeLinear"
    }


def _weight_range(path) -> tuple[int, int]:
    """Smallest and largest int8 weight of an ONNX int8 file (the inputs of its DequantizeLinear nodes)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    w = [inits[n.input[0]] for n in m.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in inits]
    w = [a for a in w if a.dtype == np.int8]
    return min(int(a.min()) for a in w), max(int(a.max()) for a in w)


def _psnr(bundle, fmt: str, keras_model) -> float:
    import edgegan
    from edgegan.latents import latents

    lat = latents(32, keras_model.inputs[0].shape[1], 9)
    want = keras_model(lat, training=False).numpy()
    got = edgegan.load(bundle, backend=fmt, precision="int8").generate(lat)
    return float(10 * np.log10(np.ptp(want) ** 2 / np.mean((got - want) ** 2)))


@pytest.mark.parametrize("name", ["tf_tutorial", "kerasio"])
def test_int8_files_lose_no_more_than_plain_ones(zoo_bundles, name, tmp_path):
    """The rewrite may not cost int8 accuracy: PSNR vs Keras no worse than the plain int8 file's minus 0.5 dB."""
    from edgegan import manifest as mf

    z = zoo_bundles[name]
    plain = tmp_path / "plain"
    r = run_cli("export", "--model", str(z["g"]), "--no-optimize", "--format", "onnx,tflite", "--precision", "int8",
                "--out", str(plain))  # fmt: skip
    assert r.returncode == 0, r.stderr
    G, m = _keras(z["g"]), mf.load(z["bundle"])
    for fmt in ("onnx", "tflite"):
        assert m.find("generator", fmt, "int8")[0].optimized, fmt
        assert _psnr(z["bundle"], fmt, G) >= _psnr(plain, fmt, G) - 0.5, fmt


def test_carrying_the_last_convolution_costs_no_int8_accuracy(zoo_bundles, tmp_path):
    """keras.io's int8 files with the carried last Conv2D: PSNR vs Keras no worse than the same rewrite without
    the carry, minus 0.5 dB (its padded phase channels are zero filters: per-channel scales leave the rest alone)."""
    from edgegan import manifest as mf

    z = zoo_bundles["kerasio"]
    before = tmp_path / "no-carry"
    r = run_cli("export", "--model", str(z["g"]), "--format", "onnx,tflite", "--precision", "int8",
                "--optimize-form", "pads-upsample-transposed", "--out", str(before))  # fmt: skip
    assert r.returncode == 0, r.stderr
    G, m, b = _keras(z["g"]), mf.load(z["bundle"]), mf.load(before)
    for fmt in ("onnx", "tflite"):
        assert m.find("generator", fmt, "int8")[0].carried and not b.find("generator", fmt, "int8")[0].carried
        assert _psnr(z["bundle"], fmt, G) >= _psnr(before, fmt, G) - 0.5, fmt


def test_onnx_int8_files_follow_their_target(zoo_bundles, tmp_path):
    """ONNX int8 activations are uint8 for --target x86 (the default), with weights in [-64, 64], and int8 for
    --target arm, with the full int8 range; the manifest records the scheme."""
    from edgegan import manifest as mf

    z, arm = zoo_bundles["tf_tutorial"], tmp_path / "arm"
    r = run_cli("export", "--model", str(z["g"]), "--target", "arm", "--format", "onnx", "--precision", "int8",
                "--out", str(arm))  # fmt: skip
    assert r.returncode == 0, r.stderr
    for bundle, target, act in ((z["bundle"], "x86", "uint8"), (arm, "arm", "int8")):
        entry = next(f for f in mf.load(bundle).data["files"] if f["path"] == "generator.int8.onnx")
        assert entry["quantization"]["target"] == target and entry["quantization"]["activations"] == act
        assert _activation_types(bundle / "generator.int8.onnx") == {act}, target
    lo, hi = _weight_range(z["bundle"] / "generator.int8.onnx")  # x86: 7-bit weights (docs/reliability.md item 21)
    assert lo >= -64 and hi <= 64 and hi - lo > 64, (lo, hi)
    assert _weight_range(arm / "generator.int8.onnx")[1] > 64  # arm: the full int8 range


def test_a_generator_alone_exports_verifies_loads_and_benches(zoo_bundles):
    import edgegan
    from edgegan import manifest as mf
    from edgegan.bench import bench
    from edgegan.errors import ConfigError

    z = zoo_bundles["functional"]
    m = mf.load(z["bundle"])
    assert m.image_shape == (30, 30, 1) and not m.contract.has_discriminator
    assert {e.role for e in m.files} == {"generator"} and not (z["bundle"] / "discriminator.keras").exists()
    assert "no discriminator given" in z["stdout"]
    with pytest.raises(ConfigError, match="has no discriminator"):
        edgegan.load(z["bundle"], role="discriminator")
    rows, _ = bench(z["bundle"], runs=3, keras=False, cold=False, only=lambda e: e.precision == "fp32")
    assert rows and all(r.p50_ms > 0 for r in rows)


def _one_line_refusal(r, *words):
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_what_cannot_work_is_refused_in_one_line(tmp_path):
    import keras
    from keras import layers as L

    z = keras.Input((8,))
    linear = keras.Model(z, L.Reshape((4, 4, 1))(L.Dense(16)(z)))
    linear.save(tmp_path / "linear.keras")
    g, d = zoo.save("kerasgan", tmp_path / "pair")  # 32x32x3 G
    _, d28 = zoo.save("tf_tutorial", tmp_path / "other")  # 28x28x1 D
    a, b = keras.Input((8,)), keras.Input((1,))
    two = keras.Model([a, b], L.Reshape((4, 4, 1))(L.Dense(16, activation="tanh")(L.Concatenate()([a, b]))))
    two.save(tmp_path / "two.keras")
    onnx = ["--format", "onnx"]
    linear_r, pair_r, two_r = run_clis(  # independent: all at once
        [
            ["export", "--model", str(tmp_path / "linear.keras"), *onnx, "--out", str(tmp_path / "o1")],
            ["export", "--generator", str(g), "--discriminator", str(d28), *onnx, "--out", str(tmp_path / "o2")],
            ["export", "--model", str(tmp_path / "two.keras"), *onnx, "--out", str(tmp_path / "o3")],
        ]
    )
    _one_line_refusal(linear_r, "linear.keras", "--output-range")
    assert not any((tmp_path / f"o{i}").exists() for i in (1, 2, 3))
    _one_line_refusal(pair_r, "(32, 32, 3)", "(28, 28, 1)", str(g), str(d28))
    _one_line_refusal(two_r, "two.keras", "2 inputs", "one float input")


def test_decisive_agreement_passes_an_undecided_discriminator_and_fails_a_broken_file():
    from edgegan import parity
    from edgegan.export.formats import BOUNDS

    rng = np.random.default_rng(0)
    undecided = 0.5 + rng.normal(0, 0.004, 2000)  # a random-weight D: every score near 0.5
    tiny_error = undecided + rng.normal(0, 0.002, 2000)  # flips about a third of the 0.5-calls
    fig = parity.figures("discriminator", undecided, tiny_error)
    assert fig["agreement_all"] < 0.9 and fig["decisive"] == 0
    assert parity.passes("discriminator", BOUNDS["int8"], fig)
    decided = rng.uniform(0, 1, 2000)
    broken = rng.permutation(decided)  # a file that scores other images
    assert not parity.passes("discriminator", BOUNDS["int8"], parity.figures("discriminator", decided, broken))
    logits = rng.normal(0, 3, 2000)  # logits: the boundary is 0, i.e. P = 0.5
    fig = parity.figures("discriminator", logits, logits + 0.01, score="logit")
    assert fig["agreement"] == 1.0 and fig["decisive"] > 1500
    assert parity.passes("discriminator", BOUNDS["int8"], fig)
    assert not parity.passes(
        "discriminator", BOUNDS["int8"], parity.figures("discriminator", logits, -logits, score="logit")
    )


def test_manifest_records_the_contract(zoo_bundles):
    m = json.loads((zoo_bundles["kerasio"]["bundle"] / "manifest.json").read_text())
    assert m["image"]["range"] == [0.0, 1.0] and m["latent"]["size"] == 32
    assert m["discriminator"] == {"input_range": [0.0, 1.0], "score": "probability", "threshold": 0.5}
