"""Per-op time of two ONNX generators side by side (plain vs rewritten, fp32 vs int8), with ONNX Runtime's own
profiler.

    python tools/profile_ort.py A.onnx B.onnx [--runs 300] [--threads 2]

Each file runs `runs` batch-1 inferences after warm-up with SessionOptions.enable_profiling; the JSON
trace's node events are summed by op type (microseconds per inference) and printed side by side.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def profile(path: str, runs: int, threads: int) -> tuple[dict[str, float], float]:
    import tempfile

    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.enable_profiling = True
    # The profiler's JSON traces (MBs each) go to a temporary folder, never the working directory.
    so.profile_file_prefix = str(Path(tempfile.mkdtemp(prefix="edgegan-ort-profile-")) / "ort")
    so.log_severity_level = 3
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name, size = s.get_inputs()[0].name, s.get_inputs()[0].shape[1]  # the latent size, read from the file
    z = np.random.default_rng(0).standard_normal((1, size)).astype(np.float32)
    for _ in range(50):
        s.run(None, {name: z})
    s.end_profiling()  # drop the warm-up events
    so.enable_profiling = True
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    for _ in range(20):
        s.run(None, {name: z})
    for _ in range(runs):
        s.run(None, {name: z})
    trace_path = Path(s.end_profiling())
    trace = json.loads(trace_path.read_text())
    shutil.rmtree(trace_path.parent, ignore_errors=True)
    by_op: dict[str, float] = defaultdict(float)
    total = 0.0
    for ev in trace:
        if ev.get("cat") == "Node" and ev["name"].endswith("_kernel_time"):
            by_op[ev["args"]["op_name"]] += ev["dur"]
        if ev.get("cat") == "Session" and ev["name"] == "model_run":
            total += ev["dur"]
    n = runs + 20
    return {k: v / n for k, v in by_op.items()}, total / n


def read_table(path: Path) -> dict[str, tuple[float, float]]:
    """op type -> (us of file A, us of file B) from a tools/profile_ort.py table."""
    cells = [ln.strip("|").split("|") for ln in path.read_text().splitlines()[2:]]
    return {c[0].strip(): (float(c[1]), float(c[2])) for c in cells if len(c) == 3 and not c[0].strip().startswith("*")}


def interleave(path: Path) -> str:
    """One clause from a tools/profile_ort.py table of a plain file (A) against edgegan's (B): what the transposed
    convolutions cost, what the phase convolutions cost, and what the interleave takes back."""
    t = read_table(path)
    get = lambda op, i: t.get(op, (0.0, 0.0))[i]  # noqa: E731  us
    back = get("DepthToSpace", 1) + get("Concat", 1) + get("ReorderOutput", 1) + get("ReorderInput", 1)
    back -= get("ReorderOutput", 0) + get("ReorderInput", 0)
    unit, k = ("ms", 1e3) if get("ConvTranspose", 0) > 5e3 else ("us", 1.0)
    conv = f" + Conv {get('Conv', 0) / k:.1f}" if get("Conv", 0) else ""
    return (
        f"plain ConvTranspose {get('ConvTranspose', 0) / k:.1f}{conv} {unit} -> edgegan Conv {get('Conv', 1) / k:.1f} "
        f"{unit}, the interleave (DepthToSpace, Concat, layout reorders) taking {back / k:.1f} {unit} back "
        f"([{path.relative_to(ROOT)}]({path.relative_to(ROOT)}))"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("plain")
    p.add_argument("optimized")
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--names", default="plain,optimized", help="column names of the two files")
    a = p.parse_args()
    (pa, ta), (pb, tb) = profile(a.plain, a.runs, a.threads), profile(a.optimized, a.runs, a.threads)
    na, nb = a.names.split(",")
    print(f"| op type | {na} us/inference | {nb} us/inference |\n| --- | --- | --- |")
    for op in sorted(set(pa) | set(pb), key=lambda k: -(pa.get(k, 0) + pb.get(k, 0))):
        print(f"| {op} | {pa.get(op, 0):.1f} | {pb.get(op, 0):.1f} |")
    print(f"| **kernels total** | {sum(pa.values()):.1f} | {sum(pb.values()):.1f} |")
    print(f"| **model_run (session)** | {ta:.1f} | {tb:.1f} |")


if __name__ == "__main__":
    main()
