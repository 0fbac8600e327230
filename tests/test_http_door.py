"""The HTTP example's picture door (examples/serve.py, POST /translate): every picture the CLI refuses gets a 400
with one line, decompression bombs and any decoder error included; no request goes unanswered and the server's
log stays free of tracebacks. Light tier: the shipped photo model, no TensorFlow."""

import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT

pytestmark = pytest.mark.light


def png_declaring(width: int, height: int) -> bytes:
    """A well-formed PNG whose header declares width x height pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def mutated(n: int = 60) -> list[bytes]:
    """Real PNG and JPEG bodies with bytes flipped, cut short, or their header's size rewritten."""
    pic = (np.random.default_rng(1).random((24, 20, 3)) * 255).astype(np.uint8)
    good = []
    for fmt in ("PNG", "JPEG"):
        buf = io.BytesIO()
        Image.fromarray(pic).save(buf, format=fmt)
        good.append(buf.getvalue())
    rng, out = np.random.default_rng(0), []
    for i in range(n):
        b = bytearray(good[i % 2])
        if i % 3 == 0:
            for j in rng.integers(0, len(b), 4):
                b[j] ^= int(rng.integers(1, 256))
        elif i % 3 == 1:
            b = b[: int(rng.integers(8, len(b)))]
        else:
            b[16:24] = struct.pack(">II", *(int(v) for v in rng.integers(1, 1 << 31, 2)))
        out.append(bytes(b))
    return out


@pytest.fixture(scope="module")
def door():
    """Start the server on the shipped photo model, post the bomb and the mutated bodies, stop it: the answers
    and the server's log."""
    import load_translate

    p, base = load_translate.start(str(ROOT / "models" / "photo-sr4"))
    try:
        bomb = load_translate.post(base, png_declaring(50_000, 50_000))
        answers = [load_translate.post(base, b)[:2] for b in mutated()]
    finally:
        p.terminate()
        log = p.communicate(timeout=30)[1]
    return {"bomb": bomb[:2], "answers": answers, "log": log}


def test_a_decompression_bomb_gets_a_400_in_one_line(door):
    code, body = door["bomb"]
    assert code == 400, body
    error = json.loads(body)["error"]
    assert "decompression bomb" in error and "\n" not in error


def test_mutated_pictures_are_each_answered_200_or_400_in_one_line(door):
    codes = [code for code, _ in door["answers"]]
    assert set(codes) <= {200, 400}, codes  # 0 would be a dropped connection
    assert codes.count(400) > 10  # the mutations reached the door
    for code, body in door["answers"]:
        if code == 400:
            assert "\n" not in json.loads(body)["error"]


def test_the_servers_log_has_no_traceback(door):
    assert "Traceback" not in door["log"], door["log"][-2000:]
    assert "DecompressionBomb" not in door["log"]
