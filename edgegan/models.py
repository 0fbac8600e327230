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

Conditional variant (``ModelSpec(classes=10)``; docs/design.md "Conditional models"): both networks take an
integer ``label`` (N,) too. G concatenates z with a learned embedding of the label (Mirza & Osindero's CGAN
concatenates z and the label). Keras-GAN's CGAN multiplies them instead; trained here, one class's embedding
shrank to almost zero (norm 0.009 against about 0.5), so that class's images stopped depending on z (one
style of 5 for every latent). D conditions in one of two published ways, ``d_conditioning``:

    "projection" (Miyato & Koyama 2018): score = sigmoid(Dense(h) + <Embedding(label), h>), h = D's features
    "channel": the label's embedding, reshaped to (H, W, 1), concatenated to the image as one more channel

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
LABEL_NAME = "label"
D_CONDITIONING = ("projection", "channel")
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
    classes: int = 0  # > 0: conditional on an integer label in [0, classes) (see module doc)
    d_conditioning: str = "projection"  # how D takes the label: one of D_CONDITIONING
    d_dropout: float = 0.25  # D's dropout rate (the article's; 0 turns it off)

    def __post_init__(self) -> None:
        if not isinstance(self.classes, int) or self.classes < 0 or self.classes == 1:
            raise ConfigError(f"classes must be 0 (unconditional) or at least 2, got {self.classes!r}")
        if self.d_conditioning not in D_CONDITIONING:
            raise ConfigError(f"d_conditioning must be one of {D_CONDITIONING}, got {self.d_conditioning!r}")
        if not 0 <= self.d_dropout < 1:
            raise ConfigError(f"d_dropout must be in [0, 1), got {self.d_dropout!r}")
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
    def conditional(self) -> bool:
        return self.classes > 0

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, self.channels)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


def build_generator(spec: ModelSpec | None = None, synchronized: bool = False):
    """The article's generator: z (B, latent_dim) -> image (B, H, W, C) in [-1, 1]. ``synchronized``: BatchNorm
    statistics over the global batch when trained on several replicas (Keras' synchronized BatchNormalization)."""
    import keras
    from keras import layers

    spec = spec or ModelSpec()
    h4, w4 = spec.height // 4, spec.width // 4
    z = keras.Input((spec.latent_dim,), name=LATENT_NAME)
    inputs, x = [z], z
    if spec.conditional:  # z next to a learned embedding of the label (see the module doc for why not z times it)
        label = keras.Input((), dtype="int32", name=LABEL_NAME)
        e = layers.Embedding(spec.classes, spec.latent_dim, name="label_embedding")(label)
        x = layers.Concatenate(name="condition")([z, e])
        inputs.append(label)
    x = layers.Dense(128 * h4 * w4, activation="relu", name="dense")(x)
    x = layers.Reshape((h4, w4, 128), name="reshape")(x)  # (B, H/4, W/4, 128)
    x = layers.UpSampling2D(2, name="up1")(x)  # (B, H/2, W/2, 128)
    x = layers.Conv2D(128, 3, padding="same", name="conv1")(x)
    x = layers.BatchNormalization(momentum=0.8, synchronized=synchronized, name="bn1")(x)
    x = layers.Activation("relu", name="relu1")(x)
    x = layers.UpSampling2D(2, name="up2")(x)  # (B, H, W, 128)
    x = layers.Conv2D(64, 3, padding="same", name="conv2")(x)
    x = layers.BatchNormalization(momentum=0.8, synchronized=synchronized, name="bn2")(x)
    x = layers.Activation("relu", name="relu2")(x)
    x = layers.Conv2D(spec.channels, 3, padding="same", name="conv3")(x)  # (B, H, W, C)
    image = layers.Activation(spec.output_activation, name=IMAGE_NAME)(x)
    return keras.Model(inputs if spec.conditional else z, image, name="generator")


def build_discriminator(spec: ModelSpec | None = None, synchronized: bool = False):
    """The article's discriminator: image (B, H, W, C) in [-1, 1] -> score (B, 1), P(real)."""
    import functools

    import keras
    from keras import layers

    spec = spec or ModelSpec()
    BN = functools.partial(layers.BatchNormalization, momentum=0.8, synchronized=synchronized)
    Dropout = functools.partial(layers.Dropout, spec.d_dropout)
    img = keras.Input(spec.image_shape, name=IMAGE_NAME)
    label = keras.Input((), dtype="int32", name=LABEL_NAME) if spec.conditional else None
    x = img
    if label is not None and spec.d_conditioning == "channel":
        e = layers.Embedding(spec.classes, spec.height * spec.width, name="label_embedding")(label)
        e = layers.Reshape((spec.height, spec.width, 1), name="label_plane")(e)
        x = layers.Concatenate(name="condition")([img, e])
    x = layers.Conv2D(32, 3, strides=2, padding="same", name="conv1")(x)
    x = layers.LeakyReLU(0.2, name="lrelu1")(x)
    x = Dropout(name="drop1")(x)
    x = layers.Conv2D(64, 3, strides=2, padding="same", name="conv2")(x)
    x = layers.ZeroPadding2D(((0, 1), (0, 1)), name="pad2")(x)
    x = BN(name="bn2")(x)
    x = layers.LeakyReLU(0.2, name="lrelu2")(x)
    x = Dropout(name="drop2")(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same", name="conv3")(x)
    x = BN(name="bn3")(x)
    x = layers.LeakyReLU(0.2, name="lrelu3")(x)
    x = Dropout(name="drop3")(x)
    x = layers.Conv2D(256, 3, strides=1, padding="same", name="conv4")(x)
    x = BN(name="bn4")(x)
    x = layers.LeakyReLU(0.2, name="lrelu4")(x)
    x = Dropout(name="drop4")(x)
    x = layers.Flatten(name="flatten")(x)
    if label is None:
        score = layers.Dense(1, activation="sigmoid", name=SCORE_NAME)(x)
        return keras.Model(img, score, name="discriminator")
    if spec.d_conditioning == "channel":
        score = layers.Dense(1, activation="sigmoid", name=SCORE_NAME)(x)
    else:  # projection: the unconditional logit plus the inner product of the label's embedding with the features
        logit = layers.Dense(1, name="logit")(x)
        e = layers.Embedding(spec.classes, int(x.shape[-1]), name="label_embedding")(label)
        logit = layers.Add(name="projection")([logit, layers.Dot(axes=1, name="inner")([e, x])])
        score = layers.Activation("sigmoid", name=SCORE_NAME)(logit)
    return keras.Model([img, label], score, name="discriminator")


def spec_of(generator) -> ModelSpec:
    """Read the ModelSpec back from a built (or loaded) generator."""
    latent_dim = int(generator.inputs[0].shape[-1])
    h, w, c = (int(d) for d in generator.outputs[0].shape[1:])
    act = "tanh"
    try:
        act = generator.get_layer(IMAGE_NAME).get_config()["activation"]
    except (ValueError, KeyError):
        pass
    classes = 0
    if len(generator.inputs) > 1:
        classes = int(generator.get_layer("label_embedding").input_dim)
    return ModelSpec(latent_dim, h, w, c, act if act in OUTPUT_ACTIVATIONS else "tanh", classes)


def load_keras(path, role: str, custom_objects=()):
    """Load a .keras file with safe_mode=True: a Lambda layer around a Python lambda (bytecode in the file) is refused
    (docs/reliability.md item 5); one around a named function loads when ``custom_objects`` defines it. Custom
    layers and functions come only from the files or modules the user names (edgegan.export.custom)."""
    from pathlib import Path

    import keras

    from edgegan.errors import ModelFileError
    from edgegan.export.custom import import_custom_objects, missing_class_error, python_lambdas

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: Keras file not found")
    given = import_custom_objects(custom_objects)
    try:
        model = keras.saving.load_model(path, custom_objects=given or None, compile=False, safe_mode=True)
    except Exception as e:  # Keras raises many types for a bad archive
        lambdas = python_lambdas(path)
        if lambdas:
            raise ModelFileError(
                f"{path}: the {role}'s layer {lambdas[0]} is a Lambda around a Python lambda (code stored in the "
                "model file), which edgegan does not run; define its function with def in a .py file, save the model "
                "again and pass the file: --custom-objects FILE.py"
            ) from e
        missing = missing_class_error(path, role, custom_objects, e)
        if missing is not None:
            raise missing from e
        raise ModelFileError(f"{path}: cannot load the {role} ({type(e).__name__}: {e})".split("\n")[0]) from e
    return model
