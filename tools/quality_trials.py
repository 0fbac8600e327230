"""Does more training, a bigger batch or a lower learning rate lift the reference model's confident share?

    python tools/quality_trials.py --run runs/mnist-dcgan --data ../shared/data/mnist --epochs 6 \
        --json docs/quality_trials.json

Each trial resumes a copy of the run's newest checkpoint (G, D, both optimizers, the weight average) in a
temporary folder and trains ``--epochs`` more passes over the data (8,000 images each on the shared sample)
with one change; after every pass it scores the weight-averaged G exactly as ``edgegan evaluate -n 2000``
does (the same 2,000 latents, the shipped classifier, the Frechet distance against the first 2,000 real
images). Trials:
  - control:   the run's own settings (batch 32, Adam 2e-4), i.e. just more training;
  - batch64:   batch 64 at the same learning rate (half the gradient noise per step);
  - lr1e-4:    both learning rates halved.
The run folder itself is never written to. About 75 s per pass and trial on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import report

ROOT = Path(__file__).resolve().parents[1]

TRIALS = {"control": (32, None), "batch64": (64, None), "lr1e-4": (32, 1e-4)}  # name: (batch, learning rate)


def scorer(real: str):
    """A function G -> (confident share, Frechet distance) equal to `edgegan evaluate -n 2000`'s figures."""
    from edgegan.data import load_images
    from edgegan.evaluate import CONFIDENCE, Classifier, frechet_distance, scoring_latents

    clf = Classifier(ROOT / "models" / "mnist-classifier")
    _, real_feats = clf(load_images(real, channels=1, seed=0))
    z = scoring_latents(2000, 100)

    def score(G) -> tuple[float, float]:
        probs, feats = clf(G.predict(z, batch_size=500, verbose=0))
        return float((probs.max(1) >= CONFIDENCE).mean()), frechet_distance(feats, real_feats[: len(z)])

    return score


def trial(run: Path, data: str, batch: int, lr: float | None, epochs: int, score) -> list[dict]:
    from edgegan.data import load_images
    from edgegan.train import TrainConfig, Trainer

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "run"
        shutil.copytree(run, copy, ignore=shutil.ignore_patterns("samples", "tb", "*.keras", "*.gif", "*.png"))
        cfg = TrainConfig.from_dict(json.loads((copy / "run.json").read_text())["config"])
        cfg.out, cfg.batch_size = str(copy), batch
        tr = Trainer(cfg, resume=True)
        if lr is not None:
            for opt in (tr.g_opt, tr.d_opt):
                opt.learning_rate.assign(lr)
        x = load_images(data, channels=cfg.spec.channels)
        rng = np.random.default_rng([cfg.seed, 7, batch])
        rows = [dict(epoch=0, step=int(tr.step.numpy()), seconds=0.0)]
        rows[0]["confident"], rows[0]["frechet"] = score(tr.generator)
        for e in range(1, epochs + 1):
            order, t0 = rng.permutation(len(x)), time.perf_counter()
            for k in range(len(x) // batch):
                d, g, _ = (float(v) for v in tr._step_fn(x[order[k * batch : (k + 1) * batch]], None, np.float32(0)))
                if not np.isfinite([d, g]).all():
                    raise SystemExit(f"non-finite loss in pass {e}")
            c, fd = score(tr.generator)
            rows.append(
                dict(
                    epoch=e,
                    step=int(tr.step.numpy()),
                    seconds=round(time.perf_counter() - t0, 1),
                    confident=c,
                    frechet=fd,
                )
            )
            print(f"  +{e} passes: confident {c:.1%}  Frechet {fd:.2f}  ({rows[-1]['seconds']:.0f} s)", flush=True)
        return rows


RECORD = ROOT / "docs" / "quality_trials.json"


def fragments() -> dict[str, str]:
    """docs/results.md's trials of more training from the shipped run's last checkpoint (the plateau, measured)."""
    if not RECORD.is_file():
        return {"quality-trials": "Not measured yet: `python tools/quality_trials.py --json docs/quality_trials.json`."}
    t = json.loads(RECORD.read_text())
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
    text = (
        "Is more CPU the way to 85%? `python tools/quality_trials.py` resumes copies of the run for "
        f"{n} more passes over the 8,000 digits with one change each and scores the weight-averaged G after every "
        "pass exactly as `edgegan evaluate -n 2000` did before the one latent definition, on the latents of that time (confident share per pass; a 2,000-sample share moves "
        "about +-0.9 points by chance):\n\n"
        + "\n".join(rows)
        + "\n\n"
        + _long_control(RECORD.with_name("quality_trials_long.json"))
        + "Two published fixes, tried the same way as patches that were not kept, did not lift it either: "
        "DiffAugment (translation + cutout on D's real and fake inputs) 76.9-78.1% over 11 passes while the "
        "Frechet distance rose from 3.65 to 5.53, and a top-k generator loss (the half of each batch D rates most real) "
        "77.9-78.8% over 7 passes."
    )
    return {"quality-trials": text}


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", default="runs/mnist-dcgan", help="run folder with checkpoints/ and run.json")
    ap.add_argument("--data", default="../shared/data/mnist")
    ap.add_argument("--epochs", type=int, default=6, help="passes over the data per trial")
    ap.add_argument("--trials", default=",".join(TRIALS), help=f"comma list of {', '.join(TRIALS)}")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    run = Path(a.run)
    if not (run / "checkpoints").is_dir():
        raise SystemExit(f"{run}: no checkpoints/ (train it first: tools/make_reference.sh)")
    names = a.trials.split(",")
    if bad := [n for n in names if n not in TRIALS]:
        raise SystemExit(f"--trials: unknown {', '.join(bad)}; choose from {', '.join(TRIALS)}")
    score = scorer(a.data)
    out = {"run": str(run), "data": a.data, "epochs": a.epochs, "trials": {}}
    for name in names:
        batch, lr = TRIALS[name]
        print(f"{name}: batch {batch}, learning rate {lr or 'as the run'}", flush=True)
        out["trials"][name] = trial(run, a.data, batch, lr, a.epochs, score)
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=2) + "\n")
        if Path(a.json).resolve() == RECORD:
            report.write(fragments())  # tools/fill_docs.py pastes it into docs/results.md
    return 0


if __name__ == "__main__":
    sys.exit(main())
