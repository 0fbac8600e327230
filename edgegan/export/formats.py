"""The one table of export formats and precisions: it drives CLI choices, dispatch and docs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from edgegan.errors import ConfigError, UsageError

# Parity bounds per precision class (enforced at export, recorded in the manifest, re-checked by verify).
BOUNDS = {
    "fp32": {"max_abs": 1e-4},
    "fp16": {"max_abs": 1e-2},
    # int8: generator PSNR against the fp32 Keras output; discriminator real/fake agreement on decisive
    # images and mean |P error| (edgegan.parity; 0.03 is ~3x the shipped int8 discriminator's 0.011).
    "int8": {"psnr_db": 25.0, "agreement": 0.97, "p_mean_abs": 0.03},
    # an fp32 or fp16 file on LiteRT's GPU accelerator (fp16 arithmetic, as on phones): edgegan.export.gpu
    "gpu": {"psnr_db": 40.0, "agreement": 0.97, "p_mean_abs": 0.03},
}


@dataclass(frozen=True)
class Variant:
    format: str  # onnx | tflite | ort
    precision: str  # fp32 | fp16 | dynamic | int8 | int8-io
    bound: str  # key of BOUNDS
    doc: str

    @property
    def suffix(self) -> str:
        return {"onnx": ".onnx", "tflite": ".tflite", "ort": ".ort"}[self.format]

    def filename(self, role: str, optimized: bool = False) -> str:
        return f"{role}.{self.precision}{'.opt' if optimized else ''}{self.suffix}"


VARIANTS: tuple[Variant, ...] = (
    Variant("onnx", "fp32", "fp32", "ONNX opset 17, float32, dynamic batch"),
    Variant(
        "onnx", "fp16", "fp16", "ONNX with float16 weights and compute, float32 I/O (ONNX Runtime float16 converter)"
    ),
    Variant(
        "onnx",
        "int8",
        "int8",
        "ONNX static QDQ int8 for the `--target` CPU (x86: uint8 activations and 7-bit weights; arm: int8 "
        "activations), weights per channel for G and per tensor for D, calibrated, after quant_pre_process",
    ),
    Variant("tflite", "fp32", "fp32", "LiteRT float32, fixed batch, builtin ops only"),
    Variant("tflite", "fp16", "fp16", "LiteRT float16 weights (dequantized to float32 at load)"),
    Variant("tflite", "dynamic", "int8", "LiteRT dynamic-range int8 weights, float activations"),
    Variant("tflite", "int8", "int8", "LiteRT full int8 (weights and activations), float32 input/output"),
    Variant(
        "tflite", "int8-io", "int8", "LiteRT full int8 with int8 input/output (Edge TPU, NNAPI, other accelerators)"
    ),
    Variant("ort", "fp32", "fp32", "ONNX Runtime Mobile format of the ONNX fp32 file"),
    Variant("ort", "int8", "int8", "ONNX Runtime Mobile format of the ONNX int8 file"),
)
FORMATS = ("onnx", "tflite", "ort")
PRECISIONS = ("fp32", "fp16", "dynamic", "int8", "int8-io")
# Left out on purpose: ONNX dynamic-range int8. onnxruntime's quantize_dynamic turns Conv into
# ConvInteger, which is slow or missing on several CPU builds (docs/design.md, "Toolchain notes"); static QDQ is used.


def _pick(value: str, choices: tuple[str, ...], what: str) -> list[str]:
    if value == "all":
        return list(choices)
    out = []
    for v in value.split(","):
        v = v.strip()
        if v not in choices and not (what == "format" and v == "web"):
            close = difflib.get_close_matches(v, choices, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"unknown {what} {v!r} (choose from {', '.join(choices)} or all){hint}")
        out.append(v)
    return out


def select(format: str = "all", precision: str = "all") -> list[Variant]:
    """Variants for a --format/--precision choice (comma lists and 'all' accepted)."""
    if format == "web":
        format, precision = "onnx", "fp32"  # the web page packages the ONNX fp32 generator
    fmts, precs = _pick(format, FORMATS, "format"), _pick(precision, PRECISIONS, "precision")
    chosen = [v for v in VARIANTS if v.format in fmts and v.precision in precs]
    if not chosen:
        raise ConfigError(
            f"no variant is {format}/{precision}; available: "
            + ", ".join(f"{v.format}/{v.precision}" for v in VARIANTS)
        )
    return chosen


def table_markdown() -> str:
    rows = ["| format | precision | what | parity bound |", "| --- | --- | --- | --- |"]
    for v in VARIANTS:
        b = BOUNDS[v.bound]
        bound = (
            f"max abs diff <= {b['max_abs']:g}, or max and mean within 8x Keras' own {v.bound} error (from float64)"
            if "max_abs" in b
            else f"G PSNR >= {b['psnr_db']:g} dB, D agreement >= {b['agreement']:.0%} (decisive images), mean abs P error <= {b['p_mean_abs']:g}"
        )
        rows.append(f"| {v.format} | {v.precision} | {v.doc} | {bound} |")
    return "\n".join(rows)
