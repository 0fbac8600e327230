"""The README's "Image to image" speed and scale tables: image-input generators at their published sizes.

    python tools/bench_i2i.py [--fixtures sr,pix2pix,cyclegan] [--rounds 6] [--scale]
    python tools/bench_i2i.py --published [pix2pix,cyclegan,srgan]   # every file: docs/published_i2i.json

Fixtures: tests/zoo_i2i.py with ``published=True`` (SRGAN x4 64 -> 256 with 16 residual blocks; pix2pix's U-Net
at 256x256, 54.4 M parameters; keras.io's CycleGAN ResNet at 256x256 with 9 blocks), seeded random weights.
Plain = `edgegan export --no-optimize` (the graph as `keras.Model.export` gives it: TRANSPOSE_CONV /
ConvTranspose, upsampling as a repeat); edgegan = its default export. int8 files are calibrated on real
photographs that scikit-image ships (skimage.data), fitted to the model's input. Files: LiteRT fp32 and int8,
ONNX Runtime fp32 and int8; batch 1, 2 threads; p50 of rounds alternating plain and edgegan A B, B A in one
process (ONNX Runtime thread spinning off). GMAC/s: the Keras model's multiply-adds over the p50, against this
CPU's fp32 FMA peak (tools/fma_peak.c, as tools/bench_own_gan.py).
--scale: pix2pix 256x256, generator and discriminator, every format and precision, in a child process: wall time
and its peak RSS (ru_maxrss of that child alone, from os.wait4).
Writes docs/bench_i2i.json and docs/bench_i2i.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from edgegan import records

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the fixtures live with the tests that use them
VARIANTS = (("tflite", "fp32"), ("tflite", "int8"), ("onnx", "fp32"), ("onnx", "int8"))
MISSED: dict = {}  # (fixture, bundle kind, file) -> the parity figure that kept it out
FIXTURES = {
    "sr": ("srgan", "SRGAN-style x4 (64 -> 256, 16 residual blocks, 2 upsample + Conv2D)"),
    "pix2pix": ("pix2pix", "pix2pix U-Net 256x256 (Conv2DTranspose k4 s2, Concatenate skips)"),
    "cyclegan": ("cyclegan", "CycleGAN ResNet 256x256 (9 blocks, reflection padding, instance norm)"),
}


def photos(folder: Path) -> Path:
    """scikit-image's colour photographs as PNG files (real pictures without internet)."""
    import skimage.data as data
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for name in (
        "astronaut",
        "chelsea",
        "coffee",
        "rocket",
        "cat",
        "hubble_deep_field",
        "immunohistochemistry",
        "retina",
        "colorwheel",
    ):
        Image.fromarray(getattr(data, name)()[..., :3]).save(folder / f"{name}.png")
    return folder


def macs(model) -> int:
    """Multiply-adds of one batch-1 call (Conv2D, Conv2DTranspose, Dense and edgegan's phase layers)."""
    from bench_own_gan import layer_macs

    return sum(layer_macs(op) for op in model.operations)


def export_cmd(src: Path, out: Path, data: Path, *flags: str) -> list[str]:
    """`edgegan export` of a fixture folder with real pictures for calibration and the test zoo's custom layers."""
    custom = str(ROOT / "tests" / "user_layers.py")
    return [sys.executable, "-m", "edgegan", "export", "--model", str(src), "--out", str(out),
            "--calibration-data", str(data), "--custom-objects", custom, *flags]  # fmt: skip


def export(name: str, folder: Path, data: Path, optimize: bool) -> Path:
    builder = FIXTURES[name][0]
    src = folder / "src"
    if not src.exists():
        import keras
        import zoo_i2i

        keras.utils.set_random_seed(0)  # the same random weights every run
        g, d = getattr(zoo_i2i, builder)(published=True)
        zoo_i2i.save(folder, "src", g, d)
    out = folder / ("edgegan" if optimize else "plain")
    flags = ["--format", "onnx,tflite", "--precision", "fp32,int8", "--calibration-samples", "64"]
    cmd = export_cmd(src, out, data, *flags)
    if not optimize:
        cmd.append("--no-optimize")
    skip = ["discriminator"]
    for _ in range(len(VARIANTS) + 1):  # a file that misses its parity bound is left out and said in the table
        t = time.perf_counter()
        r = subprocess.run([*cmd, "--skip", ",".join(skip)], capture_output=True, text=True)
        print(f"{name}: {out.name} exported in {time.perf_counter() - t:.0f} s (exit {r.returncode})", file=sys.stderr)
        missed = re.search(r"edgegan: error: (\S+): parity (.*) misses .*--skip (\S+) leaves it out", r.stderr)
        if r.returncode == 0 or missed is None:
            break
        MISSED[(name, out.name, missed.group(1))] = missed.group(2)
        skip.append(missed.group(3))
    if r.returncode != 0:
        raise SystemExit(r.stderr[-1500:])
    return out


def timed(calls: dict, rounds: int) -> dict[str, float]:
    """p50 ms per call over rounds alternating A B, B A (as tools/bench_own_gan.py's timed)."""
    times = {k: [] for k in calls}
    for f in calls.values():
        f()
    t = time.perf_counter()
    for f in calls.values():
        f()
    per_round = int(np.clip(0.5 / ((time.perf_counter() - t) / len(calls)), 2, 50))
    for r in range(rounds):
        for k, f in list(calls.items())[:: 1 if r % 2 == 0 else -1]:
            for _ in range(per_round):
                t = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) * 1e3 for k, v in times.items()}


def bench(name: str, folder: Path, data: Path, rounds: int, peak: float | None) -> list[dict]:
    import edgegan
    from edgegan import manifest as mf
    from edgegan.export.custom import import_custom_objects
    from edgegan.export.optimize import optimize
    from edgegan.models import load_keras

    bundles = {"plain": export(name, folder, data, False), "edgegan": export(name, folder, data, True)}
    import_custom_objects([str(ROOT / "tests" / "user_layers.py")])
    G = load_keras(folder / "src" / "generator.keras", "generator")
    rows = []
    for backend, precision in VARIANTS:
        found = {k: mf.load(b).find("generator", backend, precision) for k, b in bundles.items()}
        if not all(found.values()):
            why = {k: MISSED.get((name, k, f"generator.{precision}.{backend}")) for k in bundles}
            rows.append({"fixture": name, "variant": f"{backend}/{precision}", "missed": why})
            print(json.dumps(rows[-1]), file=sys.stderr)
            continue
        entries = {k: v[0] for k, v in found.items()}
        models = {
            k: edgegan.load(b, backend=backend, precision=precision, threads=2, spin=False) for k, b in bundles.items()
        }
        p50 = timed({k: m.example(1) for k, m in models.items()}, rounds)
        form = entries["edgegan"].optimize_form if entries["edgegan"].rewrites else None
        gmac = {"plain": macs(G) / 1e9, "edgegan": macs(optimize(G, form)[0]) / 1e9 if form else macs(G) / 1e9}
        row = {
            "fixture": name,
            "variant": f"{backend}/{precision}",
            "threads": 2,
            "peak_gmacs": peak,
            "rewrites": len(entries["edgegan"].rewrites),
            "form": form,
        }
        row.update({f"{k}_ms": v for k, v in p50.items()} | {f"{k}_gmac": v for k, v in gmac.items()})
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return rows


class TreePeak:
    """The largest sum of resident memory of a process and its descendants, sampled every 0.1 s from /proc (the
    export converts in child processes: edgegan.export.isolated), and each process's share at that moment."""

    def __init__(self, pid: int):
        import threading

        self.pid, self.peak_mb, self.parts, self._done = pid, 0.0, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.1):
            parts = {_role(p): _rss_mb(p) for p in _tree(self.pid)}
            if sum(parts.values()) > self.peak_mb:
                self.peak_mb, self.parts = sum(parts.values()), parts

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _tree(root: int) -> list[int]:
    parents = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += [c for c, pp in parents.items() if pp == pid]
    return out


def _role(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return str(pid)
    return f"converter child {pid}" if "edgegan.export.isolated" in cmd else f"export process {pid}"


def _rss_mb(pid: int) -> float:
    try:
        line = next(ln for ln in Path(f"/proc/{pid}/status").read_text().splitlines() if ln.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0.0
    return int(line.split()[1]) / 1024


def measured(cmd: list[str]) -> dict:
    """Run ``cmd`` (an export): exit status, wall seconds, the largest resident memory of any one process of its
    tree (wait4's ru_maxrss counts the descendants it reaped: here a converter child) and the tree's at any one
    moment (TreePeak), and the tail of its stderr."""
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        tree = TreePeak(p.pid)
        _, status, usage = os.wait4(p.pid, 0)
        tree.stop()
        err.seek(0), out.seek(0)
        tail = err.read()[-600:]
        searched = [ln.strip() for ln in out if "in float" in ln or "leaving out" in ln]  # the keep-float trials
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": time.perf_counter() - t,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # the largest single process of the tree
        "tree_peak_rss_mb": tree.peak_mb,  # the export process and its children together, sampled every 0.1 s
        "tree_peak_parts_mb": tree.parts,  # each process's share at that moment
        "stderr_tail": tail,
        "keep_float_lines": searched,
    }


def scale(folder: Path, data: Path) -> dict:
    """pix2pix 256x256, G and D, every format and precision: wall seconds and the export process's peak RSS."""
    import keras
    import zoo_i2i

    keras.utils.set_random_seed(0)
    g, d = zoo_i2i.pix2pix(published=True)
    src = zoo_i2i.save(folder, "pix2pix-full", g, d)
    params = g.count_params()
    cmd = export_cmd(src, folder / "pix2pix-all", data)
    out = {"generator_params": params, "discriminator_params": d.count_params(), **measured(cmd)}
    manifest = folder / "pix2pix-all" / "manifest.json"
    out["files"] = len(json.loads(manifest.read_text())["files"]) if out["exit"] == 0 else 0
    print(json.dumps(out), file=sys.stderr)
    return out


PUBLISHED = {  # the tutorials' published sizes, exported with --skip none: (builder, export flags)
    "pix2pix": ("pix2pix", []),
    "cyclegan": ("cyclegan", ["--score", "lsgan"]),
    "srgan": ("srgan", []),  # 64 -> 256; its goal is 4 GB
}


def photo_crops(folder: Path, n: int = 48, size: int = 256, seed: int = 0) -> Path:
    """n crops of scikit-image's colour photographs at size x size, for calibration and parity at 256x256 (the
    nine photographs alone leave 4 to calibrate on)."""
    import skimage.data as data
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "retina", "cat", "hubble_deep_field")
    pics = [getattr(data, name)()[..., :3] for name in names]
    for i in range(n):
        a = pics[i % len(pics)]
        s = int(min(a.shape[:2]) * rng.uniform(0.5, 1.0))
        top, left = rng.integers(0, a.shape[0] - s + 1), rng.integers(0, a.shape[1] - s + 1)
        crop = Image.fromarray(a[top : top + s, left : left + s]).resize((size, size), Image.BICUBIC)
        crop.save(folder / f"{i:03d}_{names[i % len(names)]}.png")
    return folder


def published(folder: Path, names: list[str], save, done: dict) -> dict:
    """Each PUBLISHED model at 256x256 (random weights), G and D in every format and precision (--skip none) with
    real photographs: wall time, peak RSS of the export process tree, and every file's parity or why it is
    missing (from the manifest); ``save(rows so far)`` after each model (a long run keeps what it measured)."""
    import keras
    import zoo_i2i

    data = photo_crops(folder / "photos")
    out = dict(done)
    for name in names:
        builder, flags = PUBLISHED[name]
        keras.utils.set_random_seed(0)
        g, d = getattr(zoo_i2i, builder)(published=True)
        src = zoo_i2i.save(folder, name, g, d)
        cmd = export_cmd(src, folder / f"{name}-all", data, "--skip", "none", *flags)
        row = {"generator_params": g.count_params(), "discriminator_params": d.count_params(), **measured(cmd)}
        if row["exit"] == 0:
            m = json.loads((folder / f"{name}-all" / "manifest.json").read_text())
            row["files"] = [_file_row(f) for f in m["files"]]
            row["missing"] = m.get("skipped_reasons", {})
        out[name] = row
        save(out)
        print(json.dumps({k: v for k, v in row.items() if k != "files"}), file=sys.stderr)
    return out


def _file_row(f: dict) -> dict:
    from edgegan import parity

    figure, bound = parity.headline(f["role"], f["tolerance"], f["parity"])
    return {"path": f["path"], "mb": round(f["bytes"] / 1e6, 2), "parity": figure, "bound": bound,
            "float_layers": f.get("float_layers", []), "speed_ms": f.get("speed_ms")}  # fmt: skip


def table(rows: list[dict]) -> str:
    out = [
        "| generator | file | plain export p50 | edgegan p50 | speed-up | edgegan GMAC/s (% of FMA peak) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "missed" in r:
            why = "; ".join(f"{k}: {v}" for k, v in r["missed"].items() if v)
            out.append(f"| {r['fixture']} | {r['variant']} | not exported: missed its parity bound ({why}) | | | |")
            continue
        rate = r["edgegan_gmac"] / (r["edgegan_ms"] / 1e3)
        peak = f" ({100 * rate / r['peak_gmacs']:.0f}%)" if r.get("peak_gmacs") else ""
        form = f"{r['form']} form, {r['rewrites']} blocks rewritten" if r["form"] else "plain graph"
        out.append(
            f"| {r['fixture']} | {r['variant']} ({form}) | {r['plain_ms']:.1f} ms | {r['edgegan_ms']:.1f} ms | "
            f"{r['plain_ms'] / r['edgegan_ms']:.2f}x | {rate:.1f}{peak} |"
        )
    return "\n".join(out)


def mine(path: Path) -> dict:
    """This CPU kind's record in ``path`` ({} when there is none)."""
    from edgegan.bench import machine

    kind = records.cpu_kind(machine())
    return next((r for r in records.load(path) if records.cpu_kind(r.get("machine")) == kind), {})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fixtures", default="sr,pix2pix,cyclegan")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--scale", action="store_true", help="also export pix2pix 256x256 in every format (slow)")
    p.add_argument(
        "--published",
        nargs="?",
        const=",".join(PUBLISHED),
        help="only: pix2pix, CycleGAN 256x256 and SRGAN 64 -> 256 (or those named, comma-separated), every file (slow)",
    )
    p.add_argument("--out", default=str(ROOT / "docs"))
    a = p.parse_args()
    if a.published:
        path = Path(a.out, "published_i2i.json")
        done = mine(path).get("models", {})
        with tempfile.TemporaryDirectory() as tmp:
            published(Path(tmp), a.published.split(","), lambda rows: records.save(path, {"models": rows}), done)
        return
    from bench_own_gan import fma_peak
    from edgegan.bench import machine

    peak = fma_peak(2)
    info: dict = {"machine": machine(), "fma_peak_gmacs_2_threads": peak, "rounds": a.rounds, "rows": []}
    with tempfile.TemporaryDirectory() as tmp:
        data = photos(Path(tmp) / "photos")
        for name in [f for f in a.fixtures.split(",") if f]:
            info["rows"] += bench(name, Path(tmp) / name, data, a.rounds, peak)
        if a.scale:
            info["scale"] = scale(Path(tmp) / "scale", data)
    records.save(Path(a.out, "bench_i2i.json"), info)
    m = info["machine"]
    text = (
        f"Measured by `python tools/bench_i2i.py` on {m['cpu']} ({m['cores']} cores; fp32 FMA peak "
        f"{peak or 0:.0f} GMAC/s at 2 threads), onnxruntime {m['versions'].get('onnxruntime')}, ai-edge-litert "
        f"{m['versions'].get('ai-edge-litert')}; batch 1, 2 threads, p50 of {a.rounds} alternating rounds.\n\n"
        + table(info["rows"])
    )
    if "scale" in info:
        s = info["scale"]
        text += (
            f"\n\npix2pix 256x256 (G {s['generator_params'] / 1e6:.1f} M parameters, D "
            f"{s['discriminator_params'] / 1e6:.1f} M), every format and precision of both: {s['files']} files "
            f"in {s['wall_s'] / 60:.1f} min, peak RSS {s['peak_rss_mb'] / 1024:.2f} GB (exit {s['exit']})."
        )
    Path(a.out, "bench_i2i.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
