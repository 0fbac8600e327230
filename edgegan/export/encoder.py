"""A style encoder as an optional file of a bundle (export tier): ``--encoder E.keras`` (GauGAN's: a picture -> the
mean and the variance of a latent for its generator).

The file takes the picture (``style``) and a latent drawn from the seed (``eps``, N(0, 1), edgegan.latents) and
returns the generator's latent ``z = mean + std * eps``, so the runtime runs it and then the generator, and the same
seed and picture make the same picture everywhere. What the variance output is cannot be read from the model:
keras.io's GauGAN samples ``mean + exp(0.5 * variance) * eps`` (a log-variance); ``--encoder-variance`` says which
(``log`` or ``linear``). Its files are float32 only (it runs once per style picture), in the formats asked for.
"""

from __future__ import annotations

from pathlib import Path

from edgegan.errors import ConfigError, ModelFileError

STYLE, EPS, OUTPUT = "style", "eps", "z"  # the encoder file's inputs and output
VARIANCES = ("log", "linear")


def load_encoder(path: Path, latent_size: int, image_shape: tuple, variance: str | None, custom_objects=()):
    """(the encoder at ``path`` as its files run it, (style picture, eps) -> z; the names of the layers making its
    mean and its variance); a one-line refusal for a flag left out or a model that is not a picture -> (mean,
    variance) of the generator's latent."""
    import keras

    from edgegan.export.inspect import inference_mode
    from edgegan.models import load_keras

    if variance not in VARIANCES:
        raise ConfigError(
            f"{path}: what the encoder's variance output is cannot be read from the model: pass --encoder-variance "
            "log (a log-variance, keras.io's GauGAN: z = mean + exp(variance / 2) eps) or linear (z = mean + "
            "sqrt(variance) eps)"
        )
    if not latent_size:
        raise ConfigError(f"{path}: --encoder makes a generator's latent; this generator takes a picture, not one")
    E = inference_mode(load_keras(path, "encoder", custom_objects))
    outs = [tuple(t.shape[1:]) for t in E.outputs]
    shape = tuple(E.inputs[0].shape[1:])
    if len(E.inputs) != 1 or shape != tuple(image_shape) or outs != [(latent_size,)] * 2:
        raise ModelFileError(
            f"{path}: an encoder takes one picture {image_shape} (the generator's) and returns two outputs of "
            f"{latent_size} values (a mean and a variance of its latent); this one takes "
            f"{', '.join(str(tuple(t.shape[1:])) for t in E.inputs)} and returns {', '.join(map(str, outs))}"
        )
    style = keras.Input(shape, name=STYLE)
    eps = keras.Input((latent_size,), name=EPS)
    order = _mean_first(E)
    outs = E(style)
    mean, var = outs[order[0]], outs[order[1]]
    std = keras.ops.exp(0.5 * var) if variance == "log" else keras.ops.sqrt(keras.ops.maximum(var, 0.0))
    z = keras.layers.Add(name=OUTPUT)([mean, std * eps])
    return keras.Model([style, eps], z, name="encoder"), [output_names(E)[i] for i in order]


def output_names(E) -> list[str]:
    """The names of the layers that make the encoder's outputs, in its order."""
    return [t._keras_history.operation.name for t in E.outputs]


def _mean_first(E) -> tuple[int, int]:
    """Which of the encoder's two outputs is the mean and which the variance: its order, unless the layers' names
    say the other (keras.io's are named "mean" and "variance")."""
    names = [n.lower() for n in output_names(E)]
    swapped = "var" in names[0] and "mean" in names[1] and "mean" not in names[0]
    return (1, 0) if swapped else (0, 1)


def signature(latent_size: int, image_shape: tuple, image_range: tuple):
    """The encoder file's inputs (edgegan.signature): the style picture, in the generator's range, then eps."""
    from edgegan.contract import ImageInput
    from edgegan.signature import Image, Latent, Signature

    return Signature([Image.of(ImageInput(tuple(image_shape), tuple(image_range)), STYLE), Latent(latent_size, EPS)])
