"""GANs of several inputs as keras.io publishes them, scaled down for test time (fewer filters, smaller pictures;
layer kinds and wiring as published). Random weights. Remade by the tests, never stored.

- gaugan (keras.io examples/generative/gaugan.py): G takes a latent and a one-hot segmentation map (H, W, K);
  Dense + Reshape to 4x4, SPADE residual blocks (tools/zoo/layers.py: the map resized inside each SPADE) each
  followed by UpSampling2D, leaky relu, Conv2D(k4) and tanh. keras.io's SPADE takes its moments over axes 0, 1, 2
  (the batch included); ``axes=(1, 2)`` takes them per picture. gaugan_encoder: its style encoder (picture ->
  mean, variance); gaugan_discriminator: its discriminator.
"""

from __future__ import annotations


def gaugan(size=32, classes=6, latent=32, f=32, hidden=16, axes=(0, 1, 2), published=False):
    """``published``: keras.io's sizes (256x256, 12 classes, a latent of 256, blocks of 1024, 1024, 1024, 512, 256
    and 128 filters, SPADE's hidden width 128)."""
    import keras
    from keras import layers as L

    from zoo.layers import SPADEResBlock

    widths = [f] * 2 + [f // 2] * 8
    if published:
        size, classes, latent, hidden, widths = 256, 12, 256, 128, [1024, 1024, 1024, 512, 256, 128]
    z = keras.Input((latent,), name="latent")
    seg = keras.Input((size, size, classes), name="mask")
    width = widths[0]
    x = L.Reshape((4, 4, width))(L.Dense(16 * width)(z))
    for i in range(size.bit_length() - 3):  # 4 -> size
        x = SPADEResBlock(widths[i], width, axes, hidden)(x, seg)
        width = widths[i]
        x = L.UpSampling2D((2, 2))(x)
    x = L.LeakyReLU(0.2)(x)
    out = L.Activation("tanh")(L.Conv2D(3, 4, padding="same")(x))
    return keras.Model([z, seg], out, name="generator")


def gaugan_discriminator(size: int = 32, f: int = 16, published: bool = False):
    """keras.io's GauGAN discriminator: the segmentation picture (colour-coded, image A) and the picture judged
    (image B) concatenated, three stride-2 and one stride-1 4x4 convolutions (instance norm after all but the
    first, leaky relu), then a 4x4 convolution to the patch score (hinge loss); it returns all five: the four
    feature maps feed the feature-matching loss. ``published``: 256x256, 64 filters first."""
    import keras
    from keras import layers as L

    if published:
        size, f = 256, 64

    def down(x, n, norm=True, strides=2):
        x = L.Conv2D(n, 4, strides=strides, padding="same", use_bias=False)(x)
        return L.LeakyReLU(0.2)(L.GroupNormalization(groups=-1)(x) if norm else x)

    a = keras.Input((size, size, 3), name="discriminator_image_A")
    b = keras.Input((size, size, 3), name="discriminator_image_B")
    x1 = down(L.Concatenate()([a, b]), f, norm=False)
    x2 = down(x1, 2 * f)
    x3 = down(x2, 4 * f)
    x4 = down(x3, 8 * f, strides=1)
    return keras.Model([a, b], [x1, x2, x3, x4, L.Conv2D(1, 4)(x4)], name="discriminator")


def gaugan_encoder(size: int = 32, latent: int = 32, f: int = 8, published: bool = False):
    """keras.io's GauGAN encoder: 3x3 stride-2 convolutions (instance norm after all but the first, leaky relu),
    flatten, then two Dense layers named mean and variance (a log-variance: it samples mean + exp(v / 2) eps).
    ``published``: 256x256 in, five convolutions of 64, 128, 256, 512 and 512 filters, a latent of 256."""
    import keras
    from keras import layers as L

    widths = (f, 2 * f, 4 * f)
    if published:
        size, latent, widths = 256, 256, (64, 128, 256, 512, 512)
    x = picture = keras.Input((size, size, 3), name="image")
    for i, n in enumerate(widths):
        x = L.Conv2D(n, 3, strides=2, padding="same", use_bias=False)(x)
        x = L.LeakyReLU(0.2)(L.GroupNormalization(groups=-1)(x) if i else x)
    x = L.Flatten()(x)
    return keras.Model(picture, [L.Dense(latent, name="mean")(x), L.Dense(latent, name="variance")(x)], name="encoder")


STYLEGAN_FILTERS = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128}  # keras.io's filter_nums by resolution


def stylegan(z_dim: int = 32, start: int = 4, target: int = 16, f: int = 16, published: bool = False):
    """keras.io's StyleGAN at a small size: (mapping, generator). The mapping: pixel norm, 8 EqualizedDense with a
    learning-rate multiplier of 0.01 and leaky relu, w tiled to one per stage. The generator (``grow`` at the
    target resolution): inputs generator_input (the constant block), w, one noise map per resolution and g_alpha;
    blocks of UpSampling2D + EqualizedConv, AddNoise, leaky relu, instance norm (GroupNormalization(groups=-1)),
    AdaIN; to_rgb at the last two resolutions faded by alpha. ``published``: keras.io's sizes (z and w of 512,
    4x4 to its target of 128x128, STYLEGAN_FILTERS)."""
    import keras
    from keras import layers as L

    from zoo.layers import AdaIN, AddNoise, EqualizedConv, EqualizedDense, pixel_norm

    if published:
        z_dim, start, target = 512, 4, 128
    width = STYLEGAN_FILTERS.get if published else lambda res: f
    stages = (target // start).bit_length()
    z = keras.Input((z_dim,))
    w = pixel_norm(z)
    for _ in range(8):
        w = L.LeakyReLU(0.2)(EqualizedDense(z_dim, learning_rate_multiplier=0.01)(w))
    mapping = keras.Model(z, keras.ops.tile(keras.ops.expand_dims(w, 1), (1, stages, 1)), name="mapping")

    def block(x, w_i, noise, res):
        n = width(res)
        if res > start:
            x = EqualizedConv(n, 3)(L.UpSampling2D((2, 2))(x))
        for i in range(2):
            x = EqualizedConv(n, 3)(x) if i else x
            x = L.GroupNormalization(groups=-1)(L.LeakyReLU(0.2)(AddNoise()([x, noise])))
            x = AdaIN()([x, w_i])
        return x

    def to_rgb(x):
        return L.Activation("tanh")(EqualizedConv(3, 1, gain=1)(x))

    const = keras.Input((start, start, width(start)), name="generator_input")
    w_in = keras.Input((stages, z_dim), name="w")
    noises = [keras.Input((start << i, start << i, 1), name=f"noise_{start << i}x{start << i}") for i in range(stages)]
    alpha = keras.Input((1,), name="g_alpha")
    x = block(const, w_in[:, 0], noises[0], start)
    for i in range(1, stages - 1):
        x = block(x, w_in[:, i], noises[i], start << i)
    old = L.UpSampling2D((2, 2))(to_rgb(x))
    new = to_rgb(block(x, w_in[:, stages - 1], noises[-1], target))
    rgb = alpha[0] * new + (1 - alpha[0]) * old  # keras.io's fade_in(alpha[0], new_rgb, old_rgb)
    return mapping, keras.Model([const, w_in, *noises, alpha], rgb, name="generator")


def stylegan_discriminator(start: int = 4, target: int = 16, f: int = 16, published: bool = False):
    """keras.io's StyleGAN discriminator (``grow`` at the target resolution): inputs the picture and d_alpha;
    from_rgb (EqualizedConv 1x1) at the last two resolutions faded by alpha, blocks of two EqualizedConv + leaky
    relu and AveragePooling2D, then the base: minibatch standard deviation (statistics over the batch), an
    EqualizedConv, EqualizedDense and a linear critic score (WGAN-GP). ``published``: 128x128, STYLEGAN_FILTERS."""
    import keras
    from keras import layers as L

    from zoo.layers import EqualizedConv, EqualizedDense, MinibatchStd

    if published:
        start, target = 4, 128
    width = STYLEGAN_FILTERS.get if published else lambda res: f

    def from_rgb(x, res):
        return L.LeakyReLU(0.2)(EqualizedConv(width(res), 1)(x))

    def block(x, res):  # keras.io's build_block(filter_nums[res], filter_nums[res - 1])
        for n in (width(res), width(res // 2)):
            x = L.LeakyReLU(0.2)(EqualizedConv(n, 3)(x))
        return L.AveragePooling2D((2, 2))(x)

    image = keras.Input((target, target, 3), name="input")
    alpha = keras.Input((1,), name="d_alpha")
    new = block(from_rgb(image, target), target)
    old = from_rgb(L.AveragePooling2D((2, 2))(image), target // 2)
    x = alpha[0] * new + (1 - alpha[0]) * old  # keras.io's fade_in(alpha[0], x, y)
    for i in range((target // start).bit_length() - 2):
        x = block(x, target >> (i + 1))
    n = width(start)
    x = L.LeakyReLU(0.2)(EqualizedConv(n, 3)(MinibatchStd()(x)))
    x = L.LeakyReLU(0.2)(EqualizedDense(n)(L.Flatten()(x)))
    return keras.Model([image, alpha], EqualizedDense(1)(x), name="discriminator")
