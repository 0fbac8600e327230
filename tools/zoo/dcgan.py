"""Small GANs in the forms users bring, written from the published architectures' descriptions and scaled
down for test time (fewer filters; shapes and layer kinds as published; ``published=True`` builds the published
widths, for tools/bench_own_gan.py). Random weights, BatchNorm
statistics randomized so folding them is not a no-op. Remade by the tests on every run, never stored.

- tf_tutorial: the TensorFlow DCGAN tutorial's shape. Sequential G: Dense(7*7*C, no bias) -> BN -> LeakyReLU
  -> Reshape -> Conv2DTranspose(k5, s1) -> BN -> LeakyReLU -> Conv2DTranspose(k5, s2) -> BN -> LeakyReLU
  -> Conv2DTranspose(1, k5, s2, tanh): 28x28x1. D: two Conv2D(k5, s2) + LeakyReLU + Dropout, Dense(1): a logit.
- kerasio: keras.io's DCGAN shape. G: latent -> Dense(8*8*C) -> Reshape -> three Conv2DTranspose(k4, s2) +
  LeakyReLU(0.2) -> Conv2D(3, k5, sigmoid): 64x64x3 in [0, 1]. D: three Conv2D(k4, s2) + LeakyReLU,
  Flatten, Dropout, Dense(1, sigmoid). The last convolution's weights are scaled up for a wider spread of
  pixels (``saturate``: with 400 both black 0 and white 1 occur, which the black/white test needs).
- kerasgan: Keras-GAN's dcgan.py at 32x32x3, as published: each network a Sequential wrapped in
  Model(input, seq(input)). G: Dense(128*8*8 -> scaled, relu) -> Reshape -> [UpSampling2D -> Conv2D(k3) ->
  BN(0.8) -> relu] x 2 -> Conv2D(3, k3) -> tanh. D: the seed's discriminator shape, sigmoid.
- cgan (CONDITIONAL): Keras-GAN's cgan.py wiring of a label around a DCGAN core, see cgan().
- wgan_gp (CRITICS): keras.io's WGAN-GP, a linear critic (``drift``: its scores moved far from 0), see wgan_gp().
- keras_cgan (ONEHOT): keras.io's conditional GAN, the label one-hot in G's latent and D's channels.
- functional: a functional G at 30x30x1 (not a multiple of 4): nearest UpSampling2D -> Conv2D(k5, no bias) ->
  BN -> relu, then bilinear UpSampling2D -> Conv2D(k3, valid) -> Conv2D(1, k3, tanh). No discriminator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def randomize_bn(model, seed: int) -> None:
    import keras

    rng = np.random.default_rng(seed)
    stack = [model]
    while stack:
        m = stack.pop()
        for layer in m.layers:
            if hasattr(layer, "layers"):
                stack.append(layer)
            elif isinstance(layer, keras.layers.BatchNormalization):
                n = layer.moving_mean.shape[0]
                layer.moving_mean.assign(rng.normal(0, 0.1, n).astype("f"))
                layer.moving_variance.assign(rng.uniform(0.5, 1.5, n).astype("f"))


def tf_tutorial(published: bool = False):
    import keras
    from keras import layers as L

    c = 256 if published else 16
    g = keras.Sequential(
        [
            keras.Input((100,)),
            L.Dense(7 * 7 * c, use_bias=False),
            L.BatchNormalization(),
            L.LeakyReLU(),
            L.Reshape((7, 7, c)),
            L.Conv2DTranspose(c // 2, 5, strides=1, padding="same", use_bias=False),
            L.BatchNormalization(),
            L.LeakyReLU(),
            L.Conv2DTranspose(c // 4, 5, strides=2, padding="same", use_bias=False),
            L.BatchNormalization(),
            L.LeakyReLU(),
            L.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
        ]
    )
    d = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(8, 5, strides=2, padding="same"),
            L.LeakyReLU(),
            L.Dropout(0.3),
            L.Conv2D(16, 5, strides=2, padding="same"),
            L.LeakyReLU(),
            L.Dropout(0.3),
            L.Flatten(),
            L.Dense(1),
        ]
    )
    return g, d


def kerasio(saturate: float = 40.0, published: bool = False):
    import keras
    from keras import layers as L

    z = keras.Input((128 if published else 32,))
    c = 128 if published else 16
    x = L.Reshape((8, 8, c))(L.Dense(8 * 8 * c)(z))
    for filters in (128, 256, 512) if published else (16, 16, 16):
        x = L.LeakyReLU(0.2)(L.Conv2DTranspose(filters, 4, strides=2, padding="same")(x))
    last = L.Conv2D(3, 5, padding="same", activation="sigmoid")
    g = keras.Model(z, last(x))
    k, b = last.get_weights()
    last.set_weights([k * saturate, b])  # a wider pixel spread than random weights give
    img = keras.Input((64, 64, 3))
    y = img
    for filters in (8, 16, 16):
        y = L.LeakyReLU(0.2)(L.Conv2D(filters, 4, strides=2, padding="same")(y))
    y = L.Dense(1, activation="sigmoid")(L.Dropout(0.2)(L.Flatten()(y)))
    return g, keras.Model(img, y)


def kerasgan(published: bool = False):
    import keras
    from keras import layers as L

    c = 128 if published else 16
    seq_g = keras.Sequential(
        [
            keras.Input((100,)),
            L.Dense(c * 8 * 8, activation="relu"),
            L.Reshape((8, 8, c)),
            L.UpSampling2D(),
            L.Conv2D(c, 3, padding="same"),
            L.BatchNormalization(momentum=0.8),
            L.Activation("relu"),
            L.UpSampling2D(),
            L.Conv2D(c // 2, 3, padding="same"),
            L.BatchNormalization(momentum=0.8),
            L.Activation("relu"),
            L.Conv2D(3, 3, padding="same"),
            L.Activation("tanh"),
        ]
    )
    noise = keras.Input((100,))
    g = keras.Model(noise, seq_g(noise))
    seq_d = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            L.Conv2D(8, 3, strides=2, padding="same"),
            L.LeakyReLU(0.2),
            L.Dropout(0.25),
            L.Conv2D(8, 3, strides=2, padding="same"),
            L.ZeroPadding2D(((0, 1), (0, 1))),
            L.BatchNormalization(momentum=0.8),
            L.LeakyReLU(0.2),
            L.Dropout(0.25),
            L.Conv2D(16, 3, strides=2, padding="same"),
            L.BatchNormalization(momentum=0.8),
            L.LeakyReLU(0.2),
            L.Dropout(0.25),
            L.Flatten(),
            L.Dense(1, activation="sigmoid"),
        ]
    )
    img = keras.Input((32, 32, 3))
    return g, keras.Model(img, seq_d(img))


def functional(published: bool = False):  # no published original: the test size serves both
    import keras
    from keras import layers as L

    z = keras.Input((64,), name="latent")
    x = L.Reshape((8, 8, 16))(L.Dense(8 * 8 * 16, activation="relu")(z))
    x = L.UpSampling2D(2, interpolation="nearest")(x)  # 16x16
    x = L.Activation("relu")(L.BatchNormalization()(L.Conv2D(16, 5, padding="same", use_bias=False)(x)))
    x = L.UpSampling2D(2, interpolation="bilinear")(x)  # 32x32: not the nearest pattern, left as it is
    x = L.Conv2D(8, 3, padding="valid", activation="relu")(x)  # 30x30
    return keras.Model(z, L.Conv2D(1, 3, padding="same", activation="tanh")(x)), None


def cgan(published: bool = False):
    """Keras-GAN's cgan.py wiring around a DCGAN core: label Input((1,), int32) -> Embedding -> Flatten, multiplied
    with the noise, into a nested Sequential G (Conv2DTranspose here); D takes the label as an image channel
    (Embedding(10, 28*28) -> Reshape) concatenated to the image, a nested Sequential and a logit Dense(1)."""
    import keras
    from keras import layers as L

    c = 128 if published else 16
    seq_g = keras.Sequential(
        [
            keras.Input((100,)),
            L.Dense(7 * 7 * c, activation="relu"),
            L.Reshape((7, 7, c)),
            L.Conv2DTranspose(c // 2, 4, strides=2, padding="same"),
            L.BatchNormalization(momentum=0.8),
            L.Activation("relu"),
            L.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
        ]
    )
    noise, label = keras.Input((100,)), keras.Input((1,), dtype="int32")
    embedded = L.Flatten()(L.Embedding(10, 100)(label))
    g = keras.Model([noise, label], seq_g(L.Multiply()([noise, embedded])))
    seq_d = keras.Sequential(
        [
            keras.Input((28, 28, 2)),
            L.Conv2D(c, 3, strides=2, padding="same"),
            L.LeakyReLU(0.2),
            L.Conv2D(c, 3, strides=2, padding="same"),
            L.LeakyReLU(0.2),
            L.Flatten(),
            L.Dense(1),
        ]
    )
    img, d_label = keras.Input((28, 28, 1)), keras.Input((1,), dtype="int32")
    plane = L.Reshape((28, 28, 1))(L.Flatten()(L.Embedding(10, 28 * 28)(d_label)))
    return g, keras.Model([img, d_label], seq_d(L.Concatenate()([img, plane])))


def wgan_gp(drift: float = 0.0, published: bool = False):
    """keras.io's WGAN-GP: G Dense(4*4*256, no bias) -> BN -> LeakyReLU(0.2) -> Reshape -> [UpSampling2D ->
    Conv2D(k3, no bias) -> BN -> LeakyReLU] x 2 -> UpSampling2D -> Conv2D(1, k3) -> BN -> tanh -> Cropping2D(2):
    28x28x1. Its critic: ZeroPadding2D(2) -> four Conv2D(k5, s2) + LeakyReLU(0.2) (Dropout(0.3) after two) ->
    Flatten -> Dropout(0.2) -> Dense(1), linear: an unbounded score, only differences meaning anything. ``drift``
    adds a constant to every score (the loss is blind to it; a trained critic may sit far from 0)."""
    import keras
    from keras import layers as L

    c = 256 if published else 32
    z = keras.Input((128,))
    x = L.LeakyReLU(0.2)(L.BatchNormalization()(L.Dense(4 * 4 * c, use_bias=False)(z)))
    x = L.Reshape((4, 4, c))(x)
    for ch in (c // 2, c // 4):
        x = L.UpSampling2D(2)(x)
        x = L.LeakyReLU(0.2)(L.BatchNormalization()(L.Conv2D(ch, 3, padding="same", use_bias=False)(x)))
    x = L.UpSampling2D(2)(x)
    x = L.Activation("tanh")(L.BatchNormalization()(L.Conv2D(1, 3, padding="same")(x)))
    g = keras.Model(z, L.Cropping2D(2)(x), name="wgan_gp_generator")
    img = keras.Input((28, 28, 1))
    h = L.ZeroPadding2D(2)(img)
    for i, ch in enumerate((c // 4, c // 2, c, 2 * c)):
        h = L.LeakyReLU(0.2)(L.Conv2D(ch, 5, strides=2, padding="same")(h))
        h = L.Dropout(0.3)(h) if i in (1, 2) else h
    score = L.Dense(1)
    d = keras.Model(img, score(L.Dropout(0.2)(L.Flatten()(h))), name="wgan_gp_critic")
    score.bias.assign(np.full((1,), drift, np.float32))
    return g, d


def keras_cgan(published: bool = False):
    """keras.io's conditional GAN: the label one-hot in the inputs. G, a Sequential, takes 128 + 10 floats (the
    latent, then the one-hot label): Dense(7*7*138) -> LeakyReLU(0.2) -> Reshape -> two Conv2DTranspose(k4, s2)
    + LeakyReLU -> Conv2D(1, k7, sigmoid): 28x28x1 in [0, 1]. D, a Sequential, takes 28x28x(1 + 10) (the label
    broadcast as ten channels): two Conv2D(k3, s2) + LeakyReLU -> GlobalMaxPooling2D -> Dense(1), a logit."""
    import keras
    from keras import layers as L

    c, k = (128, 10) if published else (16, 10)
    g = keras.Sequential(
        [
            keras.Input((128 + k,)),
            L.Dense(7 * 7 * (c + k)),
            L.LeakyReLU(0.2),
            L.Reshape((7, 7, c + k)),
            L.Conv2DTranspose(c, 4, strides=2, padding="same"),
            L.LeakyReLU(0.2),
            L.Conv2DTranspose(c, 4, strides=2, padding="same"),
            L.LeakyReLU(0.2),
            L.Conv2D(1, 7, padding="same", activation="sigmoid"),
        ],
        name="cgan_generator",
    )
    d = keras.Sequential(
        [
            keras.Input((28, 28, 1 + k)),
            L.Conv2D(c // 2, 3, strides=2, padding="same"),
            L.LeakyReLU(0.2),
            L.Conv2D(c, 3, strides=2, padding="same"),
            L.LeakyReLU(0.2),
            L.GlobalMaxPooling2D(),
            L.Dense(1),
        ],
        name="cgan_discriminator",
    )
    return g, d


ZOO = {"tf_tutorial": tf_tutorial, "kerasio": kerasio, "kerasgan": kerasgan, "functional": functional}
CONDITIONAL = {"cgan": cgan}  # not in ZOO: the unconditional tests feed latents alone
CRITICS = {"wgan_gp": wgan_gp}  # not in ZOO: a critic's score has no threshold
ONEHOT = {"keras_cgan": keras_cgan}  # exported with --label-onehot 10


def save(name: str, folder: Path, seed: int = 0, **kw) -> tuple[Path, Path | None]:
    """Build fixture ``name`` with seeded random weights and save it: (G.keras, D.keras or None)."""
    import keras

    keras.utils.set_random_seed(seed)
    g, d = {**ZOO, **CONDITIONAL, **CRITICS, **ONEHOT}[name](**kw)
    randomize_bn(g, seed)
    folder.mkdir(parents=True, exist_ok=True)
    g_path = folder / "generator.keras"
    g.save(g_path)
    if d is None:
        return g_path, None
    randomize_bn(d, seed + 1)
    d.save(folder / "discriminator.keras")
    return g_path, folder / "discriminator.keras"
