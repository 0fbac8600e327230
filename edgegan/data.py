"""Datasets: MNIST / Fashion-MNIST via Keras, local IDX, .npz, image folders.

Every loader returns float32 NHWC arrays in [-1, 1]. Local formats need only numpy and
Pillow; the named Keras datasets need the train tier. Bad data raises DataError naming the file.

    load_images("../shared/data/mnist")  # -> (8000, 28, 28, 1) float32 in [-1, 1]
"""

from __future__ import annotations

import gzip
import struct
import warnings
from pathlib import Path

import numpy as np

from edgegan.errors import DataError

KERAS_DATASETS = ("mnist", "fashion_mnist")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_IMAGES = 10_000_000  # refuse IDX headers that declare absurd sizes (decompression bombs)
MAX_IMAGE_PIXELS = 4096 * 4096  # per decoded picture (Pillow's own bomb check uses this)
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_images(
    source: str | Path,
    channels: int | None = None,
    limit: int | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Load a dataset by name or path into float32 (N, H, W, C) in [-1, 1].

    source: "mnist", "fashion_mnist", a folder (IDX files, .npz or images) or a file.
    channels: convert to this many channels (1 or 3); None keeps the data's own.
    limit: keep the first ``limit`` images (after shuffling when ``seed`` is given).
    seed: shuffle with this seed.
    """
    x = load_uint8(source)
    if channels is not None:
        x = _to_channels(x, channels, source)
    if seed is not None:
        x = x[np.random.default_rng(seed).permutation(len(x))]
    if limit is not None:
        x = x[:limit]
    return x.astype(np.float32) / 127.5 - 1.0


def load_uint8(source: str | Path) -> np.ndarray:
    """The dataset as uint8 (N, H, W, C), unscaled."""
    if str(source) in KERAS_DATASETS:
        return _keras_dataset(str(source))
    path = Path(source)
    if not path.exists():
        hint = " or a name: " + ", ".join(KERAS_DATASETS) if "/" not in str(source) else ""
        raise DataError(f"{path}: no such file or folder; pass an IDX/.npz file, an image folder{hint}")
    if path.is_dir():
        return _load_folder(path)
    return _load_file(path)


def load_labels(source: str | Path) -> np.ndarray | None:
    """Labels beside an IDX image file (``*-labels-idx1-ubyte[.gz]``), or None."""
    path = Path(source)
    folder = path if path.is_dir() else path.parent
    found = sorted(folder.glob("*labels-idx1-ubyte*"))
    return _read_idx(found[0]).astype(np.int64) if found else None


LABELS_HELP = (
    "labels come from an IDX label file beside the images (train-labels-idx1-ubyte[.gz]), y_train or y in a .npz, "
    "or one sub-folder per class in an image folder"
)


def load_labeled(
    source: str | Path, channels: int | None = None, limit: int | None = None, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Images as ``load_images`` gives them, and their integer labels (int64, (N,)) in the same order.

    Missing labels or a count that differs from the images' raise DataError naming the file."""
    x, (y, where) = load_uint8(source), _labels_of(source)
    if len(y) != len(x):
        raise DataError(f"{where}: {len(y)} labels for {len(x)} images; {LABELS_HELP}, one per image")
    if channels is not None:
        x = _to_channels(x, channels, source)
    if seed is not None:
        order = np.random.default_rng(seed).permutation(len(x))
        x, y = x[order], y[order]
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x.astype(np.float32) / 127.5 - 1.0, y


def check_labels(y: np.ndarray, classes: int, where) -> None:
    """Every label in [0, classes), or a one-line DataError."""
    if len(y) and y.min() < 0:
        raise DataError(f"{where}: has label {y.min()}; class labels are integers from 0 (0 to classes - 1)")
    if len(y) and y.max() >= classes:
        raise DataError(
            f"{where}: labels run from {y.min()} to {y.max()}, outside the model's {classes} classes (0 to "
            f"{classes - 1}); pass --classes {int(y.max()) + 1} or fix the labels"
        )


def _labels_of(source) -> tuple[np.ndarray, str]:
    """(labels, the file or folder they came from) for a dataset, in load_uint8's image order."""
    if str(source) in KERAS_DATASETS:
        from edgegan.errors import require

        (_, y), _ = getattr(require("keras", "train").datasets, str(source)).load_data()
        return y.astype(np.int64).ravel(), str(source)
    path = Path(source)
    if path.is_dir():
        idx = sorted(p for p in path.iterdir() if "idx3-ubyte" in p.name)
        npz = sorted(path.glob("*.npz"))
        if idx:
            train = [p for p in idx if p.name.startswith("train")]
            path = (train or idx)[0]
        elif npz:
            path = npz[0]
        else:
            return _folder_labels(path)
    name = path.name.lower()
    if name.endswith(".npz"):
        return _npz_labels(path), str(path)
    if "idx3-ubyte" in name:
        labels = path.with_name(path.name.replace("images-idx3", "labels-idx1").replace("idx3", "idx1"))
        if not labels.is_file():
            raise DataError(f"{path}: no labels beside it (looked for {labels.name}); {LABELS_HELP}")
        y = _read_idx(labels)
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise DataError(f"{labels}: expected integer labels of rank 1, got {y.dtype} rank {y.ndim}")
        return y.astype(np.int64), str(labels)
    raise DataError(f"{path}: cannot tell the class of each image; {LABELS_HELP}")


def _npz_labels(path: Path) -> np.ndarray:
    with np.load(path, allow_pickle=False) as z:
        key = next((k for k in ("y_train", "y", "labels") if k in z.files), None)
        if key is None:
            raise DataError(f"{path}: no array named y_train, y or labels (found {z.files}); {LABELS_HELP}")
        y = z[key]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise DataError(f"{path}: {key} must be integer class indices of shape (N,), got {y.dtype} {y.shape}")
    return y.astype(np.int64)


def _folder_labels(folder: Path) -> tuple[np.ndarray, str]:
    """One sub-folder per class, in the order _load_folder reads the files: named by integers (their value is the
    label) or by anything else (labels 0, 1, ... in sorted order)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    tops = [p.relative_to(folder).parts for p in files]
    if any(len(t) < 2 for t in tops):
        loose = next(folder / t[0] for t in tops if len(t) < 2)
        raise DataError(f"{loose}: is not in a class sub-folder; {LABELS_HELP}")
    names = sorted({t[0] for t in tops})
    numbered = all(n.isdigit() for n in names)
    index = {n: (int(n) if numbered else i) for i, n in enumerate(names)}
    return np.array([index[t[0]] for t in tops], np.int64), str(folder)


def _keras_dataset(name: str) -> np.ndarray:
    from edgegan.errors import require

    keras = require("keras", "train")
    module = getattr(keras.datasets, name)
    try:
        (x, _), _ = module.load_data()
    except Exception as e:  # urllib errors, SSL errors, ... all mean "could not download"
        raise DataError(
            f"{name}: not in the Keras cache (~/.keras/datasets) and could not be downloaded "
            f"({type(e).__name__}); pass local files instead, e.g. --data path/to/folder with "
            "train-images-idx3-ubyte[.gz], a .npz with x_train, or a folder of PNG images"
        ) from e
    return x[..., None] if x.ndim == 3 else x


def _load_folder(folder: Path) -> np.ndarray:
    idx = sorted(p for p in folder.iterdir() if "idx3-ubyte" in p.name)
    if idx:
        train = [p for p in idx if p.name.startswith("train")]
        return _load_file((train or idx)[0])
    npz = sorted(folder.glob("*.npz"))
    if npz:
        return _load_file(npz[0])
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DataError(f"{folder}: the folder is empty; put IDX files, a .npz or PNG/JPEG images in it")
    return _load_image_files(files, folder)


def _load_file(path: Path) -> np.ndarray:
    name = path.name.lower()
    if name.endswith(".npz"):
        return _load_npz(path)
    if name.endswith(IMAGE_SUFFIXES):
        return _load_image_files([path], path.parent)
    if "idx" in name or name.endswith("ubyte") or name.endswith("ubyte.gz"):
        x = _read_idx(path)
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.dtype != np.uint8:
            raise DataError(f"{path}: expected uint8 images of rank 3 (N, H, W), got {x.dtype} rank {x.ndim - 1}")
        return x
    raise DataError(f"{path}: unknown data file type; use IDX (*-idx3-ubyte[.gz]), .npz or PNG/JPEG")


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (gzipped or not), checking the magic and the declared size."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
                raise DataError(
                    f"{path}: not an IDX file (bad magic {head.hex() or 'empty'}); expected 0x0000 0803 for images"
                )
            ndim = head[3]
            if not 1 <= ndim <= 4:
                raise DataError(f"{path}: IDX header declares {ndim} dimensions; expected 1 to 4")
            dims = struct.unpack(f">{ndim}I", f.read(4 * ndim))
            dtype = np.dtype(_IDX_DTYPES[head[2]])
            count = int(np.prod(dims, dtype=np.int64))
            if dims[0] > MAX_IMAGES or count * dtype.itemsize > 8 << 30:
                raise DataError(f"{path}: IDX header declares {dims}, too large to be a dataset (corrupt or a bomb)")
            data = f.read(count * dtype.itemsize + 1)  # +1: detect trailing garbage
    except (OSError, EOFError, struct.error, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: cannot read ({type(e).__name__}: {e}); the file is truncated or corrupt") from e
    if len(data) != count * dtype.itemsize:
        raise DataError(
            f"{path}: IDX header declares {dims} ({count * dtype.itemsize} bytes) but the file holds "
            f"{len(data)}{'+' if len(data) > count * dtype.itemsize else ''} bytes; it is truncated or corrupt"
        )
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _load_npz(path: Path) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as z:
            key = next((k for k in ("x_train", "x", "images") if k in z.files), None)
            if key is None:
                raise DataError(f"{path}: no array named x_train, x or images (found {z.files})")
            x = z[key]
    except DataError:
        raise
    except Exception as e:  # zipfile.BadZipFile, ValueError (pickled object arrays), ...
        raise DataError(f"{path}: cannot read as .npz ({type(e).__name__}: {e})") from e
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise DataError(f"{path}: expected images (N, H, W[, C]), got shape {x.shape}")
    if x.dtype != np.uint8:  # accept floats in [0, 1] or [-1, 1] too
        x = x.astype(np.float32)
        lo, hi = float(x.min()), float(x.max())
        if not np.isfinite([lo, hi]).all():
            raise DataError(f"{path}: images contain NaN or Inf")
        if lo >= -1.0 and hi <= 1.0:
            x = (x + 1.0) * 127.5 if lo < 0 else x * 255.0
        x = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    return x


def _load_image_files(files: list[Path], folder: Path) -> np.ndarray:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    images, first = [], None
    for p in files:
        if not p.name.lower().endswith(IMAGE_SUFFIXES):
            raise DataError(f"{p}: not a PNG/JPEG image; an image folder may hold only images")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im = Image.open(p)
            with im:
                if im.width * im.height > MAX_IMAGE_PIXELS:  # Pillow only warns below 2x its limit
                    raise Image.DecompressionBombError(f"{im.width}x{im.height}")
                im.load()
                mode = "L" if im.mode in ("1", "L", "LA", "I", "I;16", "P") and not _has_color(im) else "RGB"
                arr = np.asarray(im.convert(mode))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise DataError(f"{p}: image is larger than {MAX_IMAGE_PIXELS} pixels (decompression bomb?)") from e
        except Exception as e:  # PIL.UnidentifiedImageError, OSError for truncated files
            raise DataError(
                f"{p}: cannot decode image ({type(e).__name__}); the file is corrupt or not an image"
            ) from e
        if first is None:
            first = (p, arr.shape[:2])
        elif arr.shape[:2] != first[1]:
            raise DataError(
                f"{p}: size {arr.shape[1]}x{arr.shape[0]} differs from {first[0].name} "
                f"({first[1][1]}x{first[1][0]}); resize all images in {folder} to one size"
            )
        images.append(arr if arr.ndim == 3 else arr[..., None])
    channels = max(a.shape[-1] for a in images)
    return np.stack([np.repeat(a, channels, -1) if a.shape[-1] != channels else a for a in images])


def _has_color(im) -> bool:
    return im.mode == "P" and im.convert("RGB").getextrema() != im.convert("L").convert("RGB").getextrema()


def _to_channels(x: np.ndarray, channels: int, source) -> np.ndarray:
    have = x.shape[-1]
    if have == channels:
        return x
    if have == 1 and channels == 3:
        return np.repeat(x, 3, axis=-1)
    if have == 3 and channels == 1:
        gray = x.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        return np.clip(np.rint(gray), 0, 255).astype(np.uint8)[..., None]
    raise DataError(f"{source}: images have {have} channels; cannot convert to {channels}")


def as_dataset(x: np.ndarray, batch_size: int, seed: int):
    """A shuffled, batched tf.data pipeline over ``x`` (train tier); drops the last partial batch."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(x)
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
