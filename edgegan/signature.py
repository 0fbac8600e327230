"""A model's signature: its inputs as named entries, one object per kind (light tier: stdlib + numpy).

Every consumer asks the signature instead of branching on "a latent, maybe a label, or a picture": the manifest
records it (``Signature.section``, read back by ``Signature.from_section``, one codec for bundles and files'
metadata), export draws its reference and calibration rows from it, engines are fed by name, the runtime checks
what a caller passes with it. A new kind of input is one new class here, registered in KINDS.

    [{"name": "z", "kind": "latent", "size": 128},
     {"name": "map", "kind": "map", "classes": 12, "shape": [32, 32]}]

Kinds: ``latent`` (float32 (N, size), N(0, 1) from edgegan.latents), ``label`` (int32 (N,), classes),
``map`` (int32 (N, H, W) class ids, a segmentation map; the file makes the one-hot inside), ``noise`` (float32
(N, H, W, C) from N(0, 1), drawn from the seed like latents), ``image`` (edgegan.contract.ImageInput: float32
pictures in a range). Bundles written before signatures were recorded get
theirs from the sections they have (edgegan.contract.Contract.signature).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from edgegan.contract import ImageInput
from edgegan.errors import InputError

LATENT_NAME, LABEL_NAME, MAP_NAME, STYLE_NAME = "z", "label", "map", "style"  # edgegan's names for files' inputs


def _int(d: dict, key: str, lo: int, hi: int, where: str) -> int:
    v = d.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError(f"{where}.{key} must be an integer from {lo} to {hi}, got {v!r}")
    return v


def _classes(x, n: int, shape: tuple, classes: int, what: str) -> np.ndarray:
    """int32 class ids of ``shape`` per row, or a one-line InputError."""
    y = np.asarray(x)
    if y.dtype.kind not in "iu" or y.shape != (n, *shape):
        want = "x".join(map(str, (n, *shape)))
        raise InputError(f"{what}: expected integers of shape {want} (one per row), got {y.dtype} {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= classes):
        bad = y[(y < 0) | (y >= classes)].flat[0]
        raise InputError(f"{what}: class {bad} is not one of this model's {classes} (0 to {classes - 1})")
    return y.astype(np.int32)


class _Entry:
    """What every kind shares: its manifest form, its name and kind and then its own fields (tuples as lists, None
    left out)."""

    def section(self) -> dict:
        out = {"name": self.name, "kind": self.kind}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name != "name" and v is not None:
                out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


@dataclass(frozen=True)
class Latent(_Entry):
    """float32 (N, size) drawn from N(0, 1): the same seed names the same rows everywhere (edgegan.latents)."""

    size: int
    name: str = LATENT_NAME
    kind: ClassVar[str] = "latent"
    dtype: ClassVar[str] = "float32"

    def describe(self) -> str:
        return f"{self.name}: a latent ({self.size},) from N(0, 1)"

    def draw(self, n: int, seed: int) -> np.ndarray:
        from edgegan.latents import latents

        return latents(n, self.size, seed)

    def check(self, x, n: int) -> np.ndarray:
        a = np.asarray(x, np.float32)
        if a.shape != (n, self.size) or not np.isfinite(a).all():
            raise InputError(f"{self.name}: expected finite floats of shape {n}x{self.size}, got {a.shape}")
        return a

    @classmethod
    def from_section(cls, d: dict, where: str) -> Latent:
        return cls(_int(d, "size", 1, 100_000, where), d["name"])


@dataclass(frozen=True)
class Label(_Entry):
    """int32 (N,): one class per row, 0 .. classes - 1 (a conditional model's)."""

    classes: int
    name: str = LABEL_NAME
    kind: ClassVar[str] = "label"
    dtype: ClassVar[str] = "int32"

    @staticmethod
    def claims(dtype: str, shape: tuple, name: str, pictures: int) -> bool:  # noqa: ARG004 (kind_of's signature)
        return "int" in dtype and len(shape) <= 2

    def describe(self) -> str:
        return f"{self.name}: a class 0 to {self.classes - 1} per row"

    def draw(self, n: int, seed: int) -> np.ndarray:
        """Every class equally often, shuffled by seed."""
        return np.random.default_rng([seed, 8]).permutation(np.arange(n) % self.classes).astype(np.int32)

    def check(self, x, n: int) -> np.ndarray:
        y = np.asarray(x)
        return _classes(np.full(n, y) if y.ndim == 0 else y, n, (), self.classes, self.name)

    @classmethod
    def from_section(cls, d: dict, where: str) -> Label:
        return cls(_int(d, "classes", 2, 100_000, where), d["name"])


@dataclass(frozen=True)
class Map(_Entry):
    """int32 (N, H, W): a segmentation map of class ids (GauGAN's), made one-hot inside the file."""

    classes: int
    shape: tuple[int, int]
    name: str = MAP_NAME
    onehot_of: str | None = None  # the source model's one-hot input it stands for (export's --map-onehot)
    kind: ClassVar[str] = "map"
    dtype: ClassVar[str] = "int32"

    @staticmethod
    def claims(dtype: str, shape: tuple, name: str, pictures: int) -> bool:  # noqa: ARG004
        return "int" in dtype and len(shape) == 3

    CELLS: ClassVar[int] = 4  # drawn maps: a CELLS x CELLS grid of regions

    def describe(self) -> str:
        return f"{self.name}: a {self.shape[0]}x{self.shape[1]} map of classes 0 to {self.classes - 1}"

    def draw(self, n: int, seed: int) -> np.ndarray:
        """Maps of rectangular regions (a CELLS x CELLS grid, each of a random class), as segmentation maps are
        made of regions: the classes cover every region boundary the model's resizes meet."""
        h, w = self.shape
        cells = np.random.default_rng([seed, 9]).integers(0, self.classes, (n, self.CELLS, self.CELLS))
        rows, cols = np.arange(h) * self.CELLS // h, np.arange(w) * self.CELLS // w
        return cells[:, rows][:, :, cols].astype(np.int32)

    def check(self, x, n: int) -> np.ndarray:
        return _classes(x, n, tuple(self.shape), self.classes, self.name)

    @classmethod
    def from_section(cls, d: dict, where: str) -> Map:
        shape, of = d.get("shape"), d.get("onehot_of")
        if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(v, int) and v > 0 for v in shape)):
            raise ValueError(f"{where}.shape must be [H, W], got {shape!r}")
        if of is not None and not isinstance(of, str):
            raise ValueError(f"{where}.onehot_of must be an input name, got {of!r}")
        return cls(_int(d, "classes", 2, 100_000, where), tuple(shape), d["name"], of)


@dataclass(frozen=True)
class Noise(_Entry):
    """float32 (N, H, W, C) from N(0, 1), drawn from the seed as latents are (edgegan.latents, on a stream of its
    own per input name), so the same seed makes the same picture everywhere: StyleGAN's per-resolution noise."""

    shape: tuple[int, int, int]
    name: str
    kind: ClassVar[str] = "noise"
    dtype: ClassVar[str] = "float32"

    @staticmethod
    def claims(dtype: str, shape: tuple, name: str, pictures: int) -> bool:  # noqa: ARG004
        return "int" not in dtype and len(shape) == 4 and name.lower().startswith("noise")

    def describe(self) -> str:
        return f"{self.name}: noise {'x'.join(map(str, self.shape))} from N(0, 1), drawn from the seed"

    @property
    def stream(self) -> int:
        """Added to the seed (mod 2**32) for this input's draws: each noise input has its own values."""
        return zlib.crc32(self.name.encode())

    def draw(self, n: int, seed: int) -> np.ndarray:
        from edgegan.latents import SEED_LIMIT, latents

        size = int(np.prod(self.shape))
        return latents(n, size, (seed + self.stream) % SEED_LIMIT).reshape(n, *self.shape)

    def check(self, x, n: int) -> np.ndarray:
        a = np.asarray(x, np.float32)
        if a.shape != (n, *self.shape) or not np.isfinite(a).all():
            want = "x".join(map(str, (n, *self.shape)))
            raise InputError(f"{self.name}: expected finite floats of shape {want}, got {a.shape}")
        return a

    @classmethod
    def from_section(cls, d: dict, where: str) -> Noise:
        shape = d.get("shape")
        if not (isinstance(shape, list) and len(shape) == 3 and all(isinstance(v, int) and v > 0 for v in shape)):
            raise ValueError(f"{where}.shape must be [H, W, C], got {shape!r}")
        return cls(tuple(shape), d["name"])


@dataclass(frozen=True)
class Image(ImageInput):
    """A picture input (edgegan.contract.ImageInput) as a signature entry: "source", the picture a generator
    translates, or another it takes beside it ("style": AdaIN's style picture)."""

    name: str = "source"
    dtype: ClassVar[str] = "float32"

    @staticmethod
    def claims(dtype: str, shape: tuple, name: str, pictures: int) -> bool:
        """A second picture, named style, beside the one a generator translates (AdaIN's); never a lone one."""
        return "int" not in dtype and len(shape) == 4 and name == STYLE_NAME and pictures == 2

    @classmethod
    def of(cls, source: ImageInput, name: str = "source") -> Image:
        return cls(source.shape, source.range, source.scale, source.multiple, source.receptive_field, name)

    def check(self, x, n: int) -> np.ndarray:
        a = np.asarray(x, np.float32)
        fits = a.ndim == 4 and len(a) == n and a.shape[3] == self.channels
        want = f"expected {n} pictures (N, H, W, {self.channels}), got {a.shape}"
        problem = (self.size_problem(*a.shape[1:3]) if fits else want) or (
            None if np.isfinite(a).all() else "not finite"
        )
        if problem:
            raise InputError(f"{self.name}: {problem}")
        return a

    def section(self) -> dict:
        return {**super().section(), "name": self.name}

    @classmethod
    def from_section(cls, d: dict, where: str = "input") -> Image:  # noqa: ARG003 (the codec's signature)
        return cls.of(ImageInput.from_section(d), d.get("name") or "source")


KINDS = {k.kind: k for k in (Latent, Label, Map, Noise, Image)}
CLAIMING = (Label, Map, Noise, Image)  # the kinds an input other than the main one can be, asked in this order


def pictures_in(inputs) -> int:
    """How many of (dtype, shape, name) ``inputs`` are pictures, float (N, H, W, C) and not noise: kind_of's
    ``pictures``."""
    return sum("int" not in d and len(s) == 4 and not Noise.claims(d, s, n, 0) for d, s, n in inputs)


def kind_of(dtype: str, shape: tuple, name: str, pictures: int = 1) -> str:
    """What a model's input is, from its dtype, shape (batch first) and name: the kind of the first entry class that
    claims it (a label, a map, noise, a style picture), else "main" (the latent or the picture the model is fed).
    ``pictures``: how many float (N, H, W, C) inputs that are not noise the model has. A new kind claims its
    inputs here, in its own class."""
    return next((k.kind for k in CLAIMING if k.claims(dtype, tuple(shape), name, pictures)), "main")


DRAWN = ("noise",)  # kinds the runtime draws from the seed when the caller does not pass them


class Signature(tuple):
    """The inputs of a network in edgegan's order (the main input, then a label, then the rest)."""

    def __new__(cls, entries=()):
        return super().__new__(cls, tuple(entries))

    @property
    def names(self) -> list[str]:
        return [e.name for e in self]

    def get(self, name: str):
        return next((e for e in self if e.name == name), None)

    def of_kind(self, kind: str) -> list:
        return [e for e in self if e.kind == kind]

    @property
    def extra(self) -> tuple:
        """The inputs after the main one and a label: those the conveniences (sample, translate) take by name."""
        return tuple(e for e in self[1:] if e.kind != "label")

    def section(self) -> list[dict]:
        return [e.section() for e in self]

    @classmethod
    def from_section(cls, items, where: str = "signature") -> Signature:
        """The entries a manifest or a file's metadata records; ValueError naming the bad field otherwise."""
        if not isinstance(items, list) or not items:
            raise ValueError(f"{where} must be a non-empty list of inputs")
        out = []
        for i, d in enumerate(items):
            at = f"{where}[{i}]"
            if not isinstance(d, dict) or d.get("kind") not in KINDS:
                raise ValueError(f"{at}.kind must be one of {', '.join(KINDS)}")
            if not isinstance(d.get("name"), str) or not d["name"]:
                raise ValueError(f"{at}.name must be a non-empty string")
            out.append(KINDS[d["kind"]].from_section(d, at))
        if len({e.name for e in out}) != len(out):
            raise ValueError(f"{where}: two inputs have the same name")
        return cls(out)

    def draw(self, n: int, seed: int, skip=("image",)) -> dict[str, np.ndarray]:
        """n rows of every input whose kind can be drawn from a seed (latents, labels, maps), by name."""
        return {e.name: e.draw(n, seed) for e in self if e.kind not in skip}

    def check(self, inputs: dict, n: int) -> dict[str, np.ndarray]:
        """Each input checked by its entry (missing or unknown names: one line naming them)."""
        missing, extra = [k for k in self.names if k not in inputs], [k for k in inputs if self.get(k) is None]
        if missing or extra:
            said = [f"missing {', '.join(missing)}"] * bool(missing) + [f"unknown {', '.join(extra)}"] * bool(extra)
            raise InputError(f"the model takes {', '.join(self.names)} (by name); {'; '.join(said)}")
        return {e.name: e.check(inputs[e.name], n) for e in self}
