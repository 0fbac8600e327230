"""``--label-onehot K``: a pair conditioned by a one-hot label in its inputs (keras.io's conditional GAN), exported
as an integer-label conditional pair (export tier).

keras.io's layout: G takes one vector, the latent followed by a K-wide one-hot label (128 + 10 = 138 floats); D
takes the image with K more channels, the one-hot label broadcast over every pixel (28x28x11). Both are wrapped
here into models that take an integer ``label`` as edgegan's conditional models do, the one-hot made inside
the graph by an Embedding whose table is the identity (a lookup: LiteRT's int8 files stay integer, where
CategoryEncoding's ONE_HOT and CASTs left float ops in the int8-io file), so every consumer (sample(label=),
generate --label, calibration and parity labels over every class, verify, the HTTP example, the web page's
picker) works unchanged and the files take a class number, not K floats the app must assemble. The manifest's
label section records the encoding; the bundle keeps the user's own .keras files, and `verify --against-keras`
wraps them again.
"""

from __future__ import annotations

from pathlib import Path

from edgegan.errors import ConfigError

LATENT_NAME, LABEL_NAME, IMAGE_NAME = "z", "label", "image"


def wrap_pair(G, D, k: int, g_path: Path, d_path: Path | None):
    """(G', D') taking (z, label) and (image, label); D None stays None. One line when the shapes do not fit."""
    import keras
    from keras import layers

    if len(G.inputs) != 1 or len(G.inputs[0].shape) != 2 or (G.inputs[0].shape[1] or 0) <= k:
        raise ConfigError(
            f"{g_path}: --label-onehot {k} needs a generator of one vector input longer than {k} (the latent, then "
            f"the one-hot label); it takes {[tuple(t.shape) for t in G.inputs]}"
        )
    latent = int(G.inputs[0].shape[1]) - k
    z, label = keras.Input((latent,), name=LATENT_NAME), keras.Input((), dtype="int32", name=LABEL_NAME)
    onehot = _onehot(k, "label_onehot")(label)
    g = keras.Model([z, label], G(layers.Concatenate(name="latent_and_label")([z, onehot])), name=G.name)
    if D is None:
        return g, None
    image = tuple(G.outputs[0].shape[1:])
    if len(D.inputs) != 1 or tuple(D.inputs[0].shape[1:]) != (*image[:2], image[2] + k):
        raise ConfigError(
            f"{d_path}: --label-onehot {k} needs a discriminator of one input {(*image[:2], image[2] + k)} (the "
            f"image, then the label's {k} channels); it takes {[tuple(t.shape) for t in D.inputs]}"
        )
    x, d_label = keras.Input(image, name=IMAGE_NAME), keras.Input((), dtype="int32", name=LABEL_NAME)
    planes = layers.Reshape((1, 1, k))(_onehot(k, "d_label_onehot")(d_label))
    planes = layers.UpSampling2D(image[:2], name="label_planes")(planes)  # the label on every pixel
    return g, keras.Model([x, d_label], D(layers.Concatenate(name="image_and_label")([x, planes])), name=D.name)


def wrap_map(G, name: str, g_path: Path):
    """(G', K): G' takes (z, map) with ``map`` int32 (N, H, W) class ids where G takes the one-hot map (N, H, W, K)
    as its input ``name`` (GauGAN's mask); the one-hot made by the same identity Embedding as a label's. One line
    when G has no such input."""
    import keras

    from edgegan.signature import LATENT_NAME, MAP_NAME

    names = [t.name.split(":")[0] for t in G.inputs]
    if name not in names:
        raise ConfigError(f"{g_path}: --map-onehot {name}: the generator's inputs are {', '.join(names)}")
    mask = G.inputs[names.index(name)]
    others = [t for t in G.inputs if t is not mask]
    if len(mask.shape) != 4 or None in mask.shape[1:] or len(others) != 1 or len(others[0].shape) != 2:
        raise ConfigError(
            f"{g_path}: --map-onehot {name} needs a generator of a latent (N, L) and a one-hot map (N, H, W, K) "
            f"named {name}; it takes {[tuple(t.shape) for t in G.inputs]}"
        )
    h, w, k = (int(v) for v in mask.shape[1:])
    z = keras.Input(tuple(others[0].shape[1:]), name=LATENT_NAME)
    seg = keras.Input((h, w), dtype="int32", name=MAP_NAME)
    feed = {id(mask): _onehot(k, "map_onehot")(seg), id(others[0]): z}
    return keras.Model([z, seg], G([feed[id(t)] for t in G.inputs]), name=G.name), k


def _onehot(k: int, name: str):
    """An Embedding that maps class c to the c-th unit vector of length k (frozen)."""
    import keras
    import numpy as np

    layer = keras.layers.Embedding(k, k, trainable=False, name=name)
    layer.build((None,))
    layer.embeddings.assign(np.eye(k, dtype=np.float32))
    return layer


def suggestion(G, D) -> str:
    """A hint for a refused G/D pair whose shapes fit keras.io's one-hot layout, else ''."""
    try:
        c, d_c = int(G.outputs[0].shape[-1]), int(D.inputs[0].shape[-1])
        latent = int(G.inputs[0].shape[-1]) if len(G.inputs) == 1 and len(G.inputs[0].shape) == 2 else 0
    except (TypeError, IndexError):
        return ""
    k = d_c - c
    if len(D.inputs) == 1 and 1 < k < latent:
        return (
            f"; if both take a one-hot label of {k} classes (the latent's last {k} values, {k} more image channels "
            f"for the discriminator: keras.io's conditional GAN), pass --label-onehot {k}"
        )
    return ""
