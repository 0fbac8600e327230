"""Training throughput: edgegan's compiled train step vs the Keras-GAN reference loop.

    python tools/bench_train.py [--steps 40] [--json FILE]

Both train the same architecture at batch 32 on the same random batch, in this one process:
  - reference: the article's source (Keras-GAN): D.train_on_batch(real, 1), D.train_on_batch(G.predict(z), 0),
    then combined.train_on_batch(z, 1) with D frozen inside the combined model;
  - edgegan: its compiled step (edgegan.train.Trainer: one G forward, phase-convolution G, weight average).
Reports steps/s, images/s and the process's peak RSS after each loop (ru_maxrss is a high-water mark, so
the reference runs first and each figure is the peak so far). Warm-up steps are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np


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


def edgegan_loop(batch: int, steps: int, warmup: int) -> float:
    from edgegan.train import TrainConfig, Trainer

    tr = Trainer(TrainConfig(out="/tmp/edgegan-bench-train", batch_size=batch))
    real = np.random.default_rng(0).uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32)
    zero = np.float32(0)
    for _ in range(warmup):
        [float(v) for v in tr._step_fn(real, None, zero)]
    t = time.perf_counter()
    for _ in range(steps):
        [float(v) for v in tr._step_fn(real, None, zero)]  # losses read back every step, as train() does
    return steps / (time.perf_counter() - t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--json")
    a = p.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    ref = reference_loop(a.batch, a.steps, a.warmup)
    ref_rss = rss_mb()
    ours = edgegan_loop(a.batch, a.steps, a.warmup)
    our_rss = rss_mb()
    from edgegan.bench import machine

    res = {
        "machine": machine(),
        "batch": a.batch,
        "steps": a.steps,
        "warmup": a.warmup,
        "reference": {
            "steps_per_s": round(ref, 3),
            "images_per_s": round(ref * a.batch, 1),
            "peak_rss_mb": round(ref_rss),
        },
        "edgegan": {
            "steps_per_s": round(ours, 3),
            "images_per_s": round(ours * a.batch, 1),
            "peak_rss_mb_so_far": round(our_rss),
        },
        "speedup": round(ours / ref, 2),
    }
    print(
        f"{res['machine']['cpu']}, {res['machine']['cores']} cores; batch {a.batch}, {a.steps} timed steps after {a.warmup} warm-up"
    )
    print("| loop | steps/s | images/s | peak RSS MB |\n| --- | --- | --- | --- |")
    print(f"| Keras-GAN reference (train_on_batch x3) | {ref:.2f} | {ref * a.batch:.0f} | {ref_rss:.0f} |")
    print(
        f"| edgegan (compiled step, phase-conv G, EMA) | {ours:.2f} | {ours * a.batch:.0f} | {our_rss:.0f} (high-water mark of the process) |"
    )
    print(f"\nspeed-up: {ours / ref:.2f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
