"""One converter per format (export tier): each writes one file of a variant from the (rewritten) Keras model and
returns what its conversion adds to the file's manifest entry. ``CONVERTERS[format](job, conv, made)``.

``made`` is the role's memory across files: (format, precision, choice) -> the file made, so an ONNX file of one
rewrite is converted once and its .ort and int8 files start from it; ("rank4", id(model)) -> the form every file
converts from (edgegan.export.instnorm).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from edgegan.export import instnorm, isolated
from edgegan.export import onnx as onnx_export
from edgegan.export import tflite as tflite_export
from edgegan.export.formats import Variant
from edgegan.export.inspect import has_user_layers, leaf_layers


@dataclass
class Conversion:
    """One file to write: its variant, the model it converts (a rewrite ``choice`` of the role's model, or the plain
    one when None), where, its metadata, and the tensors an int8 LiteRT file keeps in float."""

    v: Variant
    model: object
    choice: object
    path: Path
    role: object  # edgegan.export.bundle.Role: io_names, calibration, size
    meta: dict
    nodes: list = field(default_factory=list)

    @property
    def tag(self) -> str:
        return self.choice.tag if self.choice else "plain"


def rank4(model, made: dict) -> tuple:
    """(the form every file converts from, its instance norms): rank-4 ops with two-stage means
    (edgegan.export.instnorm), made once per model."""
    if ("rank4", id(model)) not in made:
        made[("rank4", id(model))] = instnorm.rank4(model)
    return made[("rank4", id(model))]


def _fp32_onnx(job, c: Conversion, model, made: dict) -> Path:
    """The fp32 ONNX file of the conversion's rewrite: made once, the start of its other ONNX and .ort files."""
    fp32 = made.get(("onnx", "fp32", c.choice))
    if fp32 is not None:
        return fp32
    fp32 = job.tmp / f"{c.meta['role']}.fp32.{c.tag}.onnx"
    if not fp32.exists():
        in_name, out_name = c.role.io_names
        onnx_export.keras_to_onnx(model, fp32, in_name, out_name, {**c.meta, "format": "onnx", "precision": "fp32"})
        if job.opts.batch_one:  # one picture per call (the model takes statistics over its batch)
            onnx_export.fixed_shapes(fp32, fp32, 1)
    return fp32


def to_onnx(job, c: Conversion, made: dict) -> dict:
    model, norms = rank4(c.model, made)
    fp32 = _fp32_onnx(job, c, model, made)
    if c.v.precision == "fp32":
        shutil.copy2(fp32, c.path) if fp32 != c.path else None
    elif c.v.precision == "fp16":
        onnx_export.to_fp16(fp32, c.path, c.meta)
    else:
        scheme, keep = c.meta["quantization"], c.meta.get("float_layers", ())
        layers = [layer.name.removesuffix("_rank4") for layer in leaf_layers(model)]
        onnx_export.to_int8_in(isolated.wanted(model), fp32, c.path, c.role.calibration, c.meta, scheme, keep, layers)
    return {"rewrites": norms}


def to_ort(job, c: Conversion, made: dict) -> dict:
    """The .ort file from the ONNX file of the same precision and rewrite (made now when there is none), with fixed
    shapes, as LiteRT's: the phone providers (NNAPI, Core ML) take no node of a dynamic-shape model."""
    model, norms = rank4(c.model, made)
    src = made.get(("onnx", c.v.precision, c.choice))
    if src is None:
        fp32 = _fp32_onnx(job, c, model, made)
        src = job.tmp / f"{c.meta['role']}.{c.v.precision}.{c.tag}.onnx"
        if not src.exists() and c.v.precision == "int8":
            meta = {**c.meta, "format": "onnx"}
            onnx_export.to_int8_in(isolated.wanted(model), fp32, src, c.role.calibration, meta, c.meta["quantization"])
        elif not src.exists():
            shutil.copy2(fp32, src)
    tagged = job.tmp / f"{c.meta['role']}.{c.v.precision}.for-ort.onnx"  # carries the .ort file's own metadata
    onnx_export.retag(src, tagged, c.meta)
    onnx_export.fixed_shapes(tagged, tagged, job.opts.batch, c.role.size)
    onnx_export.to_ort(tagged, c.path)
    return {"checks": onnx_export.mobile_usability(tagged), "rewrites": norms}


def to_tflite(job, c: Conversion, made: dict) -> dict:
    model, norms = rank4(c.model, made)
    in_name = c.role.io_names[0]
    int8 = made.get(("tflite", "int8", c.choice))  # the int8-io file is the int8 one with int8 edges
    # (not for a paired D: modify_model_interface drops the input names that tell its two pictures apart)
    fast = int8 is not None and not isinstance(in_name, dict) and not c.nodes
    if c.v.precision == "int8-io" and fast and tflite_export.int8_io_from_int8(int8, c.path, c.meta):
        return {"rewrites": norms, "unrunnable": tflite_export.runs_alone(c.path)}
    names = in_name if isinstance(in_name, dict) or c.role.size else None
    # A rewritten graph with a user's layer after its blocks: LiteRT's int8 quantizer crashed the export process
    # on one (TensorFlow's CycleGAN generator, zoo.i2i.tf_cyclegan: "scale out of expressed type range",
    # then a segmentation fault). So such a file converts in a child: a crash costs the rewrite only, and the
    # export falls back to the plain graph
    guarded = c.choice is not None and c.v.precision == "int8" and has_user_layers(model)
    child = isolated.wanted(model) or guarded
    tflite_export.keras_to_tflite(
        model, c.path, c.v.precision, job.opts.batch, c.role.calibration, c.meta, names, c.role.size, c.nodes, child
    )
    # an int8 file is run once in a child before the export process loads it (tflite.runs_alone)
    unrunnable = tflite_export.runs_alone(c.path) if c.v.precision in ("int8", "int8-io") else None
    return {"rewrites": norms, "unrunnable": unrunnable}


CONVERTERS = {"onnx": to_onnx, "ort": to_ort, "tflite": to_tflite}
