"""Train the small MNIST classifier that `edgegan evaluate` uses, and ship it as ONNX.

    python tools/train_classifier.py --data ../shared/data/mnist --out models/mnist-classifier

The classifier (TF-GAN's way of scoring MNIST GANs: a pretrained digit classifier) maps images
in [-1, 1] to class probabilities and a 128-d feature vector (the penultimate layer) in which the
Frechet distance is measured. A held-out 10% split (seeded) gives the recorded accuracy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/mnist")
    p.add_argument("--out", default="models/mnist-classifier")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    import keras
    import tensorflow as tf

    from edgegan.data import load_images, load_labels
    from edgegan.export.onnx import keras_to_onnx

    keras.utils.set_random_seed(a.seed)
    x = load_images(a.data)
    y = load_labels(a.data)
    if y is None or len(y) != len(x):
        sys.exit(f"{a.data}: needs labels (train-labels-idx1-ubyte) beside the images")
    order = np.random.default_rng(a.seed).permutation(len(x))
    n_test = len(x) // 10
    test, train = order[:n_test], order[n_test:]

    inp = keras.Input((28, 28, 1), name="image")
    h = keras.layers.Conv2D(32, 3, activation="relu")(inp)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(64, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    feats = keras.layers.Dense(128, activation="relu", name="features")(h)
    probs = keras.layers.Dense(10, activation="softmax", name="probs")(keras.layers.Dropout(0.3)(feats))
    train_model = keras.Model(inp, probs)
    train_model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    # Light augmentation: small shifts make the features less brittle to generated strokes.
    aug = keras.Sequential([keras.layers.RandomTranslation(0.08, 0.08, fill_value=-1.0, seed=a.seed)])
    ds = tf.data.Dataset.from_tensor_slices((x[train], y[train])).shuffle(len(train), seed=a.seed).batch(64)
    ds = ds.map(lambda im, lab: (aug(im, training=True), lab))
    t0 = time.time()
    train_model.fit(ds, epochs=a.epochs, verbose=2)
    _, acc = train_model.evaluate(x[test], y[test], verbose=0)
    print(f"held-out accuracy {acc:.4f} on {n_test} images")

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    model = keras.Model(inp, [probs, feats])
    model(x[:1])
    keras_to_onnx(
        model, out / "classifier.onnx", "image", ["probs", "features"], {"role": "classifier", "dataset": "mnist"}
    )
    data_files = [
        {"file": f.name, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
        for f in sorted(Path(a.data).glob("*ubyte*"))
    ]
    record = {
        "kind": "edgegan-classifier",
        "file": "classifier.onnx",
        "sha256": hashlib.sha256((out / "classifier.onnx").read_bytes()).hexdigest(),
        "outputs": {"probs": "(N, 10) class probabilities", "features": "(N, 128) penultimate ReLU features"},
        "input": "image (N, 28, 28, 1) float32 in [-1, 1]",
        "held_out_accuracy": round(float(acc), 4),
        "held_out_images": int(n_test),
        "train_images": int(len(train)),
        "epochs": a.epochs,
        "seed": a.seed,
        "data": {"source": a.data, "files": data_files},
        "command": "python " + " ".join(sys.argv),
        "wall_seconds": round(time.time() - t0, 1),
        "versions": {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "git_commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        or None,
    }
    (out / "classifier.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out / 'classifier.onnx'} and classifier.json")


if __name__ == "__main__":
    main()
