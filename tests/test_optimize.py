"""Exact phase decomposition of UpSampling2D(2, nearest) + odd SAME Conv2D at export."""

import numpy as np
import pytest

from conftest import needs_tf

pytestmark = needs_tf


def _randomize_bn(model, seed=0):
    import keras

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0, 0.2, n).astype("f"))
            layer.moving_variance.assign(rng.uniform(0.3, 2, n).astype("f"))
            layer.gamma.assign(rng.uniform(0.5, 1.5, n).astype("f"))
            layer.beta.assign(rng.normal(0, 0.2, n).astype("f"))


@pytest.mark.parametrize("form", ["split", "fused", "pads"])
def test_random_generator_is_rewritten_exactly(form):
    import keras

    from edgegan.export.optimize import optimize
    from edgegan.models import build_generator

    keras.utils.set_random_seed(7)
    g = build_generator()
    _randomize_bn(g)
    opt, rewrites = optimize(g, form)
    assert rewrites == ["up1+conv1+bn1+relu1", "up2+conv2+bn2+relu2"]
    z = np.random.default_rng(1).standard_normal((16, 100)).astype(np.float32)
    assert np.abs(opt(z).numpy() - g(z, training=False).numpy()).max() <= 1e-5
    # 2 phase layers replace 2 x (UpSampling2D, Conv2D, BatchNormalization, Activation)
    assert sum(type(layer).__name__ == "PhaseUpConv2D" for layer in opt.layers) == 2
    assert not any(type(layer).__name__ == "UpSampling2D" for layer in opt.layers)


@pytest.mark.parametrize("form", ["split", "pads"])
@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize("act", ["linear", "relu", "tanh"])
def test_general_pattern_any_odd_kernel_and_activation(k, act, form):
    import keras

    from edgegan.export.optimize import optimize

    keras.utils.set_random_seed(k)
    x = inp = keras.Input((5, 6, 3))
    x = keras.layers.Conv2D(4, 1, name="a")(x)
    x = keras.layers.UpSampling2D(2, name="b")(x)
    x = keras.layers.Conv2D(7, k, padding="same", activation=act, name="c")(x)
    m = keras.Model(inp, x)
    opt, rewrites = optimize(m, form)
    assert rewrites == ["b+c"]
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype(np.float32)
    assert np.abs(opt(x).numpy() - m(x).numpy()).max() <= 1e-5


def test_other_graphs_are_left_unchanged():
    import keras

    from edgegan.export.optimize import optimize
    from edgegan.models import build_discriminator

    d = build_discriminator()
    assert optimize(d) == (d, [])
    for layers in (
        [keras.layers.UpSampling2D(2, interpolation="bilinear"), keras.layers.Conv2D(4, 3, padding="same")],
        [keras.layers.UpSampling2D(2), keras.layers.Conv2D(4, 3, padding="valid")],
        [keras.layers.UpSampling2D(2), keras.layers.Conv2D(4, 2, padding="same")],
        [keras.layers.UpSampling2D(3), keras.layers.Conv2D(4, 3, padding="same")],
        [keras.layers.UpSampling2D(2), keras.layers.Conv2D(4, 3, strides=2, padding="same")],
    ):
        x = inp = keras.Input((4, 4, 2))
        for layer in layers:
            x = layer(x)
        m = keras.Model(inp, x)
        assert optimize(m) == (m, [])


def test_exported_generator_files_are_marked_optimized_and_exact(bundle):
    from edgegan import manifest as mf

    m = mf.load(bundle)
    for e in m.find("generator"):
        assert e.optimized and e.checks and e.parity
        if e.precision == "fp32":
            assert e.parity["max_abs"] <= 1e-5, (e.path, e.parity)
        # the default form: its own padding per phase conv, except ONNX Runtime int8 (one Pad + four convs)
        assert e.optimize_form == ("split" if e.format in ("onnx", "ort") and e.precision == "int8" else "pads"), e
        assert not _upsampling_ops(bundle / e.path, e.format), f"{e.path} is marked optimized but still upsamples"
    assert not any(e.optimized for e in m.find("discriminator"))
    d = m.find("discriminator", "tflite", "fp32")[0]
    assert _upsampling_ops(bundle / "generator.keras", "keras") and not _upsampling_ops(bundle / d.path, "tflite")


def _upsampling_ops(path, fmt) -> list[str]:
    """The nearest-upsampling ops a file still holds: a rewritten generator has none."""
    if fmt == "tflite":
        from ai_edge_litert.interpreter import Interpreter

        ops = Interpreter(model_content=path.read_bytes())._get_ops_details()
        return [o["op_name"] for o in ops if o["op_name"].startswith("RESIZE")]
    if fmt == "onnx":
        import onnx

        return [n.op_type for n in onnx.load(str(path)).graph.node if n.op_type in ("Resize", "Upsample")]
    if fmt == "ort":  # flatbuffer: the op type strings are stored as they are
        return ["Resize"] if b"Resize" in path.read_bytes() else []
    from edgegan.models import load_keras

    return [la.name for la in load_keras(path, "generator").layers if type(la).__name__ == "UpSampling2D"]


def test_optimizing_one_model_twice_rewrites_it_both_times():
    """optimize() must not change its input: export asks for two forms of the same generator."""
    import keras

    from edgegan.export.optimize import optimize
    from edgegan.models import build_generator

    keras.utils.set_random_seed(4)
    g = build_generator()
    z = np.random.default_rng(0).standard_normal((4, 100)).astype(np.float32)
    for form in ("pads", "split", "pads"):
        opt, rewrites = optimize(g, form)
        assert rewrites == ["up1+conv1+bn1+relu1", "up2+conv2+bn2+relu2"], form
        assert np.abs(opt(z).numpy() - g(z, training=False).numpy()).max() <= 1e-5


def test_training_forward_matches_the_model_and_its_gradients():
    """The train step's phase-convolution G: same outputs (training and inference mode) and same gradients."""
    import keras
    import tensorflow as tf

    from edgegan.export.optimize import training_forward
    from edgegan.models import build_generator

    keras.utils.set_random_seed(3)
    g = build_generator()
    _randomize_bn(g)
    fast = training_forward(g)
    assert fast is not None
    z = tf.constant(np.random.default_rng(2).standard_normal((8, 100)).astype(np.float32))
    for training in (False, True):
        assert float(tf.reduce_max(tf.abs(fast(z, training) - g(z, training=training)))) <= 1e-5
    grads = []
    for fn in (lambda: g(z, training=True), lambda: fast(z, True)):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(fn()))
        grads.append(tape.gradient(loss, g.trainable_variables))
    scale = max(float(tf.reduce_max(tf.abs(a))) for a in grads[0])
    for v, a, b in zip(g.trainable_variables, *grads):
        assert b is not None, v.path  # every weight, the conv kernels under the phase form included, gets a gradient
        assert float(tf.reduce_max(tf.abs(a - b))) <= 1e-5 * scale, v.path


def test_training_forward_leaves_other_models_alone():
    from edgegan.export.optimize import training_forward
    from edgegan.models import build_discriminator

    assert training_forward(build_discriminator()) is None
