"""A generator assembled at export from what the user trained (export tier): ``--mapping`` puts a mapping network
(StyleGAN's z -> w) in front of the generator, ``--truncation PSI`` pulls w towards its mean, ``--fix NAME=VALUE``
holds an input at a value (StyleGAN's constant block, its fade-in alpha). The files then take what is left: the
latent and the noise maps (edgegan.signature.Noise), drawn from the seed everywhere.

keras.io's StyleGAN generator takes eight inputs (a constant 4x4 block, w for every stage, one noise map per
resolution, alpha); its sampling code feeds the block ones and alpha 1. edgegan cannot read those values from the
model, so they are asked for; an input left unfed is refused in one line naming it and the flag.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgegan.errors import ConfigError
from edgegan.signature import LATENT_NAME, STYLE_NAME

TRUNCATION_ROWS, TRUNCATION_SEED = 4096, 0  # latents whose mapped mean is w's centre for --truncation


def parse_fix(items) -> dict[str, float]:
    """['const=1', 'g_alpha=1.0'] -> {name: value}; ValueError naming the bad item."""
    out = {}
    for item in items or ():
        name, sep, value = str(item).partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip() or not np.isfinite(out.get(name.strip(), np.nan)):
            raise ValueError(f"expected NAME=VALUE like g_alpha=1, got {item!r}")
    return out


def input_names(model) -> list[str]:
    return [t.name.split(":")[0] for t in model.inputs]


def split_fix(fixed: dict[str, float], G, D, path: Path) -> tuple[dict, dict]:
    """--fix's values for G's inputs and for D's (StyleGAN's d_alpha): each NAME holds the input of that name in
    whichever model has one; a name neither has is refused in one line listing their inputs."""
    g, d = input_names(G), input_names(D) if D is not None else []
    unknown = sorted(set(fixed) - set(g) - set(d))
    if unknown:
        theirs = f"; the discriminator's are {', '.join(d)}" if D is not None else ""
        raise ConfigError(f"{path}: --fix {', '.join(unknown)}: the generator's inputs are {', '.join(g)}{theirs}")
    return ({k: v for k, v in fixed.items() if k in g}, {k: v for k, v in fixed.items() if k in d})


def compose(G, mapping, fixed: dict[str, float], psi: float | None, path: Path, role: str = "generator"):
    """The generator (or ``role``'s model) with its mapping, truncation and fixed inputs (of its own: split_fix)
    in place."""
    import keras

    names = input_names(G)
    if psi is not None and mapping is None:
        raise ConfigError("--truncation pulls a mapping network's w towards its mean: pass --mapping MAPPING.keras")
    z = keras.Input(tuple(mapping.inputs[0].shape[1:]), name=LATENT_NAME) if mapping is not None else None
    w = None if mapping is None else mapping(z)
    if psi is not None:
        w = Truncation(w_mean(mapping), psi, name="truncation")(w)
    inputs, feeds = [z] if z is not None else [], []
    for t, name in zip(G.inputs, names):
        shape = tuple(t.shape[1:])
        if name in fixed:
            feeds.append(None)  # made below, from the batch of the first input
        elif w is not None and shape == tuple(w.shape[1:]) and not any(f is w for f in feeds):
            feeds.append(w)
        elif mapping is None or name.lower().startswith("noise"):
            inputs.append(keras.Input(shape, dtype=t.dtype, name=name))
            feeds.append(inputs[-1])
        else:
            raise ConfigError(
                f"{path}: the {role}'s input {name} {shape} is fed by nothing: the mapping gives "
                f"{tuple(w.shape[1:])}; pass --fix {name}=VALUE, or name a noise input noise..."
            )
    if not inputs:
        raise ConfigError(f"{path}: every input of the {role} is fixed; leave its latent or picture unfixed")
    feeds = [Fixed(fixed[n], tuple(t.shape[1:]), name=f"fixed_{n}")(inputs[0]) if f is None else f
             for f, t, n in zip(feeds, G.inputs, names)]  # fmt: skip
    out = G(feeds if len(feeds) > 1 else feeds[0])
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], out, name=G.name)


def wrap_style(G, name: str, path: Path):
    """G' taking (source, style) where G takes two pictures, ``name`` its style picture's input (AdaIN style
    transfer): the files' inputs are then named for what they are (edgegan.signature.Image)."""
    import keras

    from edgegan.contract import SOURCE_NAME

    names = [t.name.split(":")[0] for t in G.inputs]
    if name not in names or len(G.inputs) != 2 or any(len(t.shape) != 4 for t in G.inputs):
        raise ConfigError(
            f"{path}: --style-input {name} needs a generator of two pictures, one of them named {name}; it takes "
            f"{', '.join(f'{n} {tuple(t.shape[1:])}' for n, t in zip(names, G.inputs))}"
        )
    style_t = G.inputs[names.index(name)]
    source_t = next(t for t in G.inputs if t is not style_t)
    source = keras.Input(tuple(source_t.shape[1:]), name=SOURCE_NAME)
    style = keras.Input(tuple(style_t.shape[1:]), name=STYLE_NAME)
    feed = {id(source_t): source, id(style_t): style}
    return keras.Model([source, style], G([feed[id(t)] for t in G.inputs]), name=G.name)


def w_mean(mapping) -> np.ndarray:
    """The mapping's mean output over TRUNCATION_ROWS latents from edgegan.latents (the same everywhere)."""
    from edgegan.latents import latents

    z = latents(TRUNCATION_ROWS, int(mapping.inputs[0].shape[-1]), TRUNCATION_SEED)
    return np.mean([mapping(z[i : i + 256], training=False).numpy() for i in range(0, len(z), 256)], axis=(0, 1))


def _layers():
    import keras

    class Fixed(keras.layers.Layer):
        """A constant of ``shape`` at ``value`` for every row of its input's batch."""

        def __init__(self, value: float, shape: tuple, **kwargs):
            super().__init__(**kwargs)
            self.value, self.shape_ = float(value), tuple(shape)

        def call(self, x):
            ones = keras.ops.ones_like(keras.ops.reshape(x, (-1, int(np.prod(x.shape[1:]))))[:, :1])
            value = keras.ops.cast(np.full(self.shape_, self.value), ones.dtype)
            return keras.ops.reshape(ones, (-1,) + (1,) * len(self.shape_)) * value

        def get_config(self):  # the float64 twin (edgegan.export.floor) rebuilds the model from its config
            return {**super().get_config(), "value": self.value, "shape": list(self.shape_)}

    class Truncation(keras.layers.Layer):
        """w -> mean + psi (w - mean): StyleGAN's truncation trick."""

        def __init__(self, mean: np.ndarray, psi: float, **kwargs):
            super().__init__(**kwargs)
            self.mean, self.psi = np.asarray(mean, np.float32), float(psi)

        def call(self, w):
            mean = keras.ops.cast(self.mean, w.dtype)
            return mean + self.psi * (w - mean)

        def get_config(self):
            return {**super().get_config(), "mean": self.mean.tolist(), "psi": self.psi}

    return Fixed, Truncation


def Fixed(value, shape, **kw):  # noqa: N802  (a layer, made by a function so that keras loads lazily)
    return _layers()[0](value, shape, **kw)


def Truncation(mean, psi, **kw):  # noqa: N802
    return _layers()[1](mean, psi, **kw)
