"""`edgegan verify`: passes on a good bundle; exit 3 naming the file when anything is off."""

import io
import json

import numpy as np
import pytest

from conftest import needs_tf, run_cli
from edgegan import manifest as mf

pytestmark = needs_tf


def test_verify_passes_on_a_good_bundle(bundle):
    r = run_cli("verify", str(bundle))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(" pass\n") == 20 and "all 20 files" in r.stdout


def test_verify_json(bundle):
    r = run_cli("verify", str(bundle), "--json")
    d = json.loads(r.stdout)
    assert r.returncode == 0 and d["failed"] == 0 and len(d["rows"]) == 20


def test_changed_bytes_fail_with_exit_3_naming_the_file(bundle_copy):
    p = bundle_copy / "discriminator.int8.onnx"
    data = bytearray(p.read_bytes())
    data[-10] ^= 0xFF
    p.write_bytes(bytes(data))
    r = run_cli("verify", str(bundle_copy))
    assert r.returncode == 3
    assert "discriminator.int8.onnx" in r.stderr and "1 of 20 files failed" in r.stderr
    assert "sha256 differs" in r.stdout  # the table row says why


def test_missing_file_fails_with_exit_3(bundle_copy):
    (bundle_copy / "generator.fp16.tflite").unlink()
    r = run_cli("verify", str(bundle_copy))
    assert r.returncode == 3 and "generator.fp16.tflite" in r.stderr and "missing" in r.stdout


def test_reference_perturbed_beyond_the_bound_fails(bundle_copy):
    ref_path = bundle_copy / mf.REFERENCE
    with np.load(ref_path) as z:
        ref = {k: z[k] for k in z.files}
    ref["image"] = ref["image"] + 0.001  # 10x the fp32 bound, inside the fp16 and int8 bounds
    buf = io.BytesIO()
    np.savez(buf, **ref)
    ref_path.write_bytes(buf.getvalue())
    m = json.loads((bundle_copy / mf.MANIFEST).read_text())
    m["reference"]["sha256"] = mf.sha256_bytes(buf.getvalue())  # a consistent but wrong reference
    (bundle_copy / mf.MANIFEST).write_text(json.dumps(m))
    r = run_cli("verify", str(bundle_copy), "--json")
    assert r.returncode == 3
    rows = {row["file"]: row for row in json.loads(r.stdout)["rows"]}
    failed = sorted(f for f, row in rows.items() if not row["ok"])
    assert failed == ["generator.fp32.onnx", "generator.fp32.ort", "generator.fp32.tflite"]


def test_changed_reference_without_rehash_is_refused(bundle_copy):
    ref_path = bundle_copy / mf.REFERENCE
    data = bytearray(ref_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    ref_path.write_bytes(bytes(data))
    r = run_cli("verify", str(bundle_copy))
    assert r.returncode == 1 and "references were changed" in r.stderr


@pytest.mark.slow
def test_against_keras_recomputes_references(bundle):
    r = run_cli("verify", str(bundle), "--against-keras", "--json")
    d = json.loads(r.stdout)
    assert r.returncode == 0 and d["failed"] == 0
    assert d["keras_drift"] < 1e-5
