"""A model's contract: what its numbers mean, read from the model at export and obeyed everywhere after.

Light tier (stdlib + numpy). Export reads the contract from the Keras models (edgegan.export.inspect),
records it in the manifest, and every consumer (runtime, uint8 conversion, calibration scaling, parity,
verify, web page, HTTP example) takes it from there instead of assuming the seed article's values.

    "image":         {"shape": [H, W, C], "range": [lo, hi], ...}     the generator's output pixels
    "discriminator": {"input_range": [lo, hi], "score": "probability" | "logit"}
    "label":         {"classes": K, "name": "label", "dtype": "int32"}   a conditional model's integer input

A bundle without a "discriminator" section has no discriminator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}  # output activation -> value range it produces
SCORE_KINDS = {"sigmoid": "probability", "linear": "logit"}  # D's last activation -> what its score means
THRESHOLDS = {"probability": 0.5, "logit": 0.0}  # decision boundary real/fake per score kind


@dataclass(frozen=True)
class Contract:
    latent_size: int
    image_shape: tuple[int, int, int]
    image_range: tuple[float, float] = (-1.0, 1.0)
    d_input_range: tuple[float, float] | None = None  # None: no discriminator in the bundle
    score: str | None = None  # "probability" or "logit"; None: no discriminator
    classes: int = 0  # a conditional model's label takes 0 .. classes - 1; 0: no label input

    @property
    def conditional(self) -> bool:
        return self.classes > 0

    @property
    def has_discriminator(self) -> bool:
        return self.score is not None

    @property
    def threshold(self) -> float:
        return THRESHOLDS[self.score or "probability"]

    def discriminator_section(self) -> dict:
        """The manifest's "discriminator" object."""
        return {"input_range": list(self.d_input_range), "score": self.score, "threshold": self.threshold}

    def parity_kw(self, role: str) -> dict:
        """Arguments of edgegan.parity.figures for a role: G's PSNR peak, D's score kind."""
        if role == "generator":
            return {"peak": self.image_range[1] - self.image_range[0]}
        return {"score": self.score or "probability"}

    @classmethod
    def from_manifest(cls, data: dict, has_discriminator: bool) -> Contract:
        """The contract a (validated) manifest records. Older manifests have no "discriminator" section and
        came from edgegan's own builder: tanh G ([-1, 1]) and a sigmoid D fed G's range."""
        image = data["image"]
        rng = tuple(float(v) for v in image.get("range", (-1, 1)))
        d = data.get("discriminator") or ({"input_range": rng, "score": "probability"} if has_discriminator else None)
        return cls(
            int(data["latent"]["size"]),
            tuple(int(v) for v in image["shape"]),
            rng,
            tuple(float(v) for v in d["input_range"]) if d else None,
            d["score"] if d else None,
            int((data.get("label") or {}).get("classes", 0)),
        )


def rescale(x: np.ndarray, src: tuple[float, float], dst: tuple[float, float]) -> np.ndarray:
    """Map float values linearly from range ``src`` to range ``dst``."""
    if tuple(src) == tuple(dst):
        return np.asarray(x, np.float32)
    (a, b), (c, d) = src, dst
    return ((np.asarray(x, np.float32) - a) * ((d - c) / (b - a)) + c).astype(np.float32)


def probability(scores: np.ndarray, kind: str) -> np.ndarray:
    """P(real) from raw discriminator outputs of the given kind."""
    s = np.asarray(scores, np.float64)
    if kind == "logit":
        s = 0.5 * (1.0 + np.tanh(0.5 * s))  # the logistic function, overflow-free
    return s.astype(np.float32)


def parse_range(text: str) -> tuple[float, float]:
    """'LO,HI' -> (lo, hi) with lo < hi; ValueError with a readable message otherwise."""
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"expected LO,HI like -1,1 or 0,1, got {text!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"expected finite LO < HI, got {text!r}")
    return lo, hi
