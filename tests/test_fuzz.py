"""Property-based tests of the manifest parser and input validation, and a fuzz test of the
model loader with mutated files in a subprocess (never a signal, never a hang)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgegan import manifest as mf
from edgegan.errors import InputError, ManifestError
from edgegan.runtime import check_array

pytestmark = pytest.mark.light

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
good_file = {
    "path": "generator.fp32.onnx",
    "role": "generator",
    "format": "onnx",
    "precision": "fp32",
    "sha256": "0" * 64,
    "bytes": 10,
    "inputs": [],
    "outputs": [],
}
good = {"schema_version": 1, "latent": {"size": 100}, "image": {"shape": [28, 28, 1]}, "files": [good_file]}


def _mutations():
    keys = st.sampled_from(["schema_version", "latent", "image", "files"])
    file_keys = st.sampled_from(sorted(good_file) + ["batch", "tolerance"])
    top = st.tuples(st.just("top"), keys, json_values)
    inner = st.tuples(st.just("file"), file_keys, json_values)
    return st.lists(top | inner, min_size=1, max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_mutations())
def test_manifest_parser_accepts_or_raises_manifest_error_only(tmp_path, mutations):
    d = json.loads(json.dumps(good))
    for where, key, value in mutations:
        if where == "top":
            d[key] = value
        elif isinstance(d["files"], list) and d["files"] and isinstance(d["files"][0], dict):
            d["files"][0][key] = value
    try:
        m = mf.parse(d, tmp_path)
    except ManifestError as e:
        assert "\n" not in str(e)
        return
    for f in m.files:  # whatever parses is safe to open
        assert not Path(f.path).is_absolute() and ".." not in Path(f.path).parts
        assert len(f.sha256) == 64 and f.bytes > 0


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_document_is_accepted_or_refused_cleanly(tmp_path_factory, doc):
    root = tmp_path_factory.mktemp("m")
    (root / "manifest.json").write_text(json.dumps(doc))
    try:
        m = mf.load(root)
    except ManifestError as e:  # any other exception type fails the test
        assert str(root) in str(e) and "\n" not in str(e)
        return
    assert isinstance(m.files, list) and m.latent_size >= 1


dtypes = st.sampled_from([np.float16, np.float32, np.float64, np.int8, np.int32, np.uint8, np.bool_, np.complex64])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 6),
    st.lists(st.integers(0, 4), min_size=0, max_size=3),
    dtypes,
    st.sampled_from([None, np.nan, np.inf, -np.inf]),
)
def test_input_validation_returns_clean_float32_or_raises_input_error(n, extra, dtype, poison):
    shape = (n, 100, *extra) if extra else (n, 100)
    x = np.zeros(shape, dtype)
    if poison is not None and x.size and np.dtype(dtype).kind == "f":
        x.flat[x.size // 2] = poison
    try:
        y = check_array(x, (100,), "z", max_batch=5)
    except InputError as e:
        assert "\n" not in str(e) and str(e).startswith("z:")
        return
    assert y.dtype == np.float32 and y.shape == (n, 100) and n <= 5 and np.isfinite(y).all()
    assert np.dtype(dtype).kind == "f" and not extra


# ------------------------------------------------------------------ fuzzing the loader
FUZZ = r"""
import sys, numpy as np
from pathlib import Path
import edgegan
from edgegan.errors import EdgeGanError
src, kind, n, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = src.read_bytes()
rng = np.random.default_rng(seed)
ok = refused = 0
for i in range(n):
    b = bytearray(data)
    k = i % 4
    if k == 0:   # truncated
        b = b[: int(rng.integers(0, len(b)))]
    elif k == 1: # bit flips
        for _ in range(int(rng.integers(1, 64))):
            j = int(rng.integers(0, len(b))); b[j] ^= 1 << int(rng.integers(0, 8))
    elif k == 2: # wrong magic
        b[:8] = rng.integers(0, 256, 8, dtype=np.uint8).tobytes()
    else:        # huge declared sizes / offsets: overwrite 4-byte words with large values
        for _ in range(8):
            j = int(rng.integers(0, max(1, len(b) - 4))); b[j : j + 4] = (0x7FFFFFF0).to_bytes(4, "little")
    p = src.parent / f"mutant{src.suffix}"
    p.write_bytes(bytes(b))
    print(i, k, flush=True)
    try:
        m = edgegan.load(p)
        if type(m).__name__ == "Generator":
            m.generate(np.zeros((1, m.latent_size), np.float32))
        ok += 1
    except EdgeGanError:
        refused += 1
print("done", ok, refused, flush=True)
"""


@pytest.mark.parametrize(
    "name", ["generator.fp32.tflite", "generator.int8-io.tflite", "discriminator.fp32.onnx", "generator.fp32.ort"]
)
def test_mutated_model_files_never_kill_or_hang_the_process(name, tmp_path):
    shipped = Path(__file__).resolve().parents[1] / "models" / "mnist-dcgan" / name
    if not shipped.is_file():
        pytest.skip("no shipped bundle")
    src = tmp_path / name
    src.write_bytes(shipped.read_bytes())
    n = 40
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        r = subprocess.run(
            [sys.executable, "-c", FUZZ, str(src), name, str(n), "0"],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the loader hung on a mutant (last output: {(e.stdout or b'')[-200:]!r})")
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    assert r.returncode >= 0, f"killed by {signal.Signals(-r.returncode).name} at mutant {last!r}"
    assert r.returncode == 0, r.stderr[-1000:]
    assert last.startswith("done"), last
    ok, refused = map(int, last.split()[1:])
    assert ok + refused == n and refused > 0
