"""Regenerate the README's benchmark tables and chart on this machine.

    python tools/bench_readme.py [--bundle models/mnist-dcgan] [--runs 200]

1. `edgegan bench` of the shipped (optimized) bundle and of a plain export of the same Keras files
   (--no-optimize), with the Keras original, in one run -> docs/bench.json, docs/bench.png.
2. Cold start of the whole CLI: a new process running `edgegan generate -n 1` (light runtime) against a
   new process that loads the .keras generator with Keras, predicts one image and writes a PNG; wall
   time and peak RSS (os.wait4) over several repetitions, median reported.
The tables go into docs/results.md (and the README's headline) through tools/fill_docs.py --render.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from edgegan import records

ROOT = Path(__file__).resolve().parents[1]
KERAS_SCRIPT = """
import sys, numpy as np, keras
from PIL import Image
g = keras.saving.load_model(sys.argv[1], compile=False)
x = g.predict(np.random.default_rng(0).standard_normal((1, 100)).astype('float32'), verbose=0)
Image.fromarray(np.clip((x[0, ..., 0] + 1) * 127.5, 0, 255).astype('uint8')).save(sys.argv[2])
"""


WRAP = """
import sys, time
kind = sys.argv[1]
if kind == "cli":
    from edgegan.cli import main
    rc = main(sys.argv[2:])
else:
    sys.argv = ["keras-script", *sys.argv[2:]]
    exec(KERAS)
    rc = 0
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print("VmHWM_MB", hwm)
sys.exit(rc)
"""


def run_measured(kind: str, args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of a new Python process: wall time from spawn to exit, peak from
    the process's own VmHWM (ru_maxrss of a forked child would also count this parent's pages)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    code = WRAP.replace("exec(KERAS)", "exec(" + repr(KERAS_SCRIPT) + ")")
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code, kind, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"{kind} {args} failed: {r.stderr[-500:]}")
    return wall, float(r.stdout.strip().splitlines()[-1].split()[1])


def timed(models: dict, z, rounds: int) -> dict:
    from bench_own_gan import timed as alternating  # beside this script, on sys.path when it runs

    return alternating(models, z, rounds)


def ab_table(opt_bundle: Path, plain_bundle: Path, runs: int) -> tuple[str, list]:
    """Optimized vs plain generator, same engine/precision, 1 thread and all cores, interleaved rounds."""
    import edgegan

    z = np.random.default_rng(0).standard_normal((1, 100)).astype(np.float32)
    rows, info = (
        [
            "| engine / precision | threads | plain p50 ms | optimized p50 ms | speed-up |",
            "| --- | --- | --- | --- | --- |",
        ],
        [],
    )
    for backend, precision in (("tflite", "fp32"), ("tflite", "int8"), ("onnx", "fp32"), ("onnx", "int8")):
        for threads in (1, os.cpu_count() or 1):
            # spin=False: two ONNX Runtime sessions alternate here, and the idle one's spinning worker threads
            # would steal the cores of the one being timed (measured: plain fp32 at 2 threads 3.4 ms vs 1.7 ms).
            a = edgegan.load(plain_bundle, backend=backend, precision=precision, threads=threads, spin=False)
            b = edgegan.load(opt_bundle, backend=backend, precision=precision, threads=threads, spin=False)
            # A B, B A rounds (tools/bench_own_gan.timed): A-then-B rounds timed two copies of one file 13% apart
            p50 = timed({"plain": a, "opt": b}, z, rounds=max(2, runs // 20))
            pa, pb = p50["plain"], p50["opt"]
            rows.append(f"| {backend}/{precision} | {threads} | {pa:.3f} | {pb:.3f} | {pa / pb:.2f}x |")
            info.append(
                {
                    "variant": f"{backend}/{precision}",
                    "threads": threads,
                    "plain_ms": pa,
                    "optimized_ms": pb,
                    "speedup": pa / pb,
                }
            )
    return "\n".join(rows), info


def cold_start_table(bundle: Path, reps: int) -> tuple[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        light = [
            run_measured("cli", ["generate", "--model", str(bundle), "-n", "1", "-o", f"{tmp}/a.png"])
            for _ in range(reps)
        ]
        keras = [run_measured("keras", [str(bundle / "generator.keras"), f"{tmp}/b.png"]) for _ in range(reps)]
    lw, lr = np.median([w for w, _ in light]), np.median([r for _, r in light])
    kw, kr = np.median([w for w, _ in keras]), np.median([r for _, r in keras])
    table = (
        "| new process to first PNG | wall time, median | peak RSS | vs Keras |\n| --- | --- | --- | --- |\n"
        f"| `edgegan generate -n 1` (default engine: LiteRT, light tier) | {lw * 1e3:,.0f} ms | {lr:,.0f} MB | "
        f"{lw / kw:.2f}x time, {lr / kr:.2f}x memory |\n"
        f"| Keras: load `generator.keras`, `predict` one image, write PNG | {kw * 1e3:,.0f} ms | {kr:,.0f} MB | 1 |"
    )
    return table, {"light_ms": lw * 1e3, "light_rss_mb": lr, "keras_ms": kw * 1e3, "keras_rss_mb": kr, "reps": reps}


PHASE_TARGETS = {
    "tflite/fp32": 2.0,
    "tflite/int8": 1.8,
}  # the seed: optimized over --no-optimize, every thread count  # the seed: optimized over --no-optimize, every thread count


def _seed_choices() -> str:
    """What the other rewrite choices measured on the seed's LiteRT fp32 file (docs/bench_own_gan_choices.json)."""
    b = records.first(ROOT / "docs" / "bench_own_gan_choices.json")
    row = next((r for r in (b or {}).get("rows", []) if r["fixture"] == "seed" and r["variant"] == "tflite/fp32"
                and r["threads"] == 2), None)  # fmt: skip
    if row is None:
        return ""
    ms = lambda tag: row[f"{tag}_ms"]  # noqa: E731
    return (
        "Fewer, larger ops do not pay: the fused form (one convolution per block, 2.25x the multiply-adds) measured "
        f"{ms('fused-upsample-transposed'):.3f} against the pads form's {ms('pads-upsample-transposed'):.3f} ms, and "
        f"running `conv3` on the phases (k3: 4x its multiply-adds) {ms('pads'):.3f} ms (`tools/bench_own_gan.py "
        "--fixtures seed --choices ...`, 2 threads). "
    )


def phase_targets(path: Path) -> str:
    """One sentence per target of the phase decomposition, met or missed, from the measured A/B, and why from the
    seed's per-layer profile (docs/profile_layers_seed.json)."""
    if not path.is_file():
        return ""
    rows = records.first(path)["rows"]
    parts = []
    for variant, target in PHASE_TARGETS.items():
        got = [r for r in rows if r["variant"] == variant]
        figures = ", ".join(f"{r['speedup']:.2f}x on {r['threads']} thread{'s' * (r['threads'] > 1)}" for r in got)
        verdict = "met" if got and all(r["speedup"] >= target for r in got) else "missed"
        parts.append(f"{variant} >= {target}x: {verdict} ({figures})")
    return (
        "Targets of the phase decomposition: " + "; ".join(parts) + ". " + _seed_why(rows) + "Shipped files use "
        "the `pads` form (each phase convolution carries its own asymmetric zero padding, so no Pad/Slice nodes sit "
        "between the convolutions) except ONNX/ORT int8, which keep the upsample blocks as built (with uint8 "
        "activations on a CPU without VNNI the plain Resize + Conv ran faster), so the onnx/int8 rows compare two "
        "identical graphs."
    )


def _seed_why(rows: list[dict]) -> str:
    """Where the seed's optimized LiteRT fp32 file spends its time, layer by layer, against the whole file."""
    from profile_layers import profiles

    prof = next((p for p in profiles() if p["fixture"] == "seed"), None)
    whole = (
        next((r for r in rows if r["variant"] == "tflite/fp32" and r["threads"] == prof["threads"]), None)
        if prof
        else None
    )
    if not whole:
        return ""
    layers = prof["profiles"]["edgegan/fp32"]
    blocks = [r for r in layers if r["layer"].startswith("phase_")]
    last = [r for r in layers if "gmacs" in r][-1]
    total = sum(r["ms"] for r in layers)
    rates = " and ".join(f"{r['gmacs']:.0f}" for r in blocks)
    return (
        f"Why, from the per-layer profile (`tools/profile_layers.py --fixture seed`, {prof['threads']} threads): the "
        f"phase blocks run at {rates} GMAC/s against a "
        f"{prof['fma_peak_gmacs']:.0f} GMAC/s fp32 FMA peak, the 1-channel `{last['layer']}` at {last['gmacs']:.0f} "
        f"GMAC/s takes {last['ms']:.2f} ms, and the layers alone sum to {total:.2f} of the file's "
        f"{whole['optimized_ms']:.2f} ms: the rest is the interpreter's per-op and thread cost "
        f"({whole['plain_ms'] / PHASE_TARGETS['tflite/fp32']:.2f} ms would be 2x). " + _seed_choices()
    )


def fragments() -> dict[str, str]:
    """docs/results.md's benchmarks: the tables this tool measured (docs/bench.md) and the phase decomposition's
    targets, met or missed, from its A/B record."""
    bench = ROOT / "docs" / "bench.md"
    if not bench.is_file():
        return {"bench": "Not measured yet: `python tools/bench_readme.py`."}
    return {"bench": bench.read_text() + "\n" + phase_targets(ROOT / "docs" / "phase_speedup.json")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", default=str(ROOT / "models" / "mnist-dcgan"))
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--reps", type=int, default=5, help="cold-start repetitions")
    p.add_argument("--no-readme", action="store_true")
    a = p.parse_args()
    from edgegan.bench import bench, chart, format_table, machine
    from edgegan.export.bundle import ExportOptions, export_bundle
    from edgegan.export.formats import select

    bundle = Path(a.bundle)
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    tmpdir = tempfile.TemporaryDirectory()
    plain_dir = Path(tmpdir.name) / "plain"
    print("exporting a plain (unoptimized) bundle for comparison ...", file=sys.stderr)
    export_bundle(
        bundle, plain_dir, select("onnx,tflite", "fp32,int8"), ExportOptions(no_optimize=True, calibration_samples=256)
    )
    rows, info = bench(
        bundle,
        runs=a.runs,
        only=lambda e: e.role == "generator" and e.precision in ("fp32", "int8", "int8-io", "fp16", "dynamic"),
        progress=lambda s: print(s, file=sys.stderr),
    )
    plain_rows, _ = bench(
        plain_dir,
        runs=a.runs,
        keras=False,
        only=lambda e: e.role == "generator",
        progress=lambda s: print(s, file=sys.stderr),
    )
    for r in plain_rows:
        r.bundle = "plain"
    for r in rows:
        r.bundle = r.bundle if r.variant.split("/")[1] == "keras" else "shipped"
    d_rows, _ = bench(
        bundle,
        runs=a.runs,
        keras=True,
        cold=False,
        only=lambda e: e.role == "discriminator" and e.format != "ort",
        progress=lambda s: print(s, file=sys.stderr),
    )
    all_rows = rows + plain_rows
    records.save(docs / "bench.json", {**info, "rows": [asdict(r) for r in all_rows + d_rows]})
    chart(docs / "bench.png", all_rows)
    speed, speed_info = ab_table(bundle, plain_dir, a.runs)
    cold, cold_info = cold_start_table(bundle, a.reps)
    m = machine()
    header = (
        f"Measured by `python tools/bench_readme.py` on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
        f"onnxruntime {m['versions'].get('onnxruntime')}, ai-edge-litert {m['versions'].get('ai-edge-litert')}, "
        f"tensorflow {m['versions'].get('tensorflow-cpu') or m['versions'].get('tensorflow')}; {a.runs} batch-1 runs "
        "after warm-up per file, throughput at batch 32, all cores."
    )
    text = "\n\n".join(
        [
            header,
            "**Generator, every shipped file and the Keras original** (ratios against Keras eager `model(z)`):\n\n"
            + format_table(all_rows),
            "**Exact phase decomposition (`edgegan export` default) against a plain export, same engine and precision,** "
            "batch 1, p50 of interleaved rounds (A B, B A, ...) so both see the same machine state (ONNX Runtime with "
            "thread spinning off, so the idle session's workers do not steal the cores of the timed one):\n\n" + speed,
            "**Discriminator:**\n\n" + format_table(d_rows),
            "**Cold start of the command line** (median of " + str(a.reps) + " new processes):\n\n" + cold,
        ]
    )
    (docs / "bench.md").write_text(text + "\n")
    records.save(docs / "phase_speedup.json", {"rows": speed_info})
    tmpdir.cleanup()
    records.save(docs / "cold_start.json", cold_info)
    print(text)
    if not a.no_readme:  # docs/results.md's bench section and the README's headline, from the records above
        subprocess.run([sys.executable, str(ROOT / "tools" / "fill_docs.py"), "--render"], check=True)


if __name__ == "__main__":
    main()
