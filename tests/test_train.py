"""Training: finite losses, pictures, exact resume after SIGKILL, checkpoint fallback, NaN stop."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import needs_tf, run_cli

pytestmark = [needs_tf, pytest.mark.slow]


def test_tiny_run_leaves_everything_a_practitioner_expects(tiny_run):
    for name in (
        "run.json",
        "metrics.csv",
        "generator.keras",
        "discriminator.keras",
        "losses.png",
        "progress.gif",
        "samples/epoch_0001.png",
        "samples/epoch_0002.png",
    ):
        assert (tiny_run / name).is_file(), name
    with open(tiny_run / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(np.isfinite([float(r["d_loss"]), float(r["g_loss"])]).all() for r in rows)
    rec = json.loads((tiny_run / "run.json").read_text())
    assert rec["steps"] == 8 and rec["data"]["files"][0]["sha256"] and rec["versions"]["tensorflow"]
    assert list((tiny_run / "tb").iterdir())  # TensorBoard events
    assert len(list((tiny_run / "checkpoints").glob("ckpt-*.index"))) == 2


def _train_args(data, out, epochs=3):
    return [
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
        "--epochs",
        str(epochs),
        "--steps-per-epoch",
        "3",
        "--batch-size",
        "8",
        "--limit",
        "64",
        "--seed",
        "5",
        "--checkpoint-every",
        "1",
    ]


def _weights(run):
    from edgegan.models import load_keras

    g = load_keras(run / "generator.keras", "generator")
    d = load_keras(run / "discriminator.keras", "discriminator")
    return [w.numpy() for w in g.weights + d.weights]


def _latest_step(run):
    steps = (
        [int(p.name.split("-")[1].split(".")[0]) for p in (run / "checkpoints").glob("ckpt-*.index")]
        if (run / "checkpoints").exists()
        else []
    )
    return max(steps, default=0)


def test_sigkill_chain_then_resume_ends_with_the_same_weights(digits_dir, tmp_path):
    """Reliability item 12: SIGKILL one run at 6 random moments, resuming after each kill; the run
    must finish with exactly the weights of an uninterrupted run on the same seed, and no kill may
    lose a completed checkpoint."""
    args = [
        "--epochs",
        "6",
        "--steps-per-epoch",
        "10",
        "--batch-size",
        "8",
        "--limit",
        "96",
        "--seed",
        "5",
        "--checkpoint-every",
        "1",
    ]
    ref = tmp_path / "ref"  # the uninterrupted run, trained alongside the killed one (its own folder)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    ref_cmd = [sys.executable, "-m", "edgegan", "train", "--data", str(digits_dir), "--out", str(ref), *args]
    ref_run = subprocess.Popen(ref_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    out = tmp_path / "killed"
    rng = np.random.default_rng(0)
    record = []
    for _trial in range(6):  # each trial starts TensorFlow anew (~12 s here): 6 keep the suite under 15 min
        before = _latest_step(out)
        cmd = [sys.executable, "-m", "edgegan", "train", "--data", str(digits_dir), "--out", str(out), *args]
        if (out / "run.json").exists():
            cmd.append("--resume")
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # Kill at a random moment after this process has trained (a new checkpoint exists), so the kill
        # lands mid-step or mid-checkpoint however long TensorFlow takes to start on a loaded machine.
        deadline = time.monotonic() + 300
        while _latest_step(out) <= before and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(float(rng.uniform(0.0, 0.5)))
        p.send_signal(signal.SIGKILL)
        _, err = p.communicate()
        after = _latest_step(out)
        assert "unreadable" not in err, err[-1000:]  # the checkpoint it resumed from was intact
        assert after >= before  # a kill never loses a completed checkpoint
        record.append((before, after, p.returncode))
    r = run_cli("train", "--data", str(digits_dir), "--out", str(out), *args, "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    _, ref_err = ref_run.communicate(timeout=600)
    assert ref_run.returncode == 0, ref_err[-2000:]
    for a, b in zip(_weights(ref), _weights(out)):
        np.testing.assert_array_equal(a, b)
    killed_mid_run = [rec for rec in record if rec[2] == -signal.SIGKILL and 0 < rec[1] < 60]
    print(f"kills (checkpoint step before, after, exit): {record}")
    assert len(killed_mid_run) >= 4, record  # most kills landed while training


def test_corrupted_newest_checkpoint_falls_back_to_the_previous(digits_dir, tmp_path):
    out = tmp_path / "run"
    assert run_cli(*_train_args(digits_dir, out, epochs=2)).returncode == 0
    newest = sorted((out / "checkpoints").glob("ckpt-*.data-*"), key=lambda p: int(p.name.split("-")[1].split(".")[0]))[
        -1
    ]
    newest.write_bytes(b"garbage" * 10)
    r = run_cli(*_train_args(digits_dir, out, epochs=3), "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "unreadable" in r.stderr and "trying the previous one" in r.stderr
    assert json.loads((out / "run.json").read_text())["epochs_done"] == 3


def test_nan_loss_stops_the_run_and_keeps_the_last_finite_checkpoint(digits_dir, tmp_path):
    out = tmp_path / "run"
    r = run_cli(*_train_args(digits_dir, out), env={"EDGEGAN_FAULT_NAN_AT_STEP": "4"})
    assert r.returncode == 1
    assert "non-finite loss at step 5" in r.stderr and "Traceback" not in r.stderr
    ckpts = sorted(int(p.name.split("-")[1].split(".")[0]) for p in (out / "checkpoints").glob("ckpt-*.index"))
    assert ckpts[-1] == 4  # the last finite step
    r = run_cli(*_train_args(digits_dir, out), "--resume")  # and the run can go on from it
    assert r.returncode == 0


@pytest.mark.parametrize(
    "args, words",
    [
        (["--data", "/nonexistent/mnist"], "no such file or folder"),
        (["--image-size", "30x30"], "divisible by 4"),
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--ema", "1.5"], "--ema must be in [0, 1)"),
        (["--batch-size", "100000"], "fewer than one batch"),
    ],
)
def test_bad_training_arguments(tmp_path, digits_dir, args, words):
    base = {"--data": str(digits_dir), "--out": str(tmp_path / "r"), "--epochs": "1"}
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    r = run_cli("train", *[x for kv in base.items() for x in kv])
    assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()  # nothing half-made


def test_an_existing_run_is_not_overwritten_without_resume(tiny_run, digits_dir):
    r = run_cli("train", "--data", str(digits_dir), "--out", str(tiny_run), "--epochs", "1")
    assert r.returncode == 1 and "pass --resume" in r.stderr


@pytest.mark.parametrize("ema", [0.0, 0.5])
def test_saved_generator_is_the_weight_average_unless_ema_is_zero(digits_dir, tmp_path, ema):
    """--ema D saves the moving average of G (restorable from the checkpoint); --ema 0 saves the raw G."""
    import json as _json

    from edgegan.models import load_keras
    from edgegan.train import TrainConfig, Trainer, train

    out = tmp_path / "run"
    cfg = TrainConfig(data=str(digits_dir), out=str(out), epochs=1, steps_per_epoch=4, batch_size=8, limit=64, ema=ema)
    train(cfg)
    saved = [w.numpy() for w in load_keras(out / "generator.keras", "generator").weights]
    tr = Trainer(TrainConfig.from_dict(_json.loads((out / "run.json").read_text())["config"]), resume=True)
    raw = [w.numpy() for w in tr.G.weights]
    if ema:
        average = [w.numpy() for w in tr.G_ema.weights]
        for a, b in zip(saved, average):
            np.testing.assert_array_equal(a, b)
        assert any(not np.array_equal(a, b) for a, b in zip(saved, raw))
    else:
        assert tr.G_ema is None
        for a, b in zip(saved, raw):
            np.testing.assert_array_equal(a, b)


def test_a_run_from_before_the_weight_average_resumes_with_the_average_at_g(digits_dir, tmp_path):
    from edgegan.train import TrainConfig, Trainer, train

    out = tmp_path / "run"
    cfg = TrainConfig(data=str(digits_dir), out=str(out), epochs=1, steps_per_epoch=2, batch_size=8, limit=64, ema=0)
    train(cfg)  # its checkpoint has no generator_ema
    cfg.ema = 0.999
    tr = Trainer(cfg, resume=True)
    assert int(tr.step.numpy()) == 2
    for a, b in zip(tr.G_ema.weights, tr.G.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
