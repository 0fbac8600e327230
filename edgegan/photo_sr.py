"""The shipped photo super-resolution pair, models/photo-sr4 (train tier): builders, photos, and the measures.

G (x4, any picture size, RGB in [0, 1]; SRGAN's layout made small enough for a Raspberry Pi):

    x -> Conv2D(32,3) -> relu -> 3 x [Conv2D(32,3) -> relu -> Conv2D(32,3) -> + ] -> + (long skip)   # H x W
      -> UpSampling2D(2, nearest) -> Conv2D(32,3) -> relu                                           # 2H x 2W
      -> UpSampling2D(2, nearest) -> Conv2D(16,3) -> relu -> Conv2D(3,3)                            # 4H x 4W
      + Conv2DTranspose(3, 8, s4)(x), starting as bilinear upscaling   (G learns the detail bilinear misses)

70,739 parameters; 10,854 multiply-adds per output pixel (head 54, body 3,456, up1 2,304, up2 4,608,
tail 432). Nearest upsampling then a convolution (Real-ESRGAN's upsampler) instead of SRGAN's pixel
shuffle: Keras has no depth-to-space layer, and edgegan's export rewrites this form into phase
convolutions on the low-resolution tensor (docs/design.md). No BatchNorm (EDSR showed it hurts SR).

D: a PatchGAN on 96 x 96 crops: Conv2D(32,4,s2) -> Conv2D(64,4,s2) -> Conv2D(128,4,s2) -> Conv2D(1,3),
leaky relu between, one logit per 12 x 12 patch.

The photos are scikit-image's own (``skimage.data``, shipped in its wheel; no download): the held-out ones
are never trained on. ``cat`` is left out: it is ``chelsea``'s photo.
"""

from __future__ import annotations

import numpy as np

from edgegan.contract import SOURCE_NAME

SCALE = 4
TRAIN_PHOTOS = (
    "chelsea", "hubble_deep_field", "immunohistochemistry", "retina", "stereo_motorcycle",
    "brick", "grass", "gravel", "moon", "coins", "clock", "page", "text",
)  # fmt: skip
HELD_OUT_PHOTOS = ("astronaut", "coffee", "rocket", "camera")


def build_sr_generator(width: int = 32, blocks: int = 3):
    """The x4 generator: (N, H, W, 3) in [0, 1] -> (N, 4H, 4W, 3), any H and W."""
    import keras
    from keras import layers

    x = keras.Input((None, None, 3), name=SOURCE_NAME)
    h = layers.Conv2D(width, 3, padding="same", activation="relu", name="head")(x)
    skip = h
    for i in range(blocks):
        r = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"block{i}_a")(h)
        r = layers.Conv2D(width, 3, padding="same", name=f"block{i}_b")(r)
        h = layers.Add(name=f"block{i}_add")([h, r])
    h = layers.Add(name="long_skip")([h, skip])
    h = layers.UpSampling2D(2, name="up1")(h)
    h = layers.Conv2D(width, 3, padding="same", activation="relu", name="up1_conv")(h)
    h = layers.UpSampling2D(2, name="up2")(h)
    h = layers.Conv2D(width // 2, 3, padding="same", activation="relu", name="up2_conv")(h)
    detail = layers.Conv2D(3, 3, padding="same", name="tail")(h)
    base = layers.Conv2DTranspose(3, 2 * SCALE, strides=SCALE, padding="same", use_bias=False, name="base")
    out = layers.Add(name="image")([detail, base(x)])
    base.kernel.assign(bilinear_kernel(SCALE, 3))
    return keras.Model(x, out, name="photo_sr4")


def bilinear_kernel(scale: int, channels: int) -> np.ndarray:
    """Conv2DTranspose weights (2s, 2s, C, C) that upscale each channel by s bilinearly (half-pixel centres, as
    Pillow and TensorFlow resize; at the picture's edge it fades to the zero padding instead of clamping).
    FCN's initialisation (Long et al. 2015); Keras' bilinear UpSampling2D does not export to ONNX at any size
    (tf2onnx: "Using a symbolic tf.Tensor as a Python bool", measured with keras 3.15)."""
    k = 2 * scale
    f = 1 - np.abs(np.arange(k) - (k - 1) / 2) / scale
    w = np.zeros((k, k, channels, channels), np.float32)
    for c in range(channels):
        w[:, :, c, c] = np.outer(f, f)
    return w


def build_sr_discriminator(size: int = 96):
    """A PatchGAN: (N, size, size, 3) in [0, 1] -> (N, size/8, size/8, 1) logits."""
    import keras
    from keras import layers

    x = keras.Input((size, size, 3), name="image")
    h = x
    for i, ch in enumerate((32, 64, 128)):
        h = layers.Conv2D(ch, 4, strides=2, padding="same", name=f"conv{i}")(h)
        h = layers.LeakyReLU(0.2, name=f"lrelu{i}")(h)
    score = layers.Conv2D(1, 3, padding="same", name="score")(h)
    return keras.Model(x, score, name="photo_sr4_critic")


def photo(name: str) -> np.ndarray:
    """One scikit-image photo as uint8 (H, W, 3) (grayscale ones repeated to three channels)."""
    import skimage.data

    a = getattr(skimage.data, name)()
    a = a[0] if isinstance(a, tuple) else a  # stereo_motorcycle: (left, right, disparity)
    a = np.asarray(a, np.uint8)
    return np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a[..., :3]


def downscale(picture: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Bicubic (Pillow, antialiased) downscale of uint8 (H, W, 3) by ``scale``; H and W are cropped to multiples."""
    from PIL import Image

    h, w = (picture.shape[0] // scale) * scale, (picture.shape[1] // scale) * scale
    im = Image.fromarray(np.ascontiguousarray(picture[:h, :w]))
    return np.asarray(im.resize((w // scale, h // scale), Image.BICUBIC), np.uint8)


def bicubic_upscale(picture: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Bicubic (Pillow) upscale of uint8 (H, W, 3) by ``scale``: the baseline the model must beat."""
    from PIL import Image

    h, w = picture.shape[:2]
    return np.asarray(Image.fromarray(picture).resize((w * scale, h * scale), Image.BICUBIC), np.uint8)


def luminance(picture: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma Y in [16, 235] of uint8 RGB, as float64: what SR papers compute PSNR and SSIM on."""
    rgb = picture.astype(np.float64) / 255.0
    return 16.0 + rgb @ np.array([65.481, 128.553, 24.966])


def y_psnr_ssim(output: np.ndarray, truth: np.ndarray, border: int = SCALE) -> tuple[float, float]:
    """PSNR (dB) and SSIM on luminance, ``border`` pixels cropped from each side (the usual SR convention)."""
    from edgegan.parity import ssim

    a = luminance(output)[border:-border, border:-border]
    b = luminance(truth)[border:-border, border:-border]
    mse = float(np.mean((a - b) ** 2))
    psnr = 10 * np.log10(255.0**2 / max(mse, 1e-12))
    return float(psnr), float(ssim(a[None, ..., None], b[None, ..., None], peak=255.0)[0])


def calibration_crops(n: int = 48, size: int = 256, seed: int = 0) -> np.ndarray:
    """uint8 (n, size, size, 3) crops of the training photos (never the held-out ones), for int8 calibration and
    parity: export fits them to G's input by a bicubic downscale, which is how G's inputs are made."""
    from PIL import Image

    rng, out = np.random.default_rng(seed), []
    photos = [photo(name) for name in TRAIN_PHOTOS]
    for i in range(n):
        p = photos[i % len(photos)]
        side = min(size, *p.shape[:2])
        y, x = rng.integers(0, p.shape[0] - side + 1), rng.integers(0, p.shape[1] - side + 1)
        crop = p[y : y + side, x : x + side]
        out.append(np.asarray(Image.fromarray(crop).resize((size, size), Image.BICUBIC)) if side < size else crop)
    return np.stack(out)
