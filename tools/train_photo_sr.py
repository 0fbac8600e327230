"""Train the shipped x4 photo super-resolution pair (edgegan/photo_sr.py) on scikit-image's photos.

    python tools/train_photo_sr.py --out runs/photo-sr4 [--l1-steps 3000 --gan-steps 3000 --seed 0]

Two stages, as SRGAN trains (Ledig et al. 2017: an MSE-trained SRResNet first, then the GAN): the content loss
alone (L1 on pixels), then L1 plus ``--adv-weight`` times the adversarial loss (non-saturating, logits from the
PatchGAN D). Crops are 96 x 96 from the training photos (equal chance per photo, random flips and quarter
turns), their inputs Pillow's bicubic downscale by 4. Writes generator.keras, discriminator.keras and
training.json (data, steps, seconds, losses, held-out PSNR/SSIM of the Keras G against bicubic) to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

from edgegan import photo_sr as sr


def crops(photos, rng, n: int, size: int):
    """n (low, high) float32 pairs in [0, 1]: high (n, size, size, 3) crops, low their bicubic / 4."""
    hi = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        p = photos[rng.integers(len(photos))]
        y, x = rng.integers(0, p.shape[0] - size + 1), rng.integers(0, p.shape[1] - size + 1)
        c = p[y : y + size, x : x + size]
        c = np.rot90(c, rng.integers(4))
        hi[i] = c[:, ::-1] if rng.integers(2) else c
    lo = np.stack([sr.downscale(h) for h in hi])
    return lo.astype(np.float32) / 255.0, hi.astype(np.float32) / 255.0


def held_out(G) -> list[dict]:
    """Per held-out photo: PSNR/SSIM on luminance of G's x4 and of bicubic x4, from its bicubic / 4."""
    rows = []
    for name in sr.HELD_OUT_PHOTOS:
        truth = sr.photo(name)
        low = sr.downscale(truth)
        truth = truth[: low.shape[0] * 4, : low.shape[1] * 4]
        out = np.asarray(G(low[None].astype(np.float32) / 255.0, training=False))[0]
        out = np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
        m, b = sr.y_psnr_ssim(out, truth), sr.y_psnr_ssim(sr.bicubic_upscale(low), truth)
        rows.append({"photo": name, "psnr_db": m[0], "ssim": m[1], "bicubic_psnr_db": b[0], "bicubic_ssim": b[1]})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--l1-steps", type=int, default=3000)
    ap.add_argument("--gan-steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=96)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--adv-weight", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    photos = [sr.photo(n) for n in sr.TRAIN_PHOTOS]
    G, D = sr.build_sr_generator(), sr.build_sr_discriminator(a.crop)
    total = a.l1_steps + a.gan_steps
    sched = keras.optimizers.schedules.CosineDecay(a.lr, total, alpha=0.05)
    g_opt, d_opt = keras.optimizers.Adam(sched), keras.optimizers.Adam(a.lr * 0.4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def l1_step(lo, hi):
        with tf.GradientTape() as t:
            loss = tf.reduce_mean(tf.abs(G(lo, training=True) - hi))
        g_opt.apply_gradients(zip(t.gradient(loss, G.trainable_variables), G.trainable_variables))
        return loss, tf.constant(0.0), tf.constant(0.0)

    @tf.function
    def gan_step(lo, hi):
        with tf.GradientTape() as gt, tf.GradientTape() as dt:
            fake = G(lo, training=True)
            real_s, fake_s = D(hi, training=True), D(fake, training=True)
            content = tf.reduce_mean(tf.abs(fake - hi))
            adv = bce(tf.ones_like(fake_s), fake_s)
            g_loss = content + a.adv_weight * adv
            d_loss = bce(tf.ones_like(real_s), real_s) + bce(tf.zeros_like(fake_s), fake_s)
        g_opt.apply_gradients(zip(gt.gradient(g_loss, G.trainable_variables), G.trainable_variables))
        d_opt.apply_gradients(zip(dt.gradient(d_loss, D.trainable_variables), D.trainable_variables))
        return content, adv, d_loss

    history, t0 = [], time.time()
    for step in range(1, total + 1):
        lo, hi = crops(photos, rng, a.batch, a.crop)
        losses = (l1_step if step <= a.l1_steps else gan_step)(lo, hi)
        if step % 250 == 0 or step == total:
            row = dict(zip(("step", "l1", "adv", "d_loss"), (step, *(round(float(v), 5) for v in losses))))
            row["seconds"] = round(time.time() - t0, 1)
            history.append(row)
            print(json.dumps(row), flush=True)
    seconds = time.time() - t0
    a.out.mkdir(parents=True, exist_ok=True)
    G.save(a.out / "generator.keras")
    D.save(a.out / "discriminator.keras")
    figures = held_out(G)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    record = {
        "data": {"train": list(sr.TRAIN_PHOTOS), "held_out": list(sr.HELD_OUT_PHOTOS), "source": "skimage.data"},
        "recipe": {k: v for k, v in vars(a).items() if k != "out"},
        "parameters": {"generator": G.count_params(), "discriminator": D.count_params()},
        "seconds": round(seconds, 1),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "git_commit": commit,
        "history": history,
        "held_out_keras": figures,
    }
    (a.out / "training.json").write_text(json.dumps(record, indent=1) + "\n")
    for r in figures:
        print(f"{r['photo']:10s} G {r['psnr_db']:.2f} dB {r['ssim']:.4f}   bicubic {r['bicubic_psnr_db']:.2f} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
