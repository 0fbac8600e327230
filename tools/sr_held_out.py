"""The shipped photo super-resolution bundle on the held-out photos: PSNR and SSIM on luminance of its x4 output
against the original, beside bicubic x4 of the same input, for its fp32 and int8 files (light runtime).

    python tools/sr_held_out.py models/photo-sr4 --json models/photo-sr4/held_out.json [--picture docs/photo-sr4.png]

Each held-out photo (edgegan.photo_sr.HELD_OUT_PHOTOS, never trained on) is cropped to a multiple of 4,
downscaled by 4 (Pillow bicubic), and upscaled back by the model (``translate`` at its default tiling) and by
bicubic. PSNR and SSIM on BT.601 luma with a 4-pixel border cropped, the usual convention of SR papers.
``--picture`` writes a before/after strip (nearest x4 of the input | bicubic | model) of one photo's crop.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np
import report

import edgegan
from edgegan import photo_sr as sr
from edgegan import records

ROOT = Path(__file__).resolve().parents[1]
FILES = (("tflite", "fp32"), ("tflite", "int8"), ("onnx", "fp32"), ("onnx", "int8"))


def measure(bundle: Path) -> dict:
    rows, models = [], {f"{b}/{p}": edgegan.load(bundle, backend=b, precision=p, threads=2) for b, p in FILES}
    for name in sr.HELD_OUT_PHOTOS:
        truth = sr.photo(name)
        low = sr.downscale(truth)
        truth = truth[: low.shape[0] * 4, : low.shape[1] * 4]
        row = {"photo": name, "input": list(low.shape[:2]), "bicubic": sr.y_psnr_ssim(sr.bicubic_upscale(low), truth)}
        for key, g in models.items():
            row[key] = sr.y_psnr_ssim(g.translate(low), truth)
        rows.append(row)
    mean = {k: [float(np.mean([r[k][i] for r in rows])) for i in (0, 1)] for k in ("bicubic", *models)}
    return {"photos": rows, "mean": mean, "machine": platform.processor() or platform.machine()}


def table(result: dict) -> str:
    keys = [k for k in result["mean"] if k != "bicubic"]
    head = "| photo | bicubic | " + " | ".join(keys) + " |\n|" + " --- |" * (len(keys) + 2) + "\n"
    cell = lambda v: f"{v[0]:.2f} dB / {v[1]:.3f}"  # noqa: E731
    body = "".join(
        f"| {r['photo']} ({r['input'][1]}x{r['input'][0]} in) | {cell(r['bicubic'])} | "
        + " | ".join(cell(r[k]) for k in keys)
        + " |\n"
        for r in result["photos"]
    )
    m = result["mean"]
    return head + body + "| **mean** | " + cell(m["bicubic"]) + " | " + " | ".join(cell(m[k]) for k in keys) + " |\n"


def strip(bundle: Path, path: Path, name: str = "astronaut", box=(14, 40, 48)) -> None:
    """Before/after: nearest x4 of the input, bicubic x4, the model's int8 LiteRT x4, of one crop."""
    from edgegan.runtime.images import save_png

    y, x, side = box
    low = sr.downscale(sr.photo(name))[y : y + side, x : x + side]
    g = edgegan.load(bundle, backend="tflite", precision="int8")
    parts = [low.repeat(4, 0).repeat(4, 1), sr.bicubic_upscale(low), g.translate(low)]
    gap = np.full((side * 4, 8, 3), 255, np.uint8)
    save_png(np.concatenate([parts[0], gap, parts[1], gap, parts[2]], axis=1), path)


RECORD = ROOT / "models" / "photo-sr4" / "held_out.json"


def fragments() -> dict[str, str]:
    """The README's held-out table of the shipped photo model, with its goals."""
    held = records.first(RECORD)
    if not held:
        return {"photo-sr-held-out": "Not measured yet: `python tools/sr_held_out.py models/photo-sr4`."}
    m = held["mean"]
    gain, lost = m["tflite/fp32"][0] - m["bicubic"][0], m["tflite/fp32"][0] - m["tflite/int8"][0]
    lines = [
        "Held-out photos (never trained on), x4 from their bicubic / 4, PSNR / SSIM on luminance "
        "(`python tools/sr_held_out.py models/photo-sr4`):\n",
        table(held),
        f"- Goal fp32 >= bicubic + 1.0 dB: {report.met(gain >= 1.0)} (+{gain:.2f} dB on the mean; "
        + ", ".join(f"{r['photo']} {r['tflite/fp32'][0] - r['bicubic'][0]:+.2f}" for r in held["photos"])
        + ").",
        f"- Goal LiteRT int8 within 0.3 dB of fp32: {report.met(lost <= 0.3)} ({lost:.2f} dB).",
    ]
    return {"photo-sr-held-out": "\n".join(lines)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--picture", type=Path)
    a = ap.parse_args(argv)
    result = measure(a.bundle)
    print(table(result))
    if a.json:
        a.json.write_text(json.dumps(result, indent=1) + "\n")
        if a.json.resolve() == RECORD:
            report.write(fragments())  # tools/fill_docs.py pastes it into the README
    if a.picture:
        strip(a.bundle, a.picture)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
