"""Speed of the shipped photo super-resolution bundle: output megapixels per second of a 1-megapixel input.

    python tools/bench_sr.py [--bundle models/photo-sr4] [--rounds 3] [--json docs/bench_sr.json]

A 1000x1000 photo (16 output megapixels) through ``translate`` at 2 threads, for each LiteRT file at
tile sizes 64 (the shipped files), 128 and 256 (the same .keras exported again at that --input-size into a
temporary folder) and for each ONNX file (any size) at tiles of 128, 256 and 512. Beside them the plain
export of the same generator (``edgegan export --no-optimize``, LiteRT at 64). Every case runs once per
round, the order reversed each round (A B ... B A), best round reported. Goal: the shipped LiteRT int8 file
>= 0.5 output MP/s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import report

import edgegan
from edgegan import records
from edgegan.photo_sr import photo

ROOT = Path(__file__).resolve().parent.parent

GOAL_MP_S = 0.5


def export(bundle: Path, out: Path, size: int, extra=()) -> Path:
    """The bundle's .keras generator again as LiteRT fp32 and int8 at ``size`` (calibrated on the same crops)."""
    src = bundle / "generator.keras"
    calib = out.parent / f"calibration-{size}.npz"
    if not calib.exists():
        from edgegan.photo_sr import calibration_crops

        np.savez_compressed(calib, images=calibration_crops(size=4 * size))
    cmd = [sys.executable, "-m", "edgegan", "export", "--generator", str(src), "--output-range", "0,1"]
    cmd += ["--input-size", f"{size},{size}", "--format", "tflite", "--precision", "fp32,int8"]
    cmd += ["--calibration-data", str(calib), "--out", str(out), *extra]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out


def cases(bundle: Path, tmp: Path) -> dict:
    """name -> (bundle, backend, precision, tile)"""
    out = {}
    for size, b in ((64, bundle), (128, export(bundle, tmp / "t128", 128)), (256, export(bundle, tmp / "t256", 256))):
        for p in ("fp32", "int8"):
            out[f"edgegan tflite/{p} tile {size}"] = (b, "tflite", p, None)
    for p in ("fp32", "int8"):
        for t in (128, 256, 512):
            out[f"edgegan onnx/{p} tile {t}"] = (bundle, "onnx", p, t)
    plain = export(bundle, tmp / "plain", 64, ["--no-optimize"])
    for p in ("fp32", "int8"):
        out[f"plain tflite/{p} tile 64"] = (plain, "tflite", p, None)
    return out


RECORD = ROOT / "docs" / "bench_sr.json"


def fragments() -> dict[str, str]:
    """The README's speed line (the shipped file against its goal) and docs/results.md's every file and tile."""
    bench = records.first(RECORD)
    if not bench:
        todo = "Not measured yet: `python tools/bench_sr.py --json docs/bench_sr.json`."
        return {"photo-sr-speed": todo, "photo-sr-bench": todo}
    rows = {r["case"]: r for r in bench["rows"]}
    best = max(bench["rows"], key=lambda r: r["output_mp_per_s"])
    mp = rows["edgegan tflite/int8 tile 64"]["output_mp_per_s"]
    speed = (
        f"- Speed (`tools/bench_sr.py`, 1 MP in, 16 MP out, 2 threads): the shipped LiteRT int8 file "
        f"{mp:.2f} output MP/s (goal >= {GOAL_MP_S}: {report.met(mp >= GOAL_MP_S)}); fastest "
        f"{best['case'].removeprefix('edgegan ')} {best['output_mp_per_s']:.2f} MP/s "
        "([every file and tile; memory; HTTP load](docs/results.md#photo-super-resolution))."
    )
    res = ["| file and tile | seconds | output MP/s |", "| --- | --- | --- |"]
    res += [f"| {r['case']} | {r['seconds']:.2f} | {r['output_mp_per_s']:.2f} |" for r in bench["rows"]]
    res.append(
        f"\n{bench['input']}, {bench['threads']} threads, best of {bench['rounds']} rounds in alternating order "
        "(`python tools/bench_sr.py`). The plain export is the same graph: an any-size model is exported as "
        "built (its phase rewrite needs one size)."
    )
    return {"photo-sr-speed": speed, "photo-sr-bench": "\n".join(res)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", type=Path, default=ROOT / "models" / "photo-sr4")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    from PIL import Image

    pic = np.asarray(Image.fromarray(photo("retina")).resize((1000, 1000), Image.BICUBIC))
    with tempfile.TemporaryDirectory() as tmp:
        spec = cases(a.bundle, Path(tmp))
        models = {k: (edgegan.load(b, backend=be, precision=p, threads=2), t) for k, (b, be, p, t) in spec.items()}
        for g, t in models.values():
            g.translate(pic[:64, :64], tile=t)  # warm up
        best = {k: float("inf") for k in models}
        names = list(models)
        for r in range(a.rounds):
            for k in names if r % 2 == 0 else names[::-1]:
                g, t = models[k]
                t0 = time.perf_counter()
                g.translate(pic, tile=t)
                best[k] = min(best[k], time.perf_counter() - t0)
    rows = [{"case": k, "seconds": round(s, 3), "output_mp_per_s": round(16.0 / s, 2)} for k, s in best.items()]
    result = {
        "input": "1000x1000 (retina photo), x4 -> 16 MP",
        "threads": 2,
        "rounds": a.rounds,
        "goal": f"edgegan tflite/int8 tile 64 (shipped) >= {GOAL_MP_S} output MP/s",
        "rows": rows,
    }
    for r in rows:
        print(f"{r['case']:32s} {r['seconds']:7.2f} s  {r['output_mp_per_s']:6.2f} output MP/s")
    if a.json:
        records.save(a.json, result)
        if a.json.resolve() == RECORD:
            report.write(fragments())  # tools/fill_docs.py pastes them into the docs
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
