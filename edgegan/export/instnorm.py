"""Instance norms in rank-4 ops, means in two stages: the form every file takes (LiteRT's GPU accelerator runs only
this one, and it is faster and closer to exact everywhere).

Keras 3 has no InstanceNormalization; its answer is ``GroupNormalization(groups=-1)`` (one channel per group),
which computes through a rank-5 tensor (N, H, W, groups, channels per group). LiteRT's GPU accelerator refuses
rank-5 tensors ("Tensor dimensions must be less than 5") and the 5-D MEAN ("Unknown layout"): measured on the
test zoo's CycleGAN, 28 of 31 ops of the discriminator and most of the generator ran on the CPU. With one channel
per group the statistics are per channel over H and W, which rank-4 ops say directly:

    mean = mean(x, axes H, W);  var = mean((x - mean)^2, axes H, W);  y = (x - mean) * rsqrt(var + eps) * gamma + beta

the same arithmetic as Keras' (its moments are also the mean of squared differences). Each mean is taken in two
stages, over W and then over H: one float32 accumulator over 256x256 terms (what the files' single MEAN/ReduceMean
and Keras' 5-D form do) loses digits that sums of 256 terms keep. Measured on the keras.io CycleGAN at 256x256 on
three photographs: against a float64 evaluation, Keras float32 is 1.18e-4 (max), the files as built 4.4e-4, the
two-stage files 9.1e-6 (ONNX) and 2.1e-5 (LiteRT); at 2 threads the ONNX file runs 1.54x faster than as built
(630 -> 410 ms; one stage 402 ms) and the LiteRT one 1.27x (701 -> 554 ms; one stage 563 ms). Each rewritten model is
checked against the original on random inputs before it is used, as the phase rewrites are
(edgegan.export.optimize), and the file's parity is measured at export as for every file.
"""

from __future__ import annotations

import numpy as np


def _per_channel(layer) -> bool:
    channels = layer.input.shape[-1] if hasattr(layer, "input") else None
    return layer.axis in (-1, 3) and (layer.groups == -1 or layer.groups == channels)


def _layer_class():
    import keras
    from keras import ops

    class InstanceNorm4D(keras.layers.Layer):
        """GroupNormalization with one channel per group, in rank-4 ops (see the module docstring)."""

        def __init__(self, gamma, beta, epsilon: float, **kw):
            super().__init__(**kw)
            self.epsilon = float(epsilon)
            self.gamma = self._constant(gamma, "gamma")
            self.beta = self._constant(beta, "beta")

        def _constant(self, value, name):
            if value is None:
                return None
            v = self.add_weight(shape=value.shape, initializer="zeros", trainable=False, name=name)
            v.assign(np.asarray(value, np.float32))
            return v

        def call(self, x):  # x: (N, H, W, C)
            mean = _mean_hw(x)
            centred = x - mean
            var = _mean_hw(ops.square(centred))
            y = centred * ops.rsqrt(var + self.epsilon)
            y = y * self.gamma if self.gamma is not None else y
            return y + self.beta if self.beta is not None else y

    return InstanceNorm4D


def _mean_hw(x):
    """The mean over H and W in two stages, W then H: float32 sums of W and then H terms, not of H*W."""
    from keras import ops

    return ops.mean(ops.mean(x, axis=2, keepdims=True), axis=1, keepdims=True)


def rank4(model):
    """(model', names of the rewritten layers): ``model`` with each one-channel-per-group GroupNormalization as
    InstanceNorm4D, every other layer shared; (model, []) when there is none, the rebuild fails, or the rebuilt
    model differs from the original by more than 1e-4 (relative) on random inputs."""
    import keras

    from edgegan.export.inspect import model_inputs, probe_inputs

    found = [
        layer
        for layer in _leaf_layers(model)
        if isinstance(layer, keras.layers.GroupNormalization) and _per_channel(layer)
    ]
    if not found:
        return model, []
    InstanceNorm4D = _layer_class()

    def clone(layer):
        if layer in found:
            w = {v.path.split("/")[-1]: v.numpy() for v in layer.weights}
            return InstanceNorm4D(w.get("gamma"), w.get("beta"), layer.epsilon, name=f"{layer.name}_rank4")
        return layer  # shared: same weights, same call

    try:
        rebuilt = keras.models.clone_model(model, clone_function=clone, recursive=True)
        x = model_inputs(probe_inputs(model, 4))
        want, got = np.asarray(model(x, training=False)), np.asarray(rebuilt(x, training=False))
    except Exception:  # a rewrite must never break an export that the plain graph completes
        return model, []
    if not np.abs(want - got).max() <= 1e-4 * max(1.0, float(np.abs(want).max())):
        return model, []
    return rebuilt, [layer.name for layer in found]


def _leaf_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _leaf_layers(layer)
        else:
            yield layer
