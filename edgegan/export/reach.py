"""How far an image-input generator looks: its receptive field, read from the layers (export tier).

The runtime tiles a large picture with overlaps of this many input pixels (edgegan/runtime/tiles.py), so
that a tile's edge never reaches an output pixel it keeps. Walked over the graph, each tensor carries
(jump, reach): input pixels per pixel of the tensor, and how many input pixels away a value of it may
depend on. Merges take the largest reach. A layer edgegan cannot bound (a norm over the whole picture,
attention, a custom layer) makes the field unknown (None): the runtime then blends overlaps.
"""

from __future__ import annotations

import math

# Layers that compute each pixel from the same pixel of their inputs (or shift the grid without looking further).
_PER_PIXEL = {
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "BatchNormalization", "Dropout",
    "SpatialDropout2D", "GaussianNoise", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Concatenate", "Rescaling", "Identity", "ZeroPadding2D", "Cropping2D", "InputLayer", "Dense",
}  # fmt: skip
_WINDOWED = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D")


def _pair(v) -> int:
    return int(v[0] if isinstance(v, (list, tuple)) else v)


def _step(layer, jump: float, reach: float) -> tuple[float, float] | None:
    """(jump, reach) after one layer, or None when the layer's reach cannot be bounded."""
    name, c = layer.__class__.__name__, layer.get_config()
    if name in _PER_PIXEL:  # (Dense on a picture mixes the channels of one pixel)
        return jump, reach
    if name == "LayerNormalization" and c.get("axis") in (-1, [-1], 3, [3]):
        return jump, reach
    if name in _WINDOWED:
        k = _pair(c.get("kernel_size") or c.get("pool_size"))
        d = _pair(c.get("dilation_rate", 1))
        s = _pair(c.get("strides") or c.get("pool_size") or 1)
        return jump * s, reach + math.ceil((k - 1) * d / 2) * jump
    if name == "UpSampling2D":
        f = _pair(c["size"])
        return jump / f, reach + (0 if c.get("interpolation") == "nearest" else jump)
    if name == "Conv2DTranspose":
        k, s = _pair(c["kernel_size"]), _pair(c["strides"])
        return jump / s, reach + math.ceil(k / s) * jump
    return None


def receptive_field(model) -> int | None:
    """The largest distance, in input pixels, from an output pixel to an input pixel it depends on; None when a
    layer's reach cannot be bounded."""
    out = _walk(model, [(1.0, 0.0)] * len(model.inputs))
    return None if out is None else math.ceil(max(r for _, r in out) - 1e-9)


def _walk(model, start: list) -> list | None:
    """(jump, reach) of the model's outputs given its inputs'; Sequential and nested models included."""
    if not hasattr(model, "_nodes_by_depth"):  # a Sequential not built as a graph: its layers in order
        state = start[0]
        for layer in model.layers:
            state = _through(layer, [state])
            if state is None:
                return None
            state = state[0]
        return [state]
    seen = {id(t): s for t, s in zip(model.inputs, start)}
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            ins = [seen.get(id(t)) for t in node.input_tensors]
            if not node.input_tensors or any(s is None for s in ins):
                continue  # an input layer's own node, or a branch already unknown
            outs = _through(node.operation, ins)
            if outs is None:
                return None
            for t, s in zip(node.output_tensors, outs * len(node.output_tensors) if len(outs) == 1 else outs):
                seen[id(t)] = s
    if any(id(t) not in seen for t in model.outputs):
        return None
    return [seen[id(t)] for t in model.outputs]


def _through(layer, ins: list) -> list | None:
    if hasattr(layer, "layers") and hasattr(layer, "inputs"):  # a nested model
        return _walk(layer, ins)
    jump, reach = min(j for j, _ in ins), max(r for _, r in ins)
    s = _step(layer, jump, reach)
    return None if s is None else [s]
