"""An int8 LiteRT file that meets its bound by itself: the fewest of its worst layers kept in float.

When a full-int8 file misses its bound (keras.io's CycleGAN: its instance norms square and average activations
whose int8 steps are coarse), the layers are ranked by what int8 loses in each (edgegan.export.tflite.
int8_layer_errors: TensorFlow's QuantizationDebugger, per-op RMSE / scale on the calibration rows, the worst op of
each Keras layer) and the first k of that ranking are left in float by the converter's own denylist
(``QuantizationDebugOptions.denylisted_nodes``), k found by doubling and then bisection, each trial exported and
measured through the light runtime like every file. Measured on the test zoo's CycleGAN (random weights, 32x32):
full int8 21.5 dB; its first two instance norms in float 25.8 dB, all of them 29.0, every layer 38.9.

ONNX int8 files the same way: the same ranking (the same Keras layers, the same calibration rows), limited to the
layers whose ops the ONNX int8 file quantizes, left in float by ONNX Runtime's ``nodes_to_exclude``.

Tool choice: the converter's denylist through the QuantizationDebugger, because it is the converter edgegan
already runs (Keras' LiteRT export) and it measures per-layer error itself; the AI Edge Quantizer is not a
dependency. ONNX Runtime's own qdq_loss_debug would rank ONNX nodes by their activation error, but it keeps
every intermediate activation of every row (gigabytes at 256x256); the one ranking serves both formats.
"""

from __future__ import annotations

from collections.abc import Callable

from edgegan.runtime import make_engine
from edgegan.runtime.fastest import choose


def search(ranked: list[tuple], trial: Callable[[list], tuple], log) -> tuple:
    """(entry, shown) of the file with the fewest of ``ranked``'s first layers in float that meets its bound, or
    (None, the last figure) when even all of them do not. ``trial(keep)`` exports and measures one file (None on a
    miss, its file removed); k doubles until a pass, then bisects between the last miss and the pass."""
    if not ranked:
        return None, "no layer to keep in float"
    miss, k, best = 0, 1, None
    while best is None:
        k = min(k, len(ranked))
        entry, shown = trial(ranked[:k])
        log(f"    {k} layer(s) in float: {shown}")
        if entry is not None:
            best = (k, entry, shown)
        elif k == len(ranked):
            return None, shown
        else:
            miss, k = k, 2 * k
    last_passed = True
    while best[0] - miss > 1:
        mid = (miss + best[0]) // 2
        entry, shown = trial(ranked[:mid])
        log(f"    {mid} layer(s) in float: {shown}")
        last_passed = entry is not None
        best, miss = ((mid, entry, shown), miss) if last_passed else (best, mid)
    if not last_passed:  # the last trial removed its file: write the best one again
        best = (best[0], *trial(ranked[: best[0]]))
    return best[1], best[2]


def folded_into(model, name: str, kept: set) -> str | None:
    """``name``, or the layer a converter folded it into (a batch norm: the convolution feeding it), walking back
    through single inputs to the first layer among ``kept`` (those with nodes in the file); None if there is none.
    Measured on the SRGAN-style model (tools/zoo/i2i.py, 64 -> 256): 33 of its 43 convolutions carry a folded batch
    norm, ranked under the norm's name; without this, its ONNX int8 file with every other layer in float still
    missed its bound (23.8 dB)."""
    from edgegan.export.inspect import leaf_layers

    layers = {layer.name: layer for layer in leaf_layers(model)}
    for _ in range(len(layers)):
        if name in kept or name not in layers:
            return name if name in kept else None
        inbound = getattr(layers[name].input, "_keras_history", None)
        if inbound is None:
            return None
        name = inbound.operation.name
    return None


def speeds(entry: dict, stage, made: dict, role, v) -> dict:
    """Median ms of this file against the full-int8 file that missed and the fp32 file of its format (when made),
    batch 1, in alternating rounds (edgegan.runtime.fastest.choose)."""
    files = {
        "this file": (stage / entry["path"]).read_bytes(),
        "full int8": made.get(("missed", v.format, v.precision)),
    }
    fp32 = next((p for k, p in made.items() if len(k) == 3 and k[:2] == (v.format, "fp32")), None)
    files["fp32"] = fp32.read_bytes() if fp32 is not None and fp32.exists() else None
    calls = {}
    for name, data in files.items():
        if data is not None:
            engine = make_engine(data, v.format, f"{name}{v.suffix}")
            x = [a[: engine.batch or 1] for a in role.x_ref]
            calls[name] = lambda e=engine, x=x: e.run(*x)
    return {k: round(ms, 3) for k, ms in choose(calls).items()}
