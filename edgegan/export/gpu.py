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


def measure_role(ref: Reference, entries: list[dict], folder: Path, log: Callable[[str], None]) -> None:
    """Add a ``gpu`` section to each LiteRT entry (manifest dicts of files in ``folder``), measured on the GPU."""
    from edgegan.runtime.compiled import measure_isolated

    files = [e for e in entries if e["format"] == "tflite"]
    if not files:
        return
    runs, outs = measure_isolated([folder / e["path"] for e in files], ref.x)
    for i, (e, run) in enumerate(zip(files, runs)):
        if not run.measured:
            e["gpu"] = {"measured": False, "status": NOT_MEASURED, "reason": run.reason}
            continue
        e["gpu"] = _judged(ref, e, run, outs.get(str(i)), outs.get(f"{i}_f32"))
        where = run.placement
        if not where["fully_accelerated"]:
            log(
                f"  {e['path']}: {where['cpu_ops']} ops fall back to the CPU on LiteRT's GPU accelerator "
                f"({'; '.join(where['fallback'])})"
            )
        elif not e["gpu"]["passes"]:
            log(f"  {e['path']}: on LiteRT's GPU {e['gpu']['figure']} misses the GPU bound {e['gpu']['limit']}")
    reasons = {e["gpu"].get("reason") for e in files if not e["gpu"]["measured"]}
    if reasons:
        log(f"  GPU: {NOT_MEASURED} ({'; '.join(sorted(r for r in reasons if r))})")


def _judged(ref: Reference, entry: dict, run, y: np.ndarray | None, y_f32: np.ndarray | None) -> dict:
    """The ``gpu`` section of one measured file: placement, figures against Keras, the bound, enforce_f32."""
    bound = gpu_bound(ref.role, entry["precision"], ref.parity_kw.get("score"))
    fig = parity.figures(ref.role, ref.y, y, **ref.parity_kw)
    ok, f32 = parity.passes(ref.role, bound, fig), False
    section: dict = {}
    if not ok and y_f32 is not None:
        fig32 = parity.figures(ref.role, ref.y, y_f32, **ref.parity_kw)
        if parity.passes(ref.role, bound, fig32):
            section["fp16_arithmetic"] = {"parity": fig, "figure": parity.headline(ref.role, bound, fig)[0]}
            fig, ok, f32 = fig32, True, True
    figure, limit = parity.headline(ref.role, bound, fig)
    where = run.placement
    section.update(
        measured=True,
        device=where["device"],
        fully_accelerated=where["fully_accelerated"],
        ops_on_cpu=where["cpu_ops"] or 0,
        fallback=where["fallback"],
        parity=fig,
        figure=figure,
        bound=bound,
        limit=limit,
        passes=ok and where["fully_accelerated"],
        enforce_f32=f32,
    )
    return section
