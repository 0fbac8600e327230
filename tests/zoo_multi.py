"""GANs of several inputs as keras.io publishes them, scaled down for test time (fewer filters, smaller pictures;
layer kinds and wiring as published). Random weights. Remade by the tests, never stored.

- gaugan (keras.io examples/generative/gaugan.py): G takes a latent and a one-hot segmentation map (H, W, K);
  Dense + Reshape to 4x4, SPADE residual blocks (tests/user_layers.py: the map resized inside each SPADE) each
  followed by UpSampling2D, leaky relu, Conv2D(k4) and tanh. keras.io's SPADE takes its moments over axes 0, 1, 2
  (the batch included); ``axes=(1, 2)`` takes them per picture.
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
