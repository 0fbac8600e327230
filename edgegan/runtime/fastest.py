"""``precision="fastest"``: the bundle's fastest file for this device, measured on the device, remembered.

Which file is fastest depends on the CPU (int8 dot-product instructions or not: measured on an AMD EPYC without
VNNI, the shipped generator's ONNX int8 file ran 0.92x its fp32 one), Arm or x86, the thread count and the
accelerator, none of which export can know. So the runtime times the candidates itself: every file of the role
for the chosen backend (each passed its parity bound at export), a few warm runs, then rounds in alternating
order (A B, then B A) so that a drift of the machine's speed falls on both; the one with the least median wins.
The choice is kept in a small JSON file (``$EDGEGAN_CACHE`` or ~/.cache/edgegan/fastest.json) under the
bundle's manifest hash, the role, backend, threads, accelerator and the CPU's model and features, so the next
load costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROUNDS = 6  # alternating rounds (half A B, half B A)
RUNS = 5  # timed runs of each file per round
WARMUP = 3


@dataclass(frozen=True)
class Choice:
    """What ``precision="fastest"`` picked and the table it decided from (median ms per batch-1 call)."""

    precision: str
    times_ms: dict  # precision -> median ms
    cached: bool = False

    def line(self) -> str:
        ranked = sorted(self.times_ms.items(), key=lambda kv: kv[1])
        best = ranked[0][1]
        others = ", ".join(f"{p} {ms:.3f} ms ({ms / best:.2f}x)" for p, ms in ranked[1:])
        said = "cached" if self.cached else "measured here"
        return f"fastest: {self.precision} {best:.3f} ms" + (f" against {others}" if others else "") + f" ({said})"


def cache_path() -> Path:
    root = os.environ.get("EDGEGAN_CACHE") or Path.home() / ".cache" / "edgegan"
    return Path(root) / "fastest.json"


def cache_key(manifest_bytes: bytes, role: str, backend: str, threads, accelerator) -> str:
    from edgegan.bench import machine

    m = machine()
    device = [m["cpu"], m["machine"], *m["features"], str(m["cores"])]
    parts = [hashlib.sha256(manifest_bytes).hexdigest(), role, backend, str(threads), str(accelerator), *device]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def choose(
    candidates: dict[str, Callable[[], object]], timer: Callable[[], float] = time.perf_counter
) -> dict[str, float]:
    """Median ms of one call of each candidate (precision -> a call of no arguments), timed in alternating
    rounds: round k runs the candidates in order, round k + 1 in reverse."""
    names = list(candidates)
    for name in names:
        for _ in range(WARMUP):
            candidates[name]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    for k in range(ROUNDS):
        for name in names if k % 2 == 0 else names[::-1]:
            for _ in range(RUNS):
                t0 = timer()
                candidates[name]()
                samples[name].append((timer() - t0) * 1e3)
    return {n: float(np.median(v)) for n, v in samples.items()}


def fastest(m, role: str, backend: str, make_model, threads=None, accelerator=None, timer=time.perf_counter) -> Choice:
    """The fastest precision among the bundle's ``role`` files for ``backend``; ``make_model(precision)`` loads
    one. Cached per bundle and device (module docstring)."""
    from edgegan import manifest as mf

    key = cache_key((m.root / mf.MANIFEST).read_bytes(), role, backend, threads, accelerator)
    path = cache_path()
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    have = {e.precision for e in m.find(role, backend)}
    hit = known.get(key) if isinstance(known, dict) else None
    if isinstance(hit, dict) and hit.get("precision") in have:
        return Choice(hit["precision"], hit.get("times_ms", {}), cached=True)
    calls = {p: make_model(p).example(1) for p in sorted(have)}
    times = choose(calls, timer)
    best = min(times, key=times.get)
    known = known if isinstance(known, dict) else {}
    known[key] = asdict(Choice(best, times))
    _write(path, known)
    return Choice(best, times)


def _write(path: Path, data: dict) -> None:
    """Atomically, and never an error: a read-only home only means the next load measures again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        pass
