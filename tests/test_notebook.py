"""Export from a notebook: edgegan.export() on Keras models built in this process (never saved by the test
before export), against the CLI's export of the same models saved; a layer class defined here, as a notebook
defines one."""

import json

import numpy as np
import pytest

from conftest import needs_tf, run_cli

pytestmark = needs_tf
FLAGS = {"score": "critic", "formats": "onnx,tflite", "precisions": "fp32,int8"}


def test_export_of_in_memory_models_matches_the_clis_export_of_them_saved(tmp_path):
    import keras

    import edgegan
    from zoo import dcgan as zoo

    keras.utils.set_random_seed(5)
    G, D = zoo.wgan_gp(drift=3.0)
    lines = []
    b = edgegan.export(G, D, out=tmp_path / "nb", log=lines.append, **FLAGS)
    assert b.path == tmp_path / "nb" and b.verify()
    assert any(ln.startswith("  discriminator.int8.tflite") for ln in lines)  # the CLI's per-file lines
    r = run_cli("verify", str(b.path))
    assert r.returncode == 0, r.stdout + r.stderr
    x = np.random.default_rng(0).standard_normal((4, 128)).astype(np.float32)
    np.testing.assert_allclose(b.load(backend="onnx").generate(x), G(x, training=False).numpy(), atol=1e-4)

    (tmp_path / "saved").mkdir()
    G.save(tmp_path / "saved" / "generator.keras")
    D.save(tmp_path / "saved" / "discriminator.keras")
    cli = run_cli(
        "export", "--model", str(tmp_path / "saved"), "--score", "critic", "--format", FLAGS["formats"],
        "--precision", FLAGS["precisions"], "--out", str(tmp_path / "cli"),
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    nb, saved = (json.loads((tmp_path / p / "manifest.json").read_text()) for p in ("nb", "cli"))
    for key in ("latent", "image", "discriminator", "label", "input"):
        assert nb.get(key) == saved.get(key), key
    assert [f["path"] for f in nb["files"]] == [f["path"] for f in saved["files"]]


def test_a_notebooks_own_layer_class_exports(tmp_path):
    import keras

    import edgegan

    class Gain(keras.layers.Layer):  # defined here: no file or module for --custom-objects names it
        def call(self, x):
            return x * 0.5

    z = keras.Input((8,))
    h = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(z))
    G = keras.Model(z, keras.layers.Activation("tanh")(Gain()(h)), name="notebook_g")
    b = edgegan.export(G, out=tmp_path / "g", formats="onnx", precisions="fp32", log=lambda s: None)
    assert b.verify()
    x = np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32)
    np.testing.assert_allclose(b.load().generate(x), G(x).numpy(), atol=1e-5)


def test_statistics_over_the_batch_at_inference_are_refused(tmp_path):
    """GauGAN's SPADE normalizes with ops.moments over axes 0, 1, 2 at inference too: each picture then depends on
    the rest of its batch, which no exported file can reproduce at every batch size. The same layer over axes 1, 2
    (per sample) exports."""
    import keras

    import edgegan
    from edgegan.errors import ExportError

    class Moments(keras.layers.Layer):
        def __init__(self, axes, **kw):
            super().__init__(**kw)
            self.axes = axes

        def call(self, x):
            mean, var = keras.ops.moments(x, axes=self.axes, keepdims=True)
            return (x - mean) * keras.ops.rsqrt(var + 1e-3)

    def generator(axes):
        z = keras.Input((8,))
        h = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(z))
        return keras.Model(z, keras.layers.Activation("tanh")(Moments(axes)(h)))

    with pytest.raises(ExportError, match=r"^the generator's output for one input changes with the other inputs"):
        edgegan.export(generator((0, 1, 2)), out=tmp_path / "b", formats="onnx", precisions="fp32")
    assert not (tmp_path / "b").exists()
    assert edgegan.export(generator((1, 2)), out=tmp_path / "s", formats="onnx", precisions="fp32").verify()


def test_bad_arguments_are_one_line_errors():
    import edgegan
    from edgegan.errors import EdgeGanError

    with pytest.raises(EdgeGanError, match="unknown export option"):
        edgegan.export("g.keras", no_such_flag=1)
    with pytest.raises(EdgeGanError, match="expected a Keras model"):
        edgegan.export(object(), formats="onnx")
