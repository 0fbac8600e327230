"""The original's own float error: how far Keras float32 is from the same model evaluated in float64.

A fixed fp32 bound (max |diff| <= 1e-4) refuses correct files of large models: at 256x256 a CycleGAN's float32
Keras output is itself 1e-4 to 5e-4 from float64, and an ONNX or LiteRT file that sums in another order lands a
few times that away, while a wrong file (an epsilon, one weight, a padding mode) lands tens to thousands of times
away, in the mean as well as the max. So the fp32 bound is relative to F = |Keras float32 - Keras float64| on the
parity inputs: a file passes when it meets the fixed bound, or when its max and mean error are both within
FLOOR_MULTIPLE of F's max and mean (edgegan.parity.passes). fp16 files the same way against float16 Keras's own
error from float64 (the ONNX fp16 file of a CycleGAN at 128 is 1.2e-2 from Keras float32, and Keras in float16 is
1.8e-2 from float64). The float64 twin is the model rebuilt from its config
with every float32 dtype policy made float64 and its weights cast; a model that cannot be rebuilt that way (a
subclassed model, a layer that fixes float32 inside) gets no floor, said in the manifest, and the fixed bound alone.
"""

from __future__ import annotations

import numpy as np

FLOOR_MULTIPLE = 8  # correct files of the zoo sit at 3.6-4.4 F (max and mean); broken ones at >= 13 F max or mean


def _retyped(cfg, dtype: str):
    """The config with every float32 dtype (a string, or a DTypePolicy's name) made ``dtype``."""
    if isinstance(cfg, dict):
        out = {}
        for k, v in cfg.items():
            if k == "dtype" and v == "float32":
                out[k] = dtype
            elif k == "dtype" and isinstance(v, dict) and v.get("config", {}).get("name") == "float32":
                out[k] = {**v, "config": {**v["config"], "name": dtype}}
            else:
                out[k] = _retyped(v, dtype)
        return out
    if isinstance(cfg, list):
        return [_retyped(v, dtype) for v in cfg]
    return cfg


def _classes(model) -> dict:
    """Every layer class of ``model`` by the names its config may use (its own, its registered one)."""
    import keras

    out = {}
    for layer in model._flatten_layers(include_self=True):
        cls = type(layer)
        out[cls.__name__] = cls
        out[keras.saving.get_registered_name(cls)] = cls
    return out


def twin(model, dtype: str = "float64"):
    """``model`` rebuilt in ``dtype`` with its weights cast; None when it cannot be (a subclassed model, a custom
    layer whose config or call does not follow the dtype)."""
    import keras

    before = keras.config.dtype_policy()
    try:
        cfg = _retyped(model.get_config(), dtype)
        # layers a user's layer makes in its build() without a dtype (keras.io's AdaIN makes its Dense layers so)
        # take the global policy: float64 while the twin is built (measured: keras.io's StyleGAN generator cannot
        # be rebuilt in float64 otherwise)
        keras.config.set_dtype_policy(dtype)
        with keras.saving.custom_object_scope(_classes(model)):
            out = type(model).from_config(cfg)
        if [tuple(w.shape) for w in out.weights] != [tuple(w.shape) for w in model.weights]:
            return None
        for src, dst in zip(model.weights, out.weights):  # one variable at a time: pix2pix 256's 218 MB of weights
            w = np.asarray(src)  # as one list and its float64 copy left the export process 0.7 GB larger (measured)
            dst.assign(w.astype(dtype) if w.dtype.kind == "f" else w)
    except Exception:  # noqa: BLE001  any failure to rebuild means: no floor for this model, said in the manifest
        return None
    finally:
        keras.config.set_dtype_policy(before)
    return out


DTYPES = {"fp32": "float32", "fp16": "float16"}  # precision class -> the Keras dtype whose own error is its floor


def _run_in(model, run, x: list[np.ndarray], dtype: str) -> np.ndarray | str:
    """``model``'s outputs computed in ``dtype`` by its rebuilt twin, or why they could not be."""
    t = model if dtype == "float32" else twin(model, dtype)
    if t is None:
        return f"the model could not be rebuilt in {dtype} from its config"
    try:
        y = np.asarray(run(t)(*[a.astype(dtype) if a.dtype.kind == "f" else a for a in x]))
    except Exception as e:  # noqa: BLE001
        return f"the {dtype} model did not run ({type(e).__name__})"
    return y if y.dtype == dtype else f"the rebuilt model computes in {y.dtype}, not {dtype}"


def measure(model, run, x: list[np.ndarray], y32: np.ndarray, classes) -> dict:
    """F of ``model`` on the parity inputs ``x`` (Keras float32 outputs ``y32``) for each precision class in
    ``classes`` ("fp32": float32 against float64; "fp16": float16 against float64): {class: {"max_abs",
    "mean_abs", "multiple"} or {"not_measured": why}}. ``run(model)`` gives a function of the inputs (keras_runner)."""
    classes = [c for c in DTYPES if c in classes]
    if not classes:
        return {}
    y64 = _run_in(model, run, x, "float64")
    if isinstance(y64, str):
        return dict.fromkeys(classes, {"not_measured": y64})
    out = {}
    for c in classes:
        y = y32 if c == "fp32" else _run_in(model, run, x, DTYPES[c])
        if isinstance(y, str):
            out[c] = {"not_measured": y}
            continue
        d = np.abs(np.asarray(y, np.float64).reshape(y64.shape) - y64)
        out[c] = {"max_abs": float(d.max()), "mean_abs": float(d.mean()), "multiple": FLOOR_MULTIPLE}
        out[c]["keras_dtype"] = DTYPES[c]  # the Keras computation F measures against float64
    return out
