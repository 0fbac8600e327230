"""Per-class quality of a conditional run: what the overall Frechet distance hides.

    python tools/conditional_per_class.py runs/mnist-cdcgan [--json docs/conditional_generator.json --name concat]

Restores the run's last checkpoint (both the weight average and the raw G), draws 2,000 images with the scoring
latents and labels i % 10, and reports with the shipped classifier: the Frechet distance overall and per class
(generated class c against real class c; the real-vs-real floor per class beside it), label accuracy, the
confident share, and the norm of each class's row of G's label embedding (a row near zero means that class's
images no longer depend on z).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--data", default=str(ROOT.parent / "shared/data/mnist"))
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--json", help="add the figures to this JSON file under --name")
    p.add_argument("--name", default="run")
    a = p.parse_args()

    from edgegan.data import load_labeled
    from edgegan.evaluate import CONFIDENCE, Classifier, frechet_distance, scoring_latents
    from edgegan.train import TrainConfig, Trainer

    cfg = TrainConfig.from_dict(json.loads((Path(a.run) / "run.json").read_text())["config"])
    cfg.out = a.run
    tr = Trainer(cfg, resume=True)
    clf = Classifier(ROOT / "models/mnist-classifier")
    x_real, y_real = load_labeled(a.data, channels=1, seed=0)
    _, f_real = clf(x_real)
    z, y = scoring_latents(a.n, cfg.spec.latent_dim), (np.arange(a.n) % 10).astype(np.int32)
    k = a.n // 10
    out = {"run": a.run, "steps": int(tr.step.numpy()), "samples": a.n}
    out["real_floor_per_class"] = [
        round(frechet_distance(f_real[y_real == c][:k], f_real[y_real == c][k : 2 * k]), 2) for c in range(10)
    ]
    for name, g in (("ema", tr.G_ema), ("raw", tr.G)):
        if g is None:
            continue
        probs, feats = clf(np.asarray(g([z, y], training=False)))
        out[name] = {
            "frechet_distance": round(frechet_distance(feats, f_real[: a.n]), 2),
            "per_class_fd": [round(frechet_distance(feats[y == c], f_real[y_real == c][:k]), 2) for c in range(10)],
            "label_accuracy": round(float((probs.argmax(1) == y).mean()), 4),
            "confident_share": round(float((probs.max(1) >= CONFIDENCE).mean()), 4),
            "embedding_norms": [
                round(float(v), 3) for v in np.linalg.norm(g.get_layer("label_embedding").get_weights()[0], axis=1)
            ],
        }
    print(json.dumps(out, indent=2))
    if a.json:
        path = Path(a.json)
        all_runs = json.loads(path.read_text()) if path.is_file() else {"tool": "tools/conditional_per_class.py"}
        all_runs[a.name] = out
        path.write_text(json.dumps(all_runs, indent=2) + "\n")


if __name__ == "__main__":
    main()
