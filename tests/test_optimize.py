"""Exact phase decomposition of upsampling convolutions at export: UpSampling2D(2, nearest) + SAME Conv2D, and
Conv2DTranspose."""

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

    from edgegan.export import carry
    from edgegan.export.optimize import optimize
    from edgegan.models import build_generator

    keras.utils.set_random_seed(7)
    g = build_generator()
    _randomize_bn(g)
    opt, rewrites, _ = optimize(g, form)
    assert rewrites == ["up1+conv1+bn1+relu1", "up2+conv2+bn2+relu2"]
    carried = ["conv3"] if form != "fused" else []  # fused shifts its output grid: the phases are not the picture
    assert carry.carried(opt) == carried
    z = np.random.default_rng(1).standard_normal((16, 100)).astype(np.float32)
    assert np.abs(opt(z).numpy() - g(z, training=False).numpy()).max() <= 1e-5
    # 2 phase layers replace 2 x (UpSampling2D, Conv2D, BatchNormalization, Activation)
    assert sum(type(layer).__name__ == "PhaseConv2D" for layer in opt.layers) == 2
    assert not any(type(layer).__name__ == "UpSampling2D" for layer in opt.layers)


@pytest.mark.parametrize("form", ["split", "pads"])
@pytest.mark.parametrize("k", [2, 3, 4, 5])
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
    opt, rewrites, _ = optimize(m, form)
    assert rewrites == ["b+c"]
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype(np.float32)
    assert np.abs(opt(x).numpy() - m(x).numpy()).max() <= 1e-5


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_transposed_convolutions_are_rewritten_exactly(k, padding, stride):
    """Every kernel size 2-5, stride 1-2, both paddings, with and without output_padding; bias, BatchNorm
    (folded) and relu (fused), in every form: fp32 within 1e-5 of Keras, and no transposed convolution left."""
    import keras
    from keras import layers as L

    from edgegan.export.optimize import optimize

    keras.utils.set_random_seed(10 * k + stride)
    # 'same' with an even kernel and output_padding 0 is a shape TensorFlow itself refuses: not a case
    paddings = [None] + [p for p in range(stride) if not (padding == "same" and k % 2 == 0 and p == 0)]
    rng = np.random.default_rng(k)
    x = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    for op in paddings:
        inp = keras.Input((5, 6, 3))
        y = L.Conv2DTranspose(6, k, strides=stride, padding=padding, output_padding=op, use_bias=op is None)(inp)
        y = L.Conv2DTranspose(4, k, strides=stride, padding=padding, activation="relu")(L.BatchNormalization()(y))
        m = keras.Model(inp, y)
        bn = m.layers[2]
        bn.moving_mean.assign(rng.normal(0, 0.2, 6).astype("f"))
        bn.moving_variance.assign(rng.uniform(0.3, 2, 6).astype("f"))
        for form in ("split", "pads", "fused"):
            opt, rewrites, note = optimize(m, form)
            assert len(rewrites) == 2 and "batch_normalization" in rewrites[0], (op, form, note)
            assert not any(isinstance(layer, L.Conv2DTranspose) for layer in opt.layers)
            assert opt.output_shape == m.output_shape
            assert np.abs(opt(x).numpy() - m(x, training=False).numpy()).max() <= 1e-5, (op, form)


def test_an_activation_after_a_nonlinear_conv_stays_after_it():
    """Conv2DTranspose(sigmoid) -> Activation(relu): the relu is not fused into the phase convolutions (it would run
    before the sigmoid: sigmoid(relu(x)) >= 0.5); the block is still rewritten, exactly."""
    import keras

    from edgegan.export.optimize import optimize

    keras.utils.set_random_seed(2)
    inp = keras.Input((4, 4, 3))
    y = keras.layers.Activation("relu")(
        keras.layers.Conv2DTranspose(5, 3, strides=2, padding="same", activation="sigmoid")(inp)
    )
    m = keras.Model(inp, y)
    opt, rewrites, note = optimize(m, "pads")
    assert len(rewrites) == 1 and note == "", (rewrites, note)
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 3)).astype(np.float32)
    assert np.abs(opt(x).numpy() - m(x).numpy()).max() <= 1e-5


def test_other_graphs_are_left_unchanged():
    import keras

    from edgegan.export.optimize import optimize
    from edgegan.models import build_discriminator

    d = build_discriminator()
    assert optimize(d)[:2] == (d, [])
    for layers in (
        [keras.layers.UpSampling2D(2, interpolation="bilinear"), keras.layers.Conv2D(4, 3, padding="same")],
        [keras.layers.UpSampling2D(2), keras.layers.Conv2D(4, 3, padding="valid")],
        [keras.layers.UpSampling2D(3), keras.layers.Conv2D(4, 3, padding="same")],
        [keras.layers.UpSampling2D(2), keras.layers.Conv2D(4, 3, strides=2, padding="same")],
        [keras.layers.Conv2DTranspose(4, 3, strides=3, padding="same")],
        [keras.layers.Conv2DTranspose(4, 1, strides=2, padding="same")],  # a phase with no tap
        [keras.layers.Conv2DTranspose(4, 3, dilation_rate=2, padding="same")],
    ):
        x = inp = keras.Input((4, 4, 2))
        for layer in layers:
            x = layer(x)
        m = keras.Model(inp, x)
        assert optimize(m)[:2] == (m, [])


@pytest.mark.parametrize("form", ["sequential", "nested"])
def test_sequential_and_nested_generators_are_rewritten_exactly(form):
    """A Sequential has no InputLayer in .layers (its first real layer must not be dropped); Keras-GAN wraps
    its Sequential generator in Model(noise, model(noise)): the blocks sit inside one nested layer."""
    import keras

    from edgegan.export.optimize import optimize
    from zoo import dcgan as zoo

    keras.utils.set_random_seed(5)
    nested, _ = zoo.kerasgan()  # Model(noise, Sequential(...)(noise)), as Keras-GAN publishes it
    zoo.randomize_bn(nested, 5)
    model = nested if form == "nested" else nested.layers[-1]  # the Sequential itself
    opt, rewrites, note = optimize(model, "pads")
    assert len(rewrites) == 2 and note == "", (rewrites, note)
    z = np.random.default_rng(3).standard_normal((8, 100)).astype(np.float32)
    assert np.abs(opt(z).numpy() - model(z, training=False).numpy()).max() <= 1e-5


def test_a_rewrite_that_misses_its_proof_falls_back_to_the_plain_model(monkeypatch):
    import keras

    from edgegan.export import optimize as opt_mod
    from edgegan.models import build_generator

    keras.utils.set_random_seed(6)
    g = build_generator()
    real = opt_mod.Plan.phase_kernels
    monkeypatch.setattr(opt_mod.Plan, "phase_kernels", lambda p: [k * 1.01 for k in real(p)])  # a wrong rewrite
    model, rewrites, note = opt_mod.optimize(g, "pads")
    assert model is g and rewrites == [] and "differs from the model" in note
    monkeypatch.setattr(opt_mod.Plan, "phase_kernels", lambda p: 1 / 0)  # a rewrite that crashes
    model, rewrites, note = opt_mod.optimize(g, "pads")
    assert model is g and rewrites == [] and "rewrite failed (ZeroDivisionError" in note


def test_exported_generator_files_are_marked_optimized_and_exact(bundle):
    from edgegan import manifest as mf

    m = mf.load(bundle)
    for e in m.find("generator"):
        assert e.checks and e.parity
        # the default choice (bundle.auto_form): "pads" everywhere, except that ONNX/ORT int8 files keep the
        # seed's upsample+conv blocks as built (faster there); the seed has no Conv2DTranspose to rewrite
        plain = e.format in ("onnx", "ort") and e.precision == "int8"
        assert e.optimized == (not plain) and e.optimize_form == (None if plain else "pads"), e
        if e.precision == "fp32":
            assert e.parity["max_abs"] <= 1e-5, (e.path, e.parity)
        ops = _ops(bundle / e.path, e.format)
        assert bool(ops & UPSAMPLING) == plain, f"{e.path}: optimized {e.optimized}, upsampling ops {ops & UPSAMPLING}"
        if e.format != "ort":  # 4 phase convolutions per block, 2 blocks, + the last conv (plain: 3)
            assert _count_convs(bundle / e.path, e.format) == (3 if plain else 9), e.path
    assert not any(e.optimized for e in m.find("discriminator"))


UPSAMPLING = {"TILE", "Tile", "RESIZE_NEAREST_NEIGHBOR", "Resize", "Upsample"}  # how the converters write it
TRANSPOSED = {"TRANSPOSE_CONV", "ConvTranspose"}


def _ops(path, fmt) -> set[str]:
    if fmt == "tflite":
        from ai_edge_litert.interpreter import Interpreter

        return {o["op_name"] for o in Interpreter(model_content=path.read_bytes())._get_ops_details()}
    if fmt == "onnx":
        import onnx

        return {n.op_type for n in onnx.load(str(path)).graph.node}
    data = path.read_bytes()  # .ort flatbuffer: op type names are stored as strings
    return {op for op in UPSAMPLING | TRANSPOSED if op.encode() in data}


def _tensor_shapes(path, fmt) -> list[tuple]:
    """Every tensor shape a .tflite file holds, or an .onnx file's after ONNX shape inference (NCHW inside)."""
    if fmt == "tflite":
        from ai_edge_litert.interpreter import Interpreter

        return [tuple(t["shape"]) for t in Interpreter(model_content=path.read_bytes()).get_tensor_details()]
    import onnx

    g = onnx.shape_inference.infer_shapes(onnx.load(str(path))).graph
    return [tuple(d.dim_value for d in v.type.tensor_type.shape.dim) for v in [*g.value_info, *g.output]]


def _count_convs(path, fmt) -> int:
    if fmt == "tflite":
        from ai_edge_litert.interpreter import Interpreter

        return sum(o["op_name"] == "CONV_2D" for o in Interpreter(model_content=path.read_bytes())._get_ops_details())
    import onnx

    return sum(n.op_type == "Conv" for n in onnx.load(str(path)).graph.node)


def test_the_upsampling_check_sees_a_plain_export(tmp_path):
    """Positive control for the checks above and in test_own_gan: a plain (unoptimized) generator file shows its
    upsampling, and a plain Conv2DTranspose generator its transposed convolutions."""
    import keras

    from edgegan.export.onnx import keras_to_onnx, to_ort
    from edgegan.export.tflite import keras_to_tflite
    from edgegan.models import build_generator
    from zoo import dcgan as zoo

    keras.utils.set_random_seed(0)
    g = build_generator()
    keras_to_onnx(g, tmp_path / "g.onnx", "z", "image", {})
    keras_to_tflite(g, tmp_path / "g.tflite", "fp32", 1, None, {})
    for name, fmt in (("g.onnx", "onnx"), ("g.tflite", "tflite")):
        assert _ops(tmp_path / name, fmt) & UPSAMPLING, name
        assert _count_convs(tmp_path / name, fmt) == 3, name
    t, _ = zoo.tf_tutorial()
    keras_to_onnx(t, tmp_path / "t.onnx", "z", "image", {})
    keras_to_tflite(t, tmp_path / "t.tflite", "fp32", 1, None, {})
    to_ort(tmp_path / "t.onnx", tmp_path / "t.ort")
    for name, fmt in (("t.onnx", "onnx"), ("t.tflite", "tflite"), ("t.ort", "ort")):
        assert _ops(tmp_path / name, fmt) & TRANSPOSED, name


def test_optimizing_one_model_twice_rewrites_it_both_times():
    """optimize() must not change its input: export asks for two forms of the same generator."""
    import keras

    from edgegan.export.optimize import optimize
    from edgegan.models import build_generator

    keras.utils.set_random_seed(4)
    g = build_generator()
    z = np.random.default_rng(0).standard_normal((4, 100)).astype(np.float32)
    for form in ("pads", "split", "pads"):
        opt, rewrites, _ = optimize(g, form)
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
