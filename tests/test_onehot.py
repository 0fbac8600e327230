"""One-hot conditioning (--label-onehot K): keras.io's conditional GAN (tools/zoo/dcgan.py keras_cgan), whose G takes the
latent followed by a one-hot label and whose D takes the label as K more image channels, exported as a
conditional pair whose files take an integer label (edgegan/export/onehot.py)."""

import json

import numpy as np
import pytest

from conftest import needs_tf, run_cli

pytestmark = needs_tf


@pytest.fixture(scope="module")
def cgan(tmp_path_factory):
    from zoo import dcgan as zoo

    root = tmp_path_factory.mktemp("onehot")
    zoo.save("keras_cgan", root / "m")
    r = run_cli("export", "--model", str(root / "m"), "--label-onehot", "10", "--out", str(root / "b"))
    assert r.returncode == 0, r.stderr[-2000:]
    return root


def keras_pair(cgan):
    import keras

    return (keras.models.load_model(cgan / "m" / f"{r}.keras") for r in ("generator", "discriminator"))


def test_without_the_flag_the_refusal_suggests_it(cgan):
    r = run_cli(
        "export", "--model", str(cgan / "m"), "--format", "onnx", "--precision", "fp32", "--out", str(cgan / "x")
    )
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "--label-onehot 10" in r.stderr and not (cgan / "x").exists()


def test_the_pair_exports_as_a_conditional_bundle_and_verifies(cgan):
    m = json.loads((cgan / "b" / "manifest.json").read_text())
    assert m["latent"]["size"] == 128
    assert m["label"]["classes"] == 10 and m["label"]["source_encoding"] == {"onehot": 10, "position": "last"}
    assert len({f["path"] for f in m["files"]}) == 20  # every format and precision of both networks
    ref = np.load(cgan / "b" / "reference.npz")
    assert set(np.unique(ref["label"])) == set(range(10)) and set(np.unique(ref["d_label"])) == set(range(10))
    for extra in ([], ["--against-keras"]):
        r = run_cli("verify", str(cgan / "b"), *extra)
        assert r.returncode == 0, r.stdout + r.stderr


def test_generate_label_7_is_keras_with_a_one_hot_7(cgan, tmp_path):
    import edgegan
    from edgegan.runtime.images import to_uint8

    G, _ = keras_pair(cgan)
    r = run_cli("generate", "--model", str(cgan / "b"), "--label", "7", "-n", "6", "--npy", str(tmp_path / "7.npy"),
                "-o", str(tmp_path / "7.png"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    z = edgegan.load(cgan / "b").latents(6, seed=0)  # the runtime's own latents for seed 0
    want = to_uint8(G(np.concatenate([z, np.eye(10, dtype=np.float32)[[7] * 6]], 1)).numpy(), (0.0, 1.0))
    assert int(np.abs(np.load(tmp_path / "7.npy").astype(int) - want).max()) <= 1
    r = run_cli("generate", "--model", str(cgan / "b"), "--label", "all", "-n", "2", "--npy", str(tmp_path / "all.npy"),
                "-o", str(tmp_path / "all.png"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = np.load(tmp_path / "all.npy")
    assert rows.shape == (20, 28, 28, 1)  # one row of 2 per class
    z2 = edgegan.load(cgan / "b").latents(2, seed=0)
    for c in (0, 9):
        want = to_uint8(G(np.concatenate([z2, np.eye(10, dtype=np.float32)[[c] * 2]], 1)).numpy(), (0.0, 1.0))
        assert int(np.abs(rows[2 * c : 2 * c + 2].astype(int) - want).max()) <= 1


def test_score_takes_an_integer_label_and_is_keras_with_label_channels(cgan):
    import edgegan
    from edgegan.contract import probability

    _, D = keras_pair(cgan)
    x = np.random.default_rng(2).random((5, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 3, 7, 9, 7])
    planes = np.broadcast_to(np.eye(10, dtype=np.float32)[labels][:, None, None, :], (5, 28, 28, 10))
    want = probability(D(np.concatenate([x, planes], 3)).numpy()[:, 0], "logit")
    for backend in ("onnx", "tflite"):
        d = edgegan.load(cgan / "b", role="discriminator", backend=backend, precision="fp32")
        np.testing.assert_allclose(d.score(x, labels=labels), want, atol=1e-5)
    assert edgegan.load(cgan / "b").classes == 10


def test_the_web_page_and_http_example_get_the_class_picker(cgan, tmp_path):
    import load_translate as lt

    from edgegan.export.web import write_web

    info = json.loads((write_web(cgan / "b", tmp_path / "site") / "model.json").read_text())
    assert info["classes"] == 10 and info["label"] == "label"  # the page shows its digit picker for these
    p, base = lt.start(str(cgan / "b"))
    try:
        import urllib.request

        with urllib.request.urlopen(base + "/generate?seed=0&n=2&label=7", timeout=30) as r:
            assert r.status == 200 and r.read()[:4] == b"\x89PNG"
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_shapes_that_do_not_fit_the_layout_are_refused_in_one_line(cgan):
    r = run_cli("export", "--model", str(cgan / "m"), "--label-onehot", "4", "--format", "onnx", "--precision", "fp32",
                "--out", str(cgan / "y"))  # fmt: skip
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "--label-onehot 4" in r.stderr
