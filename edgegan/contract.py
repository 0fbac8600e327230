"""A model's contract: what its numbers mean, read from the model at export and obeyed everywhere after.

Light tier (stdlib + numpy). Export reads the contract from the Keras models (edgegan.export.inspect),
records it in the manifest, and every consumer (runtime, uint8 conversion, calibration scaling, parity,
verify, web page, HTTP example) takes it from there instead of assuming the seed article's values.

    "image":         {"shape": [H, W, C], "range": [lo, hi], ...}     the generator's output pixels
    "input":         {"kind": "image", "shape": [H, W, C], "range": [lo, hi], "scale": s, "multiple": m}
                     an image-input generator's input (H, W null for any size); absent: a latent ("latent")
    "discriminator": {"input_range": [lo, hi], "score": "probability" | "logit" | "lsgan" | ...,
                      "inputs": ["source", "image"], "score_shape": [h, w, 1]}
    "label":         {"classes": K, "name": "label", "dtype": "int32"}   a conditional model's integer input

A bundle without a "discriminator" section has no discriminator. The generator's input has a kind, one object
each (LatentInput, ImageInput): what it takes, how to check a batch of it, how it is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}  # output activation -> value range it produces


@dataclass(frozen=True)
class ScoreKind:
    """What a discriminator's score means, and everything that follows from it: the real/fake threshold (None:
    there is none), how the runtime returns it, how parity measures a file's scores and whether export centres
    them first. One object per kind, in SCORE; the manifest records the name."""

    name: str
    threshold: float | None  # real above it
    doc: str
    sigmoid: bool = False  # the runtime returns P(real) = sigmoid(score); else the score as it is
    spread_scaled: bool = False  # parity's score error is divided by the scores' spread (unbounded scores)
    ordered: bool = False  # no threshold: parity is relative error plus the order of image pairs, not agreement
    centred: bool = False  # export takes the median off the scores (int8 ranges include 0), the engine adds it back

    def probability(self, scores) -> np.ndarray:
        """P(real) for a probability or a logit; a least-squares score or a critic's as it is."""
        s = np.asarray(scores, np.float64)
        return (0.5 * (1.0 + np.tanh(0.5 * s)) if self.sigmoid else s).astype(np.float32)


SCORE = {
    k.name: k
    for k in (
        ScoreKind("probability", 0.5, "P(real) in [0, 1] (a sigmoid output)"),
        ScoreKind(
            "logit", 0.0, "a logit: real above 0 (a linear output trained with sigmoid cross-entropy)", sigmoid=True
        ),
        ScoreKind("lsgan", 0.5, "a least-squares score: real 1, fake 0, unbounded", spread_scaled=True),
        ScoreKind("hinge", 0.0, "a hinge-loss score (GauGAN, SAGAN): real above 0, unbounded", spread_scaled=True),
        ScoreKind(
            "critic",
            None,
            "a Wasserstein critic (WGAN, WGAN-GP): unbounded, higher is more real, no threshold; only differences "
            "between scores mean anything",
            ordered=True,
            centred=True,
        ),
    )
}
SCORES = tuple(SCORE)
SCORE_KINDS = {"sigmoid": "probability", "linear": "logit"}  # D's last activation -> what its score means
SOURCE_NAME = "source"  # an image-input generator's input, and a paired discriminator's condition image


@dataclass(frozen=True)
class LatentInput:
    """A generator fed a latent vector: float32 (N, size) drawn from N(0, 1) (edgegan.latents)."""

    size: int
    kind: ClassVar[str] = "latent"

    def describe(self) -> str:
        return f"a latent ({self.size},)"


@dataclass(frozen=True)
class ImageInput:
    """A generator fed a picture: float32 (N, H, W, C) in ``range``. H and W are None for a model that takes any
    size whose sides are multiples of ``multiple``; the output is ``scale`` times larger per side."""

    shape: tuple  # (H, W, C); H, W None: any size
    range: tuple[float, float]
    scale: int = 1
    multiple: int = 1
    receptive_field: int | None = None  # input pixels an output pixel may depend on, each way; None: unknown
    kind: ClassVar[str] = "image"

    @property
    def dynamic(self) -> bool:
        return self.shape[0] is None or self.shape[1] is None

    @property
    def channels(self) -> int:
        return int(self.shape[2])

    def describe(self) -> str:
        h, w, c = ("any" if v is None else v for v in self.shape)
        return f"a picture {h}x{w}x{c} in [{self.range[0]:g}, {self.range[1]:g}], x{self.scale}"

    def size_problem(self, h: int, w: int) -> str | None:
        """Why a picture of h x w cannot be fed to this input as it is, or None when it can."""
        if not self.dynamic and (h, w) != tuple(self.shape[:2]):
            return f"the model takes {self.shape[0]}x{self.shape[1]} pictures, got {h}x{w}"
        if self.dynamic and (h % self.multiple or w % self.multiple or not h or not w):
            return f"the model takes sides that are multiples of {self.multiple}, got {h}x{w}"
        return None

    def section(self) -> dict:
        """The manifest's "input" object."""
        return {
            "kind": "image",
            "shape": [None if v is None else int(v) for v in self.shape],
            "range": list(self.range),
            "scale": self.scale,
            "multiple": self.multiple,
            "receptive_field": self.receptive_field,
            "name": SOURCE_NAME,
        }

    @classmethod
    def from_section(cls, d: dict) -> ImageInput:
        """The "input" object of a manifest or of a file's metadata; a file without edgegan metadata gives its
        shape and scale only (range None: not known)."""
        shape = tuple(None if v is None else int(v) for v in d["shape"])
        field = d.get("receptive_field")
        return cls(
            shape,
            tuple(float(v) for v in d["range"]) if d.get("range") is not None else None,
            int(d.get("scale", 1)),
            int(d.get("multiple", 1)),
            None if field is None else int(field),
        )


@dataclass(frozen=True)
class Contract:
    latent_size: int
    image_shape: tuple[int, int, int]
    image_range: tuple[float, float] = (-1.0, 1.0)
    d_input_range: tuple[float, float] | None = None  # None: no discriminator in the bundle
    score: str | None = None  # a SCORE kind ("probability", "logit", ...); None: no discriminator
    classes: int = 0  # a conditional model's label takes 0 .. classes - 1; 0: no label input
    source: ImageInput | None = None  # an image-input generator's input; None: a latent of latent_size
    d_inputs: tuple[str, ...] = ("image",)  # D's image inputs in order: ("source", "image") for a paired D
    score_shape: tuple[int, ...] = (1,)  # one score per image, or a patch map (h, w, 1)
    d_shape: tuple[int, int, int] | None = None  # D's input when G takes any size (its output is then (None, None, C))
    extra: tuple = ()  # G's inputs of the newer kinds (edgegan.signature: a map), after its main input and label

    @property
    def signature(self):
        """G's inputs as named entries in edgegan's order (edgegan.signature): the latent or the picture, then a
        conditional model's label, then the rest."""
        from edgegan.signature import Image, Label, Latent, Signature

        main = Image.of(self.source) if self.source is not None else Latent(self.latent_size)
        return Signature([main, *([Label(self.classes)] if self.classes else []), *self.extra])

    @property
    def d_image_shape(self) -> tuple[int, int, int]:
        """The pictures the discriminator takes."""
        return self.d_shape or self.image_shape

    @property
    def input(self) -> LatentInput | ImageInput:
        """What the generator takes."""
        return self.source if self.source is not None else LatentInput(self.latent_size)

    @property
    def conditional(self) -> bool:
        return self.classes > 0

    @property
    def paired(self) -> bool:
        """D judges a candidate image against the source it was made from (pix2pix)."""
        return len(self.d_inputs) > 1

    @property
    def patches(self) -> bool:
        return len(self.score_shape) == 3

    @property
    def has_discriminator(self) -> bool:
        return self.score is not None

    @property
    def threshold(self) -> float | None:
        """The real/fake boundary of D's score; None for a critic, which has none."""
        return SCORE[self.score or "probability"].threshold

    def discriminator_section(self) -> dict:
        """The manifest's "discriminator" object."""
        d = {"input_range": list(self.d_input_range), "score": self.score, "threshold": self.threshold}
        if self.paired or self.patches or self.d_shape:
            d.update(inputs=list(self.d_inputs), score_shape=list(self.score_shape))
            d.update(image_shape=list(self.d_image_shape))
        return d

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
        source = data.get("input") if (data.get("input") or {}).get("kind") == "image" else None
        return cls(
            int((data.get("latent") or {}).get("size", 0)),
            tuple(None if v is None else int(v) for v in image["shape"]),
            rng,
            tuple(float(v) for v in d["input_range"]) if d else None,
            d["score"] if d else None,
            int((data.get("label") or {}).get("classes", 0)),
            ImageInput.from_section(source) if source else None,
            tuple((d or {}).get("inputs", ("image",))),
            tuple(int(v) for v in (d or {}).get("score_shape", (1,))),
            tuple(int(v) for v in d["image_shape"]) if d and None in image["shape"] and "image_shape" in d else None,
            _extra(data),
        )


def _extra(data: dict) -> tuple:
    """The entries of a manifest's signature after the main input and a label (older manifests have none;
    edgegan.manifest.parse has validated it)."""
    from edgegan.signature import Signature

    items = (data.get("signature") or {}).get("generator")
    return Signature.from_section(items).extra if items else ()


def rescale(x: np.ndarray, src: tuple[float, float], dst: tuple[float, float]) -> np.ndarray:
    """Map float values linearly from range ``src`` to range ``dst``."""
    if tuple(src) == tuple(dst):
        return np.asarray(x, np.float32)
    (a, b), (c, d) = src, dst
    return ((np.asarray(x, np.float32) - a) * ((d - c) / (b - a)) + c).astype(np.float32)


def probability(scores: np.ndarray, kind: str) -> np.ndarray:
    """The runtime's score from raw discriminator outputs of the given kind (ScoreKind.probability)."""
    return SCORE[kind].probability(scores)


def parse_range(text: str) -> tuple[float, float]:
    """'LO,HI' -> (lo, hi) with lo < hi; ValueError with a readable message otherwise."""
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"expected LO,HI like -1,1 or 0,1, got {text!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"expected finite LO < HI, got {text!r}")
    return lo, hi
