"""The builders reproduce the article's networks layer for layer."""

import pytest

from conftest import needs_tf
from edgegan.errors import ConfigError
from edgegan.models import ModelSpec

pytestmark = needs_tf

GENERATOR_LAYERS = [
    ("InputLayer", None),
    ("Dense", {"units": 6272, "activation": "relu"}),
    ("Reshape", {"target_shape": (7, 7, 128)}),
    ("UpSampling2D", {"size": (2, 2), "interpolation": "nearest"}),
    ("Conv2D", {"filters": 128, "kernel_size": (3, 3), "strides": (1, 1), "padding": "same", "activation": "linear"}),
    ("BatchNormalization", {"momentum": 0.8}),
    ("Activation", {"activation": "relu"}),
    ("UpSampling2D", {"size": (2, 2), "interpolation": "nearest"}),
    ("Conv2D", {"filters": 64, "kernel_size": (3, 3), "strides": (1, 1), "padding": "same", "activation": "linear"}),
    ("BatchNormalization", {"momentum": 0.8}),
    ("Activation", {"activation": "relu"}),
    ("Conv2D", {"filters": 1, "kernel_size": (3, 3), "strides": (1, 1), "padding": "same", "activation": "linear"}),
    ("Activation", {"activation": "tanh"}),
]


def _block(filters, stride):
    return (
        "Conv2D",
        {
            "filters": filters,
            "kernel_size": (3, 3),
            "strides": (stride, stride),
            "padding": "same",
            "activation": "linear",
        },
    )


DISCRIMINATOR_LAYERS = [
    ("InputLayer", None),
    _block(32, 2),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("Dropout", {"rate": 0.25}),
    _block(64, 2),
    ("ZeroPadding2D", {"padding": ((0, 1), (0, 1))}),
    ("BatchNormalization", {"momentum": 0.8}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("Dropout", {"rate": 0.25}),
    _block(128, 2),
    ("BatchNormalization", {"momentum": 0.8}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("Dropout", {"rate": 0.25}),
    _block(256, 1),
    ("BatchNormalization", {"momentum": 0.8}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("Dropout", {"rate": 0.25}),
    ("Flatten", None),
    ("Dense", {"units": 1, "activation": "sigmoid"}),
]


def _sequence(model):
    out = []
    for layer in model.layers:
        cfg = layer.get_config()
        out.append((type(layer).__name__, cfg))
    return out


@pytest.mark.parametrize("which", ["generator", "discriminator"])
def test_exact_layer_sequence(which):
    from edgegan.models import build_discriminator, build_generator

    model = build_generator() if which == "generator" else build_discriminator()
    expected = GENERATOR_LAYERS if which == "generator" else DISCRIMINATOR_LAYERS
    got = _sequence(model)
    assert [t for t, _ in got] == [t for t, _ in expected]
    for (t, cfg), (_, want) in zip(got, expected):
        for key, value in (want or {}).items():
            v = cfg[key]
            v = tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, (list, tuple)) else v
            assert v == value, f"{t}.{key}: {v} != {value}"


def test_parameter_counts():
    from edgegan.models import build_discriminator, build_generator

    assert build_generator().count_params() == 856_193
    assert build_discriminator().count_params() == 393_729


def test_stable_tensor_names_and_shapes():
    from edgegan.models import build_discriminator, build_generator

    g, d = build_generator(), build_discriminator()
    assert g.inputs[0].name == "z" and tuple(g.outputs[0].shape) == (None, 28, 28, 1)
    assert d.inputs[0].name == "image" and tuple(d.outputs[0].shape) == (None, 1)
    assert g.layers[-1].name == "image" and d.layers[-1].name == "score"


def test_other_sizes_and_the_articles_relu_variant():
    from edgegan.models import build_discriminator, build_generator, spec_of

    spec = ModelSpec(latent_dim=64, height=32, width=16, channels=3, output_activation="relu")
    g, d = build_generator(spec), build_discriminator(spec)
    assert tuple(g.outputs[0].shape) == (None, 32, 16, 3)
    assert tuple(d.inputs[0].shape) == (None, 32, 16, 3)
    assert g.layers[-1].get_config()["activation"] == "relu"
    assert spec_of(g) == spec


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        ({"height": 30}, "divisible by 4"),
        ({"width": 26}, "divisible by 4"),
        ({"latent_dim": 0}, "positive integer"),
        ({"output_activation": "sigmoid"}, "output_activation"),
    ],
)
def test_impossible_specs_are_refused(kwargs, msg):
    with pytest.raises(ConfigError, match=msg):
        ModelSpec(**kwargs)
