"""Choose the conditional discriminator by measurement: train each scheme the same way, score each the same way.

    python tools/conditional_trials.py --data ../shared/data/mnist --epochs 5   # -> docs/conditional_trials.json

Each trial trains a conditional DCGAN (edgegan.train, same seed, data and steps) with one way for D to take the
label (edgegan.models.D_CONDITIONING), then draws n images with the scoring latents and labels i % classes
from the run's generator (Keras) and scores them with the shipped classifier: label accuracy (share
classified as the requested class), confident share (p >= 0.9) and Frechet distance to real images.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def score(generator, x_real: np.ndarray, n: int, classes: int) -> dict:
    from edgegan.evaluate import CONFIDENCE, Classifier, frechet_distance, scoring_latents

    z = scoring_latents(n, int(generator.inputs[0].shape[-1]))
    y = (np.arange(n) % classes).astype(np.int32)
    fakes = np.concatenate([generator([z[i : i + 500], y[i : i + 500]], training=False) for i in range(0, n, 500)])
    clf = Classifier(ROOT / "models/mnist-classifier")
    probs, feats = clf(fakes)
    _, real_feats = clf(x_real[:n])
    hit = probs.argmax(1) == y
    return {
        "label_accuracy": round(float(hit.mean()), 4),
        "worst_class_accuracy": round(float(min(hit[y == c].mean() for c in range(classes))), 4),
        "confident_share": round(float((probs.max(1) >= CONFIDENCE).mean()), 4),
        "frechet_distance": round(frechet_distance(feats, real_feats), 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared/data/mnist"))
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--runs", default="/tmp/edgegan-conditional-trials", help="scratch folder for the trial runs")
    p.add_argument("--schemes", default="projection,channel")
    p.add_argument("--out", default=str(ROOT / "docs/conditional_trials.json"))
    a = p.parse_args()

    from edgegan.data import load_images
    from edgegan.models import ModelSpec, load_keras
    from edgegan.train import TrainConfig, train

    x_real = load_images(a.data, channels=1, seed=1)
    rows = []
    for scheme in a.schemes.split(","):
        out = Path(a.runs) / scheme
        cfg = TrainConfig(
            data=a.data, out=str(out), epochs=a.epochs, conditional=True, spec=ModelSpec(d_conditioning=scheme)
        )
        t0 = time.perf_counter()
        record = train(cfg, resume=(out / "run.json").is_file())
        seconds = time.perf_counter() - t0
        g = load_keras(out / "generator.keras", "generator")
        row = {"d_conditioning": scheme, "epochs": a.epochs, "steps": record["steps"], "train_seconds": round(seconds)}
        row.update(score(g, x_real, a.n, record["config"]["spec"]["classes"]))
        rows.append(row)
        print(json.dumps(row), flush=True)
    Path(a.out).write_text(
        json.dumps({"data": a.data, "samples": a.n, "trials": rows, "tool": "tools/conditional_trials.py"}, indent=2)
        + "\n"
    )


if __name__ == "__main__":
    main()
