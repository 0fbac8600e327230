"""The light runtime: run exported generators and discriminators with ONNX Runtime or LiteRT.

Imports only numpy, the stdlib, Pillow and one engine; never TensorFlow or Keras.

    import edgegan
    g = edgegan.load("models/mnist-dcgan")          # bundle folder or a .onnx/.ort/.tflite file
    images = g.sample(16, seed=0)                   # uint8 (16, 28, 28, 1)
    d = edgegan.load("models/mnist-dcgan", role="discriminator")
    p = d.score(images)                             # P(real), float32 (16,)

    c = edgegan.load("models/mnist-cdcgan")         # a conditional generator: ask for a class
    sevens = c.sample(16, label=7, seed=0)          # or labels=[0, 1, 2, ...], one per image

    t = edgegan.load("exports/pix2pix")             # an image-input generator (pix2pix, CycleGAN, SR)
    out = t.translate(photo)                        # uint8 (H, W, C) or (N, H, W, C) in, uint8 out
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgegan import manifest as mf
from edgegan.contract import ImageInput, probability
from edgegan.errors import ConfigError, InputError, ModelFileError
from edgegan.latents import latents
from edgegan.roles import KINDS
from edgegan.runtime.engines import Engine, LiteRTEngine, OnnxEngine, input_name
from edgegan.runtime.images import from_uint8, save_each, save_gif, save_grid, to_uint8
from edgegan.runtime.tiles import DEFAULT_TILE, Tiling, overlap, translate_tiled
from edgegan.signature import DRAWN, Signature

DEFAULT_MAX_BATCH = 4096  # requests above this are refused before anything is allocated
SUFFIX_FORMAT = {".onnx": "onnx", ".ort": "ort", ".tflite": "tflite"}
BACKENDS = ("onnx", "ort", "tflite")


@dataclass(frozen=True)
class ModelInfo:
    """What the runtime knows about the loaded file."""

    path: str
    role: str
    format: str
    precision: str
    latent_size: int
    image_shape: tuple[int, int, int]
    optimized: bool = False
    image_range: tuple[float, float] | None = None  # G's pixels; D: the range its input images live in
    score: str | None = None  # D only: "probability" or "logit" (edgegan.contract)
    classes: int = 0  # a conditional model takes an integer label in [0, classes) with each input; 0: none
    source: ImageInput | None = None  # an image-input generator's input (edgegan.contract); None: a latent
    paired: bool = False  # D only: it judges an image against its source picture (pix2pix)
    signature: Signature | None = None  # G only: its inputs by name and kind (edgegan.signature)
    maps: tuple = ()  # D's features only: (name, shape) of each map its one output joins (edgegan.manifest)

    @property
    def extra(self) -> list:
        """G's inputs after its main one and a label (a map, noise, a style picture), taken by name."""
        return list(self.signature.extra) if self.signature else []


class _Model:
    def __init__(self, engine: Engine, info: ModelInfo, max_batch: int = DEFAULT_MAX_BATCH):
        self.engine, self.info, self.max_batch = engine, info, max_batch

    def _check_count(self, n: int) -> None:
        if n > self.max_batch:
            raise InputError(f"batch of {n} is over the cap of {self.max_batch}; split the request or raise max_batch")

    @property
    def classes(self) -> int:
        """A conditional model's class count (labels 0 .. classes - 1); 0 for a model that takes no label."""
        return self.info.classes

    def check_labels(self, labels, n: int) -> np.ndarray | None:
        """int32 (n,) labels for a conditional model (None for an unconditional one), or a one-line InputError."""
        k = self.info.classes
        if labels is None:
            if k:
                raise InputError(f"{self.info.path} is conditional: pass labels (integers 0 to {k - 1}), one per row")
            return None
        if not k:
            raise InputError(f"{self.info.path} takes no label (it is not a conditional model); drop labels")
        y = np.asarray(labels)
        if y.ndim == 0:
            y = np.full(n, y)
        if y.dtype.kind not in "iu" or y.shape != (n,):
            raise InputError(f"labels: expected {n} integers, one per row, got {y.dtype} of shape {y.shape}")
        if n and (y.min() < 0 or y.max() >= k):
            bad = y[(y < 0) | (y >= k)][0]
            raise InputError(f"label {bad} is not a class of this model; it has {k} classes: 0 to {k - 1}")
        return y.astype(np.int32)

    @property
    def input_names(self) -> list[str]:
        """The file's inputs by name, in the order ``run`` documents them ("z" or "image"; a paired
        discriminator's "source" first; a conditional model's "label" last)."""
        return [input_name(t.name) for t in self.engine.inputs]

    def run(self, **inputs) -> np.ndarray:
        """The file's raw output for its inputs by name (``input_names``): float inputs as float arrays in the
        ranges the file takes (``info``), a label as integers, one per row. Nothing is scaled or clipped: a
        generator's pixels come in its own range, a discriminator's score as the file computes it (``generate``,
        ``translate`` and ``score`` are the conveniences that do the rest)."""
        names = self.input_names
        if sorted(inputs) != sorted(names):
            got = ", ".join(sorted(inputs)) or "nothing"
            raise InputError(f"{self.info.path} takes {', '.join(names)} (by name); got {got}")
        first = inputs[names[0]]
        n = len(first) if hasattr(first, "__len__") else 0
        xs = []
        for t, name in zip(self.engine.inputs, names):
            x, entry = inputs[name], (self.info.signature or Signature()).get(name)
            if t is self.engine.label:
                xs.append(self.check_labels(x, n))
            elif entry is not None and entry.kind in ("latent", "map", "noise"):
                xs.append(entry.check(x, n))
            else:
                a = np.asarray(x) if isinstance(x, (list, tuple)) else x
                shape = getattr(a, "shape", ())
                row = tuple(
                    d if d is not None or len(shape) != len(t.shape) else shape[i] for i, d in enumerate(t.shape)
                )
                xs.append(check_array(a, row[1:], name, self.max_batch))
        if len({len(a) for a in xs}) > 1:
            raise InputError(f"inputs of different lengths: {', '.join(f'{n} {len(a)}' for n, a in zip(names, xs))}")
        return self.engine.run(*xs)

    def example(self, n: int, seed: int = 0):
        """A call on n rows of made-up inputs of the model's own kind, as a function of no arguments (for timing:
        the inputs are made once, here). Pictures are uniform in the input range at the file's size (an any-size
        file: 64 x 64, rounded up to its size multiple)."""
        rng = np.random.default_rng(seed)
        label = rng.integers(0, self.classes, n).astype(np.int32) if self.classes else None
        drawn = {e.name: e.draw(n, seed) for e in self.info.extra if e.kind != "image"}  # maps, noise
        if isinstance(self, Generator) and self.source is None:
            z = rng.standard_normal((n, self.latent_size)).astype(np.float32)
            return lambda: self.generate(z, label, **drawn)
        lo, hi = self.info.source.range if isinstance(self, Generator) else self.info.image_range
        shape = self.engine.input.shape[1:] if isinstance(self, Generator) else self.info.image_shape
        if None in shape:
            side = -(-64 // self.info.source.multiple) * self.info.source.multiple
            shape = (side, side, shape[2])
        x = rng.uniform(lo, hi, (n, *shape)).astype(np.float32)
        if isinstance(self, Generator):  # a second picture (AdaIN's style): the same pictures
            styles = {e.name: x for e in self.info.extra if e.kind == "image"}
            return lambda: self.translate(x, raw=True, **styles)
        judge = self.maps if isinstance(self, Features) else self.score
        return lambda: judge(x, label, source=x if self.info.paired else None)

    def __repr__(self) -> str:
        i = self.info
        return f"{type(self).__name__}({i.path!r}, {i.format}/{i.precision}, batch={self.engine.batch or 'dynamic'})"


class Generator(_Model):
    """z (N, latent_size) ~ N(0, 1) -> images (N, H, W, C); or, for an image-input generator (``info.source``),
    pictures (N, H, W, C) -> pictures (N, s*H, s*W, C') with ``translate``."""

    _encoder_loader = None  # load() sets it for a bundle exported with a style encoder

    @functools.cached_property
    def encoder(self) -> Encoder | None:
        """The bundle's style encoder (``sample``'s style=), loaded on first use; None when it has none."""
        return self._encoder_loader() if self._encoder_loader else None

    @property
    def latent_size(self) -> int:
        return self.info.latent_size

    @property
    def source(self) -> ImageInput | None:
        """What an image-input generator takes (None for a latent one)."""
        return self.info.source

    def _needs_latent(self, what: str) -> None:
        if self.info.source is not None:
            raise InputError(f"{self.info.path} takes pictures, not latents; use translate() instead of {what}()")

    def translate(self, images, raw=False, tile=None, tile_pad=None, pre_pad: int = 0, blend: bool = False, **inputs):
        """Pictures in, pictures out: uint8 pixels (scaled to the model's input range) or floats already in it
        (``info.source.range``), (H, W, C) or (N, H, W, C), of any size. Returns uint8 through the model's output
        range, or its float output with ``raw=True``; the same rank as given.

        A picture larger than the file's input is covered by tiles (edgegan.runtime.tiles): a fixed-size file's
        own size, or ``tile`` input pixels per side for a file that takes any size (default DEFAULT_TILE; 0: the
        whole picture in one run). ``tile_pad``: the overlap each side, by default the receptive field recorded
        at export, so the tiled output equals the whole-picture output. ``pre_pad``: reflect padding around
        the picture first (cropped from the output). ``blend``: fade across overlaps instead of cutting at their
        middle (never exact; edgegan.runtime.tiles says why the cut is the default).

        A generator of two pictures (AdaIN) takes the second by name, ``style=``: one picture for all, or one per
        picture, at the file's size (its statistics are the whole picture's: no tiles)."""
        src = self.info.source
        if src is None:
            raise InputError(f"{self.info.path} takes latents, not pictures; use sample() or generate()")
        if inputs or self.info.extra:
            return self._translate_with(images, raw, inputs)
        x = np.asarray(images)
        one = x.ndim == 3
        x = x[None] if one else x
        if x.ndim != 4 or x.shape[3] != src.channels or x.dtype.kind not in "uif":
            raise InputError(f"images: expected (H, W, {src.channels}) or (N, H, W, {src.channels}), got {x.shape}")
        if x.dtype == np.uint8 and src.range is None:
            raise ConfigError(f"{self.info.path}: the file does not say its input range; pass float pixels")
        self._check_count(len(x))
        plan = self.tiling(*x.shape[1:3], tile=tile, tile_pad=tile_pad, pre_pad=pre_pad, blend=blend)
        finish = self._finish(raw)
        if plan is None:
            each = (lambda p: finish(self._run(p[None])[0])) if len(x) else None
        else:
            each = lambda p: translate_tiled(self._run, p, src.scale, plan, self.engine.batch or 1, finish)  # noqa: E731
        if one:  # no stacked copy: a x4 of a phone photo's output is 576 MB
            return each(x[0])
        return np.stack([each(p) for p in x]) if len(x) else finish(self._run(x))

    def _translate_with(self, images, raw: bool, inputs: dict):
        """translate() of a generator that takes more pictures by name (edgegan.signature.Image), one run each."""
        extra = Signature(self.info.extra)
        if set(inputs) != set(extra.names):
            takes = f"takes {', '.join(extra.names)} beside the picture" if extra else "takes one picture"
            raise InputError(f"{self.info.path} {takes}; got {', '.join(inputs) or 'none'}")
        x = np.asarray(images)
        one = x.ndim == 3
        x = self._pixels(x[None] if one else x)
        xs = [self.info.signature[0].check(x, len(x))]
        for e in extra:
            a = np.asarray(inputs[e.name])
            a = self._pixels(np.broadcast_to(a, (len(x), *a.shape)) if a.ndim == 3 else a)
            xs.append(e.check(a, len(x)))
        y = self._finish(raw)(self.engine.run(*xs))
        return y[0] if one else y

    def _pixels(self, x: np.ndarray) -> np.ndarray:
        """uint8 pictures in the input range, floats as they are."""
        return from_uint8(x, self.info.source.range) if x.dtype == np.uint8 else np.asarray(x, np.float32)

    def tiling(self, h: int, w: int, tile=None, tile_pad=None, pre_pad: int = 0, blend=False) -> Tiling | None:
        """How ``translate`` covers an h x w picture: a Tiling, or None for one run on the whole picture. Its joins
        are exact when ``exact_joins(tiling)``."""
        src, fixed = self.info.source, self.engine.input.shape[1:3]
        for name, v in (("tile", tile), ("tile_pad", tile_pad), ("pre_pad", pre_pad)):
            if v is not None and (not isinstance(v, (int, np.integer)) or v < 0):
                raise InputError(f"{name} must be a non-negative integer, got {v!r}")
        if None not in fixed:
            if tile not in (None, *fixed):
                raise InputError(f"{self.info.path} takes {fixed[0]}x{fixed[1]} tiles; tile is for any-size files")
            t = tuple(int(v) for v in fixed)
        else:
            m = src.multiple
            side = DEFAULT_TILE if tile is None else int(tile)
            t = (side // m * m,) * 2
            if tile == 0 or (h + 2 * pre_pad <= t[0] and w + 2 * pre_pad <= t[1]):
                problem = src.size_problem(h + 2 * pre_pad, w + 2 * pre_pad)
                if problem:
                    raise InputError(f"{self.info.path}: {problem}")
                return None if not pre_pad else Tiling((h + 2 * pre_pad, w + 2 * pre_pad), 0, pre_pad)
            if not t[0]:
                raise InputError(f"tile {tile} is under the model's size multiple {m}")
        pad = overlap(src.receptive_field, t) if tile_pad is None else int(tile_pad)
        if 2 * pad >= min(t):
            raise InputError(f"tile_pad {pad} leaves nothing of a {t[0]}x{t[1]} tile; use under {min(t) // 2}")
        return Tiling(t, pad, int(pre_pad), blend, src.multiple)

    def exact_joins(self, tiling: Tiling | None) -> bool:
        """True when tiles join exactly: the overlap holds the receptive field recorded at export."""
        field = self.info.source.receptive_field
        return tiling is None or (field is not None and tiling.pad >= field)

    def _run(self, x: np.ndarray) -> np.ndarray:
        x = from_uint8(x, self.info.source.range) if x.dtype == np.uint8 else np.asarray(x, np.float32)
        return self.engine.run(check_array(x, x.shape[1:], "images", self.max_batch))

    def _finish(self, raw: bool):
        lo_hi = self.info.image_range
        if raw:
            return lambda y: np.clip(y, *lo_hi) if lo_hi else y
        return lambda y: self.to_uint8(np.clip(y, *lo_hi) if lo_hi else y)

    def latents(self, n: int, seed: int = 0) -> np.ndarray:
        """The latents ``sample(n, seed)`` uses: float32 (n, latent_size) from N(0, 1) (edgegan.latents)."""
        self._needs_latent("latents")
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError(f"n must be a non-negative integer, got {n!r}")
        self._check_count(int(n))
        return latents(int(n), self.latent_size, seed)

    def generate(self, z, labels=None, seed: int = 0, **inputs) -> np.ndarray:
        """Images in the model's own range (``info.image_range``, e.g. [-1, 1] for tanh, [0, 1] for sigmoid),
        float32 (N, H, W, C), for the given latents (and, for a conditional model, one label per row, or one
        label for all; a model with a map, GauGAN's: ``map=`` class ids (N, H, W), or (H, W) for all). Noise
        inputs (StyleGAN's) not passed by name are drawn from ``seed`` as ``sample`` draws them."""
        z = check_array(z, (self.latent_size,), "latent z", self.max_batch)
        sig = self.info.signature or Signature()
        named = {sig[0].name if sig else "z": z}
        label = self.check_labels(labels, len(z))
        named.update({} if label is None else {sig.of_kind("label")[0].name if sig else "label": label})
        named.update(self._extra(inputs, len(z), seed))
        y = self.engine.run(*named.values())  # the signature's order, which the engine keeps (ordered_inputs)
        return np.clip(y, *self.info.image_range) if self.info.image_range else y

    def _extra(self, inputs: dict, n: int, seed: int) -> dict[str, np.ndarray]:
        """The inputs of the newer kinds by name, each checked by its signature entry; noise not given is drawn."""
        extra = Signature(self.info.extra)
        unknown = [k for k in inputs if extra.get(k) is None]
        missing = [e for e in extra if e.name not in inputs and e.kind not in DRAWN]
        if unknown:
            raise InputError(f"{self.info.path} takes no input named {', '.join(unknown)}")
        if missing:
            raise InputError(f"{self.info.path} needs {'; '.join(e.describe() for e in missing)} (by name)")
        return {e.name: e.check(_each(inputs[e.name], n, e), n) if e.name in inputs else e.draw(n, seed) for e in extra}

    def sample(self, n: int, seed: int = 0, labels=None, label: int | None = None, style=None, **inputs) -> np.ndarray:
        """n images as uint8 (n, H, W, C) from latents drawn with ``seed``: the low end of the model's range
        is black (0), the high end white (255). A conditional model needs ``label`` (one class for all) or
        ``labels`` (one per image); a model with a map takes ``map=`` (one (H, W) map for all, or one per image).
        A bundle exported with a style encoder (GauGAN's) takes ``style=``, a picture (or one per image) whose
        latents, drawn with ``seed`` around it, replace the seed's own (``Encoder.encode``)."""
        if label is not None and labels is not None:
            raise InputError("pass label (one class for all images) or labels (one per image), not both")
        if style is not None and self.encoder is None:
            raise InputError(f"{self.info.path} has no style encoder (export with --encoder to add one); drop style")
        z = self.latents(n, seed) if style is None else self.encoder.encode(style, n, seed)
        each = {k: _each(v, n, (self.info.signature or Signature()).get(k)) for k, v in inputs.items()}
        return self.to_uint8(self.generate(z, labels if label is None else label, seed, **each))

    def to_uint8(self, images: np.ndarray) -> np.ndarray:
        """Images from ``generate`` -> uint8, through the model's own output range."""
        if self.info.image_range is None:
            raise ConfigError(
                f"{self.info.path}: the file does not say its output range (no edgegan metadata); "
                "export it with edgegan export, or call generate() and scale the values yourself"
            )
        return to_uint8(images, self.info.image_range)

    def interpolate(self, z0, z1, steps: int = 10, label: int | None = None, seed: int = 0, **inputs) -> np.ndarray:
        """A straight walk from z0 to z1 in ``steps`` frames: uint8 (steps, H, W, C) (of class ``label`` for a
        conditional model)."""
        z0 = check_array(np.asarray(z0).reshape(1, -1) if np.ndim(z0) == 1 else z0, (self.latent_size,), "z0", 1)
        z1 = check_array(np.asarray(z1).reshape(1, -1) if np.ndim(z1) == 1 else z1, (self.latent_size,), "z1", 1)
        if not isinstance(steps, (int, np.integer)) or steps < 2:
            raise InputError(f"steps must be an integer >= 2, got {steps!r}")
        t = np.linspace(0.0, 1.0, int(steps), dtype=np.float32)[:, None]
        each = {k: _each(v, len(t), (self.info.signature or Signature()).get(k)) for k, v in inputs.items()}
        for e in self.info.extra:  # noise held still along the walk: one draw for every frame
            if e.kind in DRAWN and e.name not in each:
                each[e.name] = np.repeat(e.draw(1, seed), len(t), axis=0)
        return self.to_uint8(self.generate((1 - t) * z0 + t * z1, label, seed, **each))

    save_grid = staticmethod(save_grid)
    save_each = staticmethod(save_each)
    save_gif = staticmethod(save_gif)


class _Judge(_Model):
    """What a discriminator's files take: images (and a conditional one's labels, a paired one's source)."""

    def _feed(self, images, labels, source) -> list:
        """The engine's inputs, in its order: uint8 images (what Generator.sample returns) scaled to the range the
        discriminator was trained on, float ones already in it (``info.image_range``)."""
        if self.info.image_range is None:
            raise ConfigError(
                f"{self.info.path}: the file does not say which input range it takes (no edgegan metadata); export "
                "it with edgegan export"
            )
        if (source is not None) != self.info.paired:
            raise InputError(
                f"{self.info.path} judges an image against its source: pass source="
                if self.info.paired
                else f"{self.info.path} takes no source picture; drop source"
            )
        xs = [self._pictures(a, what) for a, what in ((source, "source"), (images, "images")) if a is not None]
        if len(xs) == 2 and len(xs[0]) != len(xs[1]):
            raise InputError(f"source: {len(xs[0])} pictures for {len(xs[1])} images")
        return [*xs, self.check_labels(labels, len(xs[-1]))]

    def _pictures(self, images, what: str) -> np.ndarray:
        x = np.asarray(images)
        if x.dtype == np.uint8:
            x = from_uint8(x, self.info.image_range)
        return check_array(x, self.info.image_shape, what, self.max_batch)


class Discriminator(_Judge):
    """images (N, H, W, C) -> P(real), float32 (N,), whether the model ends in a sigmoid or gives logits; a
    patch discriminator's map (N, h, w); a least-squares one's or a critic's raw score."""

    _features_loader = None  # load() sets it for a bundle exported with --d-features

    def score(self, images, labels=None, source=None, reduce: str | None = None) -> np.ndarray:
        """P(real) per image (per patch for a patch discriminator: (N, h, w); ``reduce="mean"``: their mean, one
        per image). A least-squares score ("lsgan") is returned as it is: real 1, fake 0, unbounded; so is a
        Wasserstein critic's ("critic"): unbounded, higher means more real, no threshold, and only differences
        between its scores mean anything (it is not a probability). uint8 images
        (what Generator.sample returns) are scaled to the range the discriminator was trained on; float images
        must already be in it (``info.image_range``). A conditional discriminator judges each image as a member
        of its class: ``labels``, one per image (or one for all); a paired one (pix2pix) judges each image against
        the ``source`` picture it was made from."""
        if self.info.score is None:
            raise ConfigError(
                f"{self.info.path}: the file does not say what its score means (no edgegan metadata); export it "
                "with edgegan export"
            )
        if reduce not in (None, "mean"):
            raise InputError(f"reduce must be None or 'mean', got {reduce!r}")
        s = self.engine.run(*self._feed(images, labels, source))
        s = probability(s.reshape(len(s), *(s.shape[1:3] if s.ndim == 4 else ())), self.info.score)
        return s.reshape(len(s), -1).mean(axis=1).astype(np.float32) if reduce and s.ndim > 1 else s

    @functools.cached_property
    def feature_maps(self) -> Features | None:
        """The bundle's file of this discriminator's other outputs (export --d-features), loaded on first use;
        None when it has none."""
        return self._features_loader() if self._features_loader else None

    def features(self, images, labels=None, source=None) -> list[np.ndarray]:
        """The discriminator's other outputs for these images (GauGAN's four feature maps, as a feature-matching
        loss compares them), float32 (N, h, w, c) each, in the model's order: its bundle's features file, taking
        what ``score`` takes."""
        if self.feature_maps is None:
            raise InputError(
                f"{self.info.path}: the bundle keeps no feature maps (export with --d-output and --d-features)"
            )
        return self.feature_maps.maps(images, labels, source)


class Features(_Judge):
    """A discriminator's other outputs (export --d-features: GauGAN's feature maps), joined in its file's one output
    (edgegan.export.inspect.with_features) and split again here."""

    def maps(self, images, labels=None, source=None) -> list[np.ndarray]:
        """float32 (N, h, w, c) per map, in the discriminator's order, for what its ``score`` takes."""
        if not self.info.maps:
            raise ModelFileError(f"{self.info.path}: the file does not say which maps it joins; re-export it")
        flat = self.engine.run(*self._feed(images, labels, source))
        sizes = [int(np.prod(shape)) for _, shape in self.info.maps]
        parts = np.split(flat.reshape(len(flat), -1), np.cumsum(sizes)[:-1], axis=1)
        return [p.reshape(len(p), *shape) for p, (_, shape) in zip(parts, self.info.maps)]


class Encoder(_Model):
    """A style picture -> a latent of its bundle's generator (GauGAN's encoder, edgegan.export.encoder): the file
    takes the picture (``style``) and ``eps`` drawn from the seed and returns z = mean + std * eps."""

    def encode(self, style, n: int | None = None, seed: int = 0) -> np.ndarray:
        """float32 (n, latent_size) latents of the pictures ``style``: one picture (H, W, C) for all n rows (default
        1), or (N, H, W, C), one per row; uint8 pictures are scaled to the range the file takes, float ones must be
        in it (``info.image_range``). eps comes from ``seed``, drawn as ``Generator.latents`` draws latents."""
        x = np.asarray(style)
        x = from_uint8(x, self.info.image_range) if x.dtype == np.uint8 else x
        if x.ndim == 3:
            x = np.broadcast_to(x, (1 if n is None else n, *x.shape))
        n = len(x) if n is None else n
        self._check_count(n)
        picture, eps = self.info.signature
        return self.engine.run(picture.check(x, n), eps.draw(n, seed))

    def example(self, n: int, seed: int = 0):
        """A call on n made-up pictures, uniform in the range the file takes (for timing)."""
        lo, hi = self.info.image_range
        x = np.random.default_rng(seed).uniform(lo, hi, (n, *self.info.image_shape)).astype(np.float32)
        return lambda: self.encode(x, seed=seed)


def _each(x, n: int, entry):
    """One map for every row repeated n times; anything else as it is (its entry checks it)."""
    a = np.asarray(x)
    if entry is not None and entry.kind == "map" and a.shape == tuple(entry.shape):
        return np.broadcast_to(a, (n, *a.shape))
    return a


def check_array(x, row_shape: tuple, what: str, max_batch: int) -> np.ndarray:
    """Validate a batch: numpy array of floats, shape (N, *row_shape), finite, N <= max_batch."""
    if not isinstance(x, np.ndarray):
        if isinstance(x, (list, tuple)):
            x = np.asarray(x)
        else:
            raise InputError(
                f"{what}: expected a numpy array of shape (N, {', '.join(map(str, row_shape))}), got {type(x).__name__}"
            )
    if x.dtype.kind != "f":
        raise InputError(f"{what}: expected float32 values, got dtype {x.dtype}")
    if x.ndim != 1 + len(row_shape) or tuple(x.shape[1:]) != tuple(row_shape):
        want = "(N, " + ", ".join(map(str, row_shape)) + ")"
        raise InputError(f"{what}: expected shape {want}, got {tuple(x.shape)}")
    if len(x) > max_batch:
        raise InputError(
            f"{what}: batch of {len(x)} is over the cap of {max_batch}; split the request or raise max_batch"
        )
    x = x.astype(np.float32, copy=False)
    if not np.isfinite(x).all():
        raise InputError(f"{what}: contains NaN or Inf; engines pass them through silently, so edgegan refuses them")
    return x


def load(
    path: str | os.PathLike | None = None,
    role: str | None = None,
    backend: str | None = None,
    precision: str | None = None,
    threads: int | None = None,
    providers: list[str] | None = None,
    delegate: str | None = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    spin: bool = True,
    accelerator: str | None = None,
) -> Generator | Discriminator:
    """Load a bundle folder (checked against its manifest) or a single model file; None: the shipped
    reference bundle (edgegan.bundled: the checkout's models/mnist-dcgan, or the copy inside the wheel).

    backend: "onnx", "ort" or "tflite" (default: tflite when LiteRT is installed and the bundle has the file,
    else onnx; onnx when ``providers`` are given).
    precision: "fp32", "fp16", "dynamic", "int8", "int8-io" (default: fp32, else the first listed), or
    "fastest": the bundle's files for the backend timed on this device (once: the choice is cached per bundle
    and device), the fastest loaded; ``model.choice`` says which and by how much (edgegan.runtime.fastest).
    providers: ONNX Runtime execution providers (default CPU); delegate: a LiteRT external delegate library.
    spin: ONNX Runtime's worker threads busy-wait between runs (its default). Turn it off when several sessions
    share the cores (A/B timing in one process, many models in one app): idle spinning threads steal them.
    role: "generator" (default for a bundle), "discriminator", "encoder" (a style encoder) or "features" (D's
    other outputs: Discriminator.features); for a single file, what its edgegan metadata says, else this (a file
    without metadata is taken to be what ``role`` says, default generator).
    accelerator: run a LiteRT file through LiteRT's CompiledModel API on "gpu" (every op on the GPU, else a
    one-line error), "gpu,cpu" (ops the GPU cannot take run on the CPU: ``model.engine.placement`` says which)
    or "cpu"; with ``enforce_f32`` when the bundle's GPU measurement says the file needs it
    (edgegan.runtime.compiled). No GPU device: a one-line error, never a silent CPU run.
    """
    if accelerator is not None:
        if backend not in (None, "tflite") or providers or delegate:
            raise ConfigError("accelerator runs LiteRT files: use it with backend tflite, without providers/delegate")
        backend = "tflite"
    if path is None:
        from edgegan.bundled import default_bundle

        path = default_bundle()
    path = Path(path)
    if role is not None and role not in mf.ROLES:
        raise ConfigError(f"role must be one of {mf.ROLES}, got {role!r}")
    if backend is not None and backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if path.is_dir():
        m = mf.load(path)
        contract = m.contract
        role = role or "generator"
        if role == "discriminator" and not contract.has_discriminator:
            raise ConfigError(f"{path}: the bundle has no discriminator (it was exported from a generator alone)")
        if role == "encoder" and not m.find("encoder"):
            raise ConfigError(f"{path}: the bundle has no encoder (export it with --encoder ENCODER.keras)")
        if role == "features" and not m.find("features"):
            raise ConfigError(f"{path}: the bundle keeps no feature maps (export with --d-output and --d-features)")
        picked = None
        if precision == "fastest":  # timed here, on this device, and remembered (edgegan.runtime.fastest)
            from edgegan.runtime.fastest import fastest

            backend = choose(m, role, backend, None, providers).format
            kw = dict(role=role, backend=backend, threads=threads, providers=providers, delegate=delegate, spin=spin)
            make = lambda p: load(path, precision=p, accelerator=accelerator, **kw)  # noqa: E731
            picked = fastest(m, role, backend, make, threads, accelerator)
            precision = picked.precision
        entry = choose(m, role, backend, precision, providers)
        data = mf.read_checked(m.root, entry)
        f32 = bool(entry.gpu.get("enforce_f32"))
        engine = make_engine(
            data, entry.format, str(m.root / entry.path), threads, providers, delegate, spin, accelerator, f32
        )
        info = _bundle_info(m, entry)
    elif path.is_file():
        if precision == "fastest":
            raise ConfigError(f"{path}: precision 'fastest' picks among a bundle's files; pass the bundle folder")
        picked = None
        fmt = SUFFIX_FORMAT.get(path.suffix.lower())
        if fmt is None:
            raise ModelFileError(
                f"{path}: unknown model file type; expected .onnx, .ort or .tflite (or a bundle folder)"
            )
        size = path.stat().st_size
        if size > mf.MAX_MODEL_BYTES:
            raise ModelFileError(f"{path}: {size} bytes is too large for an edgegan model")
        data = path.read_bytes()  # read once; the engine gets these bytes, never the path
        engine = make_engine(data, fmt, str(path), threads, providers, delegate, spin, accelerator)
        info = _info_from_file(engine, path, fmt, role)
    else:
        raise ModelFileError(f"{path}: no such bundle folder or model file")
    cls = {"generator": Generator, "discriminator": Discriminator, "encoder": Encoder, "features": Features}[info.role]
    if role is not None and info.role != role:
        raise ModelFileError(f"{path}: file is a {info.role}, not a {role}")
    model = cls(engine, info, max_batch)
    model.choice = picked  # precision="fastest": what was picked and the times it was picked from
    if info.role == "generator" and path.is_dir() and m.find("encoder"):  # its style encoder, on the same engine
        kw = dict(threads=threads, providers=providers, delegate=delegate, max_batch=max_batch, spin=spin)
        fmt = entry.format if m.find("encoder", entry.format) else None
        model._encoder_loader = lambda: load(path, "encoder", fmt, **kw)  # on first use: not in every load's time
    if info.role == "discriminator" and path.is_dir() and m.find("features"):  # its feature maps, likewise
        kw = dict(threads=threads, providers=providers, delegate=delegate, max_batch=max_batch, spin=spin)
        fmt = entry.format if m.find("features", entry.format) else None
        model._features_loader = lambda: load(path, "features", fmt, **kw)
    return model


def _bundle_info(m: mf.Manifest, entry: mf.FileEntry) -> ModelInfo:
    """What the manifest says of one of its files."""
    contract, d = m.contract, KINDS[entry.role].judges
    sig = contract.signature if entry.role == "generator" else None
    if entry.role == "encoder":
        sig = Signature.from_section(m.data["signature"]["encoder"], "signature.encoder")
    return ModelInfo(
        str(m.root / entry.path),
        entry.role,
        entry.format,
        entry.precision,
        m.latent_size,
        contract.d_image_shape if d else m.image_shape,
        entry.optimized,
        contract.d_input_range if d else contract.image_range,
        contract.score if entry.role == "discriminator" else None,
        0 if entry.role == "encoder" else contract.classes,
        contract.source if entry.role == "generator" else None,
        d and contract.paired,
        sig,
        tuple(mf.feature_maps((m.data.get("discriminator") or {}).get("features")) or ()),
    )


def choose(
    m: mf.Manifest, role: str, backend: str | None, precision: str | None, providers: list[str] | None = None
) -> mf.FileEntry:
    """Pick the file of a bundle for role/backend/precision, with a clear error listing what exists.

    Default backend: LiteRT when it is installed and the bundle has a LiteRT file for the role (ONNX Runtime
    when execution providers are asked for). LiteRT starts lighter (`edgegan generate -n 1` peaks at 50 MB,
    0.09x of the Keras path; 83 MB with ONNX Runtime) and runs these files faster on CPU (docs/bench.md).
    """
    if backend is None:
        litert = _has("ai_edge_litert") or _has("tflite_runtime")
        if not providers and litert and m.find(role, "tflite", precision or None):
            backend = "tflite"
        elif _has("onnxruntime") and m.find(role, "onnx"):
            backend = "onnx"
        else:
            backend = "tflite"
    found = m.find(role, backend, precision or None)
    if not found:
        have = ", ".join(f"{f.format}/{f.precision}" for f in m.find(role)) or "none"
        raise ConfigError(
            f"{m.root}: no {role} file for backend {backend}, precision {precision or 'any'} (bundle has: {have})"
        )
    if precision is None:
        fp32 = [f for f in found if f.precision == "fp32"]
        found = fp32 or found
    return found[0]


def make_engine(
    data: bytes,
    fmt: str,
    name: str,
    threads=None,
    providers=None,
    delegate=None,
    spin=True,
    accelerator: str | None = None,
    enforce_f32: bool = False,
) -> Engine:
    if accelerator is not None:
        if fmt != "tflite":
            raise ConfigError(f"{name}: accelerator runs LiteRT files; this is {fmt}")
        from edgegan.runtime.compiled import CompiledEngine

        return CompiledEngine(data, name, accelerator, threads, enforce_f32)
    if fmt in ("onnx", "ort"):
        if delegate:
            raise ConfigError("delegate is a LiteRT option; use providers=... with ONNX Runtime")
        return OnnxEngine(data, name, threads, providers, ort_format=fmt == "ort", spin=spin)
    if fmt == "tflite":
        if providers:
            raise ConfigError("providers is an ONNX Runtime option; use delegate=... with LiteRT")
        return LiteRTEngine(data, name, threads, delegate)
    raise ConfigError(f"unknown format {fmt!r}")


def _info_from_file(engine: Engine, path: Path, fmt: str, role: str | None = None) -> ModelInfo:
    """Role and specs from the file's embedded edgegan metadata, else from ``role`` (default: generator) and its
    I/O shapes."""
    md = engine.metadata
    meta = {}
    raw = md.get("edgegan") or md.get("edgegan.json")
    if raw:
        try:
            meta = json.loads(raw)
        except (json.JSONDecodeError, TypeError):
            meta = {}
    in_shape, out_shape = engine.input.shape, engine.output.shape
    role = meta.get("role") or role or "generator"
    judge = role in KINDS and KINDS[role].judges  # a discriminator's inputs
    pictures_in = len(in_shape) == 4
    if role == "generator":
        latent = 0 if pictures_in else int(in_shape[-1])
        image = tuple(out_shape[1:])
    else:
        image, latent = tuple(in_shape[1:]), int(meta.get("latent_size", 0))
    if len(image) != 3 or (None in image and not (pictures_in and role == "generator")) or (judge and not pictures_in):
        raise ModelFileError(f"{path}: input/output shapes {in_shape} -> {out_shape} are not an edgegan {role}")
    sources = sum("source" in t.name for t in engine.inputs)
    if judge and (engine.floats > 2 or (engine.floats == 2 and sources != 1)):
        raise ModelFileError(
            f"{path}: a discriminator of {engine.floats} pictures edgegan cannot tell apart (one input named source "
            "is the picture a paired discriminator judges against); export it with edgegan export"
        )
    # older edgegan files recorded only "value_range" (always [-1, 1]; edgegan's own tanh G) and a sigmoid D
    value_range = meta.get("input_range" if judge else "value_range", meta.get("value_range"))
    score = meta.get("score", "probability") if role == "discriminator" and meta else None
    source = None
    if role == "generator" and pictures_in:
        section = meta.get("input") or {
            "shape": list(in_shape[1:]),
            "range": None,
            "scale": _scale(in_shape, out_shape),
        }
        source = ImageInput.from_section(section)
    classes = _classes(engine, meta, path)
    return ModelInfo(
        str(path),
        role,
        fmt,
        meta.get("precision", "unknown"),
        latent,
        image,
        bool(meta.get("optimized", False)),
        tuple(float(v) for v in value_range) if value_range else None,
        score,
        classes,
        source,
        judge and engine.floats == 2,
        None if judge else _file_signature(engine, meta, path, latent, classes, source),
        tuple(mf.feature_maps(meta.get("maps")) or ()),
    )


def _file_signature(engine: Engine, meta: dict, path: Path, latent: int, classes: int, source) -> Signature:
    """A single generator file's signature: from its edgegan metadata, else what its inputs show (a latent or a
    picture, and a label); a map input without metadata is refused (its classes cannot be known)."""
    from edgegan.signature import Image, Label, Latent

    if "signature" in meta:
        try:
            sig = Signature.from_section(meta["signature"], "signature")
        except ValueError as e:
            raise ModelFileError(f"{path}: its edgegan metadata is damaged ({e}); re-export it") from None
    else:
        main = Image.of(source) if source is not None else Latent(latent)
        sig = Signature([main, *([Label(classes)] if classes else [])])
    names = sorted(input_name(t.name) for t in engine.inputs)
    if len(engine.inputs) != len(sig) or ("signature" in meta and names != sorted(sig.names)):
        raise ModelFileError(
            f"{path}: takes {', '.join(names)} but its metadata describes {', '.join(sig.names)}; export it with "
            "edgegan export"
        )
    return sig


def _scale(in_shape, out_shape) -> int:
    """A file without edgegan metadata: its scale from input to output size, when its shapes say (else 1)."""
    h_in, h_out = in_shape[1], out_shape[1]
    return h_out // h_in if isinstance(h_in, int) and isinstance(h_out, int) and h_in and h_out % h_in == 0 else 1


def _classes(engine: Engine, meta: dict, path: Path) -> int:
    """A single file's class count: from its edgegan metadata; a file with a label input and no metadata is refused
    (its label range cannot be known, and an out-of-range label gives a wrong image without an error)."""
    if engine.label is None:
        return 0
    k = meta.get("classes")
    if not isinstance(k, int) or k < 2:
        raise ModelFileError(
            f"{path}: takes a label but does not say how many classes (no edgegan metadata); export it with edgegan export"
        )
    return k


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


__all__ = ["Discriminator", "Generator", "ModelInfo", "check_array", "load", "save_each", "save_gif", "save_grid"]
