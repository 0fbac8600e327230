"""Fill the generated sections of README.md and docs/results.md from files in the repository (no measuring).

    python tools/readme_tables.py

README.md:
formats  <- edgegan/export/formats.py (the one table of formats and precisions)
headline <- the same files as below: a few figures of the shipped model
docs/results.md:
parity   <- models/mnist-dcgan/manifest.json (size and parity of every shipped file)
eval     <- models/mnist-dcgan/evaluation.json (written by tools/make_reference.sh), and
            docs/quality_trials.json / docs/quality_trials_long.json (tools/quality_trials.py), if present
train    <- models/mnist-dcgan/training.json and docs/bench_train.md (tools/bench_train.py output), if present
bench    <- docs/bench.md (tools/bench_readme.py output)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fill(text: str, name: str, body: str) -> str:
    pattern = rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)"
    return re.sub(pattern, lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text, flags=re.S)


PHASE_TARGETS = {"tflite/fp32": 1.8, "tflite/int8": 1.4, "onnx/fp32": 1.5}


def phase_targets(path: Path) -> str:
    """One sentence per target of the phase decomposition, met or missed, from the measured A/B."""
    if not path.is_file():
        return ""
    rows = json.loads(path.read_text())
    parts = []
    for variant, target in PHASE_TARGETS.items():
        got = [r for r in rows if r["variant"] == variant]
        figures = ", ".join(f"{r['speedup']:.2f}x on {r['threads']} thread{'s' * (r['threads'] > 1)}" for r in got)
        verdict = "met" if got and all(r["speedup"] >= target for r in got) else "missed"
        parts.append(f"{variant} >= {target}x: {verdict} ({figures})")
    return (
        "Targets of the phase decomposition: "
        + "; ".join(parts)
        + ". ONNX Runtime figures moved by 0.2x between runs on this shared VM (fp32: 1.67x / 1.36x in the "
        "previous run of the same script). Shipped files use the `pads` form (each phase convolution carries its own "
        "asymmetric zero padding, so no Pad/Slice nodes sit between the convolutions) except ONNX/ORT int8, which "
        "keeps `split` (one Pad, four VALID convolutions): its QDQ convolutions with asymmetric pads ran slower than "
        "the plain file. Per-op profile of the ONNX fp32 file: [docs/profile_ort_fp32.md](docs/profile_ort_fp32.md) "
        "(`tools/profile_ort.py`): the convolutions run 1.65x faster; DepthToSpace (188 us of 1,030) and NCHWc "
        "reorders take back the rest. Closing the gap needs the interleave folded into the convolution's output "
        "layout (a kernel ONNX Runtime does not have) or an ONNX Runtime that keeps DepthToSpace in NCHWc."
    )


def _trials_text(path: Path) -> str:
    """The plateau, measured: docs/quality_trials.json from tools/quality_trials.py."""
    if not path.is_file():
        return ""
    t = json.loads(path.read_text())
    n = t["epochs"]
    rows = [
        "| trial (from the shipped run's last checkpoint) | "
        + " | ".join(f"+{i}" for i in range(n + 1))
        + f" | Frechet +0 -> +{n} |",
        "| --- " * (n + 3) + "|",
    ]
    names = {"control": "control: more of the same", "batch64": "batch 64", "lr1e-4": "learning rate 1e-4"}
    for name, r in t["trials"].items():
        rows.append(
            f"| {names.get(name, name)} | "
            + " | ".join(f"{x['confident']:.1%}" for x in r)
            + f" | {r[0]['frechet']:.2f} -> {r[-1]['frechet']:.2f} |"
        )
    return (
        "\n\nIs more CPU the way to 85%? `python tools/quality_trials.py` resumes copies of the run for "
        f"{n} more passes over the 8,000 digits with one change each and scores the weight-averaged G after every "
        "pass exactly as `edgegan evaluate -n 2000` did before the one latent definition, on the latents of that time (confident share per pass; a 2,000-sample share moves "
        "about +-0.9 points by chance):\n\n"
        + "\n".join(rows)
        + "\n\n"
        + _long_control(path.with_name("quality_trials_long.json"))
        + "Two published fixes, tried the same way as patches that were not kept, did not lift it either: "
        "DiffAugment (translation + cutout on D's real and fake inputs) 76.9-78.1% over 11 passes while the "
        "Frechet distance rose from 3.65 to 5.53, and a top-k generator loss (the half of each batch D rates most real) "
        "77.9-78.8% over 7 passes."
    )


def _long_control(path: Path) -> str:
    if not path.is_file():
        return ""
    r = json.loads(path.read_text())["trials"]["control"]
    c = [x["confident"] for x in r]
    return (
        f"The control run for {len(r) - 1} passes (`--trials control --epochs {len(r) - 1}`, "
        f"`docs/{path.name}`): the confident share stayed within {min(c):.1%}-{max(c):.1%} "
        f"({c[-1]:.1%} at the end) while the Frechet distance kept falling, {r[0]['frechet']:.2f} -> {r[-1]['frechet']:.2f}. "
    )


def main() -> None:
    from edgegan import parity
    from edgegan.export.formats import table_markdown

    readme, results = ROOT / "README.md", ROOT / "docs" / "results.md"
    head = fill(
        readme.read_text(),
        "formats",
        table_markdown() + "\n\nONNX dynamic-range int8 is left out on purpose: "
        "`quantize_dynamic` turns convolutions into `ConvInteger`, slow or missing on several CPU builds.",
    )
    bundle = ROOT / "models" / "mnist-dcgan"
    head = fill(head, "headline", headline(bundle))
    readme.write_text(fill(head, "export-scale", export_scale(ROOT / "docs" / "bench_export.json")))
    text = results.read_text()
    m = json.loads((bundle / "manifest.json").read_text())
    rows = ["| file | size MB | parity vs Keras (measured at export) | bound |", "| --- | --- | --- | --- |"]
    for f in m["files"]:
        figure, bound = parity.headline(f["role"], f["tolerance"], f["parity"])
        rows.append(
            f"| `{f['path']}`{' (optimized)' if f.get('optimized') else ''} | {f['bytes'] / 1e6:.2f} | {figure} | {bound} |"
        )
    text = fill(text, "parity", "\n".join(rows))
    ev = bundle / "evaluation.json"
    if ev.is_file():
        e = json.loads(ev.read_text())
        hist = " ".join(f"{d}:{c}" for d, c in enumerate(e["histogram"]))
        text = fill(
            text,
            "eval",
            (
                f"The shipped model, `edgegan evaluate models/mnist-dcgan -n {e['samples']} --real ../shared/data/mnist` "
                "(the latents of seed 0, edgegan.latents):\n\n"
                "| Frechet distance (classifier features) | real-vs-real floor, same N | confident (p >= 0.9) | digit coverage | class histogram |\n"
                "| --- | --- | --- | --- | --- |\n"
                f"| {e['frechet_distance']:.2f} | {e['real_vs_real_floor']:.2f} | {e['confident_share']:.1%} | {e['coverage']}/10 | {hist} |\n\n"
                f"Classifier held-out accuracy: {e['classifier_accuracy']:.1%} (800 of the 8,000 shared digits held out); "
                "real digits score 96.8% confident. "
                + (
                    "The confident share meets the 85% target."
                    if e["confident_share"] >= 0.85
                    else f"The confident share ({e['confident_share']:.1%}) is below the 85% target: without the weight "
                    "average it plateaued at 69-72% over epochs 21-24 (Frechet distance 9.08); with the average from "
                    "epoch 25 it rose slowly (73.6% at epoch 30, 76.0% at 40, 77.9% at 60, scored on the latents used before edgegan.latents) while the Frechet distance "
                    "fell to 6.35, 4.72 and 3.65."
                )
            )
            + _trials_text(ROOT / "docs" / "quality_trials.json"),
        )
    rec = bundle / "training.json"
    if rec.is_file():
        r = json.loads(rec.read_text())
        cmds = [r.get("command")] + r.get("resumed_with", [])
        body = (
            f"The shipped model: {r.get('epochs_done')} epochs, {r.get('steps')} steps, seed {r['config']['seed']}, "
            f"{r.get('epoch_seconds_total', r.get('wall_seconds', 0)) / 60:.0f} min of training on {r.get('machine')} "
            "(this CPU has no AVX-512"
            + "".join(f"; {k}: {v / 60:.0f} min" for k, v in r.get("epoch_seconds_by_step", {}).items())
            + "). The earlier step ran two G forwards and plain convolutions with no weight average; the current "
            "step is described in the README (Train), and its weight average started from the restored G at epoch 25. "
            "Commands, in order:\n\n```\n" + "\n".join(c for c in cmds if c) + "\n```\n\n"
            "Data sha256, versions and git commit are in `models/mnist-dcgan/training.json`.\n\n"
            "![samples of the shipped generator](../models/mnist-dcgan/samples.png) ![losses](../models/mnist-dcgan/losses.png)"
        )
        bt, bj = ROOT / "docs" / "bench_train.md", ROOT / "docs" / "bench_train.json"
        if bt.is_file() and bj.is_file():
            ratio = json.loads(bj.read_text())["speedup"]
            body += (
                "\n\n**Training throughput** (`python tools/bench_train.py`, both loops in one process; target: 2x the "
                f"reference loop's steps/s, {'met' if ratio >= 2 else 'missed'} at {ratio:.2f}x). The step is "
                "compute-bound here, so the gain comes from doing less work for the same update: one G forward per step "
                "and G's upsample+conv blocks run as exact phase convolutions (same weights, same gradients to 1e-5, "
                "tested):\n\n" + bt.read_text()
            )
        text = fill(text, "train", body)
    bench = ROOT / "docs" / "bench.md"
    if bench.is_file():
        text = fill(
            text,
            "bench",
            bench.read_text() + "\n" + phase_targets(ROOT / "docs" / "phase_speedup.json"),
        )
    results.write_text(text)
    print("README.md and docs/results.md sections filled")


def export_scale(path: Path) -> str:
    """The own-GAN export at scale (tools/bench_export.py): time and peak memory against the goal."""
    if not path.is_file():
        return "Not measured yet: `python tools/bench_export.py --json docs/bench_export.json`."
    b = json.loads(path.read_text())
    k, s = b["kerasio_64x64x3"], b.get("seed_mnist")
    met = "within" if k["seconds"] <= 240 and k["peak_rss_mb"] <= 3072 else "outside"
    text = (
        f"Export at scale (`python tools/bench_export.py`, {b['machine']}): keras.io's 64x64x3 DCGAN "
        f"({b.get('parameters', 'about 4.0 M')} parameters, random weights), generator and discriminator in every "
        f"format and precision, {k['seconds']:.0f} s and {k['peak_rss_mb']:,} MB peak RSS, {met} the goal of "
        "4 minutes and 3 GB (an earlier edgegan kept every calibration activation: 8 min 10 s and over 10 GB)."
    )
    if s:
        text += f" The seed MNIST model, every format and precision: {s['seconds']:.0f} s, {s['peak_rss_mb']:,} MB."
    return text


def headline(bundle: Path) -> str:
    """Three lines of figures for the README: quality, parity and speed of the shipped generator."""
    from edgegan import parity

    m = json.loads((bundle / "manifest.json").read_text())
    lines = ["The shipped model (`models/mnist-dcgan`), from the files in [docs/results.md](docs/results.md):", ""]
    ev = bundle / "evaluation.json"
    if ev.is_file():
        e = json.loads(ev.read_text())
        lines.append(
            f"- quality (`edgegan evaluate -n {e['samples']}`): Frechet distance {e['frechet_distance']:.2f} "
            f"(real-vs-real floor {e['real_vs_real_floor']:.2f}), {e['confident_share']:.1%} of samples classified with "
            f"confidence >= 0.9 (real digits: 96.8%), {e['coverage']}/10 digits"
        )
    int8 = next(f for f in m["files"] if f["path"] == "generator.int8.tflite")
    figure, bound = parity.headline("generator", int8["tolerance"], int8["parity"])
    lines.append(
        f"- `generator.int8.tflite`: {int8['bytes'] / 1e6:.2f} MB, {figure} against Keras fp32 (bound {bound})"
    )
    b = ROOT / "docs" / "bench.json"
    if b.is_file():
        rows = {r["variant"]: r for r in json.loads(b.read_text())["rows"] if r.get("bundle") in ("shipped", "")}
        k, t = rows.get("generator/keras/fp32"), rows.get("generator/tflite/int8")
        if k and t:
            lines.append(
                f"- speed (`edgegan bench`, batch 1, 2 cores): LiteRT int8 {t['p50_ms']:.2f} ms p50 against Keras eager "
                f"{k['p50_ms']:.1f} ms ({k['p50_ms'] / t['p50_ms']:.0f}x), cold start {t['cold_start_ms']:.0f} ms "
                f"against {k['cold_start_ms']:,.0f} ms"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
