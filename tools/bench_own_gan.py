"""The README's "Your own GAN" table: each fixture generator, plain export against edgegan's optimized export.

    python tools/bench_own_gan.py [--fixtures seed,tf_tutorial,kerasio,kerasgan,functional] [--choices C,..] [--rounds 10]

Fixtures: tests/zoo.py at the published widths (``published=True``), seeded random weights and BatchNorm
statistics, and "seed": the shipped models/mnist-dcgan files against a plain export of its generator.keras.
Plain = `edgegan export --no-optimize`: the graph as Keras builds it, with the same ops that
`keras.Model.export(format="litert" / "onnx")` gives a user (TRANSPOSE_CONV / ConvTranspose, upsampling as
RESIZE / Resize); optimized = `edgegan export` with its defaults (the rewrite in the form auto_form picks
per file). With --choices, one bundle per rewrite choice (edgegan.export.optimize.Choice tags: "pads,split,fused";
"pads,pads-upsample-transposed" for the carry against none) instead, for choosing auto_form: written to
docs/bench_own_gan_choices.json (docs/bench_own_gan_forms.json is an earlier run of "pads,split,fused", AMD EPYC).
Peers (with the default export): every plain file, OpenVINO's CPU runtime on the plain ONNX fp32 file
(`pip install openvino`: a measurement-only dependency, not edgegan's) and edgegan's files, all alternating.
Files: LiteRT fp32 and int8, ONNX Runtime fp32 and int8 (x86 target); batch 1 at 1 and 2 threads; p50 of
rounds alternating between the bundles in one process (ONNX Runtime thread spinning off).
GMAC/s: the Keras model's multiply-adds (Dense, Conv2D, Conv2DTranspose) over the p50 time, against this
CPU's fp32 FMA peak at the same thread count, measured by tools/fma_peak.c (needs a C compiler).
Writes docs/bench_own_gan.json and docs/bench_own_gan.md (tools/readme_tables.py puts the table into the README).
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

import numpy as np

from edgegan import records

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the fixtures live with the tests that use them
VARIANTS = (("tflite", "fp32"), ("tflite", "int8"), ("onnx", "fp32"), ("onnx", "int8"))
NAMES = {
    "seed": "seed MNIST (the shipped models/mnist-dcgan files; upsample + Conv2D k3, 28x28x1)",
    "tf_tutorial": "TF tutorial (Sequential, 3 Conv2DTranspose k5, 28x28x1)",
    "kerasio": "keras.io (functional, 3 Conv2DTranspose k4 s2, 64x64x3)",
    "kerasgan": "Keras-GAN (nested Sequential, 2 upsample + Conv2D k3, 32x32x3)",
    "functional": "functional 30x30 (upsample + Conv2D k5, bilinear, valid conv)",
}


def fma_peak(threads: int) -> float | None:
    """GMAC/s of fp32 FMA at ``threads`` threads (tools/fma_peak.c), or None without a C compiler."""
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "fma_peak"
        cmd = ["cc", "-O3", "-march=native", "-fopenmp", str(ROOT / "tools" / "fma_peak.c"), "-o", str(exe)]
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            return None
        runs = [
            float(
                subprocess.run(
                    [exe], capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)}
                ).stdout.split()[0]
            )
            for _ in range(3)
        ]
    return max(runs)


def layer_macs(layer) -> int:
    """Multiply-adds of one batch-1 call of a layer built in a graph: Dense, Conv2D, Conv2DTranspose and edgegan's
    phase layers (the convolutions they run: fewer than the Keras layer's for upsample+conv, as many for
    transposed); 0 for the rest."""
    from keras import layers as L

    plan = getattr(layer, "plan", None)
    if plan is not None:
        return sum(plan.rows.groups * plan.cols.groups * int(np.prod(k.shape)) for k in layer.kernels)
    if isinstance(layer, L.Dense):
        return int(np.prod(layer.kernel.shape))
    if isinstance(layer, L.Conv2DTranspose):  # every input pixel meets every tap
        return int(np.prod(layer.input.shape[1:3])) * int(np.prod(layer.kernel.shape))
    if isinstance(layer, L.Conv2D):  # every output pixel meets every tap
        return int(np.prod(layer.output.shape[1:3])) * int(np.prod(layer.kernel.shape))
    return 0


def macs(model) -> int:
    """Multiply-adds of one batch-1 forward pass of ``model`` (any Keras form)."""
    from edgegan.export.inspect import flat_chain

    return sum(layer_macs(layer) for layer in flat_chain(model).layers[1:])


def export_pair(name: str, folder: Path, choices: list[str]) -> tuple[dict[str, Path], object]:
    """The fixture's bundles: {"plain": ..., "edgegan": ...} (or one per rewrite choice), and its Keras model."""
    import zoo
    from edgegan.export.bundle import ExportOptions, export_bundle
    from edgegan.export.formats import select
    from edgegan.models import load_keras

    shipped = ROOT / "models" / "mnist-dcgan"
    g_path = shipped if name == "seed" else zoo.save(name, folder / "src", published=True)[0]
    variants = select("onnx,tflite", "fp32,int8")
    kinds = {"plain": {"optimize": False}}
    kinds.update({c: {"optimize_form": c} for c in choices} if choices else {"edgegan": {}})
    bundles = {"edgegan": shipped} if name == "seed" and not choices else {}  # the files users get, as shipped
    for kind, kw in kinds.items():
        if kind in bundles:
            continue
        t = time.perf_counter()
        export_bundle(g_path, folder / kind, variants, ExportOptions(skip=frozenset({"discriminator"}), **kw))
        print(f"{name}: {kind} bundle exported in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        bundles[kind] = folder / kind
    return bundles, load_keras(shipped / "generator.keras" if name == "seed" else g_path, "generator")


def timed(models: dict, z: np.ndarray, rounds: int) -> dict[str, float]:
    """p50 ms per model over ``rounds`` rounds, the models alternating round by round, in reversed order every
    other round (A B, B A, ...: two copies of one file timed as A, B showed B 13% slower at 2 threads); a round
    is at least 10 calls and about 50 ms of each model (a 0.1 ms model gets 500: thread wake-ups are noisy)."""
    times = {k: [] for k in models}
    t = time.perf_counter()
    for m in models.values():
        for _ in range(5):
            m.generate(z)
    per_call = (time.perf_counter() - t) / (5 * len(models))
    per_round = int(np.clip(0.05 / per_call, 10, 500))
    for r in range(rounds):
        for k, m in list(models.items())[:: 1 if r % 2 == 0 else -1]:
            for _ in range(per_round):
                t = time.perf_counter()
                m.generate(z)
                times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) * 1e3 for k, v in times.items()}


class OpenVino:
    """OpenVINO's CPU runtime on an ONNX file (a peer a user would pick: measurement only, not an edgegan engine):
    latency hint, ``threads`` inference threads, fp32 inference precision (a CPU with AMX would pick bf16)."""

    def __init__(self, path: Path, threads: int):
        import openvino as ov

        core = ov.Core()
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32"}
        self.request = core.compile_model(str(path), "CPU", config).create_infer_request()

    def generate(self, z: np.ndarray) -> np.ndarray:
        return self.request.infer([z])[0]


def peers(bundles: dict, z: np.ndarray, rounds: int, threads: int) -> dict[str, float]:
    """p50 ms of every file a user could run instead, alternating with edgegan's files: the plain export on LiteRT
    and ONNX Runtime (fp32, int8), OpenVINO on the plain ONNX fp32 file (when installed), edgegan's four files."""
    import edgegan
    from edgegan import manifest as mf

    models = {}
    for kind in ("plain", "edgegan"):
        for backend, precision in VARIANTS:
            b = bundles[kind]
            models[f"{kind} {backend}/{precision}"] = edgegan.load(
                b, backend=backend, precision=precision, threads=threads, spin=False
            )
    try:
        path = mf.load(bundles["plain"]).find("generator", "onnx", "fp32")[0].path
        models["openvino onnx/fp32"] = OpenVino(bundles["plain"] / path, threads)
    except ImportError:
        print("openvino is not installed: its row is left out (pip install openvino)", file=sys.stderr)
    return timed(models, z, rounds)


KINDS_TRIED = (
    ("upsample", "transposed", "carry"),
    ("upsample", "transposed", "carry5"),
    ("upsample", "transposed"),
    ("transposed", "carry"),
    ("transposed",),
    ("upsample",),
)


def as_exported(keras_model, entry):
    """The Keras graph a file was converted from (for its multiply-adds): the model as built, or the rewrite whose
    blocks and carried convolutions are the ones the file's manifest entry lists (an error when none is)."""
    from edgegan.export import carry
    from edgegan.export.optimize import optimize

    if not entry.optimized:
        return keras_model
    for kinds in KINDS_TRIED:
        model, rewrites, _ = optimize(keras_model, entry.optimize_form, kinds)
        if rewrites == entry.rewrites and carry.carried(model) == entry.carried:
            return model
    raise RuntimeError(f"{entry.path}: no rewrite of the Keras model gives its blocks {entry.rewrites}")


def form_of(entry) -> str | None:
    """The rewrite a file's manifest entry records: its form, "+carry" when a layer after a block ran on phases."""
    if not entry.optimized:
        return None
    return entry.optimize_form + ("+carry" if entry.carried else "")


def bench_fixture(name: str, bundles: dict, keras_model, rounds: int, peaks: dict) -> list[dict]:
    """Rows of plain-vs-edgegan per file and thread count, and of edgegan's ONNX fp32 vs int8 (alternating too)."""
    import edgegan
    from edgegan import manifest as mf

    z = np.random.default_rng(0).standard_normal((1, keras_model.inputs[0].shape[1])).astype(np.float32)
    rows = []
    load = lambda b, backend, precision, t: edgegan.load(b, backend=backend, precision=precision, threads=t, spin=False)  # noqa: E731
    files = {}  # per variant: each bundle's form and multiply-adds (a rewrite per file, made once, not per thread count)
    for backend, precision in VARIANTS:
        entries = {k: mf.load(b).find("generator", backend, precision)[0] for k, b in bundles.items()}
        files[backend, precision] = {f"{k}_form": form_of(e) for k, e in entries.items()} | {
            f"{k}_gmac": macs(as_exported(keras_model, e)) / 1e9 for k, e in entries.items()
        }
    for threads in sorted({1, os.cpu_count() or 1}):
        for backend, precision in VARIANTS:
            p50 = timed({k: load(b, backend, precision, threads) for k, b in bundles.items()}, z, rounds)
            row = {"fixture": name, "variant": f"{backend}/{precision}", "threads": threads}
            row |= {k: v for k, v in files[backend, precision].items() if k.endswith("_gmac")}
            row["peak_gmacs"] = peaks.get(threads)
            row |= {f"{k}_ms": v for k, v in p50.items()}
            row |= {k: v for k, v in files[backend, precision].items() if k.endswith("_form")}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
        if "edgegan" in bundles:  # ONNX Runtime int8 against fp32, edgegan's own files, alternating; the peers
            b = bundles["edgegan"]
            p50 = timed({p: load(b, "onnx", p, threads) for p in ("fp32", "int8")}, z, rounds)
            rows.append({"fixture": name, "variant": "onnx int8 vs fp32", "threads": threads, **p50})
            rows.append({"fixture": name, "variant": "peers", "threads": threads, **peers(bundles, z, rounds, threads)})
            print(json.dumps(rows[-2:]), file=sys.stderr)
    return rows


def table(rows: list[dict]) -> str:
    out = [
        "| generator | file | threads | plain export p50 | edgegan p50 | speed-up | edgegan GMAC/s (% of FMA peak) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "plain_ms" not in r:
            continue
        plain, opt = r["plain_ms"], r["edgegan_ms"]
        rate = r["edgegan_gmac"] / (opt / 1e3)
        peak = f" ({100 * rate / r['peak_gmacs']:.0f}%)" if r.get("peak_gmacs") else ""
        form = r.get("edgegan_form") or "plain graph"
        out.append(
            f"| {NAMES[r['fixture']].split(' (')[0]} | {r['variant']} ({form}) | {r['threads']} | {plain:.3f} ms | "
            f"{opt:.3f} ms | {plain / opt:.2f}x | {rate:.1f}{peak} |"
        )
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fixtures", default="seed,tf_tutorial,kerasio,kerasgan,functional")
    p.add_argument("--choices", default="", help="one bundle per rewrite choice instead of the default export")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--out", default=str(ROOT / "docs"))
    a = p.parse_args()
    from edgegan.bench import machine
    from edgegan.manifest import package_versions

    peaks = {t: fma_peak(t) for t in sorted({1, os.cpu_count() or 1})}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.fixtures.split(","):
            bundles, g = export_pair(name, Path(tmp) / name, [c for c in a.choices.split(",") if c])
            rows += bench_fixture(name, bundles, g, a.rounds, peaks)
    m = machine()
    info = {
        "machine": m,
        "fma_peak_gmacs": peaks,
        "rounds": a.rounds,
        "openvino": package_versions(("openvino",)).get("openvino"),
        "rows": rows,
    }
    suffix = "_choices" if a.choices else ""
    records.save(Path(a.out, f"bench_own_gan{suffix}.json"), info)
    if a.choices:
        return
    peak = ", ".join(f"{v:.0f} GMAC/s at {t} thread(s)" for t, v in peaks.items() if v) or "not measured"
    text = (
        f"Measured by `python tools/bench_own_gan.py` on {m['cpu']} ({m['cores']} cores; fp32 FMA peak measured "
        f"by tools/fma_peak.c: {peak}), "
        f"onnxruntime {m['versions'].get('onnxruntime')}, ai-edge-litert {m['versions'].get('ai-edge-litert')}; "
        f"batch 1, p50 of {a.rounds} alternating rounds.\n\n" + table(rows)
    )
    Path(a.out, "bench_own_gan.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
