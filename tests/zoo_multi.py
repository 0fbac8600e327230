"""GANs of several inputs as keras.io publishes them, scaled down for test time (fewer filters, smaller pictures;
layer kinds and wiring as published). Random weights. Remade by the tests, never stored.

- gaugan (keras.io examples/generative/gaugan.py): G takes a latent and a one-hot segmentation map (H, W, K);
  Dense + Reshape to 4x4, SPADE residual blocks (tests/user_layers.py: the map resized inside each SPADE) each
  followed by UpSampling2D, leaky relu, Conv2D(k4) and tanh. keras.io's SPADE takes its moments over axes 0, 1, 2
  (the batch included); ``axes=(1, 2)`` takes them per picture. gaugan_encoder: its style encoder (picture ->
  mean, variance); gaugan_discriminator: its discriminator.
"""

from __future__ import annotations


def gaugan(size: int = 32, classes: int = 6, latent: int = 32, f: int = 32, hidden: int = 16, axes=(0, 1, 2)):
    import keras
    from keras import layers as L
    from user_layers import SPADEResBlock

    z = keras.Input((latent,), name="latent")
    seg = keras.Input((size, size, classes), name="mask")
    x = L.Reshape((4, 4, f))(L.Dense(16 * f)(z))
    widths, width = [f] * 2 + [f // 2] * 8, f
    for i in range(size.bit_length() - 3):  # 4 -> size
        x = SPADEResBlock(widths[i], width, axes, hidden)(x, seg)
        width = widths[i]
        x = L.UpSampling2D((2, 2))(x)
    x = L.LeakyReLU(0.2)(x)
    out = L.Activation("tanh")(L.Conv2D(3, 4, padding="same")(x))
    return keras.Model([z, seg], out, name="generator")


def gaugan_discriminator(size: int = 32, f: int = 16):
    """keras.io's GauGAN discriminator: the segmentation picture (colour-coded, image A) and the picture judged
    (image B) concatenated, three stride-2 and one stride-1 4x4 convolutions (instance norm after all but the
    first, leaky relu), then a 4x4 convolution to the patch score (hinge loss); it returns all five: the four
    feature maps feed the feature-matching loss."""
    import keras
    from keras import layers as L

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


def gaugan_encoder(size: int = 32, latent: int = 32, f: int = 8):
    """keras.io's GauGAN encoder: 3x3 stride-2 convolutions (instance norm after all but the first, leaky relu),
    flatten, then two Dense layers named mean and variance (a log-variance: it samples mean + exp(v / 2) eps)."""
    import keras
    from keras import layers as L

    x = picture = keras.Input((size, size, 3), name="image")
    for i, n in enumerate((f, 2 * f, 4 * f)):
        x = L.Conv2D(n, 3, strides=2, padding="same", use_bias=False)(x)
        x = L.LeakyReLU(0.2)(L.GroupNormalization(groups=-1)(x) if i else x)
    x = L.Flatten()(x)
    return keras.Model(picture, [L.Dense(latent, name="mean")(x), L.Dense(latent, name="variance")(x)], name="encoder")


def stylegan(z_dim: int = 32, start: int = 4, target: int = 16, f: int = 16):
    """keras.io's StyleGAN at a small size: (mapping, generator). The mapping: pixel norm, 8 EqualizedDense with a
    learning-rate multiplier of 0.01 and leaky relu, w tiled to one per stage. The generator (``grow`` at the
    target resolution): inputs generator_input (the constant block), w, one noise map per resolution and g_alpha;
    blocks of UpSampling2D + EqualizedConv, AddNoise, leaky relu, instance norm (GroupNormalization(groups=-1)),
    AdaIN; to_rgb at the last two resolutions faded by alpha."""
    import keras
    from keras import layers as L
    from user_layers import AdaIN, AddNoise, EqualizedConv, EqualizedDense, pixel_norm

    stages = (target // start).bit_length()
    z = keras.Input((z_dim,))
    w = pixel_norm(z)
    for _ in range(8):
        w = L.LeakyReLU(0.2)(EqualizedDense(z_dim, learning_rate_multiplier=0.01)(w))
    mapping = keras.Model(z, keras.ops.tile(keras.ops.expand_dims(w, 1), (1, stages, 1)), name="mapping")

    def block(x, w_i, noise, base):
        if not base:
            x = EqualizedConv(f, 3)(L.UpSampling2D((2, 2))(x))
        for i in range(2):
            x = EqualizedConv(f, 3)(x) if i else x
            x = L.GroupNormalization(groups=-1)(L.LeakyReLU(0.2)(AddNoise()([x, noise])))
            x = AdaIN()([x, w_i])
        return x

    def to_rgb(x):
        return L.Activation("tanh")(EqualizedConv(3, 1, gain=1)(x))

    const = keras.Input((start, start, f), name="generator_input")
    w_in = keras.Input((stages, z_dim), name="w")
    noises = [keras.Input((start << i, start << i, 1), name=f"noise_{start << i}x{start << i}") for i in range(stages)]
    alpha = keras.Input((1,), name="g_alpha")
    x = block(const, w_in[:, 0], noises[0], True)
    for i in range(1, stages - 1):
        x = block(x, w_in[:, i], noises[i], False)
    old = L.UpSampling2D((2, 2))(to_rgb(x))
    new = to_rgb(block(x, w_in[:, stages - 1], noises[-1], False))
    rgb = alpha[0] * new + (1 - alpha[0]) * old  # keras.io's fade_in(alpha[0], new_rgb, old_rgb)
    return mapping, keras.Model([const, w_in, *noises, alpha], rgb, name="generator")


def stylegan_discriminator(start: int = 4, target: int = 16, f: int = 16):
    """keras.io's StyleGAN discriminator (``grow`` at the target resolution): inputs the picture and d_alpha;
    from_rgb (EqualizedConv 1x1) at the last two resolutions faded by alpha, blocks of two EqualizedConv + leaky
    relu and AveragePooling2D, then the base: minibatch standard deviation (statistics over the batch), an
    EqualizedConv, EqualizedDense and a linear critic score (WGAN-GP)."""
    import keras
    from keras import layers as L
    from user_layers import EqualizedConv, EqualizedDense, MinibatchStd

    def from_rgb(x):
        return L.LeakyReLU(0.2)(EqualizedConv(f, 1)(x))

    def block(x):
        for _ in range(2):
            x = L.LeakyReLU(0.2)(EqualizedConv(f, 3)(x))
        return L.AveragePooling2D((2, 2))(x)

    image = keras.Input((target, target, 3), name="input")
    alpha = keras.Input((1,), name="d_alpha")
    new = block(from_rgb(image))
    old = from_rgb(L.AveragePooling2D((2, 2))(image))
    x = alpha[0] * new + (1 - alpha[0]) * old  # keras.io's fade_in(alpha[0], x, y)
    for _ in range((target // start).bit_length() - 2):
        x = block(x)
    x = L.LeakyReLU(0.2)(EqualizedConv(f, 3)(MinibatchStd()(x)))
    x = L.LeakyReLU(0.2)(EqualizedDense(f)(L.Flatten()(x)))
    return keras.Model([image, alpha], EqualizedDense(1)(x), name="discriminator")
