"""Keras builders for the seed article's generator and discriminator (train tier).

Layer for layer as in the article's source (Keras-GAN's DCGAN), see docs/design.md:

    G: z(100) -> Dense(128*7*7, relu) -> Reshape(7,7,128)
       -> UpSampling2D(2) -> Conv2D(128,3,same) -> BN(0.8) -> relu     # (B,14,14,128)
       -> UpSampling2D(2) -> Conv2D(64,3,same)  -> BN(0.8) -> relu     # (B,28,28,64)
       -> Conv2D(C,3,same) -> tanh                                     # (B,28,28,C)
    D: image -> [Conv2D(32,3,s2) -> LReLU(0.2) -> Dropout(0.25)]
             -> [Conv2D(64,3,s2) -> ZeroPad((0,1),(0,1)) -> BN -> LReLU -> Dropout]
             -> [Conv2D(128,3,s2) -> BN -> LReLU -> Dropout]
             -> [Conv2D(256,3,s1) -> BN -> LReLU -> Dropout] -> Flatten -> Dense(1, sigmoid)

With the defaults G has 856,193 parameters and D 393,729.

Why tanh by default: the article's text puts ``activation="relu"`` on the last convolution, but
the training images are scaled to [-1, 1], and a relu output can never produce the negative
half of that range (the background), so G cannot match the data. ``output_activation="relu"``
builds the article's literal variant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from edgegan.errors import ConfigError

# Stable tensor names: exported graphs keep them (ONNX input/output names, manifest).
LATENT_NAME = "z"
IMAGE_NAME = "image"
SCORE_NAME = "score"
OUTPUT_ACTIVATIONS = ("tanh", "relu")


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to rebuild both networks; stored with checkpoints and bundles."""

    latent_dim: int = 100  # size of z, drawn from N(0, 1)
    height: int = 28  # image height; must be divisible by 4 (two 2x upsamplings)
    width: int = 28
    channels: int = 1  # 1 = grayscale, 3 = RGB
    output_activation: str = "tanh"  # "relu" = the article's literal (see module doc)

    def __post_init__(self) -> None:
        for name in ("latent_dim", "height", "width", "channels"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if self.height % 4 or self.width % 4:
            raise ConfigError(
                f"image size {self.height}x{self.width} cannot be produced by the generator: "
                "it upsamples 2x twice, so height and width must be divisible by 4 (e.g. 28, 32)"
            )
        if self.output_activation not in OUTPUT_ACTIVATIONS:
            raise ConfigError(f"output_activation must be one of {OUTPUT_ACTIVATIONS}, got {self.output_activation!r}")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, self.channels)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


def build_generator(spec: ModelSpec | None = None):
    """The article's generator: z (B, latent_dim) -> image (B, H, W, C) in [-1, 1]."""
    import keras
    from keras import layers

    spec = spec or ModelSpec()
    h4, w4 = spec.height // 4, spec.width // 4
    z = keras.Input((spec.latent_dim,), name=LATENT_NAME)
    x = layers.Dense(128 * h4 * w4, activation="relu", name="dense")(z)
    x = layers.Reshape((h4, w4, 128), name="reshape")(x)  # (B, H/4, W/4, 128)
    x = layers.UpSampling2D(2, name="up1")(x)  # (B, H/2, W/2, 128)
    x = layers.Conv2D(128, 3, padding="same", name="conv1")(x)
    x = layers.BatchNormalization(momentum=0.8, name="bn1")(x)
    x = layers.Activation("relu", name="relu1")(x)
    x = layers.UpSampling2D(2, name="up2")(x)  # (B, H, W, 128)
    x = layers.Conv2D(64, 3, padding="same", name="conv2")(x)
    x = layers.BatchNormalization(momentum=0.8, name="bn2")(x)
    x = layers.Activation("relu", name="relu2")(x)
    x = layers.Conv2D(spec.channels, 3, padding="same", name="conv3")(x)  # (B, H, W, C)
    image = layers.Activation(spec.output_activation, name=IMAGE_NAME)(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(spec: ModelSpec | None = None):
    """The article's discriminator: image (B, H, W, C) in [-1, 1] -> score (B, 1), P(real)."""
    import keras
    from keras import layers

    spec = spec or ModelSpec()
    img = keras.Input(spec.image_shape, name=IMAGE_NAME)
    x = layers.Conv2D(32, 3, strides=2, padding="same", name="conv1")(img)
    x = layers.LeakyReLU(0.2, name="lrelu1")(x)
    x = layers.Dropout(0.25, name="drop1")(x)
    x = layers.Conv2D(64, 3, strides=2, padding="same", name="conv2")(x)
    x = layers.ZeroPadding2D(((0, 1), (0, 1)), name="pad2")(x)
    x = layers.BatchNormalization(momentum=0.8, name="bn2")(x)
    x = layers.LeakyReLU(0.2, name="lrelu2")(x)
    x = layers.Dropout(0.25, name="drop2")(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same", name="conv3")(x)
    x = layers.BatchNormalization(momentum=0.8, name="bn3")(x)
    x = layers.LeakyReLU(0.2, name="lrelu3")(x)
    x = layers.Dropout(0.25, name="drop3")(x)
    x = layers.Conv2D(256, 3, strides=1, padding="same", name="conv4")(x)
    x = layers.BatchNormalization(momentum=0.8, name="bn4")(x)
    x = layers.LeakyReLU(0.2, name="lrelu4")(x)
    x = layers.Dropout(0.25, name="drop4")(x)
    x = layers.Flatten(name="flatten")(x)
    score = layers.Dense(1, activation="sigmoid", name=SCORE_NAME)(x)
    return keras.Model(img, score, name="discriminator")


def spec_of(generator) -> ModelSpec:
    """Read the ModelSpec back from a built (or loaded) generator."""
    latent_dim = int(generator.inputs[0].shape[-1])
    h, w, c = (int(d) for d in generator.outputs[0].shape[1:])
    act = "tanh"
    try:
        act = generator.get_layer(IMAGE_NAME).get_config()["activation"]
    except (ValueError, KeyError):
        pass
    return ModelSpec(latent_dim, h, w, c, act if act in OUTPUT_ACTIVATIONS else "tanh")


def load_keras(path, role: str):
    """Load a .keras file with safe_mode=True; refuse Lambda layers (docs/reliability.md item 5)."""
    from pathlib import Path

    import keras

    from edgegan.errors import ModelFileError

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: Keras file not found")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # Keras raises many types for a bad archive
        raise ModelFileError(f"{path}: cannot load the {role} ({type(e).__name__}: {e})".split("\n")[0]) from e
    for layer in _all_layers(model):
        if layer.__class__.__name__ == "Lambda":
            raise ModelFileError(f"{path}: has a Lambda layer ({layer.name}); edgegan refuses code in model files")
    return model


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)
