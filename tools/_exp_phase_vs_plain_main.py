import numpy as np
from edgegan.train import TrainConfig, Trainer
from edgegan.models import ModelSpec
import keras
x = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype(np.float32)
res = {}
for fwd in ("plain", "phase"):
    cfg = TrainConfig(out=f"/tmp/exp-main-{fwd}", lr=1.0)
    tr = Trainer(cfg)
    for l in tr.D.layers:
        if l.__class__.__name__ == "Dropout": l.rate = 0.0
    tr.g_opt.epsilon = 1.0; tr.d_opt.epsilon = 1.0
    import tensorflow as tf
    if fwd == "plain": tr._g = tr.G
    tr._step_fn = tf.function(tr._train_step)
    tr._step_fn(x, None, np.float32(0))
    res[fwd] = {v.path: v.numpy() for v in tr.G.trainable_variables}
    print(fwd, tr._g is tr.G, float(tr.step.numpy()))
print(" ".join(f"{k.split('/')[0]}:{np.abs(res['plain'][k]-res['phase'][k]).max():.1e}" for k in res["plain"] if "kernel" in k))
tr0 = Trainer(TrainConfig(out="/tmp/exp-main-0"))
init = {v.path: v.numpy() for v in tr0.G.trainable_variables}
print("update", " ".join(f"{k.split('/')[0]}:{np.abs(res['plain'][k]-init[k]).max():.1e}" for k in init if "kernel" in k))
