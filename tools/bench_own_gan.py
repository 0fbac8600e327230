"""The README's "Your own GAN" table: each fixture generator, plain export against edgegan's optimized export.

    python tools/bench_own_gan.py [--fixtures seed,tf_tutorial,kerasio,kerasgan,functional] [--choices C,..] [--rounds 10]

Fixtures: tools/zoo/dcgan.py at the published widths (``published=True``), seeded random weights and BatchNorm
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
Writes docs/bench_own_gan.json and its fragments (tools/report.py; tools/fill_docs.py pastes them into the docs).
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
import report

from edgegan import records

ROOT = Path(__file__).resolve().parents[1]
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
    from edgegan.export.bundle import ExportOptions, export_bundle
    from edgegan.export.formats import select
    from edgegan.models import load_keras
    from zoo import dcgan as zoo

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


# Speed-up goals of edgegan's export over a plain export (batch 1, 2 threads): (fixture, file) -> least ratio
OWN_GAN_GOALS = {
    ("seed", "tflite/fp32"): 2.0,
    ("seed", "tflite/int8"): 1.8,
    ("kerasio", "tflite/fp32"): 3.0,
    ("kerasio", "tflite/int8"): 1.5,
    ("kerasio", "onnx/fp32"): 1.3,
    ("tf_tutorial", "tflite/fp32"): 1.15,
    ("tf_tutorial", "tflite/int8"): 1.15,
}

KERASIO_INT8_GOAL = 2.0  # keras.io: edgegan's ONNX Runtime int8 file over the plain ONNX fp32 file  # keras.io: edgegan's ONNX Runtime int8 file over the plain ONNX fp32 file
NOISE = 0.95  # a ratio under 1 by less than this is run-to-run noise here, not a slower file  # a ratio under 1 by less than this is run-to-run noise here, not a slower file
INT8_GOAL = 1.3  # ONNX Runtime int8 over ONNX Runtime fp32, edgegan's files, 2 threads  # ONNX Runtime int8 over ONNX Runtime fp32, edgegan's files, 2 threads


def _verdict(ratio: float, goal: float | None) -> str:
    if goal:
        return f">= {goal}x: {'met' if ratio >= goal else 'missed'}"
    return "" if ratio >= NOISE else "slower"


def own_gan_rows(rows: list[dict], threads: int | None) -> list[str]:
    out = [
        "| generator | file (edgegan form) | threads | plain export | edgegan | speed-up | goal | edgegan GMAC/s (of peak) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "plain_ms" not in r or (threads is not None and r["threads"] != threads):
            continue
        ratio = r["plain_ms"] / r["edgegan_ms"]
        goal = OWN_GAN_GOALS.get((r["fixture"], r["variant"])) if r["threads"] > 1 else None
        rate = r["edgegan_gmac"] / (r["edgegan_ms"] / 1e3)
        peak = f" ({100 * rate / r['peak_gmacs']:.0f}%)" if r.get("peak_gmacs") else ""
        out.append(
            f"| {report.SHORT[r['fixture']]} | {r['variant']} ({r.get('edgegan_form') or 'as built'}) | {r['threads']} | "
            f"{r['plain_ms']:.2f} ms | {r['edgegan_ms']:.2f} ms | {ratio:.2f}x | {_verdict(ratio, goal)} | "
            f"{rate:.1f}{peak} |"
        )
    return out


def _engine(key: str) -> str:
    """ "plain tflite/fp32" -> "LiteRT fp32" (the file names of bench_own_gan's peer rows, as the tables say them)."""
    what = key.split(" ", 1)[-1]
    for a, b in (("tflite/", "LiteRT "), ("onnx/", "ORT ")):
        what = what.replace(a, b)
    return what


def _goals(fixture: str, rows: list[dict], peers: dict) -> str:
    """Every goal of one generator at 2 threads, with its figure: "LiteRT fp32 3.59x (>= 3.0x: met); ..."."""
    out = []
    for r in rows:
        goal = OWN_GAN_GOALS.get((fixture, r["variant"]))
        if goal and "plain_ms" in r:
            ratio = r["plain_ms"] / r["edgegan_ms"]
            out.append(f"{_engine(r['variant'])} {ratio:.2f}x ({_verdict(ratio, goal)})")
        if r["variant"] == "onnx int8 vs fp32" and fixture == "seed":
            ratio = r["fp32"] / r["int8"]
            out.append(f"ORT int8 vs ORT fp32 {ratio:.2f}x ({_verdict(ratio, INT8_GOAL)})")
    if fixture == "kerasio" and peers:
        ratio = peers["plain onnx/fp32"] / peers["edgegan onnx/int8"]
        out.append(f"ORT int8 vs plain ORT fp32 {ratio:.2f}x ({_verdict(ratio, KERASIO_INT8_GOAL)})")
    slower = [_engine(r["variant"]) for r in rows if "plain_ms" in r and r["plain_ms"] / r["edgegan_ms"] < NOISE]
    out.append(f"slower than plain: {', '.join(slower)}" if slower else "no file slower than plain")
    return "; ".join(out)


def _versus(times: dict, precision: str = "") -> tuple[str, str, str]:
    """(edgegan's fastest file, the fastest other file, how they compare), among files of ``precision`` ("" any)."""
    ours = min((k for k in times if k.startswith("edgegan ") and precision in k), key=times.get)
    peer = min((k for k in times if not k.startswith("edgegan ") and precision in k), key=times.get)
    ratio = times[peer] / times[ours]
    who = "OpenVINO fp32" if peer.startswith("openvino") else f"plain {_engine(peer)}"
    beat = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
    return f"{_engine(ours)}: {times[ours]:.2f} ms", f"{who}: {times[peer]:.2f} ms", beat


def peer_rows(rows: list[dict]) -> list[str]:
    """Per generator at 2 threads: edgegan's fastest file against the fastest file a user could run instead (the
    plain export on LiteRT or ONNX Runtime, or OpenVINO on the plain ONNX file), all timed alternating, at any
    precision and at fp32 alone; and the goals of that generator."""
    out = [
        "| generator | edgegan's fastest file | fastest peer | edgegan vs that peer | fp32 only: edgegan vs the fastest fp32 peer | goals: edgegan vs plain |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    two = [r for r in rows if r["threads"] >= 2]
    for r in two:
        if r["variant"] != "peers":
            continue
        times = {k: v for k, v in r.items() if k not in ("fixture", "variant", "threads")}
        ours, peer, beat = _versus(times)
        ours32, peer32, beat32 = _versus(times, "fp32")
        goals = _goals(r["fixture"], [x for x in two if x["fixture"] == r["fixture"]], times)
        out.append(
            f"| {report.SHORT[r['fixture']]} | {ours} | {peer} | {beat} | {ours32} against {peer32}, {beat32} | {goals} |"
        )
    return out


def fragments() -> dict[str, str]:
    """The README's peers table with the goals and the misses explained, and docs/results.md's every file, from
    docs/bench_own_gan.json (each CPU kind recorded) and the profiles that explain the misses."""
    kinds = records.load(ROOT / "docs" / "bench_own_gan.json")
    if not kinds:
        return {"own-gan": "Not measured yet: `python tools/bench_own_gan.py`.", "own-gan-bench": ""}
    b = kinds[0]
    m, rows = b["machine"], b["rows"]
    peaks = ", ".join(f"{v:.0f} GMAC/s on {t} thread(s)" for t, v in b["fma_peak_gmacs"].items() if v)
    features = ", ".join(m.get("features", [])) or "features not recorded"
    head = (
        f"Measured by `python tools/bench_own_gan.py` on {m['cpu']} ({m['cores']} cores, {features}; fp32 FMA peak "
        f"measured by `tools/fma_peak.c`: {peaks}), onnxruntime {m['versions'].get('onnxruntime')}, ai-edge-litert "
        f"{m['versions'].get('ai-edge-litert')}, openvino {b.get('openvino') or 'not installed'}: the shipped seed "
        "files and each fixture generator of `tools/zoo/dcgan.py` at its published widths (random weights), against a plain "
        "export (`--no-optimize`: the ops `keras.Model.export` gives, TRANSPOSE_CONV / ConvTranspose and Resize); "
        f"batch 1, p50 of {b['rounds']} rounds (each at least 10 calls and about 50 ms) alternating A B, B A in one "
        "process. GMAC/s counts the multiply-adds each file runs, against the fp32 FMA peak (int8 files can pass it)."
    )
    peers = "\n".join(peer_rows(rows))
    misses = _misses_text()
    short = (
        f"Speed, batch 1, 2 threads, on {m['cpu']} ({features}): edgegan's files against a plain export (`--no-optimize`, "
        "what `keras.Model.export` gives) and the runtimes a user would pick instead, alternating A B, B A in one "
        "process (`python tools/bench_own_gan.py`; every file, 1 thread, GMAC/s against the FMA peak and per-layer "
        "profiles: [docs/results.md](docs/results.md#your-own-gan-speed-of-the-rewrite)):"
    )
    readme = "\n\n".join([short, peers, misses])
    others = [_other_kind(k) for k in kinds[1:]] + [_avx2_forms(ROOT / "docs" / "bench_own_gan_forms.json")]
    results = "\n\n".join([head, peers, misses, "\n".join(own_gan_rows(rows, None)), *others])
    results = results.replace("](docs/results.md#", "](#").replace("](docs/", "](")  # links from inside docs/
    return {"own-gan": readme, "own-gan-bench": results}


def _other_kind(b: dict) -> str:
    """Another CPU kind's run of tools/bench_own_gan.py, recorded beside the first (docs/bench_own_gan.json)."""
    return "\n\n".join(
        [f"**The same on {report.cpu(b['machine'])}** (its own run):", "\n".join(peer_rows(b["rows"])),
         "\n".join(own_gan_rows(b["rows"], None))]
    )  # fmt: skip


def _avx2_forms(path: Path) -> str:
    """The AVX2-only CPU kind (AMD EPYC, no VNNI), from the one run made there: tools/bench_own_gan.py --choices
    pads,split,fused (docs/bench_own_gan_forms.json). Its pads form is the default export's form."""
    b = records.first(path)
    if not b:
        return ""
    rows = [r for r in b["rows"] if r["threads"] == 2 and r["fixture"] in ("kerasio", "tf_tutorial")]
    gm = lambda r, k: r["gmac"] / r[k] * 1e3  # noqa: E731  GMAC/s
    cells = [
        f"| {report.SHORT[r['fixture']]} | {r['variant']} | {r['plain_ms']:.2f} | {r['pads_ms']:.2f} | "
        f"{r['plain_ms'] / r['pads_ms']:.2f}x | {gm(r, 'pads_ms'):.0f} |"
        for r in rows
    ]
    peak = b["fma_peak_gmacs"].get("2") or b["fma_peak_gmacs"].get(2)
    return "\n".join(
        [
            f"**On the AVX2-only kind** ({b['machine']['cpu']}, {b['machine']['cores']} cores, AVX2 + FMA, no VNNI; "
            f"fp32 FMA peak {peak:.0f} GMAC/s at 2 threads), the one run made there (`tools/bench_own_gan.py --choices "
            f"pads,split,fused`, p50 of {b['rounds']} alternating rounds, 2 threads; edgegan = the pads form, the default "
            "export's before the carry was added; `docs/bench_own_gan_forms.json`):",
            "",
            "| fixture | file | plain ms | edgegan ms | ratio | edgegan GMAC/s |",
            "| --- | --- | --- | --- | --- | --- |",
            *cells,
            "",
            "There, int8 LiteRT convolutions run at about the fp32 rate (keras.io: int8 "
            f"{gm(_forms_row(rows, 'kerasio', 'tflite/int8'), 'pads_ms'):.0f} GMAC/s, fp32 "
            f"{gm(_forms_row(rows, 'kerasio', 'tflite/fp32'), 'pads_ms'):.0f}, peak {peak:.0f}): without 8-bit dot-product "
            "instructions an int8 file gains little over fp32 or over the plain int8 file, so the int8 goals (keras.io "
            '>= 1.5x, TF tutorial >= 1.15x over plain) are missed there, and `precision="fastest"` picks per device. '
            "Not measured on that kind: per-layer profiles, the seed fixture and ONNX Runtime int8 over fp32 (no such "
            "machine was at hand after that run).",
        ]
    )


def _forms_row(rows: list[dict], fixture: str, variant: str) -> dict:
    return next(r for r in rows if (r["fixture"], r["variant"]) == (fixture, variant))


def _own_row(fixture: str, variant: str) -> dict:
    """One file's row at 2 threads from tools/bench_own_gan.py (plain_ms, edgegan_ms, ...)."""
    b = records.first(ROOT / "docs" / "bench_own_gan.json") or {"rows": []}
    return next(r for r in b["rows"] if (r["fixture"], r["variant"], r["threads"]) == (fixture, variant, 2))


def _plain_over(fixture: str, variant: str) -> float:
    r = _own_row(fixture, variant)
    return r["plain_ms"] / r["edgegan_ms"]


def _misses_text() -> str:
    """The goals missed, explained by the profiles: the seed's LiteRT files and the TF tutorial's ORT fp32 file."""
    from profile_layers import profiles
    from profile_ort import interleave

    out = []
    seed = next((p for p in profiles() if p["fixture"] == "seed"), None)
    if seed:
        layers, peak = seed["profiles"]["edgegan/fp32"], seed["fma_peak_gmacs"]
        blocks = [r for r in layers if r["layer"].startswith("phase_")]
        rates = " and ".join(f"{r['gmacs']:.0f}" for r in blocks)
        out.append(
            f"Seed, LiteRT fp32 (per-layer profile): its phase blocks, at 7x7 and 14x14 inputs, run at {rates} GMAC/s "
            f"({100 * min(r['gmacs'] for r in blocks) / peak:.0f}-{100 * max(r['gmacs'] for r in blocks) / peak:.0f}% "
            f"of the {peak:.0f} GMAC/s fp32 FMA peak), the 1-channel last convolution at "
            f"{[r for r in layers if 'gmacs' in r][-1]['gmacs']:.0f}, and the layers alone sum to "
            f"{sum(r['ms'] for r in layers):.2f} ms of the file's {_own_row('seed', 'tflite/fp32')['edgegan_ms']:.2f}: per-op and thread cost is the rest; "
            "fewer, larger ops and carrying the last convolution measured slower "
            "([docs/results.md](docs/results.md#benchmarks))."
        )
    tft, kio = ROOT / "docs" / "profile_ort_tf_tutorial_fp32.md", ROOT / "docs" / "profile_ort_kerasio_fp32.md"
    if tft.is_file():
        out.append(
            f"TF tutorial, ONNX Runtime fp32, {_plain_over('tf_tutorial', 'onnx/fp32'):.2f}x the plain file (2 threads, "
            f"`tools/profile_ort.py`): {interleave(tft)}: at 7x7 and "
            "14x14 ONNX Runtime's ConvTranspose is nearly as fast as ordinary convolutions, and it has no convolution "
            "that writes its output interleaved."
        )
    if kio.is_file():
        out.append(f"keras.io, the same profile: {interleave(kio)}.")
    out.append(
        "ONNX Runtime int8 over fp32 was measured on this CPU only (with VNNI); the CPU kind without it is not at hand."
    )
    return " ".join(out)


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
    if Path(a.out) == ROOT / "docs":
        report.write(fragments())  # tools/fill_docs.py pastes them into the README and docs/results.md
    print(table(rows))


if __name__ == "__main__":
    main()
