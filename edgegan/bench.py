"""``edgegan bench``: latency, throughput, cold start, peak memory and size of every file of a
bundle, and of the Keras original in the same run when TensorFlow is installed.

Timings: warm-up runs first, then ``runs`` timed calls of batch 1 (p50/p90/p99), then a timed
loop at the larger batch (images/s). Cold start and peak memory come from a fresh Python
process that loads the file and makes one output (wall time to first output, ru_maxrss).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgegan import manifest as mf


@dataclass
class BenchRow:
    variant: str  # role/format/precision
    file: str
    bytes: int
    threads: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    images_per_s: float
    throughput_batch: int
    cold_start_ms: float | None
    peak_rss_mb: float | None
    bundle: str = ""
    optimized: bool = False


# CPU features that decide which file is fastest (int8 dot products, matrix tiles), as /proc/cpuinfo names them
FEATURES = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX-512 VNNI",
    "avx_vnni": "AVX-VNNI",
    "amx_int8": "AMX",
}


def machine() -> dict:
    cpu, flags = platform.processor() or "", set()
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), cpu)
        flags = set(next((ln.split(":", 1)[1].split() for ln in lines if ln.startswith(("flags", "Features"))), []))
    except OSError:
        pass
    vers = mf.package_versions(("numpy", "onnxruntime", "ai-edge-litert", "tensorflow", "tensorflow-cpu", "keras"))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "features": [name for flag, name in FEATURES.items() if flag in flags],
        "machine": platform.machine(),
        "python": platform.python_version(),
        "versions": vers,
    }


def _time(fn: Callable[[], object], runs: int, warmup: int) -> np.ndarray:
    for _ in range(warmup):
        fn()
    t = np.empty(runs)
    for i in range(runs):
        s = time.perf_counter()
        fn()
        t[i] = time.perf_counter() - s
    return t * 1e3


_COLD = """
import resource, sys, time
t0 = float(sys.argv[1])
import numpy as np
kind, path = sys.argv[2], sys.argv[3]
if kind == "keras":
    import keras
    m = keras.saving.load_model(path, compile=False)
    x = [np.zeros((1, *t.shape[1:]), "int32" if "int" in str(t.dtype) else np.float32) for t in m.inputs]
    m.predict(x if len(x) > 1 else x[0], verbose=0)
else:
    import edgegan
    m = edgegan.load(path, role=sys.argv[4], backend=sys.argv[5], precision=sys.argv[6], threads=int(sys.argv[7]) or None,
                     accelerator=sys.argv[8] or None)
    m.example(1)()
dt = time.time() - t0
try:  # VmHWM: this program's own peak (ru_maxrss of a forked child also counts the parent's pages)
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
except (OSError, StopIteration):
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(dt * 1e3, hwm)
"""


def cold_start(args: list[str]) -> tuple[float, float]:
    """(ms from process start to first output, peak RSS MB) of a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _COLD, repr(time.time()), *args], capture_output=True, text=True, timeout=300
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    ms, rss = out.stdout.split()[-2:]
    return float(ms), float(rss)


def bench(
    bundle: str | Path,
    batch: int = 32,
    runs: int = 200,
    threads: int | None = None,
    keras: bool = True,
    cold: bool = True,
    only: Callable[[mf.FileEntry], bool] | None = None,
    progress: Callable[[str], None] = lambda s: None,
    accelerator: str | None = None,
) -> tuple[list[BenchRow], dict]:
    """Time each file of ``bundle``; with ``accelerator`` ("gpu", "gpu,cpu", "cpu"), its LiteRT files through
    LiteRT's CompiledModel API on that accelerator (a software GPU's times are not a phone's: label them)."""
    import edgegan

    m = mf.load(bundle)
    threads = threads or os.cpu_count() or 1
    rows, device = [], None
    entries = [e for e in m.files if (only is None or only(e)) and (accelerator is None or e.format == "tflite")]
    at = f"@{accelerator}" if accelerator else ""
    for k, e in enumerate(entries, 1):
        progress(f"[{k}/{len(entries)}] {e.path}")
        model = edgegan.load(
            m.root, role=e.role, backend=e.format, precision=e.precision, threads=threads, accelerator=accelerator
        )
        device = device or getattr(getattr(model.engine, "placement", None), "device", None)
        one, many = model.example(1, k), model.example(batch, k)  # inputs of the model's own kind
        lat = _time(one, runs, warmup=max(10, runs // 10))
        tb = _time(many, max(5, runs // 20), warmup=2)
        args = [e.format, str(m.root), e.role, e.format, e.precision, str(threads), accelerator or ""]
        c = cold_start(args) if cold else (None, None)
        rows.append(
            BenchRow(
                f"{e.role}/{e.format}/{e.precision}{at}",
                e.path,
                e.bytes,
                threads,
                *(float(np.percentile(lat, q)) for q in (50, 90, 99)),
                batch / (float(np.median(tb)) / 1e3),
                batch,
                *c,
                bundle=Path(bundle).name,
                optimized=e.optimized,
            )
        )
    if keras:
        rows += _bench_keras(m, batch, runs, cold, progress, roles={e.role for e in entries} or set(mf.ROLES))
    info = {"bundle": str(bundle), "runs": runs, "batch": batch, "machine": machine()}
    return rows, {**info, "accelerator": accelerator, "device": device} if accelerator else info


def _labels(n: int, classes: int, rng) -> np.ndarray | None:
    return rng.integers(0, classes, n).astype(np.int32) if classes else None


def _bench_keras(m: mf.Manifest, batch: int, runs: int, cold: bool, progress, roles: set[str]) -> list[BenchRow]:
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("keras") is None:
        return []
    if m.contract.source is not None:  # Keras rows time latent models only (an image model may need user layers)
        progress("[keras] skipped: an image-input bundle")
        return []
    if m.contract.signature.extra:  # a map, noise (GauGAN, StyleGAN): their sources need the user's layers
        progress(f"[keras] skipped: a generator of {', '.join(m.contract.signature.names)}")
        return []
    from edgegan.export.bundle import keras_runner
    from edgegan.models import load_keras

    rows = []
    rng = np.random.default_rng(0)
    for role in [r for r in ("generator", "discriminator") if r in roles]:
        path = m.root / f"{role}.keras"
        if not path.is_file():
            continue
        progress(f"[keras] {path.name}")
        model = load_keras(path, role)
        shape = (m.latent_size,) if role == "generator" else m.image_shape
        run = keras_runner(model, chunk=batch)  # labels go in the model's own input order
        x1 = [rng.standard_normal((1, *shape)).astype(np.float32), *([_labels(1, m.classes, rng)] if m.classes else [])]
        xb = [rng.standard_normal((batch, *shape)).astype(np.float32)]
        xb += [_labels(batch, m.classes, rng)] if m.classes else []
        # The Keras original as a notebook runs it: eager call in inference mode.
        lat = _time(lambda x=x1, run=run: run(*x), max(20, runs // 4), warmup=10)
        tb = _time(lambda x=xb, run=run: run(*x), max(5, runs // 20), warmup=2)
        c = cold_start(["keras", str(path)]) if cold else (None, None)
        rows.append(
            BenchRow(
                f"{role}/keras/fp32",
                path.name,
                path.stat().st_size,
                os.cpu_count() or 1,
                *(float(np.percentile(lat, q)) for q in (50, 90, 99)),
                batch / (float(np.median(tb)) / 1e3),
                batch,
                *c,
            )
        )
    return rows


def format_table(rows: list[BenchRow], ratios: bool = True) -> str:
    """Markdown table; with ``ratios``, each variant against the Keras original of its role."""
    keras = {r.variant.split("/")[0]: r for r in rows if "/keras/" in r.variant}
    multi = len({r.bundle for r in rows if r.bundle}) > 1
    head = ["variant", "size MB", "p50 ms", "p90 ms", "p99 ms", "img/s @B", "cold start ms", "peak RSS MB"]
    if ratios and keras:
        head += ["speed-up p50", "cold x", "memory x", "size x"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in rows:
        cells = [
            (f"{r.variant} ({r.bundle})" if multi and r.bundle else r.variant) + (" [opt]" if r.optimized else ""),
            f"{r.bytes / 1e6:.2f}",
            f"{r.p50_ms:.3f}",
            f"{r.p90_ms:.3f}",
            f"{r.p99_ms:.3f}",
            f"{r.images_per_s:,.0f} @{r.throughput_batch}",
            "-" if r.cold_start_ms is None else f"{r.cold_start_ms:,.0f}",
            "-" if r.peak_rss_mb is None else f"{r.peak_rss_mb:,.0f}",
        ]
        k = keras.get(r.variant.split("/")[0])
        if ratios and keras:
            if k is None:
                cells += ["-"] * 4
            else:
                cells += [
                    f"{k.p50_ms / r.p50_ms:.1f}x",
                    "-" if not (r.cold_start_ms and k.cold_start_ms) else f"{r.cold_start_ms / k.cold_start_ms:.2f}",
                    "-" if not (r.peak_rss_mb and k.peak_rss_mb) else f"{r.peak_rss_mb / k.peak_rss_mb:.2f}",
                    f"{r.bytes / k.bytes:.2f}",
                ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: str | Path, rows: list[BenchRow], info: dict) -> None:
    from edgegan.runtime.images import atomic_write

    atomic_write(
        path, lambda tmp: Path(tmp).write_text(json.dumps({**info, "rows": [asdict(r) for r in rows]}, indent=2) + "\n")
    )


def chart(path: str | Path, rows: list[BenchRow]) -> None:
    """PNG: batch-1 p50 latency and file size per variant (needs matplotlib)."""
    from edgegan.errors import require

    matplotlib = require("matplotlib", "train")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edgegan.runtime.images import atomic_write

    rows = [r for r in rows if r.variant.startswith("generator/")] or rows
    names = [r.variant.split("/", 1)[1] + (f" ({r.bundle})" if r.bundle == "plain" else "") for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 0.35 * len(rows) + 1.5), dpi=100, sharey=True)
    a.barh(names, [r.p50_ms for r in rows], color="#3b7dd8")
    a.set_xscale("log")
    a.set_xlabel("generator batch-1 latency p50, ms (log)")
    b.barh(names, [r.bytes / 1e6 for r in rows], color="#e08a2c")
    b.set_xlabel("file size, MB")
    a.invert_yaxis()
    for ax in (a, b):
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
