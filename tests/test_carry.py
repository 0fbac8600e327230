"""Carrying the interleave past the next layers (edgegan/export/carry.py): exact on random weights, and the
large interleaved tensor is gone from the rewritten graph."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import has

pytestmark = pytest.mark.slow
if not has("tensorflow"):
    pytest.skip("needs the export tier", allow_module_level=True)


def model(up: str, k: int, between: str, cout: int = 3):
    """8x8x6 -> an upsampling block to 16x16x8 -> BN + an activation -> Conv2D(cout, k, same) -> tanh."""
    import keras
    from keras import layers as L

    from zoo.dcgan import randomize_bn

    x = keras.Input((8, 8, 6))
    if up == "upsample":
        y = L.Conv2D(8, 3, padding="same")(L.UpSampling2D(2)(x))
    else:
        y = L.Conv2DTranspose(8, 4, strides=2, padding="same")(x)
    y = L.BatchNormalization()(y)
    y = {"relu": L.ReLU(), "leaky": L.LeakyReLU(0.2), "prelu": L.PReLU(shared_axes=[1, 2])}[between](y)
    m = keras.Model(x, L.Conv2D(cout, k, padding="same", activation="tanh")(y))
    for layer in m.layers:
        if isinstance(layer, L.PReLU):
            layer.alpha.assign(np.random.default_rng(1).uniform(0.1, 0.4, layer.alpha.shape).astype("f"))
    randomize_bn(m, 0)
    return m


@pytest.mark.parametrize("up", ["upsample", "transposed"])
@pytest.mark.parametrize("k", [1, 3, 5, 9])
@pytest.mark.parametrize("between", ["relu", "leaky", "prelu"])
def test_carried_convolution_is_exact(up, k, between):
    from edgegan.export import carry
    from edgegan.export.optimize import _rewrite_graph

    m = model(up, k, between)
    rewritten, blocks = _rewrite_graph(m, "pads")
    assert len(blocks) == 1 and carry.carried(rewritten) == [m.layers[-1].name]  # the last convolution was carried
    x = np.random.default_rng(2).standard_normal((3, 8, 8, 6)).astype(np.float32)
    np.testing.assert_allclose(rewritten(x, training=False), m(x, training=False), atol=1e-5)
    # only the 3-channel result is ever at 16x16: no 16x16x8 tensor is written
    assert [s for s in tensor_shapes(rewritten) if s[1] == 16] == [(None, 16, 16, 3)]
    assert (None, 16, 16, 8) in tensor_shapes(m)  # the check sees the interleaved tensor of the plain model


def tensor_shapes(m) -> list[tuple]:
    """Shapes of every tensor the model's own graph computes (layers shared with other models count once)."""
    return [tuple(t.shape) for nodes in m._nodes_by_depth.values() for n in nodes for t in n.outputs]


def test_what_does_not_commute_is_interleaved_first():
    import keras
    from keras import layers as L

    from edgegan.export.optimize import _rewrite_graph

    x = keras.Input((8, 8, 4))
    y = L.Conv2DTranspose(6, 4, strides=2, padding="same")(x)
    y = L.GroupNormalization(groups=-1)(y)  # statistics over the interleaved picture: not per phase
    m = keras.Model(x, L.Conv2D(3, 3, padding="same")(y))
    rewritten, blocks = _rewrite_graph(m, "pads")
    assert blocks == [m.layers[1].name]  # the transposed block alone
    v = np.random.default_rng(3).standard_normal((2, 8, 8, 4)).astype(np.float32)
    np.testing.assert_allclose(rewritten(v), m(v), atol=1e-5)


def test_phase_kernel_places_every_tap_once():
    from edgegan.export.carry import conv_on_phases

    rng = np.random.default_rng(4)
    for k in (1, 3, 5, 7, 9):
        w = rng.standard_normal((k, k, 2, 3)).astype(np.float32)
        pw, b = conv_on_phases(w, np.arange(3, dtype=np.float32), 2, 4)
        n = (k + 1) // 4 - (-(k - 1) // 4) + 1  # the window of shifts: 1, 3, 3, 5, 5
        assert pw.shape == (n, n, 8, 16)
        # each output phase holds every tap of the kernel exactly once (zeros elsewhere, padding channels zero)
        for ph in range(4):
            block = pw[..., ph * 4 : ph * 4 + 3]
            assert np.isclose(np.sort(block[block != 0]), np.sort(w.ravel())).all()
            assert not pw[..., ph * 4 + 3].any()
        assert b.tolist() == [0, 1, 2, 0] * 4


def chain(up: str, k: int, between: str):
    """The same block as ``model`` as a Sequential chain (the chain rewrite folds BatchNorm into the block)."""
    import keras
    from keras import layers as L

    from zoo.dcgan import randomize_bn

    block = [L.UpSampling2D(2), L.Conv2D(8, 3, padding="same")] if up == "upsample" else [
        L.Conv2DTranspose(8, 4, strides=2, padding="same")
    ]  # fmt: skip
    act = {"relu": L.ReLU(), "leaky": L.LeakyReLU(0.2)}[between]
    m = keras.Sequential([keras.Input((8, 8, 6)), *block, L.BatchNormalization(), act, L.Conv2D(3, k, padding="same"),
                          L.Activation("tanh")])  # fmt: skip
    randomize_bn(m, 0)
    return m


@pytest.mark.parametrize("up", ["upsample", "transposed"])
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("between", ["relu", "leaky"])
def test_chains_carry_the_interleave_past_the_next_convolution(up, k, between):
    """Sequential (chain) generators: fp32 within 1e-5 of the unrewritten model on random weights, and only the
    3-channel result is interleaved."""
    from edgegan.export import carry
    from edgegan.export.optimize import optimize

    m = chain(up, k, between)
    rewritten, blocks, note = optimize(m, "pads")
    assert note == "" and len(blocks) == 1 and carry.carried(rewritten) == [m.layers[-2].name], blocks
    x = np.random.default_rng(2).standard_normal((3, 8, 8, 6)).astype(np.float32)
    np.testing.assert_allclose(rewritten(x, training=False), m(x, training=False), atol=1e-5)
    assert [s for s in tensor_shapes(rewritten) if s[1] == 16] == [(None, 16, 16, 3)] * 2  # the conv, then tanh
    assert (None, 16, 16, 8) in tensor_shapes(optimize(m, "pads", ("upsample", "transposed"))[0])  # control


def test_a_chain_without_a_convolution_after_the_block_is_left_as_it_was():
    """A relu fused into the block, then upsampling: nothing to carry, the rewrite is the one without carry."""
    import keras
    from keras import layers as L

    from edgegan.export import carry
    from edgegan.export.optimize import optimize

    m = keras.Sequential([keras.Input((8, 8, 6)), L.Conv2DTranspose(8, 4, strides=2, padding="same"), L.ReLU(),
                          L.UpSampling2D(2), L.Conv2D(3, 3, padding="same")])  # fmt: skip
    with_carry, blocks, _ = optimize(m, "pads")
    without, same, _ = optimize(m, "pads", ("upsample", "transposed"))
    assert blocks == same and carry.carried(with_carry) == []
    assert [type(v).__name__ for v in with_carry.layers] == [type(v).__name__ for v in without.layers]


@pytest.mark.parametrize("k", [3, 5])
def test_litert_files_carry_only_wide_kernels(k):
    """LiteRT's choice (bundle.auto_form) carries a k5 convolution and leaves a k3 one after the interleave, where
    its 4x multiply-adds on phases measured no faster; ONNX Runtime's carries both."""
    from edgegan.export import carry
    from edgegan.export.bundle import auto_form
    from edgegan.export.optimize import optimize

    m = chain("transposed", k, "leaky")
    for fmt, carried in (("tflite", k >= 5), ("onnx", True)):
        c = auto_form(fmt, "fp32")
        rewritten, _, _ = optimize(m, c.form, c.kinds)
        assert carry.carried(rewritten) == ([m.layers[-2].name] if carried else []), (fmt, k)
