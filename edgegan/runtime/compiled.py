"""LiteRT's current API, CompiledModel, and its GPU accelerator (light tier: numpy + ai-edge-litert).

Android's ``runSignature``, the CompiledModel API on every platform and Android Studio's model binding reach a
file through its SignatureDef, not through the subgraph's inputs as the Interpreter does: a file whose signature
names a stale tensor runs under the Interpreter and is refused everywhere else. ``api_check`` opens a file
through all three (Interpreter, signature runner, CompiledModel) and runs it; export and verify call it.

ai-edge-litert's wheel carries LiteRT's GPU accelerator (the ML Drift kernels phones use, over WebGPU, on Vulkan
or Metal). ``CompiledEngine`` runs a file on it: ``accelerator="gpu"`` refuses a file that cannot run wholly on
the GPU, ``"gpu,cpu"`` lets the ops the GPU cannot take fall back to the CPU and says which, ``"cpu"`` is
CompiledModel's CPU path. The accelerator reports what it placed where only in its log (descriptor 2), so the
log of each compilation is captured and read (``Placement``). With no GPU device (no Vulkan driver) it refuses
in one line; it never runs on the CPU in silence.

``python -m edgegan.runtime.compiled JOB`` measures files on the GPU in a child process (export uses it): a
driver fault there cannot take the export down, and the accelerator's log stays out of the user's terminal.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from edgegan.errors import BackendError, InputError, MissingDependency, ModelFileError
from edgegan.runtime.engines import (
    Engine,
    TensorInfo,
    _dequantize,
    _quantize,
    _tfl_info,
    ordered_inputs,
    read_tflite_metadata,
)

ACCELERATORS = ("cpu", "gpu", "gpu,cpu")
# measured with tensorflow-cpu 2.21 and ai-edge-litert 2.3: TensorFlow imported first, then a GPU compilation:
# SIGSEGV (the other order runs). The light runtime never imports TensorFlow; a notebook that exported may have.
TF_CONFLICT = (
    "LiteRT's GPU accelerator crashes a process that has imported TensorFlow (a segmentation fault): run the GPU "
    "from a process without it (the light runtime, `edgegan generate --accelerator gpu`)"
)
NO_DEVICE = "no GPU device: LiteRT's GPU accelerator found no WebGPU adapter (it needs a Vulkan, Metal or D3D12 driver)"


@dataclass(frozen=True)
class Placement:
    """Where one compilation put a file's ops, as LiteRT's log says."""

    accelerator: str
    fully_accelerated: bool
    gpu_ops: int | None = None  # None: the accelerator printed no count (all on one device)
    cpu_ops: int | None = None
    fallback: tuple[str, ...] = ()  # "RESHAPE: Tensor dimensions must be less than 5 (x6)"
    device: str | None = None  # the WebGPU adapter: "llvmpipe (LLVM 15.0.6, 256 bits), backend=Vulkan, ..."

    def line(self) -> str:
        if self.fully_accelerated:
            return f"all ops on the {self.accelerator.split(',')[0].upper()}"
        return f"{self.cpu_ops} ops on the CPU ({'; '.join(self.fallback)}), {self.gpu_ops} on the GPU"


@contextlib.contextmanager
def native_log() -> Iterator[list[str]]:
    """Capture what native code writes to descriptors 1 and 2 during the block (LiteRT logs to 2, and its GPU
    accelerator prints an OpenCL notice through C's buffered stdout): yields a list that holds the text
    afterwards. With EDGEGAN_DEBUG set, the text is also written to the real stderr."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    out: list[str] = []
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield out
        finally:
            _flush_c_stdio()
            for fd, old in zip((1, 2), saved):
                os.dup2(old, fd)
                os.close(old)
            f.seek(0)
            out.append(f.read().decode("utf-8", "replace"))
            if os.environ.get("EDGEGAN_DEBUG"):
                sys.stderr.write(out[0])


def _flush_c_stdio() -> None:
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).fflush(None)


def placement(log: str, accelerator: str, fully: bool) -> Placement:
    """What LiteRT's log says of one compilation: the ops the GPU refused with the delegate's reason, counts."""
    counts = re.search(r"(\d+) operations will run on the GPU, and the remaining (\d+) operations", log)
    device = re.search(r"Selected adapter: (.+)", log)
    reasons: dict[str, int] = {}
    block = log.split("not supported by GPU delegate:", 1)[1] if "not supported by GPU delegate:" in log else ""
    for line in block.splitlines()[1:]:
        m = re.match(r"([A-Z][A-Z0-9_]+): ?(.*)$", line.strip())
        if not m:
            break
        reason = m[2].split(". ")[0].rstrip(".")  # the node name follows the reason
        key = f"{m[1]}: {reason}" if reason else m[1]
        reasons[key] = reasons.get(key, 0) + 1
    return Placement(
        accelerator,
        fully,
        int(counts[1]) if counts else None,
        int(counts[2]) if counts else None,
        tuple(k if n == 1 else f"{k} (x{n})" for k, n in reasons.items()),
        _remember_device(device[1].strip() if device else None) if "gpu" in accelerator else None,
    )


_DEVICE: list[str] = []


def _remember_device(name: str | None) -> str | None:
    """The WebGPU adapter, which LiteRT names in its log only when the first GPU compilation creates it."""
    if name and not _DEVICE:
        _DEVICE.append(name)
    return name or (_DEVICE[0] if _DEVICE else None)


def _litert():
    try:
        from ai_edge_litert import compiled_model as cm
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as e:
        raise MissingDependency(
            "LiteRT's CompiledModel API is not installed; install it with: pip install 'edgegan[tflite]'"
        ) from e
    return cm, Interpreter


_ENV: list = []
_ENV_LOCK = threading.Lock()


def _environment(cm):
    """One LiteRT environment per process (it loads the accelerators once; each one logs as it loads)."""
    with _ENV_LOCK:
        if not _ENV:
            os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="edgegan-xdg-"))  # Dawn needs it set
            with native_log():
                _ENV.append(cm.Environment.create())
            atexit.register(_quiet_teardown)
        return _ENV[0]


def _quiet_teardown() -> None:
    """LiteRT logs each accelerator it destroys when the environment goes, at interpreter exit: after the last
    Python output, point descriptors 1 and 2 at /dev/null for that (EDGEGAN_DEBUG keeps them)."""
    if os.environ.get("EDGEGAN_DEBUG"):
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    _flush_c_stdio()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def _compile(cm, data: bytes, accelerator: str, threads: int | None, enforce_f32: bool):
    """CompiledModel.from_buffer on ``accelerator``. ai-edge-litert 1.x (the version that runs on a Raspberry Pi
    under qemu here, tools/pi_check) has the API on the CPU only, without options or environments."""
    if not hasattr(cm, "Options"):
        if accelerator != "cpu":
            raise BackendError(
                "this ai-edge-litert has no GPU accelerator in its CompiledModel API (2.x has): pip install -U ai-edge-litert"
            )
        return cm.CompiledModel.from_buffer(data)
    options = _options(cm, accelerator, threads, enforce_f32)
    return cm.CompiledModel.from_buffer(data, environment=_environment(cm), options=options)


def _options(cm, accelerator: str, threads: int | None, enforce_f32: bool):
    HA = cm.HardwareAccelerator
    accel = {"cpu": HA.CPU, "gpu": HA.GPU, "gpu,cpu": HA.GPU | HA.CPU}[accelerator]
    return cm.Options(
        hardware_accelerators=accel,
        cpu_options=cm.CpuOptions(num_threads=threads or os.cpu_count() or 1),
        gpu_options=cm.GpuOptions(enforce_f32=enforce_f32) if "gpu" in accelerator else None,
    )


def _signature_infos(data: bytes, name: str) -> tuple[str, list[TensorInfo], TensorInfo, list[str]]:
    """(signature key, inputs in engine order, output, the inputs' signature names in that order) from the
    file's first SignatureDef, read through the Interpreter's signature runner."""
    _, Interpreter = _litert()
    try:
        it = Interpreter(model_content=data)
        sigs = it.get_signature_list()
        if not sigs:
            raise ModelFileError(
                f"{name}: has no SignatureDef; LiteRT's CompiledModel API cannot run it (re-export it)"
            )
        key = next(iter(sigs))
        runner = it.get_signature_runner(key)
        ins, outs = runner.get_input_details(), runner.get_output_details()
    except ModelFileError:
        raise
    except (ValueError, RuntimeError, IndexError) as e:
        raise ModelFileError(f"{name}: LiteRT's signature runner refuses it ({str(e).splitlines()[0][:160]})") from e
    if len(outs) != 1:
        raise ModelFileError(f"{name}: its signature has {len(outs)} outputs; edgegan models have one")
    by_tensor = {d["name"]: k for k, d in ins.items()}
    infos = ordered_inputs([_tfl_info(d) for d in ins.values()], 1, name, read_tflite_metadata(data))
    return key, infos, _tfl_info(next(iter(outs.values()))), [by_tensor[t.name] for t in infos]


class CompiledEngine(Engine):
    """A LiteRT file run through LiteRT's CompiledModel API on ``accelerator`` (ACCELERATORS)."""

    kind = "tflite"

    def __init__(self, data: bytes, name: str, accelerator: str = "gpu", threads: int | None = None, enforce_f32=False):
        if accelerator not in ACCELERATORS:
            raise BackendError(f"accelerator must be one of {', '.join(ACCELERATORS)}, got {accelerator!r}")
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise ModelFileError(f"{name}: not a TFLite flatbuffer (no TFL3 identifier)")
        if "gpu" in accelerator and "tensorflow" in sys.modules:
            raise BackendError(TF_CONFLICT)
        cm, _ = _litert()
        self._key, self.inputs, self.output, self._names = _signature_infos(data, name)
        self._data = data  # the compiled model may point into these bytes
        with native_log() as log:
            try:
                self.model = _compile(cm, data, accelerator, threads, enforce_f32)
                fully = self.model.is_fully_accelerated() if accelerator != "cpu" else True
            except RuntimeError as e:
                self.model, fully, error = None, False, e
        # with the CPU in the set, is_fully_accelerated() is True when GPU and CPU together take every op (measured:
        # a CycleGAN discriminator with 28 of 31 ops on the CPU): the log's count decides
        self.placement = placement(log[0], accelerator, fully)
        if self.placement.cpu_ops:
            self.placement = replace(self.placement, fully_accelerated=False)
        if self.model is None:
            raise _compile_error(name, log[0], self.placement, error)
        with native_log():
            # run_by_index takes the buffers in the order of the compiled signature's inputs, which is not always
            # the interpreter's (measured: a conditional file lists z, label where the interpreter lists label, z)
            order = self.model.get_signature_list()[self._key]["inputs"]
            self._feed = [self._names.index(n) for n in order]
            self._in = [self.model.create_input_buffer_by_name(self._key, n) for n in order]
            self._out = self.model.create_output_buffers(0)
        self.metadata = read_tflite_metadata(data)
        self.threads, self.accelerator, self.enforce_f32 = threads, accelerator, enforce_f32
        self._lock = threading.Lock()
        self._ran = False  # the first run may log (a GPU's kernels are built then); later ones are not wrapped

    def _run_chunk(self, xs: list[np.ndarray]) -> np.ndarray:
        xs = [_quantize(x, t) if t.scale is not None else x.astype(t.dtype) for t, x in zip(self.inputs, xs)]
        out = self.output
        with self._lock, native_log() if not self._ran else contextlib.nullcontext():
            for buf, i in zip(self._in, self._feed):
                buf.write(np.ascontiguousarray(xs[i]))
            self.model.run_by_index(0, self._in, self._out)
            y = self._out[0].read(int(np.prod(out.shape)), np.dtype(out.dtype).type).reshape(out.shape)
            self._ran = True
        return _dequantize(y, out) if out.scale is not None else y.astype(np.float32)


def _compile_error(name: str, log: str, where: Placement, error: Exception) -> Exception:
    if "No adapters found" in log or "Failed to initialize WebGPU" in log:
        return BackendError(f"{name}: {NO_DEVICE}")
    if "not accelerated" in str(error) or where.fallback:
        return BackendError(
            f"{name}: {where.cpu_ops or 'some'} ops cannot run on the GPU ({'; '.join(where.fallback) or 'see EDGEGAN_DEBUG=1'}); "
            "accelerator 'gpu,cpu' lets them fall back to the CPU"
        )
    return ModelFileError(f"{name}: LiteRT's CompiledModel API cannot load it ({str(error).splitlines()[0][:160]})")


def api_check(data: bytes, name: str, x: list[np.ndarray], interpreter: Engine | None = None) -> dict:
    """Open a LiteRT file through the Interpreter, its signature runner and the CompiledModel API (CPU), run each
    on the inputs ``x`` (engine order) and check that they agree. ``interpreter``: the file's LiteRTEngine when
    the caller has one open already (export and verify do). Returns what was checked; a ModelFileError names the
    API that refused the file and why."""
    from edgegan.runtime.engines import LiteRTEngine

    plain = (interpreter or LiteRTEngine(data, name)).run(*x)
    try:
        compiled = CompiledEngine(data, name, accelerator="cpu", threads=1).run(*x)
    except BackendError as e:
        raise ModelFileError(str(e)) from e
    scale = max(1.0, float(np.abs(plain).max()))
    if compiled.shape != plain.shape or not np.abs(compiled - plain).max() <= 1e-4 * scale:
        raise ModelFileError(
            f"{name}: LiteRT's CompiledModel API gives other outputs than the Interpreter "
            f"({compiled.shape} vs {plain.shape}); its signature points at the wrong tensors"
        )
    return {"interpreter": True, "signature_runner": True, "compiled_model": True}


# ---------------------------------------------------------------- measured on the GPU, in a child process
@dataclass
class GpuRun:
    """One file compiled for the GPU and run on the parity inputs (``outputs`` stays in the child's npz)."""

    path: str
    measured: bool
    reason: str = ""  # why not measured
    placement: dict = field(default_factory=dict)
    enforce_f32: bool = False


def measure(paths: list[str], x: list[np.ndarray], enforce_f32: bool = False) -> tuple[list[GpuRun], dict]:
    """Compile each file for LiteRT's GPU accelerator alone (then GPU with CPU fallback, if some ops cannot run
    there) and run it on ``x``: (runs, outputs keyed "i" for the i-th path). ``enforce_f32``: compile with
    LiteRT's fp32 GPU option (files that run fully on the GPU only; the others are marked not measured)."""
    runs, outs = [], {}
    for i, p in enumerate(paths):
        data = Path(p).read_bytes()
        try:
            try:
                engine = CompiledEngine(data, p, "gpu", enforce_f32=enforce_f32)
            except BackendError as e:
                if NO_DEVICE in str(e) or enforce_f32:
                    raise
                engine = CompiledEngine(data, p, "gpu,cpu")
            outs[str(i)] = engine.run(*x)
            runs.append(GpuRun(p, True, placement=asdict(engine.placement), enforce_f32=enforce_f32))
        except (BackendError, ModelFileError, InputError) as e:
            runs.append(GpuRun(p, False, reason=str(e).removeprefix(f"{p}: ")))
    return runs, outs


def measure_isolated(
    paths: list[Path], x: list[np.ndarray], enforce_f32: bool = False, timeout: float = 600
) -> tuple[list[GpuRun], dict]:
    """``measure`` in a child process (python -m edgegan.runtime.compiled JOB). A child that dies or hangs
    gives runs marked not measured with the reason, never an exception."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="edgegan-gpu-") as tmp:
        job = Path(tmp)
        np.savez(job / "inputs.npz", *x)
        (job / "paths.json").write_text(json.dumps({"paths": [str(p) for p in paths], "enforce_f32": enforce_f32}))
        try:
            done = subprocess.run(
                [sys.executable, "-m", "edgegan.runtime.compiled", str(job)],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            failed = None if done.returncode == 0 else f"the GPU check's process exited with {done.returncode}"
        except subprocess.TimeoutExpired:
            failed = f"the GPU check took over {timeout:.0f} s"
        if failed or not (job / "runs.json").is_file():
            return [GpuRun(str(p), False, reason=failed or "the GPU check wrote nothing") for p in paths], {}
        runs = [GpuRun(**r) for r in json.loads((job / "runs.json").read_text())]
        with np.load(job / "outputs.npz", allow_pickle=False) as z:
            outs = {k: z[k] for k in z.files}
    return runs, outs


def _child(job: Path) -> None:
    job_spec = json.loads((job / "paths.json").read_text())
    with np.load(job / "inputs.npz", allow_pickle=False) as z:
        x = [z[f"arr_{i}"] for i in range(len(z.files))]
    runs, outs = measure(job_spec["paths"], x, job_spec["enforce_f32"])
    np.savez(job / "outputs.npz", **outs)
    (job / "runs.json").write_text(json.dumps([asdict(r) for r in runs]))


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
