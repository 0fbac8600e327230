"""The one latent definition: a seed names the same N(0, 1) latents in Python, in the web page and in
export's reference set, so "seed 3" draws the same digit on a Raspberry Pi, in a browser and in an app.

Counter-based, so any slice is computed directly (vectorized numpy) and ``latents(4, d, s)`` is
``latents(16, d, s)[:4]``. Value k of the row-major (n, size) array, for a seed s in [0, 2**32):

    key     = fmix32(s + 0x9E3779B9)                 # MurmurHash3's 32-bit finalizer, mod 2**32
    word(c) = fmix32(key ^ fmix32(c))                # c = 0, 1, 2, ...
    pair j = k // 2 reads words 4j .. 4j+3:
    u1 = ((word(4j) >> 5) * 2**26 + (word(4j+1) >> 6)) / 2**53      # 53-bit uniform in [0, 1)
    u2 = ((word(4j+2) >> 5) * 2**26 + (word(4j+3) >> 6)) / 2**53
    z[2j], z[2j+1] = sqrt(-2 ln(1 - u1)) * (cos(2 pi u2), sin(2 pi u2))     # Box-Muller, float64
    then rounded to float32.

``edgegan/export/web_assets/app.mjs`` implements the same lines in JavaScript (Math.imul for the
32-bit products); tests/test_web.py checks in Chromium that both give the same float32 values.
"""

from __future__ import annotations

import operator

import numpy as np

SEED_LIMIT = 2**32


def check_seed(seed) -> int:
    """An int (or numpy integer) in [0, 2**32); anything else is a one-line InputError."""
    from edgegan.errors import InputError

    try:
        seed = operator.index(seed)  # not a float, a bool-like string or None
    except TypeError:
        raise InputError(f"seed must be an integer from 0 to {SEED_LIMIT - 1}, got {seed!r}") from None
    if not 0 <= seed < SEED_LIMIT:
        raise InputError(f"seed must be an integer from 0 to {SEED_LIMIT - 1}, got {seed}")
    return int(seed)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer on uint32 arrays (products wrap mod 2**32, as Math.imul does)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def latents(n: int, size: int, seed: int = 0) -> np.ndarray:
    """float32 (n, size) drawn from N(0, 1) by the definition above."""
    seed = check_seed(seed)
    pairs = (n * size + 1) // 2
    key = _fmix32(np.array([(seed + 0x9E3779B9) % SEED_LIMIT], np.uint32))
    words = _fmix32(key ^ _fmix32(np.arange(4 * pairs, dtype=np.uint32))).reshape(pairs, 4).astype(np.float64)
    hi, lo = np.floor(words[:, 0::2] / 32.0), np.floor(words[:, 1::2] / 64.0)  # >> 5 and >> 6
    u = (hi * 2.0**26 + lo) / 2.0**53  # (pairs, 2) uniforms in [0, 1)
    radius, angle = np.sqrt(-2.0 * np.log(1.0 - u[:, 0])), 2.0 * np.pi * u[:, 1]
    z = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).ravel()[: n * size]
    return z.astype(np.float32).reshape(n, size)
