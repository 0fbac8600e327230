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

    from zoo import randomize_bn

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
    from edgegan.export.optimize import _rewrite_graph

    m = model(up, k, between)
    rewritten, blocks = _rewrite_graph(m, "pads")
    assert len(blocks) == 1 and blocks[0].endswith(m.layers[-1].name)  # the last convolution was carried
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
