import numpy as np, tensorflow as tf, sys
from edgegan.distribute import place, Placement
from edgegan.train import TrainConfig, Trainer
from edgegan.models import ModelSpec
mir = place("mirrored", 2)
one = Placement(tf.distribute.OneDeviceStrategy("/cpu:0"), "one", ["CPU:0"])
x = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
res = {}
for name, pl, fwd in (("one-plain", one, "plain"), ("one-phase", one, "phase"), ("mir-plain", mir, "plain"), ("mir-phase", mir, "phase")):
    cfg = TrainConfig(out=f"/tmp/exp-{name}", lr=1.0, adam_epsilon=1.0, spec=ModelSpec(d_dropout=0.0))
    tr = Trainer(cfg, placement=pl)
    if fwd == "plain":
        tr._g = tr.G
    b = tr.batches(x, None, np.arange(64), 0, 2)
    tr._step_fn(next(b), np.float32(0))
    print(name, tr._g is tr.G)
    res[name] = {v.path: v.numpy() for v in tr.G.trainable_variables}
ref = res["one-plain"]
for name in res:
    print(name, " ".join(f"{k.split('/')[0]}:{np.abs(res[name][k]-ref[k]).max():.1e}" for k in ref if "kernel" in k))
import itertools
for a, b in itertools.combinations(res, 2):
    print(a, "vs", b, " ".join(f"{k.split('/')[0]}:{np.abs(res[a][k]-res[b][k]).max():.1e}" for k in ref if "kernel" in k))
