"""Where training runs: TensorFlow's tf.distribute strategies behind one small object (train tier).

    --strategy one          one device: the first GPU, else the CPU
    --strategy mirrored     tf.distribute.MirroredStrategy: every local GPU (or the first --devices N), or, without a
                            GPU, the CPU split into --devices N logical devices (for testing the replicated path)
    --strategy multiworker  tf.distribute.MultiWorkerMirroredStrategy: one process per machine, the cluster read
                            from the standard TF_CONFIG variable; worker 0 (or the "chief" task) is the chief
    --strategy auto         mirrored when there are two or more GPUs, else one

``place()`` must run before anything else starts TensorFlow's runtime: logical devices and the multi-worker
strategy can only be set up first. Replicated training is the same algorithm as one device (docs/design.md,
"Training on several devices"): synchronized BatchNorm statistics over the global batch, losses averaged over
the global batch, one set of latents per step sliced by replica.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from edgegan.errors import ConfigError

STRATEGIES = ("auto", "one", "mirrored", "multiworker")


@dataclass
class Placement:
    """A strategy and what the run needs to know about it."""

    strategy: Any  # tf.distribute.Strategy
    kind: str  # "one", "mirrored" or "multiworker" (auto resolved)
    devices: list[str] = field(default_factory=list)  # this process's devices
    workers: int = 1
    worker: int = 0  # this process's index among the workers
    is_chief: bool = True  # writes the run folder; the other workers write nothing there
    precision: str = "float32"  # or "mixed_float16"

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    def check_batch(self, global_batch: int) -> int:
        """The per-replica batch, or a one-line error when the global batch does not split evenly."""
        if global_batch % self.replicas:
            raise ConfigError(
                f"--batch-size {global_batch} does not split over {self.replicas} replicas; "
                f"use a multiple of {self.replicas} (it is the global batch)"
            )
        return global_batch // self.replicas

    def describe(self, global_batch: int) -> list[str]:
        """The first lines a run prints: devices, replicas, batch, precision."""
        where = ", ".join(self.devices)
        workers = (
            f"{self.workers} workers (this is worker {self.worker}{', the chief' if self.is_chief else ''}), "
            if self.workers > 1
            else ""
        )
        return [
            f"strategy {self.kind}: {workers}{self.replicas} replica{'s' if self.replicas > 1 else ''} on {where}"
            + (" of each worker" if self.workers > 1 else ""),
            f"global batch {global_batch} ({global_batch // self.replicas} per replica), precision {self.precision}",
        ]


def place(kind: str = "auto", devices: int = 0, mixed_precision: bool = False) -> Placement:
    """Set up the strategy ``kind`` (see the module doc); one-line ConfigErrors for what cannot work here."""
    import tensorflow as tf

    if kind not in STRATEGIES:
        raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {kind!r}")
    if devices < 0:
        raise ConfigError(f"--devices must be 0 (all) or more, got {devices}")
    if os.environ.get("TF_CONFIG", None) == "":  # empty is unset (TensorFlow's own parser fails on it)
        del os.environ["TF_CONFIG"]
    if kind == "multiworker" and devices:
        raise ConfigError("--devices is for --strategy mirrored; each multiworker worker uses all its GPUs (or CPU)")
    # multiworker first: its strategy must set up TensorFlow's runtime before any other call
    placement = _multiworker(tf) if kind == "multiworker" else _local(tf, kind, devices)
    if mixed_precision:
        if not any("GPU" in d for d in placement.devices):
            raise ConfigError(
                "--mixed-precision needs a GPU (mixed_float16 runs float16 math on its tensor cores; on this "
                "machine's CPU it would be slower, not faster); drop the flag"
            )
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")
        placement.precision = "mixed_float16"
    return placement


def _local(tf, kind: str, devices: int) -> Placement:
    gpus = tf.config.list_physical_devices("GPU")
    chosen = kind == "auto"
    if chosen:
        kind = "mirrored" if len(gpus) >= 2 else "one"
    if kind == "one" and devices:
        why = f" (auto chose one: this machine has {len(gpus)} GPU(s))" if chosen else ""
        raise ConfigError(f"--devices is for --strategy mirrored{why}; drop it or pass --strategy mirrored")
    if kind == "one":
        # TensorFlow's default strategy: its placement is this one (the first GPU, else the CPU). Measured here
        # (batch 32, 2 cores): OneDeviceStrategy("/cpu:0") ran the same step at 1.9 steps/s against 4.4
        # (tools/profile_train_step.py: its convolution gradients took twice the time).
        name = "GPU:0" if gpus else "CPU:0"
        return Placement(tf.distribute.get_strategy(), "one", [name])
    if gpus:
        names = [f"/gpu:{i}" for i in range(len(gpus))][: devices or None]
        if devices > len(gpus):
            raise ConfigError(f"--devices {devices} but this machine has {len(gpus)} GPU(s)")
        ops = None  # NCCL all-reduce where TensorFlow has it
    else:
        names = [d.name for d in _logical_cpus(tf, devices or 1)]
        ops = tf.distribute.ReductionToOneDevice()  # NCCL is GPU-only
    strategy = tf.distribute.MirroredStrategy(devices=names, cross_device_ops=ops)
    return Placement(strategy, "mirrored", [_pretty(n) for n in names])


def _logical_cpus(tf, n: int) -> list:
    """The CPU as n logical devices (for testing replicated training on one CPU)."""
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:  # already initialized: fine if it already has n devices
        pass
    logical = tf.config.list_logical_devices("CPU")
    if len(logical) != n:
        raise ConfigError(
            f"--devices {n}: TensorFlow already runs with {len(logical)} CPU device(s) in this process; "
            "logical devices are set before it starts (run edgegan train in a fresh process)"
        )
    return logical


def _multiworker(tf) -> Placement:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ConfigError(
            "--strategy multiworker reads the cluster from TF_CONFIG; set it on each machine "
            "(README, 'Train on GPUs or several machines')"
        )
    try:
        conf = json.loads(raw)
        cluster, task = conf["cluster"], conf["task"]
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"TF_CONFIG is not a cluster description ({type(e).__name__}: {e})") from None
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    has_chief = "chief" in cluster
    order = (["chief"] if has_chief else []) + ["worker"]
    members = [(t, i) for t in order for i in range(len(cluster.get(t, [])))]
    worker = members.index((kind, index))
    # this worker's own devices (the list also names them once per job: /job:worker/... and /job:localhost/...)
    local = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    devices = sorted({_pretty(d.name) for d in local})
    return Placement(strategy, "multiworker", devices, len(members), worker, worker == 0)


def _pretty(name: str) -> str:
    """'/job:localhost/replica:0/task:0/device:CPU:1' -> 'CPU:1'."""
    return name.split("device:")[-1].upper().lstrip("/")
