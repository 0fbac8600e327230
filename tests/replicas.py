"""One training step on 1 replica and on 2 logical CPU replicas, and resume across the two replica counts.

Run as a script in a fresh process (logical devices are set before TensorFlow starts; tests/test_distribute.py
does): prints one JSON object of maximum absolute differences, per model (G, D, the EMA generator), between

  one_vs_two      one step with the same global batch on 1 replica and on 2
  two_then_one    a 2-replica checkpoint after step 1, resumed on 1 replica for step 2, vs 2 steps on 1 replica
  one_then_two    a 1-replica checkpoint after step 1, resumed on 2 replicas for step 2, vs 2 steps on 1 replica

and ``moved``: how far step 1 moved each model's weights (a difference is only meaningful next to it).
Dropout is off: its masks are drawn per replica, so they depend on the split. The step size is made
proportional to the gradient (Adam's epsilon 1, lr 0.1): with the default epsilon Adam's first step is lr
times the gradient's sign, which flips on rounding-level differences of near-zero gradients.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np


def main(sync: bool = True) -> dict:
    from edgegan.distribute import place
    from edgegan.models import ModelSpec
    from edgegan.train import TrainConfig, Trainer

    if not sync:  # measure what the test guards against: per-replica BatchNorm statistics
        import edgegan.models as models

        for name in ("build_generator", "build_discriminator"):
            build = getattr(models, name)
            setattr(models, name, lambda spec, synchronized, build=build: build(spec, False))
    two = place("mirrored", 2)  # first: it splits the CPU before anything starts TensorFlow
    one = place("one")
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32)
    order = np.arange(len(x))
    tmp = Path(tempfile.mkdtemp())

    def trainer(name: str, placement):
        cfg = TrainConfig(out=str(tmp / name), batch_size=8, lr=0.1, adam_epsilon=1.0, spec=ModelSpec(d_dropout=0.0))
        return Trainer(cfg, placement=placement)

    def step(tr, k: int) -> None:
        tr._step_fn(next(tr.batches(x, None, order, k, 2)), np.float32(0))

    def weights(tr) -> dict:
        return {m: [v.numpy() for v in model.variables] for m, model in (("G", tr.G), ("D", tr.D), ("EMA", tr.G_ema))}

    def diff(a: dict, b: dict) -> dict:
        return {m: max(float(np.abs(u - v).max()) for u, v in zip(a[m], b[m])) for m in a}

    a, b = trainer("a", one), trainer("b", two)
    start = weights(a)
    step(a, 0)
    a1, a_ckpt = weights(a), a.manager.save()
    step(b, 0)
    b1, b_ckpt = weights(b), b.manager.save()
    step(a, 1)
    a2 = weights(a)
    # each restores the other's checkpoint (as a resume does: step, optimizers, random stream) and takes step 2
    a.ckpt.restore(b_ckpt).assert_existing_objects_matched()
    step(a, 1)
    b.ckpt.restore(a_ckpt).assert_existing_objects_matched()
    step(b, 1)
    return dict(
        moved=diff(start, a1),
        one_vs_two=diff(a1, b1),
        two_then_one=diff(a2, weights(a)),
        one_then_two=diff(a2, weights(b)),
    )


if __name__ == "__main__":
    print(json.dumps(main(sync="--no-sync" not in sys.argv)))
