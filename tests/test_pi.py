"""Raspberry Pi (arm64) proof: tools/pi_check under qemu user-mode emulation (marker `pi`)."""

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, background

HAS_QEMU = shutil.which("qemu-aarch64-static") is not None
HAS_BUNDLE = (ROOT / "models" / "mnist-dcgan" / "manifest.json").is_file()
pytestmark = [
    pytest.mark.pi,
    pytest.mark.skipif(
        not HAS_QEMU, reason="qemu-aarch64-static not installed (apt-get install qemu-user-static; .ci/run does)"
    ),
    pytest.mark.skipif(not HAS_BUNDLE, reason="no shipped bundle"),
]


def _pi_check(tmp):
    return subprocess.run(
        # verify runs every shipped file on arm64; generate one file per engine and precision class (each is
        # a new emulated process; `tools/pi_check` alone runs them all)
        [sys.executable, str(ROOT / "tools" / "pi_check"), "-n", "8", "--generate", "onnx/fp32,tflite/int8"],
        capture_output=True,
        text=True,
        timeout=3000,
    )


# from the session's start, on the core the other tests leave idle
pi_check = background(__file__, _pi_check) if HAS_QEMU and HAS_BUNDLE else None


def test_pi_check_verifies_and_generates_under_arm64_emulation():
    r = pi_check.result()
    print(r.stdout[-4000:])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 failures" in r.stdout
    assert "aarch64" in r.stdout  # it really ran the arm64 Python
    table = [ln for ln in r.stdout.splitlines() if ln.startswith("| generator.") or ln.startswith("| discriminator.")]
    assert table and all("| pass |" in ln for ln in table)


def _pi_check_image_bundle(tmp):
    """The shipped image-input bundle (models/photo-sr4) verified and translating a photo under arm64 emulation."""
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "pi_check"),
            "--bundle",
            str(ROOT / "models" / "photo-sr4"),
            "--generate",
            "onnx/fp32,tflite/int8",
        ],
        capture_output=True,
        text=True,
        timeout=3000,
    )


pi_check_sr = background(__file__, _pi_check_image_bundle) if HAS_QEMU and HAS_BUNDLE else None


def test_pi_check_translates_an_image_bundle_under_arm64_emulation():
    r = pi_check_sr.result()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 failures" in r.stdout and "aarch64" in r.stdout
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("| generator.")]
    assert {ln.split(" | ")[0][2:] for ln in rows} == {"generator.fp32.onnx", "generator.int8.tflite"}
    assert all("| pass |" in ln for ln in rows), rows
    diff = {ln.split(" | ")[0][2:]: ln.rstrip(" |").rsplit("| ", 1)[-1] for ln in rows}
    assert diff["generator.int8.tflite"] == "0 / 255 (mean 0.000)"  # integer kernels: the same pixels on both CPUs
    # fp32: arm64's and x86-64's kernels sum in different orders; a value on a rounding boundary may land one
    # level apart (measured on models/photo-sr4's photo: 1 level at most, mean 0.000)
    assert int(diff["generator.fp32.onnx"].split(" / ")[0]) <= 1, diff
