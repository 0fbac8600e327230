"""Tiled translation: a picture of any size through a model of one input size (light tier, numpy only).

The picture is covered by windows of the tile size; neighbouring windows overlap by at least 2 x ``pad``
input pixels (the last window of a row or column is moved inward to stay inside the picture, as a
fixed-size file needs; starts stay on the grid of the model's strides). Each output pixel is taken from the window whose centre is nearest (a cut at the
middle of each overlap), so when the model's receptive field is at most ``pad`` every kept pixel saw all
the input it depends on and the tiled output equals the whole-picture output. When the field is larger
or unknown (a U-Net sees its whole tile; instance norm sees the whole picture) the joins are not exact.
``blend`` then fades each window into the next linearly across the overlap (weights by distance to each
window's inner edge), but measured it is worse than the cut: a tile's error is largest at its own edge,
which a blend mixes in and the cut keeps furthest away (a random-weight U-Net, tiles of 64, pad 8: max
error 1.7 levels cut, 2.7 blended; tools/seam_error.py, docs/results.md). So the cut is the default.

Memory: the output array and a batch of windows; a blend adds one band of float32 rows (tile x scale
high, the output's width) that collects a row of windows, written to the output as the band moves down.
Real-ESRGAN's inference (``tile``, ``tile_pad``, ``pre_pad``) does the same job with a cut at each tile's
own core; a reflect ``pre_pad`` on every side is applied here to the picture before tiling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_TILE = 256  # input pixels per side of a window for a file that takes any size


@dataclass(frozen=True)
class Tiling:
    """How to cover a picture: window sides in input pixels, the overlap each side, the border padding."""

    tile: tuple[int, int]
    pad: int
    pre_pad: int = 0
    blend: bool = False  # fade across overlaps (never exact: see the module's doc)
    multiple: int = 1  # the model's size multiple: window starts stay on its grid

    def __post_init__(self):
        if min(self.tile) <= 2 * self.pad:
            raise ValueError(f"tile {self.tile[0]}x{self.tile[1]} leaves nothing inside an overlap of {self.pad}")


def overlap(field: int | None, tile: tuple[int, int]) -> int:
    """The default pad for a model of receptive field ``field`` (None: unknown): the field itself when it fits
    inside the tile (exact joins), else an eighth of the tile."""
    return int(field if field is not None and 2 * field < min(tile) else max(min(tile) // 8, 1))


def starts(length: int, tile: int, pad: int, multiple: int = 1) -> list[int]:
    """Window starts along one axis of ``length`` (>= tile): every ``step`` pixels, where step is tile - 2 pad
    rounded down to the model's size multiple (so a strided model sees each window on the grid it sees the whole
    picture on), the last window moved inward to end at the picture's edge. Neighbours overlap by >= 2 pad."""
    step = max((tile - 2 * pad) // multiple * multiple, 1)
    out = list(range(0, max(length - tile, 0), step))
    return out + [length - tile] if not out or out[-1] != length - tile else out


def weights(starts_: list[int], tile: int, scale: int, blend: bool) -> list[np.ndarray]:
    """Per window, float32 weights over its tile x scale output positions along the axis; they sum to 1. A cut:
    each position belongs to the window whose centre is nearest (the earlier on a tie). Blended: each window
    weighs a position by its distance to the window's nearer inner edge (the picture's edges do not count)."""
    lo = np.asarray(starts_, np.float64)[:, None] * scale
    hi, length = lo + tile * scale, (starts_[-1] + tile) * scale
    u = np.arange(length) + 0.5  # output positions' centres
    inside = (u >= lo) & (u < hi)
    if blend:
        raw = np.minimum(np.where(lo == 0, np.inf, u - lo), np.where(hi == length, np.inf, hi - u))
        raw = np.where(inside, np.minimum(raw, tile * scale), 0.0)
    else:
        owner = np.argmin(np.where(inside, np.abs(u - (lo + hi) / 2), np.inf), axis=0)
        raw = (np.arange(len(starts_))[:, None] == owner).astype(np.float64)
    w = (raw / raw.sum(axis=0)).astype(np.float32)
    return [w[i, int(a) : int(a) + tile * scale] for i, a in enumerate(lo[:, 0])]


def translate_tiled(run, picture: np.ndarray, scale: int, tiling: Tiling, batch: int, finish) -> np.ndarray:
    """run(crops (n, th, tw, C)) -> float (n, th*scale, tw*scale, C') over one picture (H, W, C), windows in
    batches of ``batch``; ``finish`` turns float output into the returned dtype (uint8 pixels). A cut writes each
    window's own pixels straight into the output; a blend sums a band of rows (a row of windows) first."""
    p, (H, W) = tiling.pre_pad, picture.shape[:2]
    if p:
        picture = np.pad(picture, ((p, p), (p, p), (0, 0)), mode="reflect")
    th, tw = tiling.tile
    short = (max(th - picture.shape[0], 0), max(tw - picture.shape[1], 0))
    if any(short):  # smaller than a fixed-size window: reflect it up to one (cropped off below)
        picture = np.pad(picture, ((0, short[0]), (0, short[1]), (0, 0)), mode="reflect")
    ys, xs = (starts(picture.shape[k], tiling.tile[k], tiling.pad, tiling.multiple) for k in (0, 1))
    wy, wx = weights(ys, th, scale, tiling.blend), weights(xs, tw, scale, tiling.blend)
    out, carry = None, None
    for i, y in enumerate(ys):
        band = None
        for j0 in range(0, len(xs), batch):
            idx = range(j0, min(j0 + batch, len(xs)))
            tiles = run(np.stack([picture[y : y + th, xs[j] : xs[j] + tw] for j in idx]))
            if out is None:
                shape = (picture.shape[0] * scale, picture.shape[1] * scale, tiles.shape[3])
                out = np.empty(shape, finish(tiles[:1, :1, :1]).dtype)
            if not tiling.blend:  # weights are 0 or 1: copy each window's own rectangle
                r0, r1 = _owned(wy[i])
                for j, o in zip(idx, tiles):
                    c0, c1 = _owned(wx[j])
                    out[y * scale + r0 : y * scale + r1, xs[j] * scale + c0 : xs[j] * scale + c1] = finish(
                        o[r0:r1, c0:c1]
                    )
                continue
            if band is None:
                band = np.zeros((th * scale, picture.shape[1] * scale, tiles.shape[3]), np.float32)
                if carry is not None:
                    band[: len(carry)] = carry
            for j, o in zip(idx, tiles):
                band[:, xs[j] * scale : (xs[j] + tw) * scale] += o * wy[i][:, None, None] * wx[j][None, :, None]
        if tiling.blend:
            done = (ys[i + 1] - y) * scale if i + 1 < len(ys) else th * scale
            out[y * scale : y * scale + done] = finish(band[:done])
            carry, band = band[done:].copy(), None  # the overlap rows only: the next band is allocated fresh
    return out[p * scale : (p + H) * scale, p * scale : (p + W) * scale]


def _owned(w: np.ndarray) -> tuple[int, int]:
    """The positions a cut gives a window, along one axis: one run of ones in its weights."""
    at = np.flatnonzero(w)
    return int(at[0]), int(at[-1]) + 1
