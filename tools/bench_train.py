"""Training throughput: edgegan's compiled train step vs the Keras-GAN reference loop.

    python tools/bench_train.py [--steps 40] [--json FILE]

All rows train the same architecture at batch 32 on random batches:
  - reference: the article's source (Keras-GAN): D.train_on_batch(real, 1), D.train_on_batch(G.predict(z), 0),
    then combined.train_on_batch(z, 1) with D frozen inside the combined model;
  - edgegan: its compiled step (edgegan.train.Trainer: one G forward, phase-convolution G, weight average),
    fed as train() feeds it (tf.data through the strategy), on one device;
  - edgegan --jit: the same step with jit_compile=True (XLA);
  - mirrored: the same step under MirroredStrategy over 2 logical CPU devices (one CPU split in two: the
    replicated path's overhead, not a speed-up: both halves share the same 2 cores). The split is made
    before TensorFlow starts and slows every loop of that process (measured: edgegan's step 3.5 steps/s
    there against 5.2 with the CPU whole), so this row runs in a second process with its own reference.
Reports steps/s, images/s, the ratio to the reference of the same process and the process's peak RSS after
each loop (ru_maxrss is a high-water mark, so the reference runs first and each figure is the peak so far).
Warm-up steps are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import report

from edgegan import records


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference_loop(batch: int, steps: int, warmup: int) -> float:
    import keras

    from edgegan.models import build_discriminator, build_generator

    G, D = build_generator(), build_discriminator()
    D.compile(optimizer=keras.optimizers.Adam(2e-4, 0.5), loss="binary_crossentropy", metrics=["accuracy"])
    D.trainable = False  # as the article's source: frozen inside the combined model
    z = keras.Input((100,))
    combined = keras.Model(z, D(G(z)))
    combined.compile(optimizer=keras.optimizers.Adam(2e-4, 0.5), loss="binary_crossentropy")
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32)
    ones, zeros = np.ones((batch, 1), np.float32), np.zeros((batch, 1), np.float32)

    def step():
        noise = rng.standard_normal((batch, 100)).astype(np.float32)
        fake = G.predict(noise, verbose=0)
        # Keras 3 reads `trainable` when a model's train function is built: without this toggle the
        # frozen D of the combined model would make D.train_on_batch train nothing (it warns so).
        D.trainable = True
        D.train_on_batch(real, ones)
        D.train_on_batch(fake, zeros)
        D.trainable = False
        combined.train_on_batch(noise, ones)

    for _ in range(warmup):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - t)


def edgegan_loop(batch: int, steps: int, warmup: int, placement=None, jit: bool = False) -> float:
    from edgegan.train import TrainConfig, Trainer

    cfg = TrainConfig(out="/tmp/edgegan-bench-train", batch_size=batch, jit=jit)
    tr = Trainer(cfg, placement=placement)
    real = np.random.default_rng(0).uniform(-1, 1, ((warmup + steps) * batch, 28, 28, 1)).astype(np.float32)
    batches = tr.batches(real, None, np.arange(len(real)), 0, warmup + steps)  # as train() feeds them
    zero = np.float32(0)
    for _ in range(warmup):
        [float(v) for v in tr._step_fn(next(batches), zero)]
    t = time.perf_counter()
    for _ in range(steps):
        [float(v) for v in tr._step_fn(next(batches), zero)]  # losses read back every step, as train() does
    return steps / (time.perf_counter() - t)


def measure(a, split: bool) -> dict:
    """This process's rows, each with its ratio to this process's reference. ``split``: the CPU as 2 logical
    devices (set before TensorFlow starts), for the mirrored row; it slows the other rows, so they are measured
    in a process of their own with the CPU whole."""
    from edgegan.distribute import place

    first = place("mirrored", 2) if split else place("one")
    loops = [
        ("reference", "Keras-GAN reference (train_on_batch x3)", lambda: reference_loop(a.batch, a.steps, a.warmup))
    ]
    if split:
        loops[0] = ("reference_split", loops[0][1] + ", CPU split in 2", loops[0][2])
        label = "edgegan --strategy mirrored --devices 2 (2 logical CPU devices, synchronized BatchNorm)"
        loops.append(("mirrored", label, lambda: edgegan_loop(a.batch, a.steps, a.warmup, first)))
    else:
        loops.append(
            (
                "edgegan",
                "edgegan (compiled step, phase-conv G, EMA)",
                lambda: edgegan_loop(a.batch, a.steps, a.warmup, first),
            )
        )
        loops.append(
            (
                "jit",
                "edgegan --jit (the step XLA-compiled)",
                lambda: edgegan_loop(a.batch, a.steps, a.warmup, first, True),
            )
        )
    rows = {}
    for key, label, loop in loops:  # the reference first: peak RSS is a high-water mark
        sps = loop()
        rows[key] = dict(label=label, steps_per_s=round(sps, 3), images_per_s=round(sps * a.batch, 1))
        # ru_maxrss survives exec, so the second process would report the first one's peak: none there
        rows[key]["peak_rss_mb_so_far"] = None if split else round(rss_mb())
        rows[key]["vs_reference"] = round(sps / next(iter(rows.values()))["steps_per_s"], 2)
    return rows


RECORD = Path(__file__).resolve().parents[1] / "docs" / "bench_train.json"


def table(b: dict) -> str:
    """The throughput table of one record."""
    m = b["machine"]
    lines = [
        f"{m['cpu']}, {m['cores']} cores, tensorflow-cpu {m['versions'].get('tensorflow-cpu', '?')}; batch {b['batch']}, "
        f"{b['steps']} timed steps after {b['warmup']} warm-up; each ratio against the Keras-GAN loop of the same process "
        "(the mirrored rows run in a second process, the CPU split in 2)",
        "",
        "| loop | steps/s | images/s | vs Keras-GAN loop |",
        "| --- | --- | --- | --- |",
    ]
    for row in b["rows"].values():
        lines.append(
            f"| {row['label']} | {row['steps_per_s']:.2f} | {row['images_per_s']:.0f} | {row['vs_reference']:.2f}x |"
        )
    lines.append("| one GPU, float32 / `--mixed-precision` | unmeasured: no GPU at hand | | |")
    return "\n".join(lines)


def fragments() -> dict[str, str]:
    """docs/results.md's training throughput: the goal, why the step is faster, and the table."""
    b = records.first(RECORD)
    if not b:
        return {"train-throughput": "Not measured yet: `python tools/bench_train.py --json docs/bench_train.json`."}
    ratio, jit = b["rows"]["edgegan"]["vs_reference"], b["rows"]["jit"]["vs_reference"]
    return {
        "train-throughput": (
            f"Measured by `python tools/bench_train.py` (goal: 3x the reference loop's steps/s, "
            f"{report.met(ratio >= 3)} at {ratio:.2f}x, {jit:.2f}x with --jit; README, 'Train on GPUs or several "
            "machines'). The step is compute-bound here, so the gain comes from doing less work for the same update: "
            "one G forward per step and G's upsample+conv blocks run as exact phase convolutions (same weights, same "
            "gradients to 1e-5, tested):\n\n" + table(b)
        )
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--no-mirrored", action="store_true", help="skip the mirrored rows (a second process)")
    p.add_argument("--split", action="store_true", help=argparse.SUPPRESS)  # the second process
    p.add_argument("--json")
    a = p.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if a.split:
        print(json.dumps(measure(a, split=True)))
        return
    rows = measure(a, split=False)
    if not a.no_mirrored:
        cmd = [
            sys.executable,
            __file__,
            "--split",
            "--steps",
            str(a.steps),
            "--warmup",
            str(a.warmup),
            "--batch",
            str(a.batch),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        rows.update(json.loads(out.strip().splitlines()[-1]))
    from edgegan.bench import machine

    res = {"machine": machine(), "batch": a.batch, "steps": a.steps, "warmup": a.warmup, "rows": rows}
    print(
        f"{res['machine']['cpu']}, {res['machine']['cores']} cores; batch {a.batch}, {a.steps} timed steps after "
        f"{a.warmup} warm-up; ratios against the reference of the same process"
    )
    print("| loop | steps/s | images/s | vs reference | peak RSS MB so far |\n| --- | --- | --- | --- | --- |")
    for row in rows.values():
        print(
            f"| {row['label']} | {row['steps_per_s']:.2f} | {row['images_per_s']:.0f} | {row['vs_reference']:.2f}x "
            f"| {row['peak_rss_mb_so_far'] or 'n/a (second process)'} |"
        )
    print("| on a GPU | unmeasured (no GPU at hand) | | | |")
    if a.json:
        records.save(Path(a.json), res)
        if Path(a.json).resolve() == RECORD:
            report.write(fragments())  # tools/fill_docs.py pastes it into docs/results.md


if __name__ == "__main__":
    sys.exit(main())
