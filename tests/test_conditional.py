"""Class-conditional DCGAN end to end on a tiny model: labelled data, training, export of the label input in every
format and precision, the runtime's labels, the CLI's --label, evaluate's label accuracy."""

import json

import numpy as np
import pytest
from PIL import Image

from conftest import needs_tf, run_cli, synthetic_digits, write_idx
from edgegan.data import load_labeled
from edgegan.errors import DataError, InputError

pytestmark = needs_tf


def _generators(bundle):
    import edgegan
    from edgegan import manifest as mf

    for e in mf.load(bundle).find("generator"):
        yield e, edgegan.load(bundle, backend=e.format, precision=e.precision)


def test_labels_reach_the_output_of_every_file(cond_bundle):
    import edgegan
    from edgegan import manifest as mf

    m = mf.load(cond_bundle)
    assert m.classes == 10 and len(m.files) == 20
    for e in m.files:  # name and dtype of the label input, as recorded and as the engines see it
        name = "serving_default_label:0" if e.format == "tflite" else "label"  # LiteRT prefixes its signature's
        assert [i["name"] for i in e.inputs][1:] == [name] and e.inputs[1]["dtype"] == "int32", e.path
        assert "quantization" not in e.inputs[1], e.path  # int8 files keep the label an integer
    for e, g in _generators(cond_bundle):
        assert g.classes == 10 and g.engine.label.dtype == "int32", e.path
        z = g.latents(4, seed=5)
        a, b = g.generate(z, labels=[1, 1, 1, 1]), g.generate(z, labels=[2, 2, 2, 2])
        assert float(np.abs(a - b).max()) > 1e-3, f"{e.path}: the label does not change the image"
        np.testing.assert_array_equal(a, g.generate(z, labels=1), err_msg=e.path)  # one label for all rows
        np.testing.assert_array_equal(g.sample(4, seed=5, label=3), g.sample(4, seed=5, label=3), err_msg=e.path)
    d = edgegan.load(cond_bundle, role="discriminator")
    images = g.sample(4, seed=1, label=0)
    assert not np.array_equal(d.score(images, labels=0), d.score(images, labels=9))


def test_reference_holds_labels_and_the_bundle_verifies(cond_bundle):
    from edgegan.verify import verify

    with np.load(cond_bundle / "reference.npz") as ref:
        assert set(ref.files) == {"z", "label", "image", "d_input", "d_label", "d_score"}
        assert ref["label"].dtype == np.int32 and set(ref["label"].tolist()) == set(range(10))
    rows, summary = verify(cond_bundle)
    assert summary["failed"] == 0 and len(rows) == 20


def test_bad_labels_are_refused(cond_bundle, bundle):
    import edgegan

    g = edgegan.load(cond_bundle)
    for kw, words in (
        (dict(label=10), "label 10 is not a class"),
        (dict(label=-1), "label -1 is not a class"),
        (dict(labels=[1, 2]), "expected 3 integers"),
        (dict(labels=[0.5, 1.0, 2.0]), "expected 3 integers"),
        ({}, "is conditional: pass labels"),
        (dict(label=1, labels=[1, 1, 1]), "not both"),
    ):
        with pytest.raises(InputError, match=words):
            g.sample(3, **kw)
    with pytest.raises(InputError, match="takes no label"):
        edgegan.load(bundle).sample(3, label=1)
    r = run_cli("generate", "--model", str(cond_bundle), "--label", "12", "-o", "/dev/null")
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "0 to 9" in r.stderr, r.stderr


def test_generate_label_all_draws_one_row_per_class(cond_bundle, tmp_path):
    import edgegan

    out = tmp_path / "all.png"
    r = run_cli(
        "generate",
        "--model",
        str(cond_bundle),
        "--label",
        "all",
        "-n",
        "3",
        "--npy",
        str(tmp_path / "a.npy"),
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert Image.open(out).size == ((3 * 30 + 2) * 2, (10 * 30 + 2) * 2)  # 3 columns, 10 rows, 2-pixel gaps, x2
    images = np.load(tmp_path / "a.npy")
    g = edgegan.load(cond_bundle)
    np.testing.assert_array_equal(images[3 * 7 : 3 * 8], g.sample(3, seed=0, label=7))  # row 7 is class 7


def test_evaluate_reports_label_accuracy_per_class(cond_bundle):
    from edgegan.evaluate import evaluate

    e = evaluate(cond_bundle, n=50)
    assert len(e.label_accuracy_per_class) == 10
    assert e.label_accuracy == pytest.approx(np.mean(e.label_accuracy_per_class), abs=1e-4)  # 5 samples per class


def test_conditional_training_resumes_exactly_with_class_rows(cond_run, digits_dir, tmp_path):
    from edgegan.train import TrainConfig, train

    record = json.loads((cond_run / "run.json").read_text())
    assert record["config"]["spec"]["classes"] == 10 and sum(record["data"]["labels"]) == 256
    grid = np.asarray(Image.open(cond_run / "samples" / "epoch_0002.png"))
    assert grid.shape[0] == (10 * 30 + 2) * 2  # one row per class
    cfg = TrainConfig.from_dict({**record["config"], "out": str(tmp_path / "r"), "epochs": 1})
    train(cfg)
    cfg.epochs = 2
    train(cfg, resume=True)
    import keras

    a = keras.saving.load_model(cond_run / "generator.keras").get_weights()
    b = keras.saving.load_model(tmp_path / "r" / "generator.keras").get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def _labelled(folder, n=30, labels=None):
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "train-images-idx3-ubyte.gz", synthetic_digits(n))
    if labels is not None:
        write_idx(folder / "train-labels-idx1-ubyte.gz", np.asarray(labels))
    return folder


def test_labels_from_idx_npz_and_class_folders(tmp_path):
    x, y = load_labeled(_labelled(tmp_path / "idx", 30, np.arange(30) % 3))
    assert x.shape == (30, 28, 28, 1) and y.tolist() == (np.arange(30) % 3).tolist()
    np.savez(tmp_path / "d.npz", x_train=synthetic_digits(12), y_train=np.arange(12) % 4)
    assert load_labeled(tmp_path / "d.npz")[1].tolist() == (np.arange(12) % 4).tolist()
    for c in ("0", "2", "10"):  # integer folder names are the labels
        (tmp_path / "img" / c).mkdir(parents=True)
        Image.fromarray(synthetic_digits(1)[0]).save(tmp_path / "img" / c / "a.png")
    assert sorted(load_labeled(tmp_path / "img")[1].tolist()) == [0, 2, 10]
    # shuffled and limited, images and labels stay paired
    xs, ys = load_labeled(tmp_path / "idx", limit=10, seed=4)
    order = np.random.default_rng(4).permutation(30)[:10]
    np.testing.assert_array_equal(xs, x[order]) and np.testing.assert_array_equal(ys, y[order])


def test_missing_mismatched_and_out_of_range_labels_name_the_file(tmp_path):
    with pytest.raises(DataError, match="no labels beside it"):
        load_labeled(_labelled(tmp_path / "none"))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz: 20 labels for 30 images"):
        load_labeled(_labelled(tmp_path / "short", 30, np.arange(20) % 10))
    np.savez(tmp_path / "n.npz", x_train=synthetic_digits(4))
    with pytest.raises(DataError, match=r"n.npz: no array named y_train"):
        load_labeled(tmp_path / "n.npz")
    (tmp_path / "loose").mkdir()
    Image.fromarray(synthetic_digits(1)[0]).save(tmp_path / "loose" / "a.png")
    with pytest.raises(DataError, match="not in a class sub-folder"):
        load_labeled(tmp_path / "loose")
    bad = _labelled(tmp_path / "range", 32, np.arange(32) % 10)
    r = run_cli("train", "--data", str(bad), "--conditional", "--classes", "5", "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and "outside the model's 5 classes" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and not (tmp_path / "o").exists()  # nothing written


def test_a_users_conditional_gan_exports_optimized_and_runs(tmp_path):
    """Keras-GAN's CGAN wiring (label (N, 1), nested Sequential, Conv2DTranspose, label channel, logit D)."""
    import edgegan
    from edgegan import manifest as mf
    from edgegan.export.bundle import keras_runner
    from edgegan.models import load_keras
    from zoo import dcgan as zoo

    g_path, d_path = zoo.save("cgan", tmp_path / "keras")
    out = tmp_path / "bundle"
    r = run_cli(
        "export",
        "--generator",
        str(g_path),
        "--discriminator",
        str(d_path),
        "--out",
        str(out),
        "--format",
        "onnx,tflite",
        "--precision",
        "fp32,int8",
    )
    assert r.returncode == 0, r.stderr[-2000:]
    m = mf.load(out)
    assert m.classes == 10 and m.contract.score == "logit"
    rewrites = [f["rewrites"] for f in m.data["files"] if f["role"] == "generator"]
    assert all(len(r) == 2 for r in rewrites), rewrites  # both Conv2DTranspose blocks after the label head
    G = load_keras(g_path, "generator")
    z, y = edgegan.load(out).latents(6, seed=1), np.array([0, 1, 2, 7, 8, 9], np.int32)
    want = keras_runner(G)(z, y[:, None])
    for e in m.find("generator"):
        g = edgegan.load(out, backend=e.format, precision=e.precision)
        assert g.engine.label.shape[1:] == (1,)  # the model's own label shape, fed from (N,) labels
        got = g.generate(z, labels=y)
        assert np.abs(got - want).max() <= (1e-4 if e.precision == "fp32" else 0.2), e.path
    assert run_cli("verify", str(out)).returncode == 0
