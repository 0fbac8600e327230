"""Image-to-image GANs as published, scaled down for test time (fewer filters and smaller pictures; layer kinds
and wiring as described). Random weights, BatchNorm statistics randomized. Remade by the tests, never stored.

- pix2pix (TensorFlow's tutorial): U-Net G, strided Conv2D(k4) + BatchNorm + LeakyReLU down, Conv2DTranspose(k4,
  s2) + BatchNorm (+ Dropout) + relu up, Concatenate skips, a last Conv2DTranspose to 3 channels with tanh;
  PatchGAN D on (input_image, target_image): Concatenate, strided Conv2D, ZeroPadding2D, Conv2D(k4, valid),
  a map of logits.
- cyclegan (keras.io): ResNet G with a registered custom ReflectionPadding2D (tools/zoo/layers.py),
  GroupNormalization(groups=-1) as instance norm, two stride-2 convolutions down, residual blocks (Add), two
  Conv2DTranspose up, Conv2D(k7) tanh; D: strided Conv2D + GroupNorm + LeakyReLU to a linear patch map trained
  with a least-squares loss (--score lsgan).
- srgan: x4 super-resolution G: Conv2D(k9) + PReLU, residual blocks (Conv2D, BatchNorm, PReLU, Add), a long skip,
  a ZeroPadding2D + Cropping2D pair, two UpSampling2D + Conv2D + PReLU blocks, Conv2D(k9) tanh; D: strided Conv2D + BatchNorm + LeakyReLU, Dense(1,
  sigmoid). ``pixel_shuffle=True``: each upsampling block is Conv2D(4x channels) + a registered custom DepthToSpace.
- anysize: a fully convolutional G with Input((None, None, 3)): Conv2D(s2) down, Conv2DTranspose(s2) up, sigmoid.
"""

from __future__ import annotations

import numpy as np

from zoo.dcgan import randomize_bn


def pix2pix(size: int = 32, f: int = 8, published: bool = False):
    import keras
    from keras import layers as L

    if published:
        size, f = 256, 64

    def down(x, n, bn=True):
        x = L.Conv2D(n, 4, strides=2, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x) if bn else x
        return L.LeakyReLU(0.3)(x)

    def up(x, n, dropout=False):
        x = L.Conv2DTranspose(n, 4, strides=2, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.Dropout(0.5)(x) if dropout else x
        return L.ReLU()(x)

    inp = keras.Input((size, size, 3), name="input_image")
    widths = [f, 2 * f, 4 * f, 8 * f, 8 * f, 8 * f, 8 * f, 8 * f][: int(np.log2(size))]
    x, skips = inp, []
    for i, n in enumerate(widths):
        x = down(x, n, bn=i > 0)
        skips.append(x)
    for i, (n, skip) in enumerate(zip(reversed(widths[:-1]), reversed(skips[:-1]))):
        x = L.Concatenate()([up(x, n, dropout=i < 3), skip])
    out = L.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x)
    g = keras.Model(inp, out, name="pix2pix_generator")

    a, b = keras.Input((size, size, 3), name="input_image"), keras.Input((size, size, 3), name="target_image")
    x = L.Concatenate()([a, b])
    x = down(x, f, bn=False)
    x = down(x, 2 * f)
    x = down(x, 4 * f) if published else x
    x = L.ZeroPadding2D()(x)
    x = L.Conv2D(8 * f if published else 4 * f, 4, use_bias=False)(x)
    x = L.LeakyReLU(0.3)(L.BatchNormalization()(x))
    x = L.ZeroPadding2D()(x)
    d = keras.Model([a, b], L.Conv2D(1, 4)(x), name="pix2pix_discriminator")
    randomize_bn(g, 1), randomize_bn(d, 2)
    return g, d


def cyclegan(size: int = 32, f: int = 8, blocks: int = 2, published: bool = False):
    import keras
    from keras import layers as L

    from zoo.layers import ReflectionPadding2D

    if published:
        size, f, blocks = 256, 64, 9
    norm = lambda: L.GroupNormalization(groups=-1)  # noqa: E731  instance norm, Keras' epsilon 1e-3

    inp = keras.Input((size, size, 3), name="input_image")
    x = ReflectionPadding2D((3, 3))(inp)
    x = L.ReLU()(norm()(L.Conv2D(f, 7, use_bias=False)(x)))
    for n in (2 * f, 4 * f):
        x = L.ReLU()(norm()(L.Conv2D(n, 3, strides=2, padding="same", use_bias=False)(x)))
    for _ in range(blocks):
        y = L.ReLU()(norm()(L.Conv2D(4 * f, 3, use_bias=False)(ReflectionPadding2D()(x))))
        y = norm()(L.Conv2D(4 * f, 3, use_bias=False)(ReflectionPadding2D()(y)))
        x = L.Add()([x, y])
    for n in (2 * f, f):
        x = L.ReLU()(norm()(L.Conv2DTranspose(n, 3, strides=2, padding="same", use_bias=False)(x)))
    x = L.Conv2D(3, 7, activation="tanh")(ReflectionPadding2D((3, 3))(x))
    g = keras.Model(inp, x, name="cyclegan_generator")

    img = keras.Input((size, size, 3), name="image")
    x = L.LeakyReLU(0.2)(L.Conv2D(f, 4, strides=2, padding="same")(img))
    for n in (2 * f, 4 * f):
        x = L.LeakyReLU(0.2)(norm()(L.Conv2D(n, 4, strides=2, padding="same", use_bias=False)(x)))
    d = keras.Model(img, L.Conv2D(1, 4, padding="same")(x), name="cyclegan_discriminator")
    _randomize_gn(g, 3)
    return g, d


def _randomize_gn(model, seed: int) -> None:
    """GroupNormalization's gamma/beta away from 1/0, so a wrong epsilon or axis would show."""
    import keras

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.GroupNormalization):
            n = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, n).astype("f"))
            layer.beta.assign(rng.normal(0, 0.1, n).astype("f"))


def srgan(size: int = 16, f: int = 16, blocks: int = 2, pixel_shuffle: bool = False, published: bool = False):
    import keras
    from keras import layers as L

    from zoo.layers import DepthToSpace

    if published:
        size, f, blocks = 64, 64, 16
    prelu = lambda: L.PReLU(shared_axes=[1, 2])  # noqa: E731

    inp = keras.Input((size, size, 3), name="low_res")
    x = skip = prelu()(L.Conv2D(f, 9, padding="same")(inp))
    for _ in range(blocks):
        y = prelu()(L.BatchNormalization()(L.Conv2D(f, 3, padding="same")(x)))
        x = L.Add()([x, L.BatchNormalization()(L.Conv2D(f, 3, padding="same")(y))])
    x = L.Add()([skip, L.BatchNormalization()(L.Conv2D(f, 3, padding="same")(x))])
    x = L.Cropping2D(1)(L.ZeroPadding2D(1)(x))  # a border crop, as generators that pad then crop do
    for _ in range(2):
        if pixel_shuffle:
            x = prelu()(DepthToSpace(2)(L.Conv2D(4 * f, 3, padding="same")(x)))
        else:
            x = prelu()(L.Conv2D(f, 3, padding="same")(L.UpSampling2D(2)(x)))
    x = L.Conv2D(3, 9, padding="same", activation="tanh")(x)
    g = keras.Model(inp, x, name="srgan_generator" + ("_shuffle" if pixel_shuffle else ""))
    for layer in g.layers:  # PReLU slopes away from 0, so a dropped slope would show
        if isinstance(layer, L.PReLU):
            layer.alpha.assign(np.full(layer.alpha.shape, 0.2, "f"))

    img = keras.Input((4 * size, 4 * size, 3), name="image")
    x = L.LeakyReLU(0.2)(L.Conv2D(f, 3, strides=2, padding="same")(img))
    for n in (f, 2 * f):
        x = L.LeakyReLU(0.2)(L.BatchNormalization()(L.Conv2D(n, 3, strides=2, padding="same")(x)))
    x = L.Dense(1, activation="sigmoid")(L.Flatten()(x))
    d = keras.Model(img, x, name="srgan_discriminator")
    randomize_bn(g, 4), randomize_bn(d, 5)
    return g, d


def anysize(f: int = 8):
    import keras
    from keras import layers as L

    inp = keras.Input((None, None, 3), name="photo")
    x = L.ReLU()(L.Conv2D(f, 3, strides=2, padding="same")(inp))
    x = L.ReLU()(L.Conv2DTranspose(f, 4, strides=2, padding="same")(x))
    g = keras.Model(inp, L.Conv2D(3, 3, padding="same", activation="sigmoid")(x), name="anysize_generator")
    return g, None


def save(folder, name: str, g, d=None):
    """generator.keras (+ discriminator.keras) in folder/name; returns the folder."""
    out = folder / name
    out.mkdir(parents=True, exist_ok=True)
    g.save(out / "generator.keras")
    if d is not None:
        d.save(out / "discriminator.keras")
    return out


def photos(folder, n: int = 24, size: int = 96, seed: int = 0):
    """n real-looking PNG pictures (smooth shapes and noise) for --calibration-data: tests make their own data."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        im = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 256, 3)))
        draw = ImageDraw.Draw(im)
        for _ in range(6):
            x0, y0 = rng.integers(0, size, 2)
            x1, y1 = x0 + rng.integers(8, size // 2), y0 + rng.integers(8, size // 2)
            fill = tuple(int(v) for v in rng.integers(0, 256, 3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([int(x0), int(y0), int(x1), int(y1)], fill=fill)
        a = np.asarray(im, np.int16) + rng.integers(-12, 13, (size, size, 3))
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(folder / f"photo_{i:03d}.png")
    return folder


# Image models users put on phones beside GANs (keras.io's examples and TensorFlow's CycleGAN tutorial), generator
# only, at test sizes. Each needs what edgegan cannot read from it said by a flag (ZOO_MORE in test_more_i2i.py).
def espcn(f: int = 16, upscale: int = 3):
    """keras.io super_resolution_sub_pixel: the Y channel (any size, [0, 1]) through four convolutions, the last
    to upscale**2 channels, then the pixel shuffle (a custom DepthToSpace); a linear output (--output-range 0,1)."""
    import keras
    from keras import layers as L

    from zoo.layers import DepthToSpace

    kw = {"padding": "same", "kernel_initializer": "orthogonal"}
    inp = keras.Input((None, None, 1), name="y")
    x = L.Conv2D(2 * f, 5, activation="relu", **kw)(inp)
    x = L.Conv2D(2 * f, 3, activation="relu", **kw)(x)
    x = L.Conv2D(f, 3, activation="relu", **kw)(x)
    x = L.Conv2D(upscale**2, 3, **kw)(x)
    return keras.Model(inp, DepthToSpace(upscale)(x), name="espcn"), None


def edsr(f: int = 16, blocks: int = 2, scale: int = 2):
    """keras.io EDSR: pixels 0..255 in and out (Rescaling 1/255 at the start, 255 at the end), residual blocks
    (conv, relu, conv, add), a long skip, Conv2D(4f) + pixel shuffle, Conv2D(3) (--input-range and --output-range
    0,255)."""
    import keras
    from keras import layers as L

    from zoo.layers import DepthToSpace

    inp = keras.Input((None, None, 3), name="lowres")
    x = x_skip = L.Conv2D(f, 3, padding="same")(L.Rescaling(1.0 / 255)(inp))
    for _ in range(blocks):
        y = L.Conv2D(f, 3, padding="same")(L.Conv2D(f, 3, padding="same", activation="relu")(x))
        x = L.Add()([x, y])
    x = L.Add()([L.Conv2D(f, 3, padding="same")(x), x_skip])
    x = DepthToSpace(scale)(L.Conv2D(f * scale**2, 3, padding="same")(x))
    return keras.Model(inp, L.Rescaling(255.0)(L.Conv2D(3, 3, padding="same")(x)), name="edsr"), None


def zero_dce(f: int = 8, iterations: int = 8):
    """keras.io Zero-DCE: DCE-Net (seven relu convolutions with skip concatenations, the last to 3 x iterations
    channels with tanh) gives curve maps r; the picture is enhanced by x <- x + r (x^2 - x), once per map, as its
    model's get_enhanced_image does, here inside the graph ([0, 1] in and out: --output-range 0,1)."""
    import keras
    from keras import layers as L

    inp = keras.Input((None, None, 3), name="dark")
    c = [inp]
    for i in range(6):
        src = c[-1] if i < 4 else L.Concatenate()([c[-1], c[7 - i - 1]])
        c.append(L.Conv2D(f, 3, padding="same", activation="relu")(src))
    r = L.Conv2D(3 * iterations, 3, padding="same", activation="tanh")(L.Concatenate()([c[-1], c[1]]))
    x = inp
    for i in range(iterations):
        ri = r[..., 3 * i : 3 * i + 3]
        x = x + ri * (keras.ops.square(x) - x)
    return keras.Model(inp, x, name="zero_dce"), None


def tf_cyclegan(size: int = 32, f: int = 8):
    """TensorFlow's CycleGAN tutorial generator (tensorflow_examples pix2pix.unet_generator, norm_type
    'instancenorm'): a U-Net of Conv2D(k4, s2) + InstanceNormalization + LeakyReLU down, Conv2DTranspose(k4, s2) +
    InstanceNormalization (+ Dropout) + ReLU up, Concatenate skips, a last Conv2DTranspose to 3 with tanh."""
    import keras
    from keras import layers as L

    from zoo.layers import InstanceNormalization

    def down(x, n, norm=True):
        x = L.Conv2D(n, 4, strides=2, padding="same", use_bias=False)(x)
        return L.LeakyReLU(0.3)(InstanceNormalization()(x) if norm else x)

    def up(x, n, dropout=False):
        x = InstanceNormalization()(L.Conv2DTranspose(n, 4, strides=2, padding="same", use_bias=False)(x))
        return L.ReLU()(L.Dropout(0.5)(x) if dropout else x)

    inp = keras.Input((size, size, 3), name="input_image")
    widths = [f, 2 * f, 4 * f, 8 * f, 8 * f][: int(np.log2(size)) - 1]
    x, skips = inp, []
    for i, n in enumerate(widths):
        x = down(x, n, norm=i > 0)
        skips.append(x)
    for i, (n, skip) in enumerate(zip(reversed(widths[:-1]), reversed(skips[:-1]))):
        x = L.Concatenate()([up(x, n, dropout=i < 2), skip])
    out = L.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(inp, out, name="tf_cyclegan_generator"), None


def adain(size: int = 32, f: int = 16):
    """keras.io's AdaIN style transfer as one model of two pictures ([0, 1]): a shared VGG-like encoder (relu
    convolutions, max pooling) of the content and the style picture, AdaIN (tools/zoo/layers.py), and a decoder of
    relu convolutions and UpSampling2D to 3 channels with a sigmoid (--style-input style_image)."""
    import keras
    from keras import layers as L

    from zoo.layers import AdaptiveInstanceNorm

    def conv(n):
        return L.Conv2D(n, 3, padding="same", activation="relu")

    pic = keras.Input((size, size, 3))
    x = L.MaxPooling2D()(conv(f)(conv(f)(pic)))
    encoder = keras.Model(pic, conv(2 * f)(L.MaxPooling2D()(conv(2 * f)(x))), name="mini_vgg")
    content, style = keras.Input((size, size, 3), name="content"), keras.Input((size, size, 3), name="style_image")
    t = AdaptiveInstanceNorm()([encoder(style), encoder(content)])
    y = conv(f)(L.UpSampling2D()(conv(2 * f)(t)))
    y = L.Conv2D(3, 3, padding="same", activation="sigmoid")(conv(f)(L.UpSampling2D()(y)))
    return keras.Model([content, style], y, name="adain"), None
