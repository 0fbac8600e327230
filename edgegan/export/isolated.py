"""Each TensorFlow conversion of a large model in a child process that exits and gives its memory back.

tf2onnx and the LiteRT converter copy the whole graph with its weights several times, and TensorFlow keeps much of
it after they return: measured on pix2pix at 256x256 (54 M parameters), tf2onnx alone peaked at 11.5-14.7 GB and
left about 11 GB behind. So the export process writes each model once as a SavedModel (Keras' own ExportArchive:
the step Keras' LiteRT export takes too) and a child process (``python -m edgegan.export.isolated JOB``) converts
it, one at a time: the parent never holds a converter's state. A child that dies (out of memory, a signal) costs
its file only: export stops with one line naming the file and the cause, and the previous bundle stays as it was.
Small models (below ISOLATE_BYTES of weights) convert from the same SavedModel in the export process.

A job is a folder: ``job.json`` ({"func": "module:function", "kwargs": {...}}), ``arrays.npz`` (numpy arguments,
passed by name) and, from the child, ``result.json`` (what the function returned) and ``log.txt`` (its output).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from edgegan.errors import ExportError

# Weights from which a conversion runs in a child. A child costs about 3.5 s of TensorFlow import per file
# (measured here), which small models (the suite's, the shipped MNIST ones: 4 MB) pay for nothing; the models whose
# conversion took gigabytes are far above it (pix2pix 256: 218 MB; keras.io's CycleGAN 256: 46 MB).
# EDGEGAN_ISOLATE=1 sends every conversion to a child, =0 none.
ISOLATE_BYTES = 32 * 2**20


def wanted(model) -> bool:
    """Whether ``model``'s conversions run in a child process (ISOLATE_BYTES, EDGEGAN_ISOLATE)."""
    forced = os.environ.get("EDGEGAN_ISOLATE")
    if forced in ("0", "1"):
        return forced == "1"
    return sum(int(np.prod(w.shape)) * 4 for w in model.weights) >= ISOLATE_BYTES


def call(func: str, what: str, arrays: dict | None = None, child: bool = True, who: str = "the converter process",
         **kwargs):  # fmt: skip
    """Run ``func`` ("module:function") with ``kwargs`` (JSON) and ``arrays`` (numpy, by name) in a child process
    (in this one when ``child`` is false); returns its JSON result. ``what`` names the file being made, for the
    one-line error."""
    if not child:
        module, name = func.split(":")
        result = getattr(importlib.import_module(module), name)(**kwargs, **(arrays or {}))
        return json.loads(json.dumps(result))  # what a child would return: tuples come back as lists
    with tempfile.TemporaryDirectory(prefix="edgegan-job-") as tmp:
        job = Path(tmp)
        (job / "job.json").write_text(json.dumps({"func": func, "kwargs": kwargs}))
        np.savez(job / "arrays.npz", **(arrays or {}))
        with open(job / "log.txt", "wb") as log:
            rc = subprocess.run(
                [sys.executable, "-m", "edgegan.export.isolated", str(job)], stdout=log, stderr=log, env=_env()
            ).returncode
        if rc != 0:
            raise ExportError(f"{what}: {who} {_cause(rc)}: {_last_line(job / 'log.txt')}")
        return json.loads((job / "result.json").read_text())


def _env() -> dict:
    """The child's environment: TensorFlow's C++ logging quiet, and the pure-Python protobuf. protobuf's default
    (upb) allocates each message from an arena that keeps what a replaced field held until the message dies, and
    tf2onnx rewrites every node's attributes, weights included, after each of its optimizers: measured on pix2pix
    256 (large-model path), its conversion peaked at 7.5 GB with upb and 2.0 GB with the Python protobuf (the
    LiteRT converter's int8 conversion 3.4 -> 3.2 GB, 2 s slower). The export process keeps upb: it holds no
    converter."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
    return env


def _cause(rc: int) -> str:
    if rc < 0:
        name = signal.Signals(-rc).name
        hint = " (out of memory?)" if -rc == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"failed (exit {rc})"


def _last_line(path: Path) -> str:
    lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("INFO: ")]  # LiteRT's delegate notes say nothing of a crash
    errors = [ln for ln in lines if "Error" in ln or "error" in ln]
    return ((errors or lines or ["no output"])[-1])[:300]


def _die_with_parent() -> None:
    """SIGKILL this process when the export process dies (Linux prctl PR_SET_PDEATHSIG): a killed export leaves no
    converter running."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        return


def main(job: Path) -> None:
    _die_with_parent()
    if os.getppid() == 1:  # the parent died before the signal was set
        sys.exit(1)
    spec = json.loads((job / "job.json").read_text())
    module, name = spec["func"].split(":")
    with np.load(job / "arrays.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    result = getattr(importlib.import_module(module), name)(**spec["kwargs"], **arrays)
    (job / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
