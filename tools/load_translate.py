"""Load test of examples/serve.py's POST /translate over real HTTP on loopback: many clients at once.

    python tools/load_translate.py [--model models/photo-sr4] [--clients 16] [--requests 128] [--json F]

Starts the example server on a free port, posts one PNG photo crop (``--size`` pixels a side) from each of
``--clients`` threads until ``--requests`` answers are in, checks every answer is a PNG of the right size
(equal to the first), and prints clients, requests, errors, p50/p99 latency and throughput.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import report

from edgegan import records

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(model: str, extra=()) -> tuple[subprocess.Popen, str]:
    port = free_port()
    p = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "serve.py"), "--model", model, "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):  # bounded wait for the port
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return p, base
        except (urllib.error.URLError, ConnectionError):
            if p.poll() is not None:
                raise RuntimeError(p.stderr.read()) from None
            time.sleep(0.1)
    p.kill()
    raise RuntimeError("examples/serve.py did not answer /healthz in 30 s")


def post(base: str, body: bytes) -> tuple[int, bytes, float]:
    t0 = time.perf_counter()
    req = urllib.request.Request(base + "/translate", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read(), time.perf_counter() - t0
    except urllib.error.HTTPError as e:
        return e.code, e.read(), time.perf_counter() - t0
    except OSError as e:  # a refused or reset connection counts as an error, not a crash of the test
        return 0, str(e).encode(), time.perf_counter() - t0


def photo_png(size: int) -> bytes:
    from PIL import Image

    from edgegan.photo_sr import photo

    buf = io.BytesIO()
    Image.fromarray(photo("astronaut")[100 : 100 + size, 150 : 150 + size]).save(buf, format="PNG")
    return buf.getvalue()


def load_test(base: str, body: bytes, clients: int, requests: int) -> dict:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda _: post(base, body), range(requests)))
    wall = time.perf_counter() - t0
    first = next((b for c, b, _ in answers if c == 200), None)
    errors = sum(1 for c, b, _ in answers if c != 200 or b != first)
    ms = np.array([t for _, _, t in answers]) * 1000
    return {
        "clients": clients,
        "requests": requests,
        "errors": errors,
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "requests_per_s": round(requests / wall, 2),
    }


RECORD = ROOT / "docs" / "load_translate.json"


def fragments() -> dict[str, str]:
    """The README's HTTP line: the example server under concurrent POST /translate."""
    load = records.first(RECORD)
    if not load:
        return {"photo-sr-http": "Not measured yet: `python tools/load_translate.py --json docs/load_translate.json`."}
    return {
        "photo-sr-http": (
            f"- HTTP (`tools/load_translate.py`): {load['clients']} clients, {load['requests']} POST /translate of a "
            f"{load['input']}: {load['errors']} errors, p50 {load['p50_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms, "
            f"{load['requests_per_s']:.1f} requests/s."
        )
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "photo-sr4"))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=128)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    p, base = start(a.model)
    try:
        result = {"model": os.path.relpath(a.model, ROOT), "input": f"{a.size}x{a.size} PNG"}
        result.update(load_test(base, photo_png(a.size), a.clients, a.requests))
    finally:
        p.terminate()
        p.wait(timeout=10)
    print(json.dumps(result))
    if a.json:
        records.save(a.json, result)
        if a.json.resolve() == RECORD:
            report.write(fragments())  # tools/fill_docs.py pastes it into the README
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
