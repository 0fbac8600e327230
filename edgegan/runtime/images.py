"""Image helpers of the light tier: scale, tile into a grid, write PNG and GIF with Pillow."""

from __future__ import annotations

import io
import math
import os
import tempfile
from pathlib import Path

import numpy as np


def to_uint8(images: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Float images in ``value_range`` -> uint8 [0, 255], same shape (clipped, rounded)."""
    lo, hi = value_range
    x = (np.asarray(images, np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def from_uint8(images: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """uint8 [0, 255] -> float32 in ``value_range`` (0 -> low end, 255 -> high end)."""
    lo, hi = value_range
    return (np.asarray(images, np.float32) * ((hi - lo) / 255.0) + lo).astype(np.float32)


def grid(images: np.ndarray, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile uint8 (N, H, W, C) into one (rows*(H+pad)+pad, cols*(W+pad)+pad, C) picture."""
    n, h, w, c = images.shape
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.uint8)
    for i, im in enumerate(images):
        r, k = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + k * (w + pad)
        out[y : y + h, x : x + w] = im
    return out


def _pil(image: np.ndarray, scale: int = 1):
    from PIL import Image

    im = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    if scale > 1:
        im = im.resize((im.width * scale, im.height * scale), Image.NEAREST)
    return im


def atomic_write(path: str | Path, write) -> Path:
    """Call ``write(tmp_path)`` then fsync and rename onto ``path``: no half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a written artifact is as readable as any file
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """uint8 (H, W, C), C in 1 (gray), 3 (RGB), 4 (RGBA) -> PNG file bytes."""
    buf = io.BytesIO()
    _pil(np.ascontiguousarray(image, np.uint8), scale).save(buf, format="PNG")
    return buf.getvalue()


def save_png(image: np.ndarray, path: str | Path, scale: int = 1) -> Path:
    """Write one uint8 (H, W, C) picture as PNG, atomically."""
    data = png_bytes(image, scale)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def save_grid(images: np.ndarray, path: str | Path, cols: int | None = None, scale: int = 2) -> Path:
    """Write uint8 (N, H, W, C) images as one PNG grid."""
    return save_png(grid(images, cols), path, scale)


def each_paths(n: int, folder: str | Path, prefix: str = "image") -> list[Path]:
    """The files ``save_each`` writes for n images: folder/prefix_0000.png, ..."""
    return [Path(folder) / f"{prefix}_{i:04d}.png" for i in range(n)]


def save_each(images: np.ndarray, folder: str | Path, prefix: str = "image") -> list[Path]:
    """Write one PNG per image: folder/prefix_0000.png, ..."""
    return [save_png(im, p) for im, p in zip(images, each_paths(len(images), folder, prefix))]


def replaced_note(path: str | Path) -> str:
    """Said of an output about to be written where a file already is, so nothing is overwritten silently."""
    return " (replaced the earlier file)" if Path(path).exists() else ""


def save_gif(frames: list[np.ndarray], path: str | Path, ms_per_frame: int = 200, scale: int = 2) -> Path:
    """Write uint8 (H, W, C) frames as a looping GIF."""
    pics = [_pil(f, scale) for f in frames]
    return atomic_write(
        path,
        lambda tmp: pics[0].save(
            tmp, format="GIF", save_all=True, append_images=pics[1:], duration=ms_per_frame, loop=0
        ),
    )
