"""Image helpers of the light tier: scale, tile into a grid, write PNG and GIF with Pillow."""

from __future__ import annotations

import io
import math
import os
import struct
import tempfile
import zlib
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


def save_png_streamed(image: np.ndarray, path: str | Path, level: int = 6, rows: int = 64) -> Path:
    """Write uint8 (H, W, C), C in 1, 3, 4, as PNG a block of rows at a time, atomically: the memory it needs is
    one block, not a copy of the picture. Pillow's writer copies the array into an image of 4 bytes a pixel
    first (measured: a 16000x12000 RGB picture, 576 MB, peaked 734 MB above it), which a x4 upscale of a phone
    photo cannot afford. Each row is PNG's "Up" filter (its difference from the row above)."""
    a = np.ascontiguousarray(image, np.uint8)
    h, w, c = a.shape
    kind = {1: 0, 3: 2, 4: 6}[c]  # PNG colour types: gray, RGB, RGBA

    def chunk(f, tag: bytes, data: bytes) -> None:
        f.write(struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    def write(tmp) -> None:
        z = zlib.compressobj(level)
        with open(tmp, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            chunk(f, b"IHDR", struct.pack(">IIBBBBB", w, h, 8, kind, 0, 0, 0))
            prev = np.zeros((1, w * c), np.uint8)
            for y in range(0, h, rows):
                block = a[y : y + rows].reshape(-1, w * c)
                up = block - np.concatenate([prev, block[:-1]])  # uint8 arithmetic wraps, as PNG's filter does
                prev = block[-1:]
                data = z.compress(np.concatenate([np.full((len(up), 1), 2, np.uint8), up], axis=1).tobytes())
                if data:
                    chunk(f, b"IDAT", data)
            chunk(f, b"IDAT", z.flush())
            chunk(f, b"IEND", b"")

    return atomic_write(path, write)


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


# ---------------------------------------------------------------- pictures in (image-input models)
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
MAX_PICTURE_PIXELS = 64_000_000  # a picture over this is refused before decoding (a decompression bomb)


def read_picture(path, channels: int, notes: list | None = None) -> np.ndarray:
    """A picture file (a path or a binary file object) as uint8 (H, W, channels): EXIF orientation applied, 16-bit
    scaled to 8, alpha dropped, grayscale and colour converted to what the model takes (each conversion said in
    ``notes``). Anything Pillow cannot read, and more than MAX_PICTURE_PIXELS, is refused in one line naming the
    file."""
    from PIL import Image, ImageOps

    from edgegan.errors import InputError

    src = path if hasattr(path, "read") else Path(path)
    path = Path(getattr(path, "name", None) or ("picture" if hasattr(path, "read") else path))
    try:
        with Image.open(src) as im:
            if im.width * im.height > MAX_PICTURE_PIXELS:
                raise InputError(f"{path}: {im.width}x{im.height} is over the {MAX_PICTURE_PIXELS} pixel cap")
            im = ImageOps.exif_transpose(im)
            mode = im.mode
            if mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grayscale: keep the top 8 bits' worth
                a = np.asarray(im, np.float64)
                im = Image.fromarray(np.clip(np.rint(a / (257.0 if a.max() > 255 else 1.0)), 0, 255).astype(np.uint8))
                _note(notes, f"{path.name}: 16-bit picture scaled to 8 bits")
            if "A" in im.getbands():
                _note(notes, f"{path.name}: alpha channel dropped")
            im = im.convert("L" if channels == 1 else "RGB")
            if (mode in ("L", "LA", "I;16", "I")) != (channels == 1):
                _note(
                    notes,
                    f"{path.name}: {'colour' if channels == 1 else 'grayscale'} picture converted for a "
                    f"{channels}-channel model",
                )
            a = np.asarray(im, np.uint8)
    except InputError:
        raise
    except Exception as e:  # the decoder's errors: UnidentifiedImageError, OSError, SyntaxError, EOFError, bombs ...
        raise InputError(f"{path}: not a picture edgegan can read ({type(e).__name__}: {str(e)[:120]})") from None
    return a[..., None] if a.ndim == 2 else a


def read_map(path, shape: tuple[int, int], notes: list | None = None) -> np.ndarray:
    """A segmentation map (a path or a binary file object) as int32 class ids (H, W): a PNG whose pixels are class ids (grayscale or palette:
    a palette PNG's indices are its classes) or an .npy of integers. Another size is resized to ``shape`` by
    nearest neighbour (said in ``notes``); a colour picture is refused in one line (its colours are not ids)."""
    from PIL import Image

    from edgegan.errors import InputError

    src = path  # a path, or a binary file object (an HTTP body)
    path = Path(getattr(path, "name", None) or ("map" if hasattr(path, "read") else path))
    try:
        if path.suffix.lower() == ".npy":
            a = np.load(src, allow_pickle=False)
            if a.ndim != 2 or a.dtype.kind not in "iu":
                raise InputError(f"{path}: a map is a 2-D array of integer class ids, got {a.dtype} {a.shape}")
            im = Image.fromarray(a.astype(np.int32))
        else:
            im = Image.open(src)
            if im.width * im.height > MAX_PICTURE_PIXELS:
                raise InputError(f"{path}: {im.width}x{im.height} is over the {MAX_PICTURE_PIXELS} pixel cap")
            if im.mode not in ("L", "P", "I", "I;16"):
                raise InputError(
                    f"{path}: a {im.mode} picture; a map is a PNG of class ids (grayscale or palette), one per pixel"
                )
        if im.size != (shape[1], shape[0]):
            _note(notes, f"{path.name}: {im.width}x{im.height} map resized (nearest) to {shape[1]}x{shape[0]}")
            im = im.resize((shape[1], shape[0]), Image.NEAREST)
        return np.asarray(im).astype(np.int32)
    except InputError:
        raise
    except Exception as e:  # the decoder's errors, whatever their type
        raise InputError(f"{path}: not a map edgegan can read ({type(e).__name__}: {str(e)[:120]})") from None


def read_palette(path, classes: int) -> np.ndarray:
    """The colour of each class of a segmentation map, (classes, 3) in 0..1, from a JSON file of a list of [r, g, b]
    (0..255), one per class in class order, or that list itself (a bundle's recorded palette, the notebook API);
    one line when it is not that."""
    import json

    from edgegan.errors import ConfigError

    given = isinstance(path, (list, tuple))
    where = "--map-palette" if given else path
    try:
        a = np.asarray(path if given else json.loads(Path(path).read_text()), dtype=np.float64)
    except (OSError, ValueError, TypeError) as e:
        raise ConfigError(f"{where}: not a palette edgegan can read ({type(e).__name__}: {str(e)[:120]})") from None
    if a.shape != (classes, 3) or not np.all((a >= 0) & (a <= 255)):
        raise ConfigError(
            f"{where}: a palette is a JSON list of {classes} [r, g, b] (0..255), one per class; got {a.shape}"
        )
    return (a / 255.0).astype(np.float32)


def picture_size(path) -> tuple[int, int]:
    """(width, height) of a picture file as stored, from its header (nothing decoded); one line if unreadable."""
    from PIL import Image

    from edgegan.errors import InputError

    try:
        with Image.open(path) as im:
            return im.size
    except Exception as e:  # the decoder's errors, whatever their type (a decompression bomb's is no OSError)
        raise InputError(f"{path}: not a picture edgegan can read ({type(e).__name__}: {str(e)[:120]})") from None


def _note(notes: list | None, text: str) -> None:
    if notes is not None and text not in notes:
        notes.append(text)


def fit(picture: np.ndarray, h: int, w: int) -> np.ndarray:
    """Centre-crop uint8 (H, W, C) to the aspect of h x w, then resize to h x w (bicubic; a crop of the exact size
    when the picture is at least that large in both sides and the aspect matches)."""
    from PIL import Image

    H, W = picture.shape[:2]
    scale = min(H / h, W / w)
    ch, cw = int(round(h * scale)), int(round(w * scale))
    top, left = (H - ch) // 2, (W - cw) // 2
    crop = picture[top : top + ch, left : left + cw]
    if crop.shape[:2] == (h, w):
        return np.ascontiguousarray(crop)
    im = Image.fromarray(crop[..., 0] if crop.shape[2] == 1 else crop).resize((w, h), Image.BICUBIC)
    a = np.asarray(im, np.uint8)
    return a[..., None] if a.ndim == 2 else a


def load_pictures(src: str | Path, h: int, w: int, channels: int, limit: int | None = None) -> np.ndarray:
    """Pictures for calibration and parity as uint8 (N, h, w, channels): a folder of picture files (sorted by
    name, each fitted with ``fit``), or an .npz whose first array is uint8 (N, H, W, C) images (fitted the same
    way). Refused in one line when there are none."""
    from edgegan.errors import ConfigError

    src = Path(src)
    if src.is_dir():
        files = sorted(p for p in src.iterdir() if p.suffix.lower() in PICTURE_SUFFIXES)[:limit]
        pics = [fit(read_picture(p, channels), h, w) for p in files]
    elif src.suffix == ".npz" and src.is_file():
        with np.load(src, allow_pickle=False) as z:
            a = z[z.files[0]] if z.files else np.zeros((0,))
        if a.ndim != 4 or a.dtype != np.uint8 or a.shape[3] != channels:
            raise ConfigError(
                f"{src}: expected uint8 images (N, H, W, {channels}) as its first array, got {a.dtype} {a.shape}"
            )
        pics = [fit(p, h, w) for p in a[:limit]]
    else:
        raise ConfigError(f"{src}: --calibration-data takes a folder of pictures or an .npz of uint8 images")
    if not pics:
        raise ConfigError(f"{src}: no pictures found ({', '.join(PICTURE_SUFFIXES)})")
    return np.stack(pics)


def synthetic_pictures(n: int, h: int, w: int, c: int, seed: int = 0) -> np.ndarray:
    """uint8 (n, h, w, c) smooth random pictures (blurred noise at several scales) with a flat patch and a dark one
    (0..6) in each, as photographs have (sky, shadows: a wrong epsilon or padding shows there first): parity inputs
    when no real pictures are given. Not what a model will see: int8 files need real ones."""
    rng = np.random.default_rng([seed, 11])
    out = np.zeros((n, h, w, c), np.float64)
    for cells in (2, 5, 12):
        coarse = rng.standard_normal((n, cells + 1, cells + 1, c))
        ri, ci = np.linspace(0, cells, h), np.linspace(0, cells, w)
        r0, c0 = np.minimum(ri.astype(int), cells - 1), np.minimum(ci.astype(int), cells - 1)
        fr, fc = (ri - r0)[None, :, None, None], (ci - c0)[None, None, :, None]
        top = coarse[:, r0] * (1 - fr) + coarse[:, r0 + 1] * fr  # bilinear: rows, then columns
        out += (top[:, :, c0] * (1 - fc) + top[:, :, c0 + 1] * fc) / cells**0.5
    out = (out - out.min()) / (np.ptp(out) or 1.0)
    for i in range(n):  # a flat patch and a dark patch, each a quarter of the height and width
        for value in (rng.uniform(0.2, 0.8, c), rng.uniform(0.0, 6 / 255, (h // 4 or 1, w // 4 or 1, c))):
            top, left = rng.integers(0, h - h // 4 + 1), rng.integers(0, w - w // 4 + 1)
            out[i, top : top + (h // 4 or 1), left : left + (w // 4 or 1)] = value
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)
