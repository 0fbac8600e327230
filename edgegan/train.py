"""The article's DCGAN training loop (train tier).

One compiled step trains D on a real and a fake batch, then G through the updated D, as the
article's source does with ``train_on_batch``, but without its overheads: no Python per call, one G
forward per step (the article's source also feeds the same latents to D's fake batch and G's step),
and G's upsample+conv blocks computed as exact phase convolutions (``training_forward``: same
weights and math, 2.25x fewer multiply-adds). An exponential moving average of G's weights
(``ema``, on by default) is what the run saves and samples from: it smooths the last few epochs'
oscillation, the usual quality win for GAN generators; ``--ema 0`` keeps the raw G (the article's).

A run folder holds everything: ``run.json`` (config + record), ``checkpoints/`` (the last few,
written by tf.train.CheckpointManager: temp files + an atomically swapped index), ``samples/``
(one grid PNG per epoch from fixed latents), ``metrics.csv``, ``tb/`` (TensorBoard),
``losses.png``, ``progress.gif`` and the final ``generator.keras`` / ``discriminator.keras``.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgegan.errors import ConfigError, TrainingError
from edgegan.export.optimize import training_forward
from edgegan.manifest import sha256_file
from edgegan.models import ModelSpec
from edgegan.runtime.images import atomic_write, save_gif, save_grid, to_uint8

log = logging.getLogger("edgegan.train")
FAULT_NAN_ENV = "EDGEGAN_FAULT_NAN_AT_STEP"  # test hook: make the loss at this step NaN


@dataclass
class TrainConfig:
    data: str = "mnist"  # "mnist", "fashion_mnist" or a path (IDX, .npz, image folder)
    out: str = "runs/dcgan"  # run folder
    epochs: int = 30
    batch_size: int = 32  # the article's
    lr: float = 2e-4  # Adam learning rate, both networks (the article's)
    beta_1: float = 0.5  # Adam beta_1 (the article's)
    adam_epsilon: float = 1e-7  # Adam epsilon (Keras' default)
    seed: int = 0  # weights, data order, latents and dropout all follow from it
    limit: int | None = None  # use only the first N images (after a seeded shuffle)
    steps_per_epoch: int | None = None  # cap steps per epoch (quick runs, tests)
    checkpoint_every: int = 0  # also checkpoint every N steps (0 = at epoch ends only)
    keep: int = 3  # checkpoints kept
    samples: int = 36  # fixed latents drawn in each epoch's grid
    ema: float = 0.999  # decay of the generator's weight average (0 = save the raw generator, as the article)
    conditional: bool = False  # train on (image, label) pairs; spec.classes 0 = read the count from the labels
    # where and how it runs (edgegan.distribute): a resume may change these
    strategy: str = "auto"  # "auto", "one", "mirrored" or "multiworker"
    devices: int = 0  # mirrored: this many GPUs, or logical CPU devices without a GPU (0: all GPUs / 1 CPU)
    mixed_precision: bool = False  # mixed_float16 (GPUs only)
    jit: bool = False  # XLA-compile the per-replica step
    spec: ModelSpec = field(default_factory=ModelSpec)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["spec"] = self.spec.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        spec = ModelSpec.from_dict(d.pop("spec", {}))
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__}, spec=spec)


@dataclass
class EpochResult:
    epoch: int
    step: int
    d_loss: float
    g_loss: float
    d_acc: float
    seconds: float


def _bce(y_true: float, p):
    """Binary cross-entropy per example: (B, 1) probabilities -> (B,)."""
    import tensorflow as tf

    p = tf.clip_by_value(tf.cast(p[:, 0], tf.float32), 1e-7, 1 - 1e-7)
    return -(y_true * tf.math.log(p) + (1 - y_true) * tf.math.log(1 - p))


def _check(cfg: TrainConfig) -> None:
    if not 0 <= cfg.ema < 1:
        raise ConfigError(f"--ema must be in [0, 1) (e.g. 0.999, or 0 for none), got {cfg.ema}")


class Trainer:
    """Holds the models, optimizers, RNG and checkpoint of one run folder, placed by a tf.distribute strategy
    (edgegan.distribute; default: one device)."""

    def __init__(self, cfg: TrainConfig, resume: bool = False, placement=None, save_dir: Path | None = None):
        import keras
        import tensorflow as tf

        from edgegan.distribute import place
        from edgegan.models import build_discriminator, build_generator

        self.cfg, self.out = cfg, Path(cfg.out)
        self.place = placement or place("one")
        self.per_replica = self.place.check_batch(cfg.batch_size)
        keras.utils.set_random_seed(cfg.seed)
        tf.config.experimental.enable_op_determinism()
        _check(cfg)
        sync = self.place.replicas > 1  # BatchNorm statistics over the global batch, as on one device
        with self.place.strategy.scope():
            self.G, self.D = build_generator(cfg.spec, sync), build_discriminator(cfg.spec, sync)
            self.G_ema = build_generator(cfg.spec, sync) if cfg.ema else None
            if self.G_ema is not None:
                self.G_ema.set_weights(self.G.get_weights())
            self.g_opt, self.d_opt = (self._optimizer(keras) for _ in range(2))
            self.g_opt.build(self.G.trainable_variables)
            self.d_opt.build(self.D.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, name="step")
        self._g = training_forward(self.G) or self.G
        # One stream for the whole run, drawn outside the replicas: every replica count sees the same latents
        self.rng = tf.random.Generator.from_seed(cfg.seed)
        seeds = [v for m in (self.G, self.D) for v in m.variables if "seed_generator" in v.path]
        self._saved = dict(
            generator=self.G,
            discriminator=self.D,
            g_opt=self.g_opt,
            d_opt=self.d_opt,
            rng=self.rng,
            step=self.step,
            dropout_seeds=seeds,
            **({"generator_ema": self.G_ema} if self.G_ema is not None else {}),
        )
        self.ckpt = tf.train.Checkpoint(**self._saved)
        # the run's checkpoints; a worker that is not the chief saves into its own save_dir and reads the chief's
        self.manager = tf.train.CheckpointManager(self.ckpt, save_dir or self.out / "checkpoints", max_to_keep=cfg.keep)
        self.restore_dir = self.out / "checkpoints"
        self.fixed_z, self.fixed_labels, self.grid_cols = _fixed_inputs(cfg)
        if resume:
            self.restore()
        self._replica_fn = tf.function(self._replica_step, jit_compile=True) if cfg.jit else self._replica_step
        self._step_fn = tf.function(self._train_step, reduce_retracing=True)

    def _optimizer(self, keras):
        opt = keras.optimizers.Adam(self.cfg.lr, beta_1=self.cfg.beta_1, epsilon=self.cfg.adam_epsilon)
        return keras.optimizers.LossScaleOptimizer(opt) if self.place.precision == "mixed_float16" else opt

    def restore(self) -> str | None:
        """Restore the newest readable checkpoint; fall back to older ones with a warning."""
        import tensorflow as tf

        found = tf.train.get_checkpoint_state(str(self.restore_dir))
        paths = list(found.all_model_checkpoint_paths) if found else []
        for path in reversed(paths):
            try:
                keys = tf.train.load_checkpoint(path).get_variable_to_shape_map()
                if self.G_ema is not None and not any(k.startswith("generator_ema/") for k in keys):
                    # a run from before the weight average existed: restore the rest, start the average at G
                    older = tf.train.Checkpoint(**{k: v for k, v in self._saved.items() if k != "generator_ema"})
                    older.restore(path).assert_existing_objects_matched()
                    self.G_ema.set_weights(self.G.get_weights())
                else:
                    self.ckpt.restore(path).assert_existing_objects_matched()
                return path
            except Exception as e:  # DataLossError, NotFoundError, ... for a damaged file
                log.warning("checkpoint %s is unreadable (%s); trying the previous one", path, type(e).__name__)
        if paths:
            raise TrainingError(f"{self.out / 'checkpoints'}: no readable checkpoint; start again without --resume")
        return None

    def _train_step(self, batch, nan):
        """One step: ``batch`` is (real images[, int32 labels]) as the strategy distributes them (per replica).
        Latents and fake labels are drawn once for the global batch here and sliced by each replica."""
        import tensorflow as tf

        spec, gb = self.cfg.spec, self.cfg.batch_size
        z = self.rng.normal((gb, spec.latent_dim))
        # a conditional G draws digits of uniformly random classes; D judges each image with its class
        # (unconditional: an empty tensor in its place, since strategy.run passes tensors to every replica)
        fake_labels = self.rng.uniform((gb,), 0, spec.classes, dtype=tf.int32) if spec.conditional else z[:, :0]
        S = self.place.strategy
        d_loss, g_loss, hits = S.run(self._replica_fn, args=(batch, z, fake_labels, nan))
        d_loss, g_loss, hits = (S.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in (d_loss, g_loss, hits))
        if self.G_ema is not None:  # warm-up: the average forgets the random start within the first steps
            t = tf.cast(self.step + 1, tf.float32)
            decay = tf.minimum(self.cfg.ema, (1.0 + t) / (10.0 + t))
            for e, v in zip(self.G_ema.variables, self.G.variables):  # weights and BatchNorm statistics
                e.assign(decay * e + (1.0 - decay) * v)
        self.step.assign_add(1)
        return d_loss, g_loss, hits / (2 * gb)

    def _replica_step(self, batch, z, fake_labels, nan):
        """This replica's share of the step: its slice of the global latents, losses averaged over the global
        batch (tf.nn.compute_average_loss), gradients summed over replicas by the optimizers."""
        import tensorflow as tf

        spec, gb, n = self.cfg.spec, self.cfg.batch_size, self.per_replica
        real, labels = (batch[0], batch[1]) if spec.conditional else (batch[0], None)
        first = tf.distribute.get_replica_context().replica_id_in_sync_group * n
        z, fake_labels = z[first : first + n], fake_labels[first : first + n]
        with_label = (lambda x, y: [x, y]) if spec.conditional else (lambda x, y: x)
        mean = lambda per_example: tf.nn.compute_average_loss(per_example, global_batch_size=gb)  # noqa: E731
        g_vars, d_vars = self.G.trainable_variables, self.D.trainable_variables
        # G's tape watches only G's weights, so D's own step is not recorded on it.
        with tf.GradientTape(watch_accessed_variables=False) as g_tape:
            g_tape.watch([v.value for v in g_vars])  # the tf.Variables under the Keras ones
            fake = self._g(with_label(z, fake_labels), training=True)  # the one G forward of the step
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                p_real = self.D(with_label(real, labels), training=True)
                p_fake = self.D(with_label(fake, fake_labels), training=True)
                d_loss = mean(0.5 * (_bce(1.0, p_real) + _bce(0.0, p_fake))) + nan
                scaled = self.d_opt.scale_loss(d_loss)  # on the tape: times the loss scale in mixed precision
            self.d_opt.apply_gradients(zip(d_tape.gradient(scaled, d_vars), d_vars))
            # through the D just updated, as the article
            g_loss = mean(_bce(1.0, self.D(with_label(fake, fake_labels), training=True)))
            scaled = self.g_opt.scale_loss(g_loss)
        self.g_opt.apply_gradients(zip(g_tape.gradient(scaled, g_vars), g_vars))
        hits = tf.reduce_sum(tf.cast(p_real[:, 0] > 0.5, tf.float32)) + tf.reduce_sum(
            tf.cast(p_fake[:, 0] < 0.5, tf.float32)
        )
        return d_loss, g_loss, hits

    def batches(self, x: np.ndarray, y: np.ndarray | None, order: np.ndarray, first: int, steps: int):
        """The epoch's global batches from step ``first`` on (rows ``order[k*B:(k+1)*B]`` for step k), as the
        strategy distributes them: each input pipeline (one per worker) yields its replicas' slices, in order."""
        import tensorflow as tf

        gb, n, R = self.cfg.batch_size, self.per_replica, self.place.replicas
        idx = order[: steps * gb].reshape(steps, gb)[first:]

        def dataset(ctx: tf.distribute.InputContext):
            local = R // ctx.num_input_pipelines  # replicas of this worker: ids lo .. lo + local - 1
            lo = ctx.input_pipeline_id * local
            rows = idx[:, lo * n : (lo + local) * n].reshape(-1, n)  # step 0 replica lo, step 0 replica lo+1, ...
            data = (x[rows],) + ((y[rows].astype(np.int32),) if y is not None else ())
            return tf.data.Dataset.from_tensor_slices(data)

        return iter(self.place.strategy.distribute_datasets_from_function(dataset))

    @property
    def generator(self):
        """What the run samples from and saves: the weight average when on, else G."""
        return self.G_ema if self.G_ema is not None else self.G

    def portable(self, model):
        """``model`` as the run saves it: float32 with plain BatchNorm, so how it trained (mixed precision,
        synchronized statistics) does not show in the file, which loads and exports as any other."""
        if self.place.replicas == 1 and self.place.precision == "float32":
            return model
        import keras

        from edgegan.models import build_discriminator, build_generator

        build = build_discriminator if model is self.D else build_generator
        policy = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy("float32")
        try:
            copy = build(self.cfg.spec)
        finally:
            keras.mixed_precision.set_global_policy(policy)
        copy.set_weights(model.get_weights())
        return copy

    def sample_grid(self) -> np.ndarray:
        inputs = self.fixed_z if self.fixed_labels is None else [self.fixed_z, self.fixed_labels]
        return to_uint8(np.asarray(self.generator(inputs, training=False), np.float32))


GRID_COLS = 10  # a conditional run's grid: one row per class, these many fixed latents per row


def _fixed_inputs(cfg: TrainConfig):
    """The latents (and labels) of every epoch's sample grid, and its column count. Unconditional: ``samples``
    latents in a square grid; conditional: row c holds class c, the same GRID_COLS latents in every row."""
    rng = np.random.default_rng([cfg.seed, 1])
    L, k = cfg.spec.latent_dim, cfg.spec.classes
    if not cfg.spec.conditional:
        return rng.standard_normal((cfg.samples, L)).astype(np.float32), None, None
    z = rng.standard_normal((GRID_COLS, L)).astype(np.float32)
    return np.tile(z, (k, 1)), np.repeat(np.arange(k, dtype=np.int32), GRID_COLS), GRID_COLS


def _steps_per_epoch(cfg: TrainConfig, n: int) -> int:
    steps = n // cfg.batch_size
    if steps == 0:
        raise ConfigError(f"{cfg.data}: {n} images is fewer than one batch of {cfg.batch_size}; lower --batch-size")
    return min(steps, cfg.steps_per_epoch) if cfg.steps_per_epoch else steps


HOW = ("epochs", "out", "strategy", "devices", "mixed_precision", "jit")  # what a resume may change


def train(
    cfg: TrainConfig,
    resume: bool = False,
    on_step: Callable[[int, int, dict], None] | None = None,
    on_epoch: Callable[[EpochResult], None] | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> dict:
    """Train (or resume) the run in ``cfg.out``; returns the run record (also in run.json). ``say`` gets the first
    lines: devices, replicas, global batch, precision. Under a multi-worker strategy only the chief writes the run
    folder; the other workers keep their checkpoints in a temporary folder, removed at the end (the pattern of
    TensorFlow's multi-worker guide), and return {}."""
    from edgegan.distribute import place

    out = Path(cfg.out)
    record_path = out / "run.json"
    if resume:
        if not record_path.is_file():
            raise ConfigError(f"{out}: nothing to resume (no run.json); drop --resume to start a new run")
        stored = TrainConfig.from_dict(json.loads(record_path.read_text())["config"])
        for name in HOW:
            setattr(stored, name, getattr(cfg, name))
        cfg = stored
    _check(cfg)  # before anything is written
    placement = place(cfg.strategy, cfg.devices, cfg.mixed_precision)  # before anything else starts TensorFlow
    import tensorflow as tf  # (started by place)

    chief = placement.is_chief
    if chief and not resume and (out / "checkpoints").exists() and any((out / "checkpoints").iterdir()):
        raise ConfigError(f"{out}: already holds a run; pass --resume to continue it or choose another --out")
    placement.check_batch(cfg.batch_size)

    x, y, cfg = _load_data(cfg)
    if x.shape[1:3] != (cfg.spec.height, cfg.spec.width):
        raise ConfigError(
            f"{cfg.data}: images are {x.shape[1]}x{x.shape[2]} but the model makes "
            f"{cfg.spec.height}x{cfg.spec.width}; pass --image-size {x.shape[1]}x{x.shape[2]}"
        )
    spe = _steps_per_epoch(cfg, len(x))
    record = _open_record(cfg, x, y, resume) if chief else {}
    for line in placement.describe(cfg.batch_size):
        say(line)

    scratch = None if chief else Path(tempfile.mkdtemp(prefix="edgegan-worker-"))
    try:
        tr = Trainer(cfg, resume=resume, placement=placement, save_dir=scratch)
        t_start = time.perf_counter()
        epoch = _run_epochs(tr, x, y, spe, out if chief else None, on_step, on_epoch)
    except tf.errors.UnavailableError as e:  # a collective lost a worker (killed, network): the others stop here
        if placement.workers == 1:
            raise
        raise TrainingError(
            "another worker stopped answering (TensorFlow's UnavailableError; --debug shows it); the run's last "
            "checkpoint is kept: start every worker again with --resume"
        ) from e
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if not chief:
        return {}
    _save_keras(tr.portable(tr.generator), out / "generator.keras")
    _save_keras(tr.portable(tr.D), out / "discriminator.keras")
    _finish_pictures(out)
    record.update(
        epochs_done=epoch,
        steps=int(tr.step.numpy()),
        wall_seconds=round(record.get("wall_seconds", 0) + time.perf_counter() - t_start, 1),
        generator_sha256=sha256_file(out / "generator.keras"),
        discriminator_sha256=sha256_file(out / "discriminator.keras"),
    )
    _write_json(record_path, record)
    return record


def _open_record(cfg: TrainConfig, x: np.ndarray, y: np.ndarray | None, resume: bool) -> dict:
    """The chief's run.json: new, or the stored one with this command appended (every command, in order)."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    record = _new_record(cfg, x, y) if not resume else json.loads((out / "run.json").read_text())
    if resume:
        import sys

        commit = _git_commit()
        line = " ".join(["edgegan", *sys.argv[1:]]) + (f" [git {commit[:12]}]" if commit else "")
        record.setdefault("resumed_with", []).append(line)
    record["config"] = cfg.to_dict()
    _write_json(out / "run.json", record)
    return record


def _run_epochs(tr: Trainer, x, y, spe: int, out: Path | None, on_step, on_epoch) -> int:
    """The epochs left; ``out`` None: a worker that is not the chief (checkpoints only, in its own folder)."""
    cfg = tr.cfg
    fault = int(os.environ.get(FAULT_NAN_ENV, "-1"))
    writer = _tb_writer(out) if out else None
    epoch = int(tr.step.numpy()) // spe
    while epoch < cfg.epochs:
        # Data order depends only on (seed, epoch): a resumed epoch sees the same batches.
        order = np.random.default_rng([cfg.seed, 2, epoch]).permutation(len(x))
        first = int(tr.step.numpy()) - epoch * spe
        batches = tr.batches(x, y, order, first, spe)
        sums, t0 = np.zeros(3), time.perf_counter()
        for k in range(first, spe):
            step = int(tr.step.numpy())
            nan = np.float32("nan") if step == fault else np.float32(0)
            d, g, a = (float(v) for v in tr._step_fn(next(batches), nan))
            if not np.isfinite([d, g]).all():
                last = tr.manager.latest_checkpoint or "none yet"
                raise TrainingError(
                    f"non-finite loss at step {step + 1} (d_loss={d}, g_loss={g}); stopped. "
                    f"Last finite checkpoint: {last}; lower --lr and --resume"
                )
            sums += (d, g, a)
            if on_step:
                on_step(k + 1, spe, {"epoch": epoch + 1, "d_loss": d, "g_loss": g, "d_acc": a})
            if cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0 and k + 1 < spe:
                tr.manager.save(checkpoint_number=step + 1)
        epoch += 1
        res = EpochResult(epoch, int(tr.step.numpy()), *(sums / max(spe - first, 1)), time.perf_counter() - t0)
        if out is not None:
            save_grid(tr.sample_grid(), out / "samples" / f"epoch_{epoch:04d}.png", cols=tr.grid_cols)
            _append_csv(out / "metrics.csv", res)
            _tb_log(writer, res)
        tr.manager.save(checkpoint_number=res.step)
        if on_epoch:
            on_epoch(res)
    return epoch


def _load_data(cfg: TrainConfig):
    """(images, labels or None, cfg): a conditional run reads the labels too, and the class count from them when
    the config leaves it at 0 (returned in the new cfg)."""
    from dataclasses import replace

    from edgegan.data import check_labels, load_images, load_labeled

    shuffle = cfg.seed if cfg.limit else None
    if not (cfg.conditional or cfg.spec.conditional):
        return load_images(cfg.data, channels=cfg.spec.channels, limit=cfg.limit, seed=shuffle), None, cfg
    x, y = load_labeled(cfg.data, channels=cfg.spec.channels, limit=cfg.limit, seed=shuffle)
    if not cfg.spec.conditional:  # the class count from the labels (check_labels still refuses negative ones)
        classes = max(int(y.max()) + 1 if len(y) else 0, 2)
        cfg = replace(cfg, conditional=True, spec=replace(cfg.spec, classes=classes))
    check_labels(y, cfg.spec.classes, cfg.data)
    return x, y, cfg


def _new_record(cfg: TrainConfig, x: np.ndarray, y: np.ndarray | None) -> dict:
    import platform
    import sys

    import keras
    import tensorflow as tf

    import edgegan

    files = []
    src = Path(cfg.data)
    if src.exists():
        for p in sorted([src] if src.is_file() else src.iterdir()):
            if p.is_file():
                files.append({"file": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size})
    return {
        "kind": "edgegan-run",
        "config": cfg.to_dict(),
        "command": " ".join(["edgegan", *sys.argv[1:]]) if Path(sys.argv[0]).name == "edgegan" else None,
        "data": {"source": str(cfg.data), "images": int(len(x)), "files": files}
        | ({"labels": np.bincount(y, minlength=cfg.spec.classes).tolist()} if y is not None else {}),
        "versions": {
            "edgegan": edgegan.__version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "git_commit": _git_commit(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "wall_seconds": 0.0,
    }


def _git_commit() -> str | None:
    import subprocess

    try:
        return (
            subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _write_json(path: Path, obj: dict) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(obj, indent=2) + "\n"))


def _save_keras(model, path: Path) -> None:
    atomic_write(path, lambda tmp: model.save(tmp))


def _append_csv(path: Path, res: EpochResult) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["epoch", "step", "d_loss", "g_loss", "d_acc", "seconds"])
        w.writerow(
            [res.epoch, res.step, f"{res.d_loss:.5f}", f"{res.g_loss:.5f}", f"{res.d_acc:.4f}", f"{res.seconds:.2f}"]
        )


def _tb_writer(out: Path):
    import tensorflow as tf

    return tf.summary.create_file_writer(str(out / "tb"))


def _tb_log(writer, res: EpochResult) -> None:
    import tensorflow as tf

    with writer.as_default(step=res.step):
        for k in ("d_loss", "g_loss", "d_acc"):
            tf.summary.scalar(k, getattr(res, k))
    writer.flush()


def _finish_pictures(out: Path) -> None:
    """progress.gif from the per-epoch grids and losses.png from metrics.csv."""
    from PIL import Image

    grids = sorted((out / "samples").glob("epoch_*.png"))
    if grids:
        frames = [np.asarray(Image.open(p).convert("L"))[..., None] for p in grids]
        save_gif(frames, out / "progress.gif", scale=1)
    rows = []
    if (out / "metrics.csv").exists():
        with open(out / "metrics.csv", newline="") as f:
            rows = list(csv.DictReader(f))
    if not rows:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [int(r["epoch"]) for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot(ep, [float(r["d_loss"]) for r in rows], label="d_loss")
    ax.plot(ep, [float(r["g_loss"]) for r in rows], label="g_loss")
    ax.plot(ep, [float(r["d_acc"]) for r in rows], label="D accuracy", linestyle="--")
    ax.set_xlabel("epoch")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(out / "losses.png", lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
