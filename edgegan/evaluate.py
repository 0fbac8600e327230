"""``edgegan evaluate``: sample quality the way TF-GAN scores MNIST GANs (light tier).

A small MNIST classifier (``models/mnist-classifier/classifier.onnx``, trained by
``tools/train_classifier.py``) gives, for N generated images:
  - the Frechet distance between generated and real images in its 128-d feature space, and the
    real-vs-real floor for the same N (two disjoint real sets);
  - the share of samples classified with confidence >= 0.9;
  - digit coverage: classes holding >= 2% of the samples, with the class histogram;
  - for a conditional generator, label accuracy: sample i asks for class i % 10, and the share classified as the
    class asked for, overall and per class.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgegan import manifest as mf
from edgegan.contract import rescale
from edgegan.errors import ConfigError, ModelFileError

DEFAULT_CLASSIFIER = Path("models/mnist-classifier")
CONFIDENCE = 0.9
COVERAGE_SHARE = 0.02


@dataclass
class Evaluation:
    samples: int
    frechet_distance: float
    real_vs_real_floor: float | None
    confident_share: float
    coverage: int
    histogram: list[int]
    real_images: int
    classifier_accuracy: float | None
    label_accuracy: float | None = None  # conditional models: share classified as the class asked for
    label_accuracy_per_class: list[float] | None = None


class Classifier:
    def __init__(self, folder: Path = DEFAULT_CLASSIFIER):
        import onnxruntime as ort

        record_path = folder / "classifier.json"
        if not record_path.is_file():
            raise ModelFileError(
                f"{record_path}: missing; the classifier ships in models/mnist-classifier (tools/train_classifier.py remakes it)"
            )
        self.record = json.loads(record_path.read_text())
        data = (folder / "classifier.onnx").read_bytes()
        if mf.sha256_bytes(data) != self.record.get("sha256"):
            raise ModelFileError(f"{folder / 'classifier.onnx'}: sha256 differs from classifier.json; refusing it")
        so = ort.SessionOptions()
        so.log_severity_level = 3
        self.session = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """images in [-1, 1] (N, 28, 28, 1) -> (probs (N, 10), features (N, 128))."""
        probs, feats = [], []
        for i in range(0, len(x), 500):
            p, f = self.session.run(["probs", "features"], {"image": x[i : i + 500].astype(np.float32)})
            probs.append(p)
            feats.append(f)
        return np.concatenate(probs), np.concatenate(feats).astype(np.float64)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(Sa + Sb - 2 (Sa Sb)^1/2), with numpy only (eigh, PSD-safe)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(sa)
    sqrt_sa = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = sqrt_sa @ sb @ sqrt_sa  # symmetric PSD; its sqrt has the same trace as (Sa Sb)^1/2
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sa) + np.trace(sb) - 2 * tr_sqrt)


def scoring_latents(n: int, size: int, seed: int = 0) -> np.ndarray:
    """The latents ``evaluate`` scores: the first n of seed's stream (edgegan.latents; prefix-stable in n)."""
    from edgegan.latents import latents

    return latents(n, size, seed)


def evaluate(
    model: str | Path,
    n: int = 2000,
    real: str | Path | None = None,
    seed: int = 0,
    classifier: Path = DEFAULT_CLASSIFIER,
    **load_kwargs,
) -> Evaluation:
    import edgegan
    from edgegan.data import load_images

    if n < 10:
        raise ConfigError(f"-n must be at least 10 for meaningful statistics, got {n}")
    g = edgegan.load(model, **load_kwargs)
    if g.info.image_shape != (28, 28, 1):
        raise ConfigError(f"evaluate scores 28x28x1 digits; {model} makes {g.info.image_shape}")
    clf = Classifier(Path(classifier))
    real = real or _training_data(Path(model))
    x_real = load_images(real, channels=1, seed=seed) if real else None
    z = scoring_latents(n, g.latent_size, seed)
    if g.classes and g.classes != 10:
        raise ConfigError(f"{model} has {g.classes} classes; evaluate's classifier knows the 10 MNIST digits")
    asked = np.arange(n) % g.classes if g.classes else None  # every class equally
    fakes = np.concatenate(
        [g.generate(z[i : i + 1000], None if asked is None else asked[i : i + 1000]) for i in range(0, n, 1000)]
    )
    if g.info.image_range is None:
        raise ConfigError(f"{model}: the file does not say its output range; evaluate a bundle made by edgegan export")
    probs, feats = clf(rescale(fakes, g.info.image_range, (-1.0, 1.0)))  # the classifier reads [-1, 1]
    hist = np.bincount(probs.argmax(1), minlength=10)
    fd = floor = None
    n_real = 0
    if x_real is not None:
        n_real = len(x_real)
        _, real_feats = clf(x_real)
        k = min(n, n_real // 2)
        fd = frechet_distance(feats[:k], real_feats[:k])
        floor = frechet_distance(real_feats[k : 2 * k], real_feats[:k]) if n_real >= 2 * k else None
    return Evaluation(
        samples=n,
        frechet_distance=float("nan") if fd is None else round(fd, 3),
        real_vs_real_floor=None if floor is None else round(floor, 3),
        confident_share=round(float((probs.max(1) >= CONFIDENCE).mean()), 4),
        coverage=int((hist >= COVERAGE_SHARE * n).sum()),
        histogram=hist.tolist(),
        real_images=n_real,
        classifier_accuracy=clf.record.get("held_out_accuracy"),
        **_label_accuracy(probs.argmax(1), asked),
    )


def _label_accuracy(predicted: np.ndarray, asked: np.ndarray | None) -> dict:
    if asked is None:
        return {}
    hit = predicted == asked
    per_class = [round(float(hit[asked == c].mean()), 4) for c in range(int(asked.max()) + 1)]
    return {"label_accuracy": round(float(hit.mean()), 4), "label_accuracy_per_class": per_class}


def _training_data(model: Path) -> str | None:
    for name in ("training.json", "run.json"):
        p = (model if model.is_dir() else model.parent) / name
        if p.is_file():
            src = json.loads(p.read_text()).get("config", {}).get("data")
            if src and Path(src).exists():
                return src
    return None


def report(e: Evaluation) -> str:
    lines = [f"samples                 {e.samples}"]
    if e.real_images:
        lines.append(
            f"Frechet distance        {e.frechet_distance:.3f} (real-vs-real floor {e.real_vs_real_floor} for the same N; {e.real_images} real images)"
        )
    else:
        lines.append("Frechet distance        - (no real images: pass --real PATH)")
    lines += [
        f"confident (p >= {CONFIDENCE})    {e.confident_share:.1%}",
        f"digit coverage          {e.coverage}/10 classes with >= {COVERAGE_SHARE:.0%} of samples",
        "class histogram         " + "  ".join(f"{d}:{c}" for d, c in enumerate(e.histogram)),
        f"classifier              held-out accuracy {e.classifier_accuracy}",
    ]
    if e.label_accuracy is not None:
        per = "  ".join(f"{d}:{a:.1%}" for d, a in enumerate(e.label_accuracy_per_class or []))
        lines += [
            f"label accuracy          {e.label_accuracy:.1%} (sample i asks for class i % 10)",
            f"  per class             {per}",
        ]
    return "\n".join(lines)


def as_dict(e: Evaluation) -> dict:
    return asdict(e)
