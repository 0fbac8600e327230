"""Per-layer LiteRT profile of a fixture generator, plain and as edgegan rewrites it: where the time goes.

    python tools/profile_layers.py [--fixture kerasio|seed|tf_tutorial|kerasgan] [--precision fp32,int8] [--threads 2] [--json PATH]

LiteRT's Python API has no op profiler, so each layer of the flat chain (tools/zoo/dcgan.py at the published widths,
seeded random weights) is converted alone, as a one-layer model with a batch-1 input of its real shape,
and timed (median of 20 invokes after one warm-up). int8 models are calibrated on that layer's real inputs
(the activations of 64 latents), and each carries its own float input quantize and output dequantize, so
the int8 figures slightly overstate a layer inside a whole int8 file. GMAC/s uses each layer's own
multiply-adds (bench_own_gan.layer_macs: Dense, Conv2D, Conv2DTranspose, and the convolutions a phase layer runs).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import report

from edgegan import records

ROOT = Path(__file__).resolve().parents[1]


def profile(model, precision: str, threads: int, latent: np.ndarray) -> list[dict]:
    import keras
    from ai_edge_litert.interpreter import Interpreter

    from bench_own_gan import layer_macs
    from edgegan.export.tflite import keras_to_tflite

    rows, x = [], latent
    with tempfile.TemporaryDirectory() as tmp:
        for layer in model.layers[1:]:
            x_in, x = x, layer(x).numpy()
            inp = keras.Input(x_in.shape[1:])
            path = Path(tmp) / f"{layer.name}.tflite"
            keras_to_tflite(keras.Model(inp, layer(inp)), path, precision, 1, x_in if precision != "fp32" else None, {})
            it = Interpreter(model_content=path.read_bytes(), num_threads=threads)
            it.allocate_tensors()
            it.set_tensor(it.get_input_details()[0]["index"], x_in[:1])
            it.invoke()
            times = []
            for _ in range(20):
                t = time.perf_counter()
                it.invoke()
                times.append(time.perf_counter() - t)
            ms = float(np.median(times)) * 1e3
            ops = sorted({o["op_name"] for o in it._get_ops_details()} - {"DELEGATE", "QUANTIZE", "DEQUANTIZE"})
            macs = layer_macs(layer)
            rows.append(
                {"layer": layer.name, "in": list(x_in.shape[1:]), "out": list(x.shape[1:]), "ms": ms, "ops": ops}
                | ({"gmacs": macs / ms / 1e6} if macs else {})
            )
    return rows


def profiles() -> list[dict]:
    """Every fixture's recorded profile (docs/profile_layers_*.json), the first CPU kind's of each."""
    return [records.first(p) for p in sorted((ROOT / "docs").glob("profile_layers_*.json"))]


def slowest_text() -> str:
    """The slowest layer of each fixture's edgegan LiteRT files, from the per-layer profiles: the next targets."""
    parts, threads, peak = [], None, None
    for prof in profiles():
        threads, peak = prof["threads"], prof.get("fma_peak_gmacs")
        for precision in ("fp32", "int8"):
            rows = prof["profiles"].get(f"edgegan/{precision}")
            if not rows:
                continue
            slow, total = max(rows, key=lambda r: r["ms"]), sum(r["ms"] for r in rows)
            rate = f", {slow['gmacs']:.0f} GMAC/s" if "gmacs" in slow else ""
            parts.append(
                f"{report.SHORT.get(prof['fixture'], prof['fixture'])} {precision}: `{slow['layer']}` "
                f"({' '.join(slow['ops'])}, {slow['in']} -> {slow['out']}) {slow['ms']:.2f} of {total:.2f} ms{rate}"
            )
    if not parts:
        return ""
    return (
        f"The slowest layer of each edgegan LiteRT file (`python tools/profile_layers.py`: each layer converted and "
        f"timed alone, {threads} threads, fp32 FMA peak {peak} GMAC/s; tables below): " + "; ".join(parts) + "."
    )


def tables() -> str:
    """Every layer of every profile, one table per fixture, file and precision."""
    out = []
    for prof in profiles():
        for name, rows in prof["profiles"].items():
            out.append(f"**{prof['fixture']}, {name}, LiteRT, {prof['threads']} threads:**\n")
            out.append("| layer | in -> out | ops | ms | GMAC/s |\n| --- | --- | --- | --- | --- |")
            for r in rows:
                rate = f"{r['gmacs']:.0f}" if "gmacs" in r else ""
                out.append(
                    f"| {r['layer']} | {r['in']} -> {r['out']} | {' '.join(r['ops'])} | {r['ms']:.2f} | {rate} |"
                )
            out.append(f"| sum | | | {sum(r['ms'] for r in rows):.2f} | |\n")
    return "\n".join(out)


def fragments() -> dict[str, str]:
    """docs/results.md's per-layer profiles: the slowest layer of each file, then every layer."""
    return {"own-gan-profiles": "\n\n".join([slowest_text(), tables()])}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fixture", default="kerasio")
    p.add_argument("--precision", default="fp32,int8")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", default=None)
    a = p.parse_args()
    import keras

    from bench_own_gan import fma_peak
    from edgegan.export.bundle import auto_form
    from edgegan.export.inspect import flat_chain
    from edgegan.export.optimize import optimize
    from zoo import dcgan as zoo

    keras.utils.set_random_seed(0)
    if a.fixture == "seed":  # the shipped generator
        from edgegan.models import load_keras

        g = load_keras(ROOT / "models" / "mnist-dcgan" / "generator.keras", "generator")
    else:
        g, _ = zoo.ZOO[a.fixture](published=True)
        zoo.randomize_bn(g, 0)
    latent = np.random.default_rng(0).standard_normal((64, g.inputs[0].shape[1])).astype(np.float32)
    peak = fma_peak(a.threads)
    out = {"fixture": a.fixture, "threads": a.threads, "fma_peak_gmacs": peak, "profiles": {}}
    for precision in a.precision.split(","):
        choice = auto_form("tflite", precision)  # what edgegan's LiteRT file of this precision is made from
        for kind, model in (("plain", flat_chain(g)), ("edgegan", optimize(g, choice.form, choice.kinds)[0])):
            rows = profile(model, precision, a.threads, latent)
            out["profiles"][f"{kind}/{precision}"] = rows
            print(f"\n{a.fixture} {kind} LiteRT {precision}, {a.threads} threads (fp32 FMA peak {peak} GMAC/s)")
            print("| layer | in -> out | ops | ms | GMAC/s |\n| --- | --- | --- | --- | --- |")
            for r in rows:
                rate = f"{r['gmacs']:.0f}" if "gmacs" in r else ""
                print(f"| {r['layer']} | {r['in']} -> {r['out']} | {' '.join(r['ops'])} | {r['ms']:.2f} | {rate} |")
            print(f"| sum | | | {sum(r['ms'] for r in rows):.2f} | |")
    if a.json:
        records.save(Path(a.json), out)
        report.write(fragments())  # tools/fill_docs.py pastes it into docs/results.md


if __name__ == "__main__":
    main()
