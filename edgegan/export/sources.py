"""What a generator is fed at export, one class per input kind (edgegan.contract): the reference rows that
reference.npz keeps and verify replays, the calibration rows of its int8 files, and the inputs of the
discriminator's generated images.

- LatentInputs: latents from N(0, 1) (edgegan.latents: the same seed names the same images everywhere), with
  labels covering every class for a conditional model.
- PictureInputs: pictures from ``--calibration-data`` (a folder or an .npz, fitted to the model's input by
  edgegan.runtime.images.fit: centre crop to the aspect, then bicubic resize), the last rows for parity and the
  others for calibration, so no file is judged on what calibrated it. Without data, smooth synthetic pictures
  stand in for parity of the float files, and no int8 file can be made (noise is not what the model will see).
"""

from __future__ import annotations

import numpy as np

from edgegan.contract import SOURCE_NAME, Contract
from edgegan.errors import ConfigError
from edgegan.latents import latents
from edgegan.models import LATENT_NAME
from edgegan.runtime.images import from_uint8, load_pictures, synthetic_pictures

REFERENCE_COUNT = 64  # fixed latents in reference.npz (and generated images for D)
REFERENCE_VALUES = 500_000  # pictures: reference rows are capped at about this many input + output values (2 MB),
# per network: the shipped bundles are in git's history for good (a 64x64 x4 SR model: 2 rows of G, 18 of D)


def labels_for(n: int, classes: int, seed: int) -> list[np.ndarray]:
    """[] for an unconditional model, else [n int32 labels covering every class equally, shuffled by seed]."""
    if not classes:
        return []
    return [np.random.default_rng([seed, 8]).permutation(np.arange(n) % classes).astype(np.int32)]


class LatentInputs:
    name = LATENT_NAME
    size = None  # latent models have fixed shapes

    def __init__(self, contract: Contract, opts):
        self.contract, self.opts = contract, opts
        self.rng = np.random.default_rng([opts.seed, 7])

    def reference(self) -> list[np.ndarray]:
        """What sample(64, seed) draws everywhere; a conditional model's reference labels run 0, 1, ..., 0, 1; the
        inputs of newer kinds (a map) as their signature entries draw them from the seed."""
        c, seed = self.contract, self.opts.seed
        x = [latents(REFERENCE_COUNT, c.latent_size, seed)]
        x += [np.arange(REFERENCE_COUNT, dtype=np.int32) % c.classes] if c.conditional else []
        return x + [e.draw(REFERENCE_COUNT, seed) for e in c.extra]

    def calibration(self) -> list[np.ndarray]:
        return self.draw(self.opts.calibration_samples, self.opts.seed)

    def parity_source(self) -> str:
        return f"{REFERENCE_COUNT} latents from N(0, 1), seed {self.opts.seed} (edgegan.latents)"

    def draw(self, n: int, seed: int) -> list[np.ndarray]:
        """n more rows for D's generated images (labels covering every class)."""
        z = self.rng.standard_normal((n, self.contract.latent_size)).astype(np.float32)
        return [z, *labels_for(n, self.contract.classes, seed), *(e.draw(n, seed + 1) for e in self.contract.extra)]


class PictureInputs:
    name = SOURCE_NAME

    def __init__(self, contract: Contract, opts, d_shape: tuple | None):
        self.contract, self.opts, src = contract, opts, contract.source
        self.size = _export_size(contract, opts, d_shape)
        h, w = self.size
        pixels = h * w * (src.channels + src.scale**2 * contract.image_shape[2])
        self.count = int(np.clip(REFERENCE_VALUES // pixels, 2, REFERENCE_COUNT))
        self.rng = np.random.default_rng([opts.seed, 7])
        self.pictures = None  # uint8 (N, h, w, C) from --calibration-data
        if opts.calibration_data:
            self.pictures = load_pictures(opts.calibration_data, h, w, src.channels, opts.calibration_samples + 64)
            if len(self.pictures) < 2:
                raise ConfigError(f"{opts.calibration_data}: needs at least 2 pictures (parity and calibration)")
            self.count = min(self.count, len(self.pictures) // 2)

    def _float(self, pics: np.ndarray) -> np.ndarray:
        return from_uint8(pics, self.contract.source.range)

    def _with_styles(self, rows: np.ndarray) -> list[np.ndarray]:
        """[rows] and, for each further picture the generator takes (AdaIN's style), the same pictures rolled by
        one: each picture is paired with another's style."""
        return [rows] + [np.roll(rows, 1, axis=0) for e in self.contract.extra if e.kind == "image"]

    def reference(self) -> list[np.ndarray]:
        """Parity rows: the last pictures of the data (never calibration rows), else synthetic pictures."""
        if self.pictures is None:
            h, w = self.size
            pics = synthetic_pictures(self.count, h, w, self.contract.source.channels, self.opts.seed)
            return self._with_styles(self._float(pics))
        return self._with_styles(self._float(self.pictures[-self.count :]))

    def parity_source(self) -> str:
        """What the parity rows are, for the manifest."""
        if self.pictures is None:
            return f"{self.count} synthetic pictures (smooth, a flat and a dark patch each): no --calibration-data"
        return f"the last {self.count} pictures of {self.opts.calibration_data}, held out of calibration"

    def calibration(self) -> list[np.ndarray] | None:
        """The pictures before the parity rows; None without --calibration-data."""
        return None if self.pictures is None else self._with_styles(self._float(self.pictures[: -self.count]))

    def draw(self, n: int, seed: int) -> list[np.ndarray]:
        """n inputs for D's generated images: the calibration pictures in a random order (repeated as needed),
        or synthetic ones."""
        if self.pictures is None:
            h, w = self.size
            return self._with_styles(
                self._float(synthetic_pictures(n, h, w, self.contract.source.channels, seed + 100))
            )
        pool = self.pictures[: -self.count]
        return self._with_styles(self._float(pool[self.rng.integers(0, len(pool), n)]))

    def real_for_d(self, n: int, hw: tuple[int, int]) -> tuple[np.ndarray | None, str]:
        """Real pictures at D's input size in G's output range, and where they came from."""
        if self.pictures is None:
            return None, "none"
        c = self.contract.image_shape[2]
        pics = load_pictures(self.opts.calibration_data, hw[0], hw[1], c, n)
        return from_uint8(pics, self.contract.image_range), str(self.opts.calibration_data)


def _export_size(contract: Contract, opts, d_shape: tuple | None) -> tuple[int, int]:
    """The picture size of the reference rows and of fixed-shape files: the model's own, else --input-size, else
    the discriminator's input divided by the scale, else 64 rounded up to the size multiple."""
    src = contract.source
    if not src.dynamic:
        if opts.input_size and tuple(opts.input_size) != tuple(src.shape[:2]):
            raise ConfigError(
                f"--input-size {opts.input_size[0]}x{opts.input_size[1]}: the generator takes only "
                f"{src.shape[0]}x{src.shape[1]} pictures"
            )
        return int(src.shape[0]), int(src.shape[1])
    if opts.input_size:
        h, w = opts.input_size
    elif d_shape is not None:
        h, w = d_shape[0] // src.scale, d_shape[1] // src.scale
    else:
        h = w = -(-64 // src.multiple) * src.multiple
    problem = src.size_problem(h, w)
    if problem:
        raise ConfigError(f"--input-size: {problem}")
    return int(h), int(w)


def generator_inputs(contract: Contract, opts, D, log) -> LatentInputs | PictureInputs:
    """The inputs object of the contract's input kind."""
    if contract.source is None:
        return LatentInputs(contract, opts)
    d_shape = contract.d_image_shape if D is not None else None
    inputs = PictureInputs(contract, opts, d_shape)
    if contract.source.dynamic:
        h, w = inputs.size
        log(
            f"the generator takes any picture size: ONNX files keep it; LiteRT files and references use {h}x{w} "
            "(--input-size H,W to change)"
        )
    return inputs
