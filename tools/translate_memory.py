"""Peak memory of `edgegan translate` on a phone-sized photo: a 4000x3000 JPEG upscaled x4 (a 16000x12000 PNG).

    python tools/translate_memory.py [--model models/photo-sr4] [--backend tflite --precision int8] [--json F]

The photo is scikit-image's ``retina`` resized to 4000x3000 (bicubic) and saved as JPEG, so it decodes as a
photo does. `edgegan translate` runs in a child process; its peak resident memory comes from os.wait4
(ru_maxrss). Goal: peak <= the output's own size (16000 x 12000 x 3 bytes, 576 MB) + 300 MB. Also printed:
the same command on a 64x64 picture (the process's own floor: Python, numpy, the engine) and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import report

from edgegan import records

ROOT = Path(__file__).resolve().parent.parent
GOAL_EXTRA_MB = 300


def photo_jpeg(path: Path, w: int, h: int) -> None:
    from PIL import Image

    from edgegan.photo_sr import photo

    Image.fromarray(photo("retina")).resize((w, h), Image.BICUBIC).save(path, quality=92)


def peak_mb(cmd: list[str]) -> tuple[float, float, str]:
    """(peak RSS in MB, wall seconds, stderr) of one child process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    err = p.stderr.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {err.strip()[-300:]}")
    return usage.ru_maxrss / 1024, time.perf_counter() - t0, err


RECORD = ROOT / "docs" / "translate_memory.json"


def fragments() -> dict[str, str]:
    """The README's memory line: the peak of one large translate against the output's own size."""
    mem = records.first(RECORD)
    if not mem:
        return {
            "photo-sr-memory": "Not measured yet: `python tools/translate_memory.py --json docs/translate_memory.json`."
        }
    ok = mem["over_output_mb"] <= mem["goal_over_output_mb"]
    return {
        "photo-sr-memory": (
            f"- Memory (`tools/translate_memory.py`): `edgegan translate` of a {mem['input']} to a {mem['output']} "
            f"peaks at {mem['peak_rss_mb']:.0f} MB RSS, {mem['over_output_mb']:.0f} MB over the output's own "
            f"{mem['output_mb']:.0f} MB (goal <= {mem['goal_over_output_mb']}: {report.met(ok)}), "
            f"in {mem['seconds']:.0f} s with {mem['file']}."
        )
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "photo-sr4"))
    ap.add_argument("--backend", default="tflite")
    ap.add_argument("--precision", default="int8")
    ap.add_argument("--size", default="4000x3000")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "photo.jpg", Path(tmp) / "small.jpg"
        photo_jpeg(big, w, h)
        photo_jpeg(small, 64, 64)
        base = [sys.executable, "-m", "edgegan", "translate", "--model", a.model, "--backend", a.backend]
        base += ["--precision", a.precision, "--threads", "2", "-o", str(Path(tmp) / "out")]
        floor, _, _ = peak_mb([*base, str(small)])
        peak, seconds, _ = peak_mb([*base, str(big)])
        out_mb = w * 4 * h * 4 * 3 / 2**20
        result = {
            "input": f"{w}x{h} JPEG",
            "output": f"{w * 4}x{h * 4} PNG",
            "file": f"{a.backend}/{a.precision}",
            "output_mb": round(out_mb, 1),
            "peak_rss_mb": round(peak, 1),
            "over_output_mb": round(peak - out_mb, 1),
            "goal_over_output_mb": GOAL_EXTRA_MB,
            "small_picture_peak_mb": round(floor, 1),
            "seconds": round(seconds, 1),
            "output_mp_per_s": round(w * h * 16 / 1e6 / seconds, 2),
            "png_bytes": (Path(tmp) / "out" / "photo.png").stat().st_size,
        }
    print(json.dumps(result))
    if a.json:
        a.json.write_text(json.dumps(result, indent=1) + "\n")
        if a.json.resolve() == RECORD:
            report.write(fragments())  # tools/fill_docs.py pastes it into the README
    return 0 if result["over_output_mb"] <= GOAL_EXTRA_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
