import numpy as np, tensorflow as tf, sys
from edgegan.distribute import place, Placement
from edgegan.train import TrainConfig, Trainer
from edgegan.models import ModelSpec
mir = place("mirrored", 2)
one = Placement(tf.distribute.OneDeviceStrategy("/cpu:0"), "one", ["CPU:0"])
x = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
res = {}
for name, pl in (("one", one), ("mir", mir)):
    cfg = TrainConfig(out=f"/tmp/exp-{name}", lr=1.0, adam_epsilon=1.0, spec=ModelSpec(d_dropout=0.0))
    tr = Trainer(cfg, placement=pl)
    if sys.argv[1] == "plain":
        tr._g = tr.G
    order = np.arange(64)
    b = tr.batches(x, None, order, 0, 2)
    tr._step_fn(next(b), np.float32(0))
    res[name] = {v.path: v.numpy() for v in tr.G.trainable_variables}
for k in res["one"]:
    print(f"{np.abs(res['one'][k]-res['mir'][k]).max():.2e}", k)
