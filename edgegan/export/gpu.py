"""The GPU at export, measured: each LiteRT file compiled for LiteRT's GPU accelerator and run on the parity inputs.

A static analyzer's "GPU compatible" was wrong for files the accelerator then ran half on the CPU, so nothing
here is a guess: each file is compiled for the GPU alone (edgegan.runtime.compiled, in a child process), and the
manifest entry's ``gpu`` section records what happened: fully on the GPU or the ops that fell back with the
delegate's reason, the output's error against Keras by the file's kind, the device, and whether LiteRT's
``enforce_f32`` option is needed to meet the GPU bound. Without a GPU device it records "not measured".

GPU bounds (formats.BOUNDS["gpu"]): the GPU computes in fp16 on phones (and on lavapipe), so an fp32 or fp16
file's generator must be within 40 dB PSNR of Keras and a discriminator's scores within the int8 agreement
bounds; an int8-class file keeps its own int8 bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgegan import parity
from edgegan.export.formats import BOUNDS
from edgegan.roles import KINDS

NOT_MEASURED = "not measured"


def gpu_bound(role: str, precision: str, score: str | None) -> dict:
    cls = "gpu" if precision in ("fp32", "fp16") else "int8"
    return parity.bound_for(role, cls, score, BOUNDS)


@dataclass(frozen=True)
class Reference:
    """What a role's files are judged against: parity inputs (engine order), Keras outputs, parity options."""

    role: str
    x: list
    y: np.ndarray
    parity_kw: dict


# parity rows measured on the GPU: a software device runs these files a row at a time, about 8 ms a row for the
# seed's discriminator on lavapipe (its 2,000 parity images in 5 files, twice: 160 s of every export); on 128
# images one flipped decision moves agreement 0.8 points, which a 97% bound still resolves
# and no more than about this many picture values in all (the larger of a row's input and output): lavapipe ran
# pix2pix 256's files for over 13 minutes of a 14-minute export at 32 and 128 rows; 4 rows at least
GPU_VALUES, GPU_MIN_ROWS = 128 * 28 * 28, 4


def gpu_rows(ref: Reference) -> int:
    """How many parity rows of ``ref`` run on the GPU (its role's gpu_rows, edgegan.roles; within GPU_VALUES)."""
    per_row = max(int(np.prod(a.shape[1:])) for a in [*ref.x, ref.y])
    return int(min(len(ref.y), KINDS[ref.role].gpu_rows, max(GPU_MIN_ROWS, GPU_VALUES // max(per_row, 1))))


def measure_role(ref: Reference, entries: list[dict], folder: Path, log: Callable[[str], None]) -> None:
    """Add a ``gpu`` section to each LiteRT entry (manifest dicts of files in ``folder``), measured on the GPU:
    in fp16 arithmetic, then, for a file that runs fully on the GPU and misses its bound, with enforce_f32."""
    from edgegan.runtime.compiled import measure_isolated

    files = [e for e in entries if e["format"] == "tflite"]
    if not files:
        return
    # rows spread over the whole parity set: a discriminator's holds generated images first, then real ones
    rows = np.unique(np.linspace(0, len(ref.y) - 1, gpu_rows(ref)).round().astype(int))
    ref = Reference(ref.role, [a[rows] for a in ref.x], ref.y[rows], ref.parity_kw)
    runs, outs = measure_isolated([folder / e["path"] for e in files], ref.x)
    for i, (e, run) in enumerate(zip(files, runs)):
        unmeasured = {"measured": False, "status": NOT_MEASURED, "reason": run.reason}
        e["gpu"] = _judged(ref, e, run, outs.get(str(i))) if run.measured else unmeasured
    retry = [
        i
        for i, e in enumerate(files)
        if e["gpu"]["measured"] and e["gpu"]["fully_accelerated"] and not e["gpu"]["passes"]
    ]
    if retry:
        runs32, outs32 = measure_isolated([folder / files[i]["path"] for i in retry], ref.x, enforce_f32=True)
        for k, (i, run) in enumerate(zip(retry, runs32)):
            f32 = _judged(ref, files[i], run, outs32.get(str(k))) if run.measured else None
            if f32 and f32["passes"]:
                fp16 = {key: files[i]["gpu"][key] for key in ("parity", "figure")}
                files[i]["gpu"] = {**f32, "fp16_arithmetic": fp16}
    for e in files:
        _said(e, log)


def _said(e: dict, log: Callable[[str], None]) -> None:
    gpu = e["gpu"]
    if not gpu["measured"]:
        log(f"  {e['path']}: GPU {NOT_MEASURED} ({gpu['reason']})")
    elif not gpu["fully_accelerated"]:
        log(
            f"  {e['path']}: {gpu['ops_on_cpu']} ops fall back to the CPU on LiteRT's GPU accelerator "
            f"({'; '.join(gpu['fallback'])})"
        )
    elif not gpu["passes"]:
        log(f"  {e['path']}: on LiteRT's GPU {gpu['figure']} misses the GPU bound {gpu['limit']}")


def _judged(ref: Reference, entry: dict, run, y: np.ndarray) -> dict:
    """The ``gpu`` section of one measured file: placement, figures against Keras, the bound."""
    bound = gpu_bound(ref.role, entry["precision"], ref.parity_kw.get("score"))
    fig = parity.figures(ref.role, ref.y, y, **ref.parity_kw)
    figure, limit = parity.headline(ref.role, bound, fig)
    where = run.placement
    return {
        "measured": True,
        "device": where["device"],
        "fully_accelerated": where["fully_accelerated"],
        "ops_on_cpu": where["cpu_ops"] or 0,
        "fallback": where["fallback"],
        "rows": len(ref.y),
        "parity": fig,
        "figure": figure,
        "bound": bound,
        "limit": limit,
        "passes": bool(parity.passes(ref.role, bound, fig) and where["fully_accelerated"]),
        "enforce_f32": run.enforce_f32,
    }
