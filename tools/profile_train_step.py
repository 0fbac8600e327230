"""Where the training step's time goes: TensorFlow's profiler over N steps, summed by op type.

    python tools/profile_train_step.py [--steps 20] [--jit] [--json docs/profile_train_step.json]

Runs edgegan's compiled step (edgegan.train.Trainer, batch 32, one device) under tf.profiler, reads the
trace it writes (XSpace protobuf, TensorFlow's own schema) and sums the host-side op events by op type
and by op. Times are per step; the share is of the summed op time (ops on the two cores overlap, so the
sum can exceed the wall time).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import report

from edgegan import records

OP = re.compile(r"^(?P<name>[^:]+):(?P<type>[A-Z][A-Za-z0-9_]*)$")  # "gradient_tape/conv1/Conv2D:Conv2D"
CONTAINERS = {"PartitionedCall", "StatefulPartitionedCall", "While", "If", "StatelessIf", "StatelessWhile"}


def op_times(logdir: Path) -> tuple[dict, dict]:
    """Summed durations (seconds) by op type and by op name, from the .xplane.pb files under logdir."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    by_type, by_name = collections.Counter(), collections.Counter()
    for path in logdir.rglob("*.xplane.pb"):
        space = xplane_pb2.XSpace.FromString(path.read_bytes())
        for plane in space.planes:
            if not plane.name.startswith("/host:CPU"):
                continue
            meta = {k: v.name for k, v in plane.event_metadata.items()}
            for line in plane.lines:
                for ev in line.events:
                    m = OP.match(meta.get(ev.metadata_id, ""))
                    if m and m["type"] not in CONTAINERS:
                        by_type[m["type"]] += ev.duration_ps / 1e12
                        by_name[f"{m['name']} ({m['type']})"] += ev.duration_ps / 1e12
    return by_type, by_name


RECORD = Path(__file__).resolve().parents[1] / "docs" / "profile_train_step.json"


def fragments() -> dict[str, str]:
    """docs/results.md's profile of the training step: where its time goes, by op type and by op."""
    p = records.first(RECORD)
    if not p:
        return {
            "train-profile": "Not measured yet: `python tools/profile_train_step.py --json docs/profile_train_step.json`."
        }
    total = p["op_ms_per_step"]
    conv = sum(v for k, v in p["by_type"].items() if k.startswith("Conv2D"))
    lines = [
        f"**Where the step's time goes** (`python tools/profile_train_step.py --steps {p['steps']}`, batch {p['batch']}, "
        f"one device, TensorFlow's profiler): {p['wall_ms_per_step']:.0f} ms a step under the profiler, {total:.0f} ms "
        f"of op time (the two cores overlap); convolutions and their gradients are {conv / total:.0%} of it.",
        "",
        "| op type | ms a step | share |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {k} | {v:.1f} | {v / total:.1%} |" for k, v in list(p["by_type"].items())[:8]]
    lines += ["", "| op (top 8) | ms a step |", "| --- | --- |"]
    lines += [f"| `{k}` | {v:.1f} |" for k, v in list(p["top_ops"].items())[:8]]
    return {"train-profile": "\n".join(lines)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--jit", action="store_true")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--json")
    a = p.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    from edgegan.train import TrainConfig, Trainer

    tr = Trainer(TrainConfig(out=tempfile.mkdtemp(), batch_size=a.batch, jit=a.jit))
    real = np.random.default_rng(0).uniform(-1, 1, ((a.steps + 3) * a.batch, 28, 28, 1)).astype(np.float32)
    batches = tr.batches(real, None, np.arange(len(real)), 0, a.steps + 3)
    for _ in range(3):  # trace and warm up outside the profile
        [float(v) for v in tr._step_fn(next(batches), np.float32(0))]
    logdir = Path(tempfile.mkdtemp())
    tf.profiler.experimental.start(str(logdir))
    t = time.perf_counter()
    for _ in range(a.steps):
        [float(v) for v in tr._step_fn(next(batches), np.float32(0))]
    wall = (time.perf_counter() - t) / a.steps
    tf.profiler.experimental.stop()
    by_type, by_name = op_times(logdir)
    total = sum(by_type.values())
    print(
        f"{a.steps} steps, batch {a.batch}{' --jit' if a.jit else ''}: {wall * 1e3:.0f} ms a step (wall, profiled); "
        f"op time summed {total / a.steps * 1e3:.0f} ms a step"
    )
    print("\n| op type | ms a step | share |\n| --- | --- | --- |")
    for k, v in by_type.most_common(a.top):
        print(f"| {k} | {v / a.steps * 1e3:.1f} | {v / total:.1%} |")
    print("\n| op | ms a step | share |\n| --- | --- | --- |")
    for k, v in by_name.most_common(a.top):
        print(f"| {k} | {v / a.steps * 1e3:.1f} | {v / total:.1%} |")
    if a.json:
        res = dict(
            steps=a.steps,
            batch=a.batch,
            jit=a.jit,
            wall_ms_per_step=round(wall * 1e3, 1),
            op_ms_per_step=round(total / a.steps * 1e3, 1),
            by_type={k: round(v / a.steps * 1e3, 2) for k, v in by_type.most_common()},
            top_ops={k: round(v / a.steps * 1e3, 2) for k, v in by_name.most_common(40)},
        )
        records.save(Path(a.json), res)
        if Path(a.json).resolve() == RECORD:
            report.write(fragments())  # tools/fill_docs.py pastes it into docs/results.md
    return 0


if __name__ == "__main__":
    sys.exit(main())
