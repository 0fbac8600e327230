"""Shared fixtures. Expensive work (a tiny training run, one export of every variant) happens
once per session; tests never need ../shared (a fresh clone has none): they make their data."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


needs_tf = pytest.mark.skipif(
    not has("tensorflow"), reason="needs the train/export tier (pip install 'edgegan[export]')"
)


@pytest.fixture(scope="session", autouse=True)
def _nothing_lands_at_the_root():
    """Tests run commands in the repository root; a file a library dumps there (ONNX Runtime's
    sym_shape_infer_temp.onnx once was, and was committed) fails the session."""
    before = {p.name for p in ROOT.iterdir()}
    yield
    new = sorted({p.name for p in ROOT.iterdir()} - before - {".pytest_cache"})
    assert not new, f"the tests left {new} in the repository root"


def synthetic_digits(n: int = 256, seed: int = 0) -> np.ndarray:
    """uint8 (n, 28, 28): bright strokes (bars and boxes) on black, MNIST-like statistics."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        r0, c0 = rng.integers(4, 12, 2)
        h, w = rng.integers(8, 14, 2)
        if i % 2:
            x[i, r0 : r0 + h, c0 : c0 + 3] = 255
        else:
            x[i, r0 : r0 + h, c0 : c0 + w] = 255
            x[i, r0 + 2 : r0 + h - 2, c0 + 2 : c0 + w - 2] = 0
    return x


def write_idx(path: Path, arr: np.ndarray, gz: bool = True) -> Path:
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def run_cli(
    *args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    e = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "edgegan", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=e,
        timeout=timeout,
    )


def run_clis(commands: list[list[str]], env: dict | list[dict] | None = None, timeout: int = 900) -> list:
    """Several independent edgegan commands at once, results in order: on 2 cores their imports and
    single-threaded conversions overlap (the zoo's four exports: 88 s one after another). Output goes to files,
    not pipes, so no process blocks on a full pipe while another is waited for. ``env``: extra variables for all,
    or a list with one dict per command. Past ``timeout`` every process still running is killed."""
    import contextlib
    import tempfile

    envs = env if isinstance(env, list) else [env] * len(commands)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as files:
        procs = []
        for i, (args, extra) in enumerate(zip(commands, envs)):
            out, err = (files.enter_context(open(Path(tmp) / f"{i}.{k}", "w+")) for k in ("out", "err"))
            cmd = [sys.executable, "-m", "edgegan", *args]
            e = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra or {})}
            procs.append((subprocess.Popen(cmd, stdout=out, stderr=err, text=True, cwd=ROOT, env=e), out, err))
        results = []
        try:
            for p, out, err in procs:
                p.wait(timeout=timeout)
                out.seek(0), err.seek(0)
                results.append(subprocess.CompletedProcess(p.args, p.returncode, out.read(), err.read()))
        finally:
            for p, _, _ in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    return results


class Background:
    """Slow, self-contained subprocess work (the arm64 emulation, multi-process training) started when the session
    starts, on a thread, so it runs on the core the suite leaves idle (most tests wait on one single-threaded
    process); the test that owns it collects the result. Declared at module level with ``background(__file__, fn)``;
    started only when a test of that module is selected. ``fn(tmp)`` gets a session temporary folder of its own.
    The thread lowers its own priority first: on Linux the nice value is per thread and the processes it starts
    inherit it, so the suite's foreground tests keep the CPU they ask for."""

    def __init__(self, module: str, fn):
        self.module, self.fn, self.thread, self.value, self.error = Path(module).resolve(), fn, None, None, None

    def start(self, tmp: Path) -> None:
        import threading

        assert self.thread is None, f"{self.fn.__name__} started twice"

        def work():
            os.nice(10)
            try:
                self.value = self.fn(tmp)
            except BaseException as e:  # re-raised in the test that owns the work
                self.error = e

        self.thread = threading.Thread(target=work, name=f"background {self.fn.__name__}", daemon=True)
        self.thread.start()

    def result(self, timeout: float = 1800):
        """What ``fn`` returned (waits for it); its exception if it raised."""
        assert self.thread is not None, "not started: its module had no selected test"
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"{self.fn.__name__} still running after {timeout} s"
        if self.error is not None:
            raise self.error
        return self.value


BACKGROUND: list[Background] = []


def verify_with_broken_file(src: Path, dst: Path, name: str, breaker) -> subprocess.CompletedProcess:
    """Copy bundle ``src`` to ``dst``, break its file ``name`` with ``breaker(path)``, record the broken file's hash
    and size in the manifest (so only the parity check can catch it) and run `edgegan verify` on the copy."""
    import json
    import shutil

    from edgegan import manifest as mf

    shutil.copytree(src, dst)
    target = dst / name
    breaker(target)
    data = json.loads((dst / "manifest.json").read_text())
    for f in data["files"]:
        if f["path"] == name:
            f["sha256"], f["bytes"] = mf.sha256_file(target), target.stat().st_size
    (dst / "manifest.json").write_text(json.dumps(data))
    return run_cli("verify", str(dst))


def background(module: str, fn) -> Background:
    """Register ``fn(tmp)`` to start with the session (see Background); call at module level with __file__."""
    job = Background(module, fn)
    BACKGROUND.append(job)
    return job


def pytest_collection_modifyitems(items):
    """Modules with background work run last (a stable sort): their work has had the whole session to finish."""
    owners = {job.module for job in BACKGROUND}
    items.sort(key=lambda item: Path(str(item.fspath)).resolve() in owners)


@pytest.fixture(scope="session", autouse=True)
def _background_jobs(request, tmp_path_factory):
    selected = {Path(str(item.fspath)).resolve() for item in request.session.items}
    started = [job for job in BACKGROUND if job.module in selected]
    for job in started:
        job.start(tmp_path_factory.mktemp(job.fn.__name__))
    yield
    for job in started:  # a job whose test was deselected: its processes do not outlive the session
        job.thread.join(1800)


@pytest.fixture(scope="session")
def digits_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("digits")
    write_idx(d / "train-images-idx3-ubyte.gz", synthetic_digits(256))
    write_idx(d / "train-labels-idx1-ubyte.gz", np.arange(256) % 10)
    return d


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, digits_dir) -> Path:
    """A real training run of the seed DCGAN: 2 epochs x 4 steps on synthetic digits."""
    if not has("tensorflow"):
        pytest.skip("needs the train tier")
    from edgegan.train import TrainConfig, train

    out = tmp_path_factory.mktemp("run") / "tiny"
    train(TrainConfig(data=str(digits_dir), out=str(out), epochs=2, steps_per_epoch=4, batch_size=16, seed=1))
    return out


def _export_all(run: Path, folder: Path, calibration_samples: int) -> Path:
    """Every format x precision of both networks of a run, into folder/b."""
    from edgegan.export.bundle import ExportOptions, export_bundle
    from edgegan.export.formats import select

    export_bundle(run, folder / "b", select("all", "all"), ExportOptions(calibration_samples=calibration_samples))
    return folder / "b"


@pytest.fixture(scope="session")
def bundle(tmp_path_factory, tiny_run) -> Path:
    """Every format x precision of both networks, exported once (the expensive fixture)."""
    return _export_all(tiny_run, tmp_path_factory.mktemp("bundle"), 64)


@pytest.fixture
def bundle_copy(bundle, tmp_path) -> Path:
    import shutil

    dst = tmp_path / "bundle"
    shutil.copytree(bundle, dst)
    return dst


@pytest.fixture(scope="session")
def cond_run(tmp_path_factory, digits_dir) -> Path:
    """A real conditional training run (labels 0-9 from the IDX label file): 2 epochs x 3 steps, small z."""
    if not has("tensorflow"):
        pytest.skip("needs the train tier")
    from edgegan.models import ModelSpec
    from edgegan.train import TrainConfig, train

    out = tmp_path_factory.mktemp("cond") / "run"
    cfg = TrainConfig(
        data=str(digits_dir),
        out=str(out),
        epochs=2,
        steps_per_epoch=3,
        batch_size=16,
        seed=2,
        conditional=True,
        spec=ModelSpec(latent_dim=16),
    )
    train(cfg)
    return out


@pytest.fixture(scope="session")
def cond_bundle(tmp_path_factory, cond_run) -> Path:
    """The conditional run in every format x precision of both networks (the label input in each)."""
    return _export_all(cond_run, tmp_path_factory.mktemp("cond_bundle"), 40)


@pytest.fixture(scope="session")
def gpu_device() -> str:
    """The GPU device's name, or a skip (a failure under CI) when LiteRT's GPU accelerator finds none."""
    from edgegan.runtime.compiled import measure_isolated

    f = ROOT / "models" / "mnist-dcgan" / "generator.fp32.tflite"
    runs, _ = measure_isolated([f], [np.load(f.parent / "reference.npz")["z"][:2]])
    if not runs[0].measured:
        why = f"LiteRT's GPU accelerator has no device here ({runs[0].reason}); tools/ci/gpu_device.sh installs one"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return runs[0].placement["device"]
