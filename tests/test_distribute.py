"""Training under tf.distribute: 1 vs 2 replicas, two worker processes on loopback, resume across replica
counts, --jit and its own resume, what cannot run here refused in one line.

Every check needs fresh processes (logical devices and the multi-worker runtime are set before TensorFlow
starts), so each runs in the background from the session's start (conftest.Background) and its test collects it.
"""

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, background, has, run_cli, run_clis, synthetic_digits, write_idx

pytestmark = [pytest.mark.skipif(not has("tensorflow"), reason="needs the train tier"), pytest.mark.slow]

TINY = ["--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8", "--latent-dim", "16"]


def _data(tmp: Path) -> Path:
    write_idx(tmp / "train-images-idx3-ubyte.gz", synthetic_digits(64))
    return tmp


def _replicas(tmp):
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "replicas.py")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _multiworker(tmp):
    """Two workers on loopback (each with its own --out, so what the second writes would show), then the chief's
    run resumed on one device."""
    data = _data(tmp)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    conf = [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}) for i in range(2)]
    (tmp / "scratch1").mkdir()
    envs = [{"TF_CONFIG": conf[0]}, {"TF_CONFIG": conf[1], "TMPDIR": str(tmp / "scratch1")}]
    args = ["train", "--data", str(data), "--strategy", "multiworker", *TINY]
    workers = run_clis([[*args, "--out", str(tmp / f"out{i}")] for i in range(2)], env=envs, timeout=600)
    resumed = None
    if all(r.returncode == 0 for r in workers):
        resumed = run_cli("train", "--resume", "--out", str(tmp / "out0"), "--strategy", "one", "--epochs", "2")
    return tmp, workers, resumed


def _jit(tmp):
    """--jit: 2 epochs straight, and 1 epoch then a resume to 2."""
    assert not any(tmp.iterdir()), f"{tmp} is not empty"
    args = ["train", "--data", str(_data(tmp)), *TINY, "--epochs", "2", "--jit"]
    straight, first = run_clis(
        [[*args, "--out", str(tmp / "straight")], [*args, "--epochs", "1", "--out", str(tmp / "resumed")]]
    )
    second = run_cli(*args, "--out", str(tmp / "resumed"), "--resume") if first.returncode == 0 else None
    return tmp, [straight, first, second]


def _refusals(tmp):
    data = str(_data(tmp))
    commands = {
        "mixed": ["--mixed-precision", "--strategy", "one"],
        "uneven": ["--strategy", "mirrored", "--devices", "2", "--batch-size", "7"],
    }
    runs = run_clis(
        [["train", "--data", data, "--epochs", "1", *a, "--out", str(tmp / name)] for name, a in commands.items()],
        env={"TF_CONFIG": ""},  # set but empty: as unset (TensorFlow's own parser fails on it)
    )
    return tmp, dict(zip(commands, runs))


replicas = background(__file__, _replicas)
multiworker = background(__file__, _multiworker)
jit = background(__file__, _jit)
refusals = background(__file__, _refusals)


def test_one_step_on_one_and_on_two_replicas_gives_the_same_weights():
    fig = replicas.result()
    # Synchronized BatchNorm: statistics over the global batch. Without it the same comparison differs by
    # 0.009 (G) and 0.045 (D) (tests/replicas.py --no-sync), so the bound below can fail.
    for model in ("G", "D", "EMA"):
        assert fig["one_vs_two"][model] < 1e-5, fig
        assert fig["moved"][model] > 1e-2, fig  # the step moved the weights: the comparison says something


def test_a_run_resumes_across_replica_counts():
    fig = replicas.result()
    for model in ("G", "D", "EMA"):
        assert fig["two_then_one"][model] < 1e-5, fig
        assert fig["one_then_two"][model] < 1e-5, fig


def test_two_workers_on_loopback_train_together_the_chief_writes_the_run_and_it_resumes_on_one_device():
    tmp, (chief, worker), resumed = multiworker.result()
    for r in (chief, worker):
        assert r.returncode == 0, r.stderr[-3000:]
    assert "strategy multiworker: 2 workers (this is worker 0, the chief), 2 replicas" in chief.stderr
    assert "global batch 8 (4 per replica)" in chief.stderr
    # one synchronous step per batch: both workers report the same losses
    done = [re.findall(r"epoch 1 done: step 2 d_loss \S+ g_loss \S+", r.stderr) for r in (chief, worker)]
    assert len(done[0]) == 1 and done[0] == done[1], done
    run = tmp / "out0"
    for name in ("run.json", "generator.keras", "discriminator.keras", "samples/epoch_0001.png", "metrics.csv"):
        assert (run / name).is_file(), name
    assert not (tmp / "out1").exists()  # the other worker wrote nothing of the run
    import keras

    saved = keras.saving.load_model(run / "generator.keras")  # saved as any run's: plain BatchNorm
    assert all(not getattr(layer, "synchronized", False) for layer in saved.layers)
    assert not list((tmp / "scratch1").glob("edgegan-worker-*"))  # and removed its own checkpoints
    assert resumed is not None and resumed.returncode == 0, resumed.stderr[-3000:] if resumed else "no resume"
    assert "strategy one: 1 replica" in resumed.stderr
    rec = json.loads((run / "run.json").read_text())
    assert rec["steps"] == 4 and rec["epochs_done"] == 2 and rec["config"]["strategy"] == "one"
    assert "--strategy one" in rec["resumed_with"][-1]


def test_jit_trains_and_is_bit_compatible_with_its_own_resume():
    import keras

    tmp, runs = jit.result()
    for r in runs:
        assert r is not None and r.returncode == 0, r.stderr[-3000:] if r else "not run"
    for name in ("generator.keras", "discriminator.keras"):
        a, b = (keras.saving.load_model(tmp / run / name).get_weights() for run in ("straight", "resumed"))
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    assert json.loads((tmp / "resumed" / "run.json").read_text())["config"]["jit"] is True


@pytest.mark.parametrize(
    "name, words",
    [
        ("mixed", "--mixed-precision needs a GPU"),
        ("uneven", "--batch-size 7 does not split over 2 replicas"),
    ],
)
def test_what_cannot_run_here_is_refused_in_one_line(name, words):
    tmp, runs = refusals.result()
    r = runs[name]
    assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp / name).exists()  # nothing half-made


def test_multiworker_without_tf_config_and_devices_without_mirrored_are_refused(monkeypatch):
    from edgegan.distribute import place
    from edgegan.errors import ConfigError

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="reads the cluster from TF_CONFIG"):
        place("multiworker")
    with pytest.raises(ConfigError, match="--devices is for --strategy mirrored"):
        place("multiworker", devices=2)
    with pytest.raises(ConfigError, match="auto chose one"):
        place("auto", devices=2)  # no GPU here
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ConfigError, match="TF_CONFIG is not a cluster description"):
        place("multiworker")


def test_the_mixed_precision_step_trains_and_saves_float32_models(tmp_path):
    """The GPU path's code on this CPU (where the CLI refuses it): float16 math, loss scaling, float32 files."""
    import keras
    import tensorflow as tf

    from edgegan.distribute import Placement
    from edgegan.models import ModelSpec
    from edgegan.train import TrainConfig, Trainer

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        placement = Placement(tf.distribute.get_strategy(), "one", ["CPU:0"], precision="mixed_float16")
        tr = Trainer(TrainConfig(out=str(tmp_path), batch_size=8, spec=ModelSpec(latent_dim=16)), placement=placement)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32)
    batches = tr.batches(x, None, np.arange(16), 0, 2)
    losses = [[float(v) for v in tr._step_fn(next(batches), np.float32(0))] for _ in range(2)]
    assert np.isfinite(losses).all()
    assert tr.G.layers[-1].compute_dtype == "float16" and type(tr.g_opt).__name__ == "LossScaleOptimizer"
    saved = tr.portable(tr.generator)
    assert saved.dtype_policy.name == "float32"
    np.testing.assert_allclose(saved(tr.fixed_z), np.asarray(tr.generator(tr.fixed_z), np.float32), atol=5e-3)
