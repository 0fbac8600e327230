"""Carry the interleave down the graph (export tier): a layer after ``depth_to_space(2)`` runs on the four
phase tensors before it, so the large interleaved tensor is never written, read or moved.

A phase block (edgegan.export.optimize.PhaseConv2D) ends in ``depth_to_space(2)``: output pixel (2q + a, 2r + b)
is channel block a * 2 + b of the phase tensor (B, H, W, 4C) at (q, r). What follows it can run on that tensor:

- a per-channel layer (ReLU, LeakyReLU, an elementwise Activation, PReLU shared over height and width,
  BatchNormalization over channels, Dropout at inference) does the same on every phase: its parameters tiled
  four times;
- a stride-1 'same' Conv2D (k x k, no dilation) is a convolution on the phases: output phase a (per axis) at
  q, tap d reads interleaved row 2q + a + d - p (p = (k - 1) // 2), which is phase (a + d - p) mod 2 at row
  q + floor((a + d - p) / 2). Each tap lands on one phase at one shift, the shifts span a window of
  floor((k + 1) / 4) - floor(-(k - 1) / 4) + 1 rows (k 9: 5, k 3 and 5: 3) centred like 'same' padding, and
  the zero rows outside the interleaved tensor are the zero rows outside the phase tensors: exact at borders.
  A k9 convolution to 3 channels at 256 x 256 becomes a 5 x 5 convolution of 4C to 12 channels at 128 x 128.

Chains (edgegan.export.optimize._rewrite) carry a block's phases down to the last Conv2D of the run of such
layers after it; graphs with branches (_rewrite_graph) carry every layer that can. Which kernels are carried is
the file's choice (optimize.carry_kernel).

A narrow convolution (fewer than 4 output channels) gets each phase padded to 4 channels with zero filters
(16 outputs instead of 12: XNNPACK fills vectors of 16; a prototype of keras.io's last block ran 8.07 ms with 12
outputs and 4.28 ms with 16, LiteRT fp32, 2 threads); the padding is sliced off after the interleave.
Anything else that reads a phase tensor gets it interleaved first (``Interleave``), as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Phased:
    """A phase tensor's layout: ``c`` real channels per phase, ``cp`` >= c stored per phase (zeros after c)."""

    c: int
    cp: int


def tile(v: np.ndarray, c: int, cp: int, fill: float = 0.0) -> np.ndarray:
    """Per-channel values (..., c) for a phase tensor of 4 blocks of cp channels (padding ``fill``)."""
    block = np.concatenate([v, np.full((*v.shape[:-1], cp - c), fill, v.dtype)], axis=-1)
    return np.concatenate([block] * 4, axis=-1)


def conv_on_phases(kernel: np.ndarray, bias: np.ndarray, cin_p: int, cout_p: int) -> tuple[np.ndarray, np.ndarray]:
    """A stride-1 'same' kernel (kh, kw, Cin, Cout) of a convolution after depth_to_space(2), as the kernel
    (nh, nw, 4 cin_p, 4 cout_p) of the same convolution on the phase tensors, and its bias."""
    kh, kw, cin, cout = kernel.shape

    def axis(k: int):
        p = (k - 1) // 2
        lo = (0 - p) // 2
        return p, lo, (k - p) // 2 - lo + 1  # pad, first shift, window

    (pr, r0, nh), (pc, c0, nw) = axis(kh), axis(kw)
    w = np.zeros((nh, nw, 4 * cin_p, 4 * cout_p), np.float32)
    for ar in range(2):
        for ac in range(2):
            out = (ar * 2 + ac) * cout_p
            for dr in range(kh):
                sr, mr = (ar + dr - pr) % 2, (ar + dr - pr) // 2
                for dc in range(kw):
                    sc, mc = (ac + dc - pc) % 2, (ac + dc - pc) // 2
                    src = (sr * 2 + sc) * cin_p
                    w[mr - r0, mc - c0, src : src + cin, out : out + cout] += kernel[dr, dc]
    return w, tile(bias.astype(np.float32), cout, cout_p)


def narrow_pad(c: int) -> int:
    """Channels stored per phase for a convolution with ``c`` outputs: 4 for fewer than 4, else c."""
    return 4 if c < 4 else c


def carries(layer, min_kernel: int = 1) -> bool:
    """True for a layer that can run on phase tensors (see the module docstring); a Conv2D only with a kernel of
    at least ``min_kernel`` (edgegan.export.optimize.carry_kernel)."""
    from keras import layers as L

    c = layer.get_config()
    if isinstance(layer, L.Dropout):  # the identity at inference
        return True
    if isinstance(layer, (L.ReLU, L.LeakyReLU, L.Activation)):
        return type(layer) is not L.Activation or c.get("activation") in ("relu", "linear", "tanh", "sigmoid")
    if isinstance(layer, L.PReLU):
        return sorted(c.get("shared_axes") or []) == [1, 2]
    if isinstance(layer, L.BatchNormalization):
        return layer.axis in (-1, 3, [3], [-1])
    if type(layer) is L.Conv2D:
        return (
            tuple(c["strides"]) == (1, 1)
            and c["padding"] == "same"
            and tuple(c["dilation_rate"]) == (1, 1)
            and c.get("groups", 1) == 1
            and c.get("data_format") in (None, "channels_last")
            and all(k % 2 for k in c["kernel_size"])
            and min(c["kernel_size"]) >= min_kernel
            and c["activation"] in ("relu", "linear", "tanh", "sigmoid")
        )
    return False


def on_phases(layer, x, p: Phased):
    """Run ``layer`` (one that ``carries``) on the phase tensor ``x`` laid out as ``p``: (output, its layout)."""
    from keras import layers as L

    if isinstance(layer, L.Dropout):
        return x, p
    if isinstance(layer, (L.ReLU, L.LeakyReLU, L.Activation)):
        return layer(x), p  # elementwise
    if isinstance(layer, L.PReLU):
        new = L.PReLU(shared_axes=[1, 2], name=f"{layer.name}_phases")
        y = new(x)
        new.alpha.assign(tile(np.asarray(layer.alpha.numpy()), p.c, p.cp))
        return y, p
    if isinstance(layer, L.BatchNormalization):
        new = L.BatchNormalization(epsilon=layer.epsilon, name=f"{layer.name}_phases")
        y = new(x, training=False)
        n = p.c
        gamma = layer.gamma.numpy() if layer.scale else np.ones(n, np.float32)
        beta = layer.beta.numpy() if layer.center else np.zeros(n, np.float32)
        new.set_weights(
            [
                tile(gamma, n, p.cp, 1.0),
                tile(beta, n, p.cp),
                tile(layer.moving_mean.numpy(), n, p.cp),
                tile(layer.moving_variance.numpy(), n, p.cp, 1.0),
            ]
        )
        return y, p
    cout = layer.filters
    cout_p = narrow_pad(cout)
    bias = layer.bias.numpy() if layer.use_bias else np.zeros(cout, np.float32)
    w, b = conv_on_phases(layer.kernel.numpy(), bias, p.cp, cout_p)
    new = L.Conv2D(
        4 * cout_p,
        w.shape[:2],
        padding="same",
        activation=layer.get_config()["activation"],
        name=f"{layer.name}_phases",
    )
    y = new(x)
    new.set_weights([w, b])
    return y, Phased(cout, cout_p)


def carried(model) -> list[str]:
    """Names of the convolutions that run on a block's phases in a rewritten ``model`` (on_phases names them)."""
    from keras import layers as L

    return [
        layer.name[: -len("_phases")]
        for layer in model.layers
        if type(layer) is L.Conv2D and layer.name.endswith("_phases")
    ]


def interleave_layer_class():
    import keras
    import tensorflow as tf

    class Interleave(keras.layers.Layer):
        """depth_to_space(2) of a phase tensor, then its real channels (the padding sliced off)."""

        def __init__(self, c: int, cp: int, **kw):
            super().__init__(**kw)
            self.c, self.cp = c, cp

        def call(self, x):
            y = tf.nn.depth_to_space(x, 2)
            return y[..., : self.c] if self.cp != self.c else y

    return Interleave
